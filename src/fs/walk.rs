use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fs::FileType;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use walkdir::WalkDir;

use crate::error::{self, Operation};
use crate::executor::batch::{batched_stream, Batched, Source};
use crate::executor::{Blocking, Executor};

/// Items taken from the walk per hand-off: the stream never buffers more.
const BATCH: usize = 128;

/// Walks a directory tree recursively, top-down: the async counterpart of
/// [`walkdir::WalkDir`](https://docs.rs/walkdir).
///
/// The returned [`Walk`] is the stream itself: nothing happens until it is polled. Configure
/// it first with [`max_depth`](Walk::max_depth), [`min_depth`](Walk::min_depth),
/// [`follow_links`](Walk::follow_links), [`sort_by_file_name`](Walk::sort_by_file_name), and
/// bind it to an executor with [`.on(executor)`](Walk::on).
///
/// The first item is `root` itself (depth 0), then every entry below it, each directory before
/// its contents. Paths start with `root` exactly as given: `walk("a")` yields `a`, `a/b`,
/// `a/b/c`, ... Within a directory, entries come in the order the OS gives unless
/// [`sort_by_file_name`](Walk::sort_by_file_name) is set.
///
/// # Errors
///
/// Errors are items; the walk goes on after each one. A directory that cannot be read is
/// yielded as an entry, then as one error naming it, and is not descended into. A missing
/// `root` is a single error item. See [`Walk`].
///
/// # Cancel safety
///
/// See [`Walk`].
///
/// # Examples
///
/// ```
/// use futures::TryStreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("a/b"))?;
/// std::fs::write(dir.path().join("a/b/c.txt"), "")?;
///
/// let entries: Vec<_> = aiofiles::fs::walk(dir.path().join("a")).try_collect().await?;
/// let found: Vec<_> = entries.iter().map(|e| (e.path().to_owned(), e.depth())).collect();
/// assert_eq!(
///     found,
///     [
///         (dir.path().join("a"), 0),
///         (dir.path().join("a/b"), 1),
///         (dir.path().join("a/b/c.txt"), 2),
///     ]
/// );
/// assert!(entries[2].file_type().is_file());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn walk<P: AsRef<Path>>(root: P) -> Walk {
    let root: Arc<Path> = Arc::from(root.as_ref());
    Walk {
        walking: Batched::new(
            Walking::Unstarted(WalkDir::new(&root), Arc::clone(&root)),
            Blocking,
        ),
        root,
    }
}

/// A recursive walk of a directory tree, a [`Stream`](futures_core::Stream) of [`WalkEntry`], returned by [`walk`].
///
/// The walking itself is [`walkdir`](https://docs.rs/walkdir)'s, run on the executor in
/// batches: each hand-off moves the walk to a pool thread, takes up to 128 entries from it and
/// brings it back, so a tree of `n` entries costs about `n / 128` hand-offs, whatever its
/// shape. Memory is bounded by one batch plus what the walk holds for the current path: an
/// open handle per directory level (past ten levels, the remaining entries of the oldest
/// directories are held instead), and with [`sort_by_file_name`](Walk::sort_by_file_name) the
/// entries of each directory on the current path. Never by the size of the tree.
///
/// [`Stream::size_hint`](futures_core::Stream::size_hint)'s lower bound is the number of entries buffered, never more than one
/// batch.
///
/// # Errors
///
/// An `Err` item, after which the walk goes on, for:
///
/// - a directory that cannot be read (its entry comes first, then the error; it is not
///   descended into), or an entry that cannot be read;
/// - with [`follow_links`](Walk::follow_links), a broken symlink, or a symlink to one of its own
///   ancestors (a loop: it is reported once and not followed, so the walk always ends);
/// - a `root` that does not exist (then the walk is over).
///
/// Errors keep the [`kind`](io::Error::kind) of the OS error (a loop is
/// [`Other`](io::ErrorKind::Other)), name the path, and give the original error as
/// [`source`](std::error::Error::source):
/// ``failed to walk `t/locked`: Permission denied (os error 13)``.
///
/// # Cancel safety
///
/// Polling for the next entry and dropping the future loses nothing: a batch in flight lands
/// in the stream's buffer when polled again. Dropping the `Walk` lets a batch in flight finish
/// on the executor, and the walk is then dropped, closing its directories; no further hand-off
/// happens.
///
/// # Examples
///
/// ```
/// use aiofiles::Inline;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// for i in 0..10 {
///     std::fs::create_dir(dir.path().join(format!("d{i}")))?;
///     std::fs::write(dir.path().join(format!("d{i}/f")), "")?;
/// }
/// let mut walk = aiofiles::fs::walk(dir.path()).on(Inline);
/// let (mut dirs, mut files) = (0, 0);
/// while let Some(entry) = walk.next().await {
///     let entry = entry?;
///     if entry.file_type().is_dir() {
///         dirs += 1;
///     } else {
///         files += 1;
///     }
/// }
/// assert_eq!((dirs, files), (11, 10)); // the root, ten directories, a file in each
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Walk<E: Executor = Blocking> {
    root: Arc<Path>,
    walking: Batched<Walking, E>,
}

