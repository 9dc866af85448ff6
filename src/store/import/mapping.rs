//! Which lead field each CSV column fills: header aliases of common CRM and marketing exports
//! (HubSpot, Salesforce, Pipedrive, Facebook Lead Ads), `--map COL=FIELD` overrides, and the
//! id-like columns that identify a lead when it has no email.

use std::collections::HashSet;

/// A standard lead field a column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeadField {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Title,
    Account,
    Source,
    Country,
    Industry,
    Employees,
    Owner,
    Stage,
    StageEntered,
    NextActionDue,
    NextActionNote,
    DealValue,
    Created,
}

impl LeadField {
    pub const ALL: [LeadField; 18] = [
        LeadField::Name,
        LeadField::FirstName,
        LeadField::LastName,
        LeadField::Email,
        LeadField::Phone,
        LeadField::Title,
        LeadField::Account,
        LeadField::Source,
        LeadField::Country,
        LeadField::Industry,
        LeadField::Employees,
        LeadField::Owner,
        LeadField::Stage,
        LeadField::StageEntered,
        LeadField::NextActionDue,
        LeadField::NextActionNote,
        LeadField::DealValue,
        LeadField::Created,
    ];

    /// The name used by `--map` and as the export header.
    pub fn name(self) -> &'static str {
        match self {
            LeadField::Name => "name",
            LeadField::FirstName => "first_name",
            LeadField::LastName => "last_name",
            LeadField::Email => "email",
            LeadField::Phone => "phone",
            LeadField::Title => "title",
            LeadField::Account => "account",
            LeadField::Source => "source",
            LeadField::Country => "country",
            LeadField::Industry => "industry",
            LeadField::Employees => "employees",
            LeadField::Owner => "owner",
            LeadField::Stage => "stage",
            LeadField::StageEntered => "stage_entered",
            LeadField::NextActionDue => "next_action_due",
            LeadField::NextActionNote => "next_action_note",
            LeadField::DealValue => "deal_value",
            LeadField::Created => "created",
        }
    }

    pub fn from_name(name: &str) -> Option<LeadField> {
        let n = normalize_header(name);
        LeadField::ALL
            .into_iter()
            .find(|f| normalize_header(f.name()) == n)
    }

    /// Normalised header spellings that map onto this field, best first.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            LeadField::Name => &["name", "fullname", "contactname", "leadname", "personname"],
            LeadField::FirstName => &["firstname", "givenname", "personfirstname"],
            LeadField::LastName => &["lastname", "surname", "familyname", "personlastname"],
            LeadField::Email => &[
                "email",
                "emailaddress",
                "workemail",
                "personemail",
                "personemailwork",
                "emailwork",
            ],
            LeadField::Phone => &[
                "phone",
                "phonenumber",
                "mobilephone",
                "mobile",
                "mobilephonenumber",
                "workphone",
                "personphone",
                "personphonework",
            ],
            LeadField::Title => &["jobtitle", "title", "position", "personjobtitle"],
            LeadField::Account => &[
                "company",
                "companyname",
                "account",
                "accountname",
                "organization",
                "organisation",
                "organizationname",
                "organisationname",
                "personorganization",
            ],
            LeadField::Source => &["leadsource", "source", "originalsource"],
            LeadField::Country => &["country", "countryregion", "countryname"],
            LeadField::Industry => &["industry"],
            LeadField::Employees => &[
                "employees",
                "numberofemployees",
                "employeecount",
                "noofemployees",
            ],
            LeadField::Owner => &["leadowner", "owner", "contactowner", "ownername"],
            LeadField::Stage => &[
                "stage",
                "leadstatus",
                "status",
                "lifecyclestage",
                "leadstage",
            ],
            LeadField::StageEntered => &["stageentered"],
            LeadField::NextActionDue => &["nextactiondue"],
            LeadField::NextActionNote => &["nextactionnote"],
            LeadField::DealValue => &["dealvalue", "amount", "expectedrevenue", "leadvalue"],
            LeadField::Created => &[
                "created",
                "createdate",
                "createddate",
                "createdtime",
                "createdat",
                "creationdate",
                "createdon",
                "leadcreated",
            ],
        }
    }
}

/// Header spellings of id-like columns that identify a lead, best first. The first present
/// becomes the dedupe key for rows without an email; all of them can name a lead.
const ID_ALIASES: &[&str] = &[
    "id",
    "leadid",
    "recordid",
    "prospectid",
    "contactid",
    "personid",
    "customerid",
    "externalid",
    "leadnumber",
    "recordnumber",
];

