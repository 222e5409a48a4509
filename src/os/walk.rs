use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::executor::batch::{batched_stream, Batched, Source};
use crate::executor::{Blocking, Executor};

/// Names (plus one per directory) gathered per hand-off before the batch is closed; a batch
/// ends after the directory that reaches it.
const BATCH: usize = 128;

/// One directory of the walk: its path, its subdirectories' names, its other entries' names.
type Triple = (PathBuf, Vec<OsString>, Vec<OsString>);

/// Walks a directory tree top-down: Python's `os.walk(top)`.
///
/// Each item is `(dirpath, dirnames, filenames)` for one directory, starting with `top`
/// itself; a directory comes before its subdirectories, which are visited in the order of
/// `dirnames`. `dirpath` is `top` joined with the names below it, as Python's
/// `os.path.join` does. Within a directory, names come in the order the OS gives, as Python's
/// (sort them for a stable order).
///
/// As in Python, `dirnames` holds every entry that is a directory or a symlink to one; the
/// others, broken symlinks included, are in `filenames`. Symlinks to directories are not
/// walked into unless [`follow_links(true)`](Walk::follow_links) (Python's `followlinks`).
///
/// The returned [`Walk`] is the stream itself: nothing happens until it is polled. Bind it to
/// an executor with [`.on(executor)`](Walk::on).
///
/// # Errors
///
/// Like Python's default `onerror=None`, a directory that cannot be listed (permission denied,
/// removed meanwhile, `top` missing) is skipped silently: no item for it and nothing below it.
/// The only `Err` item is an executor that dropped the work (a runtime that shut down); the
/// walk is over after it.
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
/// let top = dir.path().join("top");
/// std::fs::create_dir_all(top.join("a/b"))?;
/// std::fs::write(top.join("f.txt"), "")?;
/// std::fs::write(top.join("a/g.txt"), "")?;
///
/// let walked: Vec<_> = aiofiles::os::walk(&top).try_collect().await?;
/// assert_eq!(
///     walked,
///     [
///         (top.clone(), vec!["a".into()], vec!["f.txt".into()]),
///         (top.join("a"), vec!["b".into()], vec!["g.txt".into()]),
///         (top.join("a/b"), vec![], vec![]),
///     ]
/// );
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn walk<P: AsRef<Path>>(top: P) -> Walk {
    let top = top.as_ref();
    let cursor = Cursor {
        follow_links: false,
        stack: vec![Pending {
            path: top.to_owned(),
            ancestors: None,
        }],
    };
    Walk {
        top: Arc::from(top),
        follow_links: false,
        cursor: Batched::new(cursor, Blocking),
    }
}

/// A walk in the shape of Python's `os.walk`, a [`Stream`](futures_core::Stream) of `(dirpath, dirnames,
/// filenames)`, returned by [`walk`].
///
/// Directories are listed on the executor in batches: each hand-off lists whole directories
/// until it has gathered at least 128 names, so a tree of `n` entries costs about `n / 128`
/// hand-offs. Memory is bounded by one batch (and the largest directory, an item being a whole
/// directory) plus the paths of the directories still to visit, the subdirectories of the
/// directories on the current path, as in Python; never by the size of the tree.
///
/// [`Stream::size_hint`](futures_core::Stream::size_hint)'s lower bound is the number of directories buffered.
///
/// # Errors
///
/// Only when the executor dropped the work; unreadable directories are skipped (see
/// [`walk`]).
///
/// # Cancel safety
///
/// Polling for the next item and dropping the future loses nothing: a batch in flight lands
/// in the stream's buffer when polled again. Dropping the `Walk` lets a batch in flight finish
/// on the executor; no further hand-off happens.
///
/// # Examples
///
/// ```
/// use aiofiles::Inline;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("a/b/c"))?;
/// let mut walk = aiofiles::os::walk(dir.path()).on(Inline);
/// let mut dirs = Vec::new();
/// while let Some(item) = walk.next().await {
///     let (dirpath, _dirnames, _filenames) = item?;
///     dirs.push(dirpath.strip_prefix(dir.path()).unwrap().to_owned());
/// }
/// assert_eq!(dirs, ["", "a", "a/b", "a/b/c"].map(std::path::PathBuf::from));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Walk<E: Executor = Blocking> {
    top: Arc<Path>,
    follow_links: bool,
    cursor: Batched<Cursor, E>,
}

/// Where the walk stands: the directories still to list, the next one last.
struct Cursor {
    follow_links: bool,
    stack: Vec<Pending>,
}

