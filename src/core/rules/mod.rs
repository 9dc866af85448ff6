//! Scoring rules: the condition language, rule files (TOML) and rule sets with stable ids.
//!
//! A condition is parsed once into a [`Condition`] and evaluated many times with
//! [`Condition::matches`]. A rules file is read with [`RuleSet::parse`], which checks every
//! rule and reports all problems at once.

pub mod condition;
pub mod eval;
pub mod file;
pub mod lexer;
pub mod parser;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use condition::{Lists, ValueList};
pub use eval::LeadFacts;
pub use file::{RuleFileError, RuleIds, RuleProblem};
pub use lexer::ParseError;

use crate::core::model::Signal;
use crate::core::outcome::RuleId;
use crate::core::weights::{Weights, weight_from_points};

/// The default rules, used until an admin publishes their own.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Free-mail domains of the built-in `@freemail` list.
pub const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "yahoo.es",
    "yahoo.co.in",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "hotmail.de",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "zoho.com",
    "fastmail.com",
    "tutanota.com",
    "qq.com",
    "163.com",
    "126.com",
    "rediffmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "uol.com.br",
    "bol.com.br",
    "terra.com.br",
];

/// The lists every rule set knows: `@freemail`.
pub fn builtin_lists() -> Lists {
    BTreeMap::from([(
        "freemail".to_string(),
        Arc::new(ValueList::from_texts(FREEMAIL)),
    )])
}

/// A parsed rule condition with the text it came from.
#[derive(Clone, Debug)]
pub struct Condition {
    source: String,
    expr: condition::Expr,
    signals: u8,
}

impl Condition {
    /// Parses `text`; `@name` lists resolve against `lists`.
    pub fn parse(text: &str, lists: &Lists) -> Result<Condition, ParseError> {
        let expr = parser::parse(text, lists)?;
        Ok(Condition {
            source: text.to_string(),
            signals: condition::signal_mask(&expr),
            expr,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The signal kinds the condition counts (bit i = `Signal::ALL[i]`); 0 for none.
    pub fn signal_mask(&self) -> u8 {
        self.signals
    }

    pub fn matches(&self, facts: &LeadFacts<'_>) -> bool {
        eval::matches(&self.expr, facts)
    }

    /// The ages at which the condition's truth can change with time alone, unsorted.
    pub fn time_horizons(&self, out: &mut Vec<i64>) {
        condition::time_horizons(&self.expr, out);
    }

    /// Phrases naming the values that decided the condition for this lead.
    pub fn evidence(&self, facts: &LeadFacts<'_>) -> Vec<String> {
        let mut out = Vec::new();
        eval::evidence(&self.expr, facts, &mut out);
        out.dedup();
        out
    }
}

/// What a rule says about a lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Who the lead is (title, company size): 0/1.
    Fit,
    /// What the lead did (visits, replies): graded by decay of the newest signal.
    Engagement,
    /// Reasons against (free-mail, students): 0/1, usually negative points.
    Negative,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Fit => "fit",
            RuleKind::Engagement => "engagement",
            RuleKind::Negative => "negative",
        }
    }
}

/// One scoring rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    pub condition: Condition,
    /// The admin's points: the prior weight.
    pub points: f64,
    pub kind: RuleKind,
    /// Learning never moves a locked rule.
    pub locked: bool,
    /// A disabled rule is kept in the file but does not score.
    pub enabled: bool,
}

impl Rule {
    /// The prior weight in log-odds.
    pub fn prior(&self) -> f64 {
        weight_from_points(self.points)
    }
}

/// A checked set of rules, as one version of the rules file.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// The bias in points (the score of a lead no rule matches).
    pub base_points: f64,
    pub rules: Vec<Rule>,
    /// The lists the rules may use: the built-in ones plus the file's `[lists]`.
    pub lists: Lists,
    /// The admin-defined lists as written, for export.
    pub custom_lists: BTreeMap<String, Vec<String>>,
    /// Half-life per signal kind, in days, indexed like `Signal::ALL`.
    pub half_life_days: [f64; 7],
    /// The file text this set was read from.
    pub source: String,
}

/// Half-life of engagement decay when the rules file gives none, in days.
pub const DEFAULT_HALF_LIFE_DAYS: f64 = 14.0;

impl RuleSet {
    /// The built-in default rules with ids from `ids` (new names get new ids).
    pub fn default_rules(ids: &mut RuleIds) -> RuleSet {
        RuleSet::parse(DEFAULT_RULES, ids).expect("the built-in rules parse")
    }

    /// The admin's weights: bias from `base_points`, each enabled rule from its points.
    pub fn priors(&self) -> Weights {
        Weights {
            bias: weight_from_points(self.base_points),
            rules: self
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| (r.id, r.prior()))
                .collect(),
        }
    }

    pub fn rule(&self, id: RuleId) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn rule_named(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.name.trim().eq_ignore_ascii_case(name.trim()))
    }

    /// Half-life of a signal kind in seconds.
    pub fn half_life_secs(&self, s: Signal) -> f64 {
        let i = Signal::ALL.iter().position(|x| *x == s).unwrap_or(0);
        self.half_life_days[i] * crate::core::model::DAY as f64
    }
}

#[cfg(test)]
mod tests;
