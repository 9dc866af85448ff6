//! One CSV row → one [`Lead`]: fields from mapped columns, every other column as a typed
//! attribute, a name derived when there is none, and merging a duplicate into an existing lead.

use super::mapping::{ColumnMapping, ColumnUse, LeadField, normalize_header};
use super::values::{
    AttrKind, attr_value, map_status, parse_employees, parse_money, unescape_formula,
};
use crate::core::clock::parse_date;
use crate::core::model::{AttrValue, Lead, NextAction, Pipeline, Timestamp};

/// What a row means for the book.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedRow {
    /// The lead, with id 0 (the importer gives it one).
    pub lead: Lead,
    /// Identity of a lead without an email: normalised key column name and lowercased value.
    pub external_key: Option<(String, String)>,
    /// The raw status when it matched no stage (the lead is then in the first stage).
    pub unknown_status: Option<String>,
}

/// The cell as the importer reads it: trimmed, with an export's formula escape removed.
pub fn clean_cell(cell: &str) -> &str {
    unescape_formula(cell.trim())
}

/// Turns rows of one file into leads. Built once per file from its column mapping and the
/// attribute kinds inferred over the whole file.
#[derive(Clone, Debug)]
pub struct LeadMapper {
    mapping: ColumnMapping,
    kinds: Vec<AttrKind>,
    pipeline: Pipeline,
    now: Timestamp,
    key_name: Option<String>,
}

impl LeadMapper {
    /// `kinds` has one entry per column (only attribute columns' entries are used);
    /// `now` is the created time of rows without one.
    pub fn new(
        mapping: ColumnMapping,
        kinds: Vec<AttrKind>,
        pipeline: Pipeline,
        now: Timestamp,
    ) -> LeadMapper {
        let key_name = mapping
            .key_column
            .map(|c| normalize_header(&mapping.headers[c]));
        LeadMapper {
            mapping,
            kinds,
            pipeline,
            now,
            key_name,
        }
    }

    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }

    /// Maps one row (as many cells as the header). Fails with a reason a user can act on when
    /// a value does not fit its field or nothing identifies the lead.
    pub fn map_row(&self, cells: &[&str]) -> Result<MappedRow, String> {
        let m = &self.mapping;
        let mut lead = Lead::default();
        let mut unknown_status = None;
        let (mut first, mut last) = ("", "");
        let mut created = None;
        let mut stage_entered = None;
        let mut next_due = None;
        let mut next_note = "";
        // Added at once, after the loop: later columns of the same name win, as before.
        let mut attrs = Vec::new();
        for (col, use_) in m.uses.iter().enumerate() {
            let cell = clean_cell(cells[col]);
            if cell.is_empty() {
                continue;
            }
            let header = &m.headers[col];
            let field = match use_ {
                ColumnUse::Ignore => continue,
                ColumnUse::Attribute(name) => {
                    if let Some(v) = attr_value(self.kinds[col], cell) {
                        attrs.push((name.clone(), v));
                    }
                    continue;
                }
                ColumnUse::Field(f) => *f,
            };
            let date = |what: &str| {
                parse_date(cell).ok_or_else(|| {
                    format!(
                        "{what} {cell:?} in column {header:?} is not a date; use 2024-03-05 or 2024-03-05 14:30"
                    )
                })
            };
            let text = cell.to_string();
            match field {
                LeadField::Name => lead.name = text,
                LeadField::FirstName => first = cell,
                LeadField::LastName => last = cell,
                LeadField::Email => {
                    if !cell.contains('@') {
                        return Err(format!(
                            "email {cell:?} in column {header:?} is not an address (no @)"
                        ));
                    }
                    lead.email = text
                }
                LeadField::Phone => lead.phone = text,
                LeadField::Title => lead.title = text,
                LeadField::Account => lead.account = text,
                LeadField::Source => lead.source = text,
                LeadField::Country => lead.country = text,
                LeadField::Industry => lead.industry = text,
                LeadField::Owner => lead.owner = text,
                LeadField::Employees => {
                    lead.employees = Some(
                        parse_employees(cell).map_err(|e| format!("{e} (column {header:?})"))?,
                    )
                }
                LeadField::DealValue => {
                    lead.deal_value =
                        Some(parse_money(cell).map_err(|e| format!("{e} (column {header:?})"))?)
                }
                LeadField::Created => created = Some(date("created date")?),
                LeadField::StageEntered => stage_entered = Some(date("stage date")?),
                LeadField::NextActionDue => next_due = Some(date("next action date")?),
                LeadField::NextActionNote => next_note = cell,
                LeadField::Stage => match map_status(cell, &self.pipeline) {
                    Some(stage) => lead.stage = stage,
                    None => {
                        unknown_status = Some(text.clone());
                        attrs.push((header.trim().to_string(), AttrValue::Text(text)));
                    }
                },
            }
        }
        lead.attrs.extend(attrs);
        if lead.name.is_empty() {
            lead.name = [first, last]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
        }
        if lead.stage.is_empty() {
            lead.stage = self.pipeline.initial().to_string();
        }
        lead.created = created.unwrap_or(self.now);
        lead.stage_entered = stage_entered.unwrap_or(lead.created);
        match (next_due, next_note) {
            (Some(due), note) => {
                lead.next_action = Some(NextAction {
                    due,
                    note: note.to_string(),
                })
            }
            (None, "") => {}
            (None, _) => {
                return Err("a next action note without a next action date".to_string());
            }
        }
        let external_key = match (self.mapping.key_column, &self.key_name) {
            (Some(c), Some(name)) => {
                let v = clean_cell(cells[c]);
                (!v.is_empty()).then(|| (name.clone(), v.to_lowercase()))
            }
            _ => None,
        };
        if lead.name.is_empty() {
            lead.name = self.derived_name(&lead, cells).ok_or_else(|| {
                "nothing identifies the lead: no name, email, phone or id".to_string()
            })?;
        }
        Ok(MappedRow {
            lead,
            external_key,
            unknown_status,
        })
    }

    /// A name for a lead without one: from the email, the phone, or an id-like column
    /// (`Lead 660737`, preferring an all-digits id over a long one).
    fn derived_name(&self, lead: &Lead, cells: &[&str]) -> Option<String> {
        if !lead.email.is_empty() {
            return Some(name_from_email(&lead.email));
        }
        if !lead.phone.is_empty() {
            return Some(lead.phone.clone());
        }
        let ids: Vec<&str> = self
            .mapping
            .id_columns
            .iter()
            .map(|&c| clean_cell(cells[c]))
            .filter(|v| !v.is_empty())
            .collect();
        let id = ids
            .iter()
            .find(|v| v.bytes().all(|b| b.is_ascii_digit()))
            .or(ids.first())?;
        let short: String = id.chars().take(12).collect();
        Some(format!("Lead {short}"))
    }
}

