use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::create::DirWork;
use crate::executor::{Blocking, Executor, Op};
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
    path: PathBuf,
    exec: E,
    /// Not removed on drop: kept, or already removed.
    keep: bool,
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
        &self.path
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
        self.keep = true;
        std::mem::take(&mut self.path)
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
        if self.keep {
            return Ok(());
        }
        self.keep = true; // removed here, not by `drop`
        fs::remove_dir_all(&self.path).on(self.exec.clone()).await
    }
}

impl<E: Executor> Drop for TempDir<E> {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl<E: Executor> fmt::Debug for TempDir<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TempDir")
            .field("path", &self.path)
            .field("keep", &self.keep)
            .finish()
    }
}

pin_project! {
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
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct NewTempDir<E: Executor = Blocking> {
        #[pin]
        op: Op<DirWork, E>,
        keep: bool,
    }
}

impl NewTempDir {
    pub(super) fn new(work: DirWork, keep: bool) -> Self {
        NewTempDir {
            op: Op::new(work),
            keep,
        }
    }
}

impl<E: Executor> NewTempDir<E> {
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
    pub fn on<E2: Executor>(self, exec: E2) -> NewTempDir<E2> {
        NewTempDir {
            op: self.op.on(exec),
            keep: self.keep,
        }
    }
}

impl<E: Executor> Future for NewTempDir<E> {
    type Output = io::Result<TempDir<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let exec = this.op.executor().clone();
        // From here the `TempDir` removes it, without blocking.
        let path = ready!(this.op.poll(cx))?.keep();
        Poll::Ready(Ok(TempDir {
            path,
            exec,
            keep: *this.keep,
        }))
    }
}

impl<E: Executor> fmt::Debug for NewTempDir<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewTempDir")
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}
