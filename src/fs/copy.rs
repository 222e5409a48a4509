use std::path::Path;

use super::on_paths;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Copies the contents and permissions of one file to another, returning the number of bytes
/// copied. Async version of [`std::fs::copy`].
///
/// # Errors
///
/// As [`std::fs::copy`]; the message names both paths: ``failed to copy `a` to `b`: ...``.
///
/// # Cancel safety
///
/// Once polled, the copy runs to completion even if the future is dropped.
///
/// # Platform-specific behavior
///
/// The copy uses the kernel's fastest path std knows (`copy_file_range`, `sendfile`,
/// reflinks where the filesystem offers them).
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a"), dir.path().join("b"));
/// std::fs::write(&a, "12345")?;
/// assert_eq!(fs::copy(&a, &b).await?, 5);
/// assert_eq!(std::fs::read(&b)?, b"12345");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn copy<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> Op<impl Work<Output = u64>> {
    on_paths(Operation::Copy, from.as_ref(), to.as_ref(), |from, to| {
        std::fs::copy(from, to)
    })
}
