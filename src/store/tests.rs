//! Store behaviour a caller relies on: persistence, lookup, schema refusal, locking.

use super::*;
use crate::core::model::{ActivityKind, Signal};

fn lead(id: LeadId, email: &str) -> Lead {
    Lead {
        id,
        name: format!("Lead {id}"),
        email: email.into(),
        stage: "New".into(),
        ..Lead::default()
    }
}

#[test]
fn leads_persist_across_reopen_and_are_found_by_id_or_email() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.db");
    {
        let store = Store::open(&path).unwrap();
        let first = store.reserve_lead_ids(2).unwrap();
        store.put_lead(&lead(first, "Ana@Example.com")).unwrap();
        store.put_lead(&lead(first + 1, "bo@example.com")).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.find_lead("1").unwrap().email, "Ana@Example.com");
    assert_eq!(store.find_lead(" ana@example.COM ").unwrap().id, 1);
    assert!(matches!(
        store.find_lead("nobody@x.org"),
        Err(StoreError::LeadNotFound(_))
    ));
    assert!(matches!(
        store.find_lead("99"),
        Err(StoreError::LeadNotFound(_))
    ));
    assert_eq!(store.lead_count(), 2);
    // Ids keep counting after a reopen.
    assert_eq!(store.reserve_lead_ids(1).unwrap(), 3);
}

#[test]
fn changing_an_email_moves_the_index_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let mut l = lead(5, "old@example.com");
    store.put_lead(&l).unwrap();
    l.email = "new@example.com".into();
    store.put_lead(&l).unwrap();
    assert_eq!(store.lead_id_by_email("new@example.com").unwrap(), Some(5));
    assert_eq!(store.lead_id_by_email("old@example.com").unwrap(), None);
}

#[test]
fn activities_come_back_per_lead_in_time_order_and_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let act = |lead, at| Activity {
        lead,
        at,
        kind: ActivityKind::Signal(Signal::WebVisit),
        detail: String::new(),
    };
    store
        .insert_activities(&[act(2, 300), act(1, 200), act(1, -5), act(1, 100)])
        .unwrap();
    let times: Vec<_> = store
        .activities_of(1)
        .unwrap()
        .iter()
        .map(|a| a.at)
        .collect();
    assert_eq!(times, [-5, 100, 200]);
    assert!(store.remove_activity(&act(1, 100)).unwrap());
    assert!(!store.remove_activity(&act(1, 100)).unwrap());
    assert_eq!(store.activities_of(1).unwrap().len(), 2);
    assert_eq!(store.activities().count(), 3);
}

#[test]
fn a_second_handle_on_the_same_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let _first = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is in use by another leadq process")
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).unwrap();
        store.put_lead(&lead(1, "a@b.c")).unwrap();
        store
            .meta
            .insert(META_SCHEMA, &(SCHEMA_VERSION + 1).to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer leadq"));
    // Still refused (nothing was rewritten), and the lead is still there underneath.
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::NewerSchema { .. })
    ));
    let raw = sled::open(&path).unwrap();
    assert!(
        raw.open_tree("leads")
            .unwrap()
            .get(1u64.to_be_bytes())
            .unwrap()
            .is_some()
    );
}

#[test]
fn undecodable_values_are_reported_as_damage_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    store
        .leads
        .insert(7u64.to_be_bytes(), &[1u8, 0xff, 0xff][..])
        .unwrap();
    let err = store.lead(7).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("leadq restore"));
    store
        .leads
        .insert(8u64.to_be_bytes(), &[codec::FORMAT_VERSION + 1, 0][..])
        .unwrap();
    assert!(matches!(store.lead(8), Err(StoreError::NewerSchema { .. })));
}

#[test]
fn data_dir_and_file_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/book.db");
    let _store = Store::open(&path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o700);
    assert_eq!(mode(&path.join("db")), 0o600);
}

#[test]
fn settings_default_until_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    assert_eq!(store.pipeline().unwrap(), Pipeline::default());
    let mut p = Pipeline::default();
    p.stages.remove(7);
    store.set_pipeline(&p).unwrap();
    assert_eq!(store.pipeline().unwrap().stages.len(), 7);
    assert_eq!(store.outcome_catalog().unwrap(), OutcomeCatalog::default());
}
