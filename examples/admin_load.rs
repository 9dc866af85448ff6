//! Times the rules admin's data load (`load_admin`) on an existing book.
//!
//! `cargo run --release --example admin_load -- DB [RUNS]` opens DB, runs `load_admin` RUNS
//! times (default 5) and prints each run's time; the first run of a book opened for the first
//! time by a build with the admin index includes building that index once (it WRITES to DB:
//! use a copy of a book you care about).

use std::time::Instant;

use leadq::app::admin_data::load_admin;
use leadq::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let db = args.next().ok_or("usage: admin_load DB [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let t = Instant::now();
    let store = Store::open(std::path::Path::new(&db))?;
    println!("open: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    for run in 1..=runs {
        let t = Instant::now();
        let data = load_admin(&store)?;
        println!(
            "load_admin run {run}: {:.1} ms ({} rules)",
            t.elapsed().as_secs_f64() * 1e3,
            data.stats.len()
        );
    }
    Ok(())
}
