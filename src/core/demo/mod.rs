//! A realistic, reproducible B2B SaaS demo book, generated in chunks so that even 10⁶ leads
//! never sit in memory at once.
//!
//! The same [`DemoConfig`] always gives the same book. Leads have accounts, behavioural
//! activity, a stage history and logged outcomes drawn from a hidden propensity
//! ([`propensity`]) whose coefficients differ from the default rule weights.

pub mod engagement;
pub mod history;
mod lead;
pub mod propensity;
pub mod words;

#[cfg(test)]
mod tests;

use crate::core::model::{Account, Activity, AttrValue, DAY, Lead, LeadId, Timestamp};
use crate::core::outcome::{OutcomeCatalog, OutcomeRecord};
use crate::core::rng::SeededRng;

use words::{COMPANY_HEADS, COMPANY_KINDS, COMPANY_TAILS, COUNTRIES, INDUSTRIES, REGIONS};

/// How many leads one chunk holds.
pub const CHUNK_LEADS: usize = 10_000;

/// What to generate: the same config always gives the same book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    pub leads: u64,
    pub seed: u64,
    /// The book is generated as it would look at this moment.
    pub now: Timestamp,
}

/// A slice of the book: some accounts, leads of those (and earlier) accounts, and the leads'
/// activity and outcomes. Every lead's account is in this chunk or an earlier one.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DemoChunk {
    pub accounts: Vec<Account>,
    pub leads: Vec<Lead>,
    /// Signals, stage changes and outcome entries, each lead's in time order.
    pub activities: Vec<Activity>,
    /// Logged outcomes with provisional, book-wide unique sequence numbers in generation
    /// order. `snapshot` is empty and `step` is `None`: scoring and learning fill them when
    /// they replay the outcomes; the store renumbers them in time order when it writes them.
    pub outcomes: Vec<OutcomeRecord>,
    /// The hidden propensity of each lead, in the order of `leads`. Never stored.
    pub propensity: Vec<f64>,
}

/// An account being filled with leads, possibly across a chunk boundary.
struct OpenAccount {
    account: Account,
    country: usize,
    owner: &'static str,
    /// 0: first.last, 1: flast, 2: first, 3: first_last.
    email_style: u8,
    used_locals: Vec<String>,
    leads_left: u32,
}

/// The book as an iterator of chunks.
pub struct DemoBook {
    config: DemoConfig,
    rng: SeededRng,
    catalog: OutcomeCatalog,
    made: u64,
    accounts_made: u64,
    first_lead_id: LeadId,
    next_seq: u64,
    name_offset: u64,
    open: Option<OpenAccount>,
}

impl DemoBook {
    pub fn new(config: DemoConfig) -> DemoBook {
        let mut rng = SeededRng::new(config.seed);
        let name_offset = rng.next_u64();
        DemoBook {
            config,
            rng,
            catalog: OutcomeCatalog::default(),
            made: 0,
            accounts_made: 0,
            first_lead_id: 1,
            next_seq: 1,
            name_offset,
            open: None,
        }
    }

    /// Numbers leads from `lead` and outcomes from `outcome_seq` instead of 1.
    pub fn starting_at(mut self, lead: LeadId, outcome_seq: u64) -> DemoBook {
        self.first_lead_id = lead;
        self.next_seq = outcome_seq;
        self
    }

    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    fn open_account(&mut self, chunk: &mut DemoChunk) {
        let rng = &mut self.rng;
        let (name, industry) = company_name(self.accounts_made, self.name_offset);
        self.accounts_made += 1;
        let country = rng.weighted(&lead::COUNTRY_WEIGHTS);
        let (_, _, legal, tld, _) = COUNTRIES[country];
        let employees = (3.5 + 2.0 * rng.normal())
            .exp()
            .round()
            .clamp(1.0, 50_000.0) as u32;
        let domain = format!("{}.{tld}", words::email_part(&name));
        let public = matches!(industry, "Government" | "Education");
        let name = if !public && rng.chance(0.35) {
            format!("{name} {legal}")
        } else {
            name
        };
        let extra = 0.4 + 0.9 * (employees as f64).log10();
        let leads_left = 1 + engagement::poisson(rng, extra).min(24);
        let email_style = match rng.below(20) {
            0..=11 => 0,
            12..=16 => 1,
            17..=18 if employees < 50 => 2,
            _ => 3,
        };
        let account = Account {
            name,
            domain,
            industry: industry.to_string(),
            employees: Some(employees),
        };
        chunk.accounts.push(account.clone());
        self.open = Some(OpenAccount {
            account,
            country,
            owner: words::REPS[rng.below(words::REPS.len() as u64) as usize],
            email_style,
            used_locals: Vec::new(),
            leads_left,
        });
    }
}

impl Iterator for DemoBook {
    type Item = DemoChunk;

    fn next(&mut self) -> Option<DemoChunk> {
        let left = self.config.leads - self.made;
        if left == 0 {
            return None;
        }
        let n = left.min(CHUNK_LEADS as u64) as usize;
        let mut chunk = DemoChunk {
            leads: Vec::with_capacity(n),
            propensity: Vec::with_capacity(n),
            ..DemoChunk::default()
        };
        for _ in 0..n {
            if self.open.as_ref().is_none_or(|a| a.leads_left == 0) {
                self.open_account(&mut chunk);
            }
            self.make_lead(&mut chunk);
        }
        Some(chunk)
    }
}

/// A unique company name for the `index`-th account (and its industry): every combination
/// of head, tail and kind once, in a seed-dependent order, then again with a region.
pub fn company_name(index: u64, offset: u64) -> (String, &'static str) {
    let (h, t, k) = (
        COMPANY_HEADS.len() as u64,
        COMPANY_TAILS.len() as u64,
        COMPANY_KINDS.len() as u64,
    );
    let space = h * t * k;
    // 52 711 is prime to the space (2⁹·5²·7), so this visits every combination once.
    let j = (index % space * 52_711 + offset % space) % space;
    let (kind, industry) = COMPANY_KINDS[(j / (h * t)) as usize];
    let mut name = format!(
        "{}{} {kind}",
        COMPANY_HEADS[(j % h) as usize],
        COMPANY_TAILS[(j / h % t) as usize]
    );
    let round = index / space;
    if round > 0 {
        let r = REGIONS.len() as u64;
        name.push(' ');
        name.push_str(REGIONS[((round - 1) % r) as usize]);
        if round > r {
            name.push_str(&format!(" {}", (round - 1) / r + 1));
        }
    }
    (name, INDUSTRIES[industry])
}
