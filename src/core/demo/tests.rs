//! What users of the demo book rely on: it is reproducible, plausible, and its outcomes carry
//! the signal that learning is meant to find.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::core::model::{ActivityKind, DAY, Pipeline};
use crate::core::outcome::Label;

/// 2026-11-26 09:00 UTC, a Thursday.
const NOW: Timestamp = 1_795_683_600;

fn book(leads: u64, seed: u64) -> DemoChunk {
    let mut all = DemoChunk::default();
    for c in DemoBook::new(DemoConfig {
        leads,
        seed,
        now: NOW,
    }) {
        all.accounts.extend(c.accounts);
        all.leads.extend(c.leads);
        all.activities.extend(c.activities);
        all.outcomes.extend(c.outcomes);
        all.propensity.extend(c.propensity);
    }
    all
}

#[test]
fn same_config_same_book_and_another_seed_another_book() {
    let a = book(3_000, 7);
    assert_eq!(a, book(3_000, 7));
    let b = book(3_000, 8);
    assert_ne!(a.leads, b.leads);
    assert_eq!(a.leads.len(), 3_000);
    // Chunked: more leads than one chunk arrive in several chunks, the first of which is
    // the same as the smaller book's.
    let chunks: Vec<_> = DemoBook::new(DemoConfig {
        leads: CHUNK_LEADS as u64 + 10,
        seed: 7,
        now: NOW,
    })
    .collect();
    assert_eq!(
        chunks.iter().map(|c| c.leads.len()).collect::<Vec<_>>(),
        [CHUNK_LEADS, 10]
    );
    assert_eq!(chunks[0].leads[..3_000], a.leads[..]);
}

#[test]
fn ids_are_consecutive_and_every_reference_points_inside_the_book() {
    let b = book(2_000, 1);
    let ids: Vec<_> = b.leads.iter().map(|l| l.id).collect();
    assert_eq!(ids, (1..=2_000).collect::<Vec<_>>());
    let accounts: HashSet<_> = b.accounts.iter().map(|a| Account::key(&a.name)).collect();
    assert_eq!(accounts.len(), b.accounts.len(), "account names are unique");
    assert!(
        b.leads
            .iter()
            .all(|l| accounts.contains(&Account::key(&l.account)))
    );
    let emails: HashSet<_> = b.leads.iter().map(|l| l.email.clone()).collect();
    assert_eq!(emails.len(), b.leads.len(), "emails are unique");
    let seqs: HashSet<_> = b.outcomes.iter().map(|o| o.seq).collect();
    assert_eq!(seqs.len(), b.outcomes.len());
    assert!(b.activities.iter().all(|a| (1..=2_000).contains(&a.lead)));
    assert!(
        b.accounts.len() * 2 < b.leads.len(),
        "several leads per account"
    );
    let shifted = DemoBook::new(DemoConfig {
        leads: 5,
        seed: 1,
        now: NOW,
    })
    .starting_at(100, 50)
    .next()
    .unwrap();
    assert_eq!(shifted.leads[0].id, 100);
    assert!(shifted.outcomes.iter().all(|o| o.seq >= 50));
}

#[test]
fn company_names_and_domains_stay_unique_across_the_whole_name_space() {
    let space = (COMPANY_HEADS.len() * COMPANY_TAILS.len() * COMPANY_KINDS.len()) as u64;
    let mut names = HashSet::new();
    let mut domains = HashSet::new();
    for i in 0..space + 500 {
        let (name, industry) = company_name(i, 12_345);
        assert!(INDUSTRIES.contains(&industry));
        assert!(domains.insert(words::email_part(&name)), "{name}");
        assert!(names.insert(name));
    }
}

