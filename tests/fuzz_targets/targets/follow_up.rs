//! Fuzz target: follow-up dates never panic and land between yesterday and ten years ahead.
#![no_main]

use leadq::core::clock::parse_follow_up;
use leadq::core::model::DAY;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (i64, &str)| {
    let (now, text) = input;
    // 1970 .. 2100, the range a clock can give.
    let now = now.rem_euclid(4_102_444_800);
    if let Ok(at) = parse_follow_up(text, now) {
        assert!(at >= now - DAY, "{text:?} → {at} (now {now})");
        assert!(at <= now + 3653 * DAY, "{text:?} → {at} (now {now})");
    }
});
