//! The rules admin's state and its part of `update`: the table of rules, a draft being edited
//! (add, edit in place with validation as you type, lock, disable, delete), the what-if preview
//! computed on the worker, publish or discard, weight revert and version restore.

use crossterm::event::{KeyCode, KeyEvent};

use super::admin_data::{AdminData, Preview};
use super::text_input::TextInput;
use super::{Action, App, Effect, Overlay, Screen};
use crate::core::outcome::RuleId;
use crate::core::rules::{Condition, Rule, RuleKind, RuleSet};
use crate::core::weights::weight_from_points;

/// The rules admin view's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdminState {
    pub data: Option<AdminData>,
    /// The edited rule set, until published or discarded.
    pub draft: Option<DraftSet>,
    pub selected: usize,
    pub preview: Option<Preview>,
    /// A preview is being computed.
    pub previewing: bool,
    /// How many steps back the next weight revert of the selected rule goes.
    revert_depth: usize,
    /// A restore under way: the version restored and the number it will get.
    pub restoring: Option<(u32, u32)>,
}

/// A rule set under edit (compared by its text).
#[derive(Clone, Debug)]
pub struct DraftSet(pub RuleSet);

impl PartialEq for DraftSet {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_toml() == other.0.to_toml()
    }
}

impl AdminState {
    /// The rules shown: the draft's, else the published ones.
    pub fn rules(&self) -> &[Rule] {
        match (&self.draft, &self.data) {
            (Some(d), _) => &d.0.rules,
            (None, Some(d)) => &d.set.rules,
            _ => &[],
        }
    }

    pub fn selected_rule(&self) -> Option<&Rule> {
        self.rules().get(self.selected)
    }

    fn draft_mut(&mut self) -> Option<&mut RuleSet> {
        if self.draft.is_none() {
            self.draft = Some(DraftSet(self.data.as_ref()?.set.clone()));
        }
        self.preview = None;
        self.draft.as_mut().map(|d| &mut d.0)
    }
}

/// Which field of the rule form has focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleField {
    Name,
    When,
    Points,
    Kind,
}

/// Adding or editing one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleForm {
    /// The rule's place in the draft; `None` adds a new rule.
    pub editing: Option<usize>,
    pub name: TextInput,
    pub when: TextInput,
    pub points: TextInput,
    pub kind: RuleKind,
    pub field: RuleField,
    /// The condition's parse error: column (1-based) and message.
    pub when_error: Option<(usize, String)>,
    pub points_error: Option<String>,
    pub name_error: Option<String>,
}

impl RuleForm {
    fn new(editing: Option<usize>, rule: Option<&Rule>) -> RuleForm {
        let mut f = RuleForm {
            editing,
            name: TextInput::default(),
            when: TextInput::default(),
            points: TextInput::default(),
            kind: rule.map_or(RuleKind::Fit, |r| r.kind),
            field: if rule.is_some() {
                RuleField::Points
            } else {
                RuleField::Name
            },
            when_error: None,
            points_error: None,
            name_error: None,
        };
        if let Some(r) = rule {
            f.name.set(&r.name);
            f.when.set(r.condition.source());
            f.points.set(&format!("{}", r.points));
        }
        f
    }

    /// Checks every field against the draft; the errors show under the fields.
    pub fn validate(&mut self, set: &RuleSet) {
        self.when_error = match Condition::parse(self.when.value(), &set.lists) {
            Ok(_) => None,
            Err(e) => Some((e.pos.column as usize, e.message)),
        };
        self.points_error = match self.points.value().trim().parse::<f64>() {
            Ok(p) if p.is_finite() => None,
            _ => Some("points must be a number, e.g. 12 or -20".into()),
        };
        let name = self.name.value().trim();
        let taken = set
            .rules
            .iter()
            .enumerate()
            .any(|(i, r)| Some(i) != self.editing && r.name.eq_ignore_ascii_case(name));
        self.name_error = if name.is_empty() {
            Some("a rule needs a name".into())
        } else if taken {
            Some(format!("another rule is already named {name:?}"))
        } else {
            None
        };
    }

    pub fn is_valid(&self) -> bool {
        self.when_error.is_none() && self.points_error.is_none() && self.name_error.is_none()
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        match self.field {
            RuleField::Name => Some(&mut self.name),
            RuleField::When => Some(&mut self.when),
            RuleField::Points => Some(&mut self.points),
            RuleField::Kind => None,
        }
    }
}

const FIELDS: [RuleField; 4] = [
    RuleField::Name,
    RuleField::When,
    RuleField::Points,
    RuleField::Kind,
];
const KINDS: [RuleKind; 3] = [RuleKind::Fit, RuleKind::Engagement, RuleKind::Negative];

