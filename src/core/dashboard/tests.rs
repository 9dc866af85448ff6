//! The dashboard's figures on a hand-made book.

use super::*;
use crate::core::model::DAY;

fn lead(
    id: u64,
    stage: &str,
    source: &str,
    created: i64,
    entered: i64,
    value: Option<f64>,
) -> Lead {
    Lead {
        id,
        name: format!("L{id}"),
        stage: stage.into(),
        source: source.into(),
        owner: "Ana".into(),
        created,
        stage_entered: entered,
        deal_value: value,
        ..Lead::default()
    }
}

#[test]
fn funnel_counts_the_furthest_stage_and_stage_at_replays_moves() {
    let now = 100 * DAY;
    let leads = vec![
        lead(1, "New", "web", 0, 0, None),
        lead(2, "Won", "web", 0, 10 * DAY, Some(1000.0)),
        lead(3, "Lost", "ads", 0, 20 * DAY, None),
        lead(4, "Won", "ads", 0, 30 * DAY, Some(3000.0)),
    ];
    let moves = vec![
        StageMove {
            lead: 3,
            at: 5 * DAY,
            from: "New".into(),
            to: "Qualified".into(),
        },
        StageMove {
            lead: 3,
            at: 20 * DAY,
            from: "Qualified".into(),
            to: "Lost".into(),
        },
        StageMove {
            lead: 2,
            at: 10 * DAY,
            from: "New".into(),
            to: "Won".into(),
        },
    ];
    let d = compute(&DashboardInput {
        leads: &leads,
        pipeline: &Pipeline::default(),
        moves: &moves,
        labelled: &[],
        score_histogram: score_histogram([0.05, 0.95, 0.5]),
        rules: &[],
        recent: 10,
        now,
    });
    let reached: Vec<usize> = d.funnel.iter().map(|f| f.reached).collect();
    // New, Contacted, Qualified, Proposal, Negotiation, Won
    assert_eq!(reached, vec![4, 3, 3, 2, 2, 2]);
    assert_eq!(d.funnel[2].conversion, Some(1.0));
    assert_eq!(d.avg_deal_size, Some(2000.0));
    assert_eq!(d.median_cycle_days, Some(20.0));
    let web = d.by_source.iter().find(|w| w.group == "web").unwrap();
    assert_eq!((web.won, web.closed), (1, 1));
    let ads = d.by_source.iter().find(|w| w.group == "ads").unwrap();
    assert_eq!(ads.rate(), Some(0.5));
    assert_eq!(
        d.score_histogram[0] + d.score_histogram[9] + d.score_histogram[5],
        3
    );
    let m: Vec<&StageMove> = moves.iter().filter(|m| m.lead == 3).collect();
    assert_eq!(stage_at(&leads[2], &m, 1), "New");
    assert_eq!(stage_at(&leads[2], &m, 6 * DAY), "Qualified");
    assert_eq!(stage_at(&leads[2], &m, 21 * DAY), "Lost");
}

/// The band of a logit without σ equals the band of σ(logit) everywhere: on a sweep of the
/// whole range, in a dense neighbourhood of every band edge (where σ's rounding decides),
/// and at the extremes.
#[test]
fn a_logits_band_equals_the_band_of_its_probability() {
    use crate::core::weights::sigmoid;
    let same = |x: f64| {
        assert_eq!(
            decile_of_logit(x),
            decile(sigmoid(x)),
            "logit {x:e}, p {}",
            sigmoid(x)
        );
    };
    for i in -200_000..=200_000 {
        same(i as f64 * 1e-4);
    }
    for k in 1..10 {
        let edge = (k as f64 / (10 - k) as f64).ln();
        for ulps in -3000i64..=3000 {
            same(f64::from_bits((edge.to_bits() as i64 + ulps) as u64));
        }
        for i in -2000..=2000 {
            same(edge + i as f64 * 1e-12);
        }
    }
    for x in [
        f64::NEG_INFINITY,
        -1e300,
        -50.0,
        0.0,
        -0.0,
        50.0,
        1e300,
        f64::INFINITY,
    ] {
        same(x);
    }
}
