//! [`Dir`]: a directory that no path can lead out of, for paths that come from users.

mod meta;
mod open;
mod read_dir;
mod tree;
mod walk;

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// `cap-std`'s metadata types, which this module's signatures return: re-exported, so that
/// naming them needs no `cap-std` dependency of one's own.
#[doc(no_inline)]
pub use cap_std::fs::{FileType, Metadata};

pub use self::open::OpenAmbient;
pub use self::read_dir::{DirEntry, ReadDir, ReadDirFuture};
pub use self::walk::{Walk, WalkEntry};

use crate::error::Context as _;
use crate::error::Operation;
use crate::executor::{Blocking, Executor, Op, Work};
use crate::file::{Open, OpenOptions};

/// A directory that no path can lead out of: every path given to it is resolved beneath it,
/// by the OS where it can. For servers and tools that take paths from users (CWE-22).
///
/// Opened once with an ambient path ([`Dir::open_ambient`]); from then on every operation
/// takes a path *relative to the directory* and mirrors [`crate::fs`] and [`crate::open`]:
/// [`open`](Dir::open) with a Python mode string, [`read`](Dir::read),
/// [`write`](Dir::write), [`create_dir_all`](Dir::create_dir_all),
/// [`remove_dir_all`](Dir::remove_dir_all), [`read_dir`](Dir::read_dir), ... Each is one
/// hand-off to the executor the `Dir` carries ([`executor`](Dir::executor)), which files and
/// directories opened through it keep. Files opened through a `Dir` are ordinary [`File`]s.
///
/// Resolution happens beneath the directory's handle, not by checking strings: on Linux with
/// `openat2(RESOLVE_BENEATH)` where the kernel has it, elsewhere one component at a time with
/// `openat` and `O_NOFOLLOW`, following symlinks by hand (the `cap-std` crate does it). A
/// path that would leave the directory is refused before anything outside is read, created,
/// changed or deleted; symlinks whose targets stay inside keep working.
///
/// `Dir` is cheap to clone: clones share one directory handle. [`metadata`](Dir::metadata),
/// [`symlink_metadata`](Dir::symlink_metadata) and [`DirEntry::file_type`] give `cap-std`'s
/// [`Metadata`] and [`FileType`] (re-exported here), which have the methods of std's
/// (std's cannot be built outside std).
///
/// # Attacks
///
/// With `canary` a file next to the directory, as the tests plant them:
///
/// | attack | result |
/// |---|---|
/// | `../canary` | `PermissionDenied` |
/// | `a/../../canary`, `a/b/../../../canary` | `PermissionDenied` |
/// | `missing/../../canary` (`missing` does not exist) | `NotFound`: the OS resolves one component at a time, nothing is rewritten as a string |
/// | `/path/to/canary`: any absolute path, even one naming a file inside the root | `PermissionDenied` |
/// | `""` (the empty path) | `NotFound`, as in std (`create_dir_all` does nothing, `try_exists` is `Ok(false)`) |
/// | `.` | the directory itself: [`read_dir`](Dir::read_dir) lists it, [`metadata`](Dir::metadata) describes it, [`open_dir`](Dir::open_dir) reopens it |
/// | a NUL byte in a name | `InvalidInput` |
/// | a name over 255 bytes | std's error for it ("File name too long"), not an escape |
/// | `link/inner` or `link`, `link` a symlink to an absolute path outside | `PermissionDenied` |
/// | `link/canary` or `link`, `link` a symlink to `..` | `PermissionDenied` |
/// | `link/` opened to create (`w`, `a`, [`write`](Dir::write)) | `IsADirectory` (the OS refuses before following) or `PermissionDenied` |
/// | a chain of symlinks whose last target is outside | `PermissionDenied` |
/// | a symlink to an absolute path, even one inside the root; [`read_link`](Dir::read_link) of it | `PermissionDenied` |
/// | a symlink loop | std's error for it ("Too many levels of symbolic links") |
/// | [`write`](Dir::write), [`create_dir_all`](Dir::create_dir_all), [`remove_file`](Dir::remove_file), [`remove_dir_all`](Dir::remove_dir_all), [`rename`](Dir::rename), [`hard_link`](Dir::hard_link) through an intermediate symlink to outside | `PermissionDenied`; nothing outside is created, changed or removed |
/// | [`remove_file`](Dir::remove_file) or [`remove_dir_all`](Dir::remove_dir_all) of an escaping symlink itself | removes the link, never its target |
/// | [`symlink`](Dir::symlink) with an absolute target | `PermissionDenied` (the `Dir` would never follow it) |
/// | a directory swapped for a symlink to outside while paths are resolved | `PermissionDenied` or `NotFound`, never a byte from outside |
/// | [`try_exists`](Dir::try_exists) of an escaping path | `PermissionDenied`, not `Ok(false)` |
/// | `a/../b`, `./x`, symlinks with relative targets that stay inside (`sub/up -> ../file`) | allowed |
///
/// Every error names the operation and the relative path given:
/// ``failed to open `../canary`: a path led outside of the filesystem``; its
/// [`kind`](io::Error::kind) is the one above, its [`source`](std::error::Error::source) the
/// original error.
///
/// # Platform-specific behavior
///
/// [`symlink`](Dir::symlink) is Unix only.
///
/// # Examples
///
/// ```
/// use aiofiles::Dir;
/// use std::io::ErrorKind;
///
/// # futures::executor::block_on(async {
/// let tmp = tempfile::tempdir()?;
/// std::fs::write(tmp.path().join("secret"), "outside")?;
/// std::fs::create_dir(tmp.path().join("public"))?;
/// std::fs::write(tmp.path().join("public/index.html"), "hello")?;
///
/// let public = Dir::open_ambient(tmp.path().join("public")).await?;
///
/// let mut file = public.open("index.html", "r").await?;
/// let mut text = String::new();
/// file.read_to_string(&mut text).await?;
/// assert_eq!(text, "hello");
///
/// for path in ["../secret", "/etc/passwd", "../public/../secret"] {
///     let err = public.read(path).await.unwrap_err();
///     assert_eq!(err.kind(), ErrorKind::PermissionDenied);
///     assert!(err.to_string().contains(path));
/// }
///
/// std::os::unix::fs::symlink("../secret", tmp.path().join("public/planted"))?;
/// let err = public.read_to_string("planted").await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
///
/// [`File`]: crate::File
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
pub struct Dir<E: Executor = Blocking> {
    inner: Arc<cap_std::fs::Dir>,
    exec: E,
}

