//! The fuzzy-search overlay: the query, the number of matches, and the best hits with the
//! matched characters highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};

use super::modal_area;
use super::text_input::TextField;
use super::theme::Theme;
use crate::app::book::Book;
use crate::app::search::SearchState;

/// Draws the overlay; returns where the text cursor goes.
pub fn render(
    state: &SearchState,
    book: &Book,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Position {
    let rect = modal_area(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
        buf,
    );
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.accent))
        .title(Line::styled(" Search leads ", theme.title()))
        .title_bottom(Line::styled(
            " ↑↓ choose · ⏎ open · esc close ",
            theme.muted(),
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let [query_row, count_row, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(inner);
    let [prompt, field] =
        Layout::horizontal([Constraint::Length(3), Constraint::Fill(1)]).areas(query_row);
    Line::styled(" / ", theme.key()).render(prompt, buf);
    let widget = TextField {
        input: &state.input,
        placeholder: "name, email, account or title",
        focused: true,
        theme,
    };
    (&widget).render(field, buf);
    let count = if state.input.value().trim().is_empty() {
        String::new()
    } else {
        format!(" {} of {} leads match", state.total, book.leads.len())
    };
    Line::styled(count, theme.muted()).render(count_row, buf);
    let height = list.height as usize;
    let offset = state.selected.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = state
        .hits
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, hit)| {
            let base = if i == state.selected {
                theme.selected()
            } else {
                Style::new()
            };
            let hl = base
                .fg(theme.highlight)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
            let mut spans = vec![Span::styled(
                if i == state.selected { " ▸ " } else { "   " },
                base,
            )];
            // Read as drawn: a screenful of the kept hits.
            let text = book.lead_at(hit.index).map_or_else(
                || "(this lead could not be read; see the log)".to_string(),
                |lead| crate::app::book::search_text(&lead),
            );
            let mut next = hit.matched.iter().peekable();
            for (ci, ch) in text.chars().enumerate() {
                let matched = next.peek().is_some_and(|&&m| m == ci);
                if matched {
                    next.next();
                }
                spans.push(Span::styled(
                    ch.to_string(),
                    if matched { hl } else { base },
                ));
            }
            Line::from(spans).style(base)
        })
        .collect();
    Paragraph::new(lines).render(list, buf);
    widget.cursor_position(field)
}
