//! `shopclerk chat`, `eval understand` and `reviews analyze`: the conversation from the
//! command line.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use shopclerk::config::Config;
use shopclerk::dialogue::{Assistant, Delivery, Session, TurnEvent, TurnRecord, Writer};
use shopclerk::embed::Embedder;
use shopclerk::llm::{ChatModel, Message, Role};
use shopclerk::prompts::Prompts;
use shopclerk::recommend::{Recommender, Suggestion};
use shopclerk::reviews::{self, ReviewSummary};
use shopclerk::search::{HybridSearcher, ProductIndex};
use shopclerk::understand::{self, LlmUnderstanding, Understander};

use super::{load_embedder, open_index};

pub use shopclerk::reviews::REVIEWS_FILE;

/// Flags of `shopclerk chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Index directory.
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Run the turns of this JSON-lines file (`{"user": "..."}` per line) in one session.
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// With --script: print one JSON object per turn.
    #[arg(long)]
    pub json: bool,
    /// Write every reply with the composer, without loading the chat model.
    #[arg(long)]
    pub no_model: bool,
    /// Session id (picks the A/B arm).
    #[arg(long, default_value = "cli")]
    pub session: String,
    /// A returning customer (a `customer_id` of the index's orders): their purchase history
    /// shapes the cross-sell.
    #[arg(long)]
    pub customer: Option<String>,
}

/// Flags of `shopclerk eval understand`.
#[derive(Debug, Args)]
pub struct EvalUnderstandArgs {
    /// Index directory (its brands and categories).
    #[arg(long)]
    index: Option<PathBuf>,
    /// Labelled messages (JSON lines `{"text", "intent", "slots"}`).
    #[arg(long, default_value = "tests/data/understanding.jsonl")]
    set: PathBuf,
    /// Rules and embeddings only (skip the rows that load the chat model).
    #[arg(long)]
    no_model: bool,
    /// Print every message the first setup gets wrong.
    #[arg(long)]
    errors: bool,
    /// Multi-turn scripts with the search state expected after each turn (see
    /// tests/data/README_replies.md), run over the same index; `none` skips them.
    #[arg(long, default_value = "tests/data/state_demo.jsonl")]
    states: PathBuf,
}

