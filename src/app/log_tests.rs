//! Logging an outcome from the console: the two-key form, the durable write's result applied
//! (learned weights, the lead's new stage, the next lead selected) and its exact undo.

use crossterm::event::KeyCode;

use super::tests::{NOW, key, loaded_app, order, sample_leads, selected, typed};
use super::*;
use crate::core::model::{DAY, Lead, NextAction};
use crate::core::outcome::OutcomeRecord;
fn logged(lead: &Lead, seq: u64, outcome: &str) -> Action {
    let rec = OutcomeRecord {
        seq,
        lead: lead.id,
        outcome: outcome.into(),
        at: NOW,
        note: String::new(),
        value: None,
        follow_up: None,
        snapshot: vec![],
        step: None,
        stage_before: "New".into(),
        stage_entered_before: NOW,
        next_action_before: None,
        deal_value_before: None,
        undone: false,
    };
    Action::OutcomeLogged(Box::new(learning::OutcomeDone {
        record: rec,
        lead: lead.clone(),
        learned: None,
    }))
}

#[test]
fn a_logged_outcome_moves_the_learned_weights_and_undo_moves_them_back() {
    use crate::core::outcome::{LearnStep, WeightDelta};
    use crate::core::weights::weight_from_points;
    let mut app = loaded_app(sample_leads(6));
    let scoring = app.scoring.as_ref().unwrap();
    let before_weights = scoring.card.weights().clone();
    // A rule some leads match and others do not.
    let rule = scoring
        .snapshot(2)
        .into_iter()
        .map(|(r, _)| r)
        .find(|&r| (1..=6).any(|id| !scoring.snapshot(id).iter().any(|(q, _)| *q == r)))
        .expect("a rule that splits the book");
    let logits = |app: &App| -> Vec<f64> {
        (1..=6)
            .map(|id| app.scoring.as_ref().unwrap().index.logit(id).unwrap())
            .collect()
    };
    let matching: Vec<bool> = (1..=6)
        .map(|id| scoring.snapshot(id).iter().any(|(q, _)| *q == rule))
        .collect();
    let logits_before = logits(&app);
    let name = scoring.card.rule(rule).unwrap().name.clone();

    let dw = weight_from_points(3.0);
    let mut learned = before_weights.clone();
    *learned.rules.get_mut(&rule).unwrap() += dw;
    let step = LearnStep {
        predicted: 0.3,
        deltas: vec![WeightDelta {
            rule: Some(rule),
            dw,
            dstate: 0.0,
            before: Some(before_weights.get(rule)),
            state_before: None,
        }],
        target: 1.0,
        strength: 1.0,
    };
    let Action::OutcomeLogged(mut done) = logged(&app.book.lead(2).unwrap().clone(), 9, "won")
    else {
        unreachable!()
    };
    done.record.step = Some(step);
    done.learned = Some(learned.clone());
    let undone = done.clone();
    update(&mut app, Action::OutcomeLogged(done));

    let toast = &app.toast.as_ref().unwrap().text;
    assert!(toast.contains(&format!("{name} +3 pts")), "{toast}");
    assert_eq!(
        app.scoring.as_ref().unwrap().card.weights().get(rule),
        learned.get(rule)
    );
    for (i, (b, a)) in logits_before.iter().zip(logits(&app)).enumerate() {
        if matching[i] {
            assert!(a > *b, "lead {} matches the rule and moves up", i + 1);
        } else {
            assert_eq!(a, *b, "lead {} does not match and stays", i + 1);
        }
    }

    let mut undone = undone;
    undone.learned = Some(before_weights.clone());
    update(&mut app, Action::OutcomeUndone(undone));
    let toast = &app.toast.as_ref().unwrap().text;
    assert!(toast.contains(&format!("{name} \u{2212}3 pts")), "{toast}");
    assert_eq!(
        app.scoring.as_ref().unwrap().card.weights(),
        &before_weights
    );
    for (b, a) in logits_before.iter().zip(logits(&app)) {
        assert!((a - b).abs() < 1e-9, "undo puts every score back");
    }
}

