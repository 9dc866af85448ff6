//! Criterion benchmarks of leadq's hot paths on a generated demo book.
//!
//! In-memory figures (rule evaluation, scoring, index operations, search, codec) use a book
//! of `LEADQ_BENCH_LEADS` leads (default 100 000); the store figures (outcome commit, CSV
//! import) use a temporary database. The scale runs at 10⁶ leads are in
//! `scripts/bench-report.sh`, which measures the real database end to end.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use leadq::core::demo::{DemoBook, DemoConfig};
use leadq::core::index::{LeadIndex, QueueFilter};
use leadq::core::learn::Priors;
use leadq::core::model::{Activity, ActivityKind, Lead, LeadId, Pipeline, Timestamp};
use leadq::core::priority::PriorityConfig;
use leadq::core::rules::{RuleIds, RuleSet};
use leadq::core::scorecard::Scorecard;
use leadq::core::search::{MAX_HITS, search};
use leadq::core::signals::SignalSummary;
use leadq::store::Store;
use leadq::store::codec;
use leadq::store::worklog::{LogRequest, log_outcome_learned};

/// The binary's allocator, so that the figures are those of `leadq` itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOW: Timestamp = 1_795_651_200;

struct Book {
    card: Scorecard,
    leads: Vec<Lead>,
    signals: Vec<SignalSummary>,
    activities: Vec<Activity>,
    index: LeadIndex,
}

fn book(n: u64) -> Book {
    let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    let (mut leads, mut activities) = (Vec::new(), Vec::new());
    for chunk in DemoBook::new(DemoConfig {
        leads: n,
        seed: 42,
        now: NOW,
    }) {
        leads.extend(chunk.leads);
        activities.extend(chunk.activities);
    }
    let mut events: HashMap<LeadId, Vec<_>> = HashMap::new();
    for a in &activities {
        if let ActivityKind::Signal(s) = a.kind {
            events.entry(a.lead).or_default().push((s, a.at));
        }
    }
    let signals: Vec<SignalSummary> = leads
        .iter()
        .map(|l| SignalSummary::from_events(events.remove(&l.id).unwrap_or_default()))
        .collect();
    let index = LeadIndex::build(
        &card,
        &Pipeline::default(),
        PriorityConfig::default(),
        NOW,
        leads.iter().zip(signals.iter().cloned()),
    );
    Book {
        card,
        leads,
        signals,
        activities,
        index,
    }
}

fn scoring(c: &mut Criterion, b: &Book) {
    let mut g = c.benchmark_group("scoring");
    let (lead, signals) = (&b.leads[7], &b.signals[7]);
    g.bench_function("rule activations per lead", |x| {
        x.iter(|| black_box(b.card.activations(black_box(lead), signals, NOW)))
    });
    g.bench_function("full score per lead", |x| {
        x.iter(|| black_box(b.card.score(black_box(lead), signals, NOW)))
    });
    g.finish();
}

fn index_ops(c: &mut Criterion, b: &Book) {
    let mut g = c.benchmark_group(format!("index {} leads", b.index.len()));
    let rule = b.card.rules().next().expect("default rules").id;
    let mut ix = b.index.clone();
    let mut up = true;
    g.bench_function("weight change: incremental re-score + top 50", |x| {
        x.iter(|| {
            let mut w = ix.weights().clone();
            *w.rules.entry(rule).or_insert(0.0) += if up { 0.25 } else { -0.25 };
            up = !up;
            ix.apply_weights(&w);
            black_box(ix.top(50, &QueueFilter::default(), NOW))
        })
    });
    g.bench_function("weight change: full recompute + top 50", |x| {
        x.iter(|| {
            ix.recompute();
            black_box(ix.top(50, &QueueFilter::default(), NOW))
        })
    });
    g.bench_function("top 50 page", |x| {
        x.iter(|| black_box(b.index.top(50, &QueueFilter::default(), NOW)))
    });
    g.bench_function("account roll-up (accounts view)", |x| {
        x.iter(|| black_box(b.index.account_totals(NOW, 30 * 86_400)))
    });
    let mut draft = b.index.weights().clone();
    *draft.rules.entry(rule).or_insert(0.0) += 0.4;
    g.bench_function("what-if preview of a points edit (top 10)", |x| {
        x.iter(|| black_box(b.index.what_if(&draft, 10, NOW)))
    });
    let word: String = b.leads[b.leads.len() / 2].name.to_lowercase();
    let first: String = word.chars().take(1).collect();
    let grown: String = word.chars().take(4).collect();
    let before: String = word.chars().take(3).collect();
    g.bench_function("search: first character", |x| {
        x.iter(|| black_box(search(&b.index, &first, MAX_HITS, None)))
    });
    let prev = search(&b.index, &before, MAX_HITS, None);
    g.bench_function("search: grown query (4th character)", |x| {
        x.iter(|| black_box(search(&b.index, &grown, MAX_HITS, Some(&prev))))
    });
    g.bench_function("build index", |x| {
        x.iter(|| {
            black_box(LeadIndex::build(
                &b.card,
                &Pipeline::default(),
                PriorityConfig::default(),
                NOW,
                b.leads.iter().zip(b.signals.iter().cloned()),
            ))
        })
    });
    g.finish();
}

