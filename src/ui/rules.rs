//! The rules admin view: the rule table (prior, learned, evidence, matches, lift), the selected
//! rule's weight-history sparkline, the what-if preview, and the rule form.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Sparkline, Table, Widget};

use super::text_input::TextField;
use super::theme::Theme;
use super::{fit, modal_area};
use crate::app::App;
use crate::app::admin::{RuleField, RuleForm};
use crate::app::admin_data::Preview;
use crate::core::text::sanitize;
use crate::core::weights::points_from_weight;

pub struct RulesView<'a> {
    pub app: &'a App,
}

fn dash() -> String {
    "—".into()
}

impl Widget for RulesView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.config.theme;
        let admin = &app.admin;
        let Some(data) = &admin.data else {
            Paragraph::new("reading the rules…")
                .style(theme.muted())
                .render(area, buf);
            return;
        };
        let draft = if admin.draft.is_some() {
            " · DRAFT (unpublished)"
        } else {
            ""
        };
        let title = format!(
            " Rules · version {} · {} rules{draft} ",
            data.version,
            admin.rules().len()
        );
        if let Some(p) = &admin.preview {
            render_preview(p, &title, theme, area, buf);
            return;
        }
        let [table_area, spark_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(4)]).areas(area);
        let header = Row::new(["rule", "kind", "prior", "learned", "evid", "match", "lift"])
            .style(theme.muted().add_modifier(Modifier::BOLD));
        let index = app.scoring.as_ref().map(|s| &s.index);
        let rows = admin.rules().iter().enumerate().map(|(i, r)| {
            let st = data.stats.get(&r.name);
            let mut flags = String::new();
            if r.locked {
                flags.push('🔒');
            }
            if !r.enabled {
                flags.push_str(" off");
            }
            let name = format!(
                "{}{}",
                sanitize(&r.name),
                if flags.is_empty() {
                    String::new()
                } else {
                    format!(" {flags}")
                }
            );
            let row = Row::new(vec![
                fit(&name, 30),
                r.kind.as_str().to_string(),
                format!("{:+}", r.points),
                st.and_then(|s| s.learned_points)
                    .map_or_else(dash, |p| format!("{p:+}")),
                st.map_or_else(dash, |s| s.evidence.to_string()),
                index.map_or_else(dash, |ix| ix.matches(r.id).to_string()),
                st.and_then(|s| s.lift)
                    .map_or_else(dash, |l| format!("{l:.2}×")),
            ]);
            let row = if !r.enabled {
                row.style(theme.muted())
            } else {
                row
            };
            if i == admin.selected {
                row.style(theme.selected())
            } else {
                row
            }
        });
        Table::new(
            rows,
            [
                Constraint::Fill(1),
                Constraint::Length(10),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Length(5),
                Constraint::Length(6),
                Constraint::Length(6),
            ],
        )
        .header(header)
        .block(
            Block::new()
                .borders(Borders::TOP)
                .title(title)
                .title_style(Style::new().fg(theme.accent)),
        )
        .render(table_area, buf);

        let selected = admin.selected_rule();
        let stats = selected.and_then(|r| data.stats.get(&r.name));
        // The newest changes that fit, scaled to their own range.
        let history: Vec<u64> = stats
            .map(|s| {
                let shown = &s.history[s.history.len().saturating_sub(spark_area.width.into())..];
                let pts: Vec<i32> = shown.iter().map(|&w| points_from_weight(w)).collect();
                let lo = pts.iter().copied().min().unwrap_or(0);
                pts.iter().map(|&p| (p - lo) as u64 + 1).collect()
            })
            .unwrap_or_default();
        let label = match selected {
            Some(r) => format!(
                " weight history · {} · {} · {} changes ",
                fit(&sanitize(&r.name), 28),
                fit(&sanitize(r.condition.source()), 24),
                stats.map_or(0, |s| s.changes)
            ),
            None => " weight history ".into(),
        };
        let block = Block::new()
            .borders(Borders::TOP)
            .title(label)
            .title_style(theme.muted());
        if history.is_empty() {
            Paragraph::new("no learned changes yet (prior in use)")
                .style(theme.muted())
                .block(block)
                .render(spark_area, buf);
        } else {
            Sparkline::default()
                .data(&history)
                .style(Style::new().fg(theme.accent))
                .block(block)
                .render(spark_area, buf);
        }
    }
}

