//! Search tests: the fast paths against scoring every lead with SkimMatcherV2.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::score::{QueryBound, Scratch, score, score_bytes};
use super::*;
use crate::core::model::{Lead, Pipeline};
use crate::core::priority::PriorityConfig;
use crate::core::rng::SeededRng;
use crate::core::rules::{RuleIds, RuleSet};
use crate::core::scorecard::Scorecard;
use crate::core::signals::SignalSummary;

fn lead(id: LeadId, name: &str) -> Lead {
    Lead {
        id,
        name: name.to_string(),
        ..Lead::default()
    }
}

fn index_of(leads: &[Lead]) -> LeadIndex {
    let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    LeadIndex::build(
        &card,
        &Pipeline::default(),
        PriorityConfig::default(),
        0,
        leads.iter().map(|l| (l, SignalSummary::default())),
    )
}

fn names(names: &[&str]) -> LeadIndex {
    let leads: Vec<Lead> = names
        .iter()
        .enumerate()
        .map(|(i, n)| lead(i as LeadId + 1, n))
        .collect();
    index_of(&leads)
}

fn ids(r: &SearchResult) -> Vec<LeadId> {
    r.hits.iter().map(|h| h.id).collect()
}

/// The matcher's score with no earlier calls on its buffers.
fn reference(text: &str, query: &str) -> Option<i64> {
    SkimMatcherV2::default()
        .ignore_case()
        .fuzzy_indices(text, query)
        .map(|(s, _)| s)
}

