//! The outcome → label map as the rules admin edits it: each outcome's label (cycled), its
//! strength (in tenths, `+`/`-`) and its stage effect, changed on a working copy and saved durably in
//! one go. Outcomes logged from then on learn with the saved map; steps already taken keep
//! what they taught.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay};
use crate::core::outcome::OutcomeCatalog;

/// The open outcome map editor.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeEditor {
    /// The working copy; stored only on save.
    pub catalog: OutcomeCatalog,
    pub selected: usize,
    /// The stages an outcome can move a lead to, in pipeline order.
    pub stages: Vec<String>,
}

impl OutcomeEditor {
    pub fn new(catalog: OutcomeCatalog, stages: Vec<String>) -> OutcomeEditor {
        OutcomeEditor {
            catalog,
            selected: 0,
            stages,
        }
    }

    /// Whether the working copy differs from `saved`.
    pub fn changed(&self, saved: &OutcomeCatalog) -> bool {
        self.catalog != *saved
    }

    fn step_strength(&mut self, up: bool) {
        if let Some(t) = self.catalog.types.get_mut(self.selected) {
            // Whole tenths, kept within (0, 1].
            let tenths = (t.strength * 10.0).round() as i64 + if up { 1 } else { -1 };
            t.strength = tenths.clamp(1, 10) as f64 / 10.0;
        }
    }

    fn cycle_stage(&mut self) {
        let Some(t) = self.catalog.types.get_mut(self.selected) else {
            return;
        };
        // none → first stage → … → last stage → none.
        let next = match &t.stage {
            None => self.stages.first().cloned(),
            Some(s) => self
                .stages
                .iter()
                .position(|x| x == s)
                .and_then(|i| self.stages.get(i + 1))
                .cloned(),
        };
        t.stage = next;
    }
}

/// Opens the editor on the book's catalogue.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    let stages = app
        .book
        .pipeline
        .stages
        .iter()
        .map(|s| s.name.clone())
        .collect();
    app.overlay = Some(Overlay::Outcomes(OutcomeEditor::new(
        app.book.catalog.clone(),
        stages,
    )));
    vec![]
}

/// Keys of the open editor: j/k move, space or l cycles the label, + and - change the
/// strength, s cycles the stage, Enter saves, Esc discards.
pub(super) fn on_key(app: &mut App, mut editor: OutcomeEditor, key: KeyEvent) -> Vec<Effect> {
    let n = editor.catalog.types.len();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            if editor.changed(&app.book.catalog) {
                app.toast("outcome map edits discarded", false);
            }
            return vec![];
        }
        KeyCode::Enter => {
            if !editor.changed(&app.book.catalog) {
                app.toast("no changes to the outcome map", false);
                return vec![];
            }
            app.status = Some("saving the outcome map…".into());
            return vec![Effect::SaveOutcomes(editor.catalog)];
        }
        KeyCode::Down | KeyCode::Char('j') => {
            editor.selected = (editor.selected + 1).min(n.saturating_sub(1))
        }
        KeyCode::Up | KeyCode::Char('k') => editor.selected = editor.selected.saturating_sub(1),
        KeyCode::Char(' ') | KeyCode::Char('l') | KeyCode::Right => {
            if let Some(t) = editor.catalog.types.get_mut(editor.selected) {
                t.label = t.label.cycled();
            }
        }
        KeyCode::Char('+') | KeyCode::Char('=') => editor.step_strength(true),
        KeyCode::Char('-') => editor.step_strength(false),
        KeyCode::Char('s') => editor.cycle_stage(),
        _ => {}
    }
    app.overlay = Some(Overlay::Outcomes(editor));
    vec![]
}

/// The stored map after a save: the console's copy follows it.
pub(super) fn on_saved(app: &mut App, catalog: OutcomeCatalog) -> Vec<Effect> {
    app.status = None;
    app.book.catalog = catalog;
    app.toast(
        "outcome map saved · outcomes logged from now on learn with it; past learning is kept",
        false,
    );
    vec![Effect::LoadAdmin]
}
