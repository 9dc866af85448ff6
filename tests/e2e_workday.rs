//! A rep's first minutes on the demo book, in the real binary in a pseudo-terminal: open the
//! top lead, read why it ranks there, log "meeting booked", see the toast and the next lead,
//! find another lead by a fragment of its company, quit — then check with the CLI that the
//! outcome was stored and learned from.

mod common;

use common::{Console, leadq};

fn json(out: std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn a_rep_logs_a_meeting_on_the_top_lead_then_finds_another_by_company() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo.db");
    let made = leadq(&db, &["demo", "--leads", "300", "--seed", "3"]);
    assert!(made.status.success(), "{made:?}");
    let queue = json(leadq(&db, &["list", "--top", "10", "--format", "json"]));
    let first = &queue[0];
    let (first_id, first_name) = (
        first["id"].as_u64().unwrap(),
        first["name"].as_str().unwrap(),
    );
    let second_name = queue[1]["name"].as_str().unwrap();
    // Another lead, to be found by the first word of its company's name.
    let other = queue
        .as_array()
        .unwrap()
        .iter()
        .skip(2)
        .find(|l| l["account"] != first["account"] && l["account"] != queue[1]["account"])
        .expect("a lead of another company");
    let fragment = other["account"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let fragment = fragment.to_lowercase();

    let mut console = Console::start(home.path(), &db);
    console.wait_for("sort: p × value");
    console.wait_for(first_name);
    // Enter opens the top lead with its explanation.
    console.type_keys("\r");
    console.wait_for(&format!("#{first_id} {first_name}"));
    console.wait_for("Why this score");
    console.wait_for("base points");
    // Two keys: l opens the log, 4 logs "meeting booked" at once.
    console.type_keys("l");
    console.wait_for(&format!("Log outcome — {first_name}"));
    console.type_keys("4");
    console.wait_for(&format!("logged Meeting booked on {first_name}"));
    // Log-and-next: the detail moved on to the next lead in the queue.
    console.wait_for(second_name);
    // Back to the queue, then search by the company fragment.
    console.type_keys("1");
    console.wait_for("sort: p × value");
    console.type_keys("/");
    console.type_keys(&fragment);
    console.wait_for("leads match");
    console.wait_for(other["name"].as_str().unwrap());
    console.type_keys("\x1b");
    // Wait until the search is closed: an Esc and a q that arrive together read as Alt+q.
    console.wait_gone("Search leads");
    console.type_keys("q");
    let status = console.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    console.screen_after_exit();

    // Stored: the lead's newest outcome (the newest in the book) is the meeting.
    let shown = json(leadq(
        &db,
        &["show", &first_id.to_string(), "--format", "json"],
    ));
    let newest = shown["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|o| o["id"].as_u64())
        .unwrap_or_else(|| panic!("no outcomes in {shown}"));
    assert_eq!(newest["outcome"], "meeting_booked", "{shown}");
    let seq = newest["id"].as_u64().unwrap();
    // Learned: the newest step of the base weight names this outcome.
    let history = leadq(&db, &["rules", "history", "base"]);
    assert!(history.status.success());
    let history = String::from_utf8(history.stdout).unwrap();
    let last = history.lines().last().unwrap_or_default();
    assert!(
        last.ends_with(&format!("outcome #{seq}")),
        "the last base-weight step is not outcome #{seq}: {last}"
    );
    // Re-ranked from the stored state: its priority reflects the new stage, follow-up and
    // weights.
    let after = json(leadq(&db, &["list", "--top", "300", "--format", "json"]));
    let now_row = after
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"].as_u64() == Some(first_id))
        .expect("the lead is still in the queue");
    assert_ne!(now_row["priority"], first["priority"], "not re-ranked");
}
