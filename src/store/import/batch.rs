//! Writing imported leads in batches: a row whose email or external key matches a lead (in
//! this batch, earlier in the file, or already in the book) is merged into it, never doubled;
//! accounts are created for company names the book does not know yet.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use super::row::{MappedRow, merge_into};
use super::writer::{BatchWriter, EncodedBatch, lead_key};
use crate::core::model::{Account, Lead, LeadId};
use crate::store::{Result, Store, codec};

/// Name of the tree mapping `key column ++ 0 ++ value` → lead id, for leads identified by an
/// id-like column instead of an email.
const EXTERNAL_KEYS_TREE: &str = "import_keys";

/// Free mail providers: their domain says nothing about the lead's company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.ru",
    "yandex.ru",
    "qq.com",
    "163.com",
];

/// Room reserved for an encoded lead: most imported leads fit, so encoding does not regrow.
const LEAD_BYTES: usize = 384;

/// What happened to one good row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowFate {
    New,
    Merged,
}

struct Pending {
    new: bool,
    external: Option<Vec<u8>>,
    /// The lead's normalised email, computed once (filled by [`BookWriter::register`]).
    email: Option<String>,
}

/// A lead found for a duplicate row outside the current batch.
enum Found {
    Lead(Box<Lead>),
    /// Seen earlier in a dry run: counts as merged, nothing to merge into.
    Seen,
}

pub(crate) struct BookWriter<'s> {
    store: Option<&'s Store>,
    write: bool,
    external_keys: Option<sled::Tree>,
    /// Inserts the batches on its own thread (when writing).
    writer: Option<BatchWriter>,
    /// The book carries the unfinished-import mark of this import (see `unfinished`).
    marked: bool,
    /// When the book was empty at the start, only leads of this import can match a row.
    book_had_leads: bool,
    /// When the book had no accounts, only names seen in this import exist.
    book_had_accounts: bool,
    leads: Vec<Lead>,
    meta: Vec<Pending>,
    by_email: HashMap<String, usize>,
    by_external: HashMap<Vec<u8>, usize>,
    /// Hashes of the keys of leads written (or, in a dry run, seen) in earlier batches.
    earlier: HashSet<u64>,
    known_accounts: HashSet<String>,
    new_accounts: Vec<Account>,
    pub imported: u64,
    pub merged: u64,
    pub accounts_created: u64,
}

fn key_hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

fn external_key(name: &str, value: &str) -> Vec<u8> {
    let mut k = name.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(value.as_bytes());
    k
}

fn id_from(bytes: &[u8]) -> Option<LeadId> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

