//! The rules admin's version picker: every published version with when it was published, its
//! rule count and what it changed; Enter asks to restore the selected one, a second Enter (or
//! y) publishes it again as the newest version. The version it replaces stays in the list, so
//! a restore is taken back by restoring that one.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay};
use crate::store::versions::VersionSummary;

/// The open version picker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionPicker {
    /// Newest first; `None` while they are read.
    pub versions: Option<Vec<VersionSummary>>,
    pub selected: usize,
    /// Waiting for the admin to confirm restoring the selected version.
    pub confirming: bool,
}

impl VersionPicker {
    pub fn selected_version(&self) -> Option<&VersionSummary> {
        self.versions.as_ref()?.get(self.selected)
    }

    /// The number the restored version will get.
    pub fn next_version(&self) -> u32 {
        self.versions
            .as_ref()
            .and_then(|v| v.first())
            .map_or(1, |v| v.version + 1)
    }
}

/// Opens the picker (it reads the versions through the loop); refused while a draft is open.
pub(super) fn open(app: &mut App) -> Vec<Effect> {
    if app.admin.draft.is_some() {
        app.toast(
            "publish or discard the draft before restoring a version",
            true,
        );
        return vec![];
    }
    app.overlay = Some(Overlay::Versions(VersionPicker::default()));
    vec![Effect::LoadVersions]
}

/// The versions as read, oldest first (as the store gives them).
pub(super) fn on_loaded(app: &mut App, mut versions: Vec<VersionSummary>) {
    if let Some(Overlay::Versions(picker)) = app.overlay.as_mut() {
        versions.reverse();
        // Start on the version before the current one: the usual thing to go back to.
        picker.selected = usize::from(versions.len() > 1);
        picker.versions = Some(versions);
    }
}

/// Keys of the open picker: j/k or ↑/↓ move, Enter asks then restores, Esc or q closes (or
/// cancels the question), y confirms, n cancels.
pub(super) fn on_key(app: &mut App, mut picker: VersionPicker, key: KeyEvent) -> Vec<Effect> {
    let n = picker.versions.as_ref().map_or(0, Vec::len);
    if picker.confirming {
        match key.code {
            KeyCode::Enter | KeyCode::Char('y') => {
                let Some(v) = picker.selected_version() else {
                    return vec![];
                };
                let (from, to) = (v.version, picker.next_version());
                app.admin.restoring = Some((from, to));
                app.status = Some(format!("restoring rules version {from}…"));
                return vec![Effect::RestoreRules(from)];
            }
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => picker.confirming = false,
            _ => {}
        }
        app.overlay = Some(Overlay::Versions(picker));
        return vec![];
    }
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return vec![],
        KeyCode::Down | KeyCode::Char('j') => {
            picker.selected = (picker.selected + 1).min(n.saturating_sub(1))
        }
        KeyCode::Up | KeyCode::Char('k') => picker.selected = picker.selected.saturating_sub(1),
        KeyCode::Home | KeyCode::Char('g') => picker.selected = 0,
        KeyCode::End | KeyCode::Char('G') => picker.selected = n.saturating_sub(1),
        KeyCode::Enter => match picker.selected_version() {
            Some(v) if v.current => {
                app.toast(
                    format!(
                        "version {} is the current one: pick an earlier one",
                        v.version
                    ),
                    false,
                );
            }
            Some(v) if v.rules.is_none() => {
                app.toast(
                    format!(
                        "version {} no longer parses and cannot be restored",
                        v.version
                    ),
                    true,
                );
            }
            Some(_) => picker.confirming = true,
            None => {}
        },
        _ => {}
    }
    app.overlay = Some(Overlay::Versions(picker));
    vec![]
}