/// Every lead scored with the matcher: (total, the best `limit` hits).
fn brute_force(texts: &[String], query: &str, limit: usize) -> (usize, Vec<SearchHit>) {
    let query = fold_case(query.trim());
    if query.is_empty() {
        return (0, Vec::new());
    }
    let mut hits: Vec<SearchHit> = texts
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            reference(t, &query).map(|score| SearchHit {
                id: i as LeadId + 1,
                score,
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    let total = hits.len();
    hits.truncate(limit);
    (total, hits)
}

const ALPHABET: &[char] = &[
    'a', 'a', 'a', 'b', 'c', 'e', 'e', 'n', 'n', 'r', 's', 'z', '1', ' ', ' ', '.', '@', '-', '/',
    '·', 'é', 'ß', 'İ',
];

fn random_text(rng: &mut SeededRng, max_len: u64) -> String {
    let len = rng.below(max_len) + 1;
    let text: String = (0..len).map(|_| *rng.pick(ALPHABET)).collect();
    fold_case(&text)
}

/// A query taken from `text` in order (sometimes with a stray character), as typed.
fn random_query(rng: &mut SeededRng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let start = rng.below(chars.len() as u64) as usize;
    let len = rng.below(5) as usize + 1;
    let mut q: String = chars[start..]
        .iter()
        .filter(|_| rng.chance(0.5))
        .take(len)
        .collect();
    if q.is_empty() || rng.chance(0.2) {
        q.push(*rng.pick(ALPHABET));
    }
    q
}

#[test]
fn the_score_is_the_matchers_on_ascii_and_other_text() {
    let mut rng = SeededRng::new(7);
    let mut scratch = Scratch::default();
    for i in 0..4000 {
        // Long texts give long gaps, where the matcher's values run far below zero.
        let text = random_text(&mut rng, if i % 10 == 0 { 300 } else { 40 });
        let query = fold_case(&random_query(&mut rng, &text));
        let want = reference(&text, &query);
        let chars: Vec<char> = text.chars().collect();
        let qchars: Vec<char> = query.chars().collect();
        let got = score(&chars, &qchars, &mut scratch).map(i64::from);
        assert_eq!(got, want, "{query:?} in {text:?}");
        if query.is_ascii() {
            let dense = score(text.as_bytes(), query.as_bytes(), &mut scratch);
            assert_eq!(dense.map(i64::from), want, "bytes: {query:?} in {text:?}");
            let sparse = score_bytes(text.as_bytes(), query.as_bytes(), &mut scratch);
            assert_eq!(sparse.map(i64::from), want, "sparse: {query:?} in {text:?}");
        }
        if let Some(s) = want {
            let codes: Vec<u32> = qchars.iter().map(|&c| c as u32).collect();
            let bound = QueryBound::of(&codes);
            let bound = if text.starts_with(qchars[0]) {
                bound.at_start()
            } else {
                bound.elsewhere()
            };
            assert!(s <= bound as i64, "{query:?} in {text:?}: {s} > {bound}");
        }
    }
}

#[test]
fn fast_search_equals_scoring_every_lead_with_the_matcher() {
    let mut rng = SeededRng::new(11);
    for round in 0..12 {
        let n = [40, 300, 2000][round % 3];
        let texts: Vec<String> = (0..n).map(|_| random_text(&mut rng, 30)).collect();
        let mut corpus = SearchTexts::default();
        for (i, t) in texts.iter().enumerate() {
            corpus.push(i as LeadId + 1, t);
        }
        let ids: Vec<LeadId> = (1..=n as LeadId).collect();
        for _ in 0..6 {
            let from = rng.below(n as u64) as usize;
            let word = random_query(&mut rng, &texts[from]);
            let limit = [1, 5, 200][rng.below(3) as usize];
            let mut prev: Option<SearchResult> = None;
            let typed: Vec<char> = word.chars().collect();
            for k in 1..=typed.len() {
                let q: String = typed[..k].iter().collect();
                let got = search_texts(&corpus, &ids, &q, limit, prev.as_ref());
                let (total, hits) = brute_force(&texts, &q, limit);
                assert_eq!(got.total, total, "total for {q:?}");
                assert_eq!(got.hits, hits, "hits for {q:?} (limit {limit})");
                prev = Some(got);
            }
        }
    }
}

#[test]
fn finds_leads_by_fuzzy_name_ignoring_case() {
    let ix = names(&["Ada Lovelace", "Alan Turing", "Grace Hopper"]);
    let r = search(&ix, "ALT", MAX_HITS, None);
    assert_eq!(ids(&r), vec![2]);
    assert!(search(&ix, "  ", MAX_HITS, None).is_empty());
    assert!(search(&ix, "zzz", MAX_HITS, None).is_empty());
}

#[test]
fn a_grown_query_scans_only_the_previous_matches_and_equals_a_fresh_search() {
    let ix = names(&["Ada Lovelace", "Alan Turing", "Grace Hopper", "Adam Alda"]);
    let mut prev: Option<SearchResult> = None;
    for q in ["a", "ad", "ada", "ada l"] {
        let grown = search(&ix, q, MAX_HITS, prev.as_ref());
        let fresh = search(&ix, q, MAX_HITS, None);
        assert_eq!(grown.hits, fresh.hits, "query {q:?}");
        assert_eq!(grown.total, fresh.total, "query {q:?}");
        if let Some(p) = &prev {
            assert_eq!(grown.scanned, p.total, "{q:?} scans the previous matches");
        }
        prev = Some(grown);
    }
    // A changed query does not reuse candidates it must not.
    let edited = search(&ix, "gr", MAX_HITS, prev.as_ref());
    assert_eq!(ids(&edited), vec![3]);
    assert_eq!(edited.scanned, 4);
}

#[test]
fn a_result_from_before_the_index_changed_is_not_reused() {
    let card = Scorecard::new(RuleSet::default_rules(&mut RuleIds::default()), None);
    let mut ix = names(&["Ada Lovelace", "Bob Stone"]);
    let before = search(&ix, "b", MAX_HITS, None);
    ix.upsert(&card, &lead(3, "Bea Ball"), SignalSummary::default());
    ix.upsert(&card, &lead(1, "Ada Bell"), SignalSummary::default());
    let after = search(&ix, "be", MAX_HITS, Some(&before));
    assert_eq!(ids(&after), vec![3, 1, 2]);
    assert_eq!(after.scanned, 3, "every lead is scanned again");
}

#[test]
fn best_match_comes_first_and_limit_keeps_the_best() {
    let ix = names(&["Banana Nut", "Ann", "Bob", "Anna"]);
    let r = search(&ix, "ann", MAX_HITS, None);
    assert_eq!(ids(&r), vec![2, 4, 1], "{r:?}");
    assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));
    let top = search(&ix, "ann", 1, None);
    assert_eq!((ids(&top), top.total), (vec![2], 3));
}

