//! Evaluating a condition against a lead, and saying in words what made it match.

use std::borrow::Cow;

use super::condition::{CmpOp, Expr, Field, Literal, Operand};
use crate::core::clock::format_age;
use crate::core::model::{AttrValue, DAY, Lead, Timestamp, format_number};
use crate::core::signals::SignalSummary;

/// Everything a condition can look at: the lead, its signals, and the time of scoring.
#[derive(Clone, Copy, Debug)]
pub struct LeadFacts<'a> {
    pub lead: &'a Lead,
    pub signals: &'a SignalSummary,
    pub now: Timestamp,
}

/// A value read from a lead.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Missing,
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Date(Timestamp),
    /// Seconds (from `last(…)`).
    Span(i64),
}

impl Value<'_> {
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Text(t) => Some(Cow::Borrowed(t.as_ref())),
            Value::Number(n) => Some(Cow::Owned(format_number(*n))),
            Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            Value::Date(d) => Some(Cow::Owned(crate::core::clock::format_date(*d))),
            Value::Span(_) | Value::Missing => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(t) => t.trim().parse().ok().filter(|n: &f64| n.is_finite()),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Span(s) => Some(*s as f64),
            Value::Date(_) | Value::Missing => None,
        }
    }

    fn boolean(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(*n != 0.0),
            Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Some(true),
                "false" | "no" | "n" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value as evidence shows it.
    pub fn describe(&self) -> String {
        match self {
            Value::Missing => "missing".into(),
            Value::Span(s) => format_age(*s),
            other => other.text().map(|t| t.into_owned()).unwrap_or_default(),
        }
    }
}

fn text_value(s: &str) -> Value<'_> {
    if s.trim().is_empty() {
        Value::Missing
    } else {
        Value::Text(Cow::Borrowed(s))
    }
}

fn attr_value(v: &AttrValue) -> Value<'_> {
    match v {
        AttrValue::Text(t) => text_value(t),
        AttrValue::Number(n) => Value::Number(*n),
        AttrValue::Bool(b) => Value::Bool(*b),
        AttrValue::Date(d) => Value::Date(*d),
    }
}

fn field_value(f: Field, facts: &LeadFacts<'_>) -> Value<'static> {
    let lead = facts.lead;
    let owned = |s: &str| match text_value(s) {
        Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
        _ => Value::Missing,
    };
    match f {
        Field::Name => owned(&lead.name),
        Field::Email => owned(&lead.email),
        Field::EmailDomain => owned(&lead.email_domain()),
        Field::Phone => owned(&lead.phone),
        Field::Title => owned(&lead.title),
        Field::Account => owned(&lead.account),
        Field::Source => owned(&lead.source),
        Field::Country => owned(&lead.country),
        Field::Industry => owned(&lead.industry),
        Field::Owner => owned(&lead.owner),
        Field::Stage => owned(&lead.stage),
        Field::Employees => lead
            .employees
            .map_or(Value::Missing, |e| Value::Number(e as f64)),
        Field::DealValue => lead.deal_value.map_or(Value::Missing, Value::Number),
        Field::DaysInStage => Value::Number(((facts.now - lead.stage_entered) / DAY) as f64),
        Field::AgeDays => Value::Number(((facts.now - lead.created) / DAY) as f64),
    }
}

/// Reads an operand. Text borrows from the lead where it can.
pub fn read<'a>(operand: &Operand, facts: &LeadFacts<'a>) -> Value<'a> {
    match operand {
        Operand::Named {
            name,
            field,
            quoted,
        } => {
            let lead = facts.lead;
            let exact = || lead.attrs.get(name).map(attr_value);
            let loose = || {
                lead.attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| attr_value(v))
            };
            let standard = || field.map(|f| field_value(f, facts));
            let found = if *quoted {
                exact().or_else(standard).or_else(loose)
            } else {
                standard().or_else(exact).or_else(loose)
            };
            found.unwrap_or(Value::Missing)
        }
        Operand::Counter { signal, window } => {
            Value::Number(facts.signals.count(*signal, *window, facts.now).0 as f64)
        }
        Operand::Last { mask } => match facts.signals.newest(*mask, facts.now) {
            Some((_, t)) => Value::Span(facts.now - t),
            None => Value::Missing,
        },
    }
}

fn compare(value: &Value<'_>, op: CmpOp, lit: &Literal) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match lit {
        Literal::Number(n) => value.number().and_then(|v| v.partial_cmp(n)),
        Literal::Duration(d) => match value {
            Value::Span(s) => Some(s.cmp(d)),
            _ => None,
        },
        Literal::Bool(b) => value.boolean().map(|v| v.cmp(b)),
        Literal::Text { raw, lower } => match value {
            Value::Missing | Value::Span(_) => None,
            Value::Date(d) => crate::core::clock::parse_date(raw).map(|t| d.cmp(&t)),
            Value::Number(n) => match raw.trim().parse::<f64>() {
                Ok(x) => n.partial_cmp(&x),
                Err(_) => Some(format_number(*n).to_lowercase().cmp(lower)),
            },
            other => other
                .text()
                .map(|t| t.trim().to_lowercase().cmp(&lower.trim().to_string())),
        },
    };
    let Some(ord) = ord else { return false };
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    }
}

