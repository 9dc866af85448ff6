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
        // (section title, or key and description)
        let mut entries: Vec<(Option<String>, String)> = Vec::new();
        for mode in [self.mode, KeyMode::Global] {
            let groups = self.keymap.grouped(mode);
            if groups.is_empty() {
                continue;
            }
            entries.push((None, format!(" {}", mode.title())));
            for (keys, action) in groups {
                entries.push((Some(keys.join(" ")), action.describe().to_string()));
            }
        }
        // One column when it fits the height; else two side by side (descriptions cut to
        // the width), so every key stays listed on a 24-row terminal.
        let fits = entries.len() as u16 + 2 <= area.height;
        let columns: usize = if fits { 1 } else { 2 };
        let per_column = entries.len().div_ceil(columns);
        let width = if fits { 52 } else { area.width.min(120) };
        let col_width = (width.saturating_sub(2) as usize / columns).max(1);
        let key_width = entries
            .iter()
            .filter_map(|(k, _)| k.as_ref().map(|k| k.chars().count()))
            .max()
            .unwrap_or(0)
            .max(8)
            + 4;
        let cell = |(keys, text): &(Option<String>, String)| -> Vec<Span<'static>> {
            match keys {
                None => vec![Span::styled(fit(text, col_width), theme.title())],
                Some(keys) => {
                    let k = format!("  {keys:<w$}", w = key_width - 2);
                    let rest = col_width.saturating_sub(k.chars().count());
                    vec![
                        Span::styled(k, theme.key()),
                        Span::raw(pad(&fit(text, rest), rest)),
                    ]
                }
            }
        };
        let lines: Vec<Line> = (0..per_column)
            .map(|row| {
                let mut spans = Vec::new();
                for c in 0..columns {
                    match entries.get(c * per_column + row) {
                        Some(e) => {
                            let mut s = cell(e);
                            if c + 1 < columns {
                                let used: usize = s.iter().map(|x| x.content.chars().count()).sum();
                                s.push(Span::raw(" ".repeat(col_width.saturating_sub(used))));
                            }
                            spans.extend(s);
                        }
                        None => spans.push(Span::raw(" ".repeat(col_width))),
                    }
                }
                Line::from(spans)
            })
            .collect();
        let h = lines.len() as u16 + 2;
        let rect = modal_area(area, width, h, buf);
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

/// `text` cut to `width` characters, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}