/// The header leadq's own export writes for the lead id; ignored on import (ids of another
/// book mean nothing here).
pub const LEADQ_ID_HEADER: &str = "leadq_id";

/// Export prefixes attribute columns whose name would otherwise map onto a field.
pub const ATTR_PREFIX: &str = "attr:";

/// Lowercase letters and digits only: `E-mail`, `e_mail` and `E Mail` all read `email`.
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a header maps onto by itself, with its alias rank (lower is better).
pub fn auto_field(header: &str) -> Option<(LeadField, usize)> {
    let n = normalize_header(header);
    LeadField::ALL.into_iter().find_map(|f| {
        f.aliases()
            .iter()
            .position(|a| *a == n)
            .map(|rank| (f, rank))
    })
}

/// Rank of an id-like header (lower is better); `None` when it is not id-like.
pub fn id_rank(header: &str) -> Option<usize> {
    let n = normalize_header(header);
    ID_ALIASES.iter().position(|a| *a == n)
}

/// What a `--map` override asks for a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideTarget {
    Field(LeadField),
    /// Keep as a custom attribute under this name.
    Attribute(String),
    /// Keep as an attribute and use as the dedupe key for rows without an email.
    Key,
    Ignore,
}

/// One `--map COL=FIELD`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnOverride {
    pub column: String,
    pub target: OverrideTarget,
}

/// Parses `COL=FIELD` (FIELD: a lead field name, `attr:NAME`, `key` or `ignore`).
pub fn parse_map_arg(arg: &str) -> Result<ColumnOverride, String> {
    let fields = || {
        LeadField::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((column, field)) = arg.split_once('=') else {
        return Err(format!(
            "--map {arg:?}: expected COL=FIELD, e.g. --map \"Mobile=phone\""
        ));
    };
    let (column, field) = (column.trim(), field.trim());
    if column.is_empty() {
        return Err(format!("--map {arg:?}: the column name is empty"));
    }
    let target = if field.eq_ignore_ascii_case("ignore") {
        OverrideTarget::Ignore
    } else if field.eq_ignore_ascii_case("key") {
        OverrideTarget::Key
    } else if let Some(name) = field.strip_prefix(ATTR_PREFIX) {
        let name = name.trim();
        if name.is_empty() {
            return Err(format!(
                "--map {arg:?}: attr: needs a name, e.g. attr:Region"
            ));
        }
        OverrideTarget::Attribute(name.to_string())
    } else if let Some(f) = LeadField::from_name(field) {
        OverrideTarget::Field(f)
    } else {
        return Err(format!(
            "--map {arg:?}: unknown field {field:?}; use one of {}, attr:NAME, key or ignore",
            fields()
        ));
    };
    Ok(ColumnOverride {
        column: column.to_string(),
        target,
    })
}

/// What the importer does with one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnUse {
    Field(LeadField),
    /// Kept as a custom attribute under this name.
    Attribute(String),
    Ignore,
}

/// The plan for every column of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnMapping {
    /// Headers as they appear in the file.
    pub headers: Vec<String>,
    pub uses: Vec<ColumnUse>,
    /// Column whose value identifies a lead that has no email.
    pub key_column: Option<usize>,
    /// Id-like columns (key first), used to name leads that have no name or email.
    pub id_columns: Vec<usize>,
}

impl ColumnMapping {
    /// The column that fills `field`, if any.
    pub fn column_of(&self, field: LeadField) -> Option<usize> {
        self.uses.iter().position(|u| *u == ColumnUse::Field(field))
    }

    /// Every column mapped onto a field, in file order.
    pub fn fields(&self) -> impl Iterator<Item = (usize, LeadField)> + '_ {
        self.uses.iter().enumerate().filter_map(|(i, u)| match u {
            ColumnUse::Field(f) => Some((i, *f)),
            _ => None,
        })
    }

    /// Every column kept as an attribute, in file order.
    pub fn attributes(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.uses.iter().enumerate().filter_map(|(i, u)| match u {
            ColumnUse::Attribute(a) => Some((i, a.as_str())),
            _ => None,
        })
    }
}

