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
    // While the book loads behind the saved first page, keys wait for the live queue.
    if app.preview && app.overlay.is_none() {
        let action = app.config.keymap.action_for(app.key_mode(), &key);
        if !matches!(action, Some(Action::Quit | Action::Help)) {
            app.toast(
                "the book is still loading; keys work once its queue is live",
                false,
            );
            return vec![];
        }
    }
    // An Esc and a key typed quickly reach the terminal as one sequence, which reads as
    // Alt+key: unless Alt+key is bound, it is the Esc then the key ("Esc q" in search closes
    // the search, then quits).
    if let KeyCode::Char(c) = key.code
        && key.modifiers == KeyModifiers::ALT
        && app.config.keymap.action_for(app.key_mode(), &key).is_none()
    {
        let mut effects = on_key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        if !effects.contains(&Effect::Quit) {
            effects.extend(on_key(
                app,
                KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            ));
        }
        return effects;
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
        Some(Overlay::Import(prompt)) => super::import_prompt::on_key(app, prompt, &key),
        Some(Overlay::Search(mut search)) => {
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc => return vec![],
                KeyCode::Enter => {
                    let Some(hit) = search.hits.get(search.selected) else {
                        app.overlay = Some(Overlay::Search(search));
                        return vec![];
                    };
                    let Some(id) = app.book.id_at(hit.index) else {
                        return vec![];
                    };
                    if app.queue.select_lead(
                        &app.book,
                        app.scoring.as_ref(),
                        app.config.me.as_deref(),
                        app.now,
                        id,
                    ) {
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
    let at = |p: usize| app.queue.id_at(&app.book, p);
    at(pos + 1).or_else(|| pos.checked_sub(1).and_then(at))
}