#[test]
fn fields_use_the_documented_vocabularies() {
    let b = book(3_000, 3);
    let titles: HashSet<_> = words::TITLES.iter().map(|t| t.name).chain([""]).collect();
    let sources: HashSet<_> = words::SOURCES.iter().map(|s| s.0).collect();
    let countries: HashSet<_> = COUNTRIES.iter().map(|c| c.0).collect();
    for l in &b.leads {
        assert!(titles.contains(l.title.as_str()), "{}", l.title);
        assert!(sources.contains(l.source.as_str()));
        assert!(countries.contains(l.country.as_str()));
        assert!(INDUSTRIES.contains(&l.industry.as_str()));
        assert!(words::REPS.contains(&l.owner.as_str()), "{}", l.owner);
        assert!((1..=50_000).contains(&l.employees.unwrap()));
        assert!(l.created <= NOW && l.created >= NOW - 181 * DAY);
        assert!(matches!(l.attrs["trial_active"], AttrValue::Bool(_)));
        if let Some(plan) = l.attrs.get("plan_interest") {
            assert!(["Starter", "Team", "Enterprise"].contains(&plan.display().as_str()));
        }
        let (_, domain) = l.email.split_once('@').unwrap();
        assert!(!domain.is_empty() && l.email.is_ascii());
    }
    let freemail = b
        .leads
        .iter()
        .filter(|l| words::FREEMAIL.contains(&l.email_domain().as_str()))
        .count();
    assert!(
        (100..1_000).contains(&freemail),
        "{freemail} free-mail leads"
    );
    let without_plan = b
        .leads
        .iter()
        .filter(|l| !l.attrs.contains_key("plan_interest"));
    assert!(without_plan.count() > 300);
    let owners: HashSet<_> = b.leads.iter().map(|l| l.owner.as_str()).collect();
    assert_eq!(owners.len(), 8);
    let small = b.accounts.iter().filter(|a| a.employees < Some(50)).count();
    assert!(small * 2 > b.accounts.len(), "company sizes skew small");
}

#[test]
fn activity_is_recent_ordered_and_after_the_lead_arrived() {
    let b = book(3_000, 4);
    let created: HashMap<_, _> = b.leads.iter().map(|l| (l.id, l.created)).collect();
    let mut last: HashMap<u64, Timestamp> = HashMap::new();
    let mut signals = 0;
    for a in &b.activities {
        assert!(a.at <= NOW && a.at >= created[&a.lead], "{a:?}");
        if let ActivityKind::Signal(_) = a.kind {
            signals += 1;
            assert!(a.at >= NOW - 90 * DAY, "{a:?}");
        }
        let prev = last.insert(a.lead, a.at).unwrap_or(i64::MIN);
        assert!(a.at >= prev, "each lead's activity is in time order");
    }
    assert!(signals > 3 * b.leads.len(), "{signals} signals");
}

#[test]
fn stage_mix_is_plausible_and_deal_values_follow_qualification() {
    let b = book(5_000, 42);
    let pipeline = Pipeline::default();
    let mut mix: HashMap<&str, usize> = HashMap::new();
    for l in &b.leads {
        assert!(pipeline.find(&l.stage).is_some(), "{}", l.stage);
        *mix.entry(l.stage.as_str()).or_default() += 1;
        let past_qualified = ["Qualified", "Proposal", "Negotiation", "Won"];
        if past_qualified.contains(&l.stage.as_str()) {
            assert!(l.deal_value.is_some_and(|v| v >= 500.0), "{l:?}");
        }
        if l.stage == "New" {
            assert!(l.deal_value.is_none());
        }
    }
    let share = |s: &str| *mix.get(s).unwrap_or(&0) as f64 / b.leads.len() as f64;
    assert!(share("New") + share("Contacted") > 0.5, "{mix:?}");
    eprintln!("stage mix: {mix:?}");
    for s in [
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
        "Nurture",
    ] {
        assert!(
            share(s) > 0.005 && share(s) < share("Contacted"),
            "{s}: {mix:?}"
        );
    }
    let due: Vec<_> = b
        .leads
        .iter()
        .filter_map(|l| l.next_action.as_ref())
        .collect();
    let overdue = due.iter().filter(|n| n.due < NOW).count();
    let today = due
        .iter()
        .filter(|n| n.due >= NOW && n.due < NOW - NOW % DAY + DAY)
        .count();
    let later = due.len() - overdue - today;
    assert!(
        overdue > 50 && today > 5 && later > 50,
        "{overdue} {today} {later}"
    );
}