/// Keys for the open rule form: Tab/↑↓ move between fields, ←→/space pick the kind, Enter
/// saves into the draft when valid, Esc cancels.
pub(super) fn on_form_key(app: &mut App, mut form: RuleForm, key: KeyEvent) -> Vec<Effect> {
    let step = |f: RuleField, d: isize| {
        let i = FIELDS.iter().position(|&x| x == f).unwrap_or(0) as isize;
        FIELDS[(i + d).rem_euclid(FIELDS.len() as isize) as usize]
    };
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Tab | KeyCode::Down => form.field = step(form.field, 1),
        KeyCode::BackTab | KeyCode::Up => form.field = step(form.field, -1),
        KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.field == RuleField::Kind => {
            let i = KINDS.iter().position(|&k| k == form.kind).unwrap_or(0) as isize;
            let d = if key.code == KeyCode::Left { -1 } else { 1 };
            form.kind = KINDS[(i + d).rem_euclid(3) as usize];
        }
        KeyCode::Enter => {
            if let Some(set) = current_set(app) {
                form.validate(set);
            }
            if form.is_valid() {
                save_form(app, &form);
                return vec![];
            }
        }
        _ => {
            if let Some(input) = form.input_mut() {
                input.handle_key(&key);
            }
            if let Some(set) = current_set(app) {
                form.validate(set);
            }
        }
    }
    app.overlay = Some(Overlay::RuleForm(form));
    vec![]
}

fn current_set(app: &App) -> Option<&RuleSet> {
    match (&app.admin.draft, &app.admin.data) {
        (Some(d), _) => Some(&d.0),
        (None, Some(d)) => Some(&d.set),
        _ => None,
    }
}

fn save_form(app: &mut App, form: &RuleForm) {
    let lists = match current_set(app) {
        Some(s) => s.lists.clone(),
        None => return,
    };
    let Ok(condition) = Condition::parse(form.when.value(), &lists) else {
        return;
    };
    let points: f64 = form.points.value().trim().parse().unwrap_or(0.0);
    let name = form.name.value().trim().to_string();
    let Some(set) = app.admin.draft_mut() else {
        return;
    };
    match form.editing.and_then(|i| set.rules.get_mut(i)) {
        Some(rule) => {
            rule.name = name;
            rule.condition = condition;
            rule.points = points;
            rule.kind = form.kind;
        }
        None => {
            set.rules.push(Rule {
                id: RuleId::MAX,
                name,
                condition,
                points,
                kind: form.kind,
                locked: false,
                enabled: true,
            });
            app.admin.selected = set.rules.len() - 1;
        }
    }
    app.toast("draft changed · p previews, P publishes, X discards", false);
}

/// The rules admin's and dashboard's share of `update`; `None` leaves the action to the
/// common handling.
pub(super) fn on_action(app: &mut App, action: &Action) -> Option<Vec<Effect>> {
    use Action::*;
    if app.overlay.is_some() && !matches!(app.overlay, Some(Overlay::RuleForm(_))) {
        return None;
    }
    if app.screen == Screen::Dashboard {
        return None;
    }
    let n = app.admin.rules().len();
    let admin = &mut app.admin;
    let fx = match action {
        SelectNext | SelectPrev | SelectFirst | SelectLast => {
            admin.selected = match action {
                SelectNext => (admin.selected + 1).min(n.saturating_sub(1)),
                SelectPrev => admin.selected.saturating_sub(1),
                SelectFirst => 0,
                _ => n.saturating_sub(1),
            };
            admin.revert_depth = 0;
            vec![]
        }
        Back => {
            if admin.preview.take().is_none() {
                app.screen = Screen::Queue;
            }
            vec![]
        }
        EditRule | AddRule => {
            let editing = (*action == EditRule).then_some(admin.selected);
            let rule = editing.and_then(|i| admin.rules().get(i));
            if *action == EditRule && rule.is_none() {
                return Some(vec![]);
            }
            let form = RuleForm::new(editing, rule);
            app.overlay = Some(Overlay::RuleForm(form));
            vec![]
        }
        ToggleLock | ToggleRuleEnabled | DeleteRule => {
            let i = admin.selected;
            if let Some(set) = admin.draft_mut()
                && i < set.rules.len()
            {
                match action {
                    ToggleLock => set.rules[i].locked = !set.rules[i].locked,
                    ToggleRuleEnabled => set.rules[i].enabled = !set.rules[i].enabled,
                    _ => {
                        set.rules.remove(i);
                        admin.selected = i.min(set.rules.len().saturating_sub(1));
                    }
                }
            }
            vec![]
        }
        PreviewDraft => match &admin.draft {
            // A draft that only moves weights is previewed from the index at once; any other
            // draft is scored from the database on the worker.
            Some(d) => match app
                .scoring
                .as_ref()
                .and_then(|s| super::admin_data::quick_preview(&d.0, s, &app.book, app.now))
            {
                Some(p) => {
                    admin.preview = Some(p);
                    admin.previewing = false;
                    vec![]
                }
                None => {
                    admin.previewing = true;
                    app.status = Some("scoring the book with the draft…".into());
                    vec![Effect::PreviewRules(d.0.to_toml())]
                }
            },
            None => {
                app.toast("no draft: edit a rule first (e, a, L, x, D)", false);
                vec![]
            }
        },
        PublishDraft => match &admin.preview {
            Some(p) => {
                // A restore that failed earlier must not name this publish.
                admin.restoring = None;
                app.status = Some("publishing the rules…".into());
                vec![Effect::PublishRules(p.text.clone())]
            }
            None => {
                app.toast("preview the draft first (p), then publish (P)", false);
                vec![]
            }
        },
        DiscardDraft => {
            let had = admin.draft.take().is_some();
            admin.preview = None;
            admin.selected = admin.selected.min(admin.rules().len().saturating_sub(1));
            app.toast(if had { "draft discarded" } else { "no draft" }, false);
            vec![]
        }
        RevertWeight => revert_weight(app),
        RestoreVersion => super::versions::open(app),
        _ => return None,
    };
    Some(fx)
}

