use std::fmt;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::create::{creating_future, FileWork, Temp};
use crate::executor::{Blocking, Executor};
use crate::file::{Buffering, File, Parts};
use crate::fs;

/// A temporary file with a name, removed when closed or dropped: Python's
/// `NamedTemporaryFile`.
///
/// Reads, writes and seeks like a [`File`] (it implements the same traits), and gives access
/// to it ([`as_file`](NamedTempFile::as_file)). [`close`](NamedTempFile::close) removes it and
/// reports errors; a dropped one is removed by the dropping thread (one `unlink`, as the
/// `tempfile` crate does), so it is gone even when the process exits right after.
/// [`persist`](NamedTempFile::persist) and [`keep`](NamedTempFile::keep) turn it into an
/// ordinary file.
///
/// # Examples
///
/// ```
/// use aiofiles::tempfile::NamedTempFile;
/// use futures::AsyncWriteExt;
///
/// # futures::executor::block_on(async {
/// let mut file = NamedTempFile::new().await?;
/// file.write_all(b"hello").await?;
/// file.flush().await?;
/// assert_eq!(std::fs::read(file.path())?, b"hello");
/// let path = file.path().to_owned();
/// file.close().await?;
/// assert!(!path.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "NamedTemporaryFile")]
pub struct NamedTempFile<E: Executor = Blocking> {
    /// `None` only once moved out by `persist`, `keep` or `close`.
    file: Option<File<E>>,
    temp: Temp,
}

impl NamedTempFile {
    /// Creates a named temporary file in the system's temporary directory, with
    /// [`Builder`](super::Builder)'s defaults.
    ///
    /// # Errors
    ///
    /// When the file cannot be created.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the file is created even if the future is dropped; it is then removed in
    /// the background.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().await?;
    /// assert!(file.path().exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    // Not `Default`: creating is an operation.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> NewNamedTempFile {
        super::Builder::new().tempfile()
    }
}

impl<E: Executor> NamedTempFile<E> {
    fn file(&self) -> &File<E> {
        self.file
            .as_ref()
            .expect("the file is present until consumed")
    }

    fn file_mut(&mut self) -> &mut File<E> {
        self.file
            .as_mut()
            .expect("the file is present until consumed")
    }

    /// The file's path.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().await?;
    /// assert!(file.path().is_absolute());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    /// The open file.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().await?;
    /// assert_eq!(file.as_file().metadata().await?.len(), 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn as_file(&self) -> &File<E> {
        self.file()
    }

    /// The open file, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let mut file = aiofiles::tempfile::NamedTempFile::new().await?;
    /// file.as_file_mut().set_len(3).await?;
    /// assert_eq!(std::fs::metadata(file.path())?.len(), 3);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn as_file_mut(&mut self) -> &mut File<E> {
        self.file_mut()
    }

    /// Moves the file to `new_path` (replacing what is there) and returns it, no longer
    /// temporary, with `new_path` as its [`path`](File::path). Buffered writes are written
    /// first.
    ///
    /// # Errors
    ///
    /// A write error, or the rename's (e.g. `new_path` on another filesystem); the
    /// [`PersistError`] hands the temporary file back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the temporary file, which is then removed if the rename did
    /// not happen yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let mut tmp = aiofiles::tempfile::Builder::new().tempfile_in(dir.path()).await?;
    /// tmp.write_all(b"final").await?;
    /// let target = dir.path().join("final.txt");
    /// let file = tmp.persist(&target).await?;
    /// assert_eq!(file.path(), Some(target.as_path()));
    /// assert_eq!(std::fs::read(&target)?, b"final");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn persist<P: AsRef<Path>>(
        mut self,
        new_path: P,
    ) -> Result<File<E>, PersistError<E>> {
        let new_path = new_path.as_ref().to_owned();
        let file = self.file_mut();
        if let Err(error) = std::future::poll_fn(|cx| Pin::new(&mut *file).poll_flush(cx)).await {
            return Err(PersistError { error, file: self });
        }
        let exec = self.file().executor().clone();
        match fs::rename(&self.temp.path, &new_path).on(exec).await {
            Ok(()) => {
                self.temp.keep = true;
                let mut file = self
                    .file
                    .take()
                    .expect("the file is present until consumed");
                file.moved_to(new_path);
                Ok(file)
            }
            Err(error) => Err(PersistError { error, file: self }),
        }
    }

    /// Keeps the file where it is and returns it with its path: no removal any more.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let tmp = aiofiles::tempfile::NamedTempFile::new().await?;
    /// let (file, path) = tmp.keep();
    /// file.close().await?;
    /// assert!(path.exists());
    /// std::fs::remove_file(path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn keep(mut self) -> (File<E>, PathBuf) {
        let file = self
            .file
            .take()
            .expect("the file is present until consumed");
        (file, self.temp.keep())
    }

    /// Writes buffered data, closes the file and removes it (unless the
    /// [`Builder`](super::Builder) said to keep it). The file is gone when this returns.
    ///
    /// # Errors
    ///
    /// The first error of writing, closing or removing, with the path in the message. The
    /// removal is attempted even if the writes failed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future removes the file before the drop returns.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().await?;
    /// let path = file.path().to_owned();
    /// file.close().await?;
    /// assert!(!path.exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn close(mut self) -> io::Result<()> {
        let file = self
            .file
            .take()
            .expect("the file is present until consumed");
        let exec = file.executor().clone();
        let closed = file.close().await;
        if self.temp.keep {
            return closed;
        }
        let removed = fs::remove_file(&self.temp.path).on(exec).await;
        // Removed: nothing left for `drop` (which removes it if this is dropped).
        self.temp.keep = true;
        closed.and(removed)
    }
}

