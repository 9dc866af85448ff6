//! Keymap as data: per view, an ordered list of key → action, read from `config.toml`.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;

/// Where a key is looked up. `Global` is consulted after the view's own map.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    Global,
    Welcome,
    Queue,
    Detail,
    Help,
    Rules,
    Dashboard,
    Board,
    Accounts,
}

impl KeyMode {
    pub fn title(self) -> &'static str {
        match self {
            KeyMode::Global => "everywhere",
            KeyMode::Welcome => "welcome",
            KeyMode::Queue => "queue",
            KeyMode::Detail => "lead detail",
            KeyMode::Help => "help",
            KeyMode::Rules => "rules admin",
            KeyMode::Dashboard => "dashboard",
            KeyMode::Board => "board",
            KeyMode::Accounts => "accounts",
        }
    }
}

/// One key with its modifiers, as written in config: `j`, `G`, `ctrl-c`, `enter`, `pagedown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").map(|_| &rest[5..]) {
                modifiers |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = lower.strip_prefix("alt-").map(|_| &rest[4..]) {
                modifiers |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => {
                        return Err(format!(
                            "unknown key {text:?}; use a single character, ctrl-x, alt-x, enter, esc, tab, up, down, left, right, home, end, pageup, pagedown or space"
                        ));
                    }
                }
            }
        };
        Ok(KeyBinding { code, modifiers })
    }

    /// Whether a pressed key is this binding. Shift is part of the character (`G`), so it is
    /// ignored for characters.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let mods = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match key.code {
            KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        code == self.code && mods == self.modifiers
    }

    /// How the key is shown in help and hints.
    pub fn label(&self) -> String {
        let key = match self.code {
            KeyCode::Enter => "⏎".to_string(),
            KeyCode::Esc => "esc".to_string(),
            KeyCode::Tab => "tab".to_string(),
            KeyCode::BackTab => "S-tab".to_string(),
            KeyCode::Backspace => "bksp".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::Home => "home".to_string(),
            KeyCode::End => "end".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push_str("C-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("M-");
        }
        out + &key
    }
}

/// The bindings of every view, in the order they were written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Keymap {
    modes: BTreeMap<KeyMode, Vec<(KeyBinding, Action)>>,
}

impl Keymap {
    /// Adds or replaces the binding of a key in a view.
    pub fn bind(&mut self, mode: KeyMode, key: KeyBinding, action: Action) {
        let list = self.modes.entry(mode).or_default();
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = action,
            None => list.push((key, action)),
        }
    }

    /// The action for a key in a view, falling back to the global map.
    pub fn action_for(&self, mode: KeyMode, key: &KeyEvent) -> Option<Action> {
        [mode, KeyMode::Global]
            .iter()
            .filter_map(|m| self.modes.get(m))
            .flat_map(|list| list.iter())
            .find(|(k, _)| k.matches(key))
            .map(|(_, a)| a.clone())
    }

    pub fn bindings(&self, mode: KeyMode) -> &[(KeyBinding, Action)] {
        self.modes.get(&mode).map_or(&[], Vec::as_slice)
    }

    /// Each action of a view with all its keys, in first-bound order (for help).
    pub fn grouped(&self, mode: KeyMode) -> Vec<(Vec<String>, Action)> {
        let mut out: Vec<(Vec<String>, Action)> = Vec::new();
        for (key, action) in self.bindings(mode) {
            match out.iter_mut().find(|(_, a)| a == action) {
                Some((keys, _)) => keys.push(key.label()),
                None => out.push((vec![key.label()], action.clone())),
            }
        }
        for (keys, _) in &mut out {
            // Letters first (j before ↓), then named keys.
            keys.sort_by_key(|k| (k.chars().count() > 1 || !k.is_ascii(), k.clone()));
        }
        let rank = |a: &Action| Action::BINDABLE.iter().position(|b| b == a);
        out.sort_by_key(|(_, a)| rank(a));
        out
    }

    /// `key word` pairs for the footer: the first key of each action that has a short word.
    pub fn hints(&self, mode: KeyMode) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        for m in [mode, KeyMode::Global] {
            for (keys, action) in self.grouped(m) {
                let word = action.hint();
                let taken = out.iter().any(|(k, w)| *w == word || *k == keys[0]);
                if !word.is_empty() && !taken {
                    out.push((keys[0].clone(), word));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_match_as_typed() {
        let g = KeyBinding::parse("G").unwrap();
        assert!(g.matches(&KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        assert!(!g.matches(&KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE)));
        let cc = KeyBinding::parse("ctrl-c").unwrap();
        assert!(cc.matches(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!cc.matches(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert_eq!(KeyBinding::parse("pagedown").unwrap().label(), "PgDn");
        assert!(KeyBinding::parse("hyperkey").is_err());
    }

    #[test]
    fn view_bindings_win_over_global_and_rebinding_replaces() {
        let mut map = Keymap::default();
        let q = KeyBinding::parse("q").unwrap();
        map.bind(KeyMode::Global, q, Action::Quit);
        map.bind(KeyMode::Detail, q, Action::Help);
        map.bind(KeyMode::Detail, q, Action::Back);
        let press = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action_for(KeyMode::Detail, &press), Some(Action::Back));
        assert_eq!(map.action_for(KeyMode::Queue, &press), Some(Action::Quit));
        assert_eq!(map.bindings(KeyMode::Detail).len(), 1);
    }
}
