//! `leadq show` and `leadq log`: one lead's record, and logging what happened.

use serde_json::json;

use super::{CliResult, TextFormat, bad_input};
use crate::core::clock::{format_age, format_datetime, parse_follow_up};
use crate::core::model::{ActivityKind, Lead, Timestamp, format_number};
use crate::core::text::{sanitize, sanitize_multiline};
use crate::store::Store;
use crate::store::worklog::{self, LogRequest, WorkError};

/// ISO 8601 UTC, as the JSON outputs write times.
pub(crate) fn iso(ts: Timestamp) -> String {
    format_datetime(ts).replace(' ', "T") + ":00Z"
}

/// A lead's fields as a JSON object (the shape `show --format json` documents).
pub(crate) fn lead_json(lead: &Lead) -> serde_json::Value {
    let attrs: serde_json::Map<String, serde_json::Value> = lead
        .attrs
        .iter()
        .map(|(k, v)| {
            let v = match v {
                crate::core::model::AttrValue::Text(t) => json!(t),
                crate::core::model::AttrValue::Number(n) => json!(n),
                crate::core::model::AttrValue::Bool(b) => json!(b),
                crate::core::model::AttrValue::Date(d) => json!(iso(*d)),
            };
            (k.clone(), v)
        })
        .collect();
    json!({
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "title": lead.title,
        "account": lead.account,
        "source": lead.source,
        "country": lead.country,
        "industry": lead.industry,
        "employees": lead.employees,
        "owner": lead.owner,
        "stage": lead.stage,
        "stage_entered": iso(lead.stage_entered),
        "next_action": lead.next_action.as_ref().map(|n| json!({"due": iso(n.due), "note": n.note})),
        "deal_value": lead.deal_value,
        "created": iso(lead.created),
        "attributes": attrs,
    })
}

pub fn show(store: &Store, key: &str, format: TextFormat, now: Timestamp) -> CliResult {
    let lead = store.find_lead(key)?;
    let activities = store.activities_of(lead.id)?;
    let outcomes = store.outcomes_of(lead.id)?;
    if format == TextFormat::Json {
        let mut obj = lead_json(&lead);
        obj["outcomes"] = outcomes
            .iter()
            .map(|o| json!({"id": o.seq, "outcome": o.outcome, "at": iso(o.at), "note": o.note, "undone": o.undone}))
            .collect();
        obj["activities"] = activities
            .iter()
            .map(|a| json!({"at": iso(a.at), "kind": activity_words(&a.kind), "detail": a.detail}))
            .collect();
        println!(
            "{}",
            crate::core::text::json_terminal_safe(
                &serde_json::to_string_pretty(&obj).expect("json")
            )
        );
        return Ok(());
    }
    let s = |t: &str| sanitize(t).into_owned();
    println!("#{} {}  <{}>", lead.id, s(&lead.name), s(&lead.email));
    let row = |label: &str, value: String| {
        if !value.is_empty() {
            println!("  {label:<12} {value}");
        }
    };
    row("title", s(&lead.title));
    row("account", s(&lead.account));
    row("phone", s(&lead.phone));
    row("source", s(&lead.source));
    row("country", s(&lead.country));
    row("industry", s(&lead.industry));
    row(
        "employees",
        lead.employees.map(|e| e.to_string()).unwrap_or_default(),
    );
    row("owner", s(&lead.owner));
    row(
        "stage",
        format!(
            "{} (for {})",
            s(&lead.stage),
            format_age(now - lead.stage_entered)
        ),
    );
    row(
        "deal value",
        lead.deal_value.map(format_number).unwrap_or_default(),
    );
    row(
        "next action",
        lead.next_action
            .as_ref()
            .map(|n| {
                format!(
                    "{} {} ({})",
                    format_datetime(n.due),
                    s(&n.note),
                    format_age(now - n.due)
                )
            })
            .unwrap_or_default(),
    );
    row("created", format_datetime(lead.created));
    if !lead.attrs.is_empty() {
        println!("attributes");
        for (k, v) in &lead.attrs {
            println!("  {:<28} {}", s(k), s(&v.display()));
        }
    }
    println!("activity ({})", activities.len());
    for a in activities.iter().rev() {
        let detail = if a.detail.is_empty() {
            String::new()
        } else {
            format!(" — {}", s(&a.detail))
        };
        println!(
            "  {}  {}{}",
            format_datetime(a.at),
            activity_words(&a.kind),
            detail
        );
    }
    println!("outcomes ({})", outcomes.len());
    for o in outcomes.iter().rev() {
        let undone = if o.undone { " (undone)" } else { "" };
        let note = if o.note.is_empty() {
            String::new()
        } else {
            format!(" — {}", sanitize_multiline(&o.note))
        };
        println!(
            "  #{} {}  {}{}{}",
            o.seq,
            format_datetime(o.at),
            o.outcome,
            undone,
            note
        );
    }
    Ok(())
}

