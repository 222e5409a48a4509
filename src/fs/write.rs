use std::path::Path;

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Writes `contents` to a file, creating it or truncating it first. Async version of
/// [`std::fs::write`].
///
/// The bytes are copied once, so that the caller's buffer need not outlive the call.
///
/// # Errors
///
/// As [`std::fs::write`]; the message names the path: ``failed to write `x`: ...``.
///
/// # Cancel safety
///
/// Once polled, the write runs to completion even if the future is dropped: the file holds
/// either its old content (not started) or all of `contents`, as with `std::fs::write`.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// fs::write(&path, "first").await?;
/// fs::write(&path, b"second").await?;
/// assert_eq!(std::fs::read_to_string(&path)?, "second");
///
/// let err = fs::write(dir.path().join("no/such/dir"), "x").await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> Op<impl Work<Output = ()>> {
    let contents = contents.as_ref().to_owned();
    on_path(Operation::Write, path.as_ref(), |path| {
        std::fs::write(path, contents)
    })
}
