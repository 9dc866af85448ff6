//! `leadq rules history|revert|suggest`: how learning moved each weight, taking a weight back,
//! and rules suggested from a labelled history.

use super::eval::first_pass;
use super::table::{PositiveLabel, Table};
use super::{CliError, CliResult, Command, RulesCommand, bad_input};
use crate::core::clock::format_datetime;
use crate::core::learn::Priors;
use crate::core::model::Timestamp;
use crate::core::outcome::RuleId;
use crate::core::scorecard::Scorecard;
use crate::core::suggest::{
    CandidateStats, MissingTokens, SuggestConfig, candidates, rank, rules_toml,
};
use crate::core::text::sanitize;
use crate::core::weights::points_from_weight;
use crate::store::Store;
use crate::store::learning::WeightCause;

pub fn run(store: &Store, action: &RulesCommand, now: Timestamp) -> CliResult {
    let card = store.scorecard()?;
    let priors = Priors::of_rule_set(card.rule_set());
    match action {
        RulesCommand::History { rule } => history(store, &card, rule),
        RulesCommand::Revert {
            rule,
            to,
            prior,
            undo,
        } => {
            let id = rule_id(&card, rule)?;
            if let Some(no) = undo {
                if !store.undo_revert(*no, &priors)? {
                    return Err(bad_input(format!(
                        "change {no} is not a revert; see `leadq rules history {rule}`"
                    )));
                }
                println!("took back revert {no}");
                return Ok(());
            }
            let value = match (to, prior) {
                (_, true) => id.map_or(priors.bias, |r| priors.rule(r)),
                (Some(n), false) => store
                    .weight_history(id)?
                    .into_iter()
                    .find(|h| h.event == *n)
                    .map(|h| h.weight)
                    .ok_or_else(|| {
                        bad_input(format!(
                            "{rule} has no history entry {n}; see `leadq rules history {rule}`"
                        ))
                    })?,
                (None, false) => return Err(bad_input("say --to N, --prior or --undo N")),
            };
            let ev = store.revert_weight(id, value, &priors, now)?;
            println!(
                "{} set to {} points (change {}; take it back with `leadq rules revert {rule:?} --undo {}`)",
                sanitize(rule),
                points_from_weight(value),
                ev.no,
                ev.no
            );
            Ok(())
        }
        _ => Err(bad_input("not a learning command")),
    }
}

/// `None` for `base` (the bias), else the rule of that name.
fn rule_id(card: &Scorecard, name: &str) -> CliResult<Option<RuleId>> {
    if name.trim().eq_ignore_ascii_case("base") {
        return Ok(None);
    }
    card.rule_set()
        .rule_named(name)
        .map(|r| Some(r.id))
        .ok_or_else(|| bad_input(format!("no rule named {name:?}; see `leadq rules list`")))
}

fn history(store: &Store, card: &Scorecard, rule: &str) -> CliResult {
    let id = rule_id(card, rule)?;
    let points = id.map_or(card.rule_set().base_points, |r| {
        card.rule(r).map_or(0.0, |r| r.points)
    });
    println!("{}: prior {} points", sanitize(rule), points);
    let hist = store.weight_history(id)?;
    if hist.is_empty() {
        println!("  no learning yet");
    }
    for h in hist {
        let cause = match h.cause {
            WeightCause::Outcome { seq } => format!("outcome #{seq}"),
            WeightCause::Revert { .. } => "revert".to_string(),
        };
        println!(
            "  {:>5}  {}  {:>5} points  {:+.4} log-odds  {}",
            h.event,
            format_datetime(h.at),
            points_from_weight(h.weight),
            h.weight,
            cause
        );
    }
    Ok(())
}

/// `leadq rules suggest`: candidates from the columns, counted against the labels, ranked by
/// information value and written as a rules file.
pub fn suggest(command: Option<&Command>) -> CliResult {
    let Some(Command::Rules {
        action:
            RulesCommand::Suggest {
                data,
                label,
                positive,
                drop,
                out,
                missing,
                min_support,
            },
    }) = command
    else {
        return Err(bad_input("not a suggest command"));
    };
    let cfg = SuggestConfig {
        min_support: *min_support,
        ..SuggestConfig::default()
    };
    let table = Table::open(data, label, drop, MissingTokens::parse(missing))?;
    let pass = first_pass(&table, true, None)?;
    let mut cands = candidates(&pass.profiles, &cfg);
    let cols: Vec<usize> = cands
        .iter()
        .map(|c| {
            table
                .headers
                .iter()
                .position(|h| *h == c.column)
                .unwrap_or(table.label)
        })
        .collect();
    let positive = PositiveLabel::new(positive.as_deref());
    let (mut support, mut pos) = (vec![0u64; cands.len()], vec![0u64; cands.len()]);
    let (mut total, mut total_pos) = (0u64, 0u64);
    let mut reader = table.rows()?;
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| table.row_error(e))?
    {
        let Some(y) = positive.read(record.get(table.label).unwrap_or(""), &table.missing) else {
            continue;
        };
        total += 1;
        total_pos += u64::from(y);
        for (i, c) in cands.iter().enumerate() {
            if c.test.matches(table.cell(&record, cols[i])) {
                support[i] += 1;
                pos[i] += u64::from(y);
            }
        }
    }
    if total == 0 || total_pos == 0 || total_pos == total {
        return Err(bad_input(format!(
            "{}: the labels need both outcomes to suggest rules ({total} labelled rows, {total_pos} positive)",
            data.display()
        )));
    }
    for (i, c) in cands.iter_mut().enumerate() {
        c.stats = Some(CandidateStats::from_counts(
            support[i], pos[i], total, total_pos,
        ));
    }
    let ranked = rank(cands, &cfg);
    let text = rules_toml(&ranked, total, total_pos);
    match out {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| {
                CliError::Runtime(anyhow::anyhow!("cannot write {}: {e}", path.display()))
            })?;
            println!(
                "{} rules suggested from {total} labelled rows, written to {}; review, then `leadq rules import {}`",
                ranked.len(),
                path.display(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
