//! Refusing a damaged database without writing to it: a seal written on a clean close, and a
//! check on a copy whenever the files are not exactly as the last clean close left them.
//!
//! sled 0.34 recovers its log while it opens: it stops at the first bad record, overwrites
//! the rest of that segment, zeroes later segments and writes a new snapshot. leadq sees the
//! damage only afterwards (a flush counter behind the one recorded beside the log), too late
//! to keep the damaged bytes for a rescue. So before sled touches a database whose files may
//! have changed since leadq last closed it — after a crash or a kill, or when something else
//! wrote to them — leadq opens a copy first, and opens the real files only if the copy opens
//! cleanly. Opening a book that was closed cleanly costs a few `stat` calls; the copy is made
//! only on the rare careful path.

use std::fmt::Write as _;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Result, Store, StoreError};

/// Written beside sled's files when the last handle of a clean session closes.
pub(crate) const SEAL_FILE: &str = "leadq.closed";
/// The copy checked on the careful path, inside the database directory so that it is on the
/// same file system and as private as the database. Removed once the check is done.
const CHECK_DIR: &str = "leadq.checking";

/// Writes the seal when dropped: held by every clone of one [`Store`] and declared after its
/// sled handles, so it drops once the last clone has let sled close. Only a store whose open
/// went through (its journal replayed) is sealed or flushed on close: an open that failed
/// part-way leaves the files, journal included, for the next open to look at again.
#[derive(Debug)]
pub(crate) struct CloseSeal {
    path: PathBuf,
    opened: std::sync::atomic::AtomicBool,
}

impl CloseSeal {
    pub(crate) fn new(path: &Path) -> CloseSeal {
        CloseSeal {
            path: path.to_path_buf(),
            opened: Default::default(),
        }
    }

    /// The open went through: close normally from here on.
    pub(crate) fn set_opened(&self) {
        self.opened.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn opened(&self) -> bool {
        self.opened.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl CloseSeal {
    /// Seals the files as they are now. Best effort: without a seal the next open only takes
    /// the careful path, and a write after it breaks it.
    pub(crate) fn write(&self) {
        if let Ok(print) = fingerprint(&self.path) {
            let _ = std::fs::write(self.path.join(SEAL_FILE), print);
        }
    }
}

impl Drop for CloseSeal {
    fn drop(&mut self) {
        if self.opened() {
            self.write();
        }
    }
}

/// Size, modification and change times and inode of every file of the database but the
/// seal, one line each in name order. Any write changes at least one of them (a write within
/// the same clock tick as the close and of the same size is the one change it can miss).
fn fingerprint(dir: &Path) -> io::Result<String> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (name, m) in files {
        let _ = writeln!(
            out,
            "{} {} {}.{} {}.{} {}",
            name,
            m.len(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec(),
            m.ino()
        );
    }
    Ok(out)
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, std::fs::Metadata)>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        if name == SEAL_FILE || name == CHECK_DIR {
            continue;
        }
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            out.push((name, meta));
        }
    }
    Ok(())
}

/// How [`check_before_open`] cleared a database for sled.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cleared {
    /// No data file yet.
    New,
    /// The files are as the last clean close sealed them.
    Sealed,
    /// A copy opened cleanly.
    Checked,
}

/// Whether the files at `path` are exactly as the last clean close sealed them: nothing
/// wrote to the book since, and no process has it open (an open removes the seal).
pub fn sealed(path: &Path) -> bool {
    let sealed = std::fs::read_to_string(path.join(SEAL_FILE)).ok();
    sealed.is_some() && sealed == fingerprint(path).ok()
}

/// When the database at `path` exists but is not sealed, the size of its files that an open
/// copies and checks first (the careful path): for saying so before a wait that is seconds
/// to a minute on a large book. `None` when the open will be quick.
pub fn check_size(path: &Path) -> Option<u64> {
    if !path.join("db").exists() || sealed(path) {
        return None;
    }
    // Open in another process: the open reports that at once, with nothing to check.
    let data = File::open(path.join("db")).ok()?;
    if !try_lock(&data) {
        return None;
    }
    drop(data);
    let mut files = Vec::new();
    collect_files(path, path, &mut files).ok()?;
    Some(files.iter().map(|(_, m)| m.len()).sum())
}

