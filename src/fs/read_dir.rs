use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[cfg(doc)]
use futures_core::Stream;

use crate::error::Context as _;
use crate::error::Operation;
use crate::executor::batch::{batched_stream, Batched, Source};
use crate::executor::{Blocking, Executor};

/// Entries fetched per hand-off.
const BATCH: usize = 64;

/// Lists the entries of a directory. Async version of [`std::fs::read_dir`].
///
/// The returned [`ReadDir`] is lazy. Await it to open the directory and see an error at once,
/// as with `tokio::fs::read_dir`; or use it as a [`Stream`] directly, and an error to open it
/// is its first item. Either way the opening hand-off also fetches the first batch of entries,
/// so a small directory costs one hand-off in all.
///
/// Entries come in the order the OS gives, without `.` and `..`.
///
/// # Errors
///
/// As [`std::fs::read_dir`]: the path is missing or not a directory, or permission is
/// denied; the message names the path. An entry that cannot be read is an `Err` item and the
/// listing goes on.
///
/// # Cancel safety
///
/// See [`ReadDir`].
///
/// # Examples
///
/// ```
/// use futures::TryStreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), "")?;
/// std::fs::create_dir(dir.path().join("b"))?;
///
/// let entries = aiofiles::fs::read_dir(dir.path()).await?;
/// let mut names: Vec<_> = entries.map_ok(|e| e.file_name()).try_collect().await?;
/// names.sort();
/// assert_eq!(names, ["a", "b"]);
///
/// let err = aiofiles::fs::read_dir(dir.path().join("missing")).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "scandir")]
pub fn read_dir<P: AsRef<Path>>(path: P) -> ReadDir {
    ReadDir {
        listing: Batched::new(Listing::Unopened(Arc::from(path.as_ref())), Blocking),
    }
}

/// The entries of a directory, a [`Stream`] of [`DirEntry`], returned by [`read_dir`].
///
/// Entries are fetched in batches of 64 per hand-off to the executor, and each entry's file
/// type is read in the same batch (from the directory listing itself where the OS gives it), so
/// [`DirEntry::file_type`] costs nothing more. Memory is bounded by one batch.
///
/// # Errors
///
/// An `Err` item when the directory cannot be opened (then the stream ends) or an entry cannot
/// be read (then the stream goes on); messages name the directory.
///
/// # Cancel safety
///
/// Polling for the next entry and dropping the future loses nothing: a batch in flight lands
/// in the stream's buffer when polled again. Dropping the `ReadDir` lets a batch in flight
/// finish on the executor, and closes the directory there.
///
/// # Examples
///
/// ```
/// use aiofiles::Inline;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// for i in 0..100 {
///     std::fs::write(dir.path().join(i.to_string()), "")?;
/// }
/// let mut entries = aiofiles::fs::read_dir(dir.path()).on(Inline).await?;
/// let mut count = 0;
/// while let Some(entry) = entries.next().await {
///     assert!(entry?.file_type().await?.is_file());
///     count += 1;
/// }
/// assert_eq!(count, 100);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ReadDir<E: Executor = Blocking> {
    listing: Batched<Listing, E>,
}

/// The directory being listed: opened by the first hand-off, which also reads the first
/// batch.
enum Listing {
    Unopened(Arc<Path>),
    Open(Arc<Path>, std::fs::ReadDir),
}

/// An entry as the pool thread read it.
struct Raw {
    path: PathBuf,
    file_type: Option<FileType>,
}

impl Source for Listing {
    type Item = io::Result<Raw>;

    fn fill(self, buf: &mut VecDeque<io::Result<Raw>>) -> io::Result<Option<Self>> {
        let (root, mut dir) = match self {
            Listing::Unopened(root) => {
                let dir = std::fs::read_dir(&root).at(Operation::ReadDir, &root)?;
                (root, dir)
            }
            Listing::Open(root, dir) => (root, dir),
        };
        for _ in 0..BATCH {
            match dir.next() {
                Some(Ok(entry)) => buf.push_back(Ok(Raw {
                    path: entry.path(),
                    file_type: entry.file_type().ok(),
                })),
                Some(Err(e)) => buf.push_back(Err(e).at(Operation::ReadDir, &root)),
                None => return Ok(None),
            }
        }
        Ok(Some(Listing::Open(root, dir)))
    }
}

impl<E: Executor> ReadDir<E> {
    /// Binds the listing to `exec`: every batch is fetched there, and its entries carry it.
    ///
    /// # Panics
    ///
    /// If the listing was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a"), "")?;
    /// let entries: Vec<_> = aiofiles::fs::read_dir(dir.path())
    ///     .on(Limit::new(Blocking, 1))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(entries.len(), 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> ReadDir<E2> {
        ReadDir {
            listing: self.listing.on("ReadDir::on", "listing", exec),
        }
    }
}

