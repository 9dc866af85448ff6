//! `leadq rules list|export|import`: the scoring rules an admin tunes.

use serde_json::json;

use super::{CliError, CliResult, RulesCommand, TextFormat, bad_input};
use crate::core::model::Timestamp;
use crate::core::priority::PriorityConfig;
use crate::core::text::sanitize;
use crate::core::weights::points_from_weight;
use crate::store::Store;
use crate::store::rules::RulesError;

pub fn run(store: &Store, action: &RulesCommand, now: Timestamp) -> CliResult {
    match action {
        RulesCommand::List { format } => list(store, *format, now),
        RulesCommand::Versions { .. } | RulesCommand::Restore { .. } => {
            super::versions::run(store, action, now)
        }
        RulesCommand::History { .. }
        | RulesCommand::Revert { .. }
        | RulesCommand::Suggest { .. } => super::learning::run(store, action, now),
        RulesCommand::Export { out } => {
            let text = store.current_rules()?.source;
            match out {
                Some(path) => std::fs::write(path, text).map_err(|e| {
                    CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display()))
                }),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        RulesCommand::Import { file } => {
            let text = std::fs::read_to_string(file).map_err(|e| {
                bad_input(format!("cannot read rules file {}: {e}", file.display()))
            })?;
            let before = store.current_rules()?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (version, set) = store
                .publish_rules(&text, &format!("import {name}"), now)
                .map_err(|e| match e {
                    RulesError::Store(e) => CliError::Store(e),
                    e => bad_input(e.to_string()),
                })?;
            let added = set
                .rules
                .iter()
                .filter(|r| before.rule(r.id).is_none())
                .count();
            let removed = before
                .rules
                .iter()
                .filter(|r| set.rule(r.id).is_none())
                .count();
            println!(
                "published rules version {version}: {} rules ({added} new, {removed} removed)",
                set.rules.len()
            );
            Ok(())
        }
    }
}

fn list(store: &Store, format: TextFormat, now: Timestamp) -> CliResult {
    let card = store.scorecard()?;
    let index = store.build_index(&card, PriorityConfig::default(), now)?;
    // Learned points (once a rule has the minimum evidence), evidence and lift: the figures
    // the console's rules admin shows, from the same code.
    let stats = crate::app::admin_data::load_admin(store)?.stats;
    let none = crate::app::admin_data::RuleStats::default();
    let rows: Vec<_> = card
        .rule_set()
        .rules
        .iter()
        .map(|r| {
            let current = r
                .enabled
                .then(|| points_from_weight(card.weights().get(r.id)));
            (
                r,
                current,
                index.matches(r.id),
                stats.get(&r.name).unwrap_or(&none),
            )
        })
        .collect();
    if format == TextFormat::Json {
        let items: Vec<_> = rows
            .iter()
            .map(|(r, current, matches, st)| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "kind": r.kind.as_str(),
                    "when": r.condition.source(),
                    "prior_points": r.points,
                    "current_points": current,
                    "learned_points": st.learned_points,
                    "evidence": st.evidence,
                    "lift": st.lift,
                    "matches": matches,
                    "locked": r.locked,
                    "enabled": r.enabled,
                })
            })
            .collect();
        println!(
            "{}",
            crate::core::text::json_terminal_safe(
                &serde_json::to_string_pretty(&items).expect("json")
            )
        );
        return Ok(());
    }
    println!(
        "base points {:+}  (current {:+}), {} leads",
        card.rule_set().base_points,
        points_from_weight(card.weights().bias),
        index.len()
    );
    println!(
        "{:>4}  {:<28} {:<10} {:>5} {:>7} {:>7} {:>8} {:>6} {:>8}  flags",
        "id", "rule", "kind", "prior", "current", "learned", "evidence", "lift", "matches"
    );
    for (r, current, matches, st) in rows {
        let flags = [(r.locked, "locked"), (!r.enabled, "disabled")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, f)| *f)
            .collect::<Vec<_>>()
            .join(",");
        println!(
            "{:>4}  {:<28} {:<10} {:>+5} {:>7} {:>7} {:>8} {:>6} {:>8}  {}",
            r.id,
            sanitize(&r.name),
            r.kind.as_str(),
            r.points,
            current.map_or("-".to_string(), |c| format!("{c:+}")),
            st.learned_points
                .map_or("-".to_string(), |c| format!("{c:+}")),
            st.evidence,
            st.lift.map_or("-".to_string(), |l| format!("{l:.2}×")),
            matches,
            flags
        );
    }
    Ok(())
}
