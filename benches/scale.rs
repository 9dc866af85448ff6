//! Measures leadq's hot paths on a real database, for the benchmark report script.
//!
//! `cargo run --release --example scale -- DB [--names FILE] [--queries FILE] [--outcomes N]`
//! opens DB, builds the index, computes the first queue page, then times weight changes,
//! full recomputes, filter keystrokes, fuzzy search keystrokes and (last, as it writes)
//! outcome commits. Prints one JSON object with the figures in milliseconds and bytes.
//! Until the console lands, "open → first page" stands in for "open → first frame".
//!
//! `scale --generate N [--csv FILE] [--names FILE] [--queries FILE]` measures the in-memory
//! figures on a demo book of N leads generated in memory, no database (the index is built
//! chunk by chunk as the book is generated), and writes the leads' standard columns as CSV.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use leadq::core::demo::{DemoBook, DemoConfig};
use leadq::core::index::{LeadIndex, QueueFilter};
use leadq::core::learn::Priors;
use leadq::core::model::{ActivityKind, LeadId, Pipeline, Timestamp};
use leadq::core::priority::PriorityConfig;
use leadq::core::rules::{RuleIds, RuleSet};
use leadq::core::scorecard::Scorecard;
use leadq::core::search::{MAX_HITS, search};
use leadq::core::signals::SignalSummary;
use leadq::store::Store;
use leadq::store::export::{STANDARD_COLUMNS, escape_formula, iso_seconds};
use leadq::store::worklog::{LogRequest, log_outcome_learned};
use serde_json::{Map, Value, json};

/// The binary's allocator, so that the figures are those of `leadq` itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PAGE: usize = 50;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i]
}

/// Peak and current resident memory of this process, in bytes.
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Args {
    db: Option<PathBuf>,
    generate: Option<u64>,
    csv: Option<PathBuf>,
    names: Option<PathBuf>,
    queries: Option<PathBuf>,
    outcomes: usize,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: None,
        generate: None,
        csv: None,
        names: None,
        queries: None,
        // Enough commits that the p99 is a percentile, not the second-slowest of a hundred.
        outcomes: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--generate" => a.generate = Some(value()?.parse()?),
            "--csv" => a.csv = Some(value()?.into()),
            "--names" => a.names = Some(value()?.into()),
            "--queries" => a.queries = Some(value()?.into()),
            "--outcomes" => a.outcomes = value()?.parse()?,
            other if !other.starts_with("--") && a.db.is_none() => a.db = Some(other.into()),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let report = match (&a.db, a.generate) {
        (Some(db), None) => measure_db(db, &a, now)?,
        (None, Some(n)) => measure_generated(n, &a, now)?,
        _ => anyhow::bail!("usage: scale DB [--names F] [--queries F] | scale --generate N"),
    };
    println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    Ok(())
}

/// A demo book of `n` leads generated in memory and indexed chunk by chunk.
fn measure_generated(n: u64, a: &Args, now: Timestamp) -> anyhow::Result<Map<String, Value>> {
    let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    let mut csv = match &a.csv {
        Some(p) => {
            let mut w = csv::Writer::from_path(p)?;
            w.write_record(STANDARD_COLUMNS)?;
            Some(w)
        }
        None => None,
    };
    let mut index = LeadIndex::new(&card, &Pipeline::default(), PriorityConfig::default(), now);
    let mut owners = Vec::new();
    let (mut generate_ms, mut index_ms) = (0.0, 0.0);
    let t = Instant::now();
    for chunk in DemoBook::new(DemoConfig {
        leads: n,
        seed: 42,
        now,
    }) {
        generate_ms += ms(t) - generate_ms - index_ms;
        let ti = Instant::now();
        let mut events: std::collections::HashMap<LeadId, Vec<_>> = Default::default();
        for act in &chunk.activities {
            if let ActivityKind::Signal(s) = act.kind {
                events.entry(act.lead).or_default().push((s, act.at));
            }
        }
        for lead in &chunk.leads {
            let signals = SignalSummary::from_events(events.remove(&lead.id).unwrap_or_default());
            index.upsert(&card, lead, signals);
        }
        index_ms += ms(ti);
        if owners.len() < 5 {
            owners.push(chunk.leads[0].owner.clone());
        }
        if let Some(w) = &mut csv {
            for l in &chunk.leads {
                let t = |s: &str| escape_formula(s).into_owned();
                w.write_record([
                    l.id.to_string(),
                    t(&l.name),
                    t(&l.email),
                    t(&l.phone),
                    t(&l.title),
                    t(&l.account),
                    t(&l.source),
                    t(&l.country),
                    t(&l.industry),
                    l.employees.map(|e| e.to_string()).unwrap_or_default(),
                    t(&l.owner),
                    t(&l.stage),
                    iso_seconds(l.stage_entered),
                    l.next_action
                        .as_ref()
                        .map(|x| iso_seconds(x.due))
                        .unwrap_or_default(),
                    l.next_action
                        .as_ref()
                        .map(|x| t(&x.note))
                        .unwrap_or_default(),
                    l.deal_value.map(|v| v.to_string()).unwrap_or_default(),
                    iso_seconds(l.created),
                ])?;
            }
        }
    }
    if let Some(w) = &mut csv {
        w.flush()?;
    }
    let t = Instant::now();
    std::hint::black_box(index.top(PAGE, &QueueFilter::default(), now));
    let page_ms = ms(t);
    let (peak, rss_now) = rss();
    let mut r = Map::new();
    r.insert("leads".into(), json!(index.len()));
    r.insert("generate_ms".into(), json!(generate_ms));
    r.insert("index_build_ms".into(), json!(index_ms));
    r.insert("first_page_ms".into(), json!(page_ms));
    r.insert("peak_rss_bytes".into(), json!(peak));
    r.insert("rss_after_build_bytes".into(), json!(rss_now));
    r.insert(
        "rss_after_build_per_lead".into(),
        json!(rss_now as f64 / index.len().max(1) as f64),
    );
    measure_index(&mut index, &card, &owners, a, now, &mut r)?;
    Ok(r)
}

