use std::path::Path;
use std::sync::Arc;

use crate::executor::batch::{batched_stream, Batched};
use crate::executor::{Blocking, Executor};

mod entry;
mod walker;

pub use self::entry::WalkEntry;
use self::walker::Walker;

/// Items taken from the walk per hand-off: the stream never buffers more.
const BATCH: usize = 128;

/// A recursive walk beneath a [`Dir`](super::Dir), a [`Stream`](futures_core::Stream) of [`WalkEntry`]: returned by
/// [`Dir::walk`](super::Dir::walk). The confined counterpart of [`fs::walk`](crate::fs::walk).
///
/// The walk is top-down: the path given to [`Dir::walk`](super::Dir::walk) comes first
/// (depth 0), then every entry below it, each directory before its contents. Paths are
/// relative to the `Dir`, starting with the path given: `walk("a")` yields `a`, `a/b`,
/// `a/b/c`, ...; `walk(".")` yields `.`, then `a`, `a/b`, ... Within a directory, entries come
/// in the order the OS gives unless [`sort_by_file_name`](Walk::sort_by_file_name) is set.
///
/// # Symlinks
///
/// By default, no symlink below the path given is followed: a symlink is yielded as a symlink
/// entry and not descended into, wherever it points. Subdirectories are opened by name from
/// their parent's handle with `O_NOFOLLOW` (on Unix), so a directory swapped for a symlink
/// while the walk runs is an error item, never a way out. The path given itself is resolved
/// as every path given to a `Dir` is: symlinks in it that stay inside are followed, and its
/// entry then has its target's type.
///
/// With [`follow_links(true)`](Walk::follow_links), a symlink whose target stays inside
/// the `Dir` is followed (resolved beneath the `Dir`'s handle, never by looking at its target
/// as a string); one that would leave it is a `PermissionDenied` item and nothing of what it
/// points to is read; a link to one of its own ancestors is one error item, so the walk
/// always ends. See [`follow_links`](Walk::follow_links).
///
/// # Hand-offs and memory
///
/// Each hand-off to the `Dir`'s executor moves the walk to a pool thread, takes up to 128
/// entries from it and brings it back, so a tree of `n` entries costs about `n / 128`
/// hand-offs, whatever its shape. Memory is bounded by one batch plus, for each directory on
/// the current path, its open handle and its listing (two file descriptors per level; in a
/// tree deeper than the process's file descriptor limit allows, the directories past it are
/// error items). With [`sort_by_file_name`](Walk::sort_by_file_name), the names in each
/// directory on the current path are held instead of its listing; with
/// [`follow_links`](Walk::follow_links), the device and inode of each. Never by the size
/// of the tree.
///
/// [`Stream::size_hint`](futures_core::Stream::size_hint)'s lower bound is the number of entries buffered, never more than one
/// batch.
///
/// # Errors
///
/// Errors are items; the walk goes on after each one. An `Err` item for:
///
/// - a directory that cannot be read: its entry comes first, then the error, and it is not
///   descended into;
/// - an entry that cannot be read, or a listing that fails (the rest of that directory is
///   skipped);
/// - a path given that cannot be walked: missing (`NotFound`), or leading outside the `Dir`
///   (`PermissionDenied`, see the [attack table](super::Dir#attacks)). Then it is the only
///   item;
/// - with [`follow_links`](Walk::follow_links), a symlink that leads outside the `Dir`, is
///   broken, is part of a loop of links, or points to one of its own ancestors: that one
///   item instead of the link's entry.
///
/// Errors keep the [`kind`](std::io::Error::kind) of the OS error, name the path relative to the
/// `Dir` and give the original error as [`source`](std::error::Error::source):
/// ``failed to walk `a/locked`: Permission denied (os error 13)``.
///
/// # Cancel safety
///
/// Polling for the next entry and dropping the future loses nothing: a batch in flight lands
/// in the stream's buffer when polled again. Dropping the `Walk` lets a batch in flight
/// finish on the executor, and the walk is then dropped, closing its directories; no further
/// hand-off happens.
///
/// # Examples
///
/// ```
/// use aiofiles::Dir;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let tmp = tempfile::tempdir()?;
/// for i in 0..10 {
///     std::fs::create_dir(tmp.path().join(format!("d{i}")))?;
///     std::fs::write(tmp.path().join(format!("d{i}/f")), "")?;
/// }
/// let root = Dir::open_ambient(tmp.path()).await?;
/// let mut walk = root.walk(".");
/// let (mut dirs, mut files) = (0, 0);
/// while let Some(entry) = walk.next().await {
///     let entry = entry?;
///     if entry.file_type().is_dir() {
///         dirs += 1;
///     } else {
///         files += 1;
///     }
/// }
/// assert_eq!((dirs, files), (11, 10)); // `.`, ten directories, a file in each
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
pub struct Walk<E: Executor = Blocking> {
    /// The path given, for `Debug`.
    rel: Arc<Path>,
    walker: Batched<Walker, E>,
}