/// Flags of `shopclerk eval replies`.
#[derive(Debug, Args)]
pub struct EvalRepliesArgs {
    /// Index directory of the catalog the set was written for.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Labelled scripts (JSON lines; see tests/data/README_replies.md).
    #[arg(long, default_value = "tests/data/replies_demo.jsonl")]
    set: PathBuf,
    /// Who writes the replies; without a chat model (`--no-model`) only the composer.
    #[arg(long, value_enum)]
    writer: Option<Writer>,
    /// The composer alone, without loading the chat model.
    #[arg(long)]
    no_model: bool,
    /// Print every failing turn with its reply and what failed.
    #[arg(long)]
    errors: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `shopclerk eval replies`: the rubric pass rate, overall and per intent.
pub fn eval_replies(config: &Config, args: &EvalRepliesArgs, progress: bool) -> Result<()> {
    let scripts = shopclerk::dialogue::eval::read_set(&args.set)?;
    let mut config = config.clone();
    if let Some(w) = args.writer {
        config.dialogue.writer = w;
        config.dialogue.writer_by_intent.clear();
    }
    let index = open_index(&config, &args.index)?;
    let embedder = load_embedder(&config, progress)?;
    let with_model = !args.no_model
        && (config.dialogue.writer != Writer::Composer
            || !config.dialogue.writer_by_intent.is_empty());
    let assistant = load_assistant(&config, index, embedder, with_model, progress)?;
    let report = shopclerk::dialogue::eval::evaluate(&assistant, &scripts)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if args.errors {
        for t in report
            .turns
            .iter()
            .filter(|t| !t.failures.is_empty() || !t.state_failures.is_empty())
        {
            println!(
                "[{}] {:?} ({} understood as {})",
                t.script,
                t.user,
                t.intent.name(),
                t.understood.name()
            );
            println!("    reply: {}", t.reply);
            println!("    shown: {}", t.shown.join(" | "));
            for f in t.state_failures.iter().chain(&t.failures) {
                println!("    - {f}");
            }
        }
        println!();
    }
    let writer = if with_model {
        format!("{:?}", config.dialogue.writer).to_lowercase()
    } else {
        "composer".into()
    };
    println!(
        "{} turns in {} scripts, {} (writer: {writer})",
        report.turns.len(),
        scripts.len(),
        args.set.display()
    );
    println!(
        "{:<22} {:>6} {:>7} {:>7}",
        "intent", "turns", "passed", "rate"
    );
    for (intent, (n, passed)) in report.by_intent() {
        println!(
            "{:<22} {n:>6} {passed:>7} {:>7.3}",
            intent.name(),
            passed as f64 / n.max(1) as f64
        );
    }
    let passed = report
        .turns
        .iter()
        .filter(|t| t.failures.is_empty())
        .count();
    println!(
        "{:<22} {:>6} {passed:>7} {:>7.3}",
        "all",
        report.turns.len(),
        report.pass_rate()
    );
    let (accuracy, labelled) = report.state_accuracy();
    if labelled > 0 {
        println!("per-turn state accuracy over {labelled} labelled turns: {accuracy:.3}");
    }
    Ok(())
}

/// Flags of `shopclerk reviews analyze`.
#[derive(Debug, Args)]
pub struct ReviewsAnalyzeArgs {
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Print this product's analysis.
    #[arg(long)]
    show: Vec<String>,
}

/// The configured chat model, its prefix cache warmed with the system prompt.
fn load_model(config: &Config, prompts: &Prompts, progress: bool) -> Result<Arc<dyn ChatModel>> {
    if config.llm.server.is_some() {
        return Ok(Arc::from(super::llm::chat_model(config, progress)?));
    }
    let (model, _) = super::llm::load_local_model(config, progress)?;
    model.warm(&[Message::new(Role::System, prompts.system()?)])?;
    Ok(Arc::new(model))
}

/// Everything a conversation needs, over an open index and its embedder.
pub fn load_assistant(
    config: &Config,
    index: Arc<ProductIndex>,
    embedder: Arc<dyn Embedder>,
    with_model: bool,
    progress: bool,
) -> Result<Assistant> {
    let prompts = Arc::new(Prompts::load(&config.dialogue.prompts_dir)?);
    let model = if with_model {
        Some(load_model(config, &prompts, progress)?)
    } else {
        None
    };
    assemble_assistant(config, index, embedder, model)
}

/// The assistant over `index` with models already loaded: search, recommender (with the
/// generation's review analysis, or one computed now), understanding and prompts. What an
/// index hot swap rebuilds.
pub fn assemble_assistant(
    config: &Config,
    index: Arc<ProductIndex>,
    embedder: Arc<dyn Embedder>,
    model: Option<Arc<dyn ChatModel>>,
) -> Result<Assistant> {
    let fusion = config.fusion().map_err(anyhow::Error::msg)?;
    let searcher = Arc::new(HybridSearcher::new(
        index.clone(),
        embedder.clone(),
        fusion,
    )?);
    // The recommender reads the stored review analysis; without one it is computed now.
    let recommender = Arc::new(Recommender::open(
        index.clone(),
        config.recommend.clone(),
        embedder.as_ref(),
    )?);
    if recommender.reviews().is_empty() {
        tracing::info!(
            "no {REVIEWS_FILE} in the index: analysing reviews now (run `shopclerk reviews analyze` to store it)"
        );
        recommender.set_reviews(index.products().iter().map(reviews::analyze).collect());
    }
    let prompts = Arc::new(Prompts::load(&config.dialogue.prompts_dir)?);
    let understander = Arc::new(Understander::for_index(
        &index,
        embedder,
        model.clone(),
        prompts.clone(),
        config.understand.clone(),
    )?);
    Ok(Assistant::new(
        searcher,
        recommender,
        understander,
        model,
        prompts,
        config.dialogue.clone(),
    )?)
}

/// `shopclerk chat`: a REPL, or a script of turns.
pub fn chat(config: &Config, args: &ChatArgs, progress: bool) -> Result<()> {
    let index = open_index(config, &args.index)?;
    let embedder = load_embedder(config, progress)?;
    let assistant = load_assistant(config, index, embedder, !args.no_model, progress)?;
    if args.customer.is_some() {
        super::recommend::stored_customers(config, assistant.recommender())?;
    }
    run_chat(&assistant, args)
}

/// Runs the chat over a loaded assistant: the script when given, else a REPL on stdin.
pub fn run_chat(assistant: &Assistant, args: &ChatArgs) -> Result<()> {
    let mut session = Session::new(args.session.clone());
    session.customer_id = args.customer.clone();
    if let Some(script) = &args.script {
        for (line_no, message) in read_script(script)? {
            if !args.json {
                println!("you> {message}");
            }
            let record = run_turn(assistant, &mut session, &message, !args.json)
                .with_context(|| format!("{} line {line_no}", script.display()))?;
            if args.json {
                println!("{}", serde_json::to_string(&record)?);
            }
        }
        return Ok(());
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        println!("Chat with the shop assistant. An empty line or Ctrl-D quits.");
    }
    loop {
        print!("you> ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            println!();
            return Ok(());
        }
        run_turn(assistant, &mut session, line.trim(), true)?;
    }
}

/// The messages of a script file, with their line numbers.
fn read_script(path: &Path) -> Result<Vec<(usize, String)>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        user: String,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading script {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let line: Line = serde_json::from_str(l).with_context(|| {
                format!(
                    "{} line {}: expected {{\"user\": \"...\"}}",
                    path.display(),
                    i + 1
                )
            })?;
            Ok((i + 1, line.user))
        })
        .collect()
}

