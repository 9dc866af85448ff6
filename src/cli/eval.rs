//! `leadq eval`: prequential replay of a labelled CSV — score each row, then learn from it —
//! through the same rules, weights and learning step the console uses, beside the same replay
//! with learning off.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use super::table::{PositiveLabel, Table};
use super::{CliResult, TextFormat, bad_input};
use crate::core::learn::{LearnConfig, LearnerState, Priors, learn, shown_weight};
use crate::core::metrics::Report;
use crate::core::model::Lead;
use crate::core::outcome::RuleId;
use crate::core::rng::SeededRng;
use crate::core::rules::{RuleIds, RuleSet};
use crate::core::scorecard::Scorecard;
use crate::core::signals::SignalSummary;
use crate::core::suggest::{ColumnProfile, MissingTokens, SuggestConfig, candidates, parse_number};
use crate::core::weights::{Weights, sigmoid};

/// The order rows are replayed in.
#[derive(Clone, Debug, PartialEq)]
pub enum Order {
    File,
    Shuffle(u64),
    Column(String),
}

impl Order {
    pub fn parse(text: &str) -> CliResult<Order> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("file") {
            return Ok(Order::File);
        }
        if let Some(seed) = t.strip_prefix("shuffle:") {
            return seed
                .trim()
                .parse()
                .map(Order::Shuffle)
                .map_err(|_| bad_input(format!("--order {t:?}: the seed must be a whole number")));
        }
        if let Some(col) = t.strip_prefix("column:") {
            return Ok(Order::Column(col.trim().to_string()));
        }
        Err(bad_input(format!(
            "--order {t:?}: use shuffle:SEED, column:NAME or file"
        )))
    }
}

/// Everything `leadq eval` was asked.
pub struct EvalArgs {
    pub data: PathBuf,
    pub label: String,
    pub positive: Option<String>,
    pub drop: String,
    pub rules: Option<PathBuf>,
    pub suggest: bool,
    pub order: Order,
    pub predictions: Option<PathBuf>,
    pub format: TextFormat,
    pub missing: MissingTokens,
    pub learn: LearnConfig,
    pub suggest_cfg: SuggestConfig,
}

/// What the first pass over the file found.
pub(crate) struct FirstPass {
    /// Byte position of each data row.
    positions: Vec<u64>,
    pub profiles: Vec<ColumnProfile>,
    /// Sort key of each row for `column:NAME` order.
    keys: Vec<SortKey>,
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum SortKey {
    Number(f64),
    Text(String),
    Missing,
}

pub(crate) fn first_pass(
    table: &Table,
    profile: bool,
    key_col: Option<usize>,
) -> CliResult<FirstPass> {
    let mut reader = table.rows()?;
    let mut profiles: Vec<ColumnProfile> = if profile {
        table
            .features
            .iter()
            .map(|&c| ColumnProfile::new(&table.headers[c]))
            .collect()
    } else {
        Vec::new()
    };
    let (mut positions, mut keys) = (Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    loop {
        let pos = reader.position().byte();
        if !reader
            .read_record(&mut record)
            .map_err(|e| table.row_error(e))?
        {
            break;
        }
        positions.push(pos);
        for (p, &c) in profiles.iter_mut().zip(&table.features) {
            p.observe(table.cell(&record, c));
        }
        if let Some(c) = key_col {
            keys.push(match table.cell(&record, c) {
                None => SortKey::Missing,
                Some(v) => parse_number(v).map_or(SortKey::Text(v.to_string()), SortKey::Number),
            });
        }
    }
    Ok(FirstPass {
        positions,
        profiles,
        keys,
    })
}

/// The suggested rules as a rules file the rule language reads, every weight 0: candidates
/// come from column values only, so replaying them uses no label before its row.
pub fn suggested_rules_text(profiles: &[ColumnProfile], cfg: &SuggestConfig) -> String {
    let cands = candidates(profiles, cfg);
    let mut text = String::from("base_points = 0\n");
    for (i, c) in cands.iter().enumerate() {
        let name = format!("{} #{}", c.name(), i + 1);
        text.push_str(&format!(
            "\n[[rule]]\nname = {}\nwhen = {}\npoints = 0\nkind = \"fit\"\n",
            toml::Value::String(name),
            toml::Value::String(c.condition())
        ));
    }
    text
}

/// Rows replayed, in replay order.
struct Outcomes {
    rows: Vec<u32>,
    labels: Vec<bool>,
    learned: Vec<f64>,
    prior_only: Vec<f64>,
    skipped: usize,
}

pub fn run(args: &EvalArgs) -> CliResult {
    if args.rules.is_some() == args.suggest {
        return Err(bad_input(
            "give exactly one of --rules FILE (evaluate a rules file) or --suggest (rules suggested from the data's columns)",
        ));
    }
    let table = Table::open(&args.data, &args.label, &args.drop, args.missing.clone())?;
    let key_col = match &args.order {
        Order::Column(name) => Some(
            table
                .headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| bad_input(format!("--order column:{name}: no such column")))?,
        ),
        _ => None,
    };
    let pass = first_pass(&table, args.suggest, key_col)?;
    let text = match &args.rules {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?,
        None => suggested_rules_text(&pass.profiles, &args.suggest_cfg),
    };
    let set = RuleSet::parse(&text, &mut RuleIds::default())
        .map_err(|e| bad_input(format!("rules: {e}")))?;
    let order = replay_order(&pass, &args.order);
    let out = replay(&table, &set, &pass.positions, &order, args)?;
    if let Some(path) = &args.predictions {
        write_predictions(path, &out)?;
    }
    let with = Report::of(&out.learned, &out.labels);
    let without = Report::of(&out.prior_only, &out.labels);
    print_report(args, &set, &with, &without, out.skipped);
    Ok(())
}

fn replay_order(pass: &FirstPass, order: &Order) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..pass.positions.len() as u32).collect();
    match order {
        Order::File => {}
        Order::Shuffle(seed) => SeededRng::new(*seed).shuffle(&mut idx),
        Order::Column(_) => idx.sort_by(|&a, &b| {
            let (ka, kb) = (&pass.keys[a as usize], &pass.keys[b as usize]);
            ka.partial_cmp(kb)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        }),
    }
    idx
}

