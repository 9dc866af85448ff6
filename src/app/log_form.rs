//! The log-outcome modal's state: which outcome, note, follow-up and deal value, and turning
//! them into a store request.

use crossterm::event::{KeyCode, KeyEvent};

use crate::core::clock::parse_follow_up;
use crate::core::model::{LeadId, Timestamp};
use crate::core::outcome::OutcomeCatalog;
use crate::store::worklog::LogRequest;

use super::text_input::TextInput;

/// The part of the form that has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogField {
    /// Digits pick an outcome.
    Outcome,
    Note,
    FollowUp,
    Value,
}

impl LogField {
    fn next(self) -> LogField {
        match self {
            LogField::Outcome => LogField::Note,
            LogField::Note => LogField::FollowUp,
            LogField::FollowUp => LogField::Value,
            LogField::Value => LogField::Outcome,
        }
    }

    fn prev(self) -> LogField {
        match self {
            LogField::Outcome => LogField::Value,
            LogField::Note => LogField::Outcome,
            LogField::FollowUp => LogField::Note,
            LogField::Value => LogField::FollowUp,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogForm {
    pub lead: LeadId,
    /// The lead's name, sanitised, for the title.
    pub lead_name: String,
    /// Index into the outcome catalogue.
    pub outcome: Option<usize>,
    pub focus: LogField,
    pub note: TextInput,
    pub follow_up: TextInput,
    pub value: TextInput,
    /// Why the last Enter did not commit.
    pub error: Option<String>,
}

/// What a key did to the form.
#[derive(Clone, Debug, PartialEq)]
pub enum FormOutcome {
    Editing,
    Cancel,
    Commit(LogRequest),
}

impl LogForm {
    pub fn new(lead: LeadId, lead_name: String) -> LogForm {
        LogForm {
            lead,
            lead_name,
            outcome: None,
            focus: LogField::Outcome,
            note: TextInput::default(),
            follow_up: TextInput::default(),
            value: TextInput::default(),
            error: None,
        }
    }

    pub fn handle_key(
        &mut self,
        key: &KeyEvent,
        catalog: &OutcomeCatalog,
        now: Timestamp,
    ) -> FormOutcome {
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Enter => {
                return match self.request(catalog, now) {
                    Ok(req) => FormOutcome::Commit(req),
                    Err(e) => {
                        self.error = Some(e);
                        FormOutcome::Editing
                    }
                };
            }
            KeyCode::Tab | KeyCode::Down => self.focus = self.focus.next(),
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.prev(),
            KeyCode::Char(c) if self.focus == LogField::Outcome => {
                if let Some(d) = c.to_digit(10)
                    && (1..=catalog.types.len()).contains(&(d as usize))
                {
                    self.outcome = Some(d as usize - 1);
                    self.error = None;
                    // Log-and-next in two keys: with nothing else entered the digit logs it.
                    // Once a note, follow-up or value is typed, the digit only picks and
                    // Enter logs.
                    if self.is_bare()
                        && let Ok(req) = self.request(catalog, now)
                    {
                        return FormOutcome::Commit(req);
                    }
                }
            }
            _ => {
                let field = match self.focus {
                    LogField::Outcome => return FormOutcome::Editing,
                    LogField::Note => &mut self.note,
                    LogField::FollowUp => &mut self.follow_up,
                    LogField::Value => &mut self.value,
                };
                field.handle_key(key);
            }
        }
        FormOutcome::Editing
    }

    /// No note, follow-up or value entered: a digit logs the outcome straight away.
    pub fn is_bare(&self) -> bool {
        [&self.note, &self.follow_up, &self.value]
            .iter()
            .all(|f| f.value().trim().is_empty())
    }

    /// The store request, or what is wrong with the form.
    pub fn request(&self, catalog: &OutcomeCatalog, now: Timestamp) -> Result<LogRequest, String> {
        let kind = self
            .outcome
            .and_then(|i| catalog.types.get(i))
            .ok_or_else(|| format!("pick an outcome: press 1–{}", catalog.types.len()))?;
        let follow_up = match self.follow_up.value().trim() {
            "" => None,
            text => Some(parse_follow_up(text, now).map_err(|e| format!("follow-up: {e}"))?),
        };
        let value = match self.value.value().trim() {
            "" => None,
            text => {
                let v: f64 = text
                    .replace([',', '_'], "")
                    .parse()
                    .map_err(|_| format!("deal value {text:?} is not a number; e.g. 12000"))?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err(format!("deal value must be 0 or more, got {text}"));
                }
                Some(v)
            }
        };
        Ok(LogRequest {
            outcome: kind.id.clone(),
            note: self.note.value().trim().to_string(),
            value,
            follow_up,
        })
    }
}