/// Sets the selected rule's weight back one more step in its history (then to its prior).
fn revert_weight(app: &mut App) -> Vec<Effect> {
    let admin = &mut app.admin;
    let Some(rule) = admin.rules().get(admin.selected) else {
        return vec![];
    };
    let (id, points) = (rule.id, rule.points);
    // The newest changes of the rule's history, and how many it holds in all.
    let (history, changes) = admin
        .data
        .as_ref()
        .and_then(|d| d.stats.get(&rule.name))
        .map(|s| (s.history.clone(), s.changes as usize))
        .unwrap_or_default();
    if admin.draft.is_some() {
        app.toast(
            "publish or discard the draft before reverting a weight",
            true,
        );
        return vec![];
    }
    let depth = admin.revert_depth + 1;
    if changes == 0 {
        app.toast("this rule's weight never moved: nothing to revert", false);
        return vec![];
    }
    let prior = weight_from_points(points);
    let effect = if depth < history.len() {
        Effect::RevertWeight {
            rule: id,
            to: history[history.len() - 1 - depth],
        }
    } else if depth < changes {
        // Further back than the history held here: the store reads that one change.
        Effect::RevertWeightBack {
            rule: id,
            back: depth,
            prior,
        }
    } else {
        Effect::RevertWeight {
            rule: id,
            to: prior,
        }
    };
    admin.revert_depth = depth.min(changes);
    vec![effect]
}

/// Results from the worker for the rules admin.
pub(super) fn on_loaded(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::AdminLoaded(data) => {
            app.admin.data = Some(*data);
            let n = app.admin.rules().len();
            app.admin.selected = app.admin.selected.min(n.saturating_sub(1));
        }
        Action::PreviewReady(p) => {
            app.status = None;
            app.admin.previewing = false;
            if app.admin.draft.is_some() {
                app.admin.preview = Some(*p);
            }
        }
        Action::RulesPublished(version) => {
            app.status = None;
            let draft = app.admin.draft.take();
            app.admin.preview = None;
            app.admin.revert_depth = 0;
            // A draft that only moved weights re-ranks the index in place, as its preview
            // did; any other publish or a restore reloads the book.
            let in_place = app.admin.restoring.is_none()
                && draft
                    .zip(app.scoring.as_mut())
                    .is_some_and(|(d, s)| super::admin_data::publish_in_memory(&d.0, s));
            if in_place {
                let keep = app.queue.selected_id(&app.book);
                app.rerank(keep);
                app.board.stale = true;
                app.board.queue_stale = false;
                app.accounts.stale = true;
                app.toast(
                    format!("published rules version {version} · queue re-ranked"),
                    false,
                );
                return vec![Effect::LoadAdmin];
            }
            let text = match app.admin.restoring.take() {
                Some((from, _)) => format!(
                    "restored version {from} as version {version} · queue re-ranked · to take it back, V and restore version {}",
                    version - 1
                ),
                None => format!("published rules version {version} · queue re-ranked"),
            };
            app.toast(text, false);
            return vec![Effect::LoadBook, Effect::LoadAdmin];
        }
        Action::WeightReverted(text) => {
            app.toast(text, false);
            return vec![Effect::LoadBook, Effect::LoadAdmin];
        }
        _ => {}
    }
    vec![]
}
