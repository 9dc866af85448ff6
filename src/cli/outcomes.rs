//! `leadq outcomes list|set`: the outcome catalogue — what each outcome teaches learning and
//! does to the lead — and an admin's edit of one outcome.

use serde_json::json;

use super::{CliError, CliResult, OutcomesCommand, TextFormat, bad_input};
use crate::core::outcome::{Label, OutcomeType};
use crate::core::outcome_edit::{CatalogError, OutcomeEdit, parse_follow_up_days};
use crate::core::text::{json_terminal_safe, sanitize};
use crate::store::Store;
use crate::store::catalog::OutcomeEditError;

pub fn run(store: &Store, action: &OutcomesCommand) -> CliResult {
    match action {
        OutcomesCommand::List { format } => list(store, *format),
        OutcomesCommand::Set {
            outcome,
            label,
            strength,
            stage,
            no_stage,
            follow_up,
        } => {
            let invalid = |e: CatalogError| bad_input(e.to_string());
            let edit = OutcomeEdit {
                label: label
                    .as_deref()
                    .map(|l| Label::parse(l).ok_or_else(|| CatalogError::UnknownLabel(l.into())))
                    .transpose()
                    .map_err(invalid)?,
                strength: *strength,
                stage: match (stage, no_stage) {
                    (_, true) => Some(None),
                    (Some(s), false) => Some(Some(s.clone())),
                    (None, false) => None,
                },
                follow_up_days: follow_up
                    .as_deref()
                    .map(parse_follow_up_days)
                    .transpose()
                    .map_err(invalid)?,
            };
            if edit == OutcomeEdit::default() {
                return Err(bad_input(
                    "say what to change: --label, --strength, --stage, --no-stage or --follow-up",
                ));
            }
            let t = store.edit_outcome(outcome, &edit).map_err(|e| match e {
                OutcomeEditError::Invalid(e) => invalid(e),
                OutcomeEditError::Store(e) => CliError::Store(e),
            })?;
            println!(
                "{}: {}; outcomes logged from now on learn with it, earlier ones keep what they taught",
                t.id,
                describe(&t)
            );
            Ok(())
        }
    }
}

fn describe(t: &OutcomeType) -> String {
    format!(
        "label {}, strength {}, stage {}, follow-up {}",
        t.label.as_str(),
        t.strength,
        t.stage.as_deref().map_or("none".into(), sanitize),
        t.follow_up_days
            .map_or("none".to_string(), |d| format!("{d}d"))
    )
}

fn list(store: &Store, format: TextFormat) -> CliResult {
    let catalog = store.outcome_catalog()?;
    if format == TextFormat::Json {
        let items: Vec<_> = catalog
            .types
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "name": t.name,
                    "label": t.label.as_str(),
                    "strength": t.strength,
                    "stage": t.stage,
                    "follow_up_days": t.follow_up_days,
                })
            })
            .collect();
        println!(
            "{}",
            json_terminal_safe(&serde_json::to_string_pretty(&items).expect("json"))
        );
        return Ok(());
    }
    println!(
        "{:<22} {:<28} {:<9} {:>8}  {:<12} follow-up",
        "outcome", "name", "label", "strength", "stage"
    );
    for t in &catalog.types {
        println!(
            "{:<22} {:<28} {:<9} {:>8}  {:<12} {}",
            sanitize(&t.id),
            sanitize(&t.name),
            t.label.as_str(),
            t.strength,
            t.stage.as_deref().map_or("—".into(), sanitize),
            t.follow_up_days
                .map_or("—".to_string(), |d| format!("{d}d"))
        );
    }
    Ok(())
}
