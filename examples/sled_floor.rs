//! What sled 0.34 alone costs at a given book size, with none of leadq's work around it: the
//! floor under two DESIGN.md §8 budgets.
//!
//! `cargo run --release --example sled_floor -- open DB` opens an existing book exactly as
//! leadq does (same cache size), then reads every lead and activity value without decoding
//! them, and prints the process's resident memory after each step, per lead.
//!
//! `cargo run --release --example sled_floor -- insert N DIR` writes N lead-sized values
//! and N email keys into a fresh sled database in DIR (as an import's minimum: one record per
//! lead plus its email index entry, no parsing, no encoding), flushes, and prints the time.
//!
//! `cargo run --release --example sled_floor -- email-runs N RUN DIR` inserts N emails in
//! random order into a fresh sled database in DIR, each run of RUN keys sorted first (RUN =
//! N: all sorted): what the import's keys lane costs at a given run length.

use std::time::Instant;

/// The binary's allocator, so that the figures are those of `leadq` itself.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resident and peak resident memory of this process, in bytes (Linux).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn report(step: &str, leads: u64, t: Instant) {
    let (now, peak) = rss();
    println!(
        "{step:<40} {:>7.1} s  rss {:>5} B/lead  peak {:>5} B/lead",
        t.elapsed().as_secs_f64(),
        now / leads.max(1),
        peak / leads.max(1)
    );
}

/// A sled database in `dir` configured as leadq configures its own (64 MB cache).
fn fresh_db(dir: &std::path::Path) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(dir)
        .cache_capacity(64 << 20)
        .open()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("open") => {
            let db = std::path::Path::new(&args[1]);
            let t = Instant::now();
            let store = leadq::store::Store::open(db)?;
            let leads = store.lead_count_bound()? as u64;
            report("open (nothing read yet)", leads, t);
            let t = Instant::now();
            let (leads, _) = store.raw_scan("leads")?;
            report("open, read every lead (raw)", leads, t);
            for tree in ["timelines", "outcomes", "weights"] {
                let t = Instant::now();
                let (n, bytes) = store.raw_scan(tree)?;
                report(
                    &format!("read every {tree} record ({n}, {bytes} B)"),
                    leads,
                    t,
                );
            }
        }
        Some("insert") => {
            let n: u64 = args[1].parse()?;
            let dir = std::path::Path::new(&args[2]);
            let db = fresh_db(dir)?;
            let leads = db.open_tree("leads")?;
            let emails = db.open_tree("emails")?;
            let value = vec![7u8; 260];
            let t = Instant::now();
            for id in 1..=n {
                leads.insert(id.to_be_bytes(), value.as_slice())?;
                emails.insert(
                    format!("lead{id}@example{}.com", id % 9973),
                    &id.to_be_bytes(),
                )?;
            }
            db.flush()?;
            report(&format!("insert {n} leads + emails, flush"), n, t);
        }
        Some("email-runs") => {
            let n: u64 = args[1].parse()?;
            let run: usize = args[2].parse()?;
            let dir = std::path::Path::new(&args[3]);
            let db = fresh_db(dir)?;
            let emails = db.open_tree("emails")?;
            // xorshift: the same pseudo-random order on every run.
            let mut x: u64 = 88_172_645_463_325_252;
            let mut keys: Vec<(String, [u8; 8])> = (1..=n)
                .map(|id| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let email = format!("{:x}.lead{id}@example{}.com", x % 100_000, x % 997);
                    (email, id.to_be_bytes())
                })
                .collect();
            let t = Instant::now();
            for chunk in keys.chunks_mut(run.max(1)) {
                chunk.sort_unstable();
                for (email, id) in chunk.iter() {
                    emails.insert(email.as_bytes(), id)?;
                }
            }
            db.flush()?;
            report(
                &format!("insert {n} emails in sorted runs of {run}, flush"),
                n,
                t,
            );
        }
        _ => anyhow::bail!("usage: sled_floor open DB | insert N DIR | email-runs N RUN DIR"),
    }
    Ok(())
}