impl<E: Executor> Drop for NamedTempFile<E> {
    fn drop(&mut self) {
        if self.temp.keep {
            return;
        }
        // One `unlink` here, not on the executor: work left in its queue would die with the
        // process if `main` returned now. The name goes first; the file's own drop then
        // settles its last writes into the unlinked inode, harmlessly.
        let _ = std::fs::remove_file(&self.temp.path);
        drop(self.file.take());
    }
}

impl<E: Executor> fmt::Debug for NamedTempFile<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.temp
            .fields(&mut f.debug_struct("NamedTempFile"))
            .finish()
    }
}

/// [`NamedTempFile::persist`] failed: the error, and the temporary file handed back.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let tmp = aiofiles::tempfile::Builder::new().tempfile_in(dir.path()).await?;
/// let err = tmp.persist(dir.path().join("no/such/dir/x")).await.unwrap_err();
/// assert_eq!(err.error.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.file.path().exists()); // still there, still temporary
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(thiserror::Error)]
#[error("{error}")]
pub struct PersistError<E: Executor = Blocking> {
    /// What went wrong.
    #[source]
    pub error: io::Error,
    /// The temporary file, unchanged.
    pub file: NamedTempFile<E>,
}

impl<E: Executor> fmt::Debug for PersistError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersistError")
            .field("error", &self.error)
            .field("file", &self.file)
            .finish()
    }
}

impl<E: Executor> From<PersistError<E>> for io::Error {
    fn from(err: PersistError<E>) -> io::Error {
        err.error
    }
}

creating_future! {
    /// Creates a [`NamedTempFile`]: returned by [`NamedTempFile::new`],
    /// [`Builder::tempfile`](super::Builder::tempfile) and
    /// [`Builder::tempfile_in`](super::Builder::tempfile_in).
    ///
    /// Awaited as it is, the file works on [`Blocking`]; [`on`](NewNamedTempFile::on) binds it to
    /// another executor, which it keeps.
    ///
    /// # Errors
    ///
    /// When the file cannot be created; the message names the directory.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the file is created even if this is dropped; it is then removed in the
    /// background.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().on(Inline).await?;
    /// assert_eq!(*file.as_file().executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub struct NewNamedTempFile: FileWork => NamedTempFile;

    /// Creates the file on `exec`, which it keeps for all its operations.
    ///
    /// # Panics
    ///
    /// If already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    ///
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::NamedTempFile::new().on(Limit::new(Blocking, 2)).await?;
    /// assert_eq!(file.as_file().executor().max(), 2);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn on;

    |(file, armed), exec, keep| {
        // From here the `NamedTempFile` removes it, without blocking.
        let path = armed.keep().map_err(|e| e.error)?;
        let file = File::from_parts(Parts {
            file,
            path: Some(path.clone()),
            mode: "rb+".into(),
            exec,
            pos: Some(0),
            append: false,
            buffering: Buffering::Adaptive,
            head: None,
        });
        Ok(NamedTempFile {
            file: Some(file),
            temp: Temp { path, keep },
        })
    }
}

impl<E: Executor> AsyncRead for NamedTempFile<E> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.file_mut()).poll_read(cx, buf)
    }
}

impl<E: Executor> AsyncBufRead for NamedTempFile<E> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(self.get_mut().file_mut()).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(self.file_mut()).consume(amt)
    }
}

impl<E: Executor> AsyncWrite for NamedTempFile<E> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.file_mut()).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.file_mut()).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.file_mut()).poll_close(cx)
    }
}

impl<E: Executor> AsyncSeek for NamedTempFile<E> {
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        Pin::new(self.file_mut()).poll_seek(cx, pos)
    }
}
