//! The console's settings from `config.toml`: who "me" is, the keymap and the theme, on top
//! of embedded defaults. Errors name the file and line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::action::Action;
use super::keymap::{KeyBinding, KeyMode, Keymap};
use crate::ui::theme::Theme;

/// The defaults, also a commented example of every setting.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// The user's name as it appears in the owner field (the "mine" filter).
    pub me: Option<String>,
    pub keymap: Keymap,
    pub theme: Theme,
}

/// A config file that could not be used, with where the problem is.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    me: Option<String>,
    #[serde(default)]
    keys: BTreeMap<KeyMode, BTreeMap<String, Action>>,
    #[serde(default)]
    theme: BTreeMap<String, String>,
}

impl Config {
    /// The embedded defaults.
    pub fn defaults() -> Config {
        let mut config = Config::default();
        config
            .apply(DEFAULT_CONFIG, "(built-in defaults)")
            .expect("the embedded default config is valid");
        config
    }

    /// Defaults, then the user's file if it exists.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let mut config = Config::defaults();
        match std::fs::read_to_string(path) {
            Ok(text) => config.apply(&text, &path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ConfigError {
                    file: path.display().to_string(),
                    line: 0,
                    message: format!("cannot read: {e}"),
                });
            }
        }
        Ok(config)
    }

    /// Applies the settings in `text` over the current ones.
    pub fn apply(&mut self, text: &str, file: &str) -> Result<(), ConfigError> {
        let err = |line: usize, message: String| ConfigError {
            file: file.to_string(),
            line,
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_at(text, s.start));
            err(line, e.message().trim().to_string())
        })?;
        if let Some(me) = raw.me {
            let me = me.trim().to_string();
            self.me = (!me.is_empty()).then_some(me);
        }
        for (mode, keys) in raw.keys {
            for (key, action) in keys {
                let binding = KeyBinding::parse(&key)
                    .map_err(|m| err(line_of(text, &key), format!("[keys.{mode:?}] {m}")))?;
                if !Action::BINDABLE.contains(&action) {
                    return Err(err(
                        line_of(text, &key),
                        format!("action {action:?} cannot be bound to a key"),
                    ));
                }
                self.keymap.bind(mode, binding, action);
            }
        }
        for (role, value) in raw.theme {
            self.theme
                .set(&role, &value)
                .map_err(|m| err(line_of(text, &role), m))?;
        }
        Ok(())
    }
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// 1-based line where `key` is set (`key =` or `"key" =`); 0 when not found.
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix(&format!("\"{key}\""))
                .or_else(|| l.strip_prefix(&format!("'{key}'")))
                .or_else(|| l.strip_prefix(key));
            rest.is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[test]
    fn user_settings_override_defaults_and_keep_the_rest() {
        let mut c = Config::defaults();
        c.apply(
            "me = \"Ana Ruiz\"\n[keys.queue]\nx = \"log_outcome\"\n[theme]\nnegative = \"#ff0000\"\n",
            "config.toml",
        )
        .unwrap();
        assert_eq!(c.me.as_deref(), Some("Ana Ruiz"));
        let x = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
        let l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::NONE);
        assert_eq!(
            c.keymap.action_for(KeyMode::Queue, &x),
            Some(Action::LogOutcome)
        );
        assert_eq!(
            c.keymap.action_for(KeyMode::Queue, &l),
            Some(Action::LogOutcome)
        );
        assert_eq!(c.theme.negative, ratatui::style::Color::Rgb(255, 0, 0));
    }

    #[test]
    fn errors_point_at_the_line() {
        let mut c = Config::defaults();
        let e = c
            .apply("me = \"x\"\n\n[keys.queue]\nj = \"fly_away\"\n", "c.toml")
            .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.to_string().starts_with("c.toml:4:"), "{e}");
        let e = c
            .apply(
                "[theme]\naccent = \"blue\"\nmuted = \"not-a-colour\"\n",
                "c.toml",
            )
            .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = c
            .apply("[keys.queue]\n\"hyperkey\" = \"quit\"\n", "c.toml")
            .unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = c.apply("me = [\n", "c.toml").unwrap_err();
        assert!(e.line >= 1, "{e}");
    }
}