impl<E: Executor> Walk<E> {
    /// The walk of `rel` beneath `root`, not started: the work of
    /// [`Dir::walk`](super::Dir::walk).
    pub(super) fn new(root: Arc<cap_std::fs::Dir>, rel: &Path, exec: E) -> Self {
        Walk {
            rel: Arc::from(rel),
            walker: Batched::new(Walker::new(root, rel), exec),
        }
    }

    /// Yields no entry deeper than `depth`, and does not descend past it: the path given is
    /// depth 0, its entries depth 1, and so on. `max_depth(0)` yields the path given alone.
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
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b/c"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let paths: Vec<_> = root
    ///     .walk("a")
    ///     .max_depth(1)
    ///     .map_ok(|e| (e.path().to_owned(), e.depth()))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(paths, [("a".into(), 0), ("a/b".into(), 1)]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn max_depth(self, depth: usize) -> Self {
        self.configure("max_depth", |walker| {
            walker.max_depth = depth.max(walker.min_depth);
        })
    }

    /// Yields no entry shallower than `depth` (the walk still goes through them):
    /// `min_depth(1)` leaves out the path given itself.
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
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    /// use std::path::PathBuf;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b/c"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let paths: Vec<PathBuf> = root
    ///     .walk(".")
    ///     .min_depth(2)
    ///     .map_ok(|e| e.path().to_owned())
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(paths, [PathBuf::from("a/b"), PathBuf::from("a/b/c")]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn min_depth(self, depth: usize) -> Self {
        self.configure("min_depth", |walker| {
            walker.min_depth = depth.min(walker.max_depth);
        })
    }

    /// Yields the entries of each directory sorted by file name (byte order on Unix), instead
    /// of the order the OS gives.
    ///
    /// Sorting needs all of a directory's entries at once, so the walk then holds the names in
    /// each directory on the current path in memory.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// for name in ["c", "a", "b"] {
    ///     std::fs::create_dir(tmp.path().join(name))?;
    ///     std::fs::write(tmp.path().join(name).join("f"), "")?;
    /// }
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let paths: Vec<_> = root
    ///     .walk(".")
    ///     .min_depth(1)
    ///     .sort_by_file_name()
    ///     .map_ok(|e| e.path().to_string_lossy().into_owned())
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(paths, ["a", "a/f", "b", "b/f", "c", "c/f"]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn sort_by_file_name(self) -> Self {
        self.configure("sort_by_file_name", |walker| walker.sort = true)
    }

    /// Follows symlinks that stay inside the [`Dir`](super::Dir) (off by default): a symlink
    /// to a directory is walked like a directory, under the link's name (`in_link -> a` yields
    /// `in_link/f1`), and the [`file_type`](WalkEntry::file_type) of every entry is its
    /// target's ([`path_is_symlink`](WalkEntry::path_is_symlink) still tells the link).
    /// Depths count through links as through directories, so
    /// [`max_depth`](Walk::max_depth), [`min_depth`](Walk::min_depth) and
    /// [`sort_by_file_name`](Walk::sort_by_file_name) work the same.
    ///
    /// Each symlink is resolved beneath the `Dir`'s handle from its path relative to the `Dir`,
    /// as any path given to the `Dir` is (`cap-std`, `openat2(RESOLVE_BENEATH)` where the
    /// kernel has it), never by checking its target as a string. A symlink that would leave
    /// the `Dir` is one `PermissionDenied` item and nothing it leads to is read or listed:
    /// a target with `..` past the root at any depth (`../secret`, `..` at the root,
    /// `a/b/out -> ../../../x`), a chain of links that ends outside, and every absolute
    /// target, even one naming a directory inside (`cap-std`'s rule).
    ///
    /// Loops are found as `walkdir` finds them: when a followed link leads to a directory,
    /// its device and inode numbers (`cap-std`'s [`MetadataExt`](cap_std::fs::MetadataExt),
    /// from the handle the directory is opened as, or from its metadata beneath the root
    /// when it is not descended into past [`max_depth`](Walk::max_depth)) are compared with
    /// those of every directory on the current path, the path given included. A link to one
    /// of them (`a/loop -> ..`, `a/b/up -> ../..`) is one error item and is not followed, so
    /// the walk always ends. Elsewhere than on Unix, directories are compared by their
    /// canonical path relative to the `Dir` ([`cap_std::fs::Dir::canonicalize`]). A link to
    /// a directory that is not an ancestor is walked again under the link's name, as in
    /// `walkdir`.
    ///
    /// Off, symlinks are yielded as symlinks and never descended into (the path given itself
    /// is resolved either way).
    ///
    /// On, each symlink costs a resolution of its path from the root (a `stat` beneath it, and
    /// an open for a directory descended into), and each directory opened one `fstat`, all
    /// within the batches: the hand-offs stay what they are without links.
    ///
    /// # Errors
    ///
    /// On, each of these symlinks is one `Err` item in place of its entry, naming the link's
    /// path relative to the `Dir` and nothing of where it points, and the walk goes on:
    ///
    /// - leading outside the `Dir`: [`PermissionDenied`](std::io::ErrorKind::PermissionDenied),
    ///   ``failed to walk `out`: a path led outside of the filesystem``, the same whether
    ///   or not the target exists outside;
    /// - broken: [`NotFound`](std::io::ErrorKind::NotFound);
    /// - a loop of links (`x -> y`, `y -> x`): the OS's "Too many levels of symbolic links"
    ///   (`ELOOP` as the source's [`raw_os_error`](std::io::Error::raw_os_error));
    /// - to one of its own ancestors: [`Other`](std::io::ErrorKind::Other), as
    ///   [`fs::walk`](crate::fs::walk)'s loops, ``failed to walk `a/loop`: a symlink loop:
    ///   it points to its ancestor `.` ``.
    ///
    /// A followed directory that cannot be listed is its entry, then an error, as any
    /// directory.
    ///
    /// # Cancel safety
    ///
    /// A builder: nothing runs until the walk is polled. The walk's own cancel safety is
    /// [`Walk`]'s.
    ///
    /// # Panics
    ///
    /// If the walk was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    /// use std::os::unix::fs::symlink;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir(tmp.path().join("secret"))?;
    /// std::fs::write(tmp.path().join("secret/key"), "outside")?;
    /// let base = tmp.path().join("root");
    /// std::fs::create_dir_all(base.join("a"))?;
    /// std::fs::write(base.join("a/f1"), "")?;
    /// symlink("a", base.join("in_link"))?; // stays inside: followed
    /// symlink("../secret", base.join("out"))?; // leads outside: one error
    /// symlink("..", base.join("a/loop"))?; // to an ancestor: one error
    /// let root = Dir::open_ambient(&base).await?;
    ///
    /// let items: Vec<_> = root.walk(".").follow_links(true).sort_by_file_name().collect().await;
    /// let shown: Vec<_> = items
    ///     .iter()
    ///     .map(|item| match item {
    ///         Ok(e) => format!("{} {}", e.path().display(), e.file_type().is_dir()),
    ///         Err(e) => format!("{:?}: {e}", e.kind()),
    ///     })
    ///     .collect();
    /// assert_eq!(
    ///     shown,
    ///     [
    ///         ". true",
    ///         "a true",
    ///         "a/f1 false",
    ///         "Other: failed to walk `a/loop`: a symlink loop: it points to its ancestor `.`",
    ///         "in_link true",
    ///         "in_link/f1 false",
    ///         "Other: failed to walk `in_link/loop`: a symlink loop: it points to its ancestor `.`",
    ///         "PermissionDenied: failed to walk `out`: a path led outside of the filesystem",
    ///     ]
    /// );
    ///
    /// // Off (the default), links are entries of their own and never followed.
    /// let plain: Vec<_> = root.walk(".").collect().await;
    /// assert_eq!(plain.len(), 6); // ., a, a/f1, a/loop, in_link, out
    /// assert!(plain.iter().all(Result::is_ok));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn follow_links(self, yes: bool) -> Self {
        self.configure("follow_links", |walker| walker.follow_links = yes)
    }

    /// Changes an option before the walk starts.
    fn configure(mut self, name: &str, f: impl FnOnce(&mut Walker)) -> Self {
        self.walker
            .configure(&format!("Walk::{name}"), "walk", |mut walker| {
                f(&mut walker);
                walker
            });
        self
    }
}

batched_stream! {
    Walk => WalkEntry, walker;
    Debug { path: rel };

    /// The executor batches are taken on, the walked [`Dir`](super::Dir)'s.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Dir, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).on(Inline).await?;
    /// assert_eq!(*root.walk(".").executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn executor;

    // An executor that lost a batch ends the walk: the walk itself went with it.
    |this, entry, exec| entry
}
