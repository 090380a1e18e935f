//! [`LocalModel`]: a GGUF chat model run in-process with candle, shared by every session.
//!
//! Each request waits for a slot in the [`Queue`], starts from the longest cached attention
//! state whose tokens begin its prompt (the fixed system prompt, or the same session's previous
//! turn), processes only the new tokens, and streams the reply from its own thread. Dropping the
//! stream stops generation at the next token.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use candle_core::Device;
use candle_core::quantized::gguf_file;
use tokenizers::Tokenizer;

use super::decode::{StreamDecoder, token_bytes};
use super::engine::{EventSender, event_channel};
use super::number_constraint::NumberConstraint;
use super::queue::{Queue, QueueLimits, Slot};
use super::sampler::Sampler;
use super::transformer::{KvState, Transformer};
use super::word_constraint::WordConstraint;
use super::{
    ChatModel, ChatTemplate, Error, Event, EventStream, FinishReason, GenerateRequest, JsonSchema,
    JsonState, Message, Result, Role, Usage, tokenizer_from_gguf,
};
use crate::models::ChatModelFiles;

/// How a local model is run.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Where the weights live and the computation runs.
    pub device: Device,
    /// Concurrency and waiting limits.
    pub queue: QueueLimits,
    /// Attention states kept for reuse (each holds one conversation prefix).
    pub prefix_cache_entries: usize,
    /// Prompt tokens are processed in chunks that start at multiples of this many tokens, and
    /// cached prefixes are reused in whole chunks, so a reply is the same with or without the
    /// cache: the same tokens always go through the same computation.
    pub prompt_chunk: usize,
    /// Keep an f32 copy of the weights for prompt processing: `None` decides by size (models
    /// whose f32 copy takes at most [`DENSE_PREFILL_MAX_BYTES`], on CPU).
    pub dense_prefill: Option<bool>,
}

/// Largest f32 copy of the weights kept for prompt processing when not told otherwise.
pub const DENSE_PREFILL_MAX_BYTES: u64 = 1 << 30;

impl Default for LocalOptions {
    fn default() -> LocalOptions {
        LocalOptions {
            device: Device::Cpu,
            queue: QueueLimits::default(),
            prefix_cache_entries: 8,
            prompt_chunk: 64,
            dense_prefill: None,
        }
    }
}

/// A GGUF chat model running in this process.
#[derive(Debug, Clone)]
pub struct LocalModel {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transformer: Transformer,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    token_bytes: Vec<Vec<u8>>,
    end_of_turn: Vec<u32>,
    /// Text of control tokens, removed from what customers write.
    control_texts: Vec<String>,
    description: String,
    cache: Mutex<PrefixCache>,
    queue: Queue,
    prompt_chunk: usize,
    /// Tokens generated since loading, by every request.
    generated_total: AtomicU64,
}

/// Timings of [`LocalModel::bench`].
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Prompt tokens processed.
    pub prompt_tokens: usize,
    /// Time to process them and produce the first token.
    pub prompt_time: Duration,
    /// Tokens generated after the first.
    pub generated_tokens: usize,
    /// Time to generate them.
    pub generation_time: Duration,
    /// Time to first token when everything but the last message is cached.
    pub cached_time_to_first_token: Duration,
    /// Tokens processed in that cached run.
    pub cached_new_tokens: usize,
}

