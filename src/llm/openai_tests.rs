//! Tests of `openai.rs`.
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;

use proptest::prelude::*;

use super::*;
use crate::llm::Role;
use crate::llm::{Message, Sampling};

/// The blocking `Iterator::next` (the inherent `next` is async).
fn next_item(stream: &mut EventStream) -> Option<Result<Event>> {
    Iterator::next(stream)
}

/// The request the mock server received.
struct Received {
    head: String,
    body: Value,
}

/// Serves one connection on a fresh port: reads the request, then lets `respond` answer.
/// Returns the base URL and the thread, which yields the request and `respond`'s result.
fn serve_once<T: Send + 'static>(
    respond: impl FnOnce(&mut TcpStream) -> T + Send + 'static,
) -> (String, JoinHandle<(Received, T)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let base = format!(
        "http://{}/v1",
        listener.local_addr().expect("local address")
    );
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept the client");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set a read timeout");
        let received = read_request(&mut socket);
        let result = respond(&mut socket);
        (received, result)
    });
    (base, handle)
}

fn read_request(socket: &mut TcpStream) -> Received {
    let mut reader = BufReader::new(socket.try_clone().expect("clone the socket"));
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a request line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().expect("a numeric length"))
        })
        .expect("a Content-Length header");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("read the body");
    Received {
        head,
        body: serde_json::from_slice(&body).expect("a JSON body"),
    }
}

/// A complete event-stream response, chunked as real servers send it. An event starting
/// with `:` is sent as a comment, the others as data.
fn sse_response(events: &[&str]) -> String {
    let mut out = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for event in events {
        let data = if event.starts_with(':') {
            format!("{event}\n\n")
        } else {
            format!("data: {event}\n\n")
        };
        out.push_str(&format!("{:x}\r\n{data}\r\n", data.len()));
    }
    out.push_str("0\r\n\r\n");
    out
}

fn write_all(socket: &mut TcpStream, response: &str) {
    socket
        .write_all(response.as_bytes())
        .expect("write the response");
}

fn delta(text: &str) -> String {
    json!({ "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }] })
        .to_string()
}

fn finish(reason: &str) -> String {
    json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }] }).to_string()
}

fn request() -> GenerateRequest {
    GenerateRequest::new(vec![
        Message::new(Role::System, "You sell shoes."),
        Message::new(Role::User, "Hi"),
    ])
}

fn model(base: &str) -> OpenAiCompatible {
    OpenAiCompatible::new(base, "test-model")
        .expect("a valid URL")
        .with_timeout(Duration::from_secs(10))
}

#[test]
fn streams_deltas_in_order_and_reports_usage() {
    let events = [
        json!({ "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "" } }] })
            .to_string(),
        ": keep-alive comment".to_string(),
        delta("Hel"),
        delta("lo"),
        delta(" there"),
        finish("stop"),
        json!({ "choices": [], "usage": {
            "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
            "prompt_tokens_details": { "cached_tokens": 8 } } })
        .to_string(),
        "[DONE]".to_string(),
    ];
    let (base, server) = serve_once(move |socket| {
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        write_all(socket, &sse_response(&events));
    });
    let mut req = request();
    req.max_tokens = 50;
    req.stop = vec!["</s>".into(), "\nUser:".into()];
    req.sampling = Sampling {
        temperature: 0.7,
        top_p: 0.9,
        top_k: 0,
        repeat_penalty: 1.0,
        repeat_last_n: 64,
        seed: 7,
    };
    let model = model(&base).with_api_key("sk-test".into());
    let events: Vec<Event> = model
        .generate(req)
        .expect("a valid request")
        .collect::<Result<_>>()
        .expect("no error");
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Delta { text } => Some(text.as_str()),
            Event::Done { .. } => None,
        })
        .collect();
    assert_eq!(texts, ["Hel", "lo", " there"]);
    let Some(Event::Done { finish, usage }) = events.last() else {
        panic!("the last event is not Done: {events:?}");
    };
    assert_eq!(*finish, FinishReason::EndOfTurn);
    assert_eq!(usage.prompt_tokens, 12);
    assert_eq!(usage.cached_tokens, 8);
    assert_eq!(usage.completion_tokens, 3);
    assert_eq!(usage.queued, Duration::ZERO);

    let (received, ()) = server.join().expect("the server thread");
    assert!(received.head.starts_with("POST /v1/chat/completions "));
    assert!(received.head.contains("Authorization: Bearer sk-test"));
    let body = received.body;
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["stop"], json!(["</s>", "\nUser:"]));
    assert_eq!(
        body["messages"],
        json!([
            { "role": "system", "content": "You sell shoes." },
            { "role": "user", "content": "Hi" },
        ])
    );
    for absent in [
        "top_k",
        "repeat_penalty",
        "repetition_penalty",
        "response_format",
        "continue_final_message",
        "add_generation_prompt",
    ] {
        assert!(body.get(absent).is_none(), "{absent} sent: {body}");
    }
}

