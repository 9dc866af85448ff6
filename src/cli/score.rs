//! `leadq list` and `leadq explain`: the ranked queue and why a lead scores what it does.

use serde_json::json;

use super::{CliResult, TableFormat, TextFormat};
use crate::core::explain::{
    Explanation, explain as explain_lead, next_best_signal, since_yesterday,
};
use crate::core::index::{LeadIndex, QueueFilter};
use crate::core::model::{Lead, Timestamp};
use crate::core::priority::{PriorityConfig, PriorityFacts, QueuePriority};
use crate::core::scorecard::Scorecard;
use crate::core::text::sanitize;
use crate::store::Store;

pub struct ListArgs {
    pub top: usize,
    pub stage: Option<String>,
    pub owner: Option<String>,
    pub format: TableFormat,
}

/// The scorecard and the index of every lead, as the queue ranks them now.
fn load(store: &Store, now: Timestamp) -> CliResult<(Scorecard, LeadIndex)> {
    let card = store.scorecard()?;
    let index = store.build_index(&card, PriorityConfig::default(), now)?;
    Ok((card, index))
}

/// "Decision maker (title = VP Sales)": the rule adding the most points, with its evidence.
fn top_reason(e: &Explanation) -> String {
    e.top_reason()
        .map(|c| format!("{} ({})", c.name, c.evidence.join("; ")))
        .unwrap_or_default()
}

struct ListRow {
    rank: usize,
    lead: Lead,
    probability: f64,
    priority: QueuePriority,
    reason: String,
}

pub fn list(store: &Store, args: &ListArgs, now: Timestamp) -> CliResult {
    let (card, index) = load(store, now)?;
    let filter = QueueFilter {
        owner: args.owner.clone(),
        stage: args.stage.clone(),
        ..QueueFilter::default()
    };
    let mut rows = Vec::new();
    for (i, entry) in index.top(args.top, &filter, now).into_iter().enumerate() {
        let Some(lead) = store.lead(entry.id)? else {
            continue;
        };
        let signals = index.signals(entry.id).cloned().unwrap_or_default();
        let e = explain_lead(&card, &lead, &signals, index.now());
        rows.push(ListRow {
            rank: i + 1,
            probability: entry.priority.probability,
            priority: entry.priority,
            reason: top_reason(&e),
            lead,
        });
    }
    match args.format {
        TableFormat::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "rank": r.rank,
                        "id": r.lead.id,
                        "name": r.lead.name,
                        "email": r.lead.email,
                        "account": r.lead.account,
                        "stage": r.lead.stage,
                        "owner": r.lead.owner,
                        "probability": r.probability,
                        "priority": r.priority.key,
                        "priority_reason": r.priority.words(),
                        "top_reason": r.reason,
                    })
                })
                .collect();
            println!(
                "{}",
                crate::core::text::json_terminal_safe(
                    &serde_json::to_string_pretty(&items).expect("json")
                )
            );
        }
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            let header = [
                "rank",
                "id",
                "name",
                "email",
                "account",
                "stage",
                "owner",
                "probability",
                "priority",
                "priority_reason",
                "top_reason",
            ];
            // Cells from imported data must not run as formulas in a spreadsheet.
            let write = |w: &mut csv::Writer<_>, rec: &[String]| {
                w.write_record(
                    rec.iter()
                        .map(|c| crate::store::export::escape_formula(c).into_owned()),
                )
                .map_err(|e| super::CliError::Runtime(e.into()))
            };
            write(&mut w, &header.map(String::from))?;
            for r in &rows {
                write(
                    &mut w,
                    &[
                        r.rank.to_string(),
                        r.lead.id.to_string(),
                        r.lead.name.clone(),
                        r.lead.email.clone(),
                        r.lead.account.clone(),
                        r.lead.stage.clone(),
                        r.lead.owner.clone(),
                        format!("{:.4}", r.probability),
                        r.priority.key.to_string(),
                        r.priority.words(),
                        r.reason.clone(),
                    ],
                )?;
            }
            w.flush().map_err(|e| super::CliError::Runtime(e.into()))?;
        }
        TableFormat::Table => {
            if rows.is_empty() {
                println!(
                    "no leads in the queue; add some with `leadq import FILE.csv` or `leadq demo`"
                );
                return Ok(());
            }
            println!(
                "{:>4}  {:>6}  {:<22} {:<18} {:<11} {:<10} {:>5}  {:<24} top reason",
                "rank", "id", "name", "account", "stage", "owner", "score", "priority"
            );
            for r in &rows {
                println!(
                    "{:>4}  {:>6}  {:<22} {:<18} {:<11} {:<10} {:>5.1}  {:<24} {}",
                    r.rank,
                    r.lead.id,
                    clip(&r.lead.name, 22),
                    clip(&r.lead.account, 18),
                    clip(&r.lead.stage, 11),
                    clip(&r.lead.owner, 10),
                    r.probability * 100.0,
                    r.priority.words(),
                    sanitize(&r.reason)
                );
            }
        }
    }
    Ok(())
}