fn model_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Model {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Names of tokens that end an assistant turn in the common chat formats.
const END_OF_TURN_TOKENS: &[&str] = &[
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|end|>",
    "<end_of_turn>",
    "</s>",
];

impl LocalModel {
    /// Loads a GGUF model (and its tokenizer.json when given) onto the device.
    pub fn load(files: &ChatModelFiles, options: LocalOptions) -> Result<LocalModel> {
        let path = files.gguf.as_path();
        let file = File::open(path).map_err(|e| model_error(path, e))?;
        let mut reader = BufReader::new(file);
        let content = gguf_file::Content::read(&mut reader)
            .map_err(|e| model_error(path, format!("not a readable GGUF file: {e}")))?;
        let parameters: u64 = content
            .tensor_infos
            .values()
            .map(|t| t.shape.elem_count() as u64)
            .sum();
        let dense_prefill = options
            .dense_prefill
            .unwrap_or(options.device.is_cpu() && parameters * 4 <= DENSE_PREFILL_MAX_BYTES);
        let transformer =
            Transformer::from_gguf(&content, &mut reader, &options.device, dense_prefill)
                .map_err(|e| model_error(path, e))?;
        let tokenizer = match &files.tokenizer {
            Some(t) => Tokenizer::from_file(t).map_err(|e| model_error(t, e))?,
            None => tokenizer_from_gguf(&content)?,
        };
        let template = ChatTemplate::from_gguf(&content);
        let token_bytes = token_bytes(&tokenizer);
        let mut end_of_turn: Vec<u32> = END_OF_TURN_TOKENS
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect();
        if let Some(eos) = content
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok())
        {
            end_of_turn.push(eos);
        }
        end_of_turn.sort_unstable();
        end_of_turn.dedup();
        let control_texts = tokenizer
            .get_added_tokens_decoder()
            .into_values()
            .filter(|t| t.special && !t.content.is_empty())
            .map(|t| t.content)
            .collect();
        let quantization = content
            .tensor_infos
            .get("blk.0.attn_q.weight")
            .map(|t| format!("{:?}", t.ggml_dtype))
            .unwrap_or_else(|| "?".into());
        let name = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| path.display().to_string());
        let description = format!(
            "{name} ({}, {quantization}, {} layers) on {}",
            transformer.config().architecture,
            transformer.config().layers,
            device_name(&options.device)
        );
        Ok(LocalModel {
            inner: Arc::new(Inner {
                transformer,
                tokenizer,
                template,
                token_bytes,
                end_of_turn,
                control_texts,
                description,
                cache: Mutex::new(PrefixCache::new(options.prefix_cache_entries)),
                queue: Queue::new(options.queue),
                prompt_chunk: options.prompt_chunk.max(1),
                generated_total: AtomicU64::new(0),
            }),
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.inner.tokenizer
    }

    /// The chat template.
    pub fn template(&self) -> &ChatTemplate {
        &self.inner.template
    }

    /// The prompt tokens a conversation renders to (with the assistant's turn opened).
    pub fn prompt_tokens(&self, messages: &[Message]) -> Result<Vec<u32>> {
        self.inner.encode(&self.inner.render(messages, true)?)
    }

    /// Tokens generated since the model was loaded, by every request (for metrics).
    pub fn tokens_generated(&self) -> u64 {
        self.inner.generated_total.load(Ordering::Relaxed)
    }

    /// Requests generating now and requests waiting for a turn.
    pub fn queue_load(&self) -> (usize, usize) {
        self.inner.queue.load()
    }

    /// Processes and keeps the attention state of a conversation prefix (typically the fixed
    /// system prompt), so that requests starting with it skip those tokens. Returns its length
    /// in tokens.
    pub fn warm(&self, messages: &[Message]) -> Result<usize> {
        let inner = &self.inner;
        let text = inner.render(messages, false)?;
        let tokens = inner.encode(&text)?;
        let (mut state, cached) = inner.cached_state(&tokens)?;
        if cached < tokens.len() {
            inner.prefill(&tokens[cached..], &mut state, &|| false)?;
        }
        let exact = tokens.len();
        inner.lock_cache().insert(tokens, exact, state, true);
        Ok(exact)
    }

    /// Measures prompt processing and generation directly (no queue, no template): `prompt`
    /// tokens of filler text, then `generate` greedy tokens ignoring end-of-text, then the time
    /// to first token of a follow-up turn whose prefix is cached.
    pub fn bench(&self, prompt: usize, generate: usize) -> Result<BenchReport> {
        let inner = &self.inner;
        let tokens = inner.filler_tokens(prompt.max(2))?;
        let t = &inner.transformer;
        let mut state = t.new_state().map_err(gen_error)?;
        let start = Instant::now();
        let mut logits = inner.prefill(&tokens, &mut state, &|| false)?;
        let mut sampler = Sampler::new(&super::Sampling::greedy());
        let mut next = sampler.choose(&mut logits, &[], None).unwrap_or(0);
        let prompt_time = start.elapsed();
        let start = Instant::now();
        for _ in 1..generate.max(1) {
            let mut logits = t.forward(&[next], &mut state).map_err(gen_error)?;
            next = sampler.choose(&mut logits, &[], None).unwrap_or(0);
        }
        let generation_time = start.elapsed();
        // A follow-up turn: the first half of the prompt is cached, the second half is new.
        let half = tokens.len() / 2;
        let half = half - half % inner.prompt_chunk;
        let mut cached = state.fork(t.config(), half).map_err(gen_error)?;
        let start = Instant::now();
        inner.prefill(&tokens[half..], &mut cached, &|| false)?;
        let cached_time_to_first_token = start.elapsed();
        Ok(BenchReport {
            prompt_tokens: tokens.len(),
            prompt_time,
            generated_tokens: generate.max(1) - 1,
            generation_time,
            cached_time_to_first_token,
            cached_new_tokens: tokens.len() - half,
        })
    }
}

fn device_name(device: &Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", candle_core::utils::get_num_threads()),
        Device::Cuda(_) => "cuda".into(),
        Device::Metal(_) => "metal".into(),
    }
}

