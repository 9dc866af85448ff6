//! The outcome map modal: each outcome with the label it teaches, its strength, the stage it
//! moves the lead to and its default follow-up; labels coloured by sign.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Paragraph, Row, Table, Widget};

use super::theme::Theme;
use super::{fit, modal_area};
use crate::app::outcome_editor::OutcomeEditor;
use crate::core::outcome::{Label, OutcomeCatalog};
use crate::core::text::sanitize;

pub fn render(
    editor: &OutcomeEditor,
    saved: &OutcomeCatalog,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let n = editor.catalog.types.len() as u16;
    let rect = modal_area(area, 76, n + 6, buf);
    let title = if editor.changed(saved) {
        " Outcome → label map · unsaved changes "
    } else {
        " Outcome → label map "
    };
    let block = Block::bordered()
        .title(title)
        .title_style(Style::new().fg(theme.accent));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [table_area, note_area, keys_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let header = Row::new(["outcome", "label", "strength", "stage", "follow-up"])
        .style(theme.muted().add_modifier(Modifier::BOLD));
    let rows = editor.catalog.types.iter().enumerate().map(|(i, t)| {
        let label_style = match t.label {
            Label::Positive => Style::new().fg(theme.positive),
            Label::Negative => Style::new().fg(theme.negative),
            Label::None => theme.muted(),
        };
        let strength = if t.label == Label::None {
            "—".to_string()
        } else {
            format!("{:.2}", t.strength)
        };
        let row = Row::new(vec![
            ratatui::text::Text::raw(fit(&sanitize(&t.name), 28)),
            ratatui::text::Text::styled(t.label.as_str(), label_style),
            ratatui::text::Text::raw(strength),
            ratatui::text::Text::raw(t.stage.as_deref().map_or("—".into(), sanitize)),
            ratatui::text::Text::raw(t.follow_up_days.map_or("—".into(), |d| format!("{d}d"))),
        ]);
        if i == editor.selected {
            row.style(theme.selected())
        } else {
            row
        }
    });
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(9),
        ],
    )
    .header(header)
    .render(table_area, buf);
    Paragraph::new("new outcomes learn with the saved map; past learning is kept")
        .style(theme.muted())
        .render(note_area, buf);
    Paragraph::new("space label · +/- strength · s stage · enter save · esc cancel")
        .style(theme.muted())
        .render(keys_area, buf);
}
