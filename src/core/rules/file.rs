//! The rules file (TOML): reading it into a checked [`RuleSet`], writing one back, and the
//! stable ids that follow a rule by its name across edits and versions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    Condition, DEFAULT_HALF_LIFE_DAYS, ParseError, Rule, RuleKind, RuleSet, ValueList,
    builtin_lists,
};
use crate::core::model::Signal;
use crate::core::outcome::RuleId;

/// Rule ids by rule name (lowercased): a rule keeps its id while its name stays the same.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RuleIds {
    pub by_name: BTreeMap<String, RuleId>,
    /// The id the next new name gets.
    pub next: RuleId,
}

impl RuleIds {
    fn key(name: &str) -> String {
        name.trim().to_lowercase()
    }

    /// The id of a rule name, assigning a new one for a name never seen.
    pub fn assign(&mut self, name: &str) -> RuleId {
        let next = &mut self.next;
        *self.by_name.entry(Self::key(name)).or_insert_with(|| {
            *next = next.saturating_add(1);
            *next
        })
    }

    pub fn get(&self, name: &str) -> Option<RuleId> {
        self.by_name.get(&Self::key(name)).copied()
    }
}

/// One problem in a rules file.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleProblem {
    /// The rule's name, when the problem is in a rule.
    pub rule: Option<String>,
    /// Line in the file where the rule's condition (or the problem) starts.
    pub file_line: Option<usize>,
    /// For condition errors: the line and column inside the condition and what was expected.
    pub condition: Option<ParseError>,
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule:?}")?;
        } else {
            f.write_str("rules file")?;
        }
        if let Some(line) = self.file_line {
            write!(f, " (file line {line})")?;
        }
        match &self.condition {
            Some(e) => write!(f, ": condition {e}"),
            None => write!(f, ": {}", self.message),
        }
    }
}

/// Every problem found in a rules file; nothing is used when there is any.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct RuleFileError {
    pub problems: Vec<RuleProblem>,
}

impl fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "the rules file has {n} problem{}; nothing was changed:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    base_points: Option<f64>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
    #[serde(default)]
    lists: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    half_life: BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: toml::Spanned<String>,
    when: toml::Spanned<String>,
    points: f64,
    kind: RuleKind,
    #[serde(default)]
    locked: bool,
    #[serde(default = "yes")]
    enabled: bool,
}

/// Largest number of points a rule may carry either way (2^10 times the odds at PDO 20).
pub const MAX_POINTS: f64 = 200.0;

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(1, |t| t.matches('\n').count() + 1)
}

