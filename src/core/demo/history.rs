//! A demo lead's journey through the pipeline: call attempts, conversations, meetings, deals,
//! each logged as an outcome with the same side effects `leadq log` has (stage, follow-up,
//! deal value), plus the stage moves a rep makes on the board.

use crate::core::model::{Activity, ActivityKind, DAY, HOUR, Lead, MINUTE, NextAction, Timestamp};
use crate::core::outcome::{Label, OutcomeCatalog, OutcomeRecord};
use crate::core::rng::SeededRng;

/// Moves `t` to working hours (08:00–18:00 UTC, Monday to Friday) on its day or the next
/// working day, at a random minute.
pub fn working_time(rng: &mut SeededRng, t: Timestamp) -> Timestamp {
    let mut day = t.div_euclid(DAY);
    // 1970-01-01 was a Thursday: (day + 4) % 7 is 0 on Sundays and 6 on Saturdays.
    while matches!((day + 4).rem_euclid(7), 0 | 6) {
        day += 1;
    }
    let at = day * DAY + 8 * HOUR + rng.below(10 * 60) as i64 * MINUTE;
    at.max(t)
}

/// What drives a lead's journey.
pub struct JourneyInput {
    /// The hidden propensity.
    pub propensity: f64,
    /// When a rep first works the lead; `None` (or later than now) if nobody has yet.
    pub first_touch: Option<Timestamp>,
    /// Chance that one call attempt reaches the person.
    pub connect_chance: f64,
    /// Chance that one attempt finds the contact data wrong.
    pub bad_data_chance: f64,
    /// Expected deal value, used once a meeting is booked.
    pub deal_value: f64,
}

/// Plays a lead's journey, updating the lead and appending its outcomes and timeline.
///
/// Outcome records get provisional sequence numbers from `next_seq` (the store renumbers
/// them in time order); their `snapshot` is empty and `step` is `None`.
pub struct Journey<'a> {
    pub rng: &'a mut SeededRng,
    pub catalog: &'a OutcomeCatalog,
    pub lead: &'a mut Lead,
    pub activities: &'a mut Vec<Activity>,
    pub outcomes: &'a mut Vec<OutcomeRecord>,
    pub next_seq: &'a mut u64,
    pub now: Timestamp,
}

const NOTES: &[(&str, &[&str])] = &[
    ("no_answer", &["", "", "rang out", "busy tone"]),
    (
        "voicemail",
        &["", "left a voicemail", "left a message with the assistant"],
    ),
    (
        "connected_interested",
        &[
            "wants to see pricing",
            "asked for a call next week",
            "evaluating tools this quarter",
        ],
    ),
    (
        "meeting_booked",
        &[
            "demo booked",
            "discovery call booked",
            "intro with their team lead",
        ],
    ),
    (
        "not_interested",
        &[
            "happy with current tool",
            "no budget this year",
            "not the right person",
        ],
    ),
    (
        "bad_data",
        &["wrong number", "person left the company", "fake sign-up"],
    ),
    ("won", &["signed", "contract countersigned", "PO received"]),
    (
        "lost",
        &[
            "chose a competitor",
            "budget frozen",
            "went silent",
            "project shelved",
        ],
    ),
];