impl Dir {
    /// Opens the directory at `path`, an ambient path: the one call that takes one. An
    /// operation: awaited as it is, the `Dir` works on [`Blocking`]; [`OpenAmbient::on`]
    /// binds it to another executor, which the `Dir` keeps for all its operations.
    ///
    /// `path` itself may contain `..` and symlinks: it is resolved as any path of the process
    /// is. Only the paths given to the `Dir` afterwards are confined.
    ///
    /// # Errors
    ///
    /// When `path` is missing, is not a directory or cannot be opened; the message names it:
    /// ``failed to open directory `x`: ...``.
    ///
    /// # Cancel safety
    ///
    /// See [`OpenAmbient`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Dir, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).on(Inline).await?;
    /// assert_eq!(*root.executor(), Inline);
    ///
    /// let err = Dir::open_ambient(tmp.path().join("missing")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// assert!(err.to_string().contains("missing"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn open_ambient<P: AsRef<Path>>(path: P) -> OpenAmbient {
        OpenAmbient::new(path.as_ref().to_owned())
    }
}

impl<E: Executor> Dir<E> {
    fn from_parts(inner: cap_std::fs::Dir, exec: E) -> Self {
        Dir {
            inner: Arc::new(inner),
            exec,
        }
    }

    /// The executor this directory's operations run on; files and directories opened through
    /// it keep it.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Dir};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert_eq!(*root.executor(), Blocking);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn executor(&self) -> &E {
        &self.exec
    }

    /// An operation on this directory's executor that runs `f` on `path`, naming `op` and
    /// the path in its error.
    fn on_path<T, F>(&self, op: Operation, path: &Path, f: F) -> Op<impl Work<Output = T>, E>
    where
        F: FnOnce(&cap_std::fs::Dir, &Path) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let dir = Arc::clone(&self.inner);
        let path = path.to_owned();
        Op::new(move || f(&dir, &path).at(op, &path)).on(self.exec.clone())
    }

    /// An operation on this directory's executor that runs `f` on `from` here and `to` in
    /// `to_dir`, naming `op` and both paths in its error.
    fn on_paths<T, F, E2>(
        &self,
        op: Operation,
        from: &Path,
        to_dir: &Dir<E2>,
        to: &Path,
        f: F,
    ) -> Op<impl Work<Output = T>, E>
    where
        F: FnOnce(&cap_std::fs::Dir, &Path, &cap_std::fs::Dir, &Path) -> io::Result<T>
            + Send
            + 'static,
        T: Send + 'static,
        E2: Executor,
    {
        let dir = Arc::clone(&self.inner);
        let to_dir = Arc::clone(&to_dir.inner);
        let from = from.to_owned();
        let to = to.to_owned();
        Op::new(move || f(&dir, &from, &to_dir, &to).at2(op, &from, &to)).on(self.exec.clone())
    }

    /// Opens the subdirectory at `path` as a `Dir` of its own, confined to it and carrying
    /// this directory's executor.
    ///
    /// # Errors
    ///
    /// As [`Dir::open_ambient`], and `PermissionDenied` when `path` would leave this
    /// directory (see the [attack table](Dir#attacks)); the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directory is opened on the executor even if the future is dropped;
    /// it is then closed there.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b"))?;
    /// std::fs::write(tmp.path().join("a/top"), "t")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let b = root.open_dir("a/b").await?;
    /// assert_eq!(b.read("../top").await.unwrap_err().kind(), std::io::ErrorKind::PermissionDenied);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn open_dir<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = Dir<E>>, E> {
        let exec = self.exec.clone();
        self.on_path(Operation::OpenDir, path.as_ref(), move |dir, path| {
            Ok(Dir::from_parts(dir.open_dir(path)?, exec))
        })
    }

    /// Opens the file at `path` with a Python mode string, as [`crate::open`] does: `r`,
    /// `w`, `a`, `x`, then at most one `+` and at most one `b` or `t`. The [`File`] carries
    /// this directory's executor; its [`path`](crate::File::path) is `path` as given.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) naming the mode when it is not one,
    /// before anything is handed to the executor. `PermissionDenied` when `path` would leave
    /// this directory (see the [attack table](Dir#attacks)). Otherwise as
    /// [`std::fs::OpenOptions::open`]; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// See [`Open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    ///
    /// let mut file = root.open("log.txt", "a").await?;
    /// file.write_all(b"line\n").await?;
    /// file.close().await?;
    /// assert_eq!(std::fs::read(tmp.path().join("log.txt"))?, b"line\n");
    ///
    /// let err = root.open("log.txt", "rw").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// [`File`]: crate::File
    pub fn open<P: AsRef<Path>>(&self, path: P, mode: &str) -> Open<E> {
        match OpenOptions::from_mode(mode) {
            Ok(options) => self.open_with(path, &options),
            Err(err) => Open::failed(err).on(self.exec.clone()),
        }
    }

    /// Opens the file at `path` with full [`OpenOptions`] (buffer size included), as
    /// [`OpenOptions::open`] does, beneath this directory. Like [`open`](Dir::open), it costs
    /// one hand-off, and opening a regular file for reading reads its head in the same one.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` when `path` would leave this directory (see the
    /// [attack table](Dir#attacks)); otherwise as [`std::fs::OpenOptions::open`]. The message
    /// names `path`.
    ///
    /// # Cancel safety
    ///
    /// See [`Open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Dir, OpenOptions};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("data.txt"), "abc")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    ///
    /// let mut options = OpenOptions::new();
    /// options.read(true).buffer_size(0);
    /// let mut file = root.open_with("data.txt", &options).await?;
    /// let mut text = String::new();
    /// file.read_to_string(&mut text).await?;
    /// assert_eq!(text, "abc");
    ///
    /// let err = root.open_with("../data.txt", &options).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn open_with<P: AsRef<Path>>(&self, path: P, options: &OpenOptions) -> Open<E> {
        options
            .open_beneath(Arc::clone(&self.inner), path.as_ref())
            .on(self.exec.clone())
    }

    /// Reads the whole file at `path` into a byte vector, as [`crate::fs::read`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::read`], and `PermissionDenied` when `path` would leave this directory;
    /// the message names `path`: ``failed to read `x`: ...``.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the read runs to completion even if the future is dropped; the bytes are
    /// then discarded.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a.bin"), [1, 2, 3])?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert_eq!(root.read("a.bin").await?, [1, 2, 3]);
    /// assert_eq!(root.read("missing").await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn read<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = Vec<u8>>, E> {
        self.on_path(Operation::Read, path.as_ref(), |dir, path| dir.read(path))
    }

    /// Reads the whole file at `path` into a string, as [`crate::fs::read_to_string`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::read_to_string`] (including [`InvalidData`](io::ErrorKind::InvalidData)
    /// when the file is not UTF-8), and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the read runs to completion even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a.txt"), "héllo")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert_eq!(root.read_to_string("a.txt").await?, "héllo");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn read_to_string<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = String>, E> {
        self.on_path(Operation::Read, path.as_ref(), |dir, path| {
            dir.read_to_string(path)
        })
    }

    /// Writes `contents` as the whole content of the file at `path`, creating or truncating
    /// it, as [`crate::fs::write`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::write`], and `PermissionDenied` when `path` would leave this directory,
    /// in which case nothing is created or truncated; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the write runs to completion even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.write("a.txt", "hello").await?;
    /// assert_eq!(std::fs::read_to_string(tmp.path().join("a.txt"))?, "hello");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(
        &self,
        path: P,
        contents: C,
    ) -> Op<impl Work<Output = ()>, E> {
        let contents = contents.as_ref().to_owned();
        self.on_path(Operation::Write, path.as_ref(), move |dir, path| {
            dir.write(path, contents)
        })
    }

    /// Lists the directory at `path` (`"."` for this one), in the shape of
    /// [`crate::fs::read_dir`]: the returned [`ReadDir`] is a lazy `Stream` of [`DirEntry`],
    /// whose paths are relative to this `Dir`. Await it to open the directory and see an
    /// error at once; or use it as a stream directly, and an error to open it is its first
    /// item. Either way the opening hand-off also fetches the first batch of entries, on this
    /// `Dir`'s executor (or the one given to [`ReadDir::on`]).
    ///
    /// # Errors
    ///
    /// As [`std::fs::read_dir`], and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Nothing happens until it is first polled; then the directory is opened even if the
    /// stream is dropped, and closed on the executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir(tmp.path().join("sub"))?;
    /// std::fs::write(tmp.path().join("sub/a"), "")?;
    /// std::fs::write(tmp.path().join("sub/b"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    ///
    /// let mut paths: Vec<_> = root.read_dir("sub").await?.map_ok(|e| e.path()).try_collect().await?;
    /// paths.sort();
    /// assert_eq!(paths, [std::path::Path::new("sub/a"), std::path::Path::new("sub/b")]);
    ///
    /// let names: Vec<_> = root.read_dir(".").await?.map_ok(|e| e.file_name()).try_collect().await?;
    /// assert_eq!(names, ["sub"]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "scandir")]
    pub fn read_dir<P: AsRef<Path>>(&self, path: P) -> ReadDir<E> {
        ReadDir::new(Arc::clone(&self.inner), path.as_ref(), self.exec.clone())
    }

    /// Walks the tree at `path` (`"."` for this whole directory) recursively, top-down, as
    /// [`crate::fs::walk`] does, without ever leaving this directory. The returned
    /// [`Walk`] is the stream itself: nothing happens until it is polled, then entries come
    /// in batches of up to 128 per hand-off to this directory's executor. Configure it first
    /// with [`max_depth`](Walk::max_depth), [`min_depth`](Walk::min_depth),
    /// [`follow_links`](Walk::follow_links) and
    /// [`sort_by_file_name`](Walk::sort_by_file_name).
    ///
    /// The first item is `path` itself (depth 0), as given; the paths of the entries below it
    /// are relative to this `Dir` (`a`, `a/b`, `a/b/file`; without a leading `./` when `path`
    /// is `.`). By default, symlinks below `path` are yielded as symlinks and never followed;
    /// with [`follow_links(true)`](Walk::follow_links), those that stay inside this `Dir`
    /// are followed and each that would leave it is one `PermissionDenied` item.
    ///
    /// # Errors
    ///
    /// Errors are items, and the walk goes on after each: a directory that cannot be read is
    /// its entry, then one error naming it (``failed to walk `a/b`: ...``, the OS error's kind
    /// kept). When `path` leads outside this directory (`..`, an absolute path, a symlink
    /// out), the walk is one `PermissionDenied` item naming it; when it is missing, one
    /// `NotFound` item.
    /// Following links, a link out, a broken link or a loop is one item in place of the
    /// link's entry (see [`follow_links`](Walk::follow_links)).
    ///
    /// # Cancel safety
    ///
    /// See [`Walk`]: dropping the stream stops the walk; a batch in flight finishes on the
    /// executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::{StreamExt, TryStreamExt};
    /// use std::io::ErrorKind;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("public/a/b"))?;
    /// std::fs::write(tmp.path().join("public/a/b/file"), "")?;
    /// std::fs::write(tmp.path().join("secret"), "")?;
    /// std::os::unix::fs::symlink("..", tmp.path().join("public/a/up"))?;
    /// let public = Dir::open_ambient(tmp.path().join("public")).await?;
    ///
    /// let found: Vec<_> = public
    ///     .walk("a")
    ///     .sort_by_file_name()
    ///     .map_ok(|e| (e.path().to_string_lossy().into_owned(), e.depth()))
    ///     .try_collect()
    ///     .await?;
    /// let expected = [("a", 0), ("a/b", 1), ("a/b/file", 2), ("a/up", 1)];
    /// assert_eq!(found, expected.map(|(p, d)| (p.to_owned(), d)));
    ///
    /// let items: Vec<_> = public.walk("../").collect::<Vec<_>>().await;
    /// assert_eq!(items.len(), 1);
    /// assert_eq!(items[0].as_ref().unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "walkdir")]
    pub fn walk<P: AsRef<Path>>(&self, path: P) -> Walk<E> {
        Walk::new(Arc::clone(&self.inner), path.as_ref(), self.exec.clone())
    }
}

impl<E: Executor> Clone for Dir<E> {
    fn clone(&self) -> Self {
        Dir {
            inner: Arc::clone(&self.inner),
            exec: self.exec.clone(),
        }
    }
}

impl<E: Executor> fmt::Debug for Dir<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dir").field("dir", &self.inner).finish()
    }
}
