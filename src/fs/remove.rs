use std::path::Path;

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Removes a file (or a symlink, not its target). Async version of [`std::fs::remove_file`].
///
/// # Errors
///
/// As [`std::fs::remove_file`]: a missing path is [`NotFound`](std::io::ErrorKind::NotFound),
/// and the message names the path.
///
/// # Cancel safety
///
/// Once polled, the removal happens even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a");
/// std::fs::write(&path, "x")?;
/// fs::remove_file(&path).await?;
/// assert!(!path.exists());
/// assert_eq!(fs::remove_file(&path).await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "unlink")]
#[doc(alias = "remove")]
pub fn remove_file<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::RemoveFile, path.as_ref(), |path| {
        std::fs::remove_file(path)
    })
}

/// Removes an empty directory. Async version of [`std::fs::remove_dir`].
///
/// # Errors
///
/// As [`std::fs::remove_dir`]: a missing path, a file, or a directory that is not empty; the
/// message names the path.
///
/// # Cancel safety
///
/// Once polled, the removal happens even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let sub = dir.path().join("sub");
/// std::fs::create_dir(&sub)?;
/// fs::remove_dir(&sub).await?;
/// assert!(!sub.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "rmdir")]
pub fn remove_dir<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::RemoveDir, path.as_ref(), |path| {
        std::fs::remove_dir(path)
    })
}

/// Removes a directory and everything in it, without following symlinks. Async version of
/// [`std::fs::remove_dir_all`].
///
/// The whole tree is removed in one hand-off.
///
/// # Errors
///
/// As [`std::fs::remove_dir_all`]; the message names the root path.
///
/// # Cancel safety
///
/// Once polled, the removal runs to completion even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let tree = dir.path().join("a");
/// std::fs::create_dir_all(tree.join("b/c"))?;
/// std::fs::write(tree.join("b/c/file"), "x")?;
/// fs::remove_dir_all(&tree).await?;
/// assert!(!tree.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn remove_dir_all<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::RemoveDirAll, path.as_ref(), |path| {
        std::fs::remove_dir_all(path)
    })
}
