//! Keystroke → frame timing inside the running console: from the moment the input thread read
//! a key to the end of the first frame drawn once that key and every action it led to
//! (synchronous effects included) were handled.
//!
//! Always on: the log file gets a p50/p99 summary when the console quits. With
//! `LEADQ_FRAME_TIMES=FILE` every keystroke is also appended to FILE as `key<TAB>ms`, which is
//! what the benchmark report reads.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Times keystrokes until their frame.
#[derive(Default)]
pub struct FrameTimer {
    pending: Option<(String, Instant)>,
    /// Milliseconds per keystroke, in order.
    samples: Vec<f64>,
    out: Option<BufWriter<File>>,
}

/// A short name of a key for the timing file: `j`, `enter`, `ctrl-d`.
pub fn key_label(key: &KeyEvent) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Backspace => "backspace".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::Up => "up".into(),
        KeyCode::Down => "down".into(),
        KeyCode::Left => "left".into(),
        KeyCode::Right => "right".into(),
        KeyCode::PageUp => "pageup".into(),
        KeyCode::PageDown => "pagedown".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        other => format!("{other:?}").to_lowercase(),
    };
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("ctrl-{base}")
    } else if key.modifiers.contains(KeyModifiers::ALT) {
        format!("alt-{base}")
    } else {
        base
    }
}

impl FrameTimer {
    /// A timer that also writes every sample to `LEADQ_FRAME_TIMES` when that is set.
    pub fn from_env() -> FrameTimer {
        let out = std::env::var_os("LEADQ_FRAME_TIMES").and_then(|path| {
            File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| tracing::warn!("LEADQ_FRAME_TIMES not writable: {e}"))
                .ok()
                .map(BufWriter::new)
        });
        FrameTimer {
            out,
            ..FrameTimer::default()
        }
    }

    /// A key was read at `at` and is about to be handled.
    pub fn key(&mut self, key: &KeyEvent, at: Instant) {
        // A key whose handling drew nothing ends where the next one starts.
        self.settle();
        self.pending = Some((key_label(key), at));
    }

    /// Everything the last key led to is handled and on screen (or nothing needed drawing).
    pub fn settle(&mut self) {
        if let Some((label, at)) = self.pending.take() {
            let ms = at.elapsed().as_secs_f64() * 1000.0;
            self.samples.push(ms);
            if let Some(out) = &mut self.out {
                let _ = writeln!(out, "{label}\t{ms:.3}");
                let _ = out.flush();
            }
        }
    }

    /// "keystroke → frame: 120 keys, p50 1.2 ms, p99 8.0 ms, max 9.1 ms".
    pub fn summary(&self) -> Option<String> {
        if self.samples.is_empty() {
            return None;
        }
        let mut v = self.samples.clone();
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Some(format!(
            "keystroke → frame: {} keys, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            v.len(),
            at(0.5),
            at(0.99),
            v[v.len() - 1]
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_keys_as_the_keymap_does() {
        let k = |c, m| KeyEvent::new(c, m);
        assert_eq!(key_label(&k(KeyCode::Char('j'), KeyModifiers::NONE)), "j");
        assert_eq!(
            key_label(&k(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            "ctrl-d"
        );
        assert_eq!(key_label(&k(KeyCode::Enter, KeyModifiers::NONE)), "enter");
    }

    #[test]
    fn a_key_is_timed_once_until_it_settles() {
        let mut t = FrameTimer::default();
        let key = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        t.key(&key, Instant::now());
        t.settle();
        t.settle();
        t.key(&key, Instant::now());
        t.key(&key, Instant::now());
        assert_eq!(t.samples.len(), 2, "the second key ends the first");
        let s = t.summary().unwrap();
        assert!(s.starts_with("keystroke → frame: 2 keys"), "{s}");
    }
}
