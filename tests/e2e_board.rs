//! The kanban board through the real `leadq` binary in a pseudo-terminal: open the board,
//! move a card one stage right, quit, and check with `leadq show` that the move was stored.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leadq::core::model::Lead;
use leadq::store::Store;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const NOW: i64 = 1_764_151_200;

fn fill_book(db: &Path) {
    let store = Store::open(db).unwrap();
    let people = [
        (1, "Ana Ruiz", "VP Sales", "Acme"),
        (2, "Bruno Keller", "Analyst", "Globex"),
        (3, "Chiara Conti", "Head of Marketing", "Initech"),
    ];
    for (id, name, title, account) in people {
        store
            .put_lead(&Lead {
                id,
                name: name.into(),
                email: format!("lead{id}@{}.example", account.to_lowercase()),
                title: title.into(),
                account: account.into(),
                owner: "Sam".into(),
                stage: "New".into(),
                stage_entered: NOW,
                created: NOW,
                deal_value: Some(1000.0 * id as f64),
                ..Lead::default()
            })
            .unwrap();
    }
    store.flush().unwrap();
}

/// The console running in a pseudo-terminal, with its screen parsed as it draws.
struct Console {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Kept open for as long as the console runs.
    _master: Box<dyn portable_pty::MasterPty + Send>,
    /// The console's screen as last seen before it left the alternate screen.
    last_console_screen: Arc<Mutex<String>>,
}

impl Console {
    fn start(home: &Path, db: &Path) -> Console {
        Console::start_with(home, db, &[])
    }

    fn start_with(home: &Path, db: &Path, env: &[(&str, &str)]) -> Console {
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
                let mut parser = sink.lock().unwrap();
                parser.process(&buf[..n]);
                if parser.screen().alternate_screen() {
                    *alt_sink.lock().unwrap() = parser.screen().contents();
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

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `what`, or fails with what it shows.
    fn wait_for(&self, what: &str) {
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

    fn type_keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
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

#[test]
fn move_a_card_right_on_the_board_and_the_stage_change_is_stored() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("book.db");
    fill_book(&db);
    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.type_keys("2");
    console.wait_for("cards by priority");
    console.wait_for("New 3");
    console.type_keys("L");
    console.wait_for("→ Contacted");
    let screen = console.text();
    let (id, name) = [(1, "Ana Ruiz"), (2, "Bruno Keller"), (3, "Chiara Conti")]
        .into_iter()
        .find(|(_, n)| screen.contains(&format!("moved {n} New")))
        .unwrap_or_else(|| panic!("no move toast:\n{screen}"));
    console.wait_for("Contacted 1");
    console.type_keys("q");
    assert!(console.wait_exit().success());
    assert!(!console.last_console_screen.lock().unwrap().is_empty());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadq"))
        .args(["show", &id.to_string(), "--format", "json", "--db"])
        .arg(&db)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["name"], name);
    assert_eq!(shown["stage"], "Contacted", "{shown}");
    let activities = shown["activities"].as_array().unwrap();
    assert!(
        activities
            .iter()
            .any(|a| a["kind"] == "stage New → Contacted"),
        "{shown}"
    );
}
