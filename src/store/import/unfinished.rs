//! An import interrupted part-way (killed, crashed, or stopped by an error) leaves leads that
//! their email cannot find yet: the email keys go into sled in long sorted runs that trail
//! the leads (see `writer`). The import marks the book before its first write and clears the
//! mark after its last; an open that finds the mark rebuilds the email keys from the leads,
//! so nothing reads the book with leads missing from it, and running the import again merges
//! instead of doubling.

use crate::core::model::Lead;
use crate::store::{Result, Store, codec};

/// In the `meta` tree while an import is writing.
const META_IMPORT_UNFINISHED: &[u8] = b"import_unfinished";

impl Store {
    /// Marks the book before an import's first write. sled's log is one sequence and a crash
    /// keeps a prefix of it, so any lead of the import that survives a crash finds the mark.
    pub(crate) fn mark_import_started(&self) -> Result<()> {
        self.meta
            .insert(META_IMPORT_UNFINISHED, &[1u8][..])
            .map(drop)
            .map_err(|e| self.sled_error(e))
    }

    /// Clears the mark once every lead and key of the import is in (before the import's
    /// flush, which makes both durable together).
    pub(crate) fn mark_import_finished(&self) -> Result<()> {
        self.meta
            .remove(META_IMPORT_UNFINISHED)
            .map(drop)
            .map_err(|e| self.sled_error(e))
    }

    /// Whether opening this handle found an import interrupted (killed or crashed) and put
    /// its email keys right: how many were written or removed.
    pub fn interrupted_import(&self) -> Option<u64> {
        self.interrupted_import
    }

    /// Whether an import started on this book and did not finish.
    pub fn has_unfinished_import(&self) -> Result<bool> {
        self.meta
            .contains_key(META_IMPORT_UNFINISHED)
            .map_err(|e| self.sled_error(e))
    }

    /// After an interrupted import: gives every lead with an email the key that finds it
    /// (where the key is missing or names a lead that is not in the book), removes keys that
    /// name no lead (an import's key can go in before its lead), clears the mark and makes it
    /// durable. Returns the keys written or removed; nothing to do without the mark.
    ///
    /// One pass over the leads and one over the keys, joined in email order, and the writes
    /// in key order: a few seconds at 10⁶ leads, after a crash only (a lookup per lead and
    /// an insert per missing key at random took 14 s there).
    pub fn finish_interrupted_import(&self) -> Result<u64> {
        if !self.has_unfinished_import()? {
            return Ok(0);
        }
        let err = |e| self.sled_error(e);
        // Every lead's id (in key order, as the tree gives them) and its email key. (sled's
        // `len` is a pass over the tree: the highest id bounds the count instead.)
        let bound = self.lead_count_bound()?;
        let mut ids: Vec<[u8; 8]> = Vec::with_capacity(bound);
        let mut wanted: Vec<(String, [u8; 8])> = Vec::with_capacity(bound);
        for item in self.leads.iter() {
            let (k, v) = item.map_err(err)?;
            let lead: Lead =
                codec::decode(&v).map_err(|e| self.decode_error(&self.leads, &k, e))?;
            let Ok(id) = <[u8; 8]>::try_from(k.as_ref()) else {
                continue;
            };
            ids.push(id);
            if let Some(email) = lead.email_key() {
                wanted.push((email, id));
            }
        }
        // By email, then id: of two leads with one email and no key, the older gets it.
        wanted.sort_unstable();
        let is_lead =
            |id: &[u8]| <[u8; 8]>::try_from(id).is_ok_and(|id| ids.binary_search(&id).is_ok());
        let mut puts: Vec<(&[u8], [u8; 8])> = Vec::new();
        let mut removes: Vec<sled::IVec> = Vec::new();
        let mut want = wanted.iter().peekable();
        for item in self.emails.iter() {
            let (email, id) = item.map_err(err)?;
            while let Some((e, lead)) = want.next_if(|(e, _)| e.as_bytes() < email.as_ref()) {
                put_first(&mut puts, e.as_bytes(), *lead);
            }
            let mut owner = None;
            while let Some((e, lead)) = want.next_if(|(e, _)| e.as_bytes() == email.as_ref()) {
                owner.get_or_insert((e.as_bytes(), *lead));
            }
            // A key naming a lead in the book stays (its own, or another lead's with the
            // same email, as a merge would have it).
            if !is_lead(&id) {
                match owner {
                    Some(put) => puts.push(put),
                    None => removes.push(email),
                }
            }
        }
        for (e, lead) in want {
            put_first(&mut puts, e.as_bytes(), *lead);
        }
        let fixed = (puts.len() + removes.len()) as u64;
        for (email, lead) in puts {
            self.emails.insert(email, &lead).map_err(err)?;
        }
        for email in removes {
            self.emails.remove(email).map_err(err)?;
        }
        self.mark_import_finished()?;
        self.flush()?;
        Ok(fixed)
    }
}

/// Adds a key unless the one before it has the same email: `puts` grows in email order, and
/// of two leads with one email the first (the older) is the one its key finds.
fn put_first<'a>(puts: &mut Vec<(&'a [u8], [u8; 8])>, email: &'a [u8], lead: [u8; 8]) {
    if puts.last().is_none_or(|(e, _)| *e != email) {
        puts.push((email, lead));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::LeadId;

    fn lead(id: LeadId, email: &str) -> Lead {
        Lead {
            id,
            name: format!("Lead {id}"),
            email: email.to_string(),
            ..Lead::default()
        }
    }

    /// What a killed import leaves: the mark, leads whose keys never went in, and a key whose
    /// lead never did. The next open puts the keys right before anything reads them.
    #[test]
    fn an_open_after_an_interrupted_import_finds_every_lead_by_email() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        {
            let store = Store::open(&db).unwrap();
            store.put_lead(&lead(1, "kept@x.com")).unwrap();
            store.mark_import_started().unwrap();
            for (id, email) in [(2, "Two@X.com"), (3, "three@x.com"), (5, "two@x.com")] {
                let l = lead(id, email);
                store
                    .leads
                    .insert(id.to_be_bytes(), codec::encode(&l))
                    .unwrap();
            }
            store
                .emails
                .insert("ghost@x.com", &4u64.to_be_bytes())
                .unwrap();
            // An older key of the email now on lead 3, naming a lead that is gone.
            store
                .emails
                .insert("three@x.com", &9u64.to_be_bytes())
                .unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(&db).unwrap();
        assert!(
            !store.has_unfinished_import().unwrap(),
            "the mark is cleared"
        );
        assert_eq!(store.lead_id_by_email("kept@x.com").unwrap(), Some(1));
        assert_eq!(store.lead_id_by_email("two@x.com").unwrap(), Some(2));
        assert_eq!(store.lead_id_by_email("three@x.com").unwrap(), Some(3));
        assert_eq!(store.lead_id_by_email("ghost@x.com").unwrap(), None);
        assert_eq!(store.emails.len(), 3, "no key names a missing lead");
    }

    /// Without the mark an open touches no key: a book's own keys are its own business.
    #[test]
    fn an_open_without_the_mark_changes_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        {
            let store = Store::open(&db).unwrap();
            let l = lead(1, "a@x.com");
            store
                .leads
                .insert(1u64.to_be_bytes(), codec::encode(&l))
                .unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(&db).unwrap();
        assert_eq!(store.interrupted_import(), None);
        assert_eq!(store.lead_id_by_email("a@x.com").unwrap(), None);
    }
}
