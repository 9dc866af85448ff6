//! Times the parts of an outcome commit on an existing book, to see where its latency goes.
//!
//! `cargo run --release --example commit_parts -- DB [COMMITS] [BARE_FLUSHES]` opens DB (it
//! WRITES to it: use a copy), builds the index, times BARE_FLUSHES durable flushes after one
//! small meta write each, then COMMITS outcome commits exactly as `benches/scale.rs` times
//! them, split into the durable, learned write and the index's re-rank.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use leadq::core::index::QueueFilter;
use leadq::core::learn::Priors;
use leadq::core::model::LeadId;
use leadq::core::priority::PriorityConfig;
use leadq::store::Store;
use leadq::store::worklog::{LogRequest, log_outcome_learned};

/// The binary's allocator, so that the figures are those of `leadq` itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len().max(1) - 1) as f64 * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn line(name: &str, v: &[f64]) {
    println!(
        "{name:<28} p50 {:7.2} ms  p99 {:7.2} ms  max {:7.2} ms",
        pct(v, 0.5),
        pct(v, 0.99),
        pct(v, 1.0)
    );
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let db: std::path::PathBuf = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: commit_parts DB [COMMITS] [BARE_FLUSHES]"))?
        .into();
    let commits: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let bare: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(30);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let t = Instant::now();
    let store = Store::open(&db)?;
    let mut card = store.scorecard()?;
    let mut index = store.build_index(&card, PriorityConfig::default(), now)?;
    println!("open and index build: {:.0} ms", ms(t));

    let mut flushes = Vec::new();
    for i in 0..bare {
        store.put_meta("commit_parts_probe", &(i as u64))?;
        let t = Instant::now();
        store.flush()?;
        flushes.push(ms(t));
    }
    line("bare flush after one write", &flushes);

    let set = card.rule_set();
    let priors = Priors::from_points(
        set.base_points,
        set.rules
            .iter()
            .filter(|r| r.enabled)
            .map(|r| (r.id, r.points, r.locked)),
    );
    let ids: Vec<LeadId> = index
        .top(commits, &QueueFilter::default(), now)
        .iter()
        .map(|e| e.id)
        .collect();
    let mut parts: [Vec<f64>; 5] = Default::default();
    for (i, id) in ids.iter().enumerate() {
        let outcome = if i % 2 == 0 {
            "connected_interested"
        } else {
            "not_interested"
        };
        let req = LogRequest {
            outcome: outcome.into(),
            ..LogRequest::default()
        };
        let snapshot = index.activations(*id).unwrap_or_default().to_vec();
        let t = Instant::now();
        log_outcome_learned(&store, *id, &req, snapshot, &priors, now)?;
        parts[1].push(ms(t));
        let t2 = Instant::now();
        if let Some(w) = store.load_weights()? {
            card.set_weights(&w);
        }
        index.apply_weights(card.weights());
        parts[2].push(ms(t2));
        let t3 = Instant::now();
        let lead = store.lead(*id)?.expect("lead just written");
        let signals = index.signals(*id).cloned().unwrap_or_default();
        index.upsert(&card, &lead, signals);
        parts[3].push(ms(t3));
        let t4 = Instant::now();
        std::hint::black_box(index.top(50, &QueueFilter::default(), now));
        parts[4].push(ms(t4));
        parts[0].push(ms(t));
    }
    line("commit (as benches/scale.rs)", &parts[0]);
    line("  durable learned write", &parts[1]);
    line("  weights → index", &parts[2]);
    line("  lead re-read and upsert", &parts[3]);
    line("  top-50 page", &parts[4]);
    Ok(())
}
