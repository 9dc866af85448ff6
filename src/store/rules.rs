//! Stored rules and weights: versioned rule sets in the `rules` tree (every published version
//! kept, listable, restorable), rule ids by name, and the current weights in `weights`.
//!
//! Until a rule set is published the built-in default rules score; the first write (a publish
//! or saving weights) stores them as version 1, so their ids are fixed from then on.

use serde::{Deserialize, Serialize};

use crate::core::index::LeadIndex;
use crate::core::model::{Activity, Lead, LeadId, Timestamp};
use crate::core::priority::PriorityConfig;
use crate::core::rules::{DEFAULT_RULES, RuleFileError, RuleIds, RuleSet};
use crate::core::scorecard::Scorecard;
use crate::core::signals::SignalSummary;
use crate::core::weights::Weights;
use crate::store::{Store, StoreError};

const IDS_KEY: &[u8] = b"ids";
const VERSION_PREFIX: &[u8] = b"v";
const CURRENT_WEIGHTS: &[u8] = b"current";

/// One published version of the rules file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RuleVersion {
    /// 1, 2, 3… in publishing order.
    pub version: u32,
    pub published_at: Timestamp,
    /// Why it was published, e.g. "import rules.toml" or "restore version 2".
    pub note: String,
    /// The rules file as published.
    pub text: String,
}

/// Why rules could not be published.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Invalid(#[from] RuleFileError),
    #[error("rules version {0} not found; see `leadq rules list`")]
    VersionNotFound(u32),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn version_key(v: u32) -> Vec<u8> {
    let mut k = VERSION_PREFIX.to_vec();
    k.extend_from_slice(&v.to_be_bytes());
    k
}

impl Store {
    /// Rule ids by name, as assigned so far.
    pub fn rule_ids(&self) -> Result<RuleIds, StoreError> {
        Ok(self.get_value(&self.rules, IDS_KEY)?.unwrap_or_default())
    }

    /// Every published version, oldest first.
    pub fn rule_versions(&self) -> Result<Vec<RuleVersion>, StoreError> {
        self.iter_values(&self.rules, self.rules.scan_prefix(VERSION_PREFIX))
            .collect()
    }

    pub fn rule_version(&self, version: u32) -> Result<Option<RuleVersion>, StoreError> {
        self.get_value(&self.rules, &version_key(version))
    }

    /// The number of the rules version in force (`None`: the built-in defaults); it changes
    /// with every publish and restore, so it tells whether rules parsed earlier still hold.
    pub fn current_rules_version(&self) -> Result<Option<u32>, StoreError> {
        Ok(self.latest_version()?.map(|v| v.version))
    }

    fn latest_version(&self) -> Result<Option<RuleVersion>, StoreError> {
        match self
            .rules
            .scan_prefix(VERSION_PREFIX)
            .next_back()
            .transpose()
            .map_err(|e| self.sled_error(e))?
        {
            Some((k, v)) => crate::store::codec::decode(&v)
                .map(Some)
                .map_err(|e| self.decode_error(&self.rules, &k, e)),
            None => Ok(None),
        }
    }

    /// The rule set that scores now: the latest published version, or the defaults.
    pub fn current_rules(&self) -> Result<RuleSet, StoreError> {
        let mut ids = self.rule_ids()?;
        let text = self
            .latest_version()?
            .map_or_else(|| DEFAULT_RULES.to_string(), |v| v.text);
        RuleSet::parse(&text, &mut ids)
            .map_err(|e| self.corrupt("rules", format!("the stored rules no longer parse: {e}")))
    }