fn measure_db(
    db: &std::path::Path,
    a: &Args,
    now: Timestamp,
) -> anyhow::Result<Map<String, Value>> {
    let t0 = Instant::now();
    let store = Store::open(db)?;
    let open_ms = ms(t0);
    let mut card = store.scorecard()?;
    let t = Instant::now();
    let mut index = store.build_index(&card, PriorityConfig::default(), now)?;
    let index_ms = ms(t);
    let t = Instant::now();
    let first = index.top(PAGE, &QueueFilter::default(), now);
    let page_ms = ms(t);
    let first_page_ms = ms(t0);
    let (peak_open, rss_open) = rss();
    let n = index.len().max(1);
    let owners: Vec<String> = first
        .iter()
        .filter_map(|e| store.lead(e.id).ok().flatten())
        .map(|l| l.owner)
        .take(5)
        .collect();
    let mut r = Map::new();
    r.insert("leads".into(), json!(index.len()));
    r.insert("open_ms".into(), json!(open_ms));
    r.insert("index_build_ms".into(), json!(index_ms));
    r.insert("first_page_ms".into(), json!(page_ms));
    r.insert("open_to_first_page_ms".into(), json!(first_page_ms));
    r.insert("peak_rss_after_open_bytes".into(), json!(peak_open));
    r.insert("rss_after_open_bytes".into(), json!(rss_open));
    r.insert(
        "rss_after_open_per_lead".into(),
        json!(rss_open as f64 / n as f64),
    );
    r.insert(
        "peak_rss_after_open_per_lead".into(),
        json!(peak_open as f64 / n as f64),
    );
    measure_index(&mut index, &card, &owners, a, now, &mut r)?;

    // Outcome commit: durable write with its learning step, then the index follows the new
    // weights and the lead's new state, and the page is re-ranked.
    let set = card.rule_set();
    let priors = Priors::from_points(
        set.base_points,
        set.rules
            .iter()
            .filter(|r| r.enabled)
            .map(|r| (r.id, r.points, r.locked)),
    );
    let ids: Vec<LeadId> = index
        .top(a.outcomes, &QueueFilter::default(), now)
        .iter()
        .map(|e| e.id)
        .collect();
    let mut commit = Vec::new();
    let mut durable = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let outcome = if i % 2 == 0 {
            "connected_interested"
        } else {
            "not_interested"
        };
        let req = LogRequest {
            outcome: outcome.into(),
            note: String::new(),
            value: None,
            follow_up: None,
        };
        let snapshot = index.activations(*id).unwrap_or_default().to_vec();
        let t = Instant::now();
        log_outcome_learned(&store, *id, &req, snapshot, &priors, now)?;
        durable.push(ms(t));
        if let Some(w) = store.load_weights()? {
            card.set_weights(&w);
        }
        index.apply_weights(card.weights());
        let lead = store.lead(*id)?.expect("lead just written");
        let signals = index.signals(*id).cloned().unwrap_or_default();
        index.upsert(&card, &lead, signals);
        std::hint::black_box(index.top(PAGE, &QueueFilter::default(), now));
        commit.push(ms(t));
    }
    let (peak_end, rss_end) = rss();
    r.insert("peak_rss_end_bytes".into(), json!(peak_end));
    r.insert("rss_end_bytes".into(), json!(rss_end));
    r.insert("outcome_commit_p50_ms".into(), json!(pct(&commit, 0.5)));
    r.insert("outcome_commit_p99_ms".into(), json!(pct(&commit, 0.99)));
    r.insert("outcome_commits".into(), json!(commit.len()));
    r.insert("durable_write_p50_ms".into(), json!(pct(&durable, 0.5)));
    r.insert("durable_write_p99_ms".into(), json!(pct(&durable, 0.99)));
    Ok(r)
}