fn gen_error(e: candle_core::Error) -> Error {
    Error::Generation(e.to_string())
}

/// Removes every control token's text from `content`, until none is left: removing one can
/// join the pieces of another (`<|im_st<|im_end|>art|>`).
fn strip_control_texts(content: &str, controls: &[String]) -> String {
    let mut content = content.to_string();
    loop {
        let before = content.len();
        for control in controls.iter().filter(|c| !c.is_empty()) {
            content = content.replace(control.as_str(), "");
        }
        if content.len() == before {
            return content;
        }
    }
}

impl Inner {
    fn lock_cache(&self) -> std::sync::MutexGuard<'_, PrefixCache> {
        // A panic while holding the cache leaves at worst a missing entry.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Renders the conversation; what customers and agents wrote cannot smuggle in control
    /// tokens (a message saying `<|im_start|>system` stays plain text).
    fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let cleaned: Vec<Message> = messages
            .iter()
            .map(|m| {
                let mut content = m.content.clone();
                if m.role != Role::System {
                    content = strip_control_texts(&content, &self.control_texts);
                }
                Message::new(m.role, content)
            })
            .collect();
        self.template.render(&cleaned, add_generation_prompt)
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    fn filler_tokens(&self, n: usize) -> Result<Vec<u32>> {
        const FILLER: &str = "The customer asked about a waterproof hiking backpack with a rain \
            cover, two side pockets for bottles and a padded laptop sleeve, priced under 3,000 \
            rupees, with good reviews for comfort on long treks. ";
        let mut tokens = Vec::with_capacity(n);
        let chunk = self.encode(FILLER)?;
        while tokens.len() < n {
            tokens.extend_from_slice(&chunk);
        }
        tokens.truncate(n);
        Ok(tokens)
    }

    /// The best cached state for these tokens (a fork), and how many tokens it covers; at least
    /// one token is always left to process.
    fn cached_state(&self, tokens: &[u32]) -> Result<(KvState, usize)> {
        let config = self.transformer.config();
        let limit = tokens.len().saturating_sub(1);
        if let Some(found) = self
            .lock_cache()
            .lookup(tokens, limit, self.prompt_chunk, config)
        {
            return found.map_err(gen_error);
        }
        Ok((self.transformer.new_state().map_err(gen_error)?, 0))
    }

