//! The published rule versions as an admin browses them: when each was published, how many
//! rules it has, which one scores now, and what it changed against the one before.

use crate::core::model::Timestamp;
use crate::core::rule_diff::RuleSetDiff;
use crate::core::rules::RuleSet;
use crate::store::{Store, StoreError};

/// One published version, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionSummary {
    pub version: u32,
    pub published_at: Timestamp,
    /// Why it was published, e.g. "import rules.toml" or "restore version 2".
    pub note: String,
    /// Rules in the file (enabled or not); `None` when the stored text no longer parses.
    pub rules: Option<usize>,
    /// The version that scores now (the newest).
    pub current: bool,
    /// Against the version before; `None` for the first one or when either does not parse.
    pub changes: Option<RuleSetDiff>,
}

impl Store {
    /// Every published version, oldest first, with rule counts and changes. Cheap: one parse
    /// of each version's text, no scoring.
    pub fn rule_version_summaries(&self) -> Result<Vec<VersionSummary>, StoreError> {
        let versions = self.rule_versions()?;
        let ids = self.rule_ids()?;
        let last = versions.last().map(|v| v.version);
        let mut out = Vec::with_capacity(versions.len());
        let mut previous: Option<RuleSet> = None;
        for v in versions {
            // A scratch copy of the ids: parsing an old version must not assign new ones.
            let set = RuleSet::parse(&v.text, &mut ids.clone()).ok();
            let changes = match (&previous, &set) {
                (Some(a), Some(b)) => Some(RuleSetDiff::between(a, b)),
                _ => None,
            };
            out.push(VersionSummary {
                version: v.version,
                published_at: v.published_at,
                note: v.note,
                rules: set.as_ref().map(|s| s.rules.len()),
                current: Some(v.version) == last,
                changes,
            });
            previous = set;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = 1_795_651_200;

    #[test]
    fn summaries_count_rules_mark_the_current_and_name_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert!(store.rule_version_summaries().unwrap().is_empty());
        let v2 = "[[rule]]\nname = \"Decision maker\"\nwhen = 'title = \"CEO\"'\npoints = 30\nkind = \"fit\"\n";
        store.publish_rules(v2, "import v2.toml", NOW).unwrap();
        store.restore_rules(1, NOW + 60).unwrap();
        let s = store.rule_version_summaries().unwrap();
        assert_eq!(s.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            s.iter().map(|v| v.current).collect::<Vec<_>>(),
            [false, false, true]
        );
        let defaults = store.current_rules().unwrap().rules.len();
        assert_eq!(s[0].rules, Some(defaults));
        assert_eq!(s[1].rules, Some(1));
        assert!(s[0].changes.is_none());
        let c = s[1].changes.as_ref().unwrap();
        assert_eq!(c.edited, ["Decision maker"]);
        assert_eq!(c.removed.len(), defaults - 1);
        assert_eq!(s[2].changes.as_ref().unwrap().added.len(), defaults - 1);
        assert_eq!(s[2].note, "restore version 1");
        assert_eq!(s[2].published_at, NOW + 60);
    }
}
