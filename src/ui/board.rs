//! The kanban board: a column per stage with count, value and weighted value in its header,
//! the cards of the columns on screen (stale ones marked `!` and coloured), scrolled both ways.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::app::board::{BoardState, CARD_ROWS, COLUMN_WIDTH, Card, Column};
use crate::core::text::sanitize;

pub struct BoardView<'a> {
    pub app: &'a App,
}

/// 1234 → "1.2k", 2_500_000 → "2.5M".
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

impl Widget for BoardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.config.theme;
        let b = &app.board;
        let cols = BoardState::columns_on_screen(area.width);
        let end = (b.first + cols).min(b.columns.len());
        let total: usize = b.columns.iter().map(|c| c.count).sum();
        let mut title = vec![
            Span::styled(" leadq ", theme.title()),
            Span::styled(sanitize(&app.book.label).into_owned(), theme.muted()),
            Span::raw(format!("  board · {total} leads · ")),
            Span::styled("cards by priority · ! stale", Style::new().fg(theme.accent)),
        ];
        if b.first > 0 {
            title.push(Span::styled(format!("  ◂{}", b.first), theme.key()));
        }
        if end < b.columns.len() {
            title.push(Span::styled(
                format!("  {}▸", b.columns.len() - end),
                theme.key(),
            ));
        }
        Line::from(title).render(Rect { height: 1, ..area }, buf);
        let body = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        for (slot, i) in (b.first..end).enumerate() {
            let x = body.x + slot as u16 * COLUMN_WIDTH;
            let w = COLUMN_WIDTH.min(body.right().saturating_sub(x));
            let rect = Rect {
                x,
                width: w,
                ..body
            };
            ColumnView {
                column: &b.columns[i],
                focused: i == b.focus,
                theme,
            }
            .render(rect, buf);
        }
    }
}

struct ColumnView<'a> {
    column: &'a Column,
    focused: bool,
    theme: &'a Theme,
}

impl Widget for ColumnView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (c, theme) = (self.column, self.theme);
        if area.width < 3 || area.height < 3 {
            return;
        }
        // Content width: one column of the area is the separator on the right.
        let w = (area.width - 1) as usize;
        for y in area.y..area.bottom() {
            buf[(area.right() - 1, y)]
                .set_symbol("│")
                .set_style(theme.muted());
        }
        let head = if self.focused {
            theme.title().add_modifier(Modifier::REVERSED)
        } else {
            theme.title()
        };
        let line = |text: String, style: Style| Line::styled(fit(&text, w), style);
        line(format!("{} {}", sanitize(&c.stage), c.count), head).render(
            Rect {
                width: w as u16,
                height: 1,
                ..area
            },
            buf,
        );
        line(
            format!("Σ{} p·v {}", compact(c.value), compact(c.weighted)),
            theme.muted(),
        )
        .render(
            Rect {
                y: area.y + 1,
                width: w as u16,
                height: 1,
                ..area
            },
            buf,
        );
        let rows = ((area.height - 2) / CARD_ROWS) as usize;
        let cards = c.cards.iter().enumerate().skip(c.offset).take(rows);
        for (slot, (i, card)) in cards.enumerate() {
            let y = area.y + 2 + slot as u16 * CARD_ROWS;
            let selected = self.focused && i == c.selected;
            render_card(
                card,
                selected,
                theme,
                Rect::new(area.x, y, w as u16, 2),
                buf,
            );
        }
        if c.count == 0 {
            Line::styled(fit("(empty)", w), theme.muted())
                .render(Rect::new(area.x, area.y + 2, w as u16, 1), buf);
        } else if c.offset + rows < c.count {
            let more = format!("↓{}", c.count - c.offset - rows);
            let x = area.x + (w as u16).saturating_sub(more.chars().count() as u16);
            buf.set_string(x, area.bottom() - 1, more, theme.muted());
        }
    }
}

fn render_card(card: &Card, selected: bool, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let w = area.width as usize;
    let mut style = if card.stale {
        Style::new().fg(theme.warning)
    } else {
        Style::new()
    };
    if selected {
        style = style.patch(theme.selected());
    }
    let score = card.probability.map_or("--".to_string(), |p| {
        format!("{:>2.0}", (p * 100.0).min(99.0))
    });
    let mark = if card.stale { "!" } else { " " };
    let score_style = if card.stale {
        style
    } else {
        style.fg(theme.accent)
    };
    Line::from(vec![
        Span::styled(mark, style.add_modifier(Modifier::BOLD)),
        Span::styled(score, score_style),
        Span::styled(fit(&format!(" {}", card.name), w.saturating_sub(3)), style),
    ])
    .style(style)
    .render(Rect { height: 1, ..area }, buf);
    let value = card.deal_value.map(compact).unwrap_or_else(|| "–".into());
    let right = format!(" {value} {}d", card.days_in_stage);
    let left = fit(
        &format!("   {}", card.account),
        w.saturating_sub(right.chars().count()),
    );
    let pad = w.saturating_sub(left.chars().count() + right.chars().count());
    let muted = if card.stale || selected {
        style
    } else {
        theme.muted()
    };
    Line::from(vec![
        Span::styled(left, muted),
        Span::styled(" ".repeat(pad), style),
        Span::styled(right, muted),
    ])
    .style(style)
    .render(
        Rect {
            y: area.y + 1,
            height: 1,
            ..area
        },
        buf,
    );
}