    /// Checks and publishes a rules file as a new version; returns it and the parsed set.
    ///
    /// Nothing is stored when any rule is bad. Rules keep their ids by name. A rule whose
    /// points changed starts again from its new prior (its learned weight is dropped), and
    /// so does the bias when `base_points` changed.
    /// The write is durable when this returns.
    pub fn publish_rules(
        &self,
        text: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<(u32, RuleSet), RulesError> {
        let mut ids = self.rule_ids()?;
        let set = RuleSet::parse(text, &mut ids)?;
        let previous = self.ensure_published(now)?;
        let old = self.current_rules()?;
        let version = previous + 1;
        self.put_value(&self.rules, IDS_KEY, &ids)?;
        self.put_value(
            &self.rules,
            &version_key(version),
            &RuleVersion {
                version,
                published_at: now,
                note: note.to_string(),
                text: text.to_string(),
            },
        )?;
        let mut changed: Vec<Option<crate::core::outcome::RuleId>> = set
            .rules
            .iter()
            .filter(|b| b.enabled && old.rule(b.id).is_some_and(|a| a.points != b.points))
            .map(|b| Some(b.id))
            .collect();
        if old.base_points != set.base_points {
            changed.push(None);
        }
        // The learner's weights restart (a stored revert to the new prior each), and the
        // scored weights are derived from them. Without stored learning, only the scored
        // weights (saved directly) drop the changed rules back to their priors.
        let priors = crate::core::learn::Priors::of_rule_set(&set);
        if !self.restart_from_priors(&changed, &priors, now)?
            && let Some(mut w) = self.load_weights()?
        {
            let before = w.rules.len();
            w.rules.retain(|id, _| !changed.contains(&Some(*id)));
            if changed.contains(&None) {
                w.bias = priors.bias;
            }
            if changed.contains(&None) || w.rules.len() != before {
                self.put_value(&self.weights, CURRENT_WEIGHTS, &w)?;
            }
        }
        self.flush()?;
        Ok((version, set))
    }

    /// Publishes an older version again as the newest one.
    pub fn restore_rules(
        &self,
        version: u32,
        now: Timestamp,
    ) -> Result<(u32, RuleSet), RulesError> {
        let old = self
            .rule_version(version)?
            .ok_or(RulesError::VersionNotFound(version))?;
        self.publish_rules(&old.text, &format!("restore version {version}"), now)
    }

    /// Stores the default rules as version 1 when nothing is published yet; returns the
    /// latest version number.
    pub(crate) fn ensure_published(&self, now: Timestamp) -> Result<u32, StoreError> {
        if let Some(v) = self.latest_version()? {
            return Ok(v.version);
        }
        let mut ids = self.rule_ids()?;
        RuleSet::parse(DEFAULT_RULES, &mut ids)
            .map_err(|e| self.corrupt("rules", format!("built-in rules: {e}")))?;
        self.put_value(&self.rules, IDS_KEY, &ids)?;
        self.put_value(
            &self.rules,
            &version_key(1),
            &RuleVersion {
                version: 1,
                published_at: now,
                note: "built-in default rules".into(),
                text: DEFAULT_RULES.to_string(),
            },
        )?;
        Ok(1)
    }

    /// The learned weights, if learning has saved any.
    pub fn load_weights(&self) -> Result<Option<Weights>, StoreError> {
        self.get_value(&self.weights, CURRENT_WEIGHTS)
    }

    /// Saves the current weights (publishing the default rules first if none are), durably.
    pub fn save_weights(&self, weights: &Weights, now: Timestamp) -> Result<(), StoreError> {
        self.ensure_published(now)?;
        self.put_value(&self.weights, CURRENT_WEIGHTS, weights)?;
        self.flush()
    }

    /// What scoring needs: the current rule set with the learned weights.
    pub fn scorecard(&self) -> Result<Scorecard, StoreError> {
        Ok(Scorecard::new(
            self.current_rules()?,
            self.load_weights()?.as_ref(),
        ))
    }

    /// A lead's behavioural signals, compact, as scoring reads them.
    pub fn signals_of(&self, lead: LeadId) -> Result<SignalSummary, StoreError> {
        Ok(SignalSummary::from_activities(&self.activities_of(lead)?))
    }

    /// Builds the in-memory index of every lead in one pass over leads and activities.
    pub fn build_index(
        &self,
        card: &Scorecard,
        cfg: PriorityConfig,
        now: Timestamp,
    ) -> Result<LeadIndex, StoreError> {
        self.build_index_with(card, cfg, now, |_, _, _| ())
    }

    /// [`Store::build_index`], handing each lead, its value as stored and the time of its
    /// newest activity (of any kind) to `visit` as the one pass over leads and activities
    /// reads them: a caller that also keeps the leads does not read the book twice.
    pub fn build_index_with(
        &self,
        card: &Scorecard,
        cfg: PriorityConfig,
        now: Timestamp,
        mut visit: impl FnMut(Lead, &[u8], Option<Timestamp>),
    ) -> Result<LeadIndex, StoreError> {
        let mut index = LeadIndex::new(card, &self.pipeline()?, cfg, now);
        index.reserve(self.lead_count_bound()?);
        // Two cores, two halves: a second thread reads and decodes the timelines (8–9
        // activities per lead in a demo book: the larger read) and sums each lead's signals,
        // while this one reads the leads and scores them. Timelines are keyed by lead id,
        // like leads, so they are handed over in the order the leads are read.
        std::thread::scope(|scope| {
            let (tx, rx) =
                std::sync::mpsc::sync_channel::<Vec<Result<LeadActivity, StoreError>>>(8);
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(ACTIVITY_BATCH);
                for timeline in self.timelines() {
                    let failed = timeline.is_err();
                    batch.push(timeline.map(LeadActivity::of));
                    if failed {
                        let _ = tx.send(batch);
                        return;
                    }
                    if batch.len() >= ACTIVITY_BATCH && tx.send(std::mem::take(&mut batch)).is_err()
                    {
                        return; // the reader of leads stopped (an error, or done)
                    }
                }
                let _ = tx.send(batch);
            });
            let mut runs = rx.into_iter().flatten().peekable();
            for lead in self.leads_with_values() {
                let (lead, value) = lead?;
                let mut found = None;
                while let Some(next) = runs.peek() {
                    match next {
                        Ok(r) if r.lead < lead.id => {
                            runs.next();
                        }
                        Ok(r) if r.lead == lead.id => {
                            found = runs.next().and_then(Result::ok);
                            break;
                        }
                        Ok(_) => break,
                        Err(_) => return Err(runs.next().and_then(Result::err).expect("peeked")),
                    }
                }
                let (signals, newest) = found.map_or((SignalSummary::default(), None), |r| {
                    (r.signals, (r.newest != i64::MIN).then_some(r.newest))
                });
                index.upsert(card, &lead, signals);
                visit(lead, &value, newest);
            }
            Ok(index)
        })
    }
}

