//! Typed access to the book's records: leads (with their email index), accounts, activity
//! timelines and logged outcomes.

use super::journal::{Op, TreeId};
use super::{META_NEXT_OUTCOME, Result, Store, StoreError, codec, lead_outcome_key};
use crate::core::model::{Account, Activity, Lead, LeadId, normalise_email};
use crate::core::outcome::OutcomeRecord;
use crate::store::learning::LearningWrite;

/// Takes the newest activity equal to `a` out of a timeline; false when there is none.
fn take_newest(acts: &mut Vec<Activity>, a: &Activity) -> bool {
    match acts.iter().rposition(|x| x == a) {
        Some(i) => {
            acts.remove(i);
            true
        }
        None => false,
    }
}

impl Store {
    // ----- leads -----

    pub fn lead(&self, id: LeadId) -> Result<Option<Lead>> {
        self.get_value(&self.leads, &id.to_be_bytes())
    }

    /// Finds a lead by id or by exact email (case-insensitive).
    pub fn find_lead(&self, key: &str) -> Result<Lead> {
        let key = key.trim();
        let found = if let Ok(id) = key.parse::<LeadId>() {
            self.lead(id)?
        } else if let Some(email) = normalise_email(key) {
            match self
                .emails
                .get(email.as_bytes())
                .map_err(|e| self.sled_error(e))?
            {
                Some(id) => {
                    let id = <[u8; 8]>::try_from(id.as_ref())
                        .map_err(|_| self.corrupt("emails", "bad lead id"))?;
                    self.lead(u64::from_be_bytes(id))?
                }
                None => None,
            }
        } else {
            None
        };
        found.ok_or_else(|| StoreError::LeadNotFound(key.to_string()))
    }

    /// Lead id registered for an email, if any.
    pub fn lead_id_by_email(&self, email: &str) -> Result<Option<LeadId>> {
        let Some(email) = normalise_email(email) else {
            return Ok(None);
        };
        Ok(self
            .emails
            .get(email.as_bytes())
            .map_err(|e| self.sled_error(e))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Inserts or replaces a lead and keeps the email index in step.
    pub fn put_lead(&self, lead: &Lead) -> Result<()> {
        let key = lead.id.to_be_bytes();
        let old: Option<Lead> = self.get_value(&self.leads, &key)?;
        if let Some(old_email) = old.as_ref().and_then(Lead::email_key)
            && Some(&old_email) != lead.email_key().as_ref()
        {
            self.emails
                .remove(old_email.as_bytes())
                .map_err(|e| self.sled_error(e))?;
        }
        if let Some(email) = lead.email_key() {
            self.emails
                .insert(email.as_bytes(), &key)
                .map_err(|e| self.sled_error(e))?;
        }
        self.put_value(&self.leads, &key, lead)
    }

    /// Writes many new leads at once (import, demo). Their ids must be fresh. Bulk writes are
    /// single inserts, not one sled batch: sled's batches are about half as fast and hold far
    /// more memory on large books, and a bulk load is made durable by its caller's flush.
    pub fn insert_leads(&self, leads: &[Lead]) -> Result<()> {
        for lead in leads {
            let key = lead.id.to_be_bytes();
            self.leads
                .insert(key, codec::encode(lead))
                .map_err(|e| self.sled_error(e))?;
            if let Some(email) = lead.email_key() {
                self.emails
                    .insert(email.as_bytes(), &key)
                    .map_err(|e| self.sled_error(e))?;
            }
        }
        Ok(())
    }

    pub fn leads(&self) -> impl Iterator<Item = Result<Lead>> + '_ {
        self.iter_values(&self.leads, self.leads.iter())
    }

    /// [`Store::leads`], each with its value as stored: for a reader that keeps the leads
    /// encoded (the console's book) without encoding each one again.
    pub fn leads_with_values(&self) -> impl Iterator<Item = Result<(Lead, sled::IVec)>> + '_ {
        self.leads.iter().map(move |item| {
            self.check_closing()?;
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            let lead = codec::decode(&v).map_err(|e| self.decode_error(&self.leads, &k, e))?;
            Ok((lead, v))
        })
    }

