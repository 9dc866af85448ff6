//! `leadq backup FILE` and `leadq restore FILE`.

use std::path::Path;

use super::{CliError, CliResult, bad_input};
use crate::core::model::Timestamp;
use crate::store::Store;
use crate::store::backup::{self, BackupError};

fn cli_error(e: BackupError) -> CliError {
    match e {
        BackupError::Store(e) => e.into(),
        e @ (BackupError::NotABackup(_) | BackupError::Damaged(..) | BackupError::Newer(..)) => {
            bad_input(e.to_string())
        }
        e @ BackupError::Io { .. } => CliError::Runtime(e.into()),
    }
}

pub fn backup(store: &Store, file: &Path) -> CliResult {
    let s = backup::backup(store, file).map_err(cli_error)?;
    println!(
        "backed up {} entries in {} trees to {} ({} KiB)",
        s.entries,
        s.trees,
        file.display(),
        s.bytes.div_ceil(1024)
    );
    Ok(())
}

pub fn restore(file: &Path, db: &Path, now: Timestamp) -> CliResult {
    if !file.is_file() {
        return Err(bad_input(format!(
            "{}: no such backup file",
            file.display()
        )));
    }
    let (s, moved) = backup::restore(file, db, now).map_err(cli_error)?;
    println!(
        "restored {} entries in {} trees into {}",
        s.entries,
        s.trees,
        db.display()
    );
    if let Some(old) = moved {
        println!("the database it replaced is kept at {}", old.display());
    }
    Ok(())
}
