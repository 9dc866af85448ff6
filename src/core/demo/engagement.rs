//! Behavioural activity of a demo lead: bursts of email opens, clicks, web visits, forms,
//! downloads, webinars and replies over the last 90 days, more and richer for engaged leads.

use crate::core::model::{Activity, ActivityKind, DAY, LeadId, MINUTE, Signal, Timestamp};
use crate::core::rng::SeededRng;

use super::words::{CAMPAIGNS, CONTENT, FORMS, PAGES, WEBINARS};

/// How far back behavioural signals go.
pub const SIGNAL_HORIZON: i64 = 90 * DAY;

/// Poisson draw (Knuth's method; means above 30 are capped at 30).
pub fn poisson(rng: &mut SeededRng, mean: f64) -> u32 {
    let limit = (-mean.min(30.0)).exp();
    let (mut k, mut p) = (0u32, rng.unit());
    while p > limit {
        k += 1;
        p *= rng.unit();
    }
    k
}

/// The signal that brought an inbound lead in, logged at its creation time.
pub fn arrival_signal(rng: &mut SeededRng, source: &str) -> Option<(Signal, &'static str)> {
    match source {
        "Website" | "Paid Search" | "LinkedIn Ads" => {
            Some((Signal::FormFill, *rng.pick::<&str>(FORMS)))
        }
        "Content Download" => Some((Signal::ContentDownload, *rng.pick(CONTENT))),
        "Webinar" => Some((Signal::Webinar, *rng.pick::<&str>(WEBINARS))),
        _ => None,
    }
}

/// A lead's appetite for contact.
pub struct Appetite {
    /// Expected bursts of activity per 30 days.
    pub bursts_per_month: f64,
    /// Multiplies the chance of the deeper signals (forms, downloads, replies) in a burst.
    pub depth: f64,
}

/// Appends a lead's behavioural signals (unsorted) to `out`.
pub fn signals(
    rng: &mut SeededRng,
    lead: LeadId,
    created: Timestamp,
    now: Timestamp,
    arrival: Option<(Signal, &'static str)>,
    appetite: &Appetite,
    out: &mut Vec<Activity>,
) {
    let start = created.max(now - SIGNAL_HORIZON);
    let mut push = |at: Timestamp, s: Signal, detail: &str| {
        out.push(Activity {
            lead,
            at,
            kind: ActivityKind::Signal(s),
            detail: detail.to_string(),
        })
    };
    if let Some((s, detail)) = arrival
        && created >= start
    {
        push(created, s, detail);
    }
    let span = now - start;
    if span <= 0 {
        return;
    }
    let bursts = poisson(
        rng,
        appetite.bursts_per_month * span as f64 / (30 * DAY) as f64,
    );
    for _ in 0..bursts.min(40) {
        let mut t = start + rng.below(span as u64) as i64;
        let step = |rng: &mut SeededRng, t: &mut Timestamp| {
            *t = (*t + rng.range(MINUTE, 20 * MINUTE)).min(now);
            *t
        };
        if rng.chance(0.6) {
            let campaign = *rng.pick(CAMPAIGNS);
            push(t, Signal::EmailOpen, campaign);
            if rng.chance((0.3 * appetite.depth).min(0.9)) {
                push(step(rng, &mut t), Signal::EmailClick, campaign);
            } else {
                continue;
            }
        }
        let visits = 1 + poisson(rng, 0.5 * appetite.depth);
        for _ in 0..visits.min(12) {
            let page = *rng.pick(PAGES);
            push(step(rng, &mut t), Signal::WebVisit, page);
        }
        let deep = appetite.depth;
        if rng.chance(0.05 * deep) {
            push(step(rng, &mut t), Signal::FormFill, rng.pick::<&str>(FORMS));
        }
        if rng.chance(0.06 * deep) {
            push(
                step(rng, &mut t),
                Signal::ContentDownload,
                rng.pick::<&str>(CONTENT),
            );
        }
        if rng.chance(0.03 * deep) {
            push(
                step(rng, &mut t),
                Signal::Webinar,
                rng.pick::<&str>(WEBINARS),
            );
        }
        if rng.chance(0.04 * deep) {
            push(
                step(rng, &mut t),
                Signal::EmailReply,
                "Re: quick question about your team",
            );
        }
    }
}
