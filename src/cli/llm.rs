//! `shopclerk generate` and `shopclerk bench llm`: the chat model from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use shopclerk::config::Config;
use shopclerk::llm::{ChatModel, Event, GenerateRequest, LocalModel, Message, Role, Sampling};
use shopclerk::models;

/// Flags of `shopclerk generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// System prompt.
    #[arg(long)]
    system: Option<String>,
    /// The user's message.
    #[arg(long)]
    prompt: String,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// Nucleus sampling threshold.
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Sample among the k most likely tokens (0 = all).
    #[arg(long, default_value_t = 40)]
    top_k: usize,
    /// Penalty for repeating recent tokens (1 = none).
    #[arg(long, default_value_t = 1.1)]
    repeat_penalty: f32,
    /// Sampler seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Stop before this string (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Constrain the reply to this JSON schema (a file).
    #[arg(long)]
    json_schema: Option<PathBuf>,
    /// Text the reply starts with.
    #[arg(long, default_value = "")]
    prefill: String,
    /// Print token counts and timings to stderr at the end.
    #[arg(long)]
    stats: bool,
}

/// Flags of `shopclerk bench llm`.
#[derive(Debug, Args)]
pub struct BenchLlmArgs {
    /// Prompt length in tokens.
    #[arg(long, default_value_t = 300)]
    prompt_tokens: usize,
    /// Tokens to generate.
    #[arg(long, default_value_t = 128)]
    gen_tokens: usize,
    /// Times to repeat the measurement (the best run is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Loads the configured local chat model, fetching the default on first use.
pub fn load_local_model(config: &Config, progress: bool) -> Result<(LocalModel, Duration)> {
    let files = config
        .resolver(progress)
        .chat_model(config.chat_model.as_deref())?;
    let device = models::select_device(&config.device).map_err(anyhow::Error::msg)?;
    let options = config.llm.local_options(device);
    let start = Instant::now();
    let model = LocalModel::load(&files, options)
        .with_context(|| format!("loading chat model {}", files.gguf.display()))?;
    Ok((model, start.elapsed()))
}

/// The configured chat model: an inference server when one is set, else the local model.
pub fn chat_model(config: &Config, progress: bool) -> Result<Box<dyn ChatModel>> {
    if let Some(url) = &config.llm.server {
        let remote = shopclerk::llm::OpenAiCompatible::new(url, &config.llm.server_model)?;
        return Ok(Box::new(remote));
    }
    Ok(Box::new(load_local_model(config, progress)?.0))
}

/// Streams one reply to stdout.
pub fn generate(config: &Config, args: &GenerateArgs, progress: bool) -> Result<()> {
    let model = chat_model(config, progress)?;
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(Message::new(Role::System, system.clone()));
    }
    messages.push(Message::new(Role::User, args.prompt.clone()));
    let json_schema: Option<serde_json::Value> = match &args.json_schema {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading JSON schema {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{}: not JSON", path.display()))?,
            )
        }
        None => None,
    };
    // A reply for a schema is printed only once it is known to be valid for it.
    let compiled = json_schema
        .as_ref()
        .map(|schema| {
            shopclerk::llm::JsonSchema::compile(schema).map_err(|e| {
                anyhow::anyhow!(
                    "{}: not a JSON schema this model can follow: {e}",
                    args.json_schema
                        .as_deref()
                        .map_or(String::new(), |p| p.display().to_string())
                )
            })
        })
        .transpose()?;
    let mut reply = String::new();
    let request = GenerateRequest {
        messages,
        sampling: Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            top_k: args.top_k,
            repeat_penalty: args.repeat_penalty,
            seed: args.seed,
            ..Sampling::default()
        },
        max_tokens: args.max_tokens,
        stop: args.stop.clone(),
        json_schema,
        prefill: args.prefill.clone(),
        grounded_numbers: None,
        grounded_words: None,
    };
    let mut out = std::io::stdout().lock();
    for event in model.generate(request)? {
        match event? {
            Event::Delta { text } if compiled.is_some() => reply.push_str(&text),
            Event::Delta { text } => {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
            Event::Done { finish, usage } => {
                if let Some(schema) = &compiled {
                    shopclerk::llm::check_json_reply(&reply, finish, schema)
                        .with_context(|| model.describe())?;
                    out.write_all(reply.as_bytes())?;
                }
                writeln!(out)?;
                out.flush()?;
                if args.stats {
                    eprintln!(
                        "[{}] finish: {finish:?}; prompt {} tokens ({} cached), reply {} tokens; \
                         first token after {:.0} ms, then {:.1} tokens/s",
                        model.describe(),
                        usage.prompt_tokens,
                        usage.cached_tokens,
                        usage.completion_tokens,
                        usage.time_to_first_token.as_secs_f64() * 1000.0,
                        usage.generation_tokens_per_second()
                    );
                }
            }
        }
    }
    Ok(())
}

/// Prints load time, prompt and generation speed, and time to first token.
pub fn bench(config: &Config, args: &BenchLlmArgs, progress: bool) -> Result<()> {
    let (model, load) = load_local_model(config, progress)?;
    println!("model:      {}", model.describe());
    println!("load:       {:.2} s", load.as_secs_f64());
    let mut best: Option<shopclerk::llm::BenchReport> = None;
    for _ in 0..args.runs.max(1) {
        let r = model.bench(args.prompt_tokens, args.gen_tokens)?;
        let better = best
            .as_ref()
            .is_none_or(|b| r.prompt_time + r.generation_time < b.prompt_time + b.generation_time);
        if better {
            best = Some(r);
        }
    }
    let Some(r) = best else { return Ok(()) };
    let rate = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "prompt:     {} tokens in {:.0} ms = {:.1} tokens/s (time to first token)",
        r.prompt_tokens,
        r.prompt_time.as_secs_f64() * 1000.0,
        rate(r.prompt_tokens, r.prompt_time)
    );
    println!(
        "generation: {} tokens in {:.0} ms = {:.1} tokens/s",
        r.generated_tokens,
        r.generation_time.as_secs_f64() * 1000.0,
        rate(r.generated_tokens, r.generation_time)
    );
    println!(
        "prefix cache: time to first token {:.0} ms with the first half cached ({} new tokens) vs {:.0} ms uncached",
        r.cached_time_to_first_token.as_secs_f64() * 1000.0,
        r.cached_new_tokens,
        r.prompt_time.as_secs_f64() * 1000.0
    );
    Ok(())
}
