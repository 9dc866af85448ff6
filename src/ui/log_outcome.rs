//! The log-outcome modal: numbered outcomes from the catalogue, note, follow-up, deal value.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};

use super::text_input::TextField;
use super::theme::Theme;
use super::{fit, modal_area};
use crate::app::log_form::{LogField, LogForm};
use crate::core::outcome::{Label, OutcomeCatalog};

/// Draws the modal over `area`; returns where the text cursor goes, if a text field has focus.
pub fn render(
    form: &LogForm,
    catalog: &OutcomeCatalog,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Option<Position> {
    let n = catalog.types.len() as u16;
    let rect = modal_area(area, 60, n + 7, buf);
    let title = format!(" Log outcome — {} ", fit(&form.lead_name, 36));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.accent))
        .title(Line::styled(title, theme.title()))
        .title_bottom(Line::styled(
            if form.is_bare() {
                " 1–9 log now · tab: note, follow-up, value first · esc "
            } else {
                " 1–9 pick · tab next field · ⏎ log · esc cancel "
            },
            theme.muted(),
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [list, fields, error] = Layout::vertical([
        Constraint::Length(n),
        Constraint::Length(4),
        Constraint::Length(1),
    ])
    .areas(inner);
    let outcome_focus = form.focus == LogField::Outcome;
    let lines: Vec<Line> = catalog
        .types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let chosen = form.outcome == Some(i);
            let (mark, style) = if chosen {
                ("▸", theme.selected())
            } else {
                (" ", Style::new())
            };
            let label = match t.label {
                Label::Positive => Span::styled(" +", Style::new().fg(theme.positive)),
                Label::Negative => Span::styled(" −", Style::new().fg(theme.negative)),
                Label::None => Span::raw("  "),
            };
            let key_style = if outcome_focus {
                theme.key()
            } else {
                theme.muted()
            };
            Line::from(vec![
                Span::styled(format!("{mark}{} ", i + 1), key_style),
                Span::styled(format!("{:<30}", t.name), style),
                label,
                Span::styled(
                    t.stage
                        .as_ref()
                        .map(|s| format!("  → {s}"))
                        .unwrap_or_default(),
                    theme.muted(),
                ),
            ])
        })
        .collect();
    Paragraph::new(lines).render(list, buf);
    let rows: [Rect; 4] = Layout::vertical([Constraint::Length(1); 4]).areas(fields);
    let mut cursor = None;
    let specs = [
        (LogField::Note, "note", &form.note, "optional"),
        (
            LogField::FollowUp,
            "follow-up",
            &form.follow_up,
            "default of the outcome; 2d, tomorrow 9:00, mon",
        ),
        (
            LogField::Value,
            "deal value",
            &form.value,
            "optional, e.g. 12000",
        ),
    ];
    for (row, (field, label, input, placeholder)) in rows[1..].iter().zip(specs) {
        let focused = form.focus == field;
        let [l, v] = Layout::horizontal([Constraint::Length(12), Constraint::Fill(1)]).areas(*row);
        let label_style = if focused { theme.key() } else { theme.muted() };
        Line::styled(format!(" {label}"), label_style).render(l, buf);
        let widget = TextField {
            input,
            placeholder,
            focused,
            theme,
        };
        (&widget).render(v, buf);
        if focused {
            cursor = Some(widget.cursor_position(v));
        }
    }
    if let Some(e) = &form.error {
        Line::styled(
            format!(" {e}"),
            Style::new().fg(theme.negative).add_modifier(Modifier::BOLD),
        )
        .render(error, buf);
    }
    cursor
}