/// Decides what each column does: `--map` overrides first, then header aliases (for each field
/// the best-ranked alias wins, the first such column on a tie); every other column is kept as
/// an attribute named by its header (`attr:NAME` headers lose the prefix). Fails, naming the
/// columns, when an override names a column the file does not have or maps twice.
pub fn resolve_columns(
    headers: &[String],
    overrides: &[ColumnOverride],
) -> Result<ColumnMapping, String> {
    let n = headers.len();
    let mut uses: Vec<Option<ColumnUse>> = vec![None; n];
    let mut forced_key = None;
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    for o in overrides {
        let wanted = normalize_header(&o.column);
        let col = headers
            .iter()
            .position(|h| h.trim() == o.column.trim())
            .or_else(|| {
                normalized
                    .iter()
                    .position(|h| *h == wanted && !h.is_empty())
            })
            .ok_or_else(|| {
                format!(
                    "--map: the file has no column {:?}; its columns are: {}",
                    o.column,
                    headers.join(", ")
                )
            })?;
        if uses[col].is_some() || (forced_key == Some(col)) {
            return Err(format!("--map: column {:?} is mapped twice", headers[col]));
        }
        uses[col] = Some(match &o.target {
            OverrideTarget::Field(f) => {
                if uses.contains(&Some(ColumnUse::Field(*f))) {
                    return Err(format!(
                        "--map: field {} is given two columns; map it once",
                        f.name()
                    ));
                }
                ColumnUse::Field(*f)
            }
            OverrideTarget::Attribute(a) => ColumnUse::Attribute(a.clone()),
            OverrideTarget::Ignore => ColumnUse::Ignore,
            OverrideTarget::Key => {
                if forced_key.is_some() {
                    return Err("--map: only one column can be the key".into());
                }
                forced_key = Some(col);
                ColumnUse::Attribute(attribute_name(&headers[col], col))
            }
        });
    }
    // Aliases: for each field not yet given, the best candidate among the remaining columns.
    for field in LeadField::ALL {
        if uses.contains(&Some(ColumnUse::Field(field))) {
            continue;
        }
        let best = (0..n)
            .filter(|&c| uses[c].is_none())
            .filter_map(|c| match auto_field(&headers[c]) {
                Some((f, rank)) if f == field => Some((rank, c)),
                _ => None,
            })
            .min();
        if let Some((_, c)) = best {
            uses[c] = Some(ColumnUse::Field(field));
        }
    }
    for (c, u) in uses.iter_mut().enumerate() {
        if u.is_none() {
            *u = Some(
                if normalize_header(&headers[c]) == normalize_header(LEADQ_ID_HEADER) {
                    ColumnUse::Ignore
                } else {
                    ColumnUse::Attribute(attribute_name(&headers[c], c))
                },
            );
        }
    }
    let mut uses: Vec<ColumnUse> = uses.into_iter().map(|u| u.expect("all set")).collect();
    dedupe_attribute_names(&mut uses, overrides)?;
    let is_attr = |c: usize| matches!(uses[c], ColumnUse::Attribute(_));
    let mut id_columns: Vec<(usize, usize)> = (0..n)
        .filter(|&c| is_attr(c) && Some(c) != forced_key)
        .filter_map(|c| id_rank(&headers[c]).map(|r| (r, c)))
        .collect();
    id_columns.sort();
    let mut id_columns: Vec<usize> = id_columns.into_iter().map(|(_, c)| c).collect();
    if let Some(k) = forced_key {
        id_columns.insert(0, k);
    }
    Ok(ColumnMapping {
        headers: headers.to_vec(),
        key_column: id_columns.first().copied(),
        id_columns,
        uses,
    })
}

/// The attribute name of a header: trimmed, `attr:` prefix dropped, `column N` when empty.
fn attribute_name(header: &str, col: usize) -> String {
    let h = header.trim();
    let h = h.strip_prefix(ATTR_PREFIX).unwrap_or(h).trim();
    if h.is_empty() {
        format!("column {}", col + 1)
    } else {
        h.to_string()
    }
}

/// Two columns with the same header become `Name` and `Name (2)`; an explicit `attr:NAME`
/// that collides is an error.
fn dedupe_attribute_names(
    uses: &mut [ColumnUse],
    overrides: &[ColumnOverride],
) -> Result<(), String> {
    let explicit: HashSet<&str> = overrides
        .iter()
        .filter_map(|o| match &o.target {
            OverrideTarget::Attribute(a) => Some(a.as_str()),
            _ => None,
        })
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for u in uses.iter_mut() {
        let ColumnUse::Attribute(name) = u else {
            continue;
        };
        if seen.insert(name.clone()) {
            continue;
        }
        if explicit.contains(name.as_str()) {
            return Err(format!(
                "--map: two columns would be kept as attribute {name:?}; give one another name"
            ));
        }
        let mut k = 2;
        while seen.contains(&format!("{name} ({k})")) {
            k += 1;
        }
        *name = format!("{name} ({k})");
        seen.insert(name.clone());
    }
    Ok(())
}
