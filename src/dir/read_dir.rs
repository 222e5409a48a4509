use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::fs::{FileType, Metadata};
#[cfg(doc)]
use futures_core::Stream;

use crate::error::Context as _;
use crate::error::Operation;
use crate::executor::batch::{batched_stream, Batched, Source};
use crate::executor::{Blocking, Executor, Op};
use crate::fs::Listed;

/// Entries fetched per hand-off.
const BATCH: usize = 64;

/// The entries of a directory beneath a [`Dir`](super::Dir), a [`Stream`] of [`DirEntry`]:
/// returned by [`Dir::read_dir`](super::Dir::read_dir). Lazy: awaiting it opens the
/// directory and resolves to the stream, or the stream's first poll does.
///
/// Entries come in batches of 64 per hand-off to the directory's executor, each with its
/// file type read in the same batch; the first batch comes with the opening hand-off. Memory
/// is bounded by one batch. Entries come in the order the OS gives, without `.` and `..`;
/// their paths are relative to the `Dir` that listed them.
///
/// # Errors
///
/// An `Err` item when the directory cannot be opened (then the stream ends; `PermissionDenied`
/// when the path would leave the `Dir`) or an entry cannot be read (then the listing goes
/// on); the message names the listed path.
///
/// # Cancel safety
///
/// Polling for the next entry and dropping the future loses nothing: a batch in flight lands
/// in the stream's buffer when polled again. Dropping the stream lets a batch in flight
/// finish on the executor, and closes the directory there.
///
/// # Examples
///
/// ```
/// use aiofiles::Dir;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let tmp = tempfile::tempdir()?;
/// for i in 0..100 {
///     std::fs::write(tmp.path().join(i.to_string()), "")?;
/// }
/// let root = Dir::open_ambient(tmp.path()).await?;
/// let mut entries = root.read_dir(".").await?;
/// let mut count = 0;
/// while let Some(entry) = entries.next().await {
///     assert!(entry?.file_type().await?.is_file());
///     count += 1;
/// }
/// assert_eq!(count, 100);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
#[must_use = "streams do nothing unless polled"]
pub struct ReadDir<E: Executor = Blocking> {
    /// The listed path, as given.
    path: Arc<Path>,
    /// Whether entries' paths start with `path` (not when it is `.`).
    prefixed: bool,
    listing: Batched<Listing, E>,
}

/// An entry as the pool thread read it.
struct Raw {
    entry: cap_std::fs::DirEntry,
    file_type: Option<FileType>,
}

/// The directory being listed: opened beneath its `Dir` by the first hand-off, which also
/// reads the first batch.
enum Listing {
    Unopened {
        root: Arc<cap_std::fs::Dir>,
        path: Arc<Path>,
    },
    Open {
        path: Arc<Path>,
        entries: cap_std::fs::ReadDir,
    },
}

impl Source for Listing {
    type Item = io::Result<Raw>;

    fn fill(self, buf: &mut VecDeque<io::Result<Raw>>) -> io::Result<Option<Self>> {
        let (path, mut entries) = match self {
            Listing::Unopened { root, path } => {
                let entries = root.read_dir(&path).at(Operation::ReadDir, &path)?;
                (path, entries)
            }
            Listing::Open { path, entries } => (path, entries),
        };
        for _ in 0..BATCH {
            match entries.next() {
                Some(Ok(entry)) => {
                    let file_type = entry.file_type().ok();
                    buf.push_back(Ok(Raw { entry, file_type }));
                }
                Some(Err(e)) => buf.push_back(Err(e).at(Operation::ReadDir, &path)),
                None => return Ok(None),
            }
        }
        Ok(Some(Listing::Open { path, entries }))
    }
}

impl<E: Executor> ReadDir<E> {
    /// The listing of `path` beneath `root`, not opened yet: the stream of
    /// [`Dir::read_dir`](super::Dir::read_dir).
    pub(super) fn new(root: Arc<cap_std::fs::Dir>, path: &Path, exec: E) -> Self {
        let path: Arc<Path> = Arc::from(path);
        ReadDir {
            prefixed: !path.components().all(|c| c == Component::CurDir),
            listing: Batched::new(
                Listing::Unopened {
                    root,
                    path: Arc::clone(&path),
                },
                exec,
            ),
            path,
        }
    }

    /// Binds the listing to `exec`: every batch is fetched there, and its entries carry it.
    ///
    /// # Panics
    ///
    /// If the listing was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Dir, Limit};
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entries: Vec<_> = root.read_dir(".").on(Limit::new(Blocking, 1)).try_collect().await?;
    /// assert_eq!(entries.len(), 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> ReadDir<E2> {
        ReadDir {
            path: self.path,
            prefixed: self.prefixed,
            listing: self.listing.on("ReadDir::on", "listing", exec),
        }
    }
}