#[test]
fn finish_reasons_map_to_stop_length_and_end_of_turn() {
    let stop_hit = json!({ "choices": [{ "index": 0, "delta": {},
        "finish_reason": "stop", "stop_reason": "\nUser:" }] })
    .to_string();
    let other_stop = json!({ "choices": [{ "index": 0, "delta": {},
        "finish_reason": "stop", "stop_reason": 2 }] })
    .to_string();
    let cases = [
        (stop_hit, FinishReason::Stop),
        (other_stop, FinishReason::EndOfTurn),
        (finish("length"), FinishReason::Length),
        (finish("stop_sequence"), FinishReason::Stop),
        (finish("eos_token"), FinishReason::EndOfTurn),
    ];
    for (last, expected) in cases {
        let (base, server) = serve_once(move |socket| {
            // No [DONE]: a finish reason is enough.
            write_all(socket, &sse_response(&[&delta("ok"), &last]));
        });
        let mut req = request();
        req.stop = vec!["\nUser:".into()];
        let (text, finish, usage) = model(&base)
            .generate(req)
            .expect("a valid request")
            .collect_text()
            .expect("a reply");
        assert_eq!((text.as_str(), finish), ("ok", expected));
        // No usage from the server: one token per chunk.
        assert_eq!(usage.completion_tokens, 1);
        server.join().expect("the server thread");
    }
}

#[test]
fn sends_schema_and_sampling_extensions() {
    let (base, server) = serve_once(|socket| {
        write_all(
            socket,
            &sse_response(&[&delta("{}"), &finish("stop"), "[DONE]"]),
        );
    });
    let schema = json!({ "type": "object", "properties": { "intent": { "type": "string" } } });
    let mut req = request();
    req.json_schema = Some(schema.clone());
    req.sampling.temperature = 0.7;
    req.sampling.top_k = 40;
    req.sampling.repeat_penalty = 1.1;
    let (text, _, _) = model(&base)
        .generate(req)
        .expect("a valid request")
        .collect_text()
        .expect("a reply");
    assert_eq!(text, "{}");
    let (received, ()) = server.join().expect("the server thread");
    let body = received.body;
    assert_eq!(
        body["response_format"],
        json!({ "type": "json_schema",
                "json_schema": { "name": "reply", "schema": schema, "strict": true } })
    );
    assert_eq!(body["top_k"], 40);
    assert_eq!(body["seed"], 42);
    assert_eq!(body["repeat_penalty"], 1.1);
    assert_eq!(body["repetition_penalty"], 1.1);
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
}

#[test]
fn greedy_requests_send_no_sampling_extensions() {
    let (base, server) = serve_once(|socket| {
        write_all(
            socket,
            &sse_response(&[&delta("ok"), &finish("stop"), "[DONE]"]),
        );
    });
    let mut req = request();
    req.sampling = Sampling::greedy();
    model(&base)
        .generate(req)
        .expect("a valid request")
        .collect_text()
        .expect("a reply");
    let (received, ()) = server.join().expect("the server thread");
    let body = received.body.as_object().expect("a JSON object").clone();
    for field in ["top_k", "seed", "repeat_penalty", "repetition_penalty"] {
        assert!(!body.contains_key(field), "{field} sent: {body:?}");
    }
}

