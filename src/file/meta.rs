//! What a [`File`] asks of its descriptor rather than its buffers: metadata, permissions,
//! length and syncing.

use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, SeekFrom};

use super::job::Action;
use super::File;
use crate::error::Operation;
use crate::executor::Executor;

impl<E: Executor> File<E> {
    /// Queries the file's metadata (`fstat`). Async version of [`std::fs::File::metadata`].
    ///
    /// It reports what the OS has: writes still buffered in the `File` are not counted.
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::metadata`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Nothing changes; dropping the future discards the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let mut file = aiofiles::open(dir.path().join("a"), "w").await?;
    /// file.write_all(b"12345").await?;
    /// file.flush().await?;
    /// assert_eq!(file.metadata().await?.len(), 5);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn metadata(&self) -> impl Future<Output = io::Result<Metadata>> + Send + 'static {
        self.on_file(|shared| {
            shared
                .file
                .metadata()
                .map_err(|e| shared.error(Operation::Metadata, e))
        })
    }

    /// Changes the file's permissions (`fchmod`). Async version of
    /// [`std::fs::File::set_permissions`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::set_permissions`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the change happens even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::open(dir.path().join("a"), "w").await?;
    /// let mut perms = file.metadata().await?.permissions();
    /// perms.set_readonly(true);
    /// file.set_permissions(perms).await?;
    /// assert!(file.metadata().await?.permissions().readonly());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn set_permissions(
        &self,
        perm: Permissions,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        self.on_file(move |shared| {
            shared
                .file
                .set_permissions(perm)
                .map_err(|e| shared.error(Operation::SetPermissions, e))
        })
    }

    /// Whether the file is a terminal: Python's `isatty()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::open(dir.path().join("a"), "w").await?;
    /// assert!(!file.is_terminal());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn is_terminal(&self) -> bool {
        std::io::IsTerminal::is_terminal(&self.core.shared.file)
    }

    /// Sets the file's length, as [`std::fs::File::set_len`]: truncates, or extends with
    /// zeros. Buffered writes are written first; the position does not change.
    ///
    /// # Errors
    ///
    /// A pending write error, or `ftruncate`'s, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once its hand-off has started, the change happens even if the future is dropped, and
    /// the next call waits for it. Dropped while it still waited for an earlier operation of
    /// the file to finish (one whose future was dropped), nothing happens.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.set_len(10).await?;
    /// assert_eq!(std::fs::read(&path)?, [0; 10]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.hop(Action::SetLen(size)).await
    }

    /// Resizes the file to `size`, or to the current position when `None`: Python's
    /// `truncate()`. Buffered writes are written first, the position does not change, and the
    /// new size is returned.
    ///
    /// # Errors
    ///
    /// As [`set_len`](File::set_len).
    ///
    /// # Cancel safety
    ///
    /// As [`set_len`](File::set_len).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{AsyncSeekExt, AsyncWriteExt};
    /// use std::io::SeekFrom;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.write_all(b"hello world").await?;
    /// file.seek(SeekFrom::Start(5)).await?;
    /// assert_eq!(file.truncate(None).await?, 5);
    /// assert_eq!(file.stream_position().await?, 5);
    /// assert_eq!(std::fs::read(&path)?, b"hello");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn truncate(&mut self, size: Option<u64>) -> io::Result<u64> {
        let size = match size {
            Some(size) => size,
            None => poll_fn(|cx| self.core.poll_seek(cx, SeekFrom::Current(0))).await?,
        };
        self.hop(Action::SetLen(size)).await?;
        Ok(size)
    }

    /// Writes buffered data, then flushes the file's data and metadata to the device
    /// (`fsync`). Async version of [`std::fs::File::sync_all`].
    ///
    /// # Errors
    ///
    /// A write error, or `fsync`'s, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// As [`set_len`](File::set_len): once its hand-off has started, the sync happens even if
    /// the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_all().await?;
    /// assert_eq!(std::fs::read(&path)?, b"durable");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.hop(Action::SyncAll).await
    }

    /// Writes buffered data, then flushes the file's data to the device (`fdatasync`). Async
    /// version of [`std::fs::File::sync_data`].
    ///
    /// # Errors
    ///
    /// A write error, or `fdatasync`'s, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// As [`set_len`](File::set_len): once its hand-off has started, the sync happens even if
    /// the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.write_all(b"data").await?;
    /// file.sync_data().await?;
    /// assert_eq!(std::fs::read(&path)?, b"data");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.hop(Action::SyncData).await
    }
}