/// One turn, printed as it streams when `print` is set.
fn run_turn(
    assistant: &Assistant,
    session: &mut Session,
    message: &str,
    print: bool,
) -> Result<TurnRecord> {
    let mut out = std::io::stdout();
    let mut started_text = false;
    let mut on_event = |event: TurnEvent| {
        if !print {
            return;
        }
        match event {
            TurnEvent::Products { products } => {
                for (i, p) in products.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, super::product_line(p));
                }
            }
            TurnEvent::Token { text } => {
                if !started_text {
                    let _ = write!(out, "shop> ");
                    started_text = true;
                }
                let _ = write!(out, "{text}");
                let _ = out.flush();
            }
            // Not sent to a turn delivered by sentences, as here; shown whole if it were.
            TurnEvent::Replace { text } => {
                let _ = write!(out, "\nshop> {text}");
                let _ = out.flush();
            }
            TurnEvent::Understood { .. } | TurnEvent::Suggestions { .. } => {}
        }
    };
    let record = assistant.turn(session, message, &mut on_event)?;
    if print {
        println!();
        print_suggestions("goes with", &record.cross_sell);
        print_suggestions("step up", &record.upsell);
    }
    Ok(record)
}

fn print_suggestions(label: &str, suggestions: &[Suggestion]) {
    for s in suggestions {
        println!(
            "  + {label}: {}  ({})",
            super::product_line(&s.product),
            s.reason.text
        );
    }
}

