//! The lead-detail view: fields and custom attributes, the score explanation as a waterfall of
//! contributions (green adds, red subtracts), the next action and the activity timeline.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::app::action::DetailData;
use crate::app::detail::ExplanationView;
use crate::core::clock::{format_age, format_date, format_datetime};
use crate::core::model::{ActivityKind, Lead, Timestamp, format_number};
use crate::core::text::sanitize;

/// Width of the explanation pane from which evidence fits beside its rule.
const WIDE: u16 = 60;

pub struct DetailView<'a> {
    pub app: &'a App,
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.config.theme;
        let Some(detail) = &app.detail else {
            return;
        };
        let Some(data) = &detail.data else {
            Line::styled(" reading the lead…", theme.muted()).render(area, buf);
            return;
        };
        let lead = &data.lead;
        let [title, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let rank = detail
            .rank
            .map_or(String::from("not in the queue"), |r| format!("rank {r}"));
        Line::from(vec![
            Span::styled(
                format!(" #{} {} ", lead.id, sanitize(&lead.name)),
                theme.title(),
            ),
            Span::styled(
                format!("{} · {}", sanitize(&lead.stage), rank),
                theme.muted(),
            ),
        ])
        .render(title, buf);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(body);
        let fields = field_lines(lead, app.now, theme);
        // Page keys scroll the fields and the timeline; never past their last line.
        let fields_scroll = detail
            .scroll
            .min((fields.len() as u16).saturating_sub(left.height.saturating_sub(1)));
        Paragraph::new(fields)
            .scroll((fields_scroll, 0))
            .block(
                Block::new()
                    .borders(Borders::RIGHT)
                    .border_style(theme.muted()),
            )
            .render(left, buf);
        let expl_height = detail
            .explanation
            .as_ref()
            .map_or(3, |e| {
                let per = if right.width < WIDE { 2 } else { 1 };
                e.contributions.len() as u16 * per + 4
            })
            .min(right.height.saturating_sub(4));
        let [why, timeline] =
            Layout::vertical([Constraint::Length(expl_height), Constraint::Fill(1)]).areas(right);
        match &detail.explanation {
            Some(e) => Waterfall {
                explanation: e,
                theme,
            }
            .render(why, buf),
            None => Paragraph::new(vec![
                Line::styled(" Why this score", theme.title()),
                Line::styled(
                    " No scorecard for this book yet; rules give leads their score.",
                    theme.muted(),
                ),
            ])
            .wrap(Wrap { trim: false })
            .render(why, buf),
        }
        Timeline {
            data,
            theme,
            scroll: detail.scroll,
        }
        .render(timeline, buf);
    }
}

fn field_lines<'a>(lead: &'a Lead, now: Timestamp, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut field = |label: &'static str, value: String| {
        if !value.trim().is_empty() {
            lines.push(Line::from(vec![
                Span::styled(format!(" {label:<10} "), theme.muted()),
                Span::raw(sanitize(&value).into_owned()),
            ]));
        }
    };
    field("email", lead.email.clone());
    field("phone", lead.phone.clone());
    field("title", lead.title.clone());
    field("account", lead.account.clone());
    field("source", lead.source.clone());
    field("country", lead.country.clone());
    field("industry", lead.industry.clone());
    field(
        "employees",
        lead.employees.map(|e| e.to_string()).unwrap_or_default(),
    );
    field("owner", lead.owner.clone());
    field(
        "stage",
        format!(
            "{} for {}",
            lead.stage,
            format_age(now - lead.stage_entered)
        ),
    );
    field(
        "value",
        lead.deal_value.map(format_number).unwrap_or_default(),
    );
    field("created", format_date(lead.created));
    let next = match &lead.next_action {
        None => Line::styled(" next       nothing planned", theme.muted()),
        Some(n) => {
            let style = if n.due < now {
                Style::new().fg(theme.negative)
            } else {
                Style::new().fg(theme.accent)
            };
            Line::from(vec![
                Span::styled(" next       ", theme.muted()),
                Span::styled(format!("{} ", format_datetime(n.due)), style),
                Span::raw(sanitize(&n.note).into_owned()),
            ])
        }
    };
    lines.push(next);
    if !lead.attrs.is_empty() {
        lines.push(Line::styled(" attributes", theme.title()));
        for (k, v) in &lead.attrs {
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", fit(&sanitize(k), 16)), theme.muted()),
                Span::raw(sanitize(&v.display()).into_owned()),
            ]));
        }
    }
    lines
}

/// Base points, then each contribution as a step of a waterfall whose sign is its colour.
pub struct Waterfall<'a> {
    pub explanation: &'a ExplanationView,
    pub theme: &'a Theme,
}

