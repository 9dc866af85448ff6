//! The import prompt: the path of a CSV file to import in the background.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Widget};

use super::modal_area;
use super::text_input::TextField;
use super::theme::Theme;
use crate::app::import_prompt::ImportPrompt;
use crate::core::text::sanitize;

/// Draws the prompt; returns where the cursor goes.
pub fn render(prompt: &ImportPrompt, theme: &Theme, area: Rect, buf: &mut Buffer) -> Position {
    let rect = modal_area(area, 70, 7, buf);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.accent))
        .title(Line::styled(" Import a CSV file ", theme.title()))
        .title_bottom(Line::styled(
            " ⏎ import in the background · esc cancel ",
            theme.muted(),
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [help, field, error] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    Line::styled(
        " Leads are added or merged by email; the queue keeps working meanwhile.",
        theme.muted(),
    )
    .render(help, buf);
    let [label, input] =
        Layout::horizontal([Constraint::Length(7), Constraint::Fill(1)]).areas(field);
    Line::raw(" file ").render(label, buf);
    let text = TextField {
        input: &prompt.path,
        placeholder: "path/to/leads.csv",
        focused: true,
        theme,
    };
    (&text).render(input, buf);
    if let Some(e) = &prompt.error {
        Line::styled(format!(" {}", sanitize(e)), Style::new().fg(theme.negative))
            .render(error, buf);
    }
    text.cursor_position(input)
}