fn activity_words(kind: &ActivityKind) -> String {
    match kind {
        ActivityKind::Signal(sig) => sig.label().to_string(),
        ActivityKind::Outcome(o) => format!("outcome: {o}"),
        ActivityKind::StageChange { from, to } => format!("stage {from} → {to}"),
        ActivityKind::Note => "note".to_string(),
    }
}

pub struct LogArgs {
    pub note: Option<String>,
    pub value: Option<f64>,
    pub follow_up: Option<String>,
}

pub fn log(store: &Store, key: &str, outcome: &str, args: LogArgs, now: Timestamp) -> CliResult {
    let lead = store.find_lead(key)?;
    let follow_up = match &args.follow_up {
        Some(text) => {
            Some(parse_follow_up(text, now).map_err(|e| bad_input(format!("--follow-up: {e}")))?)
        }
        None => None,
    };
    let req = LogRequest {
        outcome: outcome.to_string(),
        note: args.note.unwrap_or_default(),
        value: args.value,
        follow_up,
    };
    // The features learning uses: the lead's rule activations now, as it was worked.
    let card = store.scorecard()?;
    let snapshot = card.activations(&lead, &store.signals_of(lead.id)?, now);
    let priors = crate::core::learn::Priors::of_rule_set(card.rule_set());
    let rec = worklog::log_outcome_learned(store, lead.id, &req, snapshot, &priors, now)
        .map_err(work_error)?;
    let lead = store.find_lead(&lead.id.to_string())?;
    if let Some(step) = &rec.step {
        print_step(&card, step);
    }
    println!(
        "logged #{}: {} on lead {} ({}); stage {}{}",
        rec.seq,
        rec.outcome,
        lead.id,
        sanitize(&lead.name),
        sanitize(&lead.stage),
        lead.next_action
            .map(|n| format!(", follow up {}", format_datetime(n.due)))
            .unwrap_or_default()
    );
    Ok(())
}

fn work_error(e: WorkError) -> super::CliError {
    match e {
        WorkError::Store(e) => e.into(),
        e if e.is_bad_input() => bad_input(e.to_string()),
        e => super::CliError::Runtime(e.into()),
    }
}

/// Which weights a learning step moved, in points.
fn print_step(card: &crate::core::scorecard::Scorecard, step: &crate::core::outcome::LearnStep) {
    use crate::core::weights::points_from_weight;
    let moved: Vec<String> = step
        .deltas
        .iter()
        .filter(|d| d.dw != 0.0)
        .map(|d| {
            let name = match d.rule {
                None => "base".to_string(),
                Some(id) => card
                    .rule(id)
                    .map_or(format!("rule {id}"), |r| r.name.clone()),
            };
            let after = d.before.unwrap_or(0.0) + d.dw;
            format!(
                "{} {:+.2} pts (now {})",
                sanitize(&name),
                d.dw * crate::core::weights::PDO / std::f64::consts::LN_2,
                points_from_weight(after)
            )
        })
        .collect();
    println!(
        "learned (predicted {:.0} %): {}",
        step.predicted * 100.0,
        if moved.is_empty() {
            "nothing moved".to_string()
        } else {
            moved.join("; ")
        }
    );
}

/// `leadq undo [SEQ]`: undoes an outcome (default: the last one not yet undone) and exactly
/// the learning it caused.
pub fn undo(store: &Store, seq: Option<u64>) -> CliResult {
    let seq = match seq {
        Some(s) => s,
        None => store
            .outcomes()
            .rev()
            .find(|o| o.as_ref().map_or(true, |o| !o.undone))
            .transpose()?
            .map(|o| o.seq)
            .ok_or_else(|| bad_input("no outcome to undo"))?,
    };
    let card = store.scorecard()?;
    let priors = crate::core::learn::Priors::of_rule_set(card.rule_set());
    let rec = worklog::undo_outcome_learned(store, seq, &priors).map_err(work_error)?;
    let lead = store.find_lead(&rec.lead.to_string())?;
    println!(
        "undid #{}: {} on lead {} ({}); stage back to {}{}",
        rec.seq,
        rec.outcome,
        lead.id,
        sanitize(&lead.name),
        lead.stage,
        if rec.step.is_some() {
            "; its learning was reversed"
        } else {
            ""
        }
    );
    Ok(())
}