#[test]
fn outcomes_replay_into_the_stage_history_and_final_stage() {
    let b = book(3_000, 5);
    let catalog = OutcomeCatalog::default();
    let mut by_lead: HashMap<u64, Vec<&OutcomeRecord>> = HashMap::new();
    for o in &b.outcomes {
        assert!(catalog.find(&o.outcome).is_some());
        assert!(o.snapshot.is_empty() && o.step.is_none() && !o.undone);
        by_lead.entry(o.lead).or_default().push(o);
    }
    let leads: HashMap<_, _> = b.leads.iter().map(|l| (l.id, l)).collect();
    for (id, outs) in &by_lead {
        let lead = leads[id];
        // Each outcome starts from the stage the previous one (or a board move) left.
        for pair in outs.windows(2) {
            assert!(pair[0].at < pair[1].at);
            let kind = catalog.find(&pair[0].outcome).unwrap();
            let after = kind.stage.clone().unwrap();
            let moved = b.activities.iter().any(|a| {
                a.lead == *id
                    && a.at > pair[0].at
                    && a.at <= pair[1].at
                    && matches!(&a.kind, ActivityKind::StageChange { .. })
            });
            assert!(moved || pair[1].stage_before == after, "{pair:?}");
        }
        let last = outs.last().unwrap();
        if ["won", "lost", "bad_data"].contains(&last.outcome.as_str()) {
            assert_eq!(
                lead.stage,
                catalog.find(&last.outcome).unwrap().stage.clone().unwrap()
            );
        }
        let entries = b
            .activities
            .iter()
            .filter(|a| a.lead == *id && matches!(a.kind, ActivityKind::Outcome(_)))
            .count();
        assert_eq!(entries, outs.len());
        if outs.iter().any(|o| o.outcome == "won") {
            assert_eq!(outs.last().unwrap().outcome, "won");
            assert!(outs.iter().any(|o| o.outcome == "meeting_booked"));
        }
    }
    for l in &b.leads {
        if l.stage == "New" {
            assert!(!by_lead.contains_key(&l.id), "a New lead was never worked");
        }
    }
}

#[test]
fn good_outcomes_concentrate_where_the_hidden_propensity_is_high() {
    let b = book(10_000, 9);
    let catalog = OutcomeCatalog::default();
    let mut positive: HashSet<u64> = HashSet::new();
    let mut worked: HashSet<u64> = HashSet::new();
    for o in &b.outcomes {
        worked.insert(o.lead);
        if catalog.find(&o.outcome).unwrap().label == Label::Positive {
            positive.insert(o.lead);
        }
    }
    let mut ranked: Vec<(f64, u64)> = b
        .leads
        .iter()
        .zip(&b.propensity)
        .filter(|(l, _)| worked.contains(&l.id))
        .map(|(l, p)| (*p, l.id))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let decile = ranked.len() / 10;
    let rate = |part: &[(f64, u64)]| {
        part.iter().filter(|(_, id)| positive.contains(id)).count() as f64 / part.len() as f64
    };
    let (bottom, top) = (
        rate(&ranked[..decile]),
        rate(&ranked[ranked.len() - decile..]),
    );
    assert!(
        top > 0.5 && top > 4.0 * bottom,
        "top {top:.3}, bottom {bottom:.3}"
    );
    let won_p: Vec<f64> = b
        .leads
        .iter()
        .zip(&b.propensity)
        .filter(|(l, _)| l.stage == "Won")
        .map(|(_, p)| *p)
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (won, all) = (mean(&won_p), mean(&b.propensity));
    assert!(won > 1.3 * all, "won {won:.3}, all {all:.3}");
}
