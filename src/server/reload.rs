//! Index hot swap: "a new index generation was written: serve from it without a restart."
//!
//! A running server checks the index directory's `CURRENT` every `index_watch_secs`; when it
//! names another generation (written by `shopclerk index`, full or `--incremental`), the
//! server builds a new assistant over it beside the old one (the models are shared), restores
//! online learning into it, and swaps it in between requests. A turn already running finishes
//! on the assistant it started with, which is dropped when the last such turn ends. A session
//! holding a product the new generation deleted keeps working: the turn drops it (and says so
//! when it was in the cart). `POST /v1/admin/reload` (agent key) forces a reload.

use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::json;

use super::AppState;
use super::error::ApiError;

/// `POST /v1/admin/reload`, behind the agent key.
pub(super) fn routes(state: AppState) -> Router<AppState> {
    Router::new().route("/v1/admin/reload", post(reload)).layer(
        axum::middleware::from_fn_with_state(state, super::agent::require_key),
    )
}

/// `POST /v1/admin/reload` -> 200 `{"generation", "products", "seconds"}`; 409
/// `not_reloadable` for a server not started over an index directory, 500 when the new
/// generation does not load (the old one keeps serving).
async fn reload(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let started = Instant::now();
    let (generation, products) = state.reload().await?;
    Ok(Json(json!({
        "generation": generation,
        "products": products,
        "seconds": started.elapsed().as_secs_f64(),
    })))
}

/// The generation an assistant serves.
fn generation_of(assistant: &crate::dialogue::Assistant) -> String {
    assistant
        .searcher()
        .index()
        .generation_dir()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl AppState {
    /// Builds the assistant over the index's current generation, restores online learning
    /// into it and swaps it in. Returns the generation and its number of products.
    pub(super) async fn reload(&self) -> Result<(String, usize), ApiError> {
        let Some(reloader) = self.inner.reloader.get().cloned() else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_reloadable",
                "this server was not started over an index directory it can reload",
            ));
        };
        self.assistant()?;
        let _one_at_a_time = self.inner.reloading.lock().await;
        let state = self.clone();
        let assistant = tokio::task::spawn_blocking(move || {
            let assistant = reloader()?;
            state.prepare(&assistant).map_err(|e| e.to_string())?;
            Ok::<_, String>(assistant)
        })
        .await
        .map_err(|e| ApiError::internal("reload task", e))?
        .map_err(|reason| {
            tracing::error!(
                "reloading the index failed (the old generation keeps serving): {reason}"
            );
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reload_failed",
                format!("the new index generation did not load: {reason}"),
            )
        })?;
        let generation = generation_of(&assistant);
        let products = assistant.searcher().index().products().len();
        self.swap(std::sync::Arc::new(assistant));
        self.metrics().index_reloads.inc();
        tracing::info!("now serving index generation {generation} ({products} products)");
        Ok((generation, products))
    }

    /// Reloads whenever the index directory's `CURRENT` names a generation other than the
    /// one served (a generation that failed to load is not tried again until `CURRENT`
    /// changes once more).
    pub(super) async fn watch_index(self) {
        let secs = self.config().index_watch_secs;
        if secs == 0 {
            return;
        }
        let mut failed: Option<std::path::PathBuf> = None;
        loop {
            if self.pause(Duration::from_secs(secs)).await {
                return;
            }
            if self.inner.reloader.get().is_none() {
                continue;
            }
            let Some(assistant) = self.current() else {
                continue;
            };
            let index = assistant.searcher().index();
            let on_disk = crate::search::current_generation(index.dir());
            let serving = index.generation_dir().to_path_buf();
            drop(assistant);
            let Ok(Some(on_disk)) = on_disk else {
                continue;
            };
            if on_disk == serving || failed.as_ref() == Some(&on_disk) {
                continue;
            }
            tracing::info!(
                "index generation {} appeared; loading it",
                on_disk.display()
            );
            match self.reload().await {
                Ok(_) => failed = None,
                Err(_) => failed = Some(on_disk),
            }
        }
    }
}