/// Runs of activities handed from the activity reader to the lead reader at a time.
const ACTIVITY_BATCH: usize = 1024;

/// One lead's activities as the index needs them: its signals and its newest time.
struct LeadActivity {
    lead: LeadId,
    signals: SignalSummary,
    newest: Timestamp,
}

impl LeadActivity {
    fn of((lead, activities): (LeadId, Vec<Activity>)) -> LeadActivity {
        LeadActivity {
            lead,
            signals: SignalSummary::from_activities(&activities),
            newest: activities.iter().map(|a| a.at).max().unwrap_or(i64::MIN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::ActivityKind;
    use crate::core::weights::weight_from_points;

    const NOW: Timestamp = 1_795_651_200;

    const V2: &str = r#"
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
"#;

    #[test]
    fn defaults_score_until_published_and_versions_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let defaults = store.current_rules().unwrap();
        assert!(store.rule_versions().unwrap().is_empty());
        let decision = defaults.rule_named("Decision maker").unwrap().id;
        let replied = defaults.rule_named("Replied").unwrap().id;

        // Learning saved weights: the defaults become version 1.
        let mut w = store.scorecard().unwrap().weights().clone();
        w.rules.insert(decision, 1.0);
        w.rules.insert(replied, 2.0);
        store.save_weights(&w, NOW).unwrap();
        assert_eq!(store.rule_versions().unwrap().len(), 1);

        let (v, set) = store.publish_rules(V2, "import v2.toml", NOW + 10).unwrap();
        assert_eq!(v, 2);
        assert_eq!(
            set.rule_named("Decision maker").unwrap().id,
            decision,
            "ids survive versions"
        );
        let card = store.scorecard().unwrap();
        // Points edited → learned weight dropped; unchanged points → learned weight kept.
        assert_eq!(card.weights().get(decision), weight_from_points(30.0));
        assert_eq!(card.weights().get(replied), 2.0);
        assert_eq!(
            card.weights().bias,
            weight_from_points(-50.0),
            "base_points edited"
        );

        let err = store
            .publish_rules(
                "[[rule]]\nname = \"X\"\nwhen = 'a >= '\npoints = 1\nkind = \"fit\"\n",
                "bad",
                NOW,
            )
            .unwrap_err();
        assert!(matches!(err, RulesError::Invalid(_)));
        assert_eq!(
            store.rule_versions().unwrap().len(),
            2,
            "a bad file stores nothing"
        );

        let (v, set) = store.restore_rules(1, NOW + 20).unwrap();
        assert_eq!(v, 3);
        assert_eq!(set.rules.len(), defaults.rules.len());
        assert_eq!(set.rule_named("Replied").unwrap().id, replied);
        let versions = store.rule_versions().unwrap();
        assert_eq!(
            versions.iter().map(|v| v.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(versions[2].note, "restore version 1");
        assert!(matches!(
            store.restore_rules(9, NOW),
            Err(RulesError::VersionNotFound(9))
        ));
    }

    /// The index read from the store in one pass over leads and activities (activities on a
    /// second thread) equals one built from each lead's own activities: signals, scores and
    /// each lead's newest activity, with leads that have no activity, activities of leads
    /// that do not exist (before, between and after the leads), and more leads than one
    /// hand-over batch carries.
    #[test]
    fn the_index_read_in_one_pass_equals_one_built_lead_by_lead() {
        // The last activity belongs to a lead that does not exist, then to the last lead.
        index_read_in_one_pass_equals_lead_by_lead(2_700);
        index_read_in_one_pass_equals_lead_by_lead(2_600);
    }

    fn index_read_in_one_pass_equals_lead_by_lead(activities_below: u64) {
        use crate::core::model::{Activity, Signal};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let kinds = [
            Signal::EmailOpen,
            Signal::WebVisit,
            Signal::FormFill,
            Signal::EmailReply,
        ];
        let mut activities = Vec::new();
        for id in (3..2_600u64).step_by(2) {
            store
                .put_lead(&Lead {
                    id,
                    title: if id % 3 == 0 {
                        "CEO".into()
                    } else {
                        "Analyst".into()
                    },
                    stage: "New".into(),
                    ..Lead::default()
                })
                .unwrap();
        }
        // Leads 1, 2, 4, 6, … do not exist; every fifth lead has no activity at all.
        for id in 1..activities_below {
            if id % 5 == 0 {
                continue;
            }
            for k in 0..(id % 4) {
                activities.push(Activity {
                    lead: id,
                    at: NOW - (id as i64 * 37 + k as i64 * 3_600) % (40 * 86_400),
                    kind: ActivityKind::Signal(kinds[(id + k) as usize % kinds.len()]),
                    detail: String::new(),
                });
            }
            if id % 7 == 0 {
                activities.push(Activity {
                    lead: id,
                    at: NOW - 60,
                    kind: ActivityKind::StageChange {
                        from: "New".into(),
                        to: "Contacted".into(),
                    },
                    detail: String::new(),
                });
            }
        }
        store.insert_activities(&activities).unwrap();
        let card = store.scorecard().unwrap();
        let mut newest = Vec::new();
        let index = store
            .build_index_with(&card, PriorityConfig::default(), NOW, |lead, value, at| {
                // The value handed over is the lead as stored.
                assert_eq!(crate::store::codec::decode::<Lead>(value).unwrap(), lead);
                newest.push((lead.id, at))
            })
            .unwrap();
        let leads: Vec<Lead> = store.leads().map(Result::unwrap).collect();
        assert_eq!(index.len(), leads.len());
        assert_eq!(newest.len(), leads.len());
        let mut with_signals = 0;
        for (lead, (id, at)) in leads.iter().zip(&newest) {
            assert_eq!(lead.id, *id, "leads are visited in order");
            // From the activities written, not read back through the store.
            let own: Vec<&Activity> = activities.iter().filter(|a| a.lead == *id).collect();
            assert_eq!(*at, own.iter().map(|a| a.at).max(), "lead {id}");
            let signals = SignalSummary::from_events(own.iter().filter_map(|a| match a.kind {
                ActivityKind::Signal(s) => Some((s, a.at)),
                _ => None,
            }));
            with_signals += usize::from(signals != SignalSummary::default());
            assert_eq!(index.signals(lead.id), Some(&signals), "lead {id}");
            let mut alone = LeadIndex::new(
                &card,
                &store.pipeline().unwrap(),
                PriorityConfig::default(),
                NOW,
            );
            alone.upsert(&card, lead, signals);
            assert_eq!(index.logit(lead.id), alone.logit(lead.id), "lead {id}");
        }
        assert!(
            with_signals > 900,
            "the book has signals to read: {with_signals}"
        );
    }
}
