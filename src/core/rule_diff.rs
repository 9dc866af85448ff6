//! What changed between two versions of the rules: rules added, removed and edited (by name),
//! and whether the base points moved — the line an admin reads beside each published version.

use crate::core::rules::{Rule, RuleSet};

/// The difference from an older rule set to a newer one. Rules are matched by name, the way
/// they keep their ids across versions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSetDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Rules whose condition, points, kind, lock or enabled flag changed.
    pub edited: Vec<String>,
    /// Base points before and after, when they changed.
    pub base_points: Option<(f64, f64)>,
}

fn same(a: &Rule, b: &Rule) -> bool {
    a.condition.source().trim() == b.condition.source().trim()
        && a.points == b.points
        && a.kind == b.kind
        && a.locked == b.locked
        && a.enabled == b.enabled
}

impl RuleSetDiff {
    pub fn between(old: &RuleSet, new: &RuleSet) -> RuleSetDiff {
        let mut d = RuleSetDiff::default();
        for r in &new.rules {
            match old.rule_named(&r.name) {
                None => d.added.push(r.name.clone()),
                Some(o) if !same(o, r) => d.edited.push(r.name.clone()),
                Some(_) => {}
            }
        }
        d.removed = old
            .rules
            .iter()
            .filter(|r| new.rule_named(&r.name).is_none())
            .map(|r| r.name.clone())
            .collect();
        if old.base_points != new.base_points {
            d.base_points = Some((old.base_points, new.base_points));
        }
        d
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.edited.is_empty()
            && self.base_points.is_none()
    }

    /// One line for people: `+ "Replied"; − "Student"; edited "Decision maker"; base −40 → −50`.
    pub fn summary(&self) -> String {
        let names = |v: &[String]| {
            v.iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            parts.push(format!("added {}", names(&self.added)));
        }
        if !self.removed.is_empty() {
            parts.push(format!("removed {}", names(&self.removed)));
        }
        if !self.edited.is_empty() {
            parts.push(format!("edited {}", names(&self.edited)));
        }
        if let Some((a, b)) = self.base_points {
            parts.push(format!("base points {a} → {b}"));
        }
        if parts.is_empty() {
            "no rule changes".into()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rules::RuleIds;

    const OLD: &str = r#"
base_points = -40
[[rule]]
name = "Decision maker"
when = 'title = "CEO"'
points = 18
kind = "fit"
[[rule]]
name = "Student"
when = 'title ~ "student"'
points = -20
kind = "negative"
[[rule]]
name = "Replied"
when = 'replies(30d) >= 1'
points = 22
kind = "engagement"
"#;

    const NEW: &str = r#"
base_points = -50
[[rule]]
name = "Decision maker"
when = 'title = "CEO"'
points = 30
kind = "fit"
[[rule]]
name = "Replied"
when = 'replies(30d) >= 1'
points = 22
kind = "engagement"
[[rule]]
name = "Big company"
when = 'employees >= 1000'
points = 8
kind = "fit"
"#;

    #[test]
    fn names_what_was_added_removed_and_edited() {
        let mut ids = RuleIds::default();
        let old = RuleSet::parse(OLD, &mut ids).unwrap();
        let new = RuleSet::parse(NEW, &mut ids).unwrap();
        let d = RuleSetDiff::between(&old, &new);
        assert_eq!(d.added, ["Big company"]);
        assert_eq!(d.removed, ["Student"]);
        assert_eq!(d.edited, ["Decision maker"]);
        assert_eq!(d.base_points, Some((-40.0, -50.0)));
        assert_eq!(
            d.summary(),
            "added \"Big company\"; removed \"Student\"; edited \"Decision maker\"; base points -40 → -50"
        );
        let none = RuleSetDiff::between(&new, &new);
        assert!(none.is_empty());
        assert_eq!(none.summary(), "no rule changes");
    }
}