/// A directory still to list.
struct Pending {
    path: PathBuf,
    /// The directories above it, when following links (to stop at a loop).
    ancestors: Option<Arc<Ancestor>>,
}

/// A directory on the path from `top`, identified by its file rather than its path.
struct Ancestor {
    id: FileId,
    parent: Option<Arc<Ancestor>>,
}

#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

/// The identity of the directory `path` leads to, following symlinks.
fn file_id(path: &Path) -> io::Result<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path)?;
        Ok((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path)
    }
}

impl Cursor {
    /// Lists one directory: its triple, and its subdirectories to walk into pushed to the
    /// stack. `None` when it cannot be listed (or would repeat one of its ancestors).
    fn visit(&mut self, dir: Pending) -> Option<Triple> {
        let ancestors = if self.follow_links {
            let id = file_id(&dir.path).ok()?;
            let mut up = dir.ancestors.as_deref();
            while let Some(ancestor) = up {
                if ancestor.id == id {
                    return None;
                }
                up = ancestor.parent.as_deref();
            }
            Some(Arc::new(Ancestor {
                id,
                parent: dir.ancestors,
            }))
        } else {
            None
        };
        let mut dirnames = Vec::new();
        let mut filenames = Vec::new();
        let mut descend = Vec::new();
        // As Python: an error opening or reading the directory skips it whole.
        for entry in std::fs::read_dir(&dir.path).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name();
            let (is_dir, walk_into) = match entry.file_type() {
                Ok(t) if t.is_dir() => (true, true),
                Ok(t) if t.is_symlink() => {
                    let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
                    (is_dir, is_dir && self.follow_links)
                }
                _ => (false, false),
            };
            if walk_into {
                descend.push(dirnames.len());
            }
            if is_dir {
                dirnames.push(name);
            } else {
                filenames.push(name);
            }
        }
        for &i in descend.iter().rev() {
            self.stack.push(Pending {
                path: dir.path.join(&dirnames[i]),
                ancestors: ancestors.clone(),
            });
        }
        Some((dir.path, dirnames, filenames))
    }
}

impl Source for Cursor {
    type Item = Triple;

    /// Lists directories until the batch is full or the walk is over.
    fn fill(mut self, buf: &mut VecDeque<Triple>) -> io::Result<Option<Self>> {
        let mut names = 0;
        while names < BATCH {
            let Some(dir) = self.stack.pop() else {
                return Ok(None);
            };
            if let Some(triple) = self.visit(dir) {
                names += 1 + triple.1.len() + triple.2.len();
                buf.push_back(triple);
            }
        }
        Ok((!self.stack.is_empty()).then_some(self))
    }
}

impl<E: Executor> Walk<E> {
    /// Binds the walk to `exec`: every batch is listed there.
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
    /// let walked: Vec<_> = aiofiles::os::walk(dir.path())
    ///     .on(Limit::new(Blocking, 1))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(walked, [(dir.path().to_owned(), vec![], vec![])]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> Walk<E2> {
        Walk {
            top: self.top,
            follow_links: self.follow_links,
            cursor: self.cursor.on("Walk::on", "walk", exec),
        }
    }

    /// Walks into symlinks to directories too: Python's `followlinks` (off by default).
    ///
    /// Unlike Python, a symlink loop does not make the walk go round until paths grow too
    /// long: a directory that is one of its own ancestors is listed in its parent's
    /// `dirnames` but not walked again.
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
    /// let top = dir.path();
    /// std::fs::create_dir(top.join("real"))?;
    /// std::os::unix::fs::symlink(top.join("real"), top.join("link"))?;
    ///
    /// let plain: Vec<_> = aiofiles::os::walk(top).try_collect().await?;
    /// assert_eq!(plain.len(), 2); // top, real
    ///
    /// let mut followed: Vec<_> = aiofiles::os::walk(top)
    ///     .follow_links(true)
    ///     .map_ok(|(dirpath, _, _)| dirpath)
    ///     .try_collect()
    ///     .await?;
    /// followed.sort();
    /// assert_eq!(followed, [top.to_owned(), top.join("link"), top.join("real")]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn follow_links(mut self, yes: bool) -> Self {
        self.cursor
            .configure("Walk::follow_links", "walk", |mut cursor| {
                cursor.follow_links = yes;
                cursor
            });
        self.follow_links = yes;
        self
    }
}

batched_stream! {
    Walk => Triple, cursor;
    Debug { top: top, follow_links: follow_links };

    /// The executor batches are listed on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// assert_eq!(*aiofiles::os::walk(".").on(Inline).executor(), Inline);
    /// ```
    fn executor;

    |this, triple, exec| Ok(triple)
}