#[test]
fn email_account_and_title_are_searched_too() {
    let leads = vec![
        Lead {
            title: "VP Sales".into(),
            account: "Northwind".into(),
            email: "kim@contoso.io".into(),
            ..lead(1, "Kim Park")
        },
        lead(2, "Vic Pasco"),
    ];
    let ix = index_of(&leads);
    assert_eq!(
        ix.search_text_of(1),
        Some("kim park · kim@contoso.io · northwind · vp sales")
    );
    assert_eq!(ids(&search(&ix, "vp sales", MAX_HITS, None)), vec![1]);
    assert_eq!(ids(&search(&ix, "northw", MAX_HITS, None)), vec![1]);
    assert_eq!(ids(&search(&ix, "contoso", MAX_HITS, None)), vec![1]);
}

#[test]
fn non_ascii_names_match_by_character() {
    let ix = names(&["José Martín", "Jose Marten", "ÉLODIE Ñúñez", "Zoë"]);
    assert_eq!(ids(&search(&ix, "josé", MAX_HITS, None)), vec![1]);
    assert_eq!(ids(&search(&ix, "JOSE", MAX_HITS, None)), vec![2]);
    assert_eq!(ids(&search(&ix, "élodie ñ", MAX_HITS, None)), vec![3]);
    assert_eq!(ids(&search(&ix, "ÉLO", MAX_HITS, None)), vec![3]);
    assert_eq!(ids(&search(&ix, "zoë", MAX_HITS, None)), vec![4]);
    let r = search(&ix, "mrtn", MAX_HITS, None);
    assert_eq!(r.total, 2);
    let text = ix.search_text_of(1).unwrap();
    assert_eq!(matched_positions(text, "martín"), vec![5, 6, 7, 8, 9, 10]);
}

#[test]
fn highlighted_positions_are_the_matchers_alignment() {
    let ix = names(&["Ada Lovelace"]);
    let r = search(&ix, "alo", MAX_HITS, None);
    let text = ix.search_text_of(r.hits[0].id).unwrap();
    assert_eq!(matched_positions(text, &r.query), vec![0, 4, 5]);
}

#[test]
fn a_tie_goes_to_the_lower_id_even_when_it_is_ranked_later() {
    // "axb" starts with the query's first character, so it is ranked before "x ab"; both
    // score 43 for "ab", which is also the bound of texts not starting with "a".
    let mut corpus = SearchTexts::default();
    corpus.push(1, "x ab");
    corpus.push(2, "axb");
    let r = search_texts(&corpus, &[1, 2], "ab", 1, None);
    assert_eq!(reference("x ab", "ab"), reference("axb", "ab"));
    assert_eq!(r.hits, vec![SearchHit { id: 1, score: 43 }]);
}

#[test]
fn the_bound_is_reached_by_a_text_starting_with_the_query_and_by_one_after_a_space() {
    let mut scratch = Scratch::default();
    for query in ["l", "ana", "piotr a", "x.io"] {
        let codes: Vec<u32> = query.chars().map(|c| c as u32).collect();
        let bound = QueryBound::of(&codes);
        let own = score_bytes(query.as_bytes(), query.as_bytes(), &mut scratch);
        let after_space = score_bytes(
            format!("z {query}").as_bytes(),
            query.as_bytes(),
            &mut scratch,
        );
        assert_eq!(own, Some(bound.at_start()), "{query:?}");
        assert_eq!(after_space, Some(bound.elsewhere()), "{query:?}");
    }
}
