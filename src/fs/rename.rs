use std::path::Path;

use super::on_paths;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Renames a file or directory, replacing `to` if it exists (where the platform allows). Async
/// version of [`std::fs::rename`].
///
/// # Errors
///
/// As [`std::fs::rename`]; the message names both paths: ``failed to rename `a` to `b`: ...``.
///
/// # Cancel safety
///
/// Once polled, the rename happens even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a"), dir.path().join("b"));
/// std::fs::write(&a, "x")?;
/// fs::rename(&a, &b).await?;
/// assert!(!a.exists() && b.exists());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "replace")]
pub fn rename<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> Op<impl Work<Output = ()>> {
    on_paths(Operation::Rename, from.as_ref(), to.as_ref(), |from, to| {
        std::fs::rename(from, to)
    })
}