batched_stream! {
    ReadDir => DirEntry<E>, listing;
    Debug {};

    /// The executor batches are fetched on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// assert_eq!(*aiofiles::fs::read_dir(".").on(Inline).executor(), Inline);
    /// ```
    fn executor;

    /// The next entry, or `None` at the end: the same as [`StreamExt::next`] without the
    /// import, in the shape of `tokio::fs::ReadDir::next_entry`.
    ///
    /// [`StreamExt::next`]: https://docs.rs/futures/latest/futures/stream/trait.StreamExt.html#method.next
    ///
    /// # Errors
    ///
    /// As the stream's items: an error to open the directory or to read an entry.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses no entry.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("only"), "")?;
    /// let mut entries = aiofiles::fs::read_dir(dir.path()).await?;
    /// assert_eq!(entries.next_entry().await?.unwrap().file_name(), "only");
    /// assert!(entries.next_entry().await?.is_none());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    async fn next_entry;

    /// Awaiting a [`ReadDir`]: opens the directory and fetches the first batch.
    ///
    /// # Errors
    ///
    /// When the directory cannot be opened; the message names the path.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the listing; the hand-off in flight finishes on the executor.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let future = std::future::IntoFuture::into_future(aiofiles::fs::read_dir(dir.path()));
    /// let mut entries = future.await?;
    /// assert!(entries.next_entry().await?.is_none());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    future ReadDirFuture;

    |this, raw, exec| raw.map(|raw| DirEntry {
        listed: Listed {
            path: raw.path,
            file_type: raw.file_type,
            exec: exec.clone(),
        },
    })
}

/// An entry of a directory, yielded by [`ReadDir`]. Async counterpart of
/// [`std::fs::DirEntry`].
///
/// Carries the listing's executor for the one call that needs a hand-off,
/// [`metadata`](DirEntry::metadata).
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.txt"), "abc")?;
/// let entry = aiofiles::fs::read_dir(dir.path()).await?.next().await.unwrap()?;
/// assert_eq!(entry.file_name(), "a.txt");
/// assert_eq!(entry.path(), dir.path().join("a.txt"));
/// assert_eq!(entry.metadata().await?.len(), 3);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct DirEntry<E = Blocking> {
    listed: Listed<FileType, E>,
}

/// What an entry of a listing knows without a hand-off: its path, its file type when the OS
/// gave it with the listing, and the listing's executor for the calls that need one. The core
/// of this module's [`DirEntry`] and of `Dir::read_dir`'s, whose `F` is cap-std's file type.
pub(crate) struct Listed<F, E> {
    pub(crate) path: PathBuf,
    pub(crate) file_type: Option<F>,
    pub(crate) exec: E,
}

impl<F: fmt::Debug, E> Listed<F, E> {
    /// The `Debug` of the entry type `name`: its path and file type.
    pub(crate) fn fmt(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("path", &self.path)
            .field("file_type", &self.file_type)
            .finish()
    }
}

impl<E: Executor> DirEntry<E> {
    /// The full path: the directory given to [`read_dir`] joined with the entry's name.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("x"), "")?;
    /// let entry = aiofiles::fs::read_dir(dir.path()).next().await.unwrap()?;
    /// assert_eq!(entry.path(), dir.path().join("x"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> PathBuf {
        self.listed.path.clone()
    }

    /// The entry's bare name, without its directory.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("name.txt"), "")?;
    /// let entry = aiofiles::fs::read_dir(dir.path()).next().await.unwrap()?;
    /// assert_eq!(entry.file_name(), "name.txt");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_name(&self) -> OsString {
        self.listed.path.file_name().unwrap_or_default().to_owned()
    }

    /// The entry's file type, without following symlinks.
    ///
    /// Read with the listing, so this needs no hand-off (unless the OS did not report the type,
    /// then one `symlink_metadata` call).
    ///
    /// # Errors
    ///
    /// Only in that fallback, as [`symlink_metadata`](super::symlink_metadata).
    ///
    /// # Cancel safety
    ///
    /// Nothing changes on disk; dropping the future discards the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("nowhere", dir.path().join("link"))?;
    /// let entry = aiofiles::fs::read_dir(dir.path()).next().await.unwrap()?;
    /// assert!(entry.file_type().await?.is_symlink());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        match self.listed.file_type {
            Some(file_type) => Ok(file_type),
            None => Ok(self.metadata().await?.file_type()),
        }
    }

    /// The entry's metadata, without following symlinks (as `tokio` and `async-fs` do).
    ///
    /// One hand-off to the listing's executor.
    ///
    /// # Errors
    ///
    /// As [`symlink_metadata`](super::symlink_metadata): e.g. the entry was removed since it
    /// was listed.
    ///
    /// # Cancel safety
    ///
    /// Nothing changes on disk; dropping the future discards the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("f"), "12345")?;
    /// let entry = aiofiles::fs::read_dir(dir.path()).next().await.unwrap()?;
    /// assert_eq!(entry.metadata().await?.len(), 5);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        super::symlink_metadata(&self.listed.path)
            .on(self.listed.exec.clone())
            .await
    }
}

impl<E> fmt::Debug for DirEntry<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.listed.fmt("DirEntry", f)
    }
}
