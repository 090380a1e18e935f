"""Conformance of shopclerk's OpenAI-compatible endpoint, checked with the official `openai`
Python SDK as a shop's engineer would use it.

    python tests/clients/openai_sdk.py http://127.0.0.1:PORT

Run by tests/openai_sdk.rs against a real `shopclerk serve` over the test shop. Prints one line
per client call with what came back, and exits non-zero at the first call that does not do what
an OpenAI client expects.
"""

import re
import sys

import openai

base = sys.argv[1].rstrip("/") + "/v1"
client = openai.OpenAI(base_url=base, api_key="unused", max_retries=0, timeout=60)


def check(ok, what):
    if not ok:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)


def report(call, result):
    print(f"{call}: {result}", flush=True)


# 1. List models, as chat front ends do before the first message.
models = client.models.list()
ids = [m.id for m in models.data]
report("models.list()", ids)
check(ids == ["shopclerk"], "the model list names the assistant")
model = client.models.retrieve("shopclerk")
report("models.retrieve('shopclerk')", model.id)
check(model.id == "shopclerk" and model.object == "model", "the model is retrievable")
try:
    client.models.retrieve("gpt-9")
    check(False, "an unknown model is a 404")
except openai.NotFoundError as e:
    report("models.retrieve('gpt-9')", f"NotFoundError {e.code}")
    check(e.code == "model_not_found", "the 404 says model_not_found")

# 2. Non-streaming: the text alone carries the products with catalog prices.
ask = [{"role": "user", "content": "memory card for my camera"}]
reply = client.chat.completions.create(model="shopclerk", messages=ask)
text = reply.choices[0].message.content
report("chat.completions.create (non-streaming)", repr(text[:160]))
check(reply.choices[0].finish_reason == "stop", "a whole reply finishes with stop")
extension = reply.model_extra["shopclerk"]
products = extension["products"]
check(len(products) >= 2, "products found")
for p in products:
    check(p["short_name"] in text, f"the text names {p['short_name']}")
    check(p["price_text"] in text, f"the text gives {p['short_name']}'s catalog price")
check(re.search(r"^1\. ", text, re.M) is not None, "products are a numbered list")
usage = reply.usage
report("usage", usage.model_dump() if usage else None)
check(usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0,
      "usage is reported")
check(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "usage adds up")

# 3. Streaming with usage in the last chunk.
stream = client.chat.completions.create(
    model="shopclerk", messages=ask, stream=True, stream_options={"include_usage": True})
pieces, finish, last_usage, chunks = [], None, None, 0
for chunk in stream:
    chunks += 1
    if chunk.usage is not None:
        last_usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
streamed = "".join(pieces)
report("chat.completions.create (stream, include_usage)",
       f"{chunks} chunks, finish {finish}, usage {last_usage.model_dump() if last_usage else None}")
check(finish == "stop", "the stream finishes with stop")
check(last_usage is not None and last_usage.completion_tokens > 0, "the last chunk carries usage")
check(all(p["price_text"] in streamed for p in products), "the streamed text lists the products")

# 4. History: "the second one" points into what the client was shown.
second = products[1]
history = ask + [
    {"role": "assistant", "content": text},
    {"role": "user", "content": "add the second one to my cart"},
]
reply = client.chat.completions.create(model="shopclerk", messages=history)
text = reply.choices[0].message.content
report("chat.completions.create (history: 'add the second one to my cart')", repr(text[:160]))
check(second["short_name"] in text, "the reply is about the second product shown")
check("Which product" not in text, "the history is used")

# 5. Sampling fields, stop, max tokens, content as parts, unknown fields.
reply = client.chat.completions.create(
    model="shopclerk",
    messages=[{"role": "user", "content": [{"type": "text", "text": "wireless mouse"}]}],
    temperature=0.2, top_p=0.9, max_completion_tokens=12, stop=["\n", "zzz"],
    extra_body={"some_future_field": True},
)
text = reply.choices[0].message.content
report("create (parts, temperature, top_p, max_completion_tokens=12, stop list, unknown field)",
       f"{reply.choices[0].finish_reason}, {reply.usage.completion_tokens} tokens, {text!r}")
check(reply.choices[0].finish_reason in ("length", "stop"), "a cut reply says why")
check(reply.usage.completion_tokens <= 12, "max_completion_tokens is honoured")
check("\n" not in text, "the reply stops before a stop sequence")
reply = client.chat.completions.create(model="shopclerk", messages=ask, max_tokens=5, stop="zzz")
report("create (max_tokens=5, stop as a string)",
       f"{reply.choices[0].finish_reason}, {reply.usage.completion_tokens} tokens")
check(reply.choices[0].finish_reason == "length" and reply.usage.completion_tokens == 5,
      "max_tokens cuts at 5 tokens")

# 6. Errors arrive as the SDK's typed errors, in OpenAI's shape.
def expect_bad_request(what, param, **kwargs):
    try:
        client.chat.completions.create(model="shopclerk", **kwargs)
        check(False, f"{what} is refused")
    except openai.BadRequestError as e:
        report(f"create ({what})", f"BadRequestError {e.code}, param {e.param}, type {e.type}")
        check(e.type == "invalid_request_error", f"{what}: type")
        check(e.param == param, f"{what}: param {param}")
        check(bool(e.message), f"{what}: a message")

expect_bad_request("n=2", "n", messages=ask, n=2)
expect_bad_request("temperature=3", "temperature", messages=ask, temperature=3)
expect_bad_request("no messages", "messages", messages=[])
expect_bad_request("ends with an assistant message", "messages",
                   messages=ask + [{"role": "assistant", "content": "hi"}])
expect_bad_request("five stop sequences", "stop", messages=ask, stop=["a", "b", "c", "d", "e"])
print("all OpenAI SDK checks passed", flush=True)
