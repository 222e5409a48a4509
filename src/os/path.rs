//! Python's `aiofiles.os.path`: questions about paths, each one hand-off.
//!
//! The predicates ([`exists`], [`isfile`], [`isdir`], [`islink`], [`ismount`],
//! [`samefile`], [`sameopenfile`]) answer as Python does: an OS error (a missing path, a
//! broken symlink, permission denied) is `Ok(false)`, and `Err` comes only from an executor
//! that lost the work. [`getsize`] and the times report OS errors, as Python raises them.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{self, Operation};
use crate::executor::{Op, Work};
use crate::fs::on_path;

/// A predicate on a path: OS errors are `false`.
fn predicate<F>(path: &Path, f: F) -> Op<impl Work<Output = bool>>
where
    F: FnOnce(&Path) -> io::Result<bool> + Send + 'static,
{
    let path = path.to_owned();
    Op::new(move || Ok(f(&path).unwrap_or(false)))
}

/// Whether `path` exists, following symlinks: `false` for a broken symlink. Python's
/// `os.path.exists`.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// assert!(path::exists(dir.path()).await?);
/// std::os::unix::fs::symlink("missing", dir.path().join("broken"))?;
/// assert!(!path::exists(dir.path().join("broken")).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn exists<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    predicate(path.as_ref(), |p| std::fs::metadata(p).map(|_| true))
}

/// Whether `path` is a regular file, following symlinks. Python's `os.path.isfile`.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("f"), "")?;
/// assert!(path::isfile(dir.path().join("f")).await?);
/// assert!(!path::isfile(dir.path()).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn isfile<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    predicate(path.as_ref(), |p| std::fs::metadata(p).map(|m| m.is_file()))
}

/// Whether `path` is a directory, following symlinks. Python's `os.path.isdir`.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// assert!(path::isdir(dir.path()).await?);
/// assert!(!path::isdir(dir.path().join("missing")).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn isdir<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    predicate(path.as_ref(), |p| std::fs::metadata(p).map(|m| m.is_dir()))
}

/// Whether `path` is a symlink (broken or not). Python's `os.path.islink`.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::os::unix::fs::symlink("missing", dir.path().join("link"))?;
/// assert!(path::islink(dir.path().join("link")).await?);
/// assert!(!path::islink(dir.path()).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn islink<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    predicate(path.as_ref(), |p| {
        std::fs::symlink_metadata(p).map(|m| m.file_type().is_symlink())
    })
}

/// Whether `path` is a mount point: a directory on another device than its parent, or the
/// root. Python's `os.path.ismount` (POSIX rules: a symlink is never a mount point).
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// assert!(path::ismount("/").await?);
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("sub"))?;
/// assert!(!path::ismount(dir.path().join("sub")).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn ismount<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    predicate(path.as_ref(), |p| {
        let meta = std::fs::symlink_metadata(p)?;
        if meta.file_type().is_symlink() {
            return Ok(false);
        }
        let parent = std::fs::symlink_metadata(p.join(".."))?;
        Ok(meta.dev() != parent.dev() || meta.ino() == parent.ino())
    })
}

/// The size of a file in bytes, following symlinks. Python's `os.path.getsize`.
///
/// # Errors
///
/// As [`fs::metadata`](crate::fs::metadata): a missing path is
/// [`NotFound`](io::ErrorKind::NotFound), and the message names it.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("f"), "12345")?;
/// assert_eq!(aiofiles::os::path::getsize(dir.path().join("f")).await?, 5);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn getsize<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = u64>> {
    on_path(Operation::Size, path.as_ref(), |p| {
        std::fs::metadata(p).map(|m| m.len())
    })
}

/// A time from a `stat` field pair (seconds and nanoseconds since the epoch).
fn time(secs: i64, nanos: i64) -> SystemTime {
    let nanos = Duration::from_nanos(nanos as u64);
    match u64::try_from(secs) {
        Ok(secs) => SystemTime::UNIX_EPOCH + Duration::from_secs(secs) + nanos,
        Err(_) => SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos,
    }
}

/// The last access time, following symlinks. Python's `os.path.getatime`.
///
/// # Errors
///
/// As [`fs::metadata`](crate::fs::metadata), with the path in the message.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("f"), "")?;
/// let atime = aiofiles::os::path::getatime(dir.path().join("f")).await?;
/// assert_eq!(atime, std::fs::metadata(dir.path().join("f"))?.accessed()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn getatime<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = SystemTime>> {
    on_path(Operation::AccessTime, path.as_ref(), |p| {
        std::fs::metadata(p).map(|m| time(m.atime(), m.atime_nsec()))
    })
}