/// Weight changes, full recomputes, filter keystrokes and fuzzy search keystrokes.
fn measure_index(
    index: &mut LeadIndex,
    card: &Scorecard,
    owners: &[String],
    a: &Args,
    now: Timestamp,
    r: &mut Map<String, Value>,
) -> anyhow::Result<()> {
    let n = index.len().max(1);
    r.insert("index_bytes".into(), json!(index.memory_bytes()));
    r.insert(
        "index_bytes_per_lead".into(),
        json!(index.memory_bytes() as f64 / n as f64),
    );

    // Weight change → re-ranked page: one rule's weight moves, only its posting list is
    // touched, then the top-K page is selected again. Beside it: every score recomputed.
    let rules: Vec<_> = card.rules().map(|r| r.id).collect();
    let (mut rerank, mut full) = (Vec::new(), Vec::new());
    for i in 0..40 {
        let mut w = index.weights().clone();
        let rule = rules[i % rules.len()];
        *w.rules.entry(rule).or_insert(0.0) += if i % 2 == 0 { 0.25 } else { -0.25 };
        let t = Instant::now();
        index.apply_weights(&w);
        std::hint::black_box(index.top(PAGE, &QueueFilter::default(), now));
        rerank.push(ms(t));
        let t = Instant::now();
        index.recompute();
        std::hint::black_box(index.top(PAGE, &QueueFilter::default(), now));
        full.push(ms(t));
    }
    r.insert("rerank_p50_ms".into(), json!(pct(&rerank, 0.5)));
    r.insert("rerank_p99_ms".into(), json!(pct(&rerank, 0.99)));
    r.insert("full_recompute_p50_ms".into(), json!(pct(&full, 0.5)));

    // A filter keystroke → page: owner and stage filters, no rendering.
    let mut filter_ms = Vec::new();
    for owner in owners {
        for f in [
            QueueFilter {
                owner: Some(owner.clone()),
                ..QueueFilter::default()
            },
            QueueFilter {
                stage: Some("Qualified".into()),
                ..QueueFilter::default()
            },
        ] {
            let t = Instant::now();
            std::hint::black_box(index.top(PAGE, &f, now));
            filter_ms.push(ms(t));
        }
    }
    r.insert("filter_page_p50_ms".into(), json!(pct(&filter_ms, 0.5)));
    r.insert("filter_page_p99_ms".into(), json!(pct(&filter_ms, 0.99)));

    // Fuzzy search per keystroke: 20 names spread over the book, typed one key at a time.
    if let Some(path) = &a.names {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (_, text) in index.search_texts() {
            writeln!(out, "{text}")?;
        }
    }
    let typed: Vec<String> = (0..20)
        .filter_map(|i| index.search_row(i * n / 20 + 7).map(|(_, s)| s.to_string()))
        .map(|s| s.chars().take(7).collect::<String>())
        .collect();
    let (mut first_key, mut grown_key, mut all_keys) = (Vec::new(), Vec::new(), Vec::new());
    let mut query_lines = Vec::new();
    for word in &typed {
        let mut prev = None;
        for k in 1..=word.chars().count() {
            let q: String = word.chars().take(k).collect();
            let t = Instant::now();
            let res = search(index, &q, MAX_HITS, prev.as_ref());
            let took = ms(t);
            if k == 1 {
                &mut first_key
            } else {
                &mut grown_key
            }
            .push(took);
            all_keys.push(took);
            query_lines.push(q);
            prev = Some(res);
        }
    }
    if let Some(path) = &a.queries {
        std::fs::write(path, query_lines.join("\n") + "\n")?;
    }
    r.insert("search_p50_ms".into(), json!(pct(&all_keys, 0.5)));
    r.insert("search_p99_ms".into(), json!(pct(&all_keys, 0.99)));
    r.insert(
        "search_first_key_p50_ms".into(),
        json!(pct(&first_key, 0.5)),
    );
    r.insert(
        "search_grown_key_p50_ms".into(),
        json!(pct(&grown_key, 0.5)),
    );
    r.insert("search_keystrokes".into(), json!(all_keys.len()));
    Ok(())
}
