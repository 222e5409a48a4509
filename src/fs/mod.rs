//! Filesystem operations with [`std::fs`]'s names and signatures, each one hand-off to an
//! executor.
//!
//! Every function returns an [`Op`]: await it to run on the default pool ([`Blocking`]), or
//! bind it to another executor first with [`.on(executor)`](Op::on). Each costs exactly one
//! hand-off, however much work it does on the pool thread ([`remove_dir_all`] of a whole tree,
//! [`read`] sized from the file's metadata).
//!
//! Errors are std's, with the operation and the path(s) in the message:
//! ``failed to read `data/x.txt`: No such file or directory (os error 2)``. The
//! [`kind`](std::io::Error::kind) is std's, and [`source`](std::error::Error::source) is the
//! original error.
//!
//! To do several things in one hand-off, use [`unblock`](crate::unblock).
//!
//! [`Blocking`]: crate::Blocking
//!
//! # Examples
//!
//! ```
//! use aiofiles::fs;
//!
//! # futures::executor::block_on(async {
//! let dir = tempfile::tempdir()?;
//! let a = dir.path().join("a.txt");
//! fs::write(&a, "hello").await?;
//! fs::rename(&a, dir.path().join("b.txt")).await?;
//! assert_eq!(fs::read_to_string(dir.path().join("b.txt")).await?, "hello");
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

mod copy;
mod copy_progress;
mod create_dir;
mod link;
mod metadata;
mod read;
mod read_dir;
mod remove;
mod rename;
mod walk;
mod write;
mod write_atomic;

use std::io;
use std::path::Path;

pub use self::copy::copy;
pub use self::copy_progress::{copy_with_progress, CopyProgress};
pub use self::create_dir::{create_dir, create_dir_all};
#[cfg(unix)]
pub use self::link::symlink;
pub use self::link::{hard_link, read_link};
pub use self::metadata::{canonicalize, metadata, set_permissions, symlink_metadata, try_exists};
pub use self::read::{read, read_to_string};
#[cfg(feature = "cap-std")]
pub(crate) use self::read_dir::Listed;
pub use self::read_dir::{read_dir, DirEntry, ReadDir, ReadDirFuture};
pub use self::remove::{remove_dir, remove_dir_all, remove_file};
pub use self::rename::rename;
pub use self::walk::{walk, Walk, WalkEntry};
pub use self::write::write;
pub use self::write_atomic::write_atomic;
/// The file type and its options, here too, so that a port from `tokio::fs` or `async_fs` is
/// a change of path.
#[doc(no_inline)]
pub use crate::file::{File, OpenOptions};

use crate::error::{Context, Operation};
use crate::executor::{Op, Work};

/// An operation that runs `f` on `path`, naming `op` and the path in its error.
pub(crate) fn on_path<T, F>(op: Operation, path: &Path, f: F) -> Op<impl Work<Output = T>>
where
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let path = path.to_owned();
    Op::new(move || f(&path).at(op, &path))
}

/// An operation that runs `f` on two paths, naming `op` and both paths in its error.
pub(crate) fn on_paths<T, F>(
    op: Operation,
    from: &Path,
    to: &Path,
    f: F,
) -> Op<impl Work<Output = T>>
where
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let from = from.to_owned();
    let to = to.to_owned();
    Op::new(move || f(&from, &to).at2(op, &from, &to))
}
