//! The queue's filter keys: mine, stage, owner, due today, and clearing them. Each keeps the
//! selected lead selected when the narrowed queue still holds it.

use super::{Action, App, Effect};

/// Applies one of the filter actions (other actions do nothing).
pub(super) fn on_filter_key(app: &mut App, action: Action) -> Vec<Effect> {
    use Action::*;
    match action {
        ToggleMine => {
            if app.config.me.is_none() {
                app.toast(
                    "set me = \"Your Name\" in config.toml to use the mine filter",
                    true,
                );
            } else {
                app.queue.filter.mine = !app.queue.filter.mine;
                let keep = app.queue.selected_id(&app.book);
                app.refilter(keep);
            }
            vec![]
        }
        CycleStageFilter => {
            let stages: Vec<String> = app
                .book
                .pipeline
                .stages
                .iter()
                .filter(|s| !s.terminal)
                .map(|s| s.name.clone())
                .collect();
            app.queue.filter.stage = cycle(&stages, app.queue.filter.stage.take());
            let keep = app.queue.selected_id(&app.book);
            app.refilter(keep);
            vec![]
        }
        CycleOwnerFilter => {
            let owners = app.book.owners();
            app.queue.filter.owner = cycle(&owners, app.queue.filter.owner.take());
            let keep = app.queue.selected_id(&app.book);
            app.refilter(keep);
            vec![]
        }
        ToggleDueToday => {
            app.queue.filter.due_today = !app.queue.filter.due_today;
            let keep = app.queue.selected_id(&app.book);
            app.refilter(keep);
            vec![]
        }
        ClearFilters => {
            app.queue.filter = Default::default();
            let keep = app.queue.selected_id(&app.book);
            app.refilter(keep);
            vec![]
        }
        _ => vec![],
    }
}

/// The next value after `current` in `values`, then back to none.
fn cycle(values: &[String], current: Option<String>) -> Option<String> {
    match current {
        None => values.first().cloned(),
        Some(c) => values
            .iter()
            .position(|v| *v == c)
            .and_then(|i| values.get(i + 1))
            .cloned(),
    }
}
