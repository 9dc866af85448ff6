//! Draws a one-line text field (state in `app::text_input`), scrolled to keep the cursor
//! visible, with a placeholder when empty.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::theme::Theme;
use crate::app::text_input::TextInput;
use crate::core::text::sanitize;

pub struct TextField<'a> {
    pub input: &'a TextInput,
    pub placeholder: &'a str,
    pub focused: bool,
    pub theme: &'a Theme,
}

impl TextField<'_> {
    /// First character shown, so that the cursor fits in `width`.
    fn scroll(&self, width: u16) -> usize {
        let width = width.max(1) as usize;
        self.input.cursor().saturating_sub(width - 1)
    }

    /// Where the terminal cursor goes when this field has focus.
    pub fn cursor_position(&self, area: Rect) -> Position {
        let x = self.input.cursor() - self.scroll(area.width);
        Position::new(area.x + x as u16, area.y)
    }
}

impl Widget for &TextField<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let base = if self.focused {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new()
        };
        buf.set_style(Rect::new(area.x, area.y, area.width, 1), base);
        let line = if self.input.value().is_empty() {
            Line::from(Span::styled(
                self.placeholder,
                self.theme.muted().patch(base),
            ))
        } else {
            let shown: String = sanitize(self.input.value())
                .chars()
                .skip(self.scroll(area.width))
                .take(area.width as usize)
                .collect();
            Line::from(Span::styled(shown, base))
        };
        line.render(area, buf);
    }
}