fn in_list(value: &Value<'_>, list: &super::condition::ValueList) -> bool {
    if let Some(n) = value.number()
        && list.numbers.contains(&n)
    {
        return true;
    }
    value
        .text()
        .is_some_and(|t| list.texts.contains(t.trim().to_lowercase().as_str()))
}

/// Whether the lead matches the condition. A missing value makes a predicate false.
pub fn matches(expr: &Expr, facts: &LeadFacts<'_>) -> bool {
    match expr {
        Expr::And(a, b) => matches(a, facts) && matches(b, facts),
        Expr::Or(a, b) => matches(a, facts) || matches(b, facts),
        Expr::Not(a) => !matches(a, facts),
        Expr::Compare { operand, op, value } => compare(&read(operand, facts), *op, value),
        Expr::In {
            operand,
            list,
            negated,
            ..
        } => {
            let v = read(operand, facts);
            v != Value::Missing && in_list(&v, list) != *negated
        }
        Expr::Regex { operand, re } => read(operand, facts).text().is_some_and(|t| re.is_match(&t)),
        Expr::Contains { operand, needle } => read(operand, facts)
            .text()
            .is_some_and(|t| t.to_lowercase().contains(needle.as_str())),
        Expr::Missing { operand, negated } => (read(operand, facts) == Value::Missing) != *negated,
    }
}

/// Words for the values that decided a condition, e.g. `title = VP Sales` or
/// `4 visits in 30 d, newest 2 d ago`; one phrase per predicate that mattered.
pub fn evidence(expr: &Expr, facts: &LeadFacts<'_>, out: &mut Vec<String>) {
    match expr {
        Expr::And(a, b) => {
            evidence(a, facts, out);
            evidence(b, facts, out);
        }
        Expr::Or(a, b) => {
            // The branches that hold explain an `or`; when none does, all of them do.
            let (ma, mb) = (matches(a, facts), matches(b, facts));
            if ma || !mb {
                evidence(a, facts, out);
            }
            if mb || !ma {
                evidence(b, facts, out);
            }
        }
        Expr::Not(a) => evidence(a, facts, out),
        Expr::Compare { operand, .. }
        | Expr::Regex { operand, .. }
        | Expr::Contains { operand, .. }
        | Expr::Missing { operand, .. } => out.push(describe(operand, facts)),
        Expr::In {
            operand,
            name: Some(list),
            ..
        } => {
            let v = read(operand, facts);
            let phrase = match &v {
                Value::Missing => format!("{} is missing", operand.label()),
                v if in_list(v, list_of(expr)) => {
                    format!("{} {} in @{list}", operand.label(), v.describe())
                }
                v => format!("{} {} not in @{list}", operand.label(), v.describe()),
            };
            out.push(phrase);
        }
        Expr::In { operand, .. } => out.push(describe(operand, facts)),
    }
}

fn list_of(expr: &Expr) -> &super::condition::ValueList {
    match expr {
        Expr::In { list, .. } => list,
        _ => unreachable!("only called on `in`"),
    }
}

/// One operand's value in words.
fn describe(operand: &Operand, facts: &LeadFacts<'_>) -> String {
    match operand {
        Operand::Counter { signal, window } => {
            let (n, newest) = facts.signals.count(*signal, *window, facts.now);
            let days = window / DAY;
            let span = if window % DAY == 0 {
                format!("{days} d")
            } else {
                format!("{} h", window / 3600)
            };
            match newest {
                Some(t) => format!(
                    "{n} {} in {span}, newest {} ago",
                    if n == 1 {
                        singular_counter(*signal)
                    } else {
                        signal.counter_name()
                    },
                    spaced_age(facts.now - t)
                ),
                None => format!("no {} in {span}", signal.counter_name()),
            }
        }
        Operand::Last { mask } => match facts.signals.newest(*mask, facts.now) {
            Some((s, t)) => format!("last {} {} ago", singular(s), spaced_age(facts.now - t)),
            None => format!("{} is missing (no activity)", operand.label()),
        },
        Operand::Named { .. } => match read(operand, facts) {
            Value::Missing => format!("{} is missing", operand.label()),
            v => format!("{} = {}", operand.label(), v.describe()),
        },
    }
}

/// `visit` for `visits`: the counter name for one event.
fn singular_counter(s: crate::core::model::Signal) -> &'static str {
    let name = s.counter_name();
    match name {
        "replies" => "reply",
        _ => &name[..name.len() - 1],
    }
}

fn singular(s: crate::core::model::Signal) -> &'static str {
    use crate::core::model::Signal::*;
    match s {
        EmailOpen => "email open",
        EmailClick => "email click",
        WebVisit => "visit",
        FormFill => "form fill",
        ContentDownload => "download",
        Webinar => "webinar",
        EmailReply => "reply",
    }
}

/// `2 d`, `5 h`, `now`: an age with a space before the unit, for evidence phrases.
fn spaced_age(span: i64) -> String {
    if span < 3600 {
        return "under 1 h".into();
    }
    if span < DAY {
        return format!("{} h", span / 3600);
    }
    format!("{} d", span / DAY)
}
