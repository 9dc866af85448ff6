//! The real `leadq` binary in a pseudo-terminal for end-to-end tests: start it, type keys,
//! read the parsed screen, wait for it to exit.

#![allow(dead_code)] // each test file uses the part it needs

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Runs `leadq --db DB ARGS…` to completion, ignoring any LEADQ_DB of the caller.
pub fn leadq(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_leadq"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LEADQ_DB")
        .output()
        .expect("run leadq")
}

/// The console running in a pseudo-terminal, with its screen parsed as it draws.
pub struct Console {
    pub screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Kept open for as long as the console runs.
    _master: Box<dyn portable_pty::MasterPty + Send>,
    /// The console's screen as last seen before it left the alternate screen.
    pub last_console_screen: Arc<Mutex<String>>,
}

/// What crossterm sends on `LeaveAlternateScreen`.
const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Console {
    pub fn start(home: &Path, db: &Path) -> Console {
        Console::start_with(home, db, &[])
    }

    pub fn start_with(home: &Path, db: &Path, env: &[(&str, &str)]) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_leadq"));
        cmd.arg("--db");
        cmd.arg(db);
        cmd.env("HOME", home);
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("LEADQ_DB");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(24, 100, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = screen.clone();
        let last_console_screen = Arc::new(Mutex::new(String::new()));
        let alt_sink = last_console_screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                // A short-lived console (first frame, then exit) can send entering the
                // alternate screen, the frame and leaving it in one read: take the console's
                // screen just before each "leave the alternate screen", not only after a read.
                let mut parser = sink.lock().unwrap();
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    let cut = find(rest, LEAVE_ALTERNATE).unwrap_or(rest.len());
                    parser.process(&rest[..cut]);
                    if parser.screen().alternate_screen()
                        && let Some(text) = contents(&parser)
                    {
                        *alt_sink.lock().unwrap() = text;
                    }
                    rest = &rest[cut..];
                    if let Some(tail) = rest.strip_prefix(LEAVE_ALTERNATE) {
                        parser.process(LEAVE_ALTERNATE);
                        rest = tail;
                    }
                }
            }
        });
        let writer = pty.master.take_writer().unwrap();
        Console {
            screen,
            writer,
            child,
            _master: pty.master,
            last_console_screen,
        }
    }

    pub fn text(&self) -> String {
        contents(&self.screen.lock().unwrap()).unwrap_or_default()
    }

    /// Waits until the screen shows `what`, or fails with what it shows.
    pub fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "timed out waiting for {what:?}; the screen shows:\n{}",
            self.text()
        );
    }

    /// Waits until the screen no longer shows `what` (a modal or overlay closed).
    pub fn wait_gone(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "{what:?} is still on the screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// After the console exited: waits until the parser has seen it leave the alternate
    /// screen (the terminal restored) and returns the normal screen.
    pub fn screen_after_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.screen.lock().unwrap().screen().alternate_screen() {
            assert!(
                Instant::now() < deadline,
                "the alternate screen was not left:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.text()
    }

    pub fn type_keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Resizes the terminal (the console gets SIGWINCH) and the parsed screen with it. The
    /// parsed screen stays at least 2 columns wide: vt100 0.16 overflows on a wide character
    /// in a 1-column screen (a bug of the parser, not of the console).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.screen
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols.max(2));
        self._master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// True while the console has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "leadq did not quit:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The parsed screen's text, or `None` where vt100 0.16 panics reading it: output drawn for a
/// larger terminal, arriving just after a resize to a tiny one, can make its line-wrap
/// arithmetic overflow (a bug of the parser; the console's next frame reads fine).
fn contents(parser: &vt100::Parser) -> Option<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.screen().contents())).ok()
}