impl RuleSet {
    /// Reads and checks a rules file. Rules keep the ids `ids` has for their names; new
    /// names get new ids, which are added to `ids` only when the whole file is good.
    pub fn parse(text: &str, ids: &mut RuleIds) -> Result<RuleSet, RuleFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RuleFileError {
            problems: vec![RuleProblem {
                rule: None,
                file_line: e.span().map(|s| line_of(text, s.start)),
                condition: None,
                message: e.message().trim().to_string(),
            }],
        })?;
        let mut problems = Vec::new();
        let file_problem = |message: String| RuleProblem {
            rule: None,
            file_line: None,
            condition: None,
            message,
        };
        let mut lists = builtin_lists();
        for (name, items) in &raw.lists {
            let key = name.to_lowercase();
            if lists.contains_key(&key) && builtin_lists().contains_key(&key) {
                problems.push(file_problem(format!(
                    "list {name:?} is built in; choose another name"
                )));
            }
            lists.insert(key, Arc::new(ValueList::from_texts(items)));
        }
        let mut half_life_days = [DEFAULT_HALF_LIFE_DAYS; 7];
        for (name, days) in &raw.half_life {
            match Signal::ALL
                .iter()
                .position(|s| s.counter_name() == name.to_lowercase())
            {
                Some(i) if days.is_finite() && *days > 0.0 => half_life_days[i] = *days,
                Some(_) => problems.push(file_problem(format!(
                    "half_life.{name} must be a number of days above 0, got {days}"
                ))),
                None => problems.push(file_problem(format!(
                    "half_life.{name}: unknown signal; known: {}",
                    Signal::ALL.map(|s| s.counter_name()).join(", ")
                ))),
            }
        }
        let base_points = raw.base_points.unwrap_or(0.0);
        if !base_points.is_finite() || base_points.abs() > MAX_POINTS {
            problems.push(file_problem(format!(
                "base_points must be between -{MAX_POINTS} and {MAX_POINTS}, got {base_points}"
            )));
        }
        let mut new_ids = ids.clone();
        let mut rules = Vec::new();
        let mut seen = BTreeMap::new();
        for r in raw.rules {
            let name = r.name.get_ref().trim().to_string();
            let file_line = line_of(text, r.when.span().start);
            let problem = |message: String| RuleProblem {
                rule: Some(name.clone()),
                file_line: Some(file_line),
                condition: None,
                message,
            };
            if name.is_empty() {
                problems.push(RuleProblem {
                    rule: None,
                    file_line: Some(line_of(text, r.name.span().start)),
                    condition: None,
                    message: "a rule has an empty name; give every rule a name".into(),
                });
                continue;
            }
            if seen.insert(name.to_lowercase(), ()).is_some() {
                problems.push(problem(
                    "two rules have this name; rule names must be unique".into(),
                ));
            }
            if !r.points.is_finite() || r.points.abs() > MAX_POINTS {
                problems.push(problem(format!(
                    "points must be between -{MAX_POINTS} and {MAX_POINTS}, got {}",
                    r.points
                )));
            }
            match Condition::parse(r.when.get_ref(), &lists) {
                Ok(condition) => rules.push(Rule {
                    id: new_ids.assign(&name),
                    name,
                    condition,
                    points: r.points,
                    kind: r.kind,
                    locked: r.locked,
                    enabled: r.enabled,
                }),
                Err(e) => problems.push(RuleProblem {
                    condition: Some(e.clone()),
                    message: e.to_string(),
                    ..problem(String::new())
                }),
            }
        }
        if !problems.is_empty() {
            return Err(RuleFileError { problems });
        }
        *ids = new_ids;
        Ok(RuleSet {
            base_points,
            rules,
            lists,
            custom_lists: raw.lists,
            half_life_days,
            source: text.to_string(),
        })
    }

    /// The set as a rules file, in the layout [`RuleSet::parse`] reads (comments are not
    /// kept; use `source` for the text as the admin wrote it).
    pub fn to_toml(&self) -> String {
        #[derive(Serialize)]
        struct OutRule<'a> {
            name: &'a str,
            when: &'a str,
            points: f64,
            kind: RuleKind,
            #[serde(skip_serializing_if = "std::ops::Not::not")]
            locked: bool,
            #[serde(skip_serializing_if = "Clone::clone")]
            enabled: bool,
        }
        #[derive(Serialize)]
        struct OutFile<'a> {
            base_points: f64,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            half_life: BTreeMap<&'static str, f64>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            lists: &'a BTreeMap<String, Vec<String>>,
            rule: Vec<OutRule<'a>>,
        }
        let half_life = Signal::ALL
            .iter()
            .zip(self.half_life_days)
            .filter(|(_, d)| *d != DEFAULT_HALF_LIFE_DAYS)
            .map(|(s, d)| (s.counter_name(), d))
            .collect();
        let file = OutFile {
            base_points: self.base_points,
            half_life,
            lists: &self.custom_lists,
            rule: self
                .rules
                .iter()
                .map(|r| OutRule {
                    name: &r.name,
                    when: r.condition.source(),
                    points: r.points,
                    kind: r.kind,
                    locked: r.locked,
                    enabled: r.enabled,
                })
                .collect(),
        };
        toml::to_string(&file).unwrap_or_default()
    }
}