/// A 400 response with an OpenAI-style error body.
fn bad_request(message: &str) -> String {
    let body =
        json!({ "error": { "message": message, "type": "invalid_request_error" } }).to_string();
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Serves one connection per answer on a fresh port, in order, and yields the bodies received.
fn serve_each(answers: Vec<String>) -> (String, JoinHandle<Vec<Value>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let base = format!(
        "http://{}/v1",
        listener.local_addr().expect("local address")
    );
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for answer in answers {
            let (mut socket, _) = listener.accept().expect("accept the client");
            bodies.push(read_request(&mut socket).body);
            write_all(&mut socket, &answer);
        }
        bodies
    });
    (base, handle)
}

#[test]
fn a_strict_server_refusing_optional_fields_gets_them_no_more() {
    let ok = || sse_response(&[&delta("fine"), &finish("stop"), "[DONE]"]);
    let (base, server) = serve_each(vec![
        bad_request("Unrecognized request arguments supplied: top_k, seed"),
        ok(),
        bad_request("1 validation error: stream_options: Extra inputs are not permitted"),
        ok(),
        ok(),
    ]);
    let client = model(&base);
    let mut sampled = request();
    sampled.sampling.temperature = 0.8;
    for _ in 0..3 {
        let (text, _, _) = client
            .clone()
            .generate(sampled.clone())
            .expect("a valid request")
            .collect_text()
            .expect("the retry without the refused fields succeeds");
        assert_eq!(text, "fine");
    }
    let bodies = server.join().expect("the server thread");
    let has = |i: usize, f: &str| bodies[i].as_object().is_some_and(|b| b.contains_key(f));
    assert!(has(0, "top_k") && has(0, "seed"));
    assert!(!has(1, "top_k") && !has(1, "seed") && has(1, "temperature"));
    assert!(
        has(2, "stream_options") && !has(2, "top_k"),
        "refusals are remembered"
    );
    assert!(!has(3, "stream_options") && !has(4, "stream_options") && !has(4, "seed"));
}

#[test]
fn a_400_naming_no_optional_field_is_not_retried() {
    let (base, server) = serve_each(vec![bad_request("model 'x' does not exist: top_kx")]);
    let mut req = request();
    req.sampling.temperature = 0.8;
    let error = model(&base)
        .generate(req)
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert_eq!(server.join().expect("the server thread").len(), 1);
}

#[test]
fn prefill_is_sent_as_assistant_message_and_starts_the_stream() {
    let (base, server) = serve_once(|socket| {
        write_all(
            socket,
            &sse_response(&[&delta("greeting\"}"), &finish("stop"), "[DONE]"]),
        );
    });
    let mut req = request();
    req.prefill = "{\"intent\": \"".into();
    req.json_schema = Some(json!({ "type": "object" }));
    let mut stream = model(&base).generate(req).expect("a valid request");
    let first = next_item(&mut stream).expect("an event").expect("no error");
    assert_eq!(
        first,
        Event::Delta {
            text: "{\"intent\": \"".into()
        }
    );
    let (rest, finish, _) = stream.collect_text().expect("a reply");
    assert_eq!(
        (rest.as_str(), finish),
        ("greeting\"}", FinishReason::EndOfTurn)
    );

    let (received, ()) = server.join().expect("the server thread");
    let body = received.body;
    assert_eq!(
        body["messages"][2],
        json!({ "role": "assistant", "content": "{\"intent\": \"" })
    );
    assert_eq!(body["continue_final_message"], true);
    assert_eq!(body["add_generation_prompt"], false);
    // The schema would force a second document after the prefill.
    assert!(body.get("response_format").is_none());
}