/// The walk: configured until the first hand-off starts it.
enum Walking {
    Unstarted(WalkDir, Arc<Path>),
    Started(walkdir::IntoIter, Arc<Path>),
}

impl Source for Walking {
    type Item = io::Result<WalkEntry>;

    fn fill(self, buf: &mut VecDeque<Self::Item>) -> io::Result<Option<Self>> {
        let (mut walk, root) = match self {
            Walking::Unstarted(walk, root) => (walk.into_iter(), root),
            Walking::Started(walk, root) => (walk, root),
        };
        while buf.len() < BATCH {
            match walk.next() {
                Some(Ok(entry)) => buf.push_back(Ok(WalkEntry::new(entry))),
                Some(Err(e)) => buf.push_back(Err(convert(e, &root))),
                None => return Ok(None),
            }
        }
        Ok(Some(Walking::Started(walk, root)))
    }
}

/// A `walkdir` error as an `io::Error`: the OS error's kind, the path in the message, the OS
/// error as the source. An error that names no path (reading an entry failed) names the root.
#[cold]
fn convert(err: walkdir::Error, root: &Path) -> io::Error {
    let path = err.path().unwrap_or(root).to_owned();
    if err.loop_ancestor().is_some() {
        return error::path(Operation::Walk, &path, io::Error::other(err));
    }
    match err.into_io_error() {
        Some(source) => error::path(Operation::Walk, &path, source),
        None => error::path(
            Operation::Walk,
            &path,
            io::Error::other("unknown walk error"),
        ),
    }
}

impl<E: Executor> Walk<E> {
    /// Binds the walk to `exec`: every batch is taken there.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
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
    /// let entries: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .on(Limit::new(Blocking, 1))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(entries.len(), 2); // the root and `a`
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> Walk<E2> {
        Walk {
            root: self.root,
            walking: self.walking.on("Walk::on", "walk", exec),
        }
    }

    /// Yields no entry deeper than `depth`, and does not descend past it: `root` is depth 0,
    /// its entries depth 1, and so on. `max_depth(0)` yields `root` alone.
    ///
    /// As in `walkdir`, a `max_depth` below an earlier [`min_depth`](Walk::min_depth) is
    /// raised to it.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir_all(dir.path().join("a/b/c"))?;
    /// let depths: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .max_depth(2)
    ///     .map_ok(|e| e.depth())
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(depths, [0, 1, 2]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn max_depth(self, depth: usize) -> Self {
        self.configure("max_depth", |walk| walk.max_depth(depth))
    }

    /// Yields no entry shallower than `depth` (the walk still goes through them): `min_depth(1)`
    /// leaves out `root` itself.
    ///
    /// As in `walkdir`, a `min_depth` above an earlier [`max_depth`](Walk::max_depth) is
    /// lowered to it.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir_all(dir.path().join("a/b/c"))?;
    /// let paths: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .min_depth(2)
    ///     .map_ok(|e| e.path().to_owned())
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(paths, [dir.path().join("a/b"), dir.path().join("a/b/c")]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn min_depth(self, depth: usize) -> Self {
        self.configure("min_depth", |walk| walk.min_depth(depth))
    }

    /// Follows symlinks (off by default): a symlink to a directory is walked like a directory,
    /// and every entry's [`file_type`](WalkEntry::file_type) is its target's.
    ///
    /// A symlink to one of its own ancestors is not followed: it is one error item, and the
    /// walk goes on and ends. A broken symlink is an error item too. Off, symlinks are yielded
    /// as symlinks and never descended into (`root` itself is followed either way).
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir(dir.path().join("real"))?;
    /// std::fs::write(dir.path().join("real/f"), "")?;
    /// std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link"))?;
    ///
    /// let plain: Vec<_> = aiofiles::fs::walk(dir.path()).min_depth(1).try_collect().await?;
    /// assert_eq!(plain.len(), 3); // link, real, real/f
    ///
    /// let mut followed: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .min_depth(1)
    ///     .follow_links(true)
    ///     .map_ok(|e| e.path().to_owned())
    ///     .try_collect()
    ///     .await?;
    /// followed.sort();
    /// let expected = ["link", "link/f", "real", "real/f"].map(|p| dir.path().join(p));
    /// assert_eq!(followed, expected);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn follow_links(self, yes: bool) -> Self {
        self.configure("follow_links", |walk| walk.follow_links(yes))
    }

    /// Yields the entries of each directory sorted by file name (byte order on Unix), instead of
    /// the order the OS gives.
    ///
    /// Sorting needs all of a directory's entries at once, so the walk then holds the entries
    /// of each directory on the current path in memory.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// for name in ["c", "a", "b"] {
    ///     std::fs::write(dir.path().join(name), "")?;
    /// }
    /// let names: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .min_depth(1)
    ///     .sort_by_file_name()
    ///     .map_ok(|e| e.file_name().to_owned())
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(names, ["a", "b", "c"]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn sort_by_file_name(self) -> Self {
        self.configure("sort_by_file_name", WalkDir::sort_by_file_name)
    }

    /// Applies a `walkdir` option before the walk starts.
    fn configure(mut self, name: &str, f: impl FnOnce(WalkDir) -> WalkDir) -> Self {
        let method = format!("Walk::{name}");
        self.walking
            .configure(&method, "walk", |walking| match walking {
                Walking::Unstarted(walk, root) => Walking::Unstarted(f(walk), root),
                Walking::Started(..) => unreachable!("a walk starts with its first hand-off"),
            });
        self
    }
}

batched_stream! {
    Walk => WalkEntry, walking;
    Debug { root: root };

    /// The executor batches are taken on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// assert_eq!(*aiofiles::fs::walk(".").on(Inline).executor(), Inline);
    /// ```
    fn executor;

    // An executor that lost a batch ends the walk: the walk itself went with it.
    |this, entry, exec| entry
}

/// An entry found by [`walk`]: its path, depth and file type, all known without a hand-off.
///
/// The shape of `walkdir::DirEntry`.
///
/// # Examples
///
/// ```
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a.txt"), "")?;
/// let entry = aiofiles::fs::walk(dir.path()).min_depth(1).next().await.unwrap()?;
/// assert_eq!(entry.path(), dir.path().join("a.txt"));
/// assert_eq!(entry.file_name(), "a.txt");
/// assert_eq!(entry.depth(), 1);
/// assert!(entry.file_type().is_file());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct WalkEntry {
    path: PathBuf,
    depth: usize,
    file_type: FileType,
    path_is_symlink: bool,
}

impl WalkEntry {
    /// The entry as `walkdir` found it.
    fn new(entry: walkdir::DirEntry) -> Self {
        WalkEntry {
            depth: entry.depth(),
            file_type: entry.file_type(),
            path_is_symlink: entry.path_is_symlink(),
            path: entry.into_path(),
        }
    }