/// `shopclerk eval understand`: intent accuracy and slot F1 per setup.
pub fn eval_understand(config: &Config, args: &EvalUnderstandArgs, progress: bool) -> Result<()> {
    let index = open_index(config, &args.index)?;
    let gold = understand::eval::read_labelled(&args.set)?;
    let embedder = load_embedder(config, progress)?;
    let prompts = Arc::new(Prompts::load(&config.dialogue.prompts_dir)?);
    let model = if args.no_model {
        None
    } else {
        Some(load_model(config, &prompts, progress)?)
    };
    let searcher = HybridSearcher::new(
        index.clone(),
        embedder.clone(),
        config.fusion().map_err(anyhow::Error::msg)?,
    )?;
    let mut understander =
        Understander::for_index(&index, embedder, model, prompts, config.understand.clone())?;
    let mut setups = vec![("rules + embeddings", LlmUnderstanding::Never)];
    if !args.no_model {
        setups.push(("+ model when unsure", LlmUnderstanding::Fallback));
        setups.push(("+ model always", LlmUnderstanding::Always));
    }
    let mut rows = Vec::new();
    for (name, llm) in setups {
        understander.set_llm(llm);
        let u = &understander;
        let started = Instant::now();
        // As a conversation does: a search, or a purchase, naming a product takes the
        // category its best matches vote for (`search::categorise`); the conversation looks
        // up no product for the other intents' words.
        let predicted = gold
            .iter()
            .map(|g| -> Result<_> {
                let mut p = u.understand(&g.text)?;
                if p.names_product
                    && matches!(
                        p.intent,
                        understand::Intent::Search | understand::Intent::PurchaseDone
                    )
                {
                    let content =
                        shopclerk::dialogue::content_words(&p.query, p.slots.brand.as_deref());
                    p.category_path = shopclerk::search::categorise(
                        &searcher,
                        &p.query,
                        p.query_vector.as_deref(),
                        p.category_path.take(),
                        &content,
                    )?;
                    p.slots.category = p.category_path.as_ref().and_then(|c| c.last().cloned());
                }
                Ok(p)
            })
            .collect::<Result<Vec<_>>>()?;
        let per_message = started.elapsed().as_secs_f64() * 1000.0 / gold.len().max(1) as f64;
        let scores = understand::eval::score(&gold, &predicted);
        if args.errors && rows.is_empty() {
            for (g, p) in gold.iter().zip(&predicted) {
                // As scored: in canonical spelling.
                let attrs = |v: &[String]| {
                    let mut v: Vec<String> = v
                        .iter()
                        .map(|a| understand::parse::canonical_attribute(a))
                        .collect();
                    v.sort();
                    v
                };
                let text: String = g.text.chars().take(60).collect();
                let misses = [
                    (
                        "attributes",
                        attrs(&g.slots.attributes) != attrs(&p.slots.attributes),
                        format!("{:?}", g.slots.attributes),
                        format!("{:?}", p.slots.attributes),
                    ),
                    (
                        "references",
                        g.slots.references != p.slots.references,
                        format!("{:?}", g.slots.references),
                        format!("{:?}", p.slots.references),
                    ),
                    (
                        "direction",
                        g.slots.direction != p.slots.direction,
                        format!("{:?}", g.slots.direction),
                        format!("{:?}", p.slots.direction),
                    ),
                ];
                for (slot, differ, gold, got) in misses {
                    if differ {
                        println!("{text:<60} {slot} gold {gold} got {got}");
                    }
                }
                // A category is right when it is on the predicted path (as scored).
                let category_right = match (&g.slots.category, &p.category_path) {
                    (Some(g), Some(path)) => path.iter().any(|c| c.eq_ignore_ascii_case(g)),
                    (None, None) => true,
                    _ => false,
                };
                if g.intent != p.intent || !category_right {
                    println!(
                        "{:<60} gold {:<20} got {:<20} {:?} -> {:?}",
                        g.text.chars().take(60).collect::<String>(),
                        g.intent.name(),
                        p.intent.name(),
                        g.slots.category,
                        p.category_path.as_ref().and_then(|c| c.last()),
                    );
                }
            }
        }
        rows.push((format!("{name} ({per_message:.0} ms)"), scores));
    }
    println!(
        "understanding, {} labelled messages ({}):",
        gold.len(),
        args.set.display()
    );
    print!("{}", understand::eval::format_table(&rows));
    if args.states.as_os_str() != "none" {
        let scripts = shopclerk::dialogue::eval::read_set(&args.states)?;
        let index = open_index(config, &args.index)?;
        let embedder = load_embedder(config, progress)?;
        let assistant = load_assistant(config, index, embedder, false, progress)?;
        let report = shopclerk::dialogue::eval::evaluate(&assistant, &scripts)?;
        if args.errors {
            print_state_errors(&report);
        }
        let (accuracy, labelled) = report.state_accuracy();
        println!(
            "conversation state, {labelled} labelled turns in {} scripts ({}): per-turn state accuracy {accuracy:.3}; turns passing every product check {:.3}",
            scripts.len(),
            args.states.display(),
            report.pass_rate()
        );
    }
    Ok(())
}

/// Every turn whose state or product checks failed.
fn print_state_errors(report: &shopclerk::dialogue::eval::Report) {
    for t in report
        .turns
        .iter()
        .filter(|t| !t.state_failures.is_empty() || !t.failures.is_empty())
    {
        println!("[{}] {:?} ({})", t.script, t.user, t.understood.name());
        println!("    shown: {}", t.shown.join(" | "));
        for f in t.state_failures.iter().chain(&t.failures) {
            println!("    - {f}");
        }
    }
}

