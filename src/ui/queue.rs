//! The queue view: header with the sort key and filter, the ranked table (only the built page),
//! and a line saying why the selected lead is where it is.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, StatefulWidget, Table, TableState, Widget};

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::app::queue::{DueState, Movement, QueueRow};
use crate::app::scoring::SORT_LABEL;
use crate::core::text::sanitize;

/// Width from which the "top reason" column is shown.
const REASON_MIN_WIDTH: u16 = 110;

pub struct QueueView<'a> {
    pub app: &'a App,
}

impl Widget for QueueView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.config.theme;
        let [header, table, why] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let q = &app.queue;
        Line::from(vec![
            Span::styled(" leadq ", theme.title()),
            Span::styled(sanitize(&app.book.label).into_owned(), theme.muted()),
            Span::raw(format!(
                "  {} of {} · {} · ",
                q.visible_len,
                q.queue_len,
                q.filter.describe()
            )),
            if app.preview {
                let loading = match app.load_progress {
                    Some((read, of)) if of > 0 && read <= of => {
                        format!("loading {}%", read * 100 / of)
                    }
                    _ => "loading the book…".to_string(),
                };
                Span::styled(
                    format!("ranked as at the last close · {loading}"),
                    Style::new().fg(theme.warning),
                )
            } else {
                Span::styled(
                    if app.scoring.is_some() {
                        SORT_LABEL
                    } else {
                        "sort: lead id (no scorecard)"
                    },
                    Style::new().fg(theme.accent),
                )
            },
        ])
        .render(header, buf);
        let selected = q.selected.checked_sub(q.offset);
        QueueTable {
            rows: &q.page,
            selected,
            theme,
        }
        .render(table, buf);
        let line = match selected.and_then(|i| q.page.get(i)) {
            None if q.queue_len == 0 => Line::styled(" no open leads in this book", theme.muted()),
            None => Line::styled(" no lead matches the filter — c clears it", theme.muted()),
            Some(row) => why_line(row, app, theme),
        };
        line.render(why, buf);
    }
}

fn why_line<'a>(row: &'a QueueRow, app: &'a App, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!(" #{} ", row.rank), theme.title())];
    match &row.top_reason {
        Some(reason) => {
            if let Some(p) = app.queue.priority_at(app.queue.selected) {
                spans.push(Span::styled(format!("{} · ", p.words()), theme.muted()));
            }
            spans.push(Span::raw(reason.clone()));
        }
        None => {
            let note = app
                .book
                .lead(row.id)
                .and_then(|l| l.next_action)
                .map(|n| sanitize(&n.note).into_owned());
            match note {
                Some(note) => {
                    spans.push(Span::raw(format!("next: {} ({})", note, row.next_action)))
                }
                None => spans.push(Span::styled("no next action planned", theme.muted())),
            }
        }
    }
    Line::from(spans)
}

/// The ranked table of one page of rows.
pub struct QueueTable<'a> {
    pub rows: &'a [QueueRow],
    /// Index of the selected row within `rows`.
    pub selected: Option<usize>,
    pub theme: &'a Theme,
}

/// `▲3`, `▼2`, `new`, or nothing.
fn movement(m: Movement, theme: &Theme) -> Span<'static> {
    match m {
        Movement::Up(n) => Span::styled(format!("▲{n}"), Style::new().fg(theme.positive)),
        Movement::Down(n) => Span::styled(format!("▼{n}"), Style::new().fg(theme.negative)),
        Movement::New => Span::styled("new", Style::new().fg(theme.accent)),
        Movement::Same => Span::raw(""),
    }
}

/// A five-cell bar and the percentage, e.g. `███░░ 62%`.
pub fn score_cell(p: Option<f64>, theme: &Theme) -> Line<'static> {
    match p {
        None => Line::styled("  –", theme.muted()),
        Some(p) => {
            let p = p.clamp(0.0, 1.0);
            let eighths = (p * 40.0).round() as usize;
            let mut bar = "█".repeat(eighths / 8);
            if !eighths.is_multiple_of(8) {
                bar.push([' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8]);
            }
            let pad = 5 - bar.chars().count();
            Line::from(vec![
                Span::styled(bar, Style::new().fg(theme.bar)),
                Span::styled("░".repeat(pad), theme.muted()),
                Span::raw(format!("{:>4}", format!("{:.0}%", p * 100.0))),
            ])
        }
    }
}

impl Widget for QueueTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let wide = area.width >= REASON_MIN_WIDTH;
        let mut widths = vec![
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Length(9),
            Constraint::Fill(3),
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Fill(1),
            Constraint::Length(11),
        ];
        let mut titles = vec![
            "#", "", "score", "name", "account", "stage", "owner", "next",
        ];
        if wide {
            widths.push(Constraint::Fill(3));
            titles.push("top reason");
        }
        let header = Row::new(titles).style(theme.muted().add_modifier(Modifier::UNDERLINED));
        let rows = self.rows.iter().map(|r| {
            let due_style = match r.due {
                DueState::Overdue => Style::new().fg(theme.negative),
                DueState::Today => Style::new().fg(theme.warning),
                DueState::Later | DueState::None => Style::new(),
            };
            let mut cells = vec![
                Cell::from(format!("{:>4}", r.rank)),
                Cell::from(movement(r.movement, theme)),
                Cell::from(score_cell(r.probability, theme)),
                Cell::from(r.name.as_str()),
                Cell::from(Span::styled(r.account.as_str(), theme.muted())),
                Cell::from(r.stage.as_str()),
                Cell::from(r.owner.as_str()),
                Cell::from(Span::styled(fit(&r.next_action, 11), due_style)),
            ];
            if wide {
                cells.push(Cell::from(r.top_reason.clone().unwrap_or_default()));
            }
            Row::new(cells)
        });
        let table = Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .row_highlight_style(theme.selected());
        let mut state = TableState::default().with_selected(self.selected);
        StatefulWidget::render(table, area, buf, &mut state);
    }
}