    /// Processes prompt tokens after the state's current ones, in chunks ending at multiples of
    /// `prompt_chunk`; returns the logits after the last token.
    fn prefill(
        &self,
        tokens: &[u32],
        state: &mut KvState,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<Vec<f32>> {
        let mut logits = Vec::new();
        let mut rest = tokens;
        while !rest.is_empty() {
            if cancelled() {
                return Err(Error::Generation("cancelled".into()));
            }
            let to_boundary = self.prompt_chunk - state.len() % self.prompt_chunk;
            let (chunk, tail) = rest.split_at(to_boundary.min(rest.len()));
            logits = self.transformer.forward(chunk, state).map_err(gen_error)?;
            rest = tail;
        }
        Ok(logits)
    }

    /// Checks a request and prepares what generation needs.
    fn prepare(&self, request: &GenerateRequest) -> Result<(Vec<u32>, Option<JsonState>)> {
        request.validate()?;
        let json = match &request.json_schema {
            None => None,
            Some(schema) => {
                let mut state = JsonSchema::compile(schema).map_err(Error::Schema)?.start();
                if !state.push_bytes(request.prefill.as_bytes()) {
                    return Err(Error::InvalidRequest(format!(
                        "the prefill {:?} cannot start a document of the schema",
                        request.prefill
                    )));
                }
                Some(state)
            }
        };
        let mut text = self.render(&request.messages, true)?;
        text.push_str(&request.prefill);
        let tokens = self.encode(&text)?;
        let context = self.transformer.config().context_length;
        if tokens.len() + request.max_tokens > context {
            return Err(Error::InvalidRequest(format!(
                "the prompt is {} tokens; with max_tokens {} it exceeds the model's context of {context}",
                tokens.len(),
                request.max_tokens
            )));
        }
        Ok((tokens, json))
    }

    /// Runs one admitted request, sending its events; returns the state to cache.
    fn run(
        &self,
        request: &GenerateRequest,
        prompt: Vec<u32>,
        mut json: Option<JsonState>,
        queued: Duration,
        tx: &EventSender,
    ) -> Result<()> {
        let start = Instant::now();
        let cancelled = || tx.is_closed();
        let (mut state, cached) = self.cached_state(&prompt)?;
        let mut logits = self.prefill(&prompt[cached..], &mut state, &cancelled)?;
        let mut fed = prompt.clone();
        let mut numbers = request
            .grounded_numbers
            .as_deref()
            .map(NumberConstraint::new);
        let mut words = request.grounded_words.clone().map(WordConstraint::new);
        let mut sampler = Sampler::new(&request.sampling);
        let mut decoder = StreamDecoder::new(&request.stop);
        let mut generated = 0usize;
        let mut first_token_at = None;
        if !request.prefill.is_empty() && !send_text(tx, request.prefill.clone()) {
            return Ok(());
        }
        let finish = loop {
            // Tokens that may follow this one: a number is never left half-written at the limit.
            let tokens_left = request.max_tokens.saturating_sub(generated + 1);
            let filter = |id: u32| {
                self.allowed(id, json.as_ref())
                    && numbers
                        .as_ref()
                        .is_none_or(|n| self.numbers_allow(id, n, tokens_left))
                    && words.as_ref().is_none_or(|w| self.words_allow(id, w))
            };
            let constrained = json.is_some() || numbers.is_some() || words.is_some();
            let allowed = constrained.then_some(&filter as &dyn Fn(u32) -> bool);
            let choice = sampler.choose(&mut logits, &fed, allowed);
            first_token_at.get_or_insert_with(Instant::now);
            generated += 1;
            self.generated_total.fetch_add(1, Ordering::Relaxed);
            let Some(token) = choice.filter(|t| !self.end_of_turn.contains(t)) else {
                break FinishReason::EndOfTurn;
            };
            let bytes = &self.token_bytes[token as usize];
            let mut done_json = false;
            if let Some(n) = numbers.as_mut() {
                n.push_bytes(bytes);
            }
            if let Some(w) = words.as_mut() {
                w.push_bytes(bytes);
            }
            if let Some(j) = json.as_mut() {
                j.push_bytes(bytes);
                done_json = j.is_complete() && matches!(bytes.last(), Some(b'}' | b']'));
            }
            let out = decoder.push(bytes);
            if !out.text.is_empty() && !send_text(tx, out.text) {
                return Ok(());
            }
            if out.stopped {
                break FinishReason::Stop;
            }
            if done_json {
                break FinishReason::EndOfTurn;
            }
            if generated >= request.max_tokens {
                break FinishReason::Length;
            }
            if tx.is_closed() {
                return Ok(());
            }
            fed.push(token);
            logits = self
                .transformer
                .forward(&[token], &mut state)
                .map_err(gen_error)?;
        };
        let mut tail = decoder.finish();
        if let Some(j) = &json
            && !j.is_complete()
        {
            // Out of tokens mid-document: close it so the reply still parses.
            tail.push_str(&String::from_utf8_lossy(&j.completion()));
        }
        if !tail.is_empty() && !send_text(tx, tail) {
            return Ok(());
        }
        let first = first_token_at.unwrap_or(start);
        let usage = Usage {
            prompt_tokens: prompt.len(),
            cached_tokens: cached,
            completion_tokens: generated,
            queued,
            time_to_first_token: first - start,
            generation: first.elapsed(),
        };
        tx.send_blocking(Ok(Event::Done { finish, usage }));
        self.lock_cache().insert(fed, prompt.len(), state, false);
        Ok(())
    }

    /// Whether token `id` writes no number outside the grounded ones, and none it could not
    /// finish in the `tokens_left` after it (the end of turn only when no number is left
    /// half-written).
    fn numbers_allow(&self, id: u32, numbers: &NumberConstraint, tokens_left: usize) -> bool {
        if self.end_of_turn.contains(&id) {
            return numbers.may_end();
        }
        self.token_bytes
            .get(id as usize)
            .is_some_and(|bytes| numbers.accepts_within(bytes, tokens_left))
    }

    /// Whether token `id` writes no banned phrase and no name outside its brand's line.
    fn words_allow(&self, id: u32, words: &WordConstraint) -> bool {
        self.end_of_turn.contains(&id)
            || self
                .token_bytes
                .get(id as usize)
                .is_some_and(|bytes| words.accepts(bytes))
    }

    fn allowed(&self, id: u32, json: Option<&JsonState>) -> bool {
        let Some(json) = json else { return true };
        if self.end_of_turn.contains(&id) {
            return json.is_complete();
        }
        match self.token_bytes.get(id as usize) {
            Some(bytes) if !bytes.is_empty() => json.accepts(bytes),
            _ => false,
        }
    }
}

fn send_text(tx: &EventSender, text: String) -> bool {
    tx.send_blocking(Ok(Event::Delta { text }))
}

impl ChatModel for LocalModel {
    fn describe(&self) -> String {
        self.inner.description.clone()
    }

