//! Backups: a consistent, checksummed snapshot of every tree in one file, written atomically,
//! and a verified restore that never destroys the database it replaces.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::store::{SCHEMA_VERSION, Store, StoreError};

const MAGIC: &[u8; 8] = b"LEADQBK1";
/// Marks the start of a tree's section.
const TREE: u8 = 2;
/// Marks the end of the trees; the checksum of everything before follows.
const END: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a leadq backup (bad header)", .0.display())]
    NotABackup(PathBuf),
    #[error("{} is damaged: {}; nothing was restored", .0.display(), .1)]
    Damaged(PathBuf, String),
    #[error("{} was made by a newer leadq (schema {}); upgrade leadq to restore it", .0.display(), .1)]
    Newer(PathBuf, u32),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSummary {
    pub trees: usize,
    pub entries: u64,
    pub bytes: u64,
}

/// FNV-1a 64: a checksum to detect damage, not an attacker.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

struct Writer<W: Write> {
    out: W,
    sum: Fnv,
    bytes: u64,
}

impl<W: Write> Writer<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.update(bytes);
        self.bytes += bytes.len() as u64;
        self.out.write_all(bytes)
    }
    fn put_blob(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.put(&(bytes.len() as u64).to_le_bytes())?;
        self.put(bytes)
    }
}

