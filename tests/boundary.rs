//! The pure core and the store never depend on the terminal: they must build and be tested
//! without one, and be usable from scripts. This test fails if either names a terminal crate.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_and_store_never_name_ratatui_or_crossterm() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["core", "store"] {
        rust_files(&root.join(layer), &mut files);
    }
    assert!(
        files.len() >= 6,
        "expected the core and store sources, found {files:?}"
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    let l = l.to_ascii_lowercase();
                    l.contains("ratatui") || l.contains("crossterm")
                })
                .map(|(i, l)| format!("{}:{}: {}", f.display(), i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "terminal crates named in core/store:\n{}",
        offenders.join("\n")
    );
}