/// The words for [`check_size`]: what the user waits for.
pub fn check_notice(bytes: u64) -> String {
    format!(
        "checking the book first: it was not closed cleanly, so a copy of its {:.1} GB is \
         opened before it",
        bytes as f64 / 1e9
    )
}

/// Makes sure sled may open the database at `path`: either its files are exactly as the last
/// clean close sealed them, or a copy of them opens cleanly. Fails with the error the real
/// database would have given — naming it, not the copy — and leaves its files untouched.
pub(crate) fn check_before_open(path: &Path) -> Result<Cleared> {
    let io_err = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !path.join("db").exists() {
        return Ok(Cleared::New);
    }
    let sealed = std::fs::read_to_string(path.join(SEAL_FILE)).ok();
    if sealed.is_some() && sealed == fingerprint(path).ok() {
        return remove_seal(path).map(|()| Cleared::Sealed).map_err(io_err);
    }
    let lock = lock_data_file(path)?;
    let checked = check_copy(path, &lock);
    drop(lock);
    checked?;
    remove_seal(path).map(|()| Cleared::Checked).map_err(io_err)
}

/// Refuses ([`StoreError::Locked`]) a book another process has open, without opening it
/// (a restore moves the book aside as it is). A folder without sled's data file is free.
pub(crate) fn ensure_unlocked(path: &Path) -> Result<()> {
    if !path.join("db").exists() {
        return Ok(());
    }
    lock_data_file(path).map(drop)
}

