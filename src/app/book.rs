//! The book as loaded into the console: leads, outcome catalogue, pipeline, and lookups.

use std::collections::HashMap;

use crate::core::model::{Lead, LeadId, Pipeline};
use crate::core::outcome::OutcomeCatalog;

use super::action::BookData;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Book {
    pub leads: Vec<Lead>,
    by_id: HashMap<LeadId, usize>,
    pub catalog: OutcomeCatalog,
    pub pipeline: Pipeline,
    /// Which database: shown in the header.
    pub label: String,
    pub is_demo: bool,
    /// Distinct owners, sorted, for the owner filter.
    pub owners: Vec<String>,
}

/// The text fuzzy search matches a lead by, and shows for it.
pub fn search_text(lead: &Lead) -> String {
    crate::core::search::lead_text(lead)
}

impl Book {
    pub fn from_data(data: BookData) -> Book {
        let by_id = data
            .leads
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i))
            .collect();
        let mut owners: Vec<String> = data
            .leads
            .iter()
            .map(|l| l.owner.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        owners.sort();
        owners.dedup();
        Book {
            leads: data.leads,
            by_id,
            catalog: data.catalog,
            pipeline: data.pipeline,
            label: data.label,
            is_demo: data.is_demo,
            owners,
        }
    }

    pub fn index_of(&self, id: LeadId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn lead(&self, id: LeadId) -> Option<&Lead> {
        self.index_of(id).map(|i| &self.leads[i])
    }

    /// Replaces a lead with its stored version (after an outcome or undo).
    pub fn replace(&mut self, lead: Lead) {
        match self.index_of(lead.id) {
            Some(i) => {
                self.leads[i] = lead;
            }
            None => {
                self.by_id.insert(lead.id, self.leads.len());
                self.leads.push(lead);
            }
        }
    }
}
