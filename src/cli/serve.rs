//! `shopclerk serve`: the chat service, the widget, the agent console and the demo shop page.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use shopclerk::config::Config;
use shopclerk::server::{self, AppState};

use super::{dialogue, load_embedder, open_index};

/// Flags of `shopclerk serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Index directory.
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Address to listen on (host:port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Where sessions, turns and events live: a SQLite file, or a `postgres://` URL several
    /// servers share (also `SHOPCLERK_DATABASE`).
    #[arg(long)]
    pub database: Option<String>,
    /// Write every reply with the composer, without loading the chat model.
    #[arg(long)]
    pub no_model: bool,
}

/// Prints a line on stdout; a closed stdout (the reader went away) is not a reason to stop
/// serving.
fn say(line: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Binds, prints the addresses, loads the assistant in the background and serves until Ctrl-C
/// or SIGTERM.
pub fn serve(config: &Config, args: &ServeArgs, progress: bool) -> Result<()> {
    let mut config = config.clone();
    if let Some(l) = &args.listen {
        config.server.listen = l.clone();
    }
    if let Some(d) = &args.database {
        config.server.database = d.clone();
    }
    if config.server.agent_keys.is_empty() {
        let key = format!("{:032x}", rand::random::<u128>());
        config.server.agent_keys.push(key);
    }
    let store = server::store::open(&config.server.database)?;
    let state = AppState::new(config.server.clone(), store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(&config.server.listen))
        .with_context(|| {
            format!(
                "listening on {} (taken? set --listen or SHOPCLERK_LISTEN)",
                config.server.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    say(format!("shopclerk is serving on {base}"));
    say(format!("  shop page with the chat widget: {base}/"));
    say(format!(
        "  agent console:                  {base}/console  (agent key: {})",
        config.server.agent_keys[0]
    ));
    say(format!(
        "  API description:                {base}/openapi.json"
    ));
    say(format!(
        "  health, readiness, metrics:     {base}/healthz  {base}/readyz  {base}/metrics"
    ));
    say("Press Ctrl-C to stop.".into());

    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<()>();
    let loader_state = state.clone();
    let index_dir = args.index.clone();
    let with_model = !args.no_model;
    std::thread::spawn(move || {
        let started = Instant::now();
        let loaded = (|| -> Result<()> {
            let index = open_index(&config, &index_dir)?;
            // Remembered vectors: a hot swap re-embeds names that barely changed, and
            // shoppers repeat queries.
            let embedder: Arc<dyn shopclerk::embed::Embedder> =
                Arc::new(shopclerk::embed::Memoized::new(
                    load_embedder(&config, progress)?,
                    config.server.embeddings_remembered,
                ));
            let assistant =
                dialogue::load_assistant(&config, index, embedder.clone(), with_model, progress)?;
            // An index hot swap builds the assistant again over the new generation, with
            // the models loaded once.
            let model = assistant.model().cloned();
            let reload_config = config.clone();
            loader_state.set_reloader(Arc::new(move || {
                let index = open_index(&reload_config, &index_dir).map_err(|e| format!("{e:#}"))?;
                dialogue::assemble_assistant(&reload_config, index, embedder.clone(), model.clone())
                    .map_err(|e| format!("{e:#}"))
            }));
            loader_state.set_assistant(Arc::new(assistant))?;
            Ok(())
        })();
        match loaded {
            Ok(()) => eprintln!(
                "ready: models and index loaded in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            Err(e) => {
                let reason = format!("{e:#}");
                eprintln!("error: loading the assistant failed: {reason}");
                loader_state.set_loading_failed(reason);
                let _ = failed_tx.send(());
            }
        }
    });
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = failed.clone();
    let stop = async move {
        tokio::select! {
            _ = server::shutdown_signal() => {}
            Ok(()) = failed_rx => flag.store(true, std::sync::atomic::Ordering::SeqCst),
        }
    };
    runtime.block_on(server::run(state, listener, stop))?;
    if failed.load(std::sync::atomic::Ordering::SeqCst) {
        anyhow::bail!("the assistant could not load; see the error above");
    }
    eprintln!("stopped");
    Ok(())
}

/// Flags of `shopclerk mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Index directory.
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Where carts and sessions live: a SQLite file or a `postgres://` URL (the same one a
    /// `shopclerk serve` uses shares its sessions).
    #[arg(long)]
    pub database: Option<String>,
    /// Answer questions and comparisons with the composer, without loading the chat model.
    #[arg(long)]
    pub no_model: bool,
}

/// `shopclerk mcp`: the shop's MCP tools over stdio, for a local agent host. Stdout carries
/// only the protocol; messages go to stderr.
pub fn mcp(config: &Config, args: &McpArgs) -> Result<()> {
    use rmcp::ServiceExt;
    let mut config = config.clone();
    if let Some(d) = &args.database {
        config.server.database = d.clone();
    }
    let store = server::store::open(&config.server.database)?;
    let state = AppState::new(config.server.clone(), store);
    let index = open_index(&config, &args.index)?;
    let embedder = load_embedder(&config, false)?;
    let assistant = dialogue::load_assistant(&config, index, embedder, !args.no_model, false)?;
    state.set_assistant(Arc::new(assistant))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = server::mcp::ShopTools::new(state)
            .serve(rmcp::transport::stdio())
            .await
            .context("starting MCP over stdio")?;
        eprintln!("shopclerk MCP server on stdio: ready");
        running.waiting().await.context("serving MCP over stdio")?;
        Ok(())
    })
}