#[test]
fn logging_commits_a_request_then_moves_to_the_next_lead_and_can_be_undone() {
    let mut app = loaded_app(sample_leads(5));
    let before = order(&app);
    key(&mut app, KeyCode::Char('j'));
    let worked = before[1];
    assert_eq!(selected(&app), worked);
    assert!(key(&mut app, KeyCode::Char('l')).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Log(_))));
    // Note, follow-up and value first; then the digit only picks and Enter logs.
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "demo on Tue");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "2d");
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "12,000");
    for _ in 0..3 {
        key(&mut app, KeyCode::BackTab);
    }
    assert!(key(&mut app, KeyCode::Char('4')).is_empty());
    let effects = key(&mut app, KeyCode::Enter);
    let [
        Effect::LogOutcome {
            lead,
            request,
            snapshot,
        },
    ] = effects.as_slice()
    else {
        panic!("expected one LogOutcome, got {effects:?}");
    };
    assert_eq!(*lead, worked);
    assert_eq!(request.outcome, "meeting_booked");
    assert_eq!(request.note, "demo on Tue");
    assert_eq!(request.follow_up, Some(NOW + 2 * DAY));
    assert_eq!(request.value, Some(12000.0));
    assert_eq!(
        snapshot,
        &app.scoring.as_ref().unwrap().snapshot(worked),
        "the features at the time of work go with the outcome"
    );
    assert!(!snapshot.is_empty());
    assert!(app.overlay.is_none());

    // The store answers: the lead moved on and is re-scored in the index.
    let mut stored = app.book.lead(worked).unwrap().clone();
    stored.stage = "Qualified".into();
    stored.next_action = Some(NextAction {
        due: NOW + 2 * DAY,
        note: "follow up".into(),
    });
    update(&mut app, logged(&stored, 7, "meeting_booked"));
    assert_eq!(
        selected(&app),
        before[2],
        "log-and-next selects the lead that followed"
    );
    assert_eq!(app.book.lead(worked).unwrap().stage, "Qualified");
    let toast = &app.toast.as_ref().unwrap().text;
    assert!(
        toast.contains("Meeting booked") && toast.contains("Qualified"),
        "{toast}"
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('u')),
        vec![Effect::UndoOutcome(7)]
    );
    assert!(key(&mut app, KeyCode::Char('u')).is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("nothing to undo"));
}

#[test]
fn two_keys_log_an_outcome_l_then_its_digit() {
    let mut app = loaded_app(sample_leads(5));
    let worked = selected(&app);
    assert!(key(&mut app, KeyCode::Char('l')).is_empty());
    let effects = key(&mut app, KeyCode::Char('4'));
    let [Effect::LogOutcome { lead, request, .. }] = effects.as_slice() else {
        panic!("the digit logs at once, got {effects:?}");
    };
    assert_eq!(
        (*lead, request.outcome.as_str()),
        (worked, "meeting_booked")
    );
    assert_eq!((request.note.as_str(), request.value), ("", None));
    assert!(app.overlay.is_none());
}

#[test]
fn the_log_form_refuses_bad_input_and_esc_cancels() {
    let mut app = loaded_app(sample_leads(3));
    key(&mut app, KeyCode::Char('l'));
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let Some(Overlay::Log(form)) = &app.overlay else {
        panic!()
    };
    assert!(form.error.as_ref().unwrap().contains("pick an outcome"));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    typed(&mut app, "someday");
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    assert!(key(&mut app, KeyCode::Char('9')).is_empty());
    assert!(key(&mut app, KeyCode::Char('1')).is_empty());
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    let Some(Overlay::Log(form)) = &app.overlay else {
        panic!()
    };
    assert_eq!(
        form.outcome,
        Some(0),
        "9 is out of range, 1 picks the first"
    );
    assert!(form.error.as_ref().unwrap().starts_with("follow-up"));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
}
