//! Reading cell values: attribute types inferred per column, numbers, money, head counts,
//! and foreign lead statuses mapped onto the pipeline.

use crate::core::clock::parse_date;
use crate::core::model::{AttrValue, Pipeline};

/// The type a column's attribute values get, inferred from the whole column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    Number,
    Bool,
    Date,
    Text,
    /// Every cell of the column is empty: nothing is stored.
    Empty,
}

impl AttrKind {
    pub fn name(self) -> &'static str {
        match self {
            AttrKind::Number => "number",
            AttrKind::Bool => "bool",
            AttrKind::Date => "date",
            AttrKind::Text => "text",
            AttrKind::Empty => "empty",
        }
    }
}

/// Accumulates what a column's non-empty cells could all be. Numbers win over bools, so a 0/1
/// column is numeric; a column is bool only when every value is yes/no/true/false/1/0.
#[derive(Clone, Debug)]
pub struct KindGuess {
    number: bool,
    boolean: bool,
    date: bool,
    seen: bool,
}

impl Default for KindGuess {
    fn default() -> Self {
        KindGuess {
            number: true,
            boolean: true,
            date: true,
            seen: false,
        }
    }
}

impl KindGuess {
    /// Looks at one cell (already trimmed and unescaped); empty cells say nothing.
    pub fn observe(&mut self, cell: &str) {
        if cell.is_empty() {
            return;
        }
        self.seen = true;
        if self.number && parse_number(cell).is_none() {
            self.number = false;
        }
        if self.boolean && parse_bool(cell).is_none() {
            self.boolean = false;
        }
        if self.date && parse_date(cell).is_none() {
            self.date = false;
        }
    }

    /// The guess of both cells seen here and cells `other` saw.
    pub fn merge(&mut self, other: &KindGuess) {
        self.seen |= other.seen;
        self.number &= other.number;
        self.boolean &= other.boolean;
        self.date &= other.date;
    }

    pub fn kind(&self) -> AttrKind {
        match self {
            KindGuess { seen: false, .. } => AttrKind::Empty,
            KindGuess { number: true, .. } => AttrKind::Number,
            KindGuess { boolean: true, .. } => AttrKind::Bool,
            KindGuess { date: true, .. } => AttrKind::Date,
            _ => AttrKind::Text,
        }
    }
}

/// A cell as an attribute of the column's kind; `None` for an empty cell. A value that does
/// not fit the kind (a row the scan did not see) is kept as text rather than lost.
pub fn attr_value(kind: AttrKind, cell: &str) -> Option<AttrValue> {
    if cell.is_empty() {
        return None;
    }
    let typed = match kind {
        AttrKind::Number => parse_number(cell).map(AttrValue::Number),
        AttrKind::Bool => parse_bool(cell).map(AttrValue::Bool),
        AttrKind::Date => parse_date(cell).map(AttrValue::Date),
        AttrKind::Text | AttrKind::Empty => None,
    };
    Some(typed.unwrap_or_else(|| AttrValue::Text(cell.to_string())))
}

/// A plain number: digits with an optional sign, decimal point and exponent. Leading zeros
/// (`02134`, zip codes and ids) and a leading `+` (phone numbers) are not numbers, so they
/// keep their exact text.
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    if !b.iter().any(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'.' | b'e' | b'E'))
        || (digits.len() > 1 && digits[0] == b'0' && digits[1].is_ascii_digit())
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// yes/no/true/false/1/0, any case.
pub fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 3] = ["yes", "true", "1"];
    const FALSE: [&str; 3] = ["no", "false", "0"];
    if TRUE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// A money amount: a number, optionally with a currency sign or code and `,` thousands
/// separators (`$12,500.00`, `12500 EUR`).
pub fn parse_money(s: &str) -> Result<f64, String> {
    let core = s
        .trim_start_matches(['$', '€', '£', '¥'])
        .trim_end_matches(['$', '€', '£', '¥'])
        .trim();
    let core = match core.rsplit_once(' ') {
        Some((n, code)) if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) => n,
        _ => core,
    };
    let plain: String = core.chars().filter(|c| *c != ',').collect();
    plain
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && plain.bytes().any(|c| c.is_ascii_digit()))
        .ok_or_else(|| format!("{s:?} is not an amount"))
}

/// A head count: a whole non-negative number, `,` thousands separators allowed.
pub fn parse_employees(s: &str) -> Result<u32, String> {
    let plain: String = s.chars().filter(|c| *c != ',').collect();
    let plain = plain.strip_suffix(".0").unwrap_or(&plain);
    plain
        .parse::<u32>()
        .map_err(|_| format!("{s:?} is not a whole number of employees"))
}

