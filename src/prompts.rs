//! Prompt templates: "which words do we send the chat model?"
//!
//! The templates are plain text files in `prompts/` (configurable), read at start-up so a shop
//! can reword them without rebuilding. They are Jinja templates rendered with minijinja; a
//! missing or broken template is an error naming the file.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// Errors loading or rendering a template.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("prompt template {path}: {source}")]
    Io {
        /// The template file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The composer's wording file is unusable.
    #[error(transparent)]
    Wording(#[from] crate::dialogue::compose::WordingError),
    /// The template does not parse or fails to render.
    #[error("prompt template {name}: {reason}")]
    Template {
        /// The template's file name.
        name: String,
        /// What is wrong, with line when minijinja knows it.
        reason: String,
    },
}

/// Result alias for prompts.
pub type Result<T> = std::result::Result<T, Error>;

/// The templates shopclerk uses, by file name.
pub const TEMPLATE_FILES: [&str; 4] = ["system.txt", "reply.txt", "opener.txt", "understand.txt"];

/// The composer's wordings (see [`crate::dialogue::compose::Wordings`]).
pub const WORDINGS_FILE: &str = "replies.txt";

/// The loaded templates.
#[derive(Debug)]
pub struct Prompts {
    env: minijinja::Environment<'static>,
    dir: PathBuf,
    wordings: crate::dialogue::compose::Wordings,
}

impl Prompts {
    /// Reads every template in [`TEMPLATE_FILES`] and the wordings ([`WORDINGS_FILE`]) from
    /// `dir` and checks that each parses.
    pub fn load(dir: &Path) -> Result<Prompts> {
        let mut env = minijinja::Environment::new();
        // Facts are plain text: no HTML escaping, and keep the template's own line breaks.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_keep_trailing_newline(false);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for name in TEMPLATE_FILES {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            env.add_template_owned(name.to_string(), text)
                .map_err(|e| template_error(&path, &e))?;
        }
        let wordings = crate::dialogue::compose::Wordings::load(&dir.join(WORDINGS_FILE))?;
        Ok(Prompts {
            env,
            dir: dir.to_path_buf(),
            wordings,
        })
    }

    /// The composer's wordings.
    pub fn wordings(&self) -> &crate::dialogue::compose::Wordings {
        &self.wordings
    }

    /// The system prompt (`system.txt`, which takes no variables).
    pub fn system(&self) -> Result<String> {
        self.render("system.txt", serde_json::json!({}))
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: impl Serialize) -> Result<String> {
        let path = self.dir.join(name);
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(&path, &e))?;
        template
            .render(context)
            .map(|s| s.trim().to_string())
            .map_err(|e| template_error(&path, &e))
    }
}

fn template_error(path: &Path, e: &minijinja::Error) -> Error {
    let line = e
        .line()
        .map_or_else(String::new, |l| format!(" (line {l})"));
    Error::Template {
        name: path.display().to_string(),
        reason: format!("{}{line}", e.detail().unwrap_or(&e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_load_and_render() {
        let prompts = Prompts::load(Path::new("prompts")).unwrap();
        let text = prompts
            .render(
                "understand.txt",
                serde_json::json!({"intents": ["search"], "message": "hi"}),
            )
            .unwrap();
        assert!(text.contains("search"), "{text}");
    }

    #[test]
    fn a_missing_or_broken_template_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Prompts::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("system.txt"), "{err}");
        for name in TEMPLATE_FILES {
            std::fs::write(dir.path().join(name), "ok").unwrap();
        }
        std::fs::copy("prompts/replies.txt", dir.path().join(WORDINGS_FILE)).unwrap();
        std::fs::write(dir.path().join("reply.txt"), "{% if %}").unwrap();
        let err = Prompts::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("reply.txt") && err.contains("line 1"), "{err}");
    }
}