fn render_preview(p: &Preview, title: &str, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(
            "{}· what-if preview ",
            title.trim_end_matches(' ').to_string() + " "
        ))
        .title_style(Style::new().fg(theme.accent));
    let inner = block.inner(area);
    block.render(area, buf);
    let [summary, cols] =
        Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(inner);
    Paragraph::new(vec![
        Line::from(format!(
            "{} of {} leads change score · mean {:.1} pts · max {} pts",
            p.changed, p.leads, p.mean_change, p.max_change
        )),
        Line::styled(
            "P publishes · X discards the draft · esc back to the table",
            theme.muted(),
        ),
    ])
    .render(summary, buf);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(cols);
    let mut before = vec![Line::styled(
        "top now",
        theme.muted().add_modifier(Modifier::BOLD),
    )];
    for (i, (_, name)) in p.before_top.iter().enumerate() {
        before.push(Line::from(format!(
            "{:>2} {}",
            i + 1,
            fit(&sanitize(name), 26)
        )));
    }
    Paragraph::new(before).render(left, buf);
    let mut after = vec![Line::styled(
        "top with the draft",
        theme.muted().add_modifier(Modifier::BOLD),
    )];
    for r in &p.after_top {
        let (mark, style) = match r.before_rank {
            Some(b) if b > r.after_rank => (
                format!("▲{}", b - r.after_rank),
                Style::new().fg(theme.positive),
            ),
            Some(b) if b < r.after_rank => (
                format!("▼{}", r.after_rank - b),
                Style::new().fg(theme.negative),
            ),
            Some(_) => ("  ".into(), theme.muted()),
            None => ("new".into(), Style::new().fg(theme.accent)),
        };
        after.push(Line::from(vec![
            Span::raw(format!("{:>2} ", r.after_rank)),
            Span::styled(format!("{mark:<5}"), style),
            Span::raw(fit(&sanitize(&r.name), 22)),
            Span::styled(
                format!(" {:+}→{:+}", r.before_points, r.after_points),
                theme.muted(),
            ),
        ]));
    }
    Paragraph::new(after).render(right, buf);
}

/// Draws the rule form; returns where the cursor goes.
pub fn render_form(
    form: &RuleForm,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Option<Position> {
    let rect = modal_area(area, 72, 13, buf);
    let title = if form.editing.is_some() {
        " Edit rule "
    } else {
        " Add rule "
    };
    let block = Block::bordered()
        .title(title)
        .title_style(Style::new().fg(theme.accent));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let rows = Layout::vertical([Constraint::Length(1); 11]).split(inner);
    let mut cursor = None;
    let fields = [
        (RuleField::Name, "name", &form.name, &form.name_error, 0),
        (RuleField::When, "when", &form.when, &None, 3),
        (
            RuleField::Points,
            "points",
            &form.points,
            &form.points_error,
            6,
        ),
    ];
    for (field, label, input, error, y) in fields {
        let [l, f] =
            Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(rows[y]);
        Paragraph::new(label).style(theme.muted()).render(l, buf);
        let tf = TextField {
            input,
            placeholder: "",
            focused: form.field == field,
            theme,
        };
        (&tf).render(f, buf);
        if form.field == field {
            cursor = Some(tf.cursor_position(f));
        }
        let err_area = Rect {
            x: f.x,
            width: f.width,
            ..rows[y + 1]
        };
        let err = if field == RuleField::When {
            form.when_error.as_ref().map(|(col, msg)| {
                format!(
                    "{}^ column {col}: {msg}",
                    " ".repeat(col.saturating_sub(1).min(60))
                )
            })
        } else {
            error.clone()
        };
        if let Some(e) = err {
            Paragraph::new(fit(&e, f.width as usize))
                .style(Style::new().fg(theme.negative))
                .render(err_area, buf);
        }
    }
    let [l, f] = Layout::horizontal([Constraint::Length(8), Constraint::Fill(1)]).areas(rows[8]);
    Paragraph::new("kind").style(theme.muted()).render(l, buf);
    let kind_style = if form.field == RuleField::Kind {
        theme.selected()
    } else {
        Style::new().fg(theme.accent)
    };
    Paragraph::new(format!("‹ {} ›", form.kind.as_str()))
        .style(kind_style)
        .render(f, buf);
    Paragraph::new("tab next field · ←→ kind · enter save to draft · esc cancel")
        .style(theme.muted())
        .render(rows[10], buf);
    if form.field == RuleField::Kind {
        None
    } else {
        cursor
    }
}