/// Leading `'` that an export put before text starting with a formula character (`=`, `+`,
/// `-`, `@`, tab, carriage return) so spreadsheets do not run it: removed again on import.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Characters that make a spreadsheet treat a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Foreign lead statuses (normalised: letters and digits, lowercase) and the default
/// pipeline stage they mean.
const FOREIGN_STATUSES: &[(&str, &str)] = &[
    // Salesforce lead statuses
    ("opennotcontacted", "New"),
    ("workingcontacted", "Contacted"),
    ("closedconverted", "Won"),
    ("closednotconverted", "Lost"),
    // HubSpot lead statuses
    ("open", "New"),
    ("inprogress", "Contacted"),
    ("attemptedtocontact", "Contacted"),
    ("connected", "Contacted"),
    ("opendeal", "Qualified"),
    ("unqualified", "Lost"),
    ("badtiming", "Nurture"),
    // HubSpot lifecycle stages
    ("subscriber", "Nurture"),
    ("lead", "New"),
    ("marketingqualifiedlead", "New"),
    ("salesqualifiedlead", "Qualified"),
    ("opportunity", "Proposal"),
    ("customer", "Won"),
    ("evangelist", "Won"),
    // Salesforce opportunity stages and common words
    ("prospecting", "New"),
    ("qualification", "Qualified"),
    ("needsanalysis", "Qualified"),
    ("valueproposition", "Proposal"),
    ("proposalpricequote", "Proposal"),
    ("negotiationreview", "Negotiation"),
    ("closedwon", "Won"),
    ("closedlost", "Lost"),
    ("working", "Contacted"),
    ("attempted", "Contacted"),
    ("nurturing", "Nurture"),
    ("converted", "Won"),
    ("disqualified", "Lost"),
];

/// The pipeline stage a status from another tool means: a stage of `pipeline` by name, or a
/// known Salesforce / HubSpot / Pipedrive status whose stage the pipeline has. `None` when
/// the status is unknown.
pub fn map_status(raw: &str, pipeline: &Pipeline) -> Option<String> {
    if let Some(stage) = pipeline.find(raw) {
        return Some(stage.name.clone());
    }
    let n = super::mapping::normalize_header(raw);
    if let Some(stage) = pipeline
        .stages
        .iter()
        .find(|s| super::mapping::normalize_header(&s.name) == n)
    {
        return Some(stage.name.clone());
    }
    FOREIGN_STATUSES
        .iter()
        .find(|(k, _)| *k == n)
        .and_then(|(_, stage)| pipeline.find(stage))
        .map(|s| s.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(cells: &[&str]) -> AttrKind {
        let mut g = KindGuess::default();
        cells.iter().for_each(|c| g.observe(c));
        g.kind()
    }

    #[test]
    fn column_kinds_come_from_every_value() {
        assert_eq!(kind_of(&["1", "2.5", "", "-3e2"]), AttrKind::Number);
        assert_eq!(kind_of(&["0", "1", "1"]), AttrKind::Number);
        assert_eq!(kind_of(&["Yes", "no", "TRUE", "0"]), AttrKind::Bool);
        assert_eq!(kind_of(&["Yes", "No", "Select"]), AttrKind::Text);
        assert_eq!(kind_of(&["2024-03-05", "2024-03-06 10:00"]), AttrKind::Date);
        assert_eq!(kind_of(&["12", "02134"]), AttrKind::Text);
        assert_eq!(kind_of(&["+44 20 7946 0958"]), AttrKind::Text);
        assert_eq!(kind_of(&["", ""]), AttrKind::Empty);
        assert_eq!(kind_of(&["inf", "NaN"]), AttrKind::Text);
    }

    #[test]
    fn money_and_head_counts_read_like_crm_exports() {
        assert_eq!(parse_money("$12,500.50"), Ok(12_500.5));
        assert_eq!(parse_money("9000 EUR"), Ok(9000.0));
        assert!(parse_money("lots").is_err());
        assert_eq!(parse_employees("1,200"), Ok(1200));
        assert_eq!(parse_employees("250.0"), Ok(250));
        assert!(parse_employees("11-50").is_err());
        assert!(parse_employees("-5").is_err());
    }

    #[test]
    fn foreign_statuses_map_onto_the_pipeline() {
        let p = Pipeline::default();
        let m = |s: &str| map_status(s, &p);
        assert_eq!(m("Open - Not Contacted").as_deref(), Some("New"));
        assert_eq!(m("Working - Contacted").as_deref(), Some("Contacted"));
        assert_eq!(m("Closed - Converted").as_deref(), Some("Won"));
        assert_eq!(m("Closed - Not Converted").as_deref(), Some("Lost"));
        assert_eq!(m("ATTEMPTED_TO_CONTACT").as_deref(), Some("Contacted"));
        assert_eq!(m("OPEN_DEAL").as_deref(), Some("Qualified"));
        assert_eq!(m("UNQUALIFIED").as_deref(), Some("Lost"));
        assert_eq!(m("BAD_TIMING").as_deref(), Some("Nurture"));
        assert_eq!(m("qualified").as_deref(), Some("Qualified"));
        assert_eq!(m("Hot prospect"), None);
    }

    #[test]
    fn export_escapes_are_undone() {
        assert_eq!(unescape_formula("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(unescape_formula("'+44 1"), "+44 1");
        assert_eq!(unescape_formula("''=x"), "'=x");
        assert_eq!(unescape_formula("'quoted'"), "'quoted'");
    }
}
