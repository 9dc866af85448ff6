//! The demo book's hidden truth: a logistic model of how likely a lead is to turn out well,
//! with its own coefficients (deliberately not the default rule weights), so that learning
//! from the demo's outcomes has something real to find.
//!
//! The outcomes of the demo book are drawn from this propensity; the model never leaves the
//! generator (nothing of it is stored), and every input it uses is visible on the lead or in
//! its activity.

use crate::core::model::{Activity, ActivityKind, DAY, Signal, Timestamp};
use crate::core::weights::sigmoid;

use super::words::Seniority;

/// Log-odds of a lead with every feature at its reference level (Individual contributor,
/// 10–49 employees, Manufacturing, company email, Content Download, no plan, no trial, no
/// engagement).
pub const BIAS: f64 = -2.2;

/// Window before the moment a lead is first worked in which its engagement counts.
pub const ENGAGEMENT_WINDOW: i64 = 30 * DAY;

pub fn seniority_weight(s: Seniority) -> f64 {
    match s {
        Seniority::CLevel => 1.1,
        Seniority::Vp => 0.9,
        Seniority::HeadOrDirector => 0.6,
        Seniority::Manager => 0.2,
        Seniority::Individual => 0.0,
        Seniority::Junior => -1.6,
        Seniority::Unknown => -0.3,
    }
}

/// By company size (employees): < 10, 10–49, 50–199, 200–999, 1 000–4 999, ≥ 5 000.
pub fn size_weight(employees: u32) -> f64 {
    match employees {
        0..=9 => -0.5,
        10..=49 => 0.0,
        50..=199 => 0.35,
        200..=999 => 0.6,
        1_000..=4_999 => 0.7,
        _ => 0.45,
    }
}

pub fn industry_weight(industry: &str) -> f64 {
    match industry {
        "Software" => 0.45,
        "Financial Services" => 0.35,
        "Healthcare" => 0.15,
        "Logistics" => 0.1,
        "Manufacturing" => 0.0,
        "Media" => -0.15,
        "Retail" => -0.2,
        "Education" => -0.45,
        "Government" => -0.55,
        _ => 0.0,
    }
}

pub fn source_weight(source: &str) -> f64 {
    match source {
        "Referral" => 0.8,
        "Partner" => 0.5,
        "Webinar" => 0.3,
        "Website" => 0.25,
        "Trade Show" => 0.1,
        "Content Download" => 0.0,
        "Paid Search" => -0.1,
        "LinkedIn Ads" => -0.25,
        "Cold Outbound" => -0.6,
        _ => 0.0,
    }
}

pub const FREEMAIL_WEIGHT: f64 = -0.9;
pub const TRIAL_ACTIVE_WEIGHT: f64 = 0.45;

pub fn plan_interest_weight(plan: Option<&str>) -> f64 {
    match plan {
        Some("Enterprise") => 0.3,
        Some("Team") => 0.15,
        Some("Starter") => -0.15,
        _ => 0.0,
    }
}

/// Per-signal weight and the count beyond which more of it adds nothing.
pub fn signal_weight(s: Signal) -> (f64, u32) {
    match s {
        Signal::WebVisit => (0.12, 8),
        Signal::FormFill => (0.45, 2),
        Signal::EmailReply => (0.8, 2),
        Signal::Webinar => (0.35, 1),
        Signal::ContentDownload => (0.2, 3),
        Signal::EmailClick => (0.1, 5),
        Signal::EmailOpen => (0.0, 0),
    }
}

/// What the hidden model knows about a lead's fit.
#[derive(Clone, Debug)]
pub struct Fit<'a> {
    pub seniority: Seniority,
    pub employees: u32,
    pub industry: &'a str,
    pub freemail: bool,
    pub source: &'a str,
    pub plan_interest: Option<&'a str>,
    pub trial_active: bool,
}

/// The fit part of the logit (without the bias).
pub fn fit_logit(f: &Fit) -> f64 {
    seniority_weight(f.seniority)
        + size_weight(f.employees)
        + industry_weight(f.industry)
        + if f.freemail { FREEMAIL_WEIGHT } else { 0.0 }
        + source_weight(f.source)
        + plan_interest_weight(f.plan_interest)
        + if f.trial_active {
            TRIAL_ACTIVE_WEIGHT
        } else {
            0.0
        }
}

/// The engagement part of the logit: capped counts of each signal in the
/// [`ENGAGEMENT_WINDOW`] before `at` (the moment the lead was first worked, or now).
pub fn engagement_logit(activities: &[Activity], at: Timestamp) -> f64 {
    let mut counts = [0u32; Signal::ALL.len()];
    for a in activities {
        if let ActivityKind::Signal(s) = a.kind
            && a.at < at
            && a.at >= at - ENGAGEMENT_WINDOW
        {
            counts[s as usize] += 1;
        }
    }
    Signal::ALL
        .iter()
        .map(|&s| {
            let (w, cap) = signal_weight(s);
            w * counts[s as usize].min(cap) as f64
        })
        .sum()
}

/// The probability that the lead turns out well, from its fit and engagement logits.
pub fn propensity(fit: f64, engagement: f64) -> f64 {
    sigmoid(BIAS + fit + engagement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(s: Signal, at: Timestamp) -> Activity {
        Activity {
            lead: 1,
            at,
            kind: ActivityKind::Signal(s),
            detail: String::new(),
        }
    }

    #[test]
    fn engagement_counts_only_the_window_before_the_moment_and_is_capped() {
        let at = 100 * DAY;
        let acts: Vec<Activity> = (0..5)
            .map(|i| act(Signal::EmailReply, at - i - 1))
            .chain([
                act(Signal::FormFill, at - 31 * DAY),
                act(Signal::FormFill, at + 1),
                act(Signal::WebVisit, at - DAY),
            ])
            .collect();
        let expected = 0.8 * 2.0 + 0.12;
        assert!((engagement_logit(&acts, at) - expected).abs() < 1e-12);
    }

    #[test]
    fn a_senior_buyer_at_a_software_firm_beats_a_student_on_free_mail() {
        let senior = Fit {
            seniority: Seniority::Vp,
            employees: 400,
            industry: "Software",
            freemail: false,
            source: "Referral",
            plan_interest: Some("Enterprise"),
            trial_active: true,
        };
        let student = Fit {
            seniority: Seniority::Junior,
            employees: 3,
            industry: "Education",
            freemail: true,
            source: "Cold Outbound",
            plan_interest: None,
            trial_active: false,
        };
        let (hi, lo) = (
            propensity(fit_logit(&senior), 0.0),
            propensity(fit_logit(&student), 0.0),
        );
        assert!(hi > 0.6 && lo < 0.01, "{hi} {lo}");
    }
}
