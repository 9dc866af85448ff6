//! The explanation adds up to the ranking's logit, names its evidence, and compares days.

use proptest::prelude::*;

use super::*;
use crate::core::model::AttrValue;
use crate::core::rules::{RuleIds, RuleSet};
use crate::core::weights::Weights;

const NOW: Timestamp = 1_795_651_200;

fn default_card() -> Scorecard {
    Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None)
}

fn vp() -> Lead {
    Lead {
        id: 3,
        title: "VP Sales".into(),
        email: "vp@gmail.com".into(),
        employees: Some(500),
        industry: "Software".into(),
        country: "US".into(),
        source: "Website".into(),
        ..Lead::default()
    }
}

#[test]
fn explanation_names_rules_evidence_and_sums_to_the_logit() {
    let card = default_card();
    let signals =
        SignalSummary::from_events((0..4).map(|i| (Signal::WebVisit, NOW - (2 + 3 * i) * DAY)));
    let e = explain(&card, &vp(), &signals, NOW);
    let by_name = |n: &str| e.contributions.iter().find(|c| c.name == n).unwrap();
    assert_eq!(by_name("Decision maker").evidence, ["title = VP Sales"]);
    assert_eq!(
        by_name("Engaged this month").evidence[0],
        "4 visits in 30 d, newest 2 d ago"
    );
    assert_eq!(
        by_name("Free-mail address").evidence,
        ["email_domain gmail.com in @freemail"]
    );
    assert!(by_name("Free-mail address").points < 0.0);
    // Engaged this month decays from its newest visit (2 d) with the 14 d visit half-life.
    let eng = by_name("Engaged this month");
    assert!((eng.activation - 2f32.powf(-2.0 / 14.0)).abs() < 1e-6);
    assert_eq!(e.logit, card.score(&vp(), &signals, NOW).logit);
    let sum = e
        .contributions
        .iter()
        .fold(e.base_points, |t, c| t + c.points);
    assert_eq!(sum, e.points_total);
    assert!((e.points_total - e.logit * points_per_logit()).abs() < 1e-9);
    assert_eq!(e.top_reason().unwrap().name, "Decision maker");
}

#[test]
fn since_yesterday_shows_what_a_new_signal_changed() {
    let card = default_card();
    let signals = SignalSummary::from_events([(Signal::EmailReply, NOW - 3 * 3600)]);
    let s = since_yesterday(&card, &vp(), &signals, NOW);
    assert!(s.points_now > s.points_before);
    let names: Vec<&str> = s.changes.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"Replied"), "{names:?}");
    assert!(
        names.contains(&"Gone quiet"),
        "no activity yesterday → gone quiet then: {names:?}"
    );
    let replied = s.changes.iter().find(|c| c.name == "Replied").unwrap();
    assert_eq!(replied.points_before, 0.0);
}

#[test]
fn next_best_signal_is_the_biggest_gain() {
    let card = default_card();
    let g = next_best_signal(&card, &vp(), &SignalSummary::default(), NOW).unwrap();
    assert_eq!(g.signal, Signal::EmailReply);
    // A reply adds the Replied rule (22) and lifts Gone quiet (−12).
    assert_eq!(g.points.round(), 34.0);
    assert_eq!(g.words(), "a reply would add +34");
    let all = signal_gains(&card, &vp(), &SignalSummary::default(), NOW);
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].points >= w[1].points));
}

fn arb_rule() -> impl Strategy<Value = String> {
    let cond = prop_oneof![
        Just("title ~ \"(?i)vp|ceo\""),
        Just("employees >= 100"),
        Just("email_domain in @freemail"),
        Just("visits(30d) >= 1"),
        Just("opens(7d) >= 2 or clicks(14d) >= 1"),
        Just("last(activity) < 10d"),
        Just("plan_interest = \"Enterprise\""),
        Just("`Lead Source` is missing"),
        Just("not country in [\"US\", \"GB\"]"),
        Just("replies(90d) >= 1 and employees < 500"),
    ];
    let kind = prop_oneof![Just("fit"), Just("engagement"), Just("negative")];
    (cond, -60i32..60, kind)
        .prop_map(|(c, p, k)| format!("when = '{c}'\npoints = {p}\nkind = \"{k}\"\n"))
}

fn arb_lead() -> impl Strategy<Value = (Lead, SignalSummary)> {
    (
        prop_oneof![Just("VP Sales"), Just("CEO"), Just("Analyst"), Just("")],
        prop::option::of(1u32..20_000),
        prop::bool::ANY,
        prop::option::of(prop_oneof![Just("Enterprise"), Just("Team")]),
        prop::collection::vec((0usize..7, 0i64..100 * DAY), 0..12),
    )
        .prop_map(|(title, employees, free, plan, events)| {
            let mut lead = Lead {
                id: 1,
                title: title.into(),
                employees,
                email: if free { "a@gmail.com" } else { "a@acme.io" }.into(),
                country: "DE".into(),
                ..Lead::default()
            };
            if let Some(p) = plan {
                lead.attrs
                    .insert("plan_interest".into(), AttrValue::Text(p.into()));
            }
            let signals = SignalSummary::from_events(
                events
                    .into_iter()
                    .map(|(s, age)| (Signal::ALL[s], NOW - age)),
            );
            (lead, signals)
        })
}

proptest! {
    #[test]
    fn explanation_parts_sum_to_the_ranked_logit(
        rules in prop::collection::vec(arb_rule(), 0..8),
        base in -50i32..50,
        learned in prop::collection::vec(-3.0f64..3.0, 8),
        (lead, signals) in arb_lead(),
    ) {
        let text: String = format!("base_points = {base}\n") + &rules
            .iter()
            .enumerate()
            .map(|(i, r)| format!("[[rule]]\nname = \"R{i}\"\n{r}"))
            .collect::<String>();
        let set = RuleSet::parse(&text, &mut RuleIds::default()).unwrap();
        let weights = Weights {
            bias: learned[0],
            rules: (1..8).map(|i| (i as u32, learned[i])).collect(),
        };
        let card = Scorecard::new(set, Some(&weights));
        let e = explain(&card, &lead, &signals, NOW);
        let score = card.score(&lead, &signals, NOW);
        prop_assert_eq!(e.logit, score.logit);
        prop_assert_eq!(e.probability, score.probability);
        // Summed in the ranking's order, the parts give the ranking's logit exactly.
        let parts: f64 = e.contributions.iter().map(|c| c.logit).sum();
        prop_assert_eq!(e.bias + parts, e.logit);
        let points = e.contributions.iter().fold(e.base_points, |t, c| t + c.points);
        prop_assert_eq!(points, e.points_total);
        prop_assert!((e.points_total - e.logit * points_per_logit()).abs() < 1e-9);
        prop_assert_eq!(e.contributions.len(), score.activations.len());
        for (c, (id, x)) in e.contributions.iter().zip(&score.activations) {
            prop_assert_eq!((c.rule, c.activation), (*id, *x));
            prop_assert!(!c.evidence.is_empty());
        }
    }
}