/// The logit the console would score with: learned weights where the evidence suffices.
fn scored_logit(
    features: &[(RuleId, f32)],
    w: &Weights,
    s: &LearnerState,
    p: &Priors,
    cfg: &LearnConfig,
) -> f64 {
    w.bias
        + features
            .iter()
            .map(|&(r, x)| shown_weight(r, w, s, p, cfg).weight * x as f64)
            .sum::<f64>()
}

fn replay(
    table: &Table,
    set: &RuleSet,
    positions: &[u64],
    order: &[u32],
    args: &EvalArgs,
) -> CliResult<Outcomes> {
    let priors = Priors::of_rule_set(set);
    let card = Scorecard::new(set.clone(), None);
    let (mut weights, mut state) = (priors.weights(), LearnerState::default());
    let positive = PositiveLabel::new(args.positive.as_deref());
    let mut reader = table.rows()?;
    let mut record = csv::StringRecord::new();
    let mut lead = Lead::default();
    let signals = SignalSummary::default();
    let prior_weights = priors.weights();
    let n = order.len();
    let mut out = Outcomes {
        rows: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        learned: Vec::with_capacity(n),
        prior_only: Vec::with_capacity(n),
        skipped: 0,
    };
    let sequential = order.windows(2).all(|w| w[1] == w[0] + 1);
    for &row in order {
        if !sequential || row == order[0] {
            let mut pos = csv::Position::new();
            pos.set_byte(positions[row as usize]).set_record(row as u64);
            reader.seek(pos).map_err(|e| table.row_error(e))?;
        }
        if !reader
            .read_record(&mut record)
            .map_err(|e| table.row_error(e))?
        {
            return Err(bad_input(format!(
                "{}: the file changed while it was read",
                args.data.display()
            )));
        }
        let Some(label) = positive.read(record.get(table.label).unwrap_or(""), &table.missing)
        else {
            out.skipped += 1;
            continue;
        };
        table.lead(&record, &mut lead);
        let features = card.activations(&lead, &signals, 0);
        out.rows.push(row);
        out.labels.push(label);
        out.learned.push(sigmoid(scored_logit(
            &features,
            &weights,
            &state,
            &priors,
            &args.learn,
        )));
        out.prior_only.push(sigmoid(prior_weights.logit(&features)));
        learn(
            &mut weights,
            &mut state,
            &priors,
            &args.learn,
            &features,
            if label { 1.0 } else { 0.0 },
            1.0,
        );
    }
    Ok(out)
}

fn write_predictions(path: &std::path::Path, out: &Outcomes) -> CliResult {
    let io = |e: std::io::Error| bad_input(format!("cannot write {}: {e}", path.display()));
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    writeln!(f, "row,label,p").map_err(io)?;
    for i in 0..out.rows.len() {
        writeln!(
            f,
            "{},{},{}",
            out.rows[i],
            u8::from(out.labels[i]),
            out.learned[i]
        )
        .map_err(io)?;
    }
    f.flush().map_err(io)
}

fn report_json(r: &Report) -> serde_json::Value {
    json!({
        "rows": r.rows,
        "positives": r.positives,
        "auc": r.auc,
        "log_loss": r.log_loss,
        "brier": r.brier,
        "ece": r.ece,
        "lift_top_decile": r.lift_top_decile,
    })
}

fn print_report(args: &EvalArgs, set: &RuleSet, with: &Report, without: &Report, skipped: usize) {
    let cfg = &args.learn;
    if args.format == TextFormat::Json {
        let mut obj = report_json(with);
        obj["skipped"] = json!(skipped);
        obj["rules"] = json!(set.rules.iter().filter(|r| r.enabled).count());
        obj["no_learning"] = report_json(without);
        obj["settings"] = json!({
            "step_size": cfg.step_size,
            "bias_step_size": cfg.bias_step_size,
            "initial_accumulator": cfg.initial_accumulator,
            "prior_pull": cfg.prior_pull,
            "min_evidence": cfg.min_evidence,
        });
        println!("{}", serde_json::to_string_pretty(&obj).expect("json"));
        return;
    }
    let f = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.4}"));
    println!(
        "{} rows evaluated ({} positive), {} skipped (no label); {} rules",
        with.rows,
        with.positives,
        skipped,
        set.rules.iter().filter(|r| r.enabled).count()
    );
    println!("{:<16} {:>10} {:>12}", "", "learning", "no learning");
    let rows = [
        ("AUC", f(with.auc), f(without.auc)),
        (
            "log loss",
            f(Some(with.log_loss)),
            f(Some(without.log_loss)),
        ),
        ("Brier", f(Some(with.brier)), f(Some(without.brier))),
        ("ECE (10 bins)", f(Some(with.ece)), f(Some(without.ece))),
        (
            "lift top 10 %",
            f(with.lift_top_decile),
            f(without.lift_top_decile),
        ),
    ];
    for (name, a, b) in rows {
        println!("{name:<16} {a:>10} {b:>12}");
    }
    println!(
        "learning: AdaGrad step {} (bias {}), n0 {}, pull to prior {}, min evidence {}",
        cfg.step_size,
        cfg.bias_step_size,
        cfg.initial_accumulator,
        cfg.prior_pull,
        cfg.min_evidence
    );
}
