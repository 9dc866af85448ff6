//! The version picker modal: published rule versions newest first with when, rule count and
//! note; what the selected one changed; the confirmation before a restore.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, Widget, Wrap};

use super::theme::Theme;
use super::{fit, modal_area};
use crate::app::versions::VersionPicker;
use crate::core::clock::format_datetime;
use crate::core::text::sanitize;

/// Version rows shown at once.
const VISIBLE: usize = 10;

pub fn render(picker: &VersionPicker, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let shown = picker
        .versions
        .as_ref()
        .map_or(1, |v| v.len().clamp(1, VISIBLE)) as u16;
    // Borders, header, rows, a blank line, the changes, the keys.
    let rect = modal_area(area, 76, shown + 8, buf);
    let block = Block::bordered()
        .title(" Rules versions · restore an earlier one ")
        .title_style(Style::new().fg(theme.accent));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let Some(versions) = &picker.versions else {
        Paragraph::new("reading the versions…")
            .style(theme.muted())
            .render(inner, buf);
        return;
    };
    let [table_area, changes_area, keys_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(4),
        Constraint::Length(1),
    ])
    .areas(inner);
    let changes_area = Rect {
        y: changes_area.y + 1,
        height: changes_area.height - 1,
        ..changes_area
    };
    // Keep the selection in view.
    let first = picker.selected.saturating_sub(VISIBLE - 1);
    let rows = versions
        .iter()
        .enumerate()
        .skip(first)
        .take(VISIBLE)
        .map(|(i, v)| {
            let row = Row::new(vec![
                format!("v{}", v.version),
                format_datetime(v.published_at),
                v.rules.map_or("?".into(), |n| n.to_string()),
                if v.current {
                    "current".into()
                } else {
                    String::new()
                },
                fit(&sanitize(&v.note), 30),
            ]);
            if i == picker.selected {
                row.style(theme.selected())
            } else if v.current {
                row.style(Style::new().fg(theme.accent))
            } else {
                row
            }
        });
    let header = Row::new(["ver", "published", "rules", "", "note"])
        .style(theme.muted().add_modifier(Modifier::BOLD));
    Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .render(table_area, buf);

    let changes = picker.selected_version().map(|v| match &v.changes {
        Some(d) => format!("v{} vs v{}: {}", v.version, v.version - 1, d.summary()),
        None if v.rules.is_none() => format!("v{}: stored text no longer parses", v.version),
        None => format!("v{}: the first version", v.version),
    });
    Paragraph::new(sanitize(&changes.unwrap_or_default()).into_owned())
        .style(theme.muted())
        .wrap(Wrap { trim: true })
        .render(changes_area, buf);

    let keys = match picker.selected_version() {
        Some(v) if picker.confirming => Line::styled(
            format!(
                "restore version {} as version {}? enter/y restores · esc/n cancels",
                v.version,
                picker.next_version()
            ),
            Style::new().fg(theme.warning).add_modifier(Modifier::BOLD),
        ),
        _ => Line::styled(
            "j/k move · enter restore (asks first) · esc close",
            theme.muted(),
        ),
    };
    Paragraph::new(keys).render(keys_area, buf);
}
