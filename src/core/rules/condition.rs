//! The parsed form of a rule condition: operands, literals, lists and the expression tree.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use regex::Regex;

use super::lexer::format_duration;
use crate::core::model::Signal;

/// A named or written-out list of values, lowercased for case-insensitive `in`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueList {
    pub texts: HashSet<String>,
    pub numbers: Vec<f64>,
}

impl ValueList {
    pub fn from_texts<S: AsRef<str>>(items: &[S]) -> ValueList {
        ValueList {
            texts: items
                .iter()
                .map(|s| s.as_ref().trim().to_lowercase())
                .collect(),
            numbers: Vec::new(),
        }
    }
}

/// Named lists a condition may use as `@name`, by lowercase name.
pub type Lists = BTreeMap<String, Arc<ValueList>>;

/// A standard field of a lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Email,
    EmailDomain,
    Phone,
    Title,
    Account,
    Source,
    Country,
    Industry,
    Employees,
    Owner,
    Stage,
    DealValue,
    DaysInStage,
    AgeDays,
}

impl Field {
    pub const ALL: [(&'static str, Field); 16] = [
        ("name", Field::Name),
        ("email", Field::Email),
        ("email_domain", Field::EmailDomain),
        ("phone", Field::Phone),
        ("title", Field::Title),
        ("account", Field::Account),
        ("company", Field::Account),
        ("source", Field::Source),
        ("country", Field::Country),
        ("industry", Field::Industry),
        ("employees", Field::Employees),
        ("owner", Field::Owner),
        ("stage", Field::Stage),
        ("deal_value", Field::DealValue),
        ("days_in_stage", Field::DaysInStage),
        ("age_days", Field::AgeDays),
    ];

    /// The standard field of this name, ignoring case.
    pub fn find(name: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }

    pub(crate) fn counts_days(self) -> bool {
        matches!(self, Field::DaysInStage | Field::AgeDays)
    }
}

/// What a predicate looks at.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A standard field or a custom attribute. `field` is the standard field the name
    /// matches; `quoted` names (backticks) prefer a custom attribute of exactly that name.
    Named {
        name: String,
        field: Option<Field>,
        quoted: bool,
    },
    /// How many signals of a kind arrived in the last `window` seconds: `visits(30d)`.
    Counter { signal: Signal, window: i64 },
    /// Time since the newest signal of the kinds in `mask`: `last(activity)`.
    Last { mask: u8 },
}

impl Operand {
    /// The operand as written in a condition.
    pub fn label(&self) -> String {
        match self {
            Operand::Named { name, quoted, .. } if *quoted || !is_bare_word(name) => {
                format!("`{name}`")
            }
            Operand::Named { name, .. } => name.clone(),
            Operand::Counter { signal, window } => {
                format!("{}({})", signal.counter_name(), format_duration(*window))
            }
            Operand::Last { mask } => match Signal::ALL.iter().find(|s| *mask == mask_of(**s)) {
                Some(s) => format!("last({})", s.counter_name()),
                None => "last(activity)".to_string(),
            },
        }
    }
}

fn is_bare_word(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The bit of a signal kind in a signal mask.
pub fn mask_of(signal: Signal) -> u8 {
    1 << Signal::ALL.iter().position(|s| *s == signal).unwrap_or(0)
}

/// Every signal kind.
pub const ALL_SIGNALS: u8 = (1 << Signal::ALL.len()) - 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A literal value on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// Kept as written and lowercased.
    Text {
        raw: String,
        lower: String,
    },
    Number(f64),
    Bool(bool),
    /// Seconds.
    Duration(i64),
}

/// The parsed condition tree.
#[derive(Clone, Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        operand: Operand,
        op: CmpOp,
        value: Literal,
    },
    In {
        operand: Operand,
        list: Arc<ValueList>,
        /// `Some(name)` for `@name`, `None` for a written-out list.
        name: Option<String>,
        negated: bool,
    },
    Regex {
        operand: Operand,
        re: Regex,
    },
    Contains {
        operand: Operand,
        needle: String,
    },
    Missing {
        operand: Operand,
        negated: bool,
    },
}

/// The ages at which the condition's truth can change with time alone: each counter's window
/// (`visits(30d)`: an event 30 days old leaves it) and each duration `last(…)` is compared
/// with. Added to `out`, unsorted.
pub fn time_horizons(expr: &Expr, out: &mut Vec<i64>) {
    let operand = match expr {
        Expr::And(a, b) | Expr::Or(a, b) => {
            time_horizons(a, out);
            time_horizons(b, out);
            return;
        }
        Expr::Not(a) => return time_horizons(a, out),
        Expr::Compare { operand, value, .. } => {
            if let (Operand::Last { .. }, Literal::Duration(d)) = (operand, value) {
                out.push(*d);
            }
            operand
        }
        Expr::In { operand, .. }
        | Expr::Regex { operand, .. }
        | Expr::Contains { operand, .. }
        | Expr::Missing { operand, .. } => operand,
    };
    if let Operand::Counter { window, .. } = operand {
        out.push(*window);
    }
}

/// The signal kinds a condition looks at (its counters and `last(…)`), as a mask.
pub fn signal_mask(expr: &Expr) -> u8 {
    let of = |o: &Operand| match o {
        Operand::Counter { signal, .. } => mask_of(*signal),
        Operand::Last { mask } => *mask,
        Operand::Named { .. } => 0,
    };
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => signal_mask(a) | signal_mask(b),
        Expr::Not(a) => signal_mask(a),
        Expr::Compare { operand, .. }
        | Expr::In { operand, .. }
        | Expr::Regex { operand, .. }
        | Expr::Contains { operand, .. }
        | Expr::Missing { operand, .. } => of(operand),
    }
}
