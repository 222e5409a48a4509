//! Error context: every error names the operation and the path(s) it failed on.
//!
//! Errors stay [`io::Error`]s with the original [`kind`](io::Error::kind); the message reads
//! ``failed to read `data/x.txt`: No such file or directory (os error 2)``, and
//! [`source`](std::error::Error::source) is the original error, whose
//! [`raw_os_error`](io::Error::raw_os_error) is there for code that needs it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What an operation was doing when it failed: the one table of the words errors use, so that
/// the same operation reads the same everywhere (`fs::remove_dir_all` and
/// `Dir::remove_dir_all` both "remove directory tree").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Read,
    Write,
    AtomicWrite,
    Open,
    #[cfg(feature = "cap-std")]
    OpenDir,
    CreateTempFile,
    CreateTempFileIn,
    CreateTempDirIn,
    Rollover,
    DupStdio,
    Clone,
    Seek,
    SetLen,
    Sync,
    Lock,
    Unlock,
    Metadata,
    SetPermissions,
    SetTimes,
    CheckExistence,
    Canonicalize,
    Copy,
    Rename,
    HardLink,
    Symlink,
    ReadLink,
    CreateDir,
    RemoveFile,
    RemoveDir,
    RemoveDirAll,
    ReadDir,
    Walk,
    CurrentDir,
    Size,
    AccessTime,
    ModifiedTime,
    ChangeTime,
    StatFs,
}

impl Operation {
    /// The words of the error message: ``failed to {words} `{path}`: ...``.
    const fn words(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::AtomicWrite => "atomically write",
            Self::Open => "open",
            #[cfg(feature = "cap-std")]
            Self::OpenDir => "open directory",
            Self::CreateTempFile => "create a temporary file",
            Self::CreateTempFileIn => "create a temporary file in",
            Self::CreateTempDirIn => "create a temporary directory in",
            Self::Rollover => "roll a spooled file over to disk",
            Self::DupStdio => "duplicate a standard stream",
            Self::Clone => "clone",
            Self::Seek => "seek in",
            Self::SetLen => "set the length of",
            Self::Sync => "sync",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Metadata => "read metadata of",
            Self::SetPermissions => "set permissions of",
            Self::SetTimes => "set the times of",
            Self::CheckExistence => "check existence of",
            Self::Canonicalize => "canonicalize",
            Self::Copy => "copy",
            Self::Rename => "rename",
            Self::HardLink => "hard link",
            Self::Symlink => "symlink",
            Self::ReadLink => "read link",
            Self::CreateDir => "create directory",
            Self::RemoveFile => "remove file",
            Self::RemoveDir => "remove directory",
            Self::RemoveDirAll => "remove directory tree",
            Self::ReadDir => "read directory",
            Self::Walk => "walk",
            Self::CurrentDir => "get the current directory",
            Self::Size => "get the size of",
            Self::AccessTime => "get the access time of",
            Self::ModifiedTime => "get the modification time of",
            Self::ChangeTime => "get the status change time of",
            Self::StatFs => "get filesystem statistics of",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.words())
    }
}

/// The crate's own error values, carried inside [`io::Error`]s.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("failed to {op} `{}`: {source}", path.display())]
    Path {
        op: Operation,
        path: PathBuf,
        source: io::Error,
    },
    #[error("failed to {op} `{}` to `{}`: {source}", from.display(), to.display())]
    Paths {
        op: Operation,
        from: PathBuf,
        to: PathBuf,
        source: io::Error,
    },
    #[error("failed to {op}: {source}")]
    Op { op: Operation, source: io::Error },
    #[error("{0}")]
    WorkLost(&'static str),
    #[error(
        "invalid mode `{0}`: expected one of `r`, `w`, `a`, `x`, \
         then at most one `+` and at most one `b` or `t`"
    )]
    InvalidMode(String),
}

/// `source` with the operation and the path it failed on.
#[cold]
#[inline(never)]
pub(crate) fn path(op: Operation, path: &Path, source: io::Error) -> io::Error {
    io::Error::new(
        source.kind(),
        Error::Path {
            op,
            path: path.to_owned(),
            source,
        },
    )
}

/// `source` with the operation and the two paths it failed on.
#[cold]
#[inline(never)]
pub(crate) fn paths(op: Operation, from: &Path, to: &Path, source: io::Error) -> io::Error {
    io::Error::new(
        source.kind(),
        Error::Paths {
            op,
            from: from.to_owned(),
            to: to.to_owned(),
            source,
        },
    )
}

/// `source` with the operation, for operations on no path.
#[cold]
#[inline(never)]
pub(crate) fn op(op: Operation, source: io::Error) -> io::Error {
    io::Error::new(source.kind(), Error::Op { op, source })
}

/// An executor dropped a work without running it.
#[cold]
#[inline(never)]
pub(crate) fn work_lost(message: &'static str) -> io::Error {
    io::Error::other(Error::WorkLost(message))
}

/// A Python mode string that is not one.
#[cold]
#[inline(never)]
pub(crate) fn invalid_mode(mode: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        Error::InvalidMode(mode.to_owned()),
    )
}

/// Runs `op` again while it fails with [`Interrupted`](io::ErrorKind::Interrupted).
pub(crate) fn retry<T>(mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Adds context to the error of a `std` call.
pub(crate) trait Context<T> {
    /// Names the operation and its path.
    fn at(self, op: Operation, path: &Path) -> io::Result<T>;
    /// Names the operation and its two paths.
    fn at2(self, op: Operation, from: &Path, to: &Path) -> io::Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    #[inline]
    fn at(self, op: Operation, at: &Path) -> io::Result<T> {
        self.map_err(|e| path(op, at, e))
    }

    #[inline]
    fn at2(self, op: Operation, from: &Path, to: &Path) -> io::Result<T> {
        self.map_err(|e| paths(op, from, to, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn message_kind_and_source() {
        let err = std::fs::read("/definitely/not/here")
            .at(Operation::Read, Path::new("/definitely/not/here"));
        let err = err.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err
            .to_string()
            .starts_with("failed to read `/definitely/not/here`: "));
        let source = err.source().unwrap().downcast_ref::<io::Error>().unwrap();
        assert_eq!(source.raw_os_error(), Some(2));
    }

    #[test]
    fn two_paths() {
        let err = paths(
            Operation::Copy,
            Path::new("a"),
            Path::new("b"),
            io::ErrorKind::NotFound.into(),
        );
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            "failed to copy `a` to `b`: entity not found"
        );
    }

    /// The same operation reads the same whichever API ran it.
    #[cfg(feature = "cap-std")]
    #[test]
    fn fs_and_dir_word_an_operation_alike() {
        use crate::{Dir, Inline};

        let tmp = tempfile::tempdir().unwrap();
        futures::executor::block_on(async {
            let by_fs = crate::fs::remove_dir_all(tmp.path().join("gone"))
                .on(Inline)
                .await
                .unwrap_err();
            let dir = Dir::open_ambient(tmp.path()).on(Inline).await.unwrap();
            let by_dir = dir.remove_dir_all("gone").await.unwrap_err();
            let gone = tmp.path().join("gone");
            assert_eq!(
                by_fs.to_string(),
                format!(
                    "failed to remove directory tree `{}`: No such file or directory (os error 2)",
                    gone.display()
                )
            );
            assert_eq!(
                by_dir.to_string(),
                "failed to remove directory tree `gone`: No such file or directory (os error 2)"
            );
        });
    }
}
