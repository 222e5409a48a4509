//! What creating a temporary file or directory runs on the executor: the `tempfile` crate's
//! builder, set up from a [`Builder`](super::Builder)'s settings; the shell of the futures
//! that run it ([`creating_future!`]); and what the file or directory they make keeps of its
//! path ([`Temp`]).
//!
//! Apart from `builder.rs`, so that the creating futures (`named.rs`, `dir.rs`) and the
//! builder that makes them both depend on this, and not on each other.

use std::ffi::OsString;
use std::fmt;
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

/// The path of a temporary file or directory, and whether it is kept: not removed by its
/// owner's `close` or drop (the builder said so, or it was kept, persisted or removed already).
pub(super) struct Temp {
    pub(super) path: PathBuf,
    pub(super) keep: bool,
}

impl Temp {
    /// Keeps it: no removal any more. Returns the path.
    pub(super) fn keep(&mut self) -> PathBuf {
        self.keep = true;
        std::mem::take(&mut self.path)
    }

    /// The path and whether it is kept, for its owner's `Debug`.
    pub(super) fn fields<'d, 'a, 'b>(
        &self,
        debug: &'d mut fmt::DebugStruct<'a, 'b>,
    ) -> &'d mut fmt::DebugStruct<'a, 'b> {
        debug.field("path", &self.path).field("keep", &self.keep)
    }
}

/// A future creating a temporary `$made<E>` by running `$work` on its executor, as
/// [`NewNamedTempFile`](super::NewNamedTempFile) and [`NewTempDir`](super::NewTempDir) are:
/// the public struct (with the docs given), `new` for the [`Builder`](super::Builder), `on`
/// (with the docs given), `Future`, and `Debug`. `|$made_by_work, $exec, $keep| $finish`
/// makes the `io::Result<$made<E>>` from what the work made, the executor, and whether the
/// builder said to keep it.
macro_rules! creating_future {
    (
        $(#[$doc:meta])*
        pub struct $future:ident: $work:ident => $made:ident;

        $(#[$on_doc:meta])*
        fn on;

        |$made_by_work:pat, $exec:ident, $keep:ident| $finish:expr $(;)?
    ) => {
        pin_project_lite::pin_project! {
            $(#[$doc])*
            #[must_use = "futures do nothing unless you .await or poll them"]
            pub struct $future<E: $crate::executor::Executor = $crate::executor::Blocking> {
                #[pin]
                op: $crate::executor::Op<$work, E>,
                keep: bool,
            }
        }

        impl $future {
            pub(super) fn new(
                settings: super::create::Settings,
                dir: std::path::PathBuf,
                keep: bool,
            ) -> Self {
                $future {
                    op: $crate::executor::Op::new($work { settings, dir }),
                    keep,
                }
            }
        }

        impl<E: $crate::executor::Executor> $future<E> {
            $(#[$on_doc])*
            pub fn on<E2: $crate::executor::Executor>(self, exec: E2) -> $future<E2> {
                $future {
                    op: self.op.on(exec),
                    keep: self.keep,
                }
            }
        }

        impl<E: $crate::executor::Executor> std::future::Future for $future<E> {
            type Output = std::io::Result<$made<E>>;

            fn poll(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Self::Output> {
                let this = self.project();
                let $exec = this.op.executor().clone();
                let $keep = *this.keep;
                let $made_by_work = std::task::ready!(this.op.poll(cx))?;
                std::task::Poll::Ready($finish)
            }
        }

        impl<E: $crate::executor::Executor> std::fmt::Debug for $future<E> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($future))
                    .field("keep", &self.keep)
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(super) use creating_future;