/// Sanitised and cut to `n` characters, for a table column.
fn clip(text: &str, n: usize) -> String {
    let s = sanitize(text);
    if s.chars().count() <= n {
        s.into_owned()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

pub fn explain(store: &Store, key: &str, format: TextFormat, now: Timestamp) -> CliResult {
    let lead = store.find_lead(key)?;
    let card = store.scorecard()?;
    let signals = store.signals_of(lead.id)?;
    let e = explain_lead(&card, &lead, &signals, now);
    let cfg = PriorityConfig::default();
    let priority =
        QueuePriority::compute(e.probability, &PriorityFacts::of(&lead, &cfg), now, &cfg);
    let yesterday = since_yesterday(&card, &lead, &signals, now);
    let next = next_best_signal(&card, &lead, &signals, now);
    if format == TextFormat::Json {
        let obj = json!({
            "id": lead.id,
            "logit": e.logit,
            "probability": e.probability,
            "points_total": e.points_total,
            "base_points": e.base_points,
            "contributions": e.contributions.iter().map(|c| json!({
                "rule": c.name,
                "rule_id": c.rule,
                "kind": c.kind.as_str(),
                "points": c.points,
                "weight": c.weight,
                "activation": c.activation,
                "evidence": c.evidence.join("; "),
            })).collect::<Vec<_>>(),
            "priority": priority.key,
            "priority_reason": priority.words(),
            "since_yesterday": {
                "points_before": yesterday.points_before,
                "points_now": yesterday.points_now,
                "changes": yesterday.changes.iter().map(|c| json!({
                    "rule": c.name, "points_before": c.points_before, "points_now": c.points_now,
                })).collect::<Vec<_>>(),
            },
            "next_signal": next.as_ref().map(|g| json!({
                "signal": g.signal.counter_name(), "points": g.points, "words": g.words(),
            })),
        });
        println!(
            "{}",
            crate::core::text::json_terminal_safe(
                &serde_json::to_string_pretty(&obj).expect("json")
            )
        );
        return Ok(());
    }
    println!(
        "#{} {}  <{}>",
        lead.id,
        sanitize(&lead.name),
        sanitize(&lead.email)
    );
    println!(
        "score {:.0}/100  (p = {:.3}, logit {:.3}, {:+.0} points)",
        e.probability * 100.0,
        e.probability,
        e.logit,
        e.points_total
    );
    println!("  {:>+5.0}  base", e.base_points);
    for c in &e.contributions {
        let decay = if c.activation < 1.0 {
            format!(" ×{:.2}", c.activation)
        } else {
            String::new()
        };
        println!(
            "  {:>+5.0}  {}{}  — {}",
            c.points,
            sanitize(&c.name),
            decay,
            sanitize(&c.evidence.join("; "))
        );
    }
    println!("  {:>+5.0}  total", e.points_total);
    let moved = yesterday.points_now - yesterday.points_before;
    if yesterday.changes.is_empty() {
        println!("since yesterday: no change");
    } else {
        let parts: Vec<String> = yesterday
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{} {:+.0}",
                    sanitize(&c.name),
                    c.points_now - c.points_before
                )
            })
            .collect();
        println!("since yesterday: {moved:+.0} ({})", parts.join(", "));
    }
    if let Some(g) = next {
        println!("next: {}", g.words());
    }
    println!("priority: {}", priority.words());
    Ok(())
}
