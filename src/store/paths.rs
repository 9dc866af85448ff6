//! Where leadq keeps its files: the platform's data and config dirs, unless overridden.

use std::io;
use std::path::{Path, PathBuf};

/// The standard places, from `directories::ProjectDirs`.
#[derive(Clone, Debug)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
}

impl Paths {
    /// The platform's dirs (on Linux `~/.local/share/leadq` and `~/.config/leadq`).
    pub fn standard() -> io::Result<Paths> {
        let dirs = directories::ProjectDirs::from("", "", "leadq").ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "no home directory found; pass --db PATH or set LEADQ_DB",
            )
        })?;
        Ok(Paths {
            data_dir: dirs.data_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
        })
    }

    /// The user's book.
    pub fn default_db(&self) -> PathBuf {
        self.data_dir.join("book.db")
    }

    /// The demo book, kept apart so that trying leadq never touches the real one.
    pub fn demo_db(&self) -> PathBuf {
        self.data_dir.join("demo.db")
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("leadq.log")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
}

/// Creates a directory (and its parents) readable by the owner only.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes a file readable and writable by its owner only.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}
