//! The help overlay, generated from the keymap of the current view and the global one.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};

use super::modal_area;
use super::theme::Theme;
use crate::app::keymap::{KeyMode, Keymap};

pub struct HelpOverlay<'a> {
    pub keymap: &'a Keymap,
    /// The view the help is about.
    pub mode: KeyMode,
    pub theme: &'a Theme,
}

impl Widget for HelpOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut lines = Vec::new();
        for mode in [self.mode, KeyMode::Global] {
            let groups = self.keymap.grouped(mode);
            if groups.is_empty() {
                continue;
            }
            lines.push(Line::styled(format!(" {}", mode.title()), theme.title()));
            for (keys, action) in groups {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<14}", keys.join(" ")), theme.key()),
                    Span::raw(action.describe()),
                ]));
            }
        }
        let h = lines.len() as u16 + 2;
        let rect = modal_area(area, 52, h, buf);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(Style::new().fg(theme.accent))
            .title(Line::styled(" Keys ", theme.title()))
            .title_bottom(Line::styled(
                " keys are set in config.toml · esc closes ",
                theme.muted(),
            ));
        Paragraph::new(lines).block(block).render(rect, buf);
    }
}
