//! The accounts view: accounts ranked by their leads' roll-up (the formula in the header),
//! and the selected account's leads with score, stage and owner.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::board::compact;
use super::fit;
use crate::app::App;
use crate::app::accounts::{AccountsState, ROLLUP_LABEL};
use crate::core::text::sanitize;

pub struct AccountsView<'a> {
    pub app: &'a App,
}

impl Widget for AccountsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.config.theme;
        let a = &app.accounts;
        let w = area.width as usize;
        let mut y = area.y;
        let mut put = |line: Line, buf: &mut Buffer| {
            if y < area.bottom() {
                line.render(Rect::new(area.x, y, area.width, 1), buf);
            }
            y += 1;
        };
        put(
            Line::from(vec![
                Span::styled(" leadq ", theme.title()),
                Span::styled(sanitize(&app.book.label).into_owned(), theme.muted()),
                Span::raw(format!("  {} accounts · ", a.rows.len())),
                Span::styled(ROLLUP_LABEL, Style::new().fg(theme.accent)),
            ]),
            buf,
        );
        let name_w = w.saturating_sub(43).max(8);
        put(
            Line::styled(
                format!(
                    " {:<name_w$} {:>4} {:>5} {:>4} {:>4} {:>8} {:>8}",
                    "account", "open", "Σp", "best", "eng", "pipeline", "p×value"
                ),
                theme.muted(),
            ),
            buf,
        );
        let (acc_rows, lead_rows) = AccountsState::list_rows(area.height + 1);
        for i in a.offset..a.offset + acc_rows {
            let Some(r) = a.rows.get(i) else {
                put(Line::raw(""), buf);
                continue;
            };
            let text = format!(
                " {:<name_w$} {:>4} {:>5.2} {:>3.0}% {:>4} {:>8} {:>8}",
                fit(&a.name(i, app.scoring.as_ref()), name_w),
                r.open,
                r.expected_wins,
                r.best_p * 100.0,
                r.engaged,
                compact(r.pipeline),
                compact(r.weighted)
            );
            let style = if i == a.selected {
                if a.in_leads {
                    Style::new().fg(theme.accent)
                } else {
                    theme.selected()
                }
            } else {
                Style::new()
            };
            put(Line::styled(fit(&text, w), style), buf);
        }
        let title = a.rows.get(a.selected).map_or(String::new(), |r| {
            format!(
                " leads of {} ({}) · score stage owner",
                a.name(a.selected, app.scoring.as_ref()),
                r.leads
            )
        });
        put(Line::styled(fit(&title, w), theme.title()), buf);
        let lname_w = w.saturating_sub(36).max(8);
        for i in a.lead_offset..a.lead_offset + lead_rows {
            let Some(l) = a.leads.get(i) else {
                break;
            };
            let score = l
                .probability
                .map_or("--".into(), |p| format!("{:>2.0}", (p * 100.0).min(99.0)));
            // Read as drawn: a dozen rows of an account that may hold thousands of leads.
            let text = match app.book.lead(l.id) {
                Some(lead) => format!(
                    "  {score} {:<lname_w$} {:<12} {:<16}",
                    fit(&sanitize(&lead.name), lname_w),
                    fit(&sanitize(&lead.stage), 12),
                    fit(&sanitize(&lead.owner), 16)
                ),
                None => format!("  {score} lead {} could not be read (see the log)", l.id),
            };
            let style = if a.in_leads && i == a.lead_selected {
                theme.selected()
            } else {
                Style::new()
            };
            put(Line::styled(fit(&text, w), style), buf);
        }
        if a.rows.is_empty() {
            Line::styled(" no lead names an account", theme.muted())
                .render(Rect::new(area.x, area.y + 2, area.width, 1), buf);
        }
    }
}