/// Writes a snapshot of every tree of `store` to `file`, atomically (temp file + rename).
pub fn backup(store: &Store, file: &Path) -> Result<BackupSummary, BackupError> {
    let io = |source| BackupError::Io {
        path: file.to_path_buf(),
        source,
    };
    let tmp = temp_path(file);
    let result = (|| {
        let f = std::fs::File::create(&tmp).map_err(io)?;
        let mut w = Writer {
            out: BufWriter::new(f),
            sum: Fnv::new(),
            bytes: 0,
        };
        w.put(MAGIC).map_err(io)?;
        w.put(&SCHEMA_VERSION.to_le_bytes()).map_err(io)?;
        let (mut trees, mut entries) = (0, 0u64);
        // sled's export walks every tree from one consistent view of the log.
        for (kind, name, kvs) in store.db.export() {
            w.put(&[TREE]).map_err(io)?;
            w.put_blob(&kind).map_err(io)?;
            w.put_blob(&name).map_err(io)?;
            for kv in kvs {
                w.put(&[1]).map_err(io)?;
                w.put(&(kv.len() as u64).to_le_bytes()).map_err(io)?;
                for part in kv {
                    w.put_blob(&part).map_err(io)?;
                }
                entries += 1;
            }
            w.put(&[0]).map_err(io)?;
            trees += 1;
        }
        w.put(&[END]).map_err(io)?;
        let sum = w.sum.0;
        let bytes = w.bytes;
        let mut out = w.out.into_inner().map_err(|e| io(e.into_error()))?;
        out.write_all(&sum.to_le_bytes()).map_err(io)?;
        out.sync_all().map_err(io)?;
        crate::store::paths::restrict_file(&tmp).map_err(io)?;
        std::fs::rename(&tmp, file).map_err(io)?;
        Ok(BackupSummary {
            trees,
            entries,
            bytes,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn temp_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    file.with_file_name(name)
}

type Collection = (Vec<u8>, Vec<u8>, Vec<Vec<Vec<u8>>>);

struct Reader<R: Read> {
    inp: R,
    sum: Fnv,
    path: PathBuf,
    /// No length read from the file may exceed its size (a damaged length must not
    /// allocate gigabytes).
    file_len: u64,
}

impl<R: Read> Reader<R> {
    fn take(&mut self, n: usize) -> Result<Vec<u8>, BackupError> {
        let mut buf = vec![0; n];
        self.inp
            .read_exact(&mut buf)
            .map_err(|_| BackupError::Damaged(self.path.clone(), "file ends early".into()))?;
        self.sum.update(&buf);
        Ok(buf)
    }
    fn u64(&mut self) -> Result<u64, BackupError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn blob(&mut self) -> Result<Vec<u8>, BackupError> {
        let n = self.u64()?;
        if n > self.file_len {
            return Err(BackupError::Damaged(
                self.path.clone(),
                "impossible length".into(),
            ));
        }
        self.take(n as usize)
    }
}

/// Reads and verifies a whole backup file into memory.
fn read_backup(file: &Path) -> Result<Vec<Collection>, BackupError> {
    let f = std::fs::File::open(file).map_err(|source| BackupError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let file_len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut r = Reader {
        inp: BufReader::new(f),
        sum: Fnv::new(),
        path: file.to_path_buf(),
        file_len,
    };
    if r.take(8).ok().as_deref() != Some(MAGIC) {
        return Err(BackupError::NotABackup(file.to_path_buf()));
    }
    let schema = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"));
    if schema > SCHEMA_VERSION {
        return Err(BackupError::Newer(file.to_path_buf(), schema));
    }
    let mut collections = Vec::new();
    loop {
        match r.take(1)?[0] {
            TREE => {}
            END => break,
            _ => {
                return Err(BackupError::Damaged(
                    file.to_path_buf(),
                    "bad section marker".into(),
                ));
            }
        }
        let kind = r.blob()?;
        let name = r.blob()?;
        let mut kvs = Vec::new();
        while r.take(1)?[0] == 1 {
            let parts = r.u64()?;
            if parts > 16 {
                return Err(BackupError::Damaged(file.to_path_buf(), "bad entry".into()));
            }
            kvs.push(
                (0..parts)
                    .map(|_| r.blob())
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        collections.push((kind, name, kvs));
    }
    let expected = r.sum.0;
    let mut tail = Vec::new();
    r.inp
        .read_to_end(&mut tail)
        .map_err(|source| BackupError::Io {
            path: file.to_path_buf(),
            source,
        })?;
    if tail.len() != 8 || u64::from_le_bytes(tail.try_into().expect("8 bytes")) != expected {
        return Err(BackupError::Damaged(
            file.to_path_buf(),
            "checksum mismatch".into(),
        ));
    }
    Ok(collections)
}

/// Checks a backup without restoring it.
pub fn verify(file: &Path) -> Result<BackupSummary, BackupError> {
    let c = read_backup(file)?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        trees: c.len(),
        entries: c.iter().map(|t| t.2.len() as u64).sum(),
        bytes,
    })
}

/// Restores a verified backup into a new database at `db`. An existing database there is
/// moved aside to `<db>.before-restore-<unix time>` first, never deleted. Returns where the
/// old one went, if there was one.
pub fn restore(
    file: &Path,
    db: &Path,
    now: i64,
) -> Result<(BackupSummary, Option<PathBuf>), BackupError> {
    let collections = read_backup(file)?;
    let summary = BackupSummary {
        trees: collections.len(),
        entries: collections.iter().map(|t| t.2.len() as u64).sum(),
        bytes: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
    };
    let io = |source| BackupError::Io {
        path: db.to_path_buf(),
        source,
    };
    let mut moved = None;
    if db.exists() {
        // Refuses (Locked) while another process has it open, before anything moves. The
        // book is not opened: it is moved aside exactly as it is (a damaged or newer book is
        // what a restore is for, and an older one must not be upgraded on its way out).
        crate::store::integrity::ensure_unlocked(db)?;
        let aside = PathBuf::from(format!("{}.before-restore-{now}", db.display()));
        std::fs::rename(db, &aside).map_err(io)?;
        moved = Some(aside);
    }
    let fresh = db.with_extension("restoring");
    let _ = std::fs::remove_dir_all(&fresh);
    crate::store::paths::create_private_dir(&fresh).map_err(io)?;
    let imported = (|| -> Result<(), BackupError> {
        let raw = sled::Config::new()
            .path(&fresh)
            .open()
            .map_err(|e| BackupError::Damaged(fresh.clone(), e.to_string()))?;
        raw.import(
            collections
                .into_iter()
                .map(|(k, n, kvs)| (k, n, kvs.into_iter()))
                .collect(),
        );
        raw.flush()
            .map_err(|e| BackupError::Damaged(fresh.clone(), e.to_string()))?;
        Ok(())
    })();
    if let Err(e) = imported {
        let _ = std::fs::remove_dir_all(&fresh);
        if let Some(aside) = &moved {
            let _ = std::fs::rename(aside, db);
        }
        return Err(e);
    }
    std::fs::rename(&fresh, db).map_err(io)?;
    // Opening checks the schema and that everything decodes at the top level.
    Store::open(db)?;
    Ok((summary, moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Lead;

    fn store_with(dir: &Path, n: u64) -> Store {
        let store = Store::open(&dir.join("book.db")).unwrap();
        for id in 1..=n {
            store
                .put_lead(&Lead {
                    id,
                    name: format!("L{id}"),
                    email: format!("l{id}@x.io"),
                    ..Lead::default()
                })
                .unwrap();
        }
        store.flush().unwrap();
        store
    }

    #[test]
    fn backup_then_restore_round_trips_and_keeps_the_old_database() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snap.lqb");
        {
            let store = store_with(dir.path(), 50);
            let s = backup(&store, &file).unwrap();
            assert!(s.entries >= 100, "{s:?}");
            // Changes after the backup are not in it.
            store
                .put_lead(&Lead {
                    id: 51,
                    name: "late".into(),
                    ..Lead::default()
                })
                .unwrap();
            store.flush().unwrap();
        }
        assert_eq!(verify(&file).unwrap().trees, backup_trees(&file));
        let db = dir.path().join("book.db");
        let (_, moved) = restore(&file, &db, 123).unwrap();
        let moved = moved.unwrap();
        assert!(moved.ends_with("book.db.before-restore-123"));
        let store = Store::open(&db).unwrap();
        assert_eq!(store.lead_count(), 50);
        assert_eq!(store.find_lead("l7@x.io").unwrap().id, 7);
        drop(store);
        assert_eq!(Store::open(&moved).unwrap().lead_count(), 51);
    }

    fn backup_trees(file: &Path) -> usize {
        read_backup(file).unwrap().len()
    }

    #[test]
    fn damaged_or_foreign_files_are_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snap.lqb");
        {
            let store = store_with(dir.path(), 5);
            backup(&store, &file).unwrap();
        }
        let db = dir.path().join("book.db");
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        let flipped = dir.path().join("flipped.lqb");
        std::fs::write(&flipped, &bytes).unwrap();
        assert!(matches!(
            restore(&flipped, &db, 1),
            Err(BackupError::Damaged(..))
        ));
        let cut = dir.path().join("cut.lqb");
        std::fs::write(&cut, &bytes[..mid]).unwrap();
        assert!(matches!(
            restore(&cut, &db, 1),
            Err(BackupError::Damaged(..))
        ));
        let foreign = dir.path().join("notes.txt");
        std::fs::write(&foreign, "hello").unwrap();
        assert!(matches!(
            restore(&foreign, &db, 1),
            Err(BackupError::NotABackup(_))
        ));
        assert_eq!(Store::open(&db).unwrap().lead_count(), 5);
        assert!(!dir.path().join("book.db.before-restore-1").exists());
    }

    #[test]
    fn restore_refuses_while_the_database_is_open_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("snap.lqb");
        let store = store_with(dir.path(), 3);
        backup(&store, &file).unwrap();
        let err = restore(&file, &dir.path().join("book.db"), 1).unwrap_err();
        assert!(
            err.to_string().contains("in use by another leadq process"),
            "{err}"
        );
    }
}