impl Widget for Waterfall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let e = self.explanation;
        let theme = self.theme;
        let mut lines = vec![Line::from(vec![
            Span::styled(" Why this score ", theme.title()),
            Span::raw(format!(
                "{:.0}% · {} pts",
                e.probability * 100.0,
                e.points_total
            )),
        ])];
        // The bar track spans the lowest to highest running total.
        let mut running = e.base_points;
        let (mut lo, mut hi) = (running.min(0), running.max(0));
        for c in &e.contributions {
            running += c.points;
            lo = lo.min(running);
            hi = hi.max(running);
        }
        let track = 10usize;
        let wide = area.width >= WIDE;
        let span = (hi - lo).max(1) as f64;
        let pos = |v: i32| (((v - lo) as f64 / span) * (track - 1) as f64).round() as usize;
        let name_w = (area.width as usize)
            .saturating_sub(track + 12)
            .clamp(8, 18);
        let bar = |from: i32, to: i32, style: Style| {
            let (a, b) = (pos(from.min(to)), pos(from.max(to)));
            let mut spans = vec![Span::raw(" ".repeat(a))];
            spans.push(Span::styled("█".repeat(b - a + 1), style));
            spans.push(Span::raw(" ".repeat(track - 1 - b)));
            spans
        };
        let mut base = vec![Span::styled(
            format!(" {:<name_w$}{:>5} ", "base points", e.base_points),
            theme.muted(),
        )];
        base.extend(bar(0, e.base_points, theme.muted()));
        lines.push(Line::from(base));
        let mut running = e.base_points;
        for c in &e.contributions {
            let style = theme.signed(c.points as f64);
            let mut spans = vec![
                Span::raw(format!(" {:<name_w$}", fit(&sanitize(&c.rule), name_w))),
                Span::styled(
                    format!("{:>+5} ", c.points),
                    style.add_modifier(Modifier::BOLD),
                ),
            ];
            spans.extend(bar(running, running + c.points, style));
            let evidence = Span::styled(format!(" {}", sanitize(&c.evidence)), theme.muted());
            if wide {
                spans.push(evidence);
                lines.push(Line::from(spans));
            } else {
                lines.push(Line::from(spans));
                lines.push(Line::from(vec![Span::raw("  "), evidence]));
            }
            running += c.points;
        }
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<name_w$}", "total"), theme.title()),
            Span::styled(format!("{:>5}", e.points_total), theme.title()),
        ]));
        Paragraph::new(lines).render(area, buf);
    }
}

/// The lead's activity, newest first, with logged outcomes.
struct Timeline<'a> {
    data: &'a DetailData,
    theme: &'a Theme,
    /// Activities skipped from the newest (clamped so the oldest stays reachable).
    scroll: u16,
}

impl Widget for Timeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut lines = vec![Line::styled(
            format!(" Timeline ({})", self.data.activities.len()),
            theme.title(),
        )];
        let shown = area.height.saturating_sub(1) as usize;
        let skip = (self.scroll as usize).min(self.data.activities.len().saturating_sub(shown));
        if skip > 0 {
            lines[0].push_span(Span::styled(
                format!(" · {skip} newer above (PgUp)"),
                theme.muted(),
            ));
        }
        for a in self.data.activities.iter().rev().skip(skip) {
            let (what, style) = match &a.kind {
                ActivityKind::Signal(s) => (s.label().to_string(), Style::new()),
                ActivityKind::Outcome(o) => {
                    (format!("outcome: {o}"), Style::new().fg(theme.accent))
                }
                ActivityKind::StageChange { from, to } => (
                    format!("stage {} → {}", sanitize(from), sanitize(to)),
                    Style::new().fg(theme.warning),
                ),
                ActivityKind::Note => ("note".to_string(), Style::new()),
            };
            let detail = if a.detail.is_empty() {
                String::new()
            } else {
                format!(" — {}", sanitize(&a.detail))
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", format_date(a.at)), theme.muted()),
                Span::styled(what, style),
                Span::styled(detail, theme.muted()),
            ]));
        }
        if self.data.activities.is_empty() {
            lines.push(Line::styled(" no activity yet", theme.muted()));
        }
        let rows = area.height as usize;
        if lines.len() > rows && rows >= 2 {
            let older = lines.len() - (rows - 1);
            lines.truncate(rows - 1);
            lines.push(Line::styled(
                format!(" … {older} older (PgDn)"),
                theme.muted(),
            ));
        }
        Paragraph::new(lines).render(area, buf);
    }
}
