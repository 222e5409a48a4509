use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::create::{creating_future, DirWork, Temp};
use crate::executor::{Blocking, Executor};
use crate::fs;

/// A temporary directory, removed with everything in it when closed or dropped: Python's
/// `TemporaryDirectory`.
///
/// [`close`](TempDir::close) removes the tree on the executor and reports errors; a dropped
/// one is removed by the dropping thread, as the `tempfile` crate does, so that it is gone
/// even when the process exits right after (work left in an executor's queue dies with the
/// process when `main` returns).
///
/// # Caveats
///
/// Dropping costs what removing the tree costs, on the dropping thread: tens of microseconds
/// for a directory with a few files, more for a large tree. Call [`close`](TempDir::close)
/// to remove a large tree on the executor.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = aiofiles::tempfile::Builder::new().prefix("build-").tempdir().await?;
/// aiofiles::fs::create_dir_all(dir.path().join("a/b")).await?;
/// aiofiles::fs::write(dir.path().join("a/b/out.o"), b"\x7fELF").await?;
/// let path = dir.path().to_owned();
/// dir.close().await?;
/// assert!(!path.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "TemporaryDirectory")]
pub struct TempDir<E: Executor = Blocking> {
    temp: Temp,
    exec: E,
}

impl<E: Executor> TempDir<E> {
    /// The directory's path.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().await?;
    /// assert!(dir.path().is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    /// The executor the directory is removed on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().on(Inline).await?;
    /// assert_eq!(*dir.executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn executor(&self) -> &E {
        &self.exec
    }

    /// Keeps the directory: no removal any more. Returns its path.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().await?;
    /// let path = dir.keep();
    /// assert!(path.is_dir());
    /// std::fs::remove_dir(path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn keep(mut self) -> PathBuf {
        self.temp.keep()
    }

    /// Removes the directory and everything in it, on the executor (unless the
    /// [`Builder`](super::Builder) said to keep it). It is gone when this returns.
    ///
    /// # Errors
    ///
    /// As [`fs::remove_dir_all`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the removal runs to completion even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().await?;
    /// let path = dir.path().to_owned();
    /// std::fs::write(path.join("f"), "")?;
    /// dir.close().await?;
    /// assert!(!path.exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn close(mut self) -> io::Result<()> {
        if self.temp.keep {
            return Ok(());
        }
        self.temp.keep = true; // removed here, not by `drop`
        fs::remove_dir_all(&self.temp.path)
            .on(self.exec.clone())
            .await
    }
}

impl<E: Executor> Drop for TempDir<E> {
    fn drop(&mut self) {
        if !self.temp.keep {
            let _ = std::fs::remove_dir_all(&self.temp.path);
        }
    }
}

impl<E: Executor> fmt::Debug for TempDir<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.temp.fields(&mut f.debug_struct("TempDir")).finish()
    }
}

creating_future! {
    /// Creates a [`TempDir`]: returned by [`tempdir`](super::tempdir),
    /// [`Builder::tempdir`](super::Builder::tempdir) and
    /// [`Builder::tempdir_in`](super::Builder::tempdir_in).
    ///
    /// Awaited as it is, the directory is removed on [`Blocking`]; [`on`](NewTempDir::on)
    /// binds it to another executor.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created; the message names the parent.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directory is created even if this is dropped; it is then removed in
    /// the background.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().on(Limit::new(Blocking, 1)).await?;
    /// assert_eq!(dir.executor().max(), 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub struct NewTempDir: DirWork => TempDir;

    /// Creates the directory on `exec`, which removes it later.
    ///
    /// # Panics
    ///
    /// If already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::tempdir().on(Inline).await?;
    /// assert!(dir.path().is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn on;

    // From here the `TempDir` removes it, without blocking.
    |made, exec, keep| Ok(TempDir {
        temp: Temp {
            path: made.keep(),
            keep,
        },
        exec,
    })
}
