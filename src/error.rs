//! Error context: every error names the operation and the path(s) it failed on.
//!
//! Errors stay [`io::Error`]s with the original [`kind`](io::Error::kind); the message reads
//! ``failed to read `data/x.txt`: No such file or directory (os error 2)``, and
//! [`source`](std::error::Error::source) is the original error, whose
//! [`raw_os_error`](io::Error::raw_os_error) is there for code that needs it.

use std::io;
use std::path::{Path, PathBuf};

/// The crate's own error values, carried inside [`io::Error`]s.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("failed to {op} `{}`: {source}", path.display())]
    Path {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("failed to {op} `{}` to `{}`: {source}", from.display(), to.display())]
    Paths {
        op: &'static str,
        from: PathBuf,
        to: PathBuf,
        source: io::Error,
    },
    #[error("failed to {op}: {source}")]
    Op { op: &'static str, source: io::Error },
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
pub(crate) fn path(op: &'static str, path: &Path, source: io::Error) -> io::Error {
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
pub(crate) fn paths(op: &'static str, from: &Path, to: &Path, source: io::Error) -> io::Error {
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
pub(crate) fn op(op: &'static str, source: io::Error) -> io::Error {
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

/// Adds context to the error of a `std` call.
pub(crate) trait Context<T> {
    /// Names the operation and its path.
    fn at(self, op: &'static str, path: &Path) -> io::Result<T>;
    /// Names the operation and its two paths.
    fn at2(self, op: &'static str, from: &Path, to: &Path) -> io::Result<T>;
}

impl<T> Context<T> for io::Result<T> {
    #[inline]
    fn at(self, op: &'static str, at: &Path) -> io::Result<T> {
        self.map_err(|e| path(op, at, e))
    }

    #[inline]
    fn at2(self, op: &'static str, from: &Path, to: &Path) -> io::Result<T> {
        self.map_err(|e| paths(op, from, to, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn message_kind_and_source() {
        let err =
            std::fs::read("/definitely/not/here").at("read", Path::new("/definitely/not/here"));
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
            "copy",
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
}