impl Journey<'_> {
    pub fn run(mut self, input: &JourneyInput) {
        let now = self.now;
        let p = input.propensity;
        let Some(mut t) = input.first_touch.filter(|&t| t <= now) else {
            if self.rng.chance(0.7) {
                let due = working_time(self.rng, self.lead.created + DAY);
                self.set_next_action(due, "first call");
            }
            return;
        };
        // One draw decides how far a lead is willing to go; lower is better.
        let willingness = self.rng.unit();
        let max_attempts = self.rng.range(2, 6);
        let mut attempts = 0;
        loop {
            attempts += 1;
            if self.rng.chance(input.bad_data_chance) {
                self.log(t, "bad_data", None);
                return;
            }
            if self.rng.chance(input.connect_chance) {
                break;
            }
            let kind = if self.rng.chance(0.55) {
                "no_answer"
            } else {
                "voicemail"
            };
            let follow_up = self.log(t, kind, None);
            if attempts >= max_attempts {
                if self.rng.chance(0.2) {
                    self.move_stage(
                        t + 5 * MINUTE,
                        "Nurture",
                        "no response after several attempts",
                    );
                    self.set_next_action(t + 60 * DAY, "try again next quarter");
                }
                return;
            }
            t = working_time(self.rng, follow_up);
            if t > now {
                return;
            }
        }
        if willingness >= p {
            // Not a buyer, though the better leads often sound interested at first.
            if self.rng.chance((0.1 + 1.8 * p).min(0.9)) {
                let follow_up = self.log(t, "connected_interested", None);
                t = working_time(self.rng, follow_up);
                if t <= now && self.rng.chance(0.2) {
                    self.log(t, "not_interested", None);
                }
            } else {
                self.log(t, "not_interested", None);
            }
            return;
        }
        if self.rng.chance(0.4) {
            let follow_up = self.log(t, "connected_interested", None);
            t = working_time(self.rng, follow_up);
            if t > now {
                return;
            }
        }
        let deal = input.deal_value;
        self.log(t, "meeting_booked", Some(deal));
        // Qualified → Proposal → Negotiation → Won, each step taking days and each able to fail.
        let steps: [(&str, i64, i64, f64, &str); 3] = [
            ("Proposal", 3, 14, 0.5 + 0.4 * p, "send the proposal"),
            ("Negotiation", 5, 20, 0.55 + 0.35 * p, "agree terms"),
            ("Won", 5, 30, 0.35 + 0.55 * p, ""),
        ];
        for (stage, lo, hi, chance, next) in steps {
            let days = self.rng.range(lo, hi);
            t = working_time(self.rng, t + days * DAY);
            if t > now {
                return;
            }
            if !self.rng.chance(chance) {
                if stage == "Proposal" && self.rng.chance(0.4) {
                    // Stalled after the meeting: the follow-up is left overdue.
                    return;
                }
                self.log(t, "lost", None);
                return;
            }
            if stage == "Won" {
                let value = (deal * (0.85 + 0.25 * self.rng.unit()) / 100.0).round() * 100.0;
                self.log(t, "won", Some(value));
                return;
            }
            self.move_stage(t, stage, "moved on the board");
            let days = self.rng.range(2, 7);
            let due = working_time(self.rng, t + days * DAY);
            self.set_next_action(due, next);
        }
    }

    fn set_next_action(&mut self, due: Timestamp, note: &str) {
        self.lead.next_action = Some(NextAction {
            due,
            note: note.to_string(),
        });
    }

    fn move_stage(&mut self, at: Timestamp, to: &str, detail: &str) {
        self.activities.push(Activity {
            lead: self.lead.id,
            at,
            kind: ActivityKind::StageChange {
                from: self.lead.stage.clone(),
                to: to.to_string(),
            },
            detail: detail.to_string(),
        });
        self.lead.stage = to.to_string();
        self.lead.stage_entered = at;
    }

    /// Logs an outcome as `leadq log` would, and returns when to follow up (or `at` when
    /// the outcome schedules nothing).
    fn log(&mut self, at: Timestamp, outcome: &str, value: Option<f64>) -> Timestamp {
        let kind = self
            .catalog
            .find(outcome)
            .expect("the demo only logs outcomes of the default catalogue");
        let notes = NOTES
            .iter()
            .find(|(id, _)| *id == outcome)
            .map_or(&[""][..], |(_, n)| n);
        let note = if self.rng.chance(0.5) {
            self.rng.pick(notes).to_string()
        } else {
            String::new()
        };
        let follow_up = kind.follow_up_days.map(|d| at + d as i64 * DAY);
        let rec = OutcomeRecord {
            seq: *self.next_seq,
            lead: self.lead.id,
            outcome: kind.id.clone(),
            at,
            note,
            value,
            follow_up,
            snapshot: vec![],
            step: None,
            stage_before: self.lead.stage.clone(),
            stage_entered_before: self.lead.stage_entered,
            next_action_before: self.lead.next_action.clone(),
            deal_value_before: self.lead.deal_value,
            undone: false,
        };
        *self.next_seq += 1;
        self.activities.push(Activity {
            lead: self.lead.id,
            at,
            kind: ActivityKind::Outcome(kind.id.clone()),
            detail: rec.note.clone(),
        });
        // The same side effects as logging through the store.
        if let Some(stage) = &kind.stage
            && !self.lead.stage.eq_ignore_ascii_case(stage)
        {
            self.activities.push(Activity {
                lead: self.lead.id,
                at,
                kind: ActivityKind::StageChange {
                    from: self.lead.stage.clone(),
                    to: stage.clone(),
                },
                detail: format!("by outcome: {}", kind.name),
            });
            self.lead.stage = stage.clone();
            self.lead.stage_entered = at;
        }
        if let Some(due) = follow_up {
            self.set_next_action(due, &format!("follow up after: {}", kind.name));
        } else if kind.label != Label::None {
            self.lead.next_action = None;
        }
        if value.is_some() {
            self.lead.deal_value = value;
        }
        self.outcomes.push(rec);
        follow_up.unwrap_or(at)
    }
}
