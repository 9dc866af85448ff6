//! Tests of rule suggestion: candidates, statistics, and the written rules.

use super::*;

fn profile(name: &str, values: &[Option<&str>]) -> ColumnProfile {
    let mut p = ColumnProfile::new(name);
    for v in values {
        p.observe(*v);
    }
    p
}

#[test]
fn candidates_cover_frequent_categories_bins_and_missing() {
    let mut src = vec![Some("Google"); 30];
    src.extend(vec![Some("Direct"); 25]);
    for rare in ["Rare", "Odd", "Few", "Seldom", "Once"] {
        src.extend(vec![Some(rare); 5]);
    }
    src.extend(vec![None; 22]);
    let mut visits: Vec<Option<String>> = (0..100).map(|i| Some((i % 10).to_string())).collect();
    visits[0] = None;
    let visits: Vec<Option<&str>> = visits.iter().map(|v| v.as_deref()).collect();
    let every = SuggestConfig {
        skip_reference: false,
        bins: 5,
        min_support: 15,
        ..SuggestConfig::default()
    };
    let profiles = [
        profile("Lead Source", &src),
        profile("TotalVisits", &visits),
    ];
    let cands = candidates(&profiles, &every);
    let conds: Vec<String> = cands.iter().map(Candidate::condition).collect();
    assert_eq!(
        conds,
        [
            "`Lead Source` = \"Google\"",
            "`Lead Source` = \"Direct\"",
            "not (`Lead Source` is missing) and not (`Lead Source` in [\"Google\", \"Direct\"])",
            "`Lead Source` is missing",
            "`TotalVisits` < 2",
            "`TotalVisits` >= 2 and `TotalVisits` < 4",
            "`TotalVisits` >= 4 and `TotalVisits` < 6",
            "`TotalVisits` >= 6 and `TotalVisits` < 8",
            "`TotalVisits` >= 8",
        ]
    );
    assert!(cands[5].test.matches(Some("3")) && !cands[5].test.matches(Some("4")));
    assert!(cands[3].test.matches(None) && !cands[0].test.matches(None));
    assert!(cands[2].test.matches(Some("Rare")) && !cands[2].test.matches(Some("google")));
    // When asked, the reference levels (most frequent value, most populous bin) are left out.
    let skipping = SuggestConfig {
        skip_reference: true,
        ..every.clone()
    };
    let default: Vec<String> = candidates(&profiles, &skipping)
        .iter()
        .map(Candidate::condition)
        .collect();
    assert!(!default.contains(&conds[0]) && default.contains(&conds[1]));
    assert_eq!(default.len(), conds.len() - 2);
    // A number gets fewer bins when its bins would cover under `min_support` rows each: 99
    // values and a support of 20 allow 4 bins at most, not the 10 asked for.
    let coarse = SuggestConfig {
        bins: 10,
        min_support: 20,
        skip_reference: false,
        ..SuggestConfig::default()
    };
    let bins = candidates(&profiles[1..], &coarse)
        .iter()
        .filter(|c| matches!(c.test, Test::Range { .. }))
        .count();
    assert_eq!(bins, 4);
    let fine = SuggestConfig {
        min_support: 5,
        ..coarse
    };
    let bins = candidates(&profiles[1..], &fine)
        .iter()
        .filter(|c| matches!(c.test, Test::Range { .. }))
        .count();
    assert_eq!(bins, 10, "deciles of 0..9 when the support allows");
}

#[test]
fn statistics_match_hand_computed_values() {
    // 100 rows, 40 positive; the rule matches 20 rows, 15 of them positive.
    let s = CandidateStats::from_counts(20, 15, 100, 40);
    assert!((s.lift - (15.0 / 20.0) / 0.4).abs() < 1e-12);
    let (sp, sn): (f64, f64) = (15.5 / 41.0, 5.5 / 61.0);
    assert!((s.woe - (sp / sn).ln()).abs() < 1e-12);
    assert!((s.information_value - (sp - sn) * (sp / sn).ln()).abs() < 1e-12);
}

#[test]
fn ranking_drops_weak_candidates_and_the_file_quotes_everything() {
    let c = |v: &str, stats| Candidate {
        column: "Lead \"Source\"".into(),
        test: Test::Equals(v.into()),
        stats: Some(stats),
    };
    let ranked = rank(
        vec![
            c("weak", CandidateStats::from_counts(50, 20, 100, 40)),
            c("strong \"x\"", CandidateStats::from_counts(20, 18, 100, 40)),
            c("neg", CandidateStats::from_counts(30, 2, 100, 40)),
        ],
        &SuggestConfig::default(),
    );
    let names: Vec<String> = ranked.iter().map(Candidate::name).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let file = rules_toml(&ranked, 100, 40);
    let parsed: toml::Value = toml::from_str(&file).unwrap();
    let rules = parsed["rule"].as_array().unwrap();
    assert_eq!(
        rules[0]["when"].as_str(),
        Some("`Lead \"Source\"` = \"strong \\\"x\\\"\"")
    );
    assert!(rules.iter().any(|r| r["points"].as_integer().unwrap() < 0));
}

#[test]
fn past_max_values_a_columns_rarer_values_share_the_other_rule() {
    // 40 cities: city k appears 100 − k times, all above the support.
    let names: Vec<String> = (0..40).map(|k| format!("City {k}")).collect();
    let mut cells = Vec::new();
    for (k, n) in names.iter().enumerate() {
        cells.extend(std::iter::repeat_n(Some(n.as_str()), 100 - k));
    }
    let cfg = SuggestConfig {
        skip_reference: false,
        max_values: 30,
        ..SuggestConfig::default()
    };
    let cands = candidates(&[profile("City", &cells)], &cfg);
    let equals: Vec<&Candidate> = cands
        .iter()
        .filter(|c| matches!(c.test, Test::Equals(_)))
        .collect();
    assert_eq!(equals.len(), 30);
    assert_eq!(
        equals[0].test,
        Test::Equals("City 0".into()),
        "most frequent first"
    );
    let other = cands
        .iter()
        .find(|c| matches!(c.test, Test::Other(_)))
        .unwrap();
    assert!(other.test.matches(Some("City 30")) && other.test.matches(Some("City 39")));
    assert!(!other.test.matches(Some("City 29")) && !other.test.matches(None));
}
