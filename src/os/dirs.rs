use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{self, Operation};
use crate::executor::{Op, Work};
use crate::fs::{on_path, on_paths};

/// Creates a directory and its missing parents: Python's `os.makedirs(path, exist_ok=...)`.
///
/// With `exist_ok`, an existing directory is fine (as [`fs::create_dir_all`]); without it, an
/// existing `path` fails with [`AlreadyExists`](io::ErrorKind::AlreadyExists).
///
/// [`fs::create_dir_all`]: crate::fs::create_dir_all
///
/// # Errors
///
/// As above; a file in the way is [`AlreadyExists`](io::ErrorKind::AlreadyExists) either way
/// (Python's `FileExistsError`). The message names the path.
///
/// # Cancel safety
///
/// Once polled, the directories are created even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::os;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let deep = dir.path().join("x/y/z");
/// os::makedirs(&deep, false).await?;
/// os::makedirs(&deep, true).await?;
/// let err = os::makedirs(&deep, false).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "create_dir_all")]
pub fn makedirs<P: AsRef<Path>>(path: P, exist_ok: bool) -> Op<impl Work<Output = ()>> {
    on_path(Operation::CreateDir, path.as_ref(), move |path| {
        if exist_ok {
            return std::fs::create_dir_all(path);
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::create_dir(path)
    })
}

/// Removes an empty directory, then each parent that becomes empty: Python's
/// `os.removedirs`.
///
/// Stops quietly at the first parent that cannot be removed (not empty, or not permitted).
///
/// # Errors
///
/// When `path` itself cannot be removed, as [`fs::remove_dir`](crate::fs::remove_dir).
///
/// # Cancel safety
///
/// Once polled, the removals happen even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::os;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("keep/a/b"))?;
/// std::fs::write(dir.path().join("keep/file"), "")?;
/// os::removedirs(dir.path().join("keep/a/b")).await?;
/// assert!(!dir.path().join("keep/a").exists());
/// assert!(dir.path().join("keep").exists()); // not empty
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn removedirs<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::RemoveDir, path.as_ref(), |path| {
        std::fs::remove_dir(path)?;
        prune_parents(path);
        Ok(())
    })
}

/// Removes the empty parents of `path`, from the nearest up, until one cannot be removed.
fn prune_parents(path: &Path) {
    for parent in path.ancestors().skip(1) {
        if parent.as_os_str().is_empty() || std::fs::remove_dir(parent).is_err() {
            break;
        }
    }
}

/// Renames, creating the missing parents of the target first and removing the parents of the
/// source that become empty: Python's `os.renames`.
///
/// # Errors
///
/// When the parents cannot be created or the rename fails; the message names both paths.
/// Pruning the source's parents never fails the call.
///
/// # Cancel safety
///
/// Once polled, the whole operation happens even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::os;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (old, new) = (dir.path().join("a/b/file"), dir.path().join("x/y/file"));
/// std::fs::create_dir_all(old.parent().unwrap())?;
/// std::fs::write(&old, "moved")?;
/// os::renames(&old, &new).await?;
/// assert_eq!(std::fs::read_to_string(&new)?, "moved");
/// assert!(!dir.path().join("a").exists()); // emptied parents are gone
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn renames<P: AsRef<Path>, Q: AsRef<Path>>(old: P, new: Q) -> Op<impl Work<Output = ()>> {
    on_paths(Operation::Rename, old.as_ref(), new.as_ref(), |old, new| {
        if let Some(parent) = new.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                std::fs::create_dir_all(parent)?;
            }
        }
        std::fs::rename(old, new)?;
        prune_parents(old);
        Ok(())
    })
}

/// The names of the entries of a directory, without `.` and `..`, in the order the OS gives:
/// Python's `os.listdir`.
///
/// One hand-off for the whole listing; [`scandir`](super::scandir) streams it instead.
///
/// # Errors
///
/// As [`fs::read_dir`](crate::fs::read_dir): a missing path is
/// [`NotFound`](io::ErrorKind::NotFound); the message names the path.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the names.
///
/// # Examples
///
/// ```
/// use aiofiles::os;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// assert!(os::listdir(dir.path()).await?.is_empty());
/// std::fs::write(dir.path().join("a"), "")?;
/// std::fs::create_dir(dir.path().join("b"))?;
/// let mut names = os::listdir(dir.path()).await?;
/// names.sort();
/// assert_eq!(names, ["a", "b"]);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn listdir<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = Vec<OsString>>> {
    on_path(Operation::ReadDir, path.as_ref(), |path| {
        std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect()
    })
}

/// The current working directory: Python's `os.getcwd`.
///
/// # Errors
///
/// As [`std::env::current_dir`]: e.g. the directory was removed.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the result.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// assert_eq!(aiofiles::os::getcwd().await?, std::env::current_dir()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "current_dir")]
pub fn getcwd() -> Op<impl Work<Output = PathBuf>> {
    Op::new(|| -> io::Result<PathBuf> {
        std::env::current_dir().map_err(|e| error::op(Operation::CurrentDir, e))
    })
}