/// The seal describes one clean close; once sled opens the files it no longer holds.
fn remove_seal(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path.join(SEAL_FILE)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Takes the exclusive lock sled takes on its data file, without waiting; released when
/// `data` is closed.
fn try_lock(data: &File) -> bool {
    // SAFETY: flock on a descriptor the caller owns; no memory is passed.
    unsafe { libc::flock(data.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Takes the lock sled takes (an exclusive `flock` on its data file) so that no leadq writes
/// while the copy is made. A handle dropped a moment ago in this process may still be
/// closing, so a conflict is retried briefly before it is reported as another process.
fn lock_data_file(path: &Path) -> Result<File> {
    let data = File::open(path.join("db")).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for _ in 0..10 {
        if try_lock(&data) {
            return Ok(data);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err(StoreError::Locked {
        path: path.to_path_buf(),
    })
}

/// Copies the database into [`CHECK_DIR`], opens the copy as leadq would and removes it.
fn check_copy(path: &Path, _lock: &File) -> Result<()> {
    let copy = path.join(CHECK_DIR);
    let io_err = |e: io::Error| StoreError::Io {
        path: path.to_path_buf(),
        source: io::Error::new(
            e.kind(),
            format!("could not check it on a copy in {}: {e}", copy.display()),
        ),
    };
    let _ = std::fs::remove_dir_all(&copy); // left by a process killed while checking
    let result = copy_database(path, &copy)
        .map_err(io_err)
        .and_then(|()| Store::open_for_check(&copy).map(drop))
        .map_err(|e| renamed(e, &copy, path));
    let removed = std::fs::remove_dir_all(&copy);
    result?;
    removed.map_err(io_err)
}

/// sled's files (data, config, snapshot, blobs) and leadq's flush record; not the seal.
fn copy_database(from: &Path, to: &Path) -> io::Result<()> {
    super::paths::create_private_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_text = name.to_string_lossy();
        if name_text == SEAL_FILE || name_text == CHECK_DIR || name_text.ends_with(".generating") {
            continue;
        }
        let meta = entry.metadata()?;
        if meta.is_dir() {
            copy_database(&entry.path(), &to.join(&name))?;
        } else {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The copy's error as the real database's: same kind, naming the real path.
fn renamed(e: StoreError, copy: &Path, real: &Path) -> StoreError {
    let fix = |p: PathBuf| {
        if p.starts_with(copy) {
            real.to_path_buf()
        } else {
            p
        }
    };
    let fix_text = |t: String| t.replace(&*copy.to_string_lossy(), &real.to_string_lossy());
    match e {
        StoreError::Locked { path } => StoreError::Locked { path: fix(path) },
        StoreError::NewerSchema { path, found } => StoreError::NewerSchema {
            path: fix(path),
            found,
        },
        StoreError::Corrupt { path, detail } => StoreError::Corrupt {
            path: fix(path),
            detail: fix_text(detail),
        },
        StoreError::Io { path, source } => StoreError::Io {
            path: fix(path),
            source: io::Error::new(source.kind(), fix_text(source.to_string())),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(path: &Path) {
        let store = Store::open(path).unwrap();
        for i in 0..200 {
            store
                .put_meta(&format!("note{i}"), &"kept".repeat(40))
                .unwrap();
            store.flush().unwrap();
        }
    }

    /// The console and the command line announce the careful open before its wait: only for
    /// an existing book that is not sealed, with the size of what is copied.
    #[test]
    fn only_an_unsealed_book_announces_a_check_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book");
        assert_eq!(check_size(&path), None, "no book yet: nothing to check");
        book(&path);
        assert_eq!(check_size(&path), None, "closed cleanly: sealed");
        std::fs::remove_file(path.join(SEAL_FILE)).unwrap();
        let bytes = check_size(&path).expect("not sealed: checked first");
        let db = std::fs::metadata(path.join("db")).unwrap().len();
        assert!(bytes >= db, "{bytes} counts the data file ({db})");
        {
            let _held = Store::open(&path).unwrap();
            assert_eq!(
                check_size(&path),
                None,
                "open elsewhere: the open says so at once"
            );
        }
        assert!(check_notice(6_366_953_472).contains("a copy of its 6.4 GB"));
    }

    #[test]
    fn a_cleanly_closed_book_reopens_without_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.db");
        assert_eq!(check_before_open(&path).unwrap(), Cleared::New);
        book(&path);
        assert!(
            path.join(SEAL_FILE).exists(),
            "a clean close seals the book"
        );
        assert_eq!(check_before_open(&path).unwrap(), Cleared::Sealed);
        assert!(!path.join(SEAL_FILE).exists(), "an open book has no seal");
        // Unsealed (as after a kill): checked on a copy, which is then removed.
        assert_eq!(check_before_open(&path).unwrap(), Cleared::Checked);
        assert!(!path.join(CHECK_DIR).exists());
        let store = Store::open(&path).unwrap();
        assert!(store.get_meta::<String>("note199").unwrap().is_some());
    }

    #[test]
    fn any_write_after_the_close_breaks_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.db");
        book(&path);
        // Even the same bytes written again: the change time moves.
        std::thread::sleep(Duration::from_millis(20));
        let bytes = std::fs::read(path.join("db")).unwrap();
        std::fs::write(path.join("db"), &bytes).unwrap();
        assert_eq!(check_before_open(&path).unwrap(), Cleared::Checked);
    }

    #[test]
    fn a_copy_left_by_a_killed_check_is_replaced_and_errors_name_the_real_book() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.db");
        book(&path);
        std::fs::remove_file(path.join(SEAL_FILE)).unwrap();
        std::fs::create_dir_all(path.join(CHECK_DIR).join("blobs")).unwrap();
        std::fs::write(path.join(CHECK_DIR).join("db"), b"stale").unwrap();
        assert_eq!(check_before_open(&path).unwrap(), Cleared::Checked);
        assert!(!path.join(CHECK_DIR).exists());

        let data = std::fs::read(path.join("db")).unwrap();
        std::fs::write(path.join("db"), &data[..data.len() / 3]).unwrap();
        let err = check_before_open(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(!msg.contains(CHECK_DIR), "{msg}");
        assert!(
            msg.contains("book.db") && msg.contains("leadq restore"),
            "{msg}"
        );
        assert!(!path.join(CHECK_DIR).exists());
    }
}
