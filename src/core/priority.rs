//! Queue priority: the sort key of a rep's queue and the words that say why it is what it is.
//!
//! The key is the expected value p × deal value (p alone when no value is known), times
//! stated boosts: an overdue follow-up, and a fresh inbound lead ("speed to lead").
//! Terminal stages (Won, Lost) are left out of the queue by default.

use serde::{Deserialize, Serialize};

use crate::core::model::{HOUR, Lead, Timestamp, format_number};

/// The knobs of queue priority; admins may change them in settings.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PriorityConfig {
    /// Multiplier for a lead whose next action is past due.
    pub overdue_boost: f64,
    /// Multiplier for an inbound lead created less than `fresh_hours` ago.
    pub fresh_inbound_boost: f64,
    pub fresh_hours: i64,
    /// Sources that count as inbound (compared ignoring case).
    pub inbound_sources: Vec<String>,
    /// Leave Won/Lost (terminal) leads out of the queue.
    pub exclude_terminal: bool,
}

impl Default for PriorityConfig {
    fn default() -> Self {
        PriorityConfig {
            overdue_boost: 1.5,
            fresh_inbound_boost: 2.0,
            fresh_hours: 24,
            inbound_sources: [
                "Website",
                "Referral",
                "Webinar",
                "Content Download",
                "Paid Search",
                "LinkedIn Ads",
            ]
            .map(String::from)
            .to_vec(),
            exclude_terminal: true,
        }
    }
}

impl PriorityConfig {
    pub fn is_inbound(&self, source: &str) -> bool {
        let s = source.trim();
        self.inbound_sources
            .iter()
            .any(|i| i.eq_ignore_ascii_case(s))
    }
}

/// The lead facts priority depends on, as the in-memory index keeps them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PriorityFacts {
    pub deal_value: Option<f64>,
    /// When the next action is due.
    pub due: Option<Timestamp>,
    /// For a fresh-inbound candidate: until when the boost applies (created + fresh_hours).
    pub fresh_until: Option<Timestamp>,
}

impl PriorityFacts {
    pub fn of(lead: &Lead, cfg: &PriorityConfig) -> PriorityFacts {
        PriorityFacts {
            deal_value: lead.deal_value.filter(|v| v.is_finite() && *v > 0.0),
            due: lead.next_action.as_ref().map(|n| n.due),
            fresh_until: cfg
                .is_inbound(&lead.source)
                .then(|| lead.created.saturating_add(cfg.fresh_hours * HOUR)),
        }
    }
}

/// A lead's place in the queue and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QueuePriority {
    /// The sort key: larger first.
    pub key: f64,
    pub probability: f64,
    /// The deal value the expected value used, if any.
    pub deal_value: Option<f64>,
    /// The overdue boost applied (1 when not overdue).
    pub overdue: f64,
    /// The fresh-inbound boost applied (1 when not fresh).
    pub fresh: f64,
}

impl QueuePriority {
    pub fn compute(
        probability: f64,
        facts: &PriorityFacts,
        now: Timestamp,
        cfg: &PriorityConfig,
    ) -> QueuePriority {
        let base = match facts.deal_value {
            Some(v) => probability * v,
            None => probability,
        };
        let overdue = if facts.due.is_some_and(|d| d < now) {
            cfg.overdue_boost
        } else {
            1.0
        };
        let fresh = if facts.fresh_until.is_some_and(|f| now < f) {
            cfg.fresh_inbound_boost
        } else {
            1.0
        };
        QueuePriority {
            key: base * overdue * fresh,
            probability,
            deal_value: facts.deal_value,
            overdue,
            fresh,
        }
    }

    /// "EV 4,200 × overdue 1.5" or "p 0.42 × fresh inbound 2".
    pub fn words(&self) -> String {
        let mut s = match self.deal_value {
            Some(v) => format!("EV {}", thousands(self.probability * v)),
            None => format!("p {:.2}", self.probability),
        };
        if self.overdue != 1.0 {
            s += &format!(" × overdue {}", format_number(self.overdue));
        }
        if self.fresh != 1.0 {
            s += &format!(" × fresh inbound {}", format_number(self.fresh));
        }
        s
    }
}

/// 4200.4 → "4,200".
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::NextAction;

    const NOW: Timestamp = 1_795_651_200;

    #[test]
    fn expected_value_with_stated_boosts() {
        let cfg = PriorityConfig::default();
        let mut lead = Lead {
            deal_value: Some(10_000.0),
            next_action: Some(NextAction {
                due: NOW - HOUR,
                note: String::new(),
            }),
            source: "Cold Outbound".into(),
            created: NOW - 2 * HOUR,
            ..Lead::default()
        };
        let p = QueuePriority::compute(0.42, &PriorityFacts::of(&lead, &cfg), NOW, &cfg);
        assert!((p.key - 4_200.0 * 1.5).abs() < 1e-9);
        assert_eq!(p.words(), "EV 4,200 × overdue 1.5");
        lead.deal_value = None;
        lead.next_action = None;
        lead.source = "website".into();
        let p = QueuePriority::compute(0.42, &PriorityFacts::of(&lead, &cfg), NOW, &cfg);
        assert_eq!(p.words(), "p 0.42 × fresh inbound 2");
        assert!((p.key - 0.84).abs() < 1e-12);
        // A day later the lead is no longer fresh.
        let p =
            QueuePriority::compute(0.42, &PriorityFacts::of(&lead, &cfg), NOW + 24 * HOUR, &cfg);
        assert_eq!((p.key, p.words()), (0.42, "p 0.42".to_string()));
        assert_eq!(thousands(1_234_567.6), "1,234,568");
    }
}
