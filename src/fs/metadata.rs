use std::fs::{Metadata, Permissions};
use std::path::{Path, PathBuf};

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Queries metadata, following symlinks. Async version of [`std::fs::metadata`].
///
/// # Errors
///
/// As [`std::fs::metadata`]; the message names the path.
///
/// # Cancel safety
///
/// Dropping the future discards the result; nothing changes on disk.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a");
/// std::fs::write(&path, "1234")?;
/// let meta = fs::metadata(&path).await?;
/// assert!(meta.is_file());
/// assert_eq!(meta.len(), 4);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "stat")]
pub fn metadata<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = Metadata>> {
    on_path(Operation::Metadata, path.as_ref(), |path| {
        std::fs::metadata(path)
    })
}

/// Queries metadata without following a final symlink. Async version of
/// [`std::fs::symlink_metadata`].
///
/// # Errors
///
/// As [`std::fs::symlink_metadata`]; the message names the path.
///
/// # Cancel safety
///
/// Dropping the future discards the result; nothing changes on disk.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let link = dir.path().join("link");
/// std::os::unix::fs::symlink("missing", &link)?;
/// assert!(fs::symlink_metadata(&link).await?.file_type().is_symlink());
/// assert!(fs::metadata(&link).await.is_err());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn symlink_metadata<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = Metadata>> {
    on_path(Operation::Metadata, path.as_ref(), |path| {
        std::fs::symlink_metadata(path)
    })
}

/// Returns the absolute path with every symlink resolved. Async version of
/// [`std::fs::canonicalize`].
///
/// # Errors
///
/// As [`std::fs::canonicalize`]: the path must exist; the message names it.
///
/// # Cancel safety
///
/// Dropping the future discards the result; nothing changes on disk.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("sub"))?;
/// let canonical = fs::canonicalize(dir.path().join("sub/../sub/.")).await?;
/// assert_eq!(canonical, std::fs::canonicalize(dir.path())?.join("sub"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn canonicalize<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = PathBuf>> {
    on_path(Operation::Canonicalize, path.as_ref(), |path| {
        std::fs::canonicalize(path)
    })
}

/// Changes the permissions of a file or directory. Async version of
/// [`std::fs::set_permissions`].
///
/// # Errors
///
/// As [`std::fs::set_permissions`]; the message names the path.
///
/// # Cancel safety
///
/// Once polled, the change happens even if the future is dropped.
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
/// let mut perms = fs::metadata(&path).await?.permissions();
/// perms.set_readonly(true);
/// fs::set_permissions(&path, perms).await?;
/// assert!(std::fs::metadata(&path)?.permissions().readonly());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn set_permissions<P: AsRef<Path>>(path: P, perm: Permissions) -> Op<impl Work<Output = ()>> {
    on_path(Operation::SetPermissions, path.as_ref(), move |path| {
        std::fs::set_permissions(path, perm)
    })
}

/// Whether the path exists, following symlinks. Async version of [`Path::try_exists`].
///
/// A missing path or a broken symlink is `Ok(false)`.
///
/// # Errors
///
/// When existence cannot be decided, e.g. permission denied on a parent directory; the message
/// names the path.
///
/// # Cancel safety
///
/// Dropping the future discards the result; nothing changes on disk.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// assert!(fs::try_exists(dir.path()).await?);
/// assert!(!fs::try_exists(dir.path().join("missing")).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn try_exists<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = bool>> {
    on_path(Operation::CheckExistence, path.as_ref(), |path| {
        path.try_exists()
    })
}
