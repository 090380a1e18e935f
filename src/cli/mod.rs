//! Command-line interface: parses flags, calls the library, prints results.

mod dialogue;
mod embed;
mod llm;
mod recommend;
mod serve;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use shopclerk::catalog::{self, Format, LoadOptions, ProductView};
use shopclerk::config::Config;
use shopclerk::embed::{self as embedding, Embedder};
use shopclerk::models::{self, DEFAULT_EMBEDDER};
use shopclerk::search::{
    self, BuildOptions, Filter, Fusion, HybridSearcher, ProductIndex, Retriever,
};

/// shopclerk: a shop assistant with hybrid product search, cross-sell and upsell.
#[derive(Debug, Parser)]
#[command(name = "shopclerk", version, about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// Config file (default: ./shopclerk.toml when present).
    #[arg(long, global = true, env = "SHOPCLERK_CONFIG")]
    config: Option<PathBuf>,
    /// Models directory (overrides config and SHOPCLERK_MODELS).
    #[arg(long, global = true)]
    models_dir: Option<PathBuf>,
    /// Embedder: a directory, a name in the models directory, a Hugging Face repo id.
    #[arg(long, global = true)]
    embedder: Option<String>,
    /// What runs the embedder: auto (ONNX Runtime on a CPU where it can), onnx, candle.
    #[arg(long, global = true, value_enum)]
    embedder_runtime: Option<embedding::Runtime>,
    /// Chat model: a GGUF file, a name in the models directory, a Hugging Face repo id.
    #[arg(long, global = true)]
    model: Option<String>,
    /// Compute device: auto, cpu, cuda, cuda:N.
    #[arg(long, global = true)]
    device: Option<String>,
    /// Never fetch models from the network.
    #[arg(long, global = true)]
    offline: bool,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch the models, index the demo catalog (data/) and serve the shop page, chat widget
    /// and agent console over it.
    Demo {
        /// Rebuild the demo index even if it is up to date.
        #[arg(long)]
        rebuild: bool,
        /// Open the command-line chat instead of the server (without a terminal, play
        /// data/demo_chat.jsonl).
        #[arg(long)]
        chat: bool,
        /// Address to listen on (host:port).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Serve the chat API, the widget, the agent console and the demo shop page.
    Serve(serve::ServeArgs),
    /// Serve the shop's MCP tools (search, product, recommend, compare, questions, cart) over
    /// stdio, for a local agent host.
    Mcp(serve::McpArgs),
    /// Build (or update) an index from catalog files.
    Index(IndexArgs),
    /// Search an index.
    Search(SearchArgs),
    /// Manage models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Measure quality.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Show configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Cross-sell and upsell suggestions for one or more products.
    Recommend(recommend::RecommendArgs),
    /// A/B tests of recommendation strategies.
    Ab {
        #[command(subcommand)]
        command: AbCommand,
    },
    /// Chat with the shop assistant (a REPL, or a script of turns).
    Chat(dialogue::ChatArgs),
    /// Customer reviews.
    Reviews {
        #[command(subcommand)]
        command: ReviewsCommand,
    },
    /// Stream the chat model's reply to one message.
    Generate(llm::GenerateArgs),
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AbCommand {
    /// Per-arm impressions, click-through and conversion with confidence intervals.
    Report(recommend::AbReportArgs),
}

#[derive(Debug, Subcommand)]
enum ReviewsCommand {
    /// Aspect sentiment and a summary per product, stored with the index.
    Analyze(dialogue::ReviewsAnalyzeArgs),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Chat model: load time, prompt and generation tokens/s, time to first token.
    Llm(llm::BenchLlmArgs),
    /// Conversation: per-turn latency (p50, p95) and grounding over a script of turns.
    Chat(dialogue::BenchChatArgs),
    /// Embedder: embeddings per second over a file of texts or a catalog's index texts.
    Embed(embed::BenchEmbedArgs),
}

#[derive(Debug, Args)]
struct IndexArgs {
    /// Catalog files (JSONL, Amazon.in CSV, Amazon 2018 .json.gz, Instacart CSV, a JSON array such as Decathlon's or Best Buy's).
    #[arg(long = "catalog", required = true, num_args = 1..)]
    catalogs: Vec<PathBuf>,
    /// Order files (canonical orders JSONL or Instacart order lines) for co-purchase data.
    #[arg(long = "orders", num_args = 1..)]
    orders: Vec<PathBuf>,
    /// Index directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Format of every file, instead of detecting it.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Stop at the first bad row instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Apply the files as changes to the existing index (upserts, deletions, new orders).
    #[arg(long)]
    incremental: bool,
    /// Print every rejected row, not just the first 20.
    #[arg(long)]
    all_errors: bool,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Category name or path prefix ("USBCables", "Electronics|Headphones").
    #[arg(long)]
    category: Option<String>,
    /// Lowest price, in currency units.
    #[arg(long)]
    min_price: Option<f64>,
    /// Highest price, in currency units.
    #[arg(long)]
    max_price: Option<f64>,
    /// Lowest average rating.
    #[arg(long)]
    min_rating: Option<f32>,
    /// Only products in stock.
    #[arg(long)]
    in_stock: bool,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            category: self.category.clone(),
            category_path: None,
            min_price: self.min_price,
            max_price: self.max_price,
            min_rating: self.min_rating,
            in_stock: self.in_stock,
        }
    }
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// What to search for.
    query: String,
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Number of results.
    #[arg(long)]
    limit: Option<usize>,
    /// Fusion: bm25, dense, rrf[:k], weighted[:alpha], bm25-fallback.
    #[arg(long)]
    fusion: Option<Fusion>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Fetch (and convert) the chat model and the embedder into the models directory.
    Fetch {
        /// Chat model (default SmolLM2-135M-Instruct, converted to Q8_0).
        #[arg(long)]
        chat: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Search quality of every fusion strategy on a judged query set.
    Search {
        /// Index directory.
        #[arg(long)]
        index: Option<PathBuf>,
        /// Judged queries (JSON lines).
        #[arg(long, default_value = "tests/data/search_queries.jsonl")]
        queries: PathBuf,
        /// Which queries of the set: those whose "catalog" is this.
        #[arg(long, default_value = "demo")]
        set: String,
        /// Cut-off rank.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cross-sell against real baskets: every baseline and the blend, plus a cold-start run.
    CrossSell(recommend::EvalCrossSellArgs),
    /// Upsell promises (category, price band, rating) over a catalog, coverage and uplift.
    Upsell(recommend::EvalUpsellArgs),
    /// Cross-sell judged by product type: precision@k, substitutes and anchors left empty.
    Complements(recommend::EvalComplementsArgs),
    /// Intent accuracy and slot F1 on a labelled message set, rules alone and with the model.
    Understand(dialogue::EvalUnderstandArgs),
    /// The reply rubric on labelled scripts: the share of turns whose reply passes every check.
    Replies(dialogue::EvalRepliesArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration as TOML.
    Print,
}

/// Entry point: runs the command, prints errors with their causes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHOPCLERK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn config(global: &Global) -> Result<Config> {
    let mut config = Config::load(global.config.as_deref())?;
    if let Some(d) = &global.models_dir {
        config.models_dir = d.clone();
    }
    if let Some(e) = &global.embedder {
        config.embedder = Some(e.clone());
    }
    if let Some(r) = global.embedder_runtime {
        config.embedder_runtime = r;
    }
    if let Some(d) = &global.device {
        config.device = d.clone();
    }
    if let Some(m) = &global.model {
        config.chat_model = Some(m.clone());
    }
    config.offline |= global.offline;
    Ok(config)
}

fn run(cli: Cli) -> Result<()> {
    let config = config(&cli.global)?;
    let progress = !cli.global.quiet && std::io::stderr().is_terminal();
    match cli.command {
        Command::Demo {
            rebuild,
            chat,
            listen,
        } => demo(&config, rebuild, chat, listen, progress),
        Command::Serve(args) => serve::serve(&config, &args, progress),
        Command::Mcp(args) => serve::mcp(&config, &args),
        Command::Index(args) => index(&config, &args, progress),
        Command::Search(args) => search_command(&config, &args),
        Command::Models {
            command: ModelsCommand::Fetch { chat },
        } => {
            let resolver = config.resolver(!cli.global.quiet);
            let chat_files =
                resolver.chat_model(chat.as_deref().or(config.chat_model.as_deref()))?;
            println!("chat model: {}", chat_files.gguf.display());
            let emb = resolver.embedder(config.embedder.as_deref())?;
            println!(
                "embedder:   {}",
                emb.tokenizer.parent().unwrap_or(Path::new(".")).display()
            );
            // The runtime the embedder will use, fetched now so that later runs need no network.
            let embedder = load_embedder(&config, !cli.global.quiet)?;
            println!("embedder runtime: {}", embedder.runtime());
            Ok(())
        }
        Command::Eval {
            command:
                EvalCommand::Search {
                    index,
                    queries,
                    set,
                    k,
                    json,
                },
        } => {
            let index_dir = index.unwrap_or_else(|| config.index_dir.clone());
            eval_search(&config, &index_dir, &queries, &set, k, json)
        }
        Command::Eval {
            command: EvalCommand::CrossSell(args),
        } => recommend::eval_cross_sell(&config, &args),
        Command::Eval {
            command: EvalCommand::Upsell(args),
        } => recommend::eval_upsell(&config, &args),
        Command::Eval {
            command: EvalCommand::Complements(args),
        } => recommend::eval_complements(&config, &args),
        Command::Recommend(args) => recommend::recommend(&config, &args),
        Command::Ab {
            command: AbCommand::Report(args),
        } => recommend::ab_report(&args),
        Command::Eval {
            command: EvalCommand::Understand(args),
        } => dialogue::eval_understand(&config, &args, progress),
        Command::Eval {
            command: EvalCommand::Replies(args),
        } => dialogue::eval_replies(&config, &args, progress),
        Command::Chat(args) => dialogue::chat(&config, &args, progress),
        Command::Reviews {
            command: ReviewsCommand::Analyze(args),
        } => dialogue::reviews_analyze(&config, &args),
        Command::Generate(args) => llm::generate(&config, &args, progress),
        Command::Bench {
            command: BenchCommand::Llm(args),
        } => llm::bench(&config, &args, progress),
        Command::Bench {
            command: BenchCommand::Chat(args),
        } => dialogue::bench_chat(&config, &args, progress),
        Command::Bench {
            command: BenchCommand::Embed(args),
        } => embed::bench_embed(&config, &args, progress),
        Command::Config {
            command: ConfigCommand::Print,
        } => {
            print!("{}", toml::to_string_pretty(&config)?);
            Ok(())
        }
    }
}

/// Loads the configured embedder (fetching the default on first use).
fn load_embedder(config: &Config, progress: bool) -> Result<Arc<dyn Embedder>> {
    load_embedder_with(config, embedding::OpenOptions::default(), progress)
}

/// The configured embedder on the configured runtime, set up with `options`.
fn load_embedder_with(
    config: &Config,
    options: embedding::OpenOptions,
    progress: bool,
) -> Result<Arc<dyn Embedder>> {
    let device = models::select_device(&config.device).map_err(anyhow::Error::msg)?;
    let id = config.embedder.as_deref().unwrap_or(DEFAULT_EMBEDDER);
    embedding::open(
        &config.resolver(progress),
        config.embedder.as_deref(),
        config.embedder_runtime,
        &device,
        options,
    )
    .with_context(|| format!("loading embedder '{id}'"))
}

fn index(config: &Config, args: &IndexArgs, progress: bool) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| config.index_dir.clone());
    let options = LoadOptions {
        format: args.format,
        strict: args.strict,
    };
    let mut builder = catalog::CatalogBuilder::new();
    for path in &args.catalogs {
        builder.add_file(path, &options)?;
    }
    // --format names the catalogs' format; order files are always detected.
    let order_options = LoadOptions {
        format: None,
        ..options
    };
    for path in &args.orders {
        builder.add_file(path, &order_options)?;
    }
    let (catalog, report) = builder.finish();
    let shown = if args.all_errors { usize::MAX } else { 20 };
    for r in report.rejected.iter().take(shown) {
        eprintln!("{r}");
    }
    if report.rejected.len() > shown {
        eprintln!(
            "... and {} more rejected rows (--all-errors shows them)",
            report.rejected.len() - shown
        );
    }
    for w in report.warnings.iter().take(shown) {
        eprintln!("warning: {w}");
    }
    eprintln!("{}", report.summary());
    if catalog.products.is_empty() && !args.incremental {
        bail!("no products to index");
    }
    let embedder = load_embedder(config, progress)?;
    let report = search::build_index(
        &catalog,
        embedder.as_ref(),
        &BuildOptions {
            out: out.clone(),
            incremental: args.incremental,
            progress,
        },
    )
    .with_context(|| format!("building the index at {}", out.display()))?;
    eprintln!(
        "indexed {} products ({} embedded in {:.1}s, {} deleted), {} orders, in {:.1}s -> {}",
        report.products,
        report.embedded,
        report.embed_seconds,
        report.deleted,
        report.orders,
        report.total_seconds,
        out.display()
    );
    Ok(())
}