    /// At least the number of leads, without a pass over them: the highest lead id (ids are
    /// handed out from 1 up, and no lead is deleted), capped at 20 million. Room to reserve
    /// before reading every lead.
    pub fn lead_count_bound(&self) -> Result<usize> {
        Ok(self
            .leads
            .last()
            .map_err(|e| self.sled_error(e))?
            .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_ref()).ok())
            .map_or(0, |k| u64::from_be_bytes(k).min(20_000_000) as usize))
    }

    /// Number of leads (walks the tree: O(n)).
    pub fn lead_count(&self) -> usize {
        self.leads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leads.is_empty()
    }

    // ----- accounts -----

    pub fn account(&self, name: &str) -> Result<Option<Account>> {
        self.get_value(&self.accounts, Account::key(name).as_bytes())
    }

    pub fn put_account(&self, account: &Account) -> Result<()> {
        self.put_value(
            &self.accounts,
            Account::key(&account.name).as_bytes(),
            account,
        )
    }

    /// Writes many accounts at once (import, demo); see [`Store::insert_leads`].
    pub fn insert_accounts(&self, accounts: &[Account]) -> Result<()> {
        for a in accounts {
            self.accounts
                .insert(Account::key(&a.name).as_bytes(), codec::encode(a))
                .map_err(|e| self.sled_error(e))?;
        }
        Ok(())
    }

    pub fn accounts(&self) -> impl Iterator<Item = Result<Account>> + '_ {
        self.iter_values(&self.accounts, self.accounts.iter())
    }

    // ----- activities -----

    /// Takes one id from sled's generator and drops it. sled makes its generator durable with
    /// a blocking flush of the whole log at a process's first id (hundreds of milliseconds on
    /// a large book); the console takes that first id while it loads the book in the
    /// background, not on the first outcome a rep logs.
    pub fn warm_id_generator(&self) -> Result<()> {
        self.db
            .generate_id()
            .map(drop)
            .map_err(|e| self.sled_error(e))
    }

    /// A lead's activities, oldest first (an empty timeline when it has none).
    pub fn activities_of(&self, lead: LeadId) -> Result<Vec<Activity>> {
        Ok(self
            .get_value(&self.timelines, &lead.to_be_bytes())?
            .unwrap_or_default())
    }

    /// Every lead's timeline in lead id order, each oldest first: one record per lead.
    pub fn timelines(&self) -> impl Iterator<Item = Result<(LeadId, Vec<Activity>)>> + '_ {
        self.timelines.iter().map(move |item| {
            self.check_closing()?;
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            let lead = <[u8; 8]>::try_from(k.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| self.corrupt("timelines", "a key is not a lead id"))?;
            let acts = codec::decode(&v).map_err(|e| self.decode_error(&self.timelines, &k, e))?;
            Ok((lead, acts))
        })
    }

    /// All activity, grouped by lead, each lead's oldest first.
    pub fn activities(&self) -> impl Iterator<Item = Result<Activity>> + '_ {
        self.timelines().flat_map(|t| match t {
            Ok((_, acts)) => acts.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        })
    }

    pub fn add_activity(&self, a: &Activity) -> Result<()> {
        self.insert_activities(std::slice::from_ref(a))
    }

    /// Writes many activities at once (demo); see [`Store::insert_leads`]. Each lead's
    /// timeline is read, added to and written back once, between commits (it is read
    /// whole and written whole: a commit beside it would lose one or the other).
    pub fn insert_activities(&self, activities: &[Activity]) -> Result<()> {
        let _held = self.journal.hold_commits();
        for op in self.timeline_ops(activities, &[])? {
            if let Op::Put { key, value, .. } = op {
                self.timelines
                    .insert(key, value)
                    .map_err(|e| self.sled_error(e))?;
            }
        }
        Ok(())
    }

    /// Removes the newest activity equal to `a`; false when there is none.
    pub fn remove_activity(&self, a: &Activity) -> Result<bool> {
        let _held = self.journal.hold_commits();
        let mut acts = self.activities_of(a.lead)?;
        if !take_newest(&mut acts, a) {
            return Ok(false);
        }
        let key = a.lead.to_be_bytes();
        if acts.is_empty() {
            self.timelines.remove(key).map(drop)
        } else {
            self.timelines.insert(key, codec::encode(&acts)).map(drop)
        }
        .map_err(|e| self.sled_error(e))?;
        Ok(true)
    }

    /// The operations that add `add` to their leads' timelines and take from them the
    /// newest activity equal to each of `remove` (one missing is skipped): each touched
    /// timeline written whole, as it will be, so that replaying the commit again changes
    /// nothing. Called with commits held ([`Store::commit_with`]), so that no other write
    /// changes a timeline between this read and the commit.
    pub(crate) fn timeline_ops(&self, add: &[Activity], remove: &[Activity]) -> Result<Vec<Op>> {
        // Each lead's removals, then additions, in the order given: one pass per lead over
        // its own, not over all of them (a demo chunk adds 86 000 for 10 000 leads).
        let mut order: Vec<(LeadId, bool, usize)> = remove
            .iter()
            .enumerate()
            .map(|(i, a)| (a.lead, false, i))
            .chain(add.iter().enumerate().map(|(i, a)| (a.lead, true, i)))
            .collect();
        order.sort_unstable();
        let mut ops = Vec::new();
        for changes in order.chunk_by(|x, y| x.0 == y.0) {
            let lead = changes[0].0;
            let mut acts = self.activities_of(lead)?;
            for &(_, adds, i) in changes {
                if !adds {
                    take_newest(&mut acts, &remove[i]);
                    continue;
                }
                let a = &add[i];
                // After every activity at the same time or earlier: the order they happened.
                let at = acts.partition_point(|x| x.at <= a.at);
                acts.insert(at, a.clone());
            }
            let key = lead.to_be_bytes().to_vec();
            ops.push(if acts.is_empty() {
                Op::Remove {
                    tree: TreeId::Timelines,
                    key,
                }
            } else {
                Op::Put {
                    tree: TreeId::Timelines,
                    key,
                    value: codec::encode(&acts),
                }
            });
        }
        Ok(ops)
    }

    // ----- outcomes -----

    /// Reserves the sequence number of a new outcome.
    pub fn next_outcome_seq(&self) -> Result<u64> {
        self.next_counter(META_NEXT_OUTCOME, 1)
    }

    /// Reserves `n` consecutive outcome sequence numbers and returns the first.
    pub fn reserve_outcome_seqs(&self, n: u64) -> Result<u64> {
        self.next_counter(META_NEXT_OUTCOME, n)
    }

    /// Stores an outcome record (new or replacing the one of its number) with the rules
    /// admin's figures changed to match, atomically. Not durable by itself.
    pub fn put_outcome(&self, o: &OutcomeRecord) -> Result<()> {
        use sled::Transactional;
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let mut w = LearningWrite::default();
        if let Some(old) = self.outcome(o.seq)? {
            w.tally.count_outcome(&old, -1);
        }
        w.tally.count_outcome(o, 1);
        self.admin_index_puts(&mut w)?;
        let bytes = codec::encode(o);
        (&self.outcomes, &self.lead_outcomes, &self.weights)
            .transaction(|(outcomes, lead_outcomes, weights)| {
                outcomes.insert(&o.seq.to_be_bytes(), bytes.as_slice())?;
                lead_outcomes.insert(&lead_outcome_key(o.lead, o.seq), &[])?;
                for k in &w.removes {
                    weights.remove(k.as_slice())?;
                }
                for (k, v) in &w.puts {
                    weights.insert(k.as_slice(), v.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => self.sled_error(e),
            })
    }

    /// Stores a new outcome record without touching the rules admin's figures: for a bulk
    /// write that counts them itself (see [`Store::take_admin_tally`]).
    pub(crate) fn put_new_outcome(&self, o: &OutcomeRecord) -> Result<()> {
        self.put_value(&self.outcomes, &o.seq.to_be_bytes(), o)?;
        self.lead_outcomes
            .insert(lead_outcome_key(o.lead, o.seq), &[])
            .map(drop)
            .map_err(|e| self.sled_error(e))
    }

    pub fn outcome(&self, seq: u64) -> Result<Option<OutcomeRecord>> {
        self.get_value(&self.outcomes, &seq.to_be_bytes())
    }

    /// Every logged outcome in the order it was logged, undone ones included.
    pub fn outcomes(&self) -> impl DoubleEndedIterator<Item = Result<OutcomeRecord>> + '_ {
        self.outcomes.iter().map(move |item| {
            self.check_closing()?;
            let (k, v) = item.map_err(|e| self.sled_error(e))?;
            codec::decode(&v).map_err(|e| self.decode_error(&self.outcomes, &k, e))
        })
    }

    /// A lead's outcomes in the order they were logged, undone ones included (read through
    /// the per-lead index: a handful of reads, not a scan of every outcome).
    pub fn outcomes_of(&self, lead: LeadId) -> Result<Vec<OutcomeRecord>> {
        let mut out = Vec::new();
        for item in self.lead_outcomes.scan_prefix(lead.to_be_bytes()) {
            let (k, _) = item.map_err(|e| self.sled_error(e))?;
            let seq = <[u8; 8]>::try_from(&k[8..])
                .map(u64::from_be_bytes)
                .map_err(|_| self.corrupt("lead_outcomes", "key is not lead ++ sequence"))?;
            match self.outcome(seq)? {
                Some(o) => out.push(o),
                None => tracing::warn!(lead, seq, "indexed outcome is missing"),
            }
        }
        Ok(out)
    }
}
