//! Drawing the console: a root that picks the view, then overlays, then the footer or toast.
//! Widgets borrow what they draw; nothing here changes state.

pub mod accounts;
pub mod board;
pub mod dashboard;
pub mod detail;
pub mod help;
pub mod import;
pub mod log_outcome;
pub mod outcomes;
pub mod queue;
pub mod rules;
pub mod search;
pub mod text_input;
pub mod theme;
pub mod versions;
pub mod welcome;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod board_tests;
#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::app::keymap::KeyMode;
use crate::app::keymap::Keymap;
use crate::app::{App, Overlay, Screen, Toast};
use theme::Theme;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Draws the whole screen for the current state.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(TooSmall { area }, area);
        return;
    }
    let [body, footer] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let theme = &app.config.theme;
    match app.screen {
        Screen::Loading => frame.render_widget(
            Paragraph::new(app.status.as_deref().unwrap_or("loading…"))
                .style(theme.muted())
                .alignment(Alignment::Center),
            body.centered_vertically(Constraint::Length(1)),
        ),
        Screen::Welcome => frame.render_widget(
            welcome::Welcome {
                book: &app.book,
                keymap: &app.config.keymap,
                theme,
            },
            body,
        ),
        Screen::Queue => frame.render_widget(queue::QueueView { app }, body),
        Screen::Detail => frame.render_widget(detail::DetailView { app }, body),
        Screen::Rules => frame.render_widget(rules::RulesView { app }, body),
        Screen::Dashboard => frame.render_widget(dashboard::DashboardView { app }, body),
        Screen::Board => frame.render_widget(board::BoardView { app }, body),
        Screen::Accounts => frame.render_widget(accounts::AccountsView { app }, body),
    }
    match &app.overlay {
        None => {}
        Some(Overlay::Help) => frame.render_widget(
            help::HelpOverlay {
                keymap: &app.config.keymap,
                mode: match app.screen {
                    Screen::Detail => KeyMode::Detail,
                    Screen::Queue => KeyMode::Queue,
                    Screen::Rules => KeyMode::Rules,
                    Screen::Dashboard => KeyMode::Dashboard,
                    Screen::Board => KeyMode::Board,
                    Screen::Accounts => KeyMode::Accounts,
                    _ => KeyMode::Welcome,
                },
                theme,
            },
            body,
        ),
        Some(Overlay::Log(form)) => {
            let cursor =
                log_outcome::render(form, &app.book.catalog, theme, body, frame.buffer_mut());
            if let Some(pos) = cursor {
                frame.set_cursor_position(pos);
            }
        }
        Some(Overlay::RuleForm(form)) => {
            if let Some(pos) = rules::render_form(form, theme, body, frame.buffer_mut()) {
                frame.set_cursor_position(pos);
            }
        }
        Some(Overlay::Versions(picker)) => {
            versions::render(picker, theme, body, frame.buffer_mut());
        }
        Some(Overlay::Outcomes(editor)) => {
            outcomes::render(editor, &app.book.catalog, theme, body, frame.buffer_mut());
        }
        Some(Overlay::Import(prompt)) => {
            let cursor = import::render(prompt, theme, body, frame.buffer_mut());
            frame.set_cursor_position(cursor);
        }
        Some(Overlay::Search(state)) => {
            let cursor = search::render(state, &app.book, theme, body, frame.buffer_mut());
            frame.set_cursor_position(cursor);
        }
    }
    match &app.toast {
        Some(toast) => frame.render_widget(ToastLine { toast, theme }, footer),
        None => frame.render_widget(
            Footer {
                keymap: &app.config.keymap,
                mode: app.key_mode(),
                theme,
            },
            footer,
        ),
    }
}

/// Shown instead of the console when the terminal is too small.
struct TooSmall {
    area: Rect,
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let text = format!(
            "enlarge the terminal (need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{})",
            self.area.width, self.area.height
        );
        let h = area.height.min(3);
        let y = area.y + area.height.saturating_sub(h) / 2;
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .render(Rect::new(area.x, y, area.width, h), buf);
    }
}

/// Key hints for the current view, generated from the keymap.
pub struct Footer<'a> {
    pub keymap: &'a Keymap,
    pub mode: KeyMode,
    pub theme: &'a Theme,
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let mut spans = Vec::new();
        for (key, word) in self.keymap.hints(self.mode) {
            spans.push(Span::styled(key, self.theme.key()));
            spans.push(Span::styled(format!(" {word}  "), self.theme.muted()));
        }
        Line::from(spans).render(area, buf);
    }
}

struct ToastLine<'a> {
    toast: &'a Toast,
    theme: &'a Theme,
}

impl Widget for ToastLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let color = if self.toast.error {
            self.theme.negative
        } else {
            self.theme.positive
        };
        let mark = if self.toast.error { "✗ " } else { "✓ " };
        Line::from(vec![
            Span::styled(mark, Style::new().fg(color).add_modifier(Modifier::BOLD)),
            Span::styled(self.toast.text.as_str(), Style::new().fg(color)),
        ])
        .render(area, buf);
    }
}

/// A centred box of at most `w`×`h` inside `area`, cleared.
pub fn modal_area(area: Rect, w: u16, h: u16, buf: &mut Buffer) -> Rect {
    let rect = area.centered(
        Constraint::Length(w.min(area.width)),
        Constraint::Length(h.min(area.height)),
    );
    Clear.render(rect, buf);
    rect
}

/// Cuts text to `width` characters, with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}
