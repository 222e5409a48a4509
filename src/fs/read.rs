use std::path::Path;

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Reads the whole file into a byte vector. Async version of [`std::fs::read`].
///
/// One hand-off: the buffer is sized from the file's metadata in the same call.
///
/// # Errors
///
/// As [`std::fs::read`]; the message names the path: ``failed to read `x`: ...``.
///
/// # Cancel safety
///
/// Once polled, the read runs to completion even if the future is dropped; the bytes are then
/// discarded.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.bin");
/// std::fs::write(&path, [1, 2, 3])?;
/// assert_eq!(fs::read(&path).await?, [1, 2, 3]);
///
/// let err = fs::read(dir.path().join("missing")).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("missing"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn read<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = Vec<u8>>> {
    on_path(Operation::Read, path.as_ref(), |path| std::fs::read(path))
}

/// Reads the whole file into a string. Async version of [`std::fs::read_to_string`].
///
/// # Errors
///
/// As [`std::fs::read_to_string`], including [`InvalidData`](std::io::ErrorKind::InvalidData)
/// when the file is not UTF-8; the message names the path.
///
/// # Cancel safety
///
/// Once polled, the read runs to completion even if the future is dropped.
///
/// # Examples
///
/// ```
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// std::fs::write(&path, "héllo")?;
/// assert_eq!(fs::read_to_string(&path).await?, "héllo");
///
/// std::fs::write(&path, [0xff, 0xfe])?;
/// let err = fs::read_to_string(&path).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn read_to_string<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = String>> {
    on_path(Operation::Read, path.as_ref(), |path| {
        std::fs::read_to_string(path)
    })
}