    /// The path of the entry: the `root` given to [`walk`] joined with the names below it.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir(dir.path().join("sub"))?;
    /// let entry = aiofiles::fs::walk(dir.path().join("sub")).next().await.unwrap()?;
    /// assert_eq!(entry.path(), dir.path().join("sub"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let paths: Vec<_> = aiofiles::fs::walk(dir.path())
    ///     .map_ok(aiofiles::fs::WalkEntry::into_path)
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(paths, [dir.path()]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_path(self) -> PathBuf {
        self.path
    }

    /// How far below `root` the entry is: 0 for `root` itself, 1 for its entries, and so on.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir_all(dir.path().join("a/b"))?;
    /// let depths: Vec<_> = aiofiles::fs::walk(dir.path()).map_ok(|e| e.depth()).try_collect().await?;
    /// assert_eq!(depths, [0, 1, 2]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The entry's file type: without following symlinks, unless the walk
    /// [follows links](Walk::follow_links) (then the target's type).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("nowhere", dir.path().join("link"))?;
    /// let entry = aiofiles::fs::walk(dir.path()).min_depth(1).next().await.unwrap()?;
    /// assert!(entry.file_type().is_symlink());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// The entry's bare name: the last component of its [`path`](WalkEntry::path), or the whole
    /// path when it has none (a `root` such as `.` or `/`).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("name.txt"), "")?;
    /// let entry = aiofiles::fs::walk(dir.path()).min_depth(1).next().await.unwrap()?;
    /// assert_eq!(entry.file_name(), "name.txt");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_name(&self) -> &OsStr {
        self.path
            .file_name()
            .unwrap_or_else(|| self.path.as_os_str())
    }

    /// Whether the entry itself is a symlink, even when the walk
    /// [follows links](Walk::follow_links) and [`file_type`](WalkEntry::file_type) is the
    /// target's.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("target"), "")?;
    /// std::os::unix::fs::symlink(dir.path().join("target"), dir.path().join("link"))?;
    /// let mut walk = aiofiles::fs::walk(dir.path()).min_depth(1).follow_links(true).sort_by_file_name();
    /// let link = walk.next().await.unwrap()?;
    /// assert_eq!(link.file_name(), "link");
    /// assert!(link.file_type().is_file() && link.path_is_symlink());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path_is_symlink(&self) -> bool {
        self.path_is_symlink
    }
}
