use std::path::Path;

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Creates a directory. Async version of [`std::fs::create_dir`].
///
/// # Errors
///
/// As [`std::fs::create_dir`]: [`AlreadyExists`](std::io::ErrorKind::AlreadyExists) when the
/// path exists, [`NotFound`](std::io::ErrorKind::NotFound) when a parent is missing; the message
/// names the path.
///
/// # Cancel safety
///
/// Once polled, the directory is created even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let sub = dir.path().join("sub");
/// fs::create_dir(&sub).await?;
/// assert!(sub.is_dir());
/// let err = fs::create_dir(&sub).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "mkdir")]
pub fn create_dir<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::CreateDir, path.as_ref(), |path| {
        std::fs::create_dir(path)
    })
}

/// Creates a directory and all its missing parents. Async version of
/// [`std::fs::create_dir_all`].
///
/// Succeeds if the directory already exists. One hand-off for the whole chain.
///
/// # Errors
///
/// As [`std::fs::create_dir_all`], e.g. when a component is a file; the message names the path.
///
/// # Cancel safety
///
/// Once polled, the directories are created even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let deep = dir.path().join("a/b/c");
/// fs::create_dir_all(&deep).await?;
/// fs::create_dir_all(&deep).await?;
/// assert!(deep.is_dir());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn create_dir_all<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = ()>> {
    on_path(Operation::CreateDir, path.as_ref(), |path| {
        std::fs::create_dir_all(path)
    })
}
