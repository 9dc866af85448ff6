//! The console's colours: named roles (positive, negative, accent…), overridable in config.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// Colours by role. Sign-carrying roles: `positive` (green) and `negative` (red).
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub accent: Color,
    pub positive: Color,
    pub negative: Color,
    pub warning: Color,
    pub muted: Color,
    pub text: Color,
    pub selection_bg: Color,
    pub highlight: Color,
    pub bar: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            accent: Color::Cyan,
            positive: Color::Green,
            negative: Color::Red,
            warning: Color::Yellow,
            muted: Color::DarkGray,
            text: Color::Reset,
            selection_bg: Color::Blue,
            highlight: Color::Yellow,
            bar: Color::Cyan,
        }
    }
}

impl Theme {
    /// The roles that can be set in `[theme]`.
    pub const ROLES: [&'static str; 9] = [
        "accent",
        "positive",
        "negative",
        "warning",
        "muted",
        "text",
        "selection_bg",
        "highlight",
        "bar",
    ];

    /// Sets one role from config (`red`, `lightblue`, `#ff8800`, `42`).
    pub fn set(&mut self, role: &str, value: &str) -> Result<(), String> {
        let color = Color::from_str(value.trim()).map_err(|_| {
            format!("colour {value:?} for {role:?} is not a colour; use a name like red or lightblue, #rrggbb, or 0–255")
        })?;
        let slot = match role {
            "accent" => &mut self.accent,
            "positive" => &mut self.positive,
            "negative" => &mut self.negative,
            "warning" => &mut self.warning,
            "muted" => &mut self.muted,
            "text" => &mut self.text,
            "selection_bg" => &mut self.selection_bg,
            "highlight" => &mut self.highlight,
            "bar" => &mut self.bar,
            _ => {
                return Err(format!(
                    "unknown theme role {role:?}; roles are {}",
                    Self::ROLES.join(", ")
                ));
            }
        };
        *slot = color;
        Ok(())
    }

    pub fn title(&self) -> Style {
        Style::new().fg(self.accent).add_modifier(Modifier::BOLD)
    }

    pub fn muted(&self) -> Style {
        Style::new().fg(self.muted)
    }

    pub fn selected(&self) -> Style {
        Style::new()
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }

    /// Green for a positive amount, red for a negative one.
    pub fn signed(&self, value: f64) -> Style {
        if value < 0.0 {
            Style::new().fg(self.negative)
        } else {
            Style::new().fg(self.positive)
        }
    }

    pub fn key(&self) -> Style {
        Style::new().fg(self.accent).add_modifier(Modifier::BOLD)
    }
}