fn open_searcher(
    config: &Config,
    index_dir: &Path,
    fusion: Option<Fusion>,
) -> Result<HybridSearcher> {
    let index = ProductIndex::open(index_dir)?;
    let fusion = match fusion {
        Some(f) => f,
        None => config.fusion().map_err(anyhow::Error::msg)?,
    };
    let embedder = load_embedder(config, false)?;
    Ok(HybridSearcher::new(Arc::new(index), embedder, fusion)?)
}

fn search_command(config: &Config, args: &SearchArgs) -> Result<()> {
    let index_dir = args
        .index
        .clone()
        .unwrap_or_else(|| config.index_dir.clone());
    let searcher = open_searcher(config, &index_dir, args.fusion)?;
    let limit = args.limit.unwrap_or(config.search.limit);
    let filter = args.filter.filter();
    let hits = searcher.retrieve(&args.query, &filter, limit * search::VARIANT_OVERFETCH)?;
    let results = search::shown(searcher.index(), &hits, limit);
    if args.json {
        let out = serde_json::json!({ "query": args.query, "results": results });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_results(&results);
    }
    Ok(())
}

/// The index at `index`, or at the configured directory.
fn open_index(config: &Config, index: &Option<PathBuf>) -> Result<Arc<ProductIndex>> {
    let dir = index.clone().unwrap_or_else(|| config.index_dir.clone());
    Ok(Arc::new(ProductIndex::open(&dir).with_context(|| {
        format!("opening the index at {}", dir.display())
    })?))
}