/// `shopclerk reviews analyze`: aspect sentiment and summaries, stored with the index.
pub fn reviews_analyze(config: &Config, args: &ReviewsAnalyzeArgs) -> Result<()> {
    let index = open_index(config, &args.index)?;
    let started = Instant::now();
    let summaries: Vec<ReviewSummary> = index.products().iter().map(reviews::analyze).collect();
    let path = index.generation_dir().join(REVIEWS_FILE);
    reviews::write(&path, &summaries)?;
    let with_reviews = summaries.iter().filter(|s| s.reviews > 0).count();
    println!(
        "{} products analysed ({with_reviews} with reviews) in {:.2}s -> {}",
        summaries.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    let agreement = reviews::agreement(index.products(), &summaries);
    println!(
        "agreement with star ratings over {} products: Pearson {:.3}, Spearman {:.3}; polarity (>= 4.0 vs < 3.5) {:.1}% of {}",
        agreement.products,
        agreement.pearson,
        agreement.spearman,
        100.0 * agreement.polarity_accuracy,
        agreement.polarity_products
    );
    println!("{:<16} {:>9} {:>12}", "aspect", "products", "r(rating)");
    for (aspect, n, r) in &agreement.per_aspect {
        println!("{aspect:<16} {n:>9} {r:>12.3}");
    }
    for id in &args.show {
        match summaries.iter().find(|s| &s.product_id == id) {
            Some(s) => println!("{}", serde_json::to_string_pretty(s)?),
            None => println!("{id}: not in the index"),
        }
    }
    Ok(())
}

impl ReviewsAnalyzeArgs {
    /// Analyse the index at `index`, printing no product.
    pub fn for_index(index: PathBuf) -> ReviewsAnalyzeArgs {
        ReviewsAnalyzeArgs {
            index: Some(index),
            show: Vec::new(),
        }
    }
}

/// Flags of `shopclerk bench chat`.
#[derive(Debug, Args)]
pub struct BenchChatArgs {
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    /// The turns to run in one session (`{"user": "..."}` per line).
    #[arg(long, default_value = "benches/chat_50.jsonl")]
    script: PathBuf,
    /// Who writes the replies (default: the configured `[dialogue] writer`).
    #[arg(long, value_enum)]
    writer: Option<Writer>,
}

/// `shopclerk bench chat`: per-turn latency and grounding over a script, with the model.
pub fn bench_chat(config: &Config, args: &BenchChatArgs, progress: bool) -> Result<()> {
    let mut config = config.clone();
    if let Some(w) = args.writer {
        config.dialogue.writer = w;
        config.dialogue.writer_by_intent.clear();
    }
    let config = &config;
    let index = open_index(config, &args.index)?;
    let embedder = load_embedder(config, progress)?;
    let assistant = load_assistant(config, index, embedder, true, progress)?;
    let turns = read_script(&args.script)?;
    let mut session = Session::new("bench");
    let mut records = Vec::new();
    for (_, message) in &turns {
        // As the chat widget gets it: a local model's tokens as they come.
        records.push(assistant.turn_with(&mut session, message, Delivery::Tokens, &mut |_| {})?);
    }
    let pick = |f: &dyn Fn(&TurnRecord) -> f64, only_model: bool| -> Vec<f64> {
        let mut v: Vec<f64> = records
            .iter()
            .filter(|r| !only_model || r.grounding.model)
            .map(f)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let pct = |v: &[f64], q: f64| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        v[((v.len() - 1) as f64 * q).round() as usize]
    };
    let model_turns = records.iter().filter(|r| r.grounding.model).count();
    println!(
        "{} turns ({} written by the model, the rest by the composer), {}",
        records.len(),
        model_turns,
        args.script.display()
    );
    println!("{:<34} {:>9} {:>9}", "milliseconds", "p50", "p95");
    type Column<'a> = &'a dyn Fn(&TurnRecord) -> f64;
    let rows: [(&str, Column, bool); 6] = [
        ("understand", &|r| r.timings_ms.understand, false),
        ("retrieve", &|r| r.timings_ms.retrieve, false),
        ("recommend", &|r| r.timings_ms.recommend, false),
        (
            "products + suggestions ready",
            &|r| r.timings_ms.ready,
            false,
        ),
        (
            "first token, all turns",
            &|r| r.timings_ms.first_token,
            false,
        ),
        (
            "first token, model turns",
            &|r| r.timings_ms.first_token,
            true,
        ),
    ];
    for (name, f, only_model) in rows {
        let v = pick(f, only_model);
        println!("{name:<34} {:>9.1} {:>9.1}", pct(&v, 0.5), pct(&v, 0.95));
    }
    let v = pick(&|r| r.timings_ms.total, false);
    println!(
        "{:<34} {:>9.1} {:>9.1}",
        "whole turn",
        pct(&v, 0.5),
        pct(&v, 0.95)
    );
    let removed = records.iter().filter(|r| r.grounding.removed > 0).count();
    let fallback = records.iter().filter(|r| r.grounding.fallback).count();
    let share = |n: usize| 100.0 * n as f64 / model_turns.max(1) as f64;
    let sentences: usize = records.iter().map(|r| r.grounding.sentences).sum();
    let removed_sentences: usize = records.iter().map(|r| r.grounding.removed).sum();
    let cut = records.iter().filter(|r| r.grounding.cut).count();
    let replaced = records.iter().filter(|r| r.grounding.replaced > 0).count();
    println!(
        "grounding over {model_turns} model replies: {removed} needed a removal ({:.0}%), {fallback} fell back to the composer ({:.0}%); {removed_sentences} of {sentences} model sentences removed ({:.1}%); {cut} cut at the token limit, their unfinished last sentence dropped ({:.0}%); {replaced} took back text already streamed ({:.0}%)",
        share(removed),
        share(fallback),
        100.0 * removed_sentences as f64 / sentences.max(1) as f64,
        share(cut),
        share(replaced)
    );
    Ok(())
}
