//! What creating a temporary file or directory runs on the executor: the `tempfile` crate's
//! builder, set up from a [`Builder`](super::Builder)'s settings.
//!
//! Apart from `builder.rs`, so that the creating futures (`named.rs`, `dir.rs`) and the
//! builder that makes them both depend on this, and not on each other.

use std::ffi::OsString;
use std::fs::Permissions;
use std::io;
use std::path::PathBuf;

use crate::error::{self, Operation};
use crate::executor::{Private, Work};

/// The name and permission settings of a temporary file or directory.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub(super) prefix: OsString,
    pub(super) suffix: OsString,
    pub(super) rand_bytes: usize,
    pub(super) permissions: Option<Permissions>,
}

impl Default for Settings {
    /// Prefix `.tmp`, no suffix, 6 random characters, owner-only permissions.
    fn default() -> Self {
        Settings {
            prefix: OsString::from(".tmp"),
            suffix: OsString::new(),
            rand_bytes: 6,
            permissions: None,
        }
    }
}

impl Settings {
    /// The `tempfile` crate's builder for these settings. Directories are owner-only unless
    /// told otherwise (files are by default).
    fn with<T>(
        &self,
        dir: bool,
        f: impl FnOnce(&::tempfile::Builder<'_, '_>) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut builder = ::tempfile::Builder::new();
        builder
            .prefix(&self.prefix)
            .suffix(&self.suffix)
            .rand_bytes(self.rand_bytes);
        let permissions = match (&self.permissions, dir) {
            (Some(permissions), _) => Some(permissions.clone()),
            #[cfg(unix)]
            (None, true) => Some(std::os::unix::fs::PermissionsExt::from_mode(0o700)),
            _ => None,
        };
        if let Some(permissions) = permissions {
            builder.permissions(permissions);
        }
        f(&builder)
    }
}

/// Creating a named temporary file in `dir`. The path comes back armed: if nobody takes it
/// (the creating future was dropped), dropping it on the executor's thread removes the file.
pub(super) struct FileWork {
    pub(super) settings: Settings,
    pub(super) dir: PathBuf,
}

impl Work for FileWork {
    type Output = (std::fs::File, ::tempfile::TempPath);

    fn run(self, _: Private) -> io::Result<Self::Output> {
        let dir = &self.dir;
        self.settings
            .with(false, |b| b.tempfile_in(dir))
            .map(::tempfile::NamedTempFile::into_parts)
            .map_err(|e| error::path(Operation::CreateTempFileIn, dir, e))
    }
}

/// Creating a temporary directory in `dir`, armed like [`FileWork`]'s path.
pub(super) struct DirWork {
    pub(super) settings: Settings,
    pub(super) dir: PathBuf,
}

impl Work for DirWork {
    type Output = ::tempfile::TempDir;

    fn run(self, _: Private) -> io::Result<::tempfile::TempDir> {
        let dir = &self.dir;
        self.settings
            .with(true, |b| b.tempdir_in(dir))
            .map_err(|e| error::path(Operation::CreateTempDirIn, dir, e))
    }
}