    fn queue_load(&self) -> Option<(usize, usize)> {
        Some(LocalModel::queue_load(self))
    }

    fn tokens_generated(&self) -> Option<u64> {
        Some(LocalModel::tokens_generated(self))
    }

    fn grounds_tokens(&self) -> bool {
        true
    }

    fn token_ends(&self, text: &str) -> Option<Vec<usize>> {
        let encoding = self.inner.tokenizer.encode(text, false).ok()?;
        let ends: Vec<usize> = encoding
            .get_offsets()
            .iter()
            .map(|&(_, end)| {
                // A byte-level token can end inside a character: count it at the character's end.
                let mut end = end.min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                end
            })
            .collect();
        Some(ends)
    }

    fn generate(&self, request: GenerateRequest) -> Result<EventStream> {
        let (prompt, json) = self.inner.prepare(&request)?;
        let ticket = self.inner.queue.enter()?;
        let (tx, stream) = event_channel();
        let inner = Arc::clone(&self.inner);
        let entered = Instant::now();
        std::thread::Builder::new()
            .name("shopclerk-generate".into())
            .spawn(move || {
                let slot: Slot = match ticket.wait() {
                    Ok(slot) => slot,
                    Err(e) => {
                        tx.send_blocking(Err(e));
                        return;
                    }
                };
                let queued = entered.elapsed();
                if let Err(e) = inner.run(&request, prompt, json, queued, &tx) {
                    tx.send_blocking(Err(e));
                }
                drop(slot);
            })
            .map_err(|e| Error::Generation(format!("cannot start a generation thread: {e}")))?;
        Ok(stream)
    }
}

/// Attention states of recent prompts, looked up by longest common token prefix.
#[derive(Debug)]
struct PrefixCache {
    entries: Vec<CacheEntry>,
    capacity: usize,
    clock: u64,
}

#[derive(Debug)]
struct CacheEntry {
    tokens: Vec<u32>,
    /// The leading tokens computed by prompt processing; generated tokens after them went
    /// through the one-token path, whose arithmetic differs slightly, so they are not reused.
    exact: usize,
    state: KvState,
    last_used: u64,
    pinned: bool,
}

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl PrefixCache {
    fn new(capacity: usize) -> PrefixCache {
        PrefixCache {
            entries: Vec::new(),
            capacity,
            clock: 0,
        }
    }

    /// A fork of the entry sharing the longest prefix with `tokens`: at most `limit` tokens,
    /// in whole chunks of `chunk`.
    fn lookup(
        &mut self,
        tokens: &[u32],
        limit: usize,
        chunk: usize,
        config: &super::transformer::Config,
    ) -> Option<candle_core::Result<(KvState, usize)>> {
        self.clock += 1;
        let usable = |e: &CacheEntry| {
            let n = common_prefix(&e.tokens, tokens).min(limit).min(e.exact);
            n - n % chunk
        };
        let (best, shared) = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, usable(e)))
            .max_by_key(|&(_, n)| n)?;
        if shared == 0 {
            return None;
        }
        let entry = &mut self.entries[best];
        entry.last_used = self.clock;
        Some(entry.state.fork(config, shared).map(|s| (s, shared)))
    }

    fn insert(&mut self, tokens: Vec<u32>, exact: usize, state: KvState, pinned: bool) {
        if self.capacity == 0 || tokens.is_empty() {
            return;
        }
        self.clock += 1;
        // A conversation's new turn replaces its previous one.
        self.entries.retain(|e| {
            e.pinned || !(e.tokens.len() <= tokens.len() && tokens.starts_with(&e.tokens))
        });
        if let Some(same) = self.entries.iter_mut().find(|e| e.tokens == tokens) {
            same.last_used = self.clock;
            same.pinned |= pinned;
            return;
        }
        while self.entries.len() >= self.capacity {
            let victim = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.pinned)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(i, _)| i);
            match victim {
                Some(i) => {
                    self.entries.swap_remove(i);
                }
                None => return,
            }
        }
        self.entries.push(CacheEntry {
            tokens,
            exact,
            state,
            last_used: self.clock,
            pinned,
        });
    }
}