#[test]
fn overloaded_server_gives_retry_after() {
    let cases = [
        ("503 Service Unavailable", "Retry-After: 7\r\n", 7),
        ("429 Too Many Requests", "", 1),
    ];
    for (status, header, seconds) in cases {
        let (base, server) = serve_once(move |socket| {
            write_all(
                socket,
                &format!(
                    "HTTP/1.1 {status}\r\n{header}Content-Length: 4\r\n\
                     Connection: close\r\n\r\nbusy"
                ),
            );
        });
        let mut stream = model(&base).generate(request()).expect("a valid request");
        let first = next_item(&mut stream).expect("an item");
        match first {
            Err(Error::Overloaded { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(seconds));
            }
            other => panic!("expected Overloaded for {status}, got {other:?}"),
        }
        server.join().expect("the server thread");
    }
}

#[test]
fn client_error_carries_the_server_message() {
    let (base, server) = serve_once(|socket| {
        let body = r#"{"error":{"message":"bad model","type":"invalid_request_error"}}"#;
        write_all(
            socket,
            &format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
    });
    let error = model(&base)
        .generate(request())
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    let message = error.to_string();
    assert!(matches!(error, Error::Remote { .. }), "{error:?}");
    assert!(message.contains("bad model"), "{message}");
    assert!(message.contains("400"), "{message}");
    assert!(message.contains("/v1/chat/completions"), "{message}");
    server.join().expect("the server thread");
}

#[test]
fn refused_connection_names_the_url() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/v1");
    let error = model(&base)
        .generate(request())
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    match &error {
        Error::Remote { url, reason } => {
            assert_eq!(url, &format!("{base}/chat/completions"));
            assert!(reason.contains("cannot connect"), "{reason}");
        }
        other => panic!("expected Remote, got {other:?}"),
    }
}

#[test]
fn malformed_data_line_is_an_error_quoting_it() {
    let (base, server) = serve_once(|socket| {
        write_all(
            socket,
            &sse_response(&[&delta("a"), "{\"choices\": [oops", "[DONE]"]),
        );
    });
    let mut stream = model(&base).generate(request()).expect("a valid request");
    assert_eq!(
        next_item(&mut stream).expect("an event").expect("no error"),
        Event::Delta { text: "a".into() }
    );
    let error = next_item(&mut stream)
        .expect("an item")
        .expect_err("an error");
    let message = error.to_string();
    assert!(message.contains("malformed JSON"), "{message}");
    assert!(message.contains("[oops"), "{message}");
    assert!(next_item(&mut stream).is_none(), "nothing after the error");
    server.join().expect("the server thread");
}

#[test]
fn stream_without_end_is_an_error() {
    let (base, server) = serve_once(|socket| {
        write_all(socket, &sse_response(&[&delta("a"), &delta("b")]));
    });
    let error = model(&base)
        .generate(request())
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    assert!(error.to_string().contains("stream ended early"), "{error}");
    server.join().expect("the server thread");
}

#[test]
fn error_inside_the_stream_is_reported() {
    let (base, server) = serve_once(|socket| {
        let error = json!({ "object": "error", "message": "out of KV cache", "code": 500 });
        write_all(socket, &sse_response(&[&delta("a"), &error.to_string()]));
    });
    let error = model(&base)
        .generate(request())
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    assert!(error.to_string().contains("out of KV cache"), "{error}");
    server.join().expect("the server thread");
}

#[test]
fn silent_server_times_out() {
    let (base, server) = serve_once(|socket| {
        // Say nothing; wait for the client to give up and close.
        let mut buf = [0u8; 16];
        let _ = socket.read(&mut buf);
    });
    let started = Instant::now();
    let error = model(&base)
        .with_timeout(Duration::from_millis(200))
        .generate(request())
        .expect("a valid request")
        .collect_text()
        .expect_err("an error");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(error, Error::Remote { .. }), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
    server.join().expect("the server thread");
}

