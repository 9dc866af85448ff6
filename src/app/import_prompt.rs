//! Importing a CSV file from inside the console: a prompt for the file's path, then the
//! import runs on the worker while the queue stays usable; its progress and summary are
//! toasts, and the book reloads in the background when it is durable.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::text_input::TextInput;
use super::{App, Effect, Overlay};

/// How long the progress toast stays when no further progress arrives.
const PROGRESS_SECS: i64 = 120;

/// The path prompt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportPrompt {
    pub path: TextInput,
    /// Why the last Enter did not start an import.
    pub error: Option<String>,
}

/// Opens the prompt (`ImportCsv`), unless an import is already running.
pub fn open(app: &mut App) -> Vec<Effect> {
    if app.importing {
        app.toast("an import is running; wait for it to finish", true);
        return vec![];
    }
    app.overlay = Some(Overlay::Import(ImportPrompt::default()));
    vec![]
}

/// A key in the prompt: Enter starts the import when the file exists, Esc closes.
pub fn on_key(app: &mut App, mut prompt: ImportPrompt, key: &KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => vec![],
        KeyCode::Enter => {
            let text = prompt.path.value().trim();
            let path = PathBuf::from(expand_home(text));
            if text.is_empty() {
                prompt.error = Some("type the path of a CSV file".into());
            } else if !path.is_file() {
                prompt.error = Some(format!("no such file: {}", path.display()));
            } else {
                app.importing = true;
                app.toast_for(
                    format!("importing {} in the background…", path.display()),
                    false,
                    PROGRESS_SECS,
                );
                return vec![Effect::ImportCsv(path)];
            }
            app.overlay = Some(Overlay::Import(prompt));
            vec![]
        }
        _ => {
            if prompt.path.handle_key(key) {
                prompt.error = None;
            }
            app.overlay = Some(Overlay::Import(prompt));
            vec![]
        }
    }
}

/// `~/x.csv` → the home directory's `x.csv`.
fn expand_home(text: &str) -> String {
    match (text.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => text.to_string(),
    }
}

/// Progress from the worker.
pub fn on_progress(app: &mut App, text: String) -> Vec<Effect> {
    app.toast_for(text, false, PROGRESS_SECS);
    vec![]
}

/// The import is durable (the worker reloads the book next), or failed.
pub fn on_done(app: &mut App, done: Result<String, String>) -> Vec<Effect> {
    app.importing = false;
    match done {
        Ok(summary) => app.toast_for(summary, false, PROGRESS_SECS / 4),
        Err(e) => app.toast_for(e, true, PROGRESS_SECS / 4),
    }
    vec![]
}
