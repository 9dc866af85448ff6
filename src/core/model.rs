//! The sales domain: leads, accounts, activity and the pipeline they move through.

use serde::{Deserialize, Serialize};

pub use super::attrs::Attrs;

/// Seconds since the Unix epoch, UTC. Core code never reads the clock: callers pass `now`.
pub type Timestamp = i64;
/// Stable identifier of a lead.
pub type LeadId = u64;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// A value of a free custom attribute, kept from any CSV column.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum AttrValue {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(Timestamp),
}

impl AttrValue {
    /// The value as a user would type it back (dates as `YYYY-MM-DD`).
    pub fn display(&self) -> String {
        match self {
            AttrValue::Text(t) => t.clone(),
            AttrValue::Number(n) => format_number(*n),
            AttrValue::Bool(b) => b.to_string(),
            AttrValue::Date(ts) => crate::core::clock::format_date(*ts),
        }
    }
}

/// Formats a number without a trailing `.0` when it is whole.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// What the rep plans to do next, and when.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NextAction {
    pub due: Timestamp,
    pub note: String,
}

/// A person the sales team may sell to. Empty text means "not known".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Lead {
    pub id: LeadId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub title: String,
    /// Company name; links to an [`Account`] by its normalised name.
    pub account: String,
    pub source: String,
    pub country: String,
    pub industry: String,
    pub employees: Option<u32>,
    /// The rep who owns the lead.
    pub owner: String,
    pub stage: String,
    pub stage_entered: Timestamp,
    pub next_action: Option<NextAction>,
    /// Expected deal value in the book's currency.
    pub deal_value: Option<f64>,
    pub created: Timestamp,
    /// Any other column, by its name as imported.
    pub attrs: Attrs,
}

impl Lead {
    /// Domain part of the email address, lowercased; empty when there is none.
    pub fn email_domain(&self) -> String {
        self.email
            .rsplit_once('@')
            .map(|(_, d)| d.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The key under which the lead is found by email: trimmed and lowercased.
    pub fn email_key(&self) -> Option<String> {
        normalise_email(&self.email)
    }
}

/// Trimmed, lowercased email; `None` when empty.
pub fn normalise_email(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    (!e.is_empty()).then_some(e)
}

/// A company, for the account-based view.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Account {
    pub name: String,
    pub domain: String,
    pub industry: String,
    pub employees: Option<u32>,
}

impl Account {
    /// Key by which leads find their account: the name trimmed and lowercased.
    pub fn key(name: &str) -> String {
        name.trim().to_lowercase()
    }
}

/// A behavioural signal a lead gave; the inputs of engagement rules.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    EmailOpen,
    EmailClick,
    WebVisit,
    FormFill,
    ContentDownload,
    Webinar,
    EmailReply,
}

impl Signal {
    pub const ALL: [Signal; 7] = [
        Signal::EmailOpen,
        Signal::EmailClick,
        Signal::WebVisit,
        Signal::FormFill,
        Signal::ContentDownload,
        Signal::Webinar,
        Signal::EmailReply,
    ];

    /// The counter name used in rule conditions, e.g. `visits(30d)`.
    pub fn counter_name(self) -> &'static str {
        match self {
            Signal::EmailOpen => "opens",
            Signal::EmailClick => "clicks",
            Signal::WebVisit => "visits",
            Signal::FormFill => "forms",
            Signal::ContentDownload => "downloads",
            Signal::Webinar => "webinars",
            Signal::EmailReply => "replies",
        }
    }

    pub fn from_counter_name(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.counter_name() == name)
    }

    /// Words for a timeline line.
    pub fn label(self) -> &'static str {
        match self {
            Signal::EmailOpen => "opened an email",
            Signal::EmailClick => "clicked an email link",
            Signal::WebVisit => "visited the website",
            Signal::FormFill => "filled a form",
            Signal::ContentDownload => "downloaded content",
            Signal::Webinar => "attended a webinar",
            Signal::EmailReply => "replied to an email",
        }
    }
}

/// What happened, in a lead's timeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum ActivityKind {
    Signal(Signal),
    /// A rep logged an outcome (id from the outcome catalogue).
    Outcome(String),
    StageChange {
        from: String,
        to: String,
    },
    Note,
}

/// A time-stamped event on a lead.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Activity {
    pub lead: LeadId,
    pub at: Timestamp,
    pub kind: ActivityKind,
    /// Free text: the page visited, the note, the campaign.
    pub detail: String,
}

/// One stage of the sales pipeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StageDef {
    pub name: String,
    /// Won and Lost end a lead's journey.
    pub terminal: bool,
    pub won: bool,
    /// Days without activity after which a card in this stage counts as stale.
    pub rot_days: u32,
}

/// Ordered, configurable stages.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub stages: Vec<StageDef>,
}

impl Default for Pipeline {
    fn default() -> Self {
        let stage = |name: &str, rot_days| StageDef {
            name: name.to_string(),
            terminal: false,
            won: false,
            rot_days,
        };
        let mut stages = vec![
            stage("New", 3),
            stage("Contacted", 7),
            stage("Qualified", 14),
            stage("Proposal", 14),
            stage("Negotiation", 21),
            stage("Won", 0),
            stage("Lost", 0),
            stage("Nurture", 60),
        ];
        for s in stages
            .iter_mut()
            .filter(|s| s.name == "Won" || s.name == "Lost")
        {
            s.terminal = true;
            s.won = s.name == "Won";
        }
        Pipeline { stages }
    }
}

impl Pipeline {
    /// The first stage: where new leads start.
    pub fn initial(&self) -> &str {
        &self.stages[0].name
    }

    /// Finds a stage by name, ignoring case; returns its canonical spelling.
    pub fn find(&self, name: &str) -> Option<&StageDef> {
        let name = name.trim();
        self.stages
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    pub fn is_terminal(&self, name: &str) -> bool {
        self.find(name).is_some_and(|s| s.terminal)
    }

    /// Whether `from` → `to` goes back along the funnel: both are open stages of the main
    /// sequence (the stages before the first terminal one) and `to` comes first. A call
    /// outcome never does that to a lead (a meeting booked in Negotiation leaves it there);
    /// a rep still can, on the board. Leaving a side stage such as Nurture is no step back.
    pub fn is_step_back(&self, from: &str, to: &str) -> bool {
        let main = self
            .stages
            .iter()
            .position(|s| s.terminal)
            .unwrap_or(self.stages.len());
        match (self.index_of(from), self.index_of(to)) {
            (Some(f), Some(t)) => t < f && f < main,
            _ => false,
        }
    }

    pub fn names(&self) -> Vec<&str> {
        self.stages.iter().map(|s| s.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domain_and_key_are_normalised() {
        let lead = Lead {
            email: "  Ana.Ruiz@Example.COM ".into(),
            ..Lead::default()
        };
        assert_eq!(lead.email_domain(), "example.com");
        assert_eq!(lead.email_key().as_deref(), Some("ana.ruiz@example.com"));
        assert_eq!(Lead::default().email_key(), None);
    }

    #[test]
    fn default_pipeline_has_terminal_won_and_lost() {
        let p = Pipeline::default();
        assert_eq!(
            p.names(),
            [
                "New",
                "Contacted",
                "Qualified",
                "Proposal",
                "Negotiation",
                "Won",
                "Lost",
                "Nurture"
            ]
        );
        assert!(p.is_terminal("won") && p.is_terminal("Lost") && !p.is_terminal("Nurture"));
        assert_eq!(p.find("qualified").unwrap().name, "Qualified");
    }
}