/// The last modification time, following symlinks. Python's `os.path.getmtime`.
///
/// # Errors
///
/// As [`fs::metadata`](crate::fs::metadata), with the path in the message.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("f"), "")?;
/// let mtime = aiofiles::os::path::getmtime(dir.path().join("f")).await?;
/// assert_eq!(mtime, std::fs::metadata(dir.path().join("f"))?.modified()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn getmtime<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = SystemTime>> {
    on_path(Operation::ModifiedTime, path.as_ref(), |p| {
        std::fs::metadata(p).map(|m| time(m.mtime(), m.mtime_nsec()))
    })
}

/// The last status change time (Unix `st_ctime`, not the creation time), following symlinks.
/// Python's `os.path.getctime`.
///
/// # Errors
///
/// As [`fs::metadata`](crate::fs::metadata), with the path in the message.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::MetadataExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("f"), "")?;
/// let ctime = aiofiles::os::path::getctime(dir.path().join("f")).await?;
/// let secs = ctime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
/// assert_eq!(secs as i64, std::fs::metadata(dir.path().join("f"))?.ctime());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn getctime<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = SystemTime>> {
    on_path(Operation::ChangeTime, path.as_ref(), |p| {
        std::fs::metadata(p).map(|m| time(m.ctime(), m.ctime_nsec()))
    })
}

/// Whether two paths name the same file (same device and inode), following symlinks.
/// Python's `os.path.samefile`, except that an OS error is `false`.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use aiofiles::os::path;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a"), dir.path().join("b"));
/// std::fs::write(&a, "")?;
/// std::fs::hard_link(&a, &b)?;
/// assert!(path::samefile(&a, &b).await?);
/// assert!(!path::samefile(&a, dir.path()).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn samefile<P: AsRef<Path>, Q: AsRef<Path>>(a: P, b: Q) -> Op<impl Work<Output = bool>> {
    let b = b.as_ref().to_owned();
    predicate(a.as_ref(), move |a| {
        let (a, b) = (std::fs::metadata(a)?, std::fs::metadata(&b)?);
        Ok(a.dev() == b.dev() && a.ino() == b.ino())
    })
}

/// Whether two open descriptors refer to the same file. Python's `os.path.sameopenfile`,
/// except that an OS error is `false`.
///
/// The descriptors are duplicated for the executor's thread.
///
/// # Errors
///
/// Only when the executor lost the work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), "")?;
/// let one = std::fs::File::open(dir.path().join("a"))?;
/// let two = std::fs::File::open(dir.path().join("a"))?;
/// assert!(aiofiles::os::path::sameopenfile(&one, &two).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn sameopenfile(a: &impl AsFd, b: &impl AsFd) -> Op<impl Work<Output = bool>> {
    let fds = (
        a.as_fd().try_clone_to_owned(),
        b.as_fd().try_clone_to_owned(),
    );
    Op::new(move || {
        let same = || -> io::Result<bool> {
            let a = std::fs::File::from(fds.0?).metadata()?;
            let b = std::fs::File::from(fds.1?).metadata()?;
            Ok(a.dev() == b.dev() && a.ino() == b.ino())
        };
        Ok(same().unwrap_or(false))
    })
}

/// The absolute, normalized form of `path`, without touching the disk: Python's
/// `os.path.abspath` (the current directory joined with `path`, then `.` and `..` resolved
/// lexically; symlinks are not resolved, see [`fs::canonicalize`](crate::fs::canonicalize)).
///
/// # Errors
///
/// When `path` is relative and the current directory cannot be read.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Examples
///
/// ```
/// use std::path::Path;
///
/// # futures::executor::block_on(async {
/// let abs = aiofiles::os::path::abspath("/a/./b/../c").await?;
/// assert_eq!(abs, Path::new("/a/c"));
/// let rel = aiofiles::os::path::abspath("x/y").await?;
/// assert_eq!(rel, std::env::current_dir()?.join("x/y"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn abspath<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = PathBuf>> {
    let path = path.as_ref().to_owned();
    Op::new(move || -> io::Result<PathBuf> {
        let joined = match path.is_absolute() {
            true => path,
            false => std::env::current_dir()
                .map_err(|e| error::op(Operation::CurrentDir, e))?
                .join(path),
        };
        Ok(normalize(&joined))
    })
}

/// Resolves `.` and `..` lexically in an absolute path (`..` at the root stays at the root).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
