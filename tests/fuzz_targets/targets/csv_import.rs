//! Fuzz target: a CSV import (dry run) of arbitrary bytes never panics, accounts for every
//! row, and numbers rejects with lines of the file.
#![no_main]

use std::sync::OnceLock;

use leadq::store::import::{ImportOptions, ImportPlan};
use libfuzzer_sys::fuzz_target;

/// One directory for the whole run; the file is rewritten for every input.
fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
}

fuzz_target!(|bytes: &[u8]| {
    let file = dir().path().join("fuzz.csv");
    std::fs::write(&file, bytes).expect("write the input");
    let Ok(plan) = ImportPlan::prepare(&file, &[]) else {
        return;
    };
    let options = ImportOptions {
        dry_run: true,
        now: 1_795_651_200,
    };
    let lines = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    if let Ok(s) = plan.run(None, &options, &mut |_| {}) {
        assert_eq!(
            s.rows_read,
            s.imported + s.merged + s.rejected + s.blank_rows,
            "{s:?}"
        );
        for r in &s.rejects {
            assert!(
                (2..=lines).contains(&r.line),
                "reject line {} of {lines}",
                r.line
            );
            assert!(!r.reason.is_empty());
        }
    }
});
