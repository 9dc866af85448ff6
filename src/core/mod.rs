//! Pure domain logic: leads, rules, scoring, learning, ranking. No terminal, no clock, no I/O.

pub mod attrs;
pub mod clock;
pub mod dashboard;
pub mod demo;
pub mod explain;
pub mod id_rows;
pub mod index;
pub mod learn;
pub mod metrics;
pub mod model;
pub mod outcome;
pub mod outcome_edit;
pub mod parallel;
pub mod priority;
pub mod rng;
pub mod rule_diff;
pub mod rules;
pub mod scorecard;
pub mod search;
pub mod signals;
pub mod suggest;
pub mod text;
pub mod weights;