fn codec_ops(c: &mut Criterion, b: &Book) {
    let mut g = c.benchmark_group("codec");
    let lead = &b.leads[7];
    let bytes = codec::encode(lead);
    g.bench_function("encode lead", |x| {
        x.iter(|| black_box(codec::encode(black_box(lead))))
    });
    g.bench_function("decode lead", |x| {
        x.iter(|| black_box(codec::decode::<Lead>(black_box(&bytes)).expect("round trip")))
    });
    let activity = &b.activities[0];
    let abytes = codec::encode(activity);
    g.bench_function("decode activity", |x| {
        x.iter(|| black_box(codec::decode::<Activity>(black_box(&abytes)).expect("round trip")))
    });
    g.finish();
}

fn store_ops(c: &mut Criterion, b: &Book) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("db")).expect("open");
    let small = &b.leads[..2_000];
    store.insert_leads(small).expect("insert");
    store.flush().expect("flush");
    let mut card = store.scorecard().expect("scorecard");
    let set = card.rule_set();
    let priors = Priors::from_points(
        set.base_points,
        set.rules
            .iter()
            .filter(|r| r.enabled)
            .map(|r| (r.id, r.points, r.locked)),
    );
    let mut index = store
        .build_index(&card, PriorityConfig::default(), NOW)
        .expect("index");
    let mut g = c.benchmark_group("store");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    let mut i = 0usize;
    g.bench_function("outcome commit: durable + learned + re-ranked", |x| {
        x.iter(|| {
            let lead = &small[i % small.len()];
            i += 1;
            let req = LogRequest {
                outcome: if i.is_multiple_of(2) {
                    "connected_interested"
                } else {
                    "not_interested"
                }
                .into(),
                note: String::new(),
                value: None,
                follow_up: None,
            };
            let snapshot = index.activations(lead.id).unwrap_or_default().to_vec();
            log_outcome_learned(&store, lead.id, &req, snapshot, &priors, NOW).expect("log");
            if let Some(w) = store.load_weights().expect("weights") {
                card.set_weights(&w);
            }
            index.apply_weights(card.weights());
            let now_lead = store.lead(lead.id).expect("read").expect("lead");
            let signals = index.signals(lead.id).cloned().unwrap_or_default();
            index.upsert(&card, &now_lead, signals);
            black_box(index.top(50, &QueueFilter::default(), NOW))
        })
    });
    drop(store);

    // CSV import throughput: export 2 000 leads once, import them into a fresh database.
    let src = tempfile::tempdir().expect("temp dir");
    let csv = src.path().join("leads.csv");
    {
        let s = Store::open(&src.path().join("db")).expect("open");
        s.insert_leads(small).expect("insert");
        leadq::store::export::export_to_file(&s, &csv).expect("export");
    }
    g.throughput(criterion::Throughput::Elements(small.len() as u64));
    g.sample_size(10);
    g.bench_function("import 2 000-row CSV", |x| {
        x.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |d| {
                let s = Store::open(&d.path().join("db")).expect("open");
                let options = leadq::store::import::ImportOptions::default();
                black_box(
                    leadq::store::import::import_csv(&s, &csv, &[], &options, &mut |_| {})
                        .expect("import"),
                );
                d
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let n = std::env::var("LEADQ_BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let b = book(n);
    scoring(c, &b);
    index_ops(c, &b);
    codec_ops(c, &b);
    store_ops(c, &b);
}

criterion_group! {
    name = hot_paths;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(hot_paths);
