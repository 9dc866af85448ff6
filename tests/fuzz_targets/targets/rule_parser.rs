//! Fuzz target: rule conditions and whole rules files never panic, and their errors point
//! inside the input.
#![no_main]

use leadq::core::rules::{Condition, RuleIds, RuleSet, builtin_lists};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let lines = text.split('\n').count() as u32;
    if let Err(e) = Condition::parse(text, &builtin_lists()) {
        assert!(
            (1..=lines).contains(&e.pos.line),
            "line {} of {lines}",
            e.pos.line
        );
        assert!(e.pos.column >= 1);
        assert!(!e.message.is_empty());
    }
    if let Err(e) = RuleSet::parse(text, &mut RuleIds::default()) {
        assert!(!e.problems.is_empty());
        for p in &e.problems {
            if let Some(line) = p.file_line {
                assert!(
                    (1..=lines as usize).contains(&line),
                    "line {line} of {lines}: {p}"
                );
            }
        }
    }
});
