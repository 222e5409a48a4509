//! Async temporary files and directories: Python's `aiofiles.tempfile`, in the shape of the
//! [`tempfile`](https://docs.rs/tempfile) crate.
//!
//! | Python `aiofiles.tempfile` | here |
//! |---|---|
//! | `TemporaryFile()` | [`tempfile()`] |
//! | `NamedTemporaryFile()` | [`NamedTempFile::new()`], [`Builder::tempfile`] |
//! | `NamedTemporaryFile(delete=False)` | [`Builder::keep`], [`NamedTempFile::keep`] |
//! | `SpooledTemporaryFile(max_size)` | [`SpooledTempFile::new`], [`Builder::spooled`] |
//! | `TemporaryDirectory()` | [`tempdir()`], [`Builder::tempdir`] |
//! | `prefix=`, `suffix=`, `dir=` | [`Builder::prefix`], [`Builder::suffix`], [`Builder::tempfile_in`] |
//!
//! Files and directories are created by the `tempfile` crate: with `O_EXCL`, a random name,
//! and owner-only permissions (0o600 for files, 0o700 for directories). Creating is an
//! operation: awaited on the default executor, or bound to another with `.on(executor)`; the
//! object keeps that executor for all its later operations.
//!
//! A dropped [`NamedTempFile`] or [`TempDir`] is gone even when the process exits right
//! after, as with the `tempfile` crate: the dropping thread removes it (one `unlink` for a
//! file; the tree for a directory, see [`TempDir`]'s caveats). `close().await` removes it on
//! the executor and reports errors.
//!
//! # Examples
//!
//! ```
//! use aiofiles::tempfile::tempdir;
//! use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
//! use std::io::SeekFrom;
//!
//! # futures::executor::block_on(async {
//! let dir = tempdir().await?;
//! let mut file = aiofiles::tempfile::Builder::new()
//!     .prefix("report-")
//!     .suffix(".txt")
//!     .tempfile_in(dir.path())
//!     .await?;
//! file.write_all(b"draft").await?;
//! file.seek(SeekFrom::Start(0)).await?;
//! let mut text = String::new();
//! file.read_to_string(&mut text).await?;
//! assert_eq!(text, "draft");
//!
//! let name = file.path().file_name().unwrap().to_str().unwrap().to_owned();
//! assert!(name.starts_with("report-") && name.ends_with(".txt"));
//!
//! let path = file.path().to_owned();
//! file.close().await?; // removed
//! assert!(!path.exists());
//! dir.close().await?;
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

mod builder;
mod create;
mod dir;
mod named;
mod spooled;

pub use self::builder::Builder;
pub use self::dir::{NewTempDir, TempDir};
pub use self::named::{NamedTempFile, NewNamedTempFile, PersistError};
pub use self::spooled::SpooledTempFile;

use crate::file::Open;

/// Creates an unnamed temporary file, open for reading and writing, which the OS removes
/// when it is closed: Python's `TemporaryFile()`.
///
/// On Linux it is an `O_TMPFILE` file that never has a name; elsewhere it is created in the
/// temporary directory and unlinked at once.
///
/// # Errors
///
/// When the file cannot be created (no temporary directory, no space, ...).
///
/// # Cancel safety
///
/// Once polled, the file is created on the executor even if the future is dropped; it is
/// then closed, and gone.
///
/// # Examples
///
/// ```
/// use futures::{AsyncBufReadExt, AsyncSeekExt, AsyncWriteExt, TryStreamExt};
/// use std::io::SeekFrom;
///
/// # futures::executor::block_on(async {
/// let mut file = aiofiles::tempfile::tempfile().await?;
/// file.write_all(b"one\ntwo\n").await?;
/// file.seek(SeekFrom::Start(0)).await?;
/// let lines: Vec<String> = file.lines().try_collect().await?;
/// assert_eq!(lines, ["one", "two"]);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "TemporaryFile")]
pub fn tempfile() -> Open {
    Open::temp()
}

/// Creates a temporary directory in the system's temporary directory: Python's
/// `TemporaryDirectory()`. Removed with everything in it by [`TempDir::close`], or on drop.
///
/// # Errors
///
/// When the directory cannot be created.
///
/// # Cancel safety
///
/// Once polled, the directory is created even if the future is dropped; it is then removed
/// in the background.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = aiofiles::tempfile::tempdir().await?;
/// std::fs::write(dir.path().join("inside"), "x")?;
/// let path = dir.path().to_owned();
/// dir.close().await?;
/// assert!(!path.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "TemporaryDirectory")]
pub fn tempdir() -> NewTempDir {
    Builder::new().tempdir()
}
