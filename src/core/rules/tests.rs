//! The condition language and rules files as admins and the learning helper use them.

use proptest::prelude::*;

use super::*;
use crate::core::model::{AttrValue, DAY, Lead, Signal, Timestamp};
use crate::core::signals::SignalSummary;

const NOW: Timestamp = 1_795_651_200;

fn lead() -> Lead {
    Lead {
        id: 7,
        name: "Ana Ruiz".into(),
        email: "ana@Gmail.com".into(),
        title: "VP Sales".into(),
        account: "Acme".into(),
        source: "Website".into(),
        country: "US".into(),
        industry: "Software".into(),
        employees: Some(250),
        stage: "New".into(),
        stage_entered: NOW - 3 * DAY,
        created: NOW - 40 * DAY,
        attrs: crate::core::attrs::Attrs::from([
            (
                "plan_interest".to_string(),
                AttrValue::Text("Enterprise".into()),
            ),
            ("Lead Source".to_string(), AttrValue::Text("Google".into())),
            ("TotalVisits".to_string(), AttrValue::Number(4.0)),
            ("trial_active".to_string(), AttrValue::Bool(true)),
            ("Blank".to_string(), AttrValue::Text("  ".into())),
        ]),
        ..Lead::default()
    }
}

fn signals() -> SignalSummary {
    SignalSummary::from_events([
        (Signal::WebVisit, NOW - 2 * DAY),
        (Signal::WebVisit, NOW - 5 * DAY),
        (Signal::WebVisit, NOW - 9 * DAY),
        (Signal::WebVisit, NOW - 20 * DAY),
        (Signal::WebVisit, NOW - 60 * DAY),
        (Signal::EmailOpen, NOW - DAY),
    ])
}

fn check(cond: &str) -> bool {
    let (lead, signals) = (lead(), signals());
    let c = Condition::parse(cond, &builtin_lists()).unwrap_or_else(|e| panic!("{cond}: {e}"));
    c.matches(&LeadFacts {
        lead: &lead,
        signals: &signals,
        now: NOW,
    })
}

fn error(cond: &str) -> String {
    Condition::parse(cond, &builtin_lists())
        .unwrap_err()
        .to_string()
}