fn print_results(results: &[ProductView]) {
    if results.is_empty() {
        println!("  (no products found)");
    }
    for (i, r) in results.iter().enumerate() {
        println!("{:>3}. {}", i + 1, product_line(r));
    }
}

/// One product as the CLI prints it: short name, price, rating, highlights, leaf category.
pub(crate) fn product_line(r: &ProductView) -> String {
    format!(
        "{}  {}  [{}]",
        r.short_name,
        r.facts_line(),
        r.category.last().map_or("", String::as_str)
    )
}

fn eval_search(
    config: &Config,
    index_dir: &Path,
    queries: &Path,
    set: &str,
    k: usize,
    json: bool,
) -> Result<()> {
    let searcher = open_searcher(config, index_dir, None)?;
    let judged = search::eval::read_queries(queries)?;
    let fusions = Fusion::all();
    let started = Instant::now();
    let results = search::eval::evaluate(&searcher, &judged, set, &fusions, k)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    let n = results.first().map_or(0, |r| r.overall.queries);
    println!(
        "search quality, set '{set}', {n} queries, k={k} ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    let kinds: Vec<String> = results
        .first()
        .map(|r| r.by_kind.keys().cloned().collect())
        .unwrap_or_default();
    print!("{:<16} {:>8} {:>9}", "fusion", "NDCG@k", "Recall@k");
    for kind in &kinds {
        print!(" {:>12}", format!("{kind}"));
    }
    println!("   (per-kind columns: NDCG@k)");
    for r in &results {
        print!(
            "{:<16} {:>8.3} {:>9.3}",
            r.fusion, r.overall.ndcg, r.overall.recall
        );
        for kind in &kinds {
            print!(" {:>12.3}", r.by_kind.get(kind).map_or(0.0, |q| q.ndcg));
        }
        println!();
    }
    Ok(())
}

/// The demo catalog shipped in `data/`.
const DEMO_CATALOG: &str = "data/demo_catalog.jsonl";

fn demo(
    config: &Config,
    rebuild: bool,
    cli_chat: bool,
    listen: Option<String>,
    progress: bool,
) -> Result<()> {
    let catalog_path = PathBuf::from(DEMO_CATALOG);
    if !catalog_path.is_file() {
        bail!("{DEMO_CATALOG} not found: run the demo from the shopclerk checkout");
    }
    let index_dir = config.index_dir.clone();
    eprintln!(
        "1/4 models (fetched on first use into {})",
        config.models_dir.display()
    );
    let resolver = config.resolver(true);
    let chat = resolver.chat_model(config.chat_model.as_deref())?;
    eprintln!("    chat model: {}", chat.gguf.display());
    let embedder = load_embedder(config, true)?;
    eprintln!(
        "    embedder:   {} ({})",
        embedder.model_id(),
        embedder.runtime()
    );

    let stale = rebuild || index_is_stale(&index_dir, &catalog_path);
    if stale {
        eprintln!("2/4 indexing {DEMO_CATALOG} into {}", index_dir.display());
        let (catalog, report) =
            catalog::load(std::slice::from_ref(&catalog_path), &LoadOptions::default())?;
        eprintln!("    {}", report.summary().replace('\n', "\n    "));
        let built = search::build_index(
            &catalog,
            embedder.as_ref(),
            &BuildOptions {
                out: index_dir.clone(),
                incremental: false,
                progress,
            },
        )?;
        eprintln!(
            "    {} products indexed in {:.1}s",
            built.products, built.total_seconds
        );
    } else {
        eprintln!("2/4 index {} is up to date", index_dir.display());
    }
    let reviews_file =
        search::current_generation(&index_dir)?.map(|g| g.join(dialogue::REVIEWS_FILE));
    if stale || !reviews_file.is_some_and(|f| f.is_file()) {
        eprintln!("3/4 analysing reviews");
        dialogue::reviews_analyze(
            config,
            &dialogue::ReviewsAnalyzeArgs::for_index(index_dir.clone()),
        )?;
    } else {
        eprintln!("3/4 review analysis is up to date");
    }
    if !cli_chat {
        eprintln!("4/4 serving");
        return serve::serve(
            config,
            &serve::ServeArgs {
                index: Some(index_dir),
                listen,
                database: None,
                no_model: false,
            },
            progress,
        );
    }
    eprintln!("4/4 chat");
    let index = open_index(config, &Some(index_dir.clone()))?;
    let assistant = dialogue::load_assistant(config, index, embedder, true, progress)?;
    let interactive = std::io::stdin().is_terminal();
    let args = dialogue::ChatArgs {
        index: Some(index_dir),
        // Without a terminal (CI, a pipe) the demo plays a short scripted conversation.
        script: (!interactive).then(|| PathBuf::from(DEMO_SCRIPT)),
        json: false,
        no_model: false,
        session: "demo".into(),
        customer: None,
    };
    dialogue::run_chat(&assistant, &args)
}

/// The conversation the demo plays when it has no terminal to chat in.
const DEMO_SCRIPT: &str = "data/demo_chat.jsonl";

/// True when the index is missing or older than the catalog file.
fn index_is_stale(index_dir: &Path, catalog: &Path) -> bool {
    let Ok(Some(generation)) = search::current_generation(index_dir) else {
        return true;
    };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (
        modified(catalog),
        modified(&generation.join("manifest.json")),
    ) {
        (Some(c), Some(i)) => c > i,
        _ => true,
    }
}
