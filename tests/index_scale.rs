//! Scale check of the in-memory index at 10⁶ synthetic leads: the cost of re-ranking after
//! one weight change, and memory per lead. Ignored by default (it is a measurement, not a
//! test); run it on a release build:
//! `cargo test --release --test index_scale -- --ignored --nocapture`

use std::time::Instant;

use leadq::core::index::{LeadIndex, QueueFilter};
use leadq::core::model::{DAY, Lead, Pipeline, Signal};
use leadq::core::priority::PriorityConfig;
use leadq::core::rng::SeededRng;
use leadq::core::rules::{RuleIds, RuleSet};
use leadq::core::scorecard::Scorecard;
use leadq::core::signals::SignalSummary;

const NOW: i64 = 1_795_651_200;

fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[test]
#[ignore = "measurement at 10⁶ leads; run on a release build"]
fn rerank_after_one_weight_change_at_a_million_leads() {
    let n: u64 = std::env::var("LEADQ_SCALE_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    let mut rng = SeededRng::new(7);
    let titles = [
        "CEO",
        "CTO",
        "VP Sales",
        "Head of Marketing",
        "Director of IT",
        "Marketing Manager",
        "Sales Rep",
        "Analyst",
        "Consultant",
        "Student",
        "Intern",
    ];
    let industries = [
        "Software",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Education",
        "Logistics",
        "Media",
        "Government",
    ];
    let sources = [
        "Website",
        "Referral",
        "Webinar",
        "Paid Search",
        "LinkedIn Ads",
        "Trade Show",
        "Cold Outbound",
        "Partner",
        "Content Download",
    ];
    let countries = ["US", "GB", "DE", "FR", "NL", "ES", "IN", "BR", "CA", "AU"];
    let owners = ["maria", "tom", "li", "sam", "ana", "raj", "kim", "joe"];
    let stages = [
        "New",
        "Contacted",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
        "Nurture",
    ];
    let rss_before = rss_bytes();
    let t = Instant::now();
    let mut index = LeadIndex::new(&card, &Pipeline::default(), PriorityConfig::default(), NOW);
    for id in 1..=n {
        let first = format!("Person{id}");
        let lead = Lead {
            id,
            name: format!("{first} Example"),
            email: if rng.chance(0.3) {
                format!("{}@gmail.com", first.to_lowercase())
            } else {
                format!("{}@company{}.com", first.to_lowercase(), id % 5000)
            },
            title: rng.pick(&titles).to_string(),
            account: format!("Company {}", id % 5000),
            source: rng.pick(&sources).to_string(),
            country: rng.pick(&countries).to_string(),
            industry: rng.pick(&industries).to_string(),
            employees: Some(rng.range(1, 50_000) as u32),
            owner: rng.pick(&owners).to_string(),
            stage: rng.pick(&stages).to_string(),
            deal_value: rng.chance(0.5).then(|| rng.range(1_000, 100_000) as f64),
            created: NOW - rng.range(0, 200) * DAY,
            ..Lead::default()
        };
        let k = rng.below(12);
        let signals = SignalSummary::from_events(
            (0..k).map(|_| (*rng.pick(&Signal::ALL), NOW - rng.range(0, 90 * DAY))),
        );
        index.upsert(&card, &lead, signals);
    }
    let build = t.elapsed();
    let rss_after = rss_bytes();
    let filter = QueueFilter::default();
    let _ = index.top(50, &filter, NOW);

    let mut times = Vec::new();
    for step in 0..20 {
        let mut learned = card.weights().clone();
        *learned.rules.get_mut(&1).expect("rule 1") += if step % 2 == 0 { 0.05 } else { -0.03 };
        card.set_weights(&learned);
        let t = Instant::now();
        index.apply_weights(card.weights());
        let applied = t.elapsed();
        let top = index.top(50, &filter, NOW);
        times.push((t.elapsed(), applied));
        assert_eq!(top.len(), 50);
    }
    times.sort();
    let owner_filter = QueueFilter {
        owner: Some("maria".into()),
        ..QueueFilter::default()
    };
    let t = Instant::now();
    let _ = index.top(50, &owner_filter, NOW);
    let filtered = t.elapsed();
    let t = Instant::now();
    index.refresh(&card, NOW + 3600);
    let refresh = t.elapsed();
    // How fast this machine is right now: one pass summing 10⁶ f64.
    let probe: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let t = Instant::now();
    let total: f64 = probe.iter().map(|x| x.sqrt()).sum();
    println!(
        "calibration: sqrt-sum over {n} f64 took {:?} ({total:.0})",
        t.elapsed()
    );
    println!("leads: {n}, build {build:?}");
    println!("rule 1 matches {} leads", index.matches(1));
    let (median, max) = (times[times.len() / 2], times[times.len() - 1]);
    println!(
        "weight change → top 50: median {:?} (apply_weights {:?}), max {:?}",
        median.0, median.1, max.0
    );
    println!("owner-filtered top 50: {filtered:?}; decay refresh: {refresh:?}");
    println!(
        "memory: {} B/lead counted by the index, {} B/lead resident (RSS growth)",
        index.memory_bytes() / n as usize,
        rss_after.saturating_sub(rss_before) / n as usize
    );
}