impl<'s> BookWriter<'s> {
    /// `write` false makes a dry run: everything is looked up, nothing is stored.
    pub fn new(store: Option<&'s Store>, write: bool) -> Result<BookWriter<'s>> {
        let external_keys = match store {
            Some(s) => Some(
                s.db.open_tree(EXTERNAL_KEYS_TREE)
                    .map_err(|e| s.sled_error(e))?,
            ),
            None => None,
        };
        let write = write && store.is_some();
        let writer = match store {
            Some(s) if write => {
                // An earlier import's mark (its repair failed): put its keys right first, or
                // this import's clean finish would clear the mark with them still wrong.
                s.finish_interrupted_import()?;
                s.mark_import_started()?;
                Some(BatchWriter::start(s, external_keys.clone()))
            }
            _ => None,
        };
        Ok(BookWriter {
            store,
            write,
            marked: writer.is_some(),
            writer,
            book_had_leads: store.is_some_and(|s| !s.is_empty()),
            book_had_accounts: store.is_some_and(|s| !s.accounts.is_empty()),
            external_keys,
            leads: Vec::new(),
            meta: Vec::new(),
            by_email: HashMap::new(),
            by_external: HashMap::new(),
            earlier: HashSet::new(),
            known_accounts: HashSet::new(),
            new_accounts: Vec::new(),
            imported: 0,
            merged: 0,
            accounts_created: 0,
        })
    }

    /// Leads waiting for the next [`flush`](Self::flush).
    pub fn pending(&self) -> usize {
        self.leads.len()
    }

    /// Adds one good row: merged into the lead it duplicates, or a new lead.
    pub fn add(&mut self, row: MappedRow) -> Result<RowFate> {
        let email = row.lead.email_key();
        let external = row
            .external_key
            .as_ref()
            .map(|(name, value)| external_key(name, value));
        let in_batch = email
            .as_ref()
            .and_then(|e| self.by_email.get(e))
            .or_else(|| external.as_ref().and_then(|k| self.by_external.get(k)))
            .copied();
        let (fate, target) = if let Some(i) = in_batch {
            merge_into(&mut self.leads[i], row.lead);
            if self.meta[i].external.is_none() {
                self.meta[i].external = external;
            }
            // The merge may have given the lead the row's email, if it had none.
            if self.meta[i].email.is_none() {
                self.meta[i].email = self.leads[i].email_key();
            }
            self.register(i);
            (RowFate::Merged, Some(i))
        } else {
            match self.find_earlier(email.as_deref(), external.as_deref())? {
                Some(Found::Lead(mut lead)) => {
                    merge_into(&mut lead, row.lead);
                    let email = lead.email_key();
                    (
                        RowFate::Merged,
                        Some(self.push(*lead, false, external, email)),
                    )
                }
                Some(Found::Seen) => (RowFate::Merged, None),
                None => (
                    RowFate::New,
                    Some(self.push(row.lead, true, external, email)),
                ),
            }
        };
        match fate {
            RowFate::New => self.imported += 1,
            RowFate::Merged => self.merged += 1,
        }
        if let Some(i) = target {
            self.note_account(i)?;
        }
        Ok(fate)
    }

    /// `email` is the lead's [`Lead::email_key`].
    fn push(
        &mut self,
        lead: Lead,
        new: bool,
        external: Option<Vec<u8>>,
        email: Option<String>,
    ) -> usize {
        self.leads.push(lead);
        self.meta.push(Pending {
            new,
            external,
            email,
        });
        let i = self.leads.len() - 1;
        self.register(i);
        i
    }

    fn register(&mut self, i: usize) {
        if let Some(e) = &self.meta[i].email {
            self.by_email.insert(e.clone(), i);
        }
        if let Some(k) = &self.meta[i].external {
            self.by_external.insert(k.clone(), i);
        }
    }

    /// Looks a duplicate up outside the current batch: earlier batches and the book.
    fn find_earlier(
        &mut self,
        email: Option<&str>,
        external: Option<&[u8]>,
    ) -> Result<Option<Found>> {
        let seen = email.is_some_and(|e| self.earlier.contains(&key_hash(e.as_bytes())))
            || external.is_some_and(|k| self.earlier.contains(&key_hash(k)));
        if !seen && !self.book_had_leads {
            return Ok(None);
        }
        // A key of an earlier batch may still be on its way into the book: wait for it. Keys
        // not seen in this import are in no batch, so the book already answers for them.
        if seen && let Some(writer) = &mut self.writer {
            writer.wait()?;
        }
        if let Some(store) = self.store {
            let mut id = match email {
                Some(e) => store.lead_id_by_email(e)?,
                None => None,
            };
            if id.is_none()
                && let (Some(k), Some(tree)) = (external, &self.external_keys)
            {
                id = tree
                    .get(k)
                    .map_err(|e| store.sled_error(e))?
                    .and_then(|v| id_from(&v));
            }
            if let Some(id) = id
                && let Some(lead) = store.lead(id)?
            {
                return Ok(Some(Found::Lead(Box::new(lead))));
            }
        }
        // In a dry run earlier batches were not stored: their keys are all we have.
        Ok((seen && !self.write).then_some(Found::Seen))
    }

    /// Creates the account of a company name the book does not know yet.
    fn note_account(&mut self, i: usize) -> Result<()> {
        let lead = &self.leads[i];
        let key = Account::key(&lead.account);
        if key.is_empty() || self.known_accounts.contains(&key) {
            return Ok(());
        }
        self.known_accounts.insert(key);
        if let Some(store) = self.store
            && self.book_had_accounts
            && store.account(&lead.account)?.is_some()
        {
            return Ok(());
        }
        let domain = lead.email_domain();
        self.new_accounts.push(Account {
            name: lead.account.trim().to_string(),
            domain: if FREE_MAIL.contains(&domain.as_str()) {
                String::new()
            } else {
                domain
            },
            industry: lead.industry.clone(),
            employees: lead.employees,
        });
        self.accounts_created += 1;
        Ok(())
    }

    /// Stores the batch (new leads get fresh ids in one reservation) and starts the next. The
    /// batch is encoded here and inserted by the writer threads while the next one is read.
    pub fn flush(&mut self) -> Result<()> {
        if let (Some(writer), Some(store)) = (&mut self.writer, self.store) {
            let fresh = self.meta.iter().filter(|m| m.new).count() as u64;
            if fresh > 0 {
                let first = store.reserve_lead_ids(fresh)?;
                let fresh_leads = self.leads.iter_mut().zip(&self.meta).filter(|(_, m)| m.new);
                for (id, (lead, _)) in (first..).zip(fresh_leads) {
                    lead.id = id;
                }
            }
            // Merged leads keep their id and at most gained an email where they had none, so
            // writing them like new ones leaves no stale email entry behind.
            let mut batch = EncodedBatch::default();
            batch.leads.reserve(self.leads.len());
            batch.emails.reserve(self.leads.len());
            for (lead, m) in self.leads.iter().zip(&self.meta) {
                let key = lead_key(lead.id);
                batch
                    .leads
                    .push((key, codec::encode_with_capacity(lead, LEAD_BYTES)));
                if let Some(email) = &m.email {
                    batch.emails.push((email.clone(), key));
                }
                if let Some(k) = &m.external {
                    batch.external.push((k.clone(), key));
                }
            }
            for a in &self.new_accounts {
                batch
                    .accounts
                    .push((Account::key(&a.name), codec::encode(a)));
            }
            batch.sort();
            writer.send(batch)?;
        }
        for m in &self.meta {
            if let Some(e) = &m.email {
                self.earlier.insert(key_hash(e.as_bytes()));
            }
            if let Some(k) = &m.external {
                self.earlier.insert(key_hash(k));
            }
        }
        self.leads.clear();
        self.meta.clear();
        self.by_email.clear();
        self.by_external.clear();
        self.new_accounts.clear();
        Ok(())
    }

    /// Stores the last batch and waits until every batch is in the book (not yet durable:
    /// the caller flushes).
    pub fn finish(&mut self) -> Result<()> {
        self.flush()?;
        if let Some(w) = &mut self.writer {
            w.wait()?;
        }
        if let (true, Some(store)) = (self.marked, self.store) {
            store.mark_import_finished()?;
            self.marked = false;
        }
        Ok(())
    }
}

impl Drop for BookWriter<'_> {
    /// An import that stopped on an error puts the email keys of the leads it wrote right
    /// before it returns (best effort: if that fails too, the next open does it).
    fn drop(&mut self) {
        // Joins the writer's threads first: nothing is written after this.
        drop(self.writer.take());
        if let (true, Some(store)) = (self.marked, self.store) {
            let _ = store.finish_interrupted_import();
        }
    }
}