/// `ana.ruiz-lopez@example.com` → `Ana Ruiz Lopez`.
pub fn name_from_email(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let words: Vec<String> = local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect();
    if words.is_empty() {
        email.to_string()
    } else {
        words.join(" ")
    }
}

/// Merges a duplicate row into an existing lead: empty fields are filled, attributes the row
/// has overwrite the stored ones; the stage, created time and id stay.
pub fn merge_into(existing: &mut Lead, incoming: Lead) {
    let fill = |old: &mut String, new: String| {
        if old.trim().is_empty() && !new.is_empty() {
            *old = new;
        }
    };
    fill(&mut existing.email, incoming.email);
    fill(&mut existing.phone, incoming.phone);
    fill(&mut existing.title, incoming.title);
    fill(&mut existing.account, incoming.account);
    fill(&mut existing.source, incoming.source);
    fill(&mut existing.country, incoming.country);
    fill(&mut existing.industry, incoming.industry);
    fill(&mut existing.owner, incoming.owner);
    fill(&mut existing.name, incoming.name);
    existing.employees = existing.employees.or(incoming.employees);
    existing.deal_value = existing.deal_value.or(incoming.deal_value);
    if existing.next_action.is_none() {
        existing.next_action = incoming.next_action;
    }
    existing.attrs.extend(incoming.attrs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::import::mapping::resolve_columns;

    fn mapper(headers: &[&str], kinds: Vec<AttrKind>) -> LeadMapper {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        LeadMapper::new(
            resolve_columns(&headers, &[]).unwrap(),
            kinds,
            Pipeline::default(),
            1_000,
        )
    }

    #[test]
    fn first_and_last_name_join_and_bad_values_are_refused() {
        let m = mapper(
            &[
                "First Name",
                "Last Name",
                "Email",
                "Employees",
                "Amount",
                "Create Date",
            ],
            vec![AttrKind::Text; 6],
        );
        let row = m
            .map_row(&["Ana", "Ruiz", "ana@x.com", "1,200", "$5,000", "2024-03-05"])
            .unwrap();
        assert_eq!(row.lead.name, "Ana Ruiz");
        assert_eq!(row.lead.employees, Some(1200));
        assert_eq!(row.lead.deal_value, Some(5000.0));
        assert_eq!(row.lead.created, 1_709_596_800);
        let err = m.map_row(&["Ana", "", "", "many", "", ""]).unwrap_err();
        assert!(
            err.contains("\"many\"") && err.contains("Employees"),
            "{err}"
        );
        let err = m
            .map_row(&["Ana", "", "", "", "", "05/03/2024"])
            .unwrap_err();
        assert!(err.contains("not a date"), "{err}");
        let err = m.map_row(&["", "", "", "10", "", ""]).unwrap_err();
        assert!(err.contains("nothing identifies"), "{err}");
    }

    #[test]
    fn leads_without_a_name_are_named_from_email_or_id() {
        let m = mapper(
            &["Prospect ID", "Lead Number", "Email"],
            vec![AttrKind::Text, AttrKind::Number, AttrKind::Text],
        );
        let row = m.map_row(&["7927b2df-8bba", "660737", ""]).unwrap();
        assert_eq!(row.lead.name, "Lead 660737");
        assert_eq!(
            row.external_key,
            Some(("prospectid".to_string(), "7927b2df-8bba".to_string()))
        );
        assert_eq!(
            row.lead.attrs.get("Lead Number"),
            Some(&AttrValue::Number(660737.0))
        );
        let row = m.map_row(&["", "", "ana.ruiz@x.com"]).unwrap();
        assert_eq!(row.lead.name, "Ana Ruiz");
    }

    #[test]
    fn merging_fills_gaps_and_updates_attributes() {
        let mut old = Lead {
            name: "Ana".into(),
            email: "ana@x.com".into(),
            stage: "Qualified".into(),
            attrs: [("Score".to_string(), AttrValue::Number(1.0))].into(),
            ..Lead::default()
        };
        let new = Lead {
            name: "Ana Ruiz".into(),
            phone: "555".into(),
            stage: "New".into(),
            attrs: [("Score".to_string(), AttrValue::Number(2.0))].into(),
            ..Lead::default()
        };
        merge_into(&mut old, new);
        assert_eq!((old.name.as_str(), old.phone.as_str()), ("Ana", "555"));
        assert_eq!(old.stage, "Qualified");
        assert_eq!(old.attrs["Score"], AttrValue::Number(2.0));
    }
}
