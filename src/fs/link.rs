use std::path::{Path, PathBuf};

use super::{on_path, on_paths};
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Creates a hard link `link` to the file `original`. Async version of [`std::fs::hard_link`].
///
/// # Errors
///
/// As [`std::fs::hard_link`]; the message names both paths: ``failed to hard link `a` to `b`:
/// ...``.
///
/// # Cancel safety
///
/// Once polled, the link is created even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a"), dir.path().join("b"));
/// std::fs::write(&a, "shared")?;
/// fs::hard_link(&a, &b).await?;
/// assert_eq!(std::fs::read_to_string(&b)?, "shared");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "link")]
pub fn hard_link<P: AsRef<Path>, Q: AsRef<Path>>(
    original: P,
    link: Q,
) -> Op<impl Work<Output = ()>> {
    on_paths(
        Operation::HardLink,
        original.as_ref(),
        link.as_ref(),
        |original, link| std::fs::hard_link(original, link),
    )
}

/// Creates a symbolic link `link` pointing to `original`. Async version of
/// [`std::os::unix::fs::symlink`].
///
/// `original` is stored as given: a relative target is resolved from the link's directory.
///
/// # Errors
///
/// As [`std::os::unix::fs::symlink`]; the message names both paths.
///
/// # Cancel safety
///
/// Once polled, the link is created even if the future is dropped.
///
/// # Platform-specific behavior
///
/// Unix only.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let link = dir.path().join("link");
/// fs::symlink("target.txt", &link).await?;
/// assert_eq!(std::fs::read_link(&link)?, std::path::Path::new("target.txt"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
pub fn symlink<P: AsRef<Path>, Q: AsRef<Path>>(original: P, link: Q) -> Op<impl Work<Output = ()>> {
    on_paths(
        Operation::Symlink,
        original.as_ref(),
        link.as_ref(),
        |original, link| std::os::unix::fs::symlink(original, link),
    )
}

/// Reads the target of a symbolic link. Async version of [`std::fs::read_link`].
///
/// # Errors
///
/// As [`std::fs::read_link`]: [`InvalidInput`](std::io::ErrorKind::InvalidInput) when the
/// path is not a symlink, [`NotFound`](std::io::ErrorKind::NotFound) when missing; the message
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
/// let link = dir.path().join("link");
/// std::os::unix::fs::symlink("../elsewhere", &link)?;
/// assert_eq!(fs::read_link(&link).await?, std::path::Path::new("../elsewhere"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "readlink")]
pub fn read_link<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = PathBuf>> {
    on_path(Operation::ReadLink, path.as_ref(), |path| {
        std::fs::read_link(path)
    })
}