#[test]
fn comparisons_of_text_are_case_insensitive_and_numbers_numeric() {
    assert!(check(r#"title = "vp sales""#));
    assert!(check(r#"title != "CEO""#));
    assert!(!check(r#"title != "VP SALES""#));
    assert!(check(
        "employees >= 250 and employees > 249 and employees <= 250"
    ));
    assert!(check("employees < 1000 and employees != 10"));
    assert!(!check("employees > 250"));
    assert!(check("`TotalVisits` >= 3 and `TotalVisits` < 5"));
    assert!(check(r#"employees = "250""#));
    assert!(check("trial_active = true and not trial_active = false"));
    assert!(check("days_in_stage = 3 and age_days >= 30d"));
}

#[test]
fn missing_values_make_comparisons_false() {
    assert!(!check(r#"phone = "1""#));
    assert!(!check(r#"phone != "1""#));
    assert!(!check("deal_value > 0"));
    assert!(!check("deal_value <= 0"));
    assert!(!check(r#"nosuch in ["a"]"#));
    assert!(!check(r#"nosuch not in ["a"]"#));
    assert!(!check(r#"nosuch ~ ".*""#));
    assert!(check(
        "phone is missing and nosuch is missing and `Blank` is missing"
    ));
    assert!(check("title is not missing and not (phone is not missing)"));
}

#[test]
fn lists_regex_and_contains() {
    assert!(check(r#"country in ["us", "GB"]"#));
    assert!(check(r#"country not in ["DE"]"#));
    assert!(check("employees in [10, 250]"));
    assert!(check("email_domain in @freemail"));
    assert!(check(
        r#"`Lead Source` = "Google" and `lead source` = "google""#
    ));
    assert!(check(r#"title ~ "(?i)\bvp\b""#));
    assert!(!check(r#"title ~ "\bvp\b""#));
    assert!(check(
        r#"account contains "CM" and not account contains "x""#
    ));
}

#[test]
fn counters_and_last_activity_look_back_from_now() {
    assert!(check(
        "visits(30d) = 4 and visits(7d) = 2 and visits(90d) >= 5"
    ));
    assert!(check("opens(7d) >= 1 and replies(30d) = 0"));
    assert!(check("last(activity) < 2d and last(visits) >= 2d"));
    assert!(check(
        "last(replies) is missing and last(opens) is not missing"
    ));
    assert!(!check("last(replies) < 100d"));
}

#[test]
fn precedence_and_parentheses() {
    // `and` binds tighter than `or`.
    assert!(check(
        r#"country = "DE" and title = "x" or employees = 250"#
    ));
    assert!(!check(
        r#"country = "DE" and (title = "x" or employees = 250)"#
    ));
    assert!(check(r#"not not country = "US""#));
    assert!(check(
        r#"NOT country = "DE" AND (employees > 1 OR phone IS MISSING)"#
    ));
}

#[test]
fn parse_errors_name_line_column_and_what_was_expected() {
    assert_eq!(
        error("employees >= "),
        "line 1, column 14: expected a value after `>=`"
    );
    assert_eq!(
        error("title"),
        "line 1, column 6: expected an operator after title (one of = != < <= > >= ~ in contains is), found the end of the condition"
    );
    assert_eq!(
        error("(title = \"a\""),
        "line 1, column 13: expected `)` to close the `(`, found the end of the condition"
    );
    assert_eq!(
        error("a = 1 )"),
        "line 1, column 7: this `)` has no matching `(`"
    );
    assert_eq!(
        error("a = 1\n and in [1]"),
        "line 2, column 6: expected a field name, found the keyword `in`"
    );
    assert!(
        error("x in @nope")
            .starts_with("line 1, column 6: unknown list @nope; known lists: @freemail")
    );
    assert!(
        error("visits(30) > 1")
            .starts_with("line 1, column 8: expected a span like 30d inside `visits(…)`")
    );
    assert!(error("visits(30d) = \"a\"").contains("compare it with a number"));
    assert!(error("last(activity) < 3").contains("compare it with a span"));
    assert!(error("foo(3d) > 1").starts_with("line 1, column 1: unknown function `foo`"));
    assert!(error(r#"title ~ "(""#).starts_with("line 1, column 9: invalid regular expression"));
    assert!(error("title = VP").contains("quote text like \"VP\""));
    assert!(error("x in [1, 2").contains("expected `,` or `]`"));
    assert!(error("x is there").contains("expected `missing` after `is`"));
    assert_eq!(
        error("   "),
        "line 1, column 4: the condition is empty; write one like `title = \"CEO\"`"
    );
    assert!(error(&"(".repeat(500)).contains("nests deeper than"));
}

#[test]
fn evidence_names_the_values_in_words() {
    let (lead, signals) = (lead(), signals());
    let facts = LeadFacts {
        lead: &lead,
        signals: &signals,
        now: NOW,
    };
    let ev = |c: &str| {
        Condition::parse(c, &builtin_lists())
            .unwrap()
            .evidence(&facts)
    };
    assert_eq!(ev(r#"title ~ "VP""#), ["title = VP Sales"]);
    assert_eq!(ev("visits(30d) >= 3"), ["4 visits in 30 d, newest 2 d ago"]);
    assert_eq!(
        ev("email_domain in @freemail"),
        ["email_domain gmail.com in @freemail"]
    );
    assert_eq!(
        ev("replies(30d) >= 1 or opens(7d) >= 1"),
        ["1 open in 7 d, newest 1 d ago"]
    );
    assert_eq!(ev("last(activity) < 14d"), ["last email open 1 d ago"]);
    assert_eq!(
        ev("`Lead Source` = \"Google\" and phone is missing"),
        ["`Lead Source` = Google", "phone is missing"]
    );
}

#[test]
fn rules_file_parses_with_stable_ids_and_reports_every_problem() {
    let mut ids = RuleIds::default();
    let set = RuleSet::parse(DEFAULT_RULES, &mut ids).unwrap();
    assert!((12..=18).contains(&set.rules.len()));
    for kind in [RuleKind::Fit, RuleKind::Engagement, RuleKind::Negative] {
        assert!(set.rules.iter().any(|r| r.kind == kind));
    }
    let decision = set.rule_named("decision maker").unwrap().id;
    // A new version that edits, drops and adds rules keeps ids by name.
    let edited = r#"
base_points = -40
[half_life]
visits = 7
[[rule]]
name = "Brand new"
when = 'employees > 5'
points = 3
kind = "fit"
[[rule]]
name = "Decision maker"
when = 'title = "CEO"'
points = 25
kind = "fit"
locked = true
"#;
    let v2 = RuleSet::parse(edited, &mut ids).unwrap();
    assert_eq!(v2.rule_named("Decision maker").unwrap().id, decision);
    assert!(v2.rule_named("Decision maker").unwrap().locked);
    assert!(v2.rule_named("Brand new").unwrap().id > set.rules.iter().map(|r| r.id).max().unwrap());
    assert_eq!(v2.half_life_secs(Signal::WebVisit), 7.0 * DAY as f64);
    assert_eq!(v2.half_life_secs(Signal::EmailReply), 14.0 * DAY as f64);
    // Round trip through to_toml keeps the rules and ids.
    let again = RuleSet::parse(&v2.to_toml(), &mut ids).unwrap();
    assert_eq!(
        again.rule_named("Brand new").unwrap().id,
        v2.rule_named("Brand new").unwrap().id
    );
    assert_eq!(again.priors(), v2.priors());

    let bad = r#"
[[rule]]
name = "A"
when = 'employees >= '
points = 1
kind = "fit"
[[rule]]
name = "B"
when = 'title ~ "ok"'
points = 999
kind = "fit"
[[rule]]
name = "C"
when = 'x in @nope'
points = 1
kind = "negative"
"#;
    let before = ids.clone();
    let err = RuleSet::parse(bad, &mut ids).unwrap_err();
    assert_eq!(err.problems.len(), 3, "{err}");
    let text = err.to_string();
    assert!(
        text.contains(
            "rule \"A\" (file line 4): condition line 1, column 14: expected a value after `>=`"
        ),
        "{text}"
    );
    assert!(text.contains("rule \"B\""), "{text}");
    assert!(
        text.contains("rule \"C\" (file line 14): condition line 1, column 6: unknown list @nope"),
        "{text}"
    );
    assert_eq!(ids, before, "no ids are handed out for a rejected file");
    let err = RuleSet::parse(
        "[[rule]]\nname = \"A\"\nwhen = 'x = 1'\npoints = 1\nkind = \"hot\"\n",
        &mut ids,
    )
    .unwrap_err();
    assert!(err.to_string().contains("file line 5"), "{err}");
}

proptest! {
    #[test]
    fn parser_never_panics_and_errors_point_inside_the_text(text in "\\PC{0,80}") {
        if let Err(e) = Condition::parse(&text, &builtin_lists()) {
            let lines = text.split('\n').count() as u32;
            prop_assert!(e.pos.line >= 1 && e.pos.line <= lines);
            prop_assert!(e.pos.column >= 1);
            let prefix = format!("line {}, column {}:", e.pos.line, e.pos.column);
            prop_assert!(e.to_string().starts_with(&prefix));
        }
    }

    #[test]
    fn parser_never_panics_on_token_soup(parts in proptest::collection::vec(prop_oneof![
        Just("title"), Just("`A b`"), Just("visits(30d)"), Just("last(activity)"), Just("="),
        Just(">="), Just("~"), Just("in"), Just("not"), Just("and"), Just("or"), Just("("),
        Just(")"), Just("["), Just("]"), Just(","), Just("\"x\""), Just("3"), Just("14d"),
        Just("@freemail"), Just("is"), Just("missing"), Just("contains"), Just("\n"),
    ], 0..24)) {
        let text = parts.join(" ");
        if let Ok(c) = Condition::parse(&text, &builtin_lists()) {
            let (lead, signals) = (lead(), signals());
            let facts = LeadFacts { lead: &lead, signals: &signals, now: NOW };
            let _ = c.matches(&facts);
            let _ = c.evidence(&facts);
        }
    }
}
