//! Key routing, by layer: an open overlay (text fields first), then the view's keymap, then
//! the global one.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::log_form::FormOutcome;
use super::{Action, App, Effect, Overlay, update};
use crate::core::model::LeadId;

/// Routes a key: the open overlay first, then the view's keymap, then the global one.
pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return update(app, Action::Quit);
    }
    match app.overlay.take() {
        Some(Overlay::Log(mut form)) => {
            match form.handle_key(&key, &app.book.catalog, app.now) {
                FormOutcome::Editing => app.overlay = Some(Overlay::Log(form)),
                FormOutcome::Cancel => {}
                FormOutcome::Commit(request) => {
                    app.pending_next = next_after(app, form.lead);
                    let snapshot = app
                        .scoring
                        .as_ref()
                        .map(|s| s.snapshot(form.lead))
                        .unwrap_or_default();
                    return vec![Effect::LogOutcome {
                        lead: form.lead,
                        request,
                        snapshot,
                    }];
                }
            }
            vec![]
        }
        Some(Overlay::Search(mut search)) => {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    let Some(hit) = search.hits.get(search.selected) else {
                        app.overlay = Some(Overlay::Search(search));
                        return vec![];
                    };
                    let id = app.book.leads[hit.index].id;
                    if let Some(pos) = app.queue.position_of(&app.book, id) {
                        app.queue.selected = pos;
                        app.rebuild_page();
                    }
                    return app.open_detail(id);
                }
                KeyCode::Down => search.move_by(1),
                KeyCode::Char('n') if ctrl => search.move_by(1),
                KeyCode::Up => search.move_by(-1),
                KeyCode::Char('p') if ctrl => search.move_by(-1),
                _ => {
                    let before = search.input.value().to_string();
                    search.input.handle_key(&key);
                    if search.input.value() != before {
                        search.refresh(&app.book, app.scoring.as_ref().map(|s| &s.index));
                    }
                }
            }
            app.overlay = Some(Overlay::Search(search));
            vec![]
        }
        Some(Overlay::RuleForm(form)) => super::admin::on_form_key(app, form, key),
        Some(Overlay::Versions(picker)) => super::versions::on_key(app, picker, key),
        Some(Overlay::Outcomes(editor)) => super::outcome_editor::on_key(app, editor, key),
        other => {
            app.overlay = other;
            match app.config.keymap.action_for(app.key_mode(), &key) {
                Some(action) => update(app, action),
                None => {
                    app.dirty = false;
                    vec![]
                }
            }
        }
    }
}

/// The lead after `id` in the visible queue (or before it, when it is last).
fn next_after(app: &App, id: LeadId) -> Option<LeadId> {
    let pos = app.queue.position_of(&app.book, id)?;
    let at = |p: usize| {
        app.queue
            .visible
            .get(p)
            .map(|&r| app.book.leads[app.queue.ranked[r]].id)
    };
    at(pos + 1).or_else(|| pos.checked_sub(1).and_then(at))
}
