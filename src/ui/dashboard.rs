//! The dashboard view: funnel, win rates, deal size and cycle time, leads per stage over time,
//! and model health (calibration, recent AUC, score distribution, drifted rules). Draws the
//! figures computed on the worker; computes nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline,
    Widget,
};

use super::fit;
use crate::app::App;
use crate::core::dashboard::Dashboard;
use crate::core::model::format_number;
use crate::core::text::sanitize;

pub struct DashboardView<'a> {
    pub app: &'a App,
}

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.0}%", v * 100.0))
}

impl Widget for DashboardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = &self.app.config.theme;
        let Some(d) = &self.app.dashboard else {
            Paragraph::new(
                self.app
                    .status
                    .as_deref()
                    .unwrap_or("computing the dashboard…"),
            )
            .style(theme.muted())
            .render(area, buf);
            return;
        };
        let title = |t: &str| {
            Block::new()
                .borders(Borders::TOP)
                .title(format!(" {t} "))
                .title_style(Style::new().fg(theme.accent).add_modifier(Modifier::BOLD))
        };
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(area);
        let [funnel_a, sales_a] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(top);
        let [health_a, dist_a] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(bottom);

        let mut lines = Vec::new();
        for f in &d.funnel {
            lines.push(Line::from(format!(
                "{:<12}{:>6}  {}",
                fit(&sanitize(&f.stage), 12),
                f.reached,
                f.conversion
                    .map_or(String::new(), |c| format!("→ {:.0}%", c * 100.0))
            )));
        }
        lines.push(Line::from(format!(
            "avg deal {} · median cycle {}",
            d.avg_deal_size
                .map_or("—".into(), |v| format_number(v.round())),
            d.median_cycle_days
                .map_or("—".into(), |c| format!("{c:.0} d"))
        )));
        Paragraph::new(lines)
            .block(title("Funnel (reached → conversion)"))
            .render(funnel_a, buf);

        let mut lines = vec![Line::styled("win rate by source", theme.muted())];
        for w in d.by_source.iter().take(3) {
            lines.push(Line::from(format!(
                "{:<16}{:>5} of {:<4}",
                fit(&sanitize(&w.group), 16),
                pct(w.rate()),
                w.closed
            )));
        }
        lines.push(Line::styled("win rate by owner", theme.muted()));
        for w in d.by_owner.iter().take(3) {
            lines.push(Line::from(format!(
                "{:<16}{:>5} of {:<4}",
                fit(&sanitize(&w.group), 16),
                pct(w.rate()),
                w.closed
            )));
        }
        let open: Vec<u64> = d
            .stage_history
            .iter()
            .filter(|(s, _)| !matches!(s.as_str(), "Won" | "Lost" | "Nurture"))
            .fold(vec![0; d.snapshot_times.len()], |mut acc, (_, v)| {
                for (a, x) in acc.iter_mut().zip(v) {
                    *a += x;
                }
                acc
            });
        let [text_a, spark_a] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(2)]).areas(sales_a);
        Paragraph::new(lines)
            .block(title("Sales"))
            .render(text_a, buf);
        Sparkline::default()
            .data(&open)
            .style(Style::new().fg(theme.bar))
            .block(Block::new().title(format!(
                "open leads, {} weeks: {}",
                open.len(),
                open.last().copied().unwrap_or(0)
            )))
            .render(spark_a, buf);

        render_health(d, self.app, health_a, buf, title("Model health"));

        let bars: Vec<Bar> = d
            .score_histogram
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                Bar::default()
                    .value(n)
                    .text_value(compact_count(n))
                    .label(Line::from(format!("{}", i * 10)))
            })
            .collect();
        // As wide as the panel allows, one column apart, so that each bar's count stays
        // readable instead of running into its neighbour's.
        let slots = dist_a.width.saturating_sub(2) / bars.len().max(1) as u16;
        BarChart::default()
            .block(title("Score distribution"))
            .data(BarGroup::default().bars(&bars))
            .bar_width(slots.saturating_sub(1).max(3))
            .bar_gap(u16::from(slots > 3))
            .bar_style(Style::new().fg(theme.bar))
            .render(dist_a, buf);
    }
}

fn render_health(d: &Dashboard, app: &App, area: Rect, buf: &mut Buffer, block: Block) {
    let theme = &app.config.theme;
    let mut lines = vec![
        Line::from(format!(
            "AUC {} (last {})",
            d.auc_recent.map_or("—".into(), |a| format!("{a:.2}")),
            d.recent_n
        )),
        Line::from(format!("labelled {}", d.labelled)),
    ];
    match d.calibration_error() {
        Some(e) => {
            lines.push(Line::from(format!("calibration gap {:.1} pts", e * 100.0)));
            lines.push(Line::styled(
                "chart: deciles, diagonal = ideal",
                theme.muted(),
            ));
        }
        None => lines.push(Line::styled("no labelled outcomes yet", theme.muted())),
    }
    match d.drifted.first() {
        Some(r) => lines.push(Line::styled(
            format!(
                "drift: {} {:+}→{:+} ({} rules)",
                fit(&sanitize(&r.name), 16),
                r.prior_points,
                r.learned_points.unwrap_or(r.prior_points),
                d.drifted.len()
            ),
            Style::new().fg(theme.warning),
        )),
        None => lines.push(Line::styled(
            "no rule drifted far from its prior",
            theme.muted(),
        )),
    }
    let inner = block.inner(area);
    block.render(area, buf);
    let [text_a, chart_a] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(inner);
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: true })
        .render(text_a, buf);
    // Predicted vs observed per decile, beside the diagonal a calibrated model follows.
    let points: Vec<(f64, f64)> = d
        .calibration
        .iter()
        .filter(|b| b.n > 0)
        .map(|b| (b.predicted, b.observed))
        .collect();
    let ideal = [(0.0, 0.0), (1.0, 1.0)];
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.muted())
            .data(&ideal),
        Dataset::default()
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(Style::new().fg(theme.accent))
            .data(&points),
    ];
    let labels = || vec![Line::from("0"), Line::from("1")];
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .title("pred")
                .bounds([0.0, 1.0])
                .labels(labels())
                .style(theme.muted()),
        )
        .y_axis(
            Axis::default()
                .title("obs")
                .bounds([0.0, 1.0])
                .labels(labels())
                .style(theme.muted()),
        )
        .render(chart_a, buf);
}

/// A count in at most four characters: 999, 1.2k, 12k, 123k, 1.2M.
fn compact_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=9_999 => format!("{:.1}k", n as f64 / 1e3),
        10_000..=999_999 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod compact_tests {
    #[test]
    fn counts_fit_four_characters() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1_250, "1.2k"),
            (12_345, "12k"),
            (885_544, "885k"),
            (1_000_000, "1.0M"),
        ] {
            assert_eq!(super::compact_count(n), want);
            assert!(super::compact_count(n).chars().count() <= 4);
        }
    }
}
