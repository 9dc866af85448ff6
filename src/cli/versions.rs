//! `leadq rules versions|restore`: the published rule versions, and publishing an earlier one
//! again as the newest.

use serde_json::json;

use super::book::iso;
use super::{CliError, CliResult, RulesCommand, TextFormat, bad_input};
use crate::core::clock::format_datetime;
use crate::core::model::Timestamp;
use crate::core::rule_diff::RuleSetDiff;
use crate::core::text::{json_terminal_safe, sanitize};
use crate::store::Store;
use crate::store::rules::RulesError;
use crate::store::versions::VersionSummary;

pub fn run(store: &Store, action: &RulesCommand, now: Timestamp) -> CliResult {
    match action {
        RulesCommand::Versions { format } => versions(store, *format),
        RulesCommand::Restore { version } => restore(store, *version, now),
        _ => Err(bad_input("not a versions command")),
    }
}

fn changes_json(d: &RuleSetDiff) -> serde_json::Value {
    json!({
        "added": d.added,
        "removed": d.removed,
        "edited": d.edited,
        "base_points": d.base_points.map(|(a, b)| json!({"from": a, "to": b})),
    })
}

fn versions(store: &Store, format: TextFormat) -> CliResult {
    let list = store.rule_version_summaries()?;
    if format == TextFormat::Json {
        let items: Vec<_> = list
            .iter()
            .map(|v| {
                json!({
                    "version": v.version,
                    "published_at": iso(v.published_at),
                    "note": v.note,
                    "rules": v.rules,
                    "current": v.current,
                    "changes": v.changes.as_ref().map(changes_json),
                })
            })
            .collect();
        println!(
            "{}",
            json_terminal_safe(&serde_json::to_string_pretty(&items).expect("json"))
        );
        return Ok(());
    }
    if list.is_empty() {
        println!(
            "no rules published yet: the built-in defaults score; `leadq rules import FILE` publishes version 1"
        );
        return Ok(());
    }
    println!(
        "{:>7}  {:<16}  {:>5}  {:<28}  changes",
        "version", "published", "rules", "note"
    );
    for v in list.iter().rev() {
        println!("{}", text_line(v));
    }
    Ok(())
}

fn text_line(v: &VersionSummary) -> String {
    let version = format!("{}{}", if v.current { "*" } else { " " }, v.version);
    let changes = match &v.changes {
        Some(d) => d.summary(),
        None if v.rules.is_none() => "stored text no longer parses".into(),
        None => "first version".into(),
    };
    format!(
        "{version:>7}  {:<16}  {:>5}  {:<28}  {}",
        format_datetime(v.published_at),
        v.rules.map_or("?".into(), |n| n.to_string()),
        cut(&sanitize(&v.note), 28),
        sanitize(&changes)
    )
}

fn restore(store: &Store, version: u32, now: Timestamp) -> CliResult {
    let known = store.rule_versions()?;
    let latest = known.last().map(|v| v.version);
    if latest == Some(version) {
        return Err(bad_input(format!(
            "version {version} is already the current rules version; see `leadq rules versions`"
        )));
    }
    let (new, set) = store.restore_rules(version, now).map_err(|e| match e {
        RulesError::VersionNotFound(v) => bad_input(format!(
            "rules version {v} not found; {}",
            match (known.first(), latest) {
                (Some(a), Some(b)) => format!(
                    "published versions are {} to {b}; see `leadq rules versions`",
                    a.version
                ),
                _ => "nothing is published yet".into(),
            }
        )),
        RulesError::Store(e) => CliError::Store(e),
        e => bad_input(e.to_string()),
    })?;
    println!(
        "restored rules version {version} as version {new}: {} rules; the queue is re-ranked with them (undo: `leadq rules restore {}`)",
        set.rules.len(),
        new - 1
    );
    Ok(())
}

/// Cuts text to `width` characters, with `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    text.chars().take(width - 1).chain(['…']).collect()
}