batched_stream! {
    ReadDir => DirEntry<E>, listing;
    Debug { path: path };

    /// The executor batches are fetched on, the listing [`Dir`](super::Dir)'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Dir, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).on(Inline).await?;
    /// assert_eq!(*root.read_dir(".").await?.executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn executor;

    /// The next entry, or `None` at the end: the same as `StreamExt::next` without the import,
    /// in the shape of `tokio::fs::ReadDir::next_entry`.
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
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("only"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let mut entries = root.read_dir(".").await?;
    /// assert_eq!(entries.next_entry().await?.unwrap().file_name(), "only");
    /// assert!(entries.next_entry().await?.is_none());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    async fn next_entry;

    /// Awaiting a [`ReadDir`]: opens the directory beneath its [`Dir`](super::Dir) and
    /// fetches the first batch.
    ///
    /// # Errors
    ///
    /// When the directory cannot be opened, `PermissionDenied` when the path would leave the
    /// `Dir`; the message names the path.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the listing; the hand-off in flight finishes on the executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let future = std::future::IntoFuture::into_future(root.read_dir("."));
    /// let mut entries = future.await?;
    /// assert!(entries.next_entry().await?.is_none());
    /// let err = root.read_dir("missing").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    future ReadDirFuture;

    |this, raw, exec| raw.map(|raw| {
        let name = raw.entry.file_name();
        let path = match this.prefixed {
            true => this.path.join(&name),
            false => PathBuf::from(name),
        };
        DirEntry {
            entry: Arc::new(raw.entry),
            listed: Listed {
                path,
                file_type: raw.file_type,
                exec: exec.clone(),
            },
        }
    })
}

/// An entry of a directory beneath a [`Dir`](super::Dir), yielded by [`ReadDir`].
///
/// It holds the listed directory's handle: [`metadata`](DirEntry::metadata) looks the entry
/// up by name in that directory, never by a path from the root, on the listing's executor.
///
/// # Examples
///
/// ```
/// use aiofiles::Dir;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let tmp = tempfile::tempdir()?;
/// std::fs::create_dir(tmp.path().join("sub"))?;
/// std::fs::write(tmp.path().join("sub/a.txt"), "abc")?;
/// let root = Dir::open_ambient(tmp.path()).await?;
/// let entry = root.read_dir("sub").await?.next().await.unwrap()?;
/// assert_eq!(entry.file_name(), "a.txt");
/// assert_eq!(entry.path(), std::path::Path::new("sub/a.txt"));
/// assert_eq!(entry.metadata().await?.len(), 3);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
pub struct DirEntry<E = Blocking> {
    entry: Arc<cap_std::fs::DirEntry>,
    listed: Listed<FileType, E>,
}

impl<E: Executor> DirEntry<E> {
    /// The entry's path relative to the [`Dir`](super::Dir) that listed it: the listed path
    /// joined with the entry's name (just the name when the listed path was `.`). Give it
    /// back to that `Dir` to open the entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("x"), "data")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entry = root.read_dir(".").await?.next().await.unwrap()?;
    /// assert_eq!(entry.path(), std::path::Path::new("x"));
    /// assert_eq!(root.read(entry.path()).await?, b"data");
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
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir(tmp.path().join("d"))?;
    /// std::fs::write(tmp.path().join("d/name.txt"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entry = root.read_dir("d").await?.next().await.unwrap()?;
    /// assert_eq!(entry.file_name(), "name.txt");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_name(&self) -> OsString {
        self.entry.file_name()
    }

    /// The entry's file type, without following symlinks: `cap-std`'s [`FileType`], which has
    /// the methods of std's.
    ///
    /// Read with the listing, so this needs no hand-off (unless the OS did not report the
    /// type, then one [`metadata`](DirEntry::metadata) call).
    ///
    /// # Errors
    ///
    /// Only in that fallback, as [`metadata`](DirEntry::metadata).
    ///
    /// # Cancel safety
    ///
    /// Nothing changes on disk; dropping the future discards the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("link"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entry = root.read_dir(".").await?.next().await.unwrap()?;
    /// assert!(entry.file_type().await?.is_symlink());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        match self.listed.file_type {
            Some(file_type) => Ok(file_type),
            None => Ok(self.metadata().await?.file_type()),
        }
    }

    /// The entry's metadata, without following symlinks (as [`crate::fs::DirEntry::metadata`]):
    /// `cap-std`'s [`Metadata`]. One hand-off to the listing's executor.
    ///
    /// # Errors
    ///
    /// When the entry cannot be queried, e.g. it was removed since it was listed; the message
    /// names the entry's path.
    ///
    /// # Cancel safety
    ///
    /// Nothing changes on disk; dropping the future discards the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("f"), "12345")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entry = root.read_dir(".").await?.next().await.unwrap()?;
    /// assert_eq!(entry.metadata().await?.len(), 5);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let entry = Arc::clone(&self.entry);
        let path = self.listed.path.clone();
        Op::new(move || entry.metadata().at(Operation::Metadata, &path))
            .on(self.listed.exec.clone())
            .await
    }
}

impl<E> fmt::Debug for DirEntry<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.listed.fmt("DirEntry", f)
    }
}