#[test]
fn dropping_the_stream_closes_the_connection() {
    let (base, server) = serve_once(|socket| {
        write_all(
            socket,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
        );
        // Keep generating slowly until the client hangs up; true when it did.
        for _ in 0..500 {
            let event = format!("data: {}\n\n", delta("tick"));
            if socket.write_all(event.as_bytes()).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    });
    let mut stream = model(&base).generate(request()).expect("a valid request");
    assert_eq!(
        next_item(&mut stream).expect("an event").expect("no error"),
        Event::Delta {
            text: "tick".into()
        }
    );
    drop(stream);
    let (_, hung_up) = server.join().expect("the server thread");
    assert!(hung_up, "the client kept the connection open");
}

#[test]
fn invalid_requests_fail_at_once() {
    let model = model("http://127.0.0.1:9/v1");
    let empty = GenerateRequest::new(Vec::new());
    assert!(matches!(
        model.generate(empty),
        Err(Error::InvalidRequest(_))
    ));
    let mut bad_top_p = request();
    bad_top_p.sampling.top_p = 0.0;
    assert!(matches!(
        model.generate(bad_top_p),
        Err(Error::InvalidRequest(_))
    ));
    let mut no_tokens = request();
    no_tokens.max_tokens = 0;
    assert!(matches!(
        model.generate(no_tokens),
        Err(Error::InvalidRequest(_))
    ));
}

#[test]
fn urls_are_checked_and_normalised() {
    for bad in [
        "ftp://host/v1",
        "localhost:8000/v1",
        "http://",
        "",
        "http://a b/v1",
    ] {
        match OpenAiCompatible::new(bad, "m") {
            Err(Error::InvalidRequest(message)) => {
                assert!(message.contains("URL"), "{bad:?}: {message}")
            }
            other => panic!("{bad:?} accepted: {other:?}"),
        }
    }
    assert!(matches!(
        OpenAiCompatible::new("http://localhost:8000/v1", " "),
        Err(Error::InvalidRequest(_))
    ));
    let model = OpenAiCompatible::new("https://api.example.com/v1/", "m").expect("valid");
    assert_eq!(
        model.endpoint(),
        "https://api.example.com/v1/chat/completions"
    );
    assert_eq!(
        model.describe(),
        "openai-compatible m at https://api.example.com/v1"
    );
    let full = OpenAiCompatible::new("http://h:1/v1/chat/completions", "m").expect("valid");
    assert_eq!(full.endpoint(), "http://h:1/v1/chat/completions");
    let debug = format!("{:?}", full.with_api_key("secret".into()));
    assert!(!debug.contains("secret"), "{debug}");
}

#[test]
fn helpers_read_server_texts() {
    assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
    assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
    assert_eq!(parse_retry_after("1e300"), None);
    assert_eq!(parse_retry_after("-1"), None);
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    assert_eq!(error_message(r#"{"detail":"Not Found"}"#), "Not Found");
    assert_eq!(error_message(r#"{"error":"plain"}"#), "plain");
    assert_eq!(error_message("  "), "(empty body)");
    let long = "é".repeat(QUOTE_CHARS + 10);
    assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
    assert_eq!(json_f32(0.95), json!(0.95));
}

#[test]
fn overlong_line_is_refused() {
    let text = "x".repeat(MAX_LINE_BYTES + 10);
    let mut reader = io::Cursor::new(text.into_bytes());
    let mut buf = Vec::new();
    assert!(read_line(&mut reader, &mut buf).is_err());
}

proptest! {
    #[test]
    fn parser_never_panics(line in ".{0,200}", data in ".{0,200}") {
        let mut parser = StreamParser::default();
        let stop = vec!["x".to_string()];
        let _ = parser.feed(&line, &stop);
        let _ = parser.feed(&format!("data: {data}"), &stop);
        let _ = parser.feed(&format!("data: {{\"choices\": [{data}]}}"), &stop);
    }
}
