//! Books for the store's tests: a fresh database with a few plain leads, and the priors of the
//! three rules the learning tests score with.

use crate::core::learn::Priors;
use crate::core::model::Lead;
use crate::store::Store;

/// A new database in a temporary folder with leads 1..=n, named "Lead N", in stage New.
pub(crate) fn store_with_leads(n: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    for id in 1..=n {
        store
            .put_lead(&Lead {
                id,
                name: format!("Lead {id}"),
                stage: "New".into(),
                ..Lead::default()
            })
            .unwrap();
    }
    (dir, store)
}

/// Base −5 points; rule 1 at +18, rule 2 at −20, rule 3 at +10 and locked.
pub(crate) fn priors() -> Priors {
    Priors::from_points(-5.0, [(1, 18.0, false), (2, -20.0, false), (3, 10.0, true)])
}
