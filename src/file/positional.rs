//! Positional I/O on a [`File`]: reads and writes at an offset, past the cursor and its
//! buffers (`pread`/`pwrite`).

use std::future::Future;
use std::io;

use super::File;
use crate::error::{retry, Operation};
use crate::executor::Executor;

impl<E: Executor> File<E> {
    /// Reads up to `len` bytes at `offset` (`pread`), without moving the position; short only
    /// at the end of the file.
    ///
    /// Takes `&self`: many tasks can read and write one `File` at distinct offsets at once.
    /// Goes straight to the OS: writes still buffered in the `File` are not seen.
    ///
    /// # Errors
    ///
    /// As [`std::os::unix::fs::FileExt::read_at`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Nothing changes; dropping the future discards the bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "0123456789")?;
    /// let file = aiofiles::open(&path, "r").await?;
    /// let (a, b) = futures::try_join!(file.read_at(2, 3), file.read_at(8, 10))?;
    /// assert_eq!(a, b"234");
    /// assert_eq!(b, b"89"); // short at the end
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn read_at(
        &self,
        offset: u64,
        len: usize,
    ) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
        self.on_file(move |shared| shared.read_at(offset, len))
    }

    /// Reads exactly `len` bytes at `offset`, without moving the position.
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) when the file ends first; otherwise as
    /// [`read_at`](File::read_at).
    ///
    /// # Cancel safety
    ///
    /// Nothing changes; dropping the future discards the bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "0123456789")?;
    /// let file = aiofiles::open(&path, "r").await?;
    /// assert_eq!(file.read_exact_at(4, 2).await?, b"45");
    /// let err = file.read_exact_at(8, 5).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn read_exact_at(
        &self,
        offset: u64,
        len: usize,
    ) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
        self.on_file(move |shared| {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0; len];
            shared
                .file
                .read_exact_at(&mut buf, offset)
                .map_err(|e| shared.error(Operation::Read, e))?;
            Ok(buf)
        })
    }

    /// Writes `data` at `offset` (`pwrite`, one call), without moving the position; returns
    /// how many bytes were written.
    ///
    /// Goes straight to the OS, past the `File`'s write buffer; the `File`'s later reads see
    /// what it wrote (its read-ahead is dropped). On Linux, a file opened for
    /// appending appends whatever the offset (`pwrite(2)`).
    ///
    /// # Errors
    ///
    /// As [`std::os::unix::fs::FileExt::write_at`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the write happens even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "..........")?;
    /// let file = aiofiles::open(&path, "r+").await?;
    /// futures::try_join!(file.write_all_at(0, b"ab"), file.write_all_at(8, b"yz"))?;
    /// assert_eq!(file.write_at(4, b"mn").await?, 2);
    /// assert_eq!(std::fs::read(&path)?, b"ab..mn..yz");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn write_at(
        &self,
        offset: u64,
        data: &[u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'static {
        let data = data.to_vec();
        self.core.shared.changed();
        self.on_file(move |shared| {
            use std::os::unix::fs::FileExt;
            let written = retry(|| shared.file.write_at(&data, offset));
            shared.changed();
            written.map_err(|e| shared.error(Operation::Write, e))
        })
    }

    /// Writes all of `data` at `offset`, without moving the position.
    ///
    /// # Errors
    ///
    /// As [`write_at`](File::write_at); [`WriteZero`](io::ErrorKind::WriteZero) if the OS
    /// stops accepting bytes.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the write happens even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let file = aiofiles::open(&path, "w").await?;
    /// file.write_all_at(3, b"xyz").await?;
    /// assert_eq!(std::fs::read(&path)?, b"\0\0\0xyz");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn write_all_at(
        &self,
        offset: u64,
        data: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        let data = data.to_vec();
        self.core.shared.changed();
        self.on_file(move |shared| {
            use std::os::unix::fs::FileExt;
            let written = shared.file.write_all_at(&data, offset);
            shared.changed();
            written.map_err(|e| shared.error(Operation::Write, e))
        })
    }
}
