//! `leadq demo`: fills an empty database with a realistic, reproducible demo book.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use super::{CliResult, bad_input};
use crate::core::demo::DemoConfig;
use crate::core::model::Timestamp;
use crate::store::Store;
use crate::store::demo::write_demo_book;

pub fn run(store: &Store, leads: u64, seed: u64, now: Timestamp) -> CliResult {
    if leads == 0 {
        return Err(bad_input("--leads must be at least 1"));
    }
    if !store.is_empty() {
        return Err(bad_input(format!(
            "database {} already holds {} leads; the demo book only goes into an empty database. \
             Pick another one with --db PATH, e.g. `leadq --db demo.db demo`",
            store.path().display(),
            store.lead_count()
        )));
    }
    let started = Instant::now();
    let show_progress = std::io::stderr().is_terminal();
    let mut progress = |done: u64, total: u64| {
        if show_progress {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\rgenerating demo book: {done} / {total} leads ({}%)",
                done * 100 / total.max(1)
            );
            let _ = err.flush();
        }
    };
    let config = DemoConfig { leads, seed, now };
    let summary = write_demo_book(store, config, &mut progress)?;
    if show_progress {
        eprintln!();
    }
    println!(
        "demo book (seed {seed}) written to {}: {} leads, {} accounts, {} activities, {} outcomes in {:.1} s",
        store.path().display(),
        summary.leads,
        summary.accounts,
        summary.activities,
        summary.outcomes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
