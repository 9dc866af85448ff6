//! The welcome screen for an empty book: offers the demo book and explains importing.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget, Wrap};

use super::theme::Theme;
use crate::app::action::Action;
use crate::app::book::Book;
use crate::app::keymap::{KeyMode, Keymap};

pub struct Welcome<'a> {
    pub book: &'a Book,
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
}

impl Widget for Welcome<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let key_for = |action: Action| {
            self.keymap
                .grouped(KeyMode::Welcome)
                .into_iter()
                .find(|(_, a)| *a == action)
                .map(|(keys, _)| keys[0].clone())
        };
        let mut lines = vec![
            Line::styled("Welcome to leadq", theme.title()),
            Line::raw(""),
            Line::raw("leadq tells you who to work next, and why. This book is empty."),
            Line::raw(""),
        ];
        if self.book.is_demo {
            lines.push(Line::raw(
                "This is the demo book, and it is empty. Run `leadq demo` to fill it.",
            ));
        } else if let Some(key) = key_for(Action::OpenDemo) {
            lines.push(Line::from(vec![
                Span::raw("Try it on a realistic demo book: press "),
                Span::styled(key, theme.key()),
                Span::raw(" (or run "),
                Span::styled("leadq --demo", theme.key()),
                Span::raw("). It has its own database; your book stays untouched."),
            ]));
        }
        lines.push(Line::raw(""));
        let mut import = vec![Span::raw("Bring your own leads: ")];
        if let Some(key) = key_for(Action::ImportCsv) {
            import.extend([
                Span::raw("press "),
                Span::styled(key, theme.key()),
                Span::raw(" to import a CSV file, or run "),
            ]);
        } else {
            import.push(Span::raw("quit and run "));
        }
        import.extend([
            Span::styled("leadq import FILE.csv", theme.key()),
            Span::raw(
                ". Columns are matched by name; any other column is kept as a custom attribute.",
            ),
        ]);
        lines.push(Line::from(import));
        lines.push(Line::raw(""));
        if let Some(key) = key_for(Action::Quit) {
            lines.push(Line::from(vec![
                Span::styled(key, theme.key()),
                Span::styled(" quits · ", theme.muted()),
                Span::styled("?", theme.key()),
                Span::styled(" shows all keys", theme.muted()),
            ]));
        }
        let rect = area.centered(
            Constraint::Length(area.width.min(64)),
            Constraint::Length(area.height.min(20)),
        );
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(Style::new().fg(theme.accent))
                    .padding(ratatui::widgets::Padding::uniform(1)),
            )
            .render(rect, buf);
    }
}
