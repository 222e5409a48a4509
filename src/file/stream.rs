//! A [`File`] as a stream of bytes: futures-io's four traits (tokio's are in `tokio.rs`) and
//! the inherent whole-file reads, all on the buffer machine of `state.rs`.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::File;
use crate::error::Operation;
use crate::executor::Executor;

impl<E: Executor> File<E> {
    /// Reads everything from the position to the end of the file, appending it to `buf`; returns
    /// how many bytes were read.
    ///
    /// One hand-off: the buffer is sized from the file's metadata in the same call; none at
    /// all when the read-ahead already holds the rest of the file (a small file just opened).
    /// This inherent method is what `file.read_to_end(..)` calls, ahead of `AsyncReadExt`'s.
    ///
    /// # Errors
    ///
    /// A pending write error, or the read's own, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: until it completes, `buf` is untouched and nothing is consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, vec![7u8; 100_000])?;
    /// let mut file = aiofiles::open(&path, "rb").await?;
    /// let mut buf = Vec::new();
    /// assert_eq!(file.read_to_end(&mut buf).await?, 100_000);
    /// assert!(buf.iter().all(|&b| b == 7));
    /// assert_eq!(file.read_to_end(&mut buf).await?, 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let data = std::future::poll_fn(|cx| self.core.poll_read_to_end(cx)).await?;
        let n = data.len();
        if buf.is_empty() {
            *buf = data;
        } else {
            buf.extend_from_slice(&data);
        }
        Ok(n)
    }

    /// Reads everything from the position to the end of the file as UTF-8, appending it to
    /// `buf`; returns how many bytes were read. One hand-off, like
    /// [`read_to_end`](File::read_to_end).
    ///
    /// # Errors
    ///
    /// [`InvalidData`](io::ErrorKind::InvalidData) when the bytes are not UTF-8 (then `buf`
    /// is unchanged, and the bytes are consumed); otherwise as
    /// [`read_to_end`](File::read_to_end).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: until it completes, `buf` is untouched and nothing is consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a.txt");
    /// std::fs::write(&path, "héllo")?;
    /// let mut text = String::new();
    /// aiofiles::open(&path, "r").await?.read_to_string(&mut text).await?;
    /// assert_eq!(text, "héllo");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let n = self.read_to_end(&mut bytes).await?;
        let text = String::from_utf8(bytes).map_err(|_| {
            let err = io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            );
            self.core.shared.error(Operation::Read, err)
        })?;
        if buf.is_empty() {
            *buf = text;
        } else {
            buf.push_str(&text);
        }
        Ok(n)
    }
}

impl<E: Executor> AsyncRead for File<E> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }
}

/// The `AsyncBufRead` and `AsyncWrite` of futures-io and of tokio for [`File`]: the same calls
/// into the machine, under the same names but for the last write method's (`poll_close`,
/// `poll_shutdown`), whose docs are `$close_doc`.
macro_rules! buffered_and_write_traits {
    ($(#[$attr:meta])* $buf_read:path, $write:path, $(#[$close_doc:meta])* $close:ident) => {
        $(#[$attr])*
        impl<E: Executor> $buf_read for File<E> {
            fn poll_fill_buf(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<&[u8]>> {
                self.get_mut().core.poll_fill_buf(cx, 0)
            }

            fn consume(mut self: Pin<&mut Self>, amt: usize) {
                self.core.consume(amt);
            }
        }

        $(#[$attr])*
        impl<E: Executor> $write for File<E> {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.core.poll_write(cx, buf)
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.core.poll_flush(cx)
            }

            $(#[$close_doc])*
            fn $close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.core.poll_flush(cx)
            }
        }
    };
}
#[cfg(feature = "tokio")]
pub(super) use buffered_and_write_traits;

buffered_and_write_traits!(
    AsyncBufRead,
    AsyncWrite,
    /// Flushes; the descriptor closes when the `File` is dropped (see [`File::close`]).
    poll_close
);

impl<E: Executor> AsyncSeek for File<E> {
    fn poll_seek(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.core.poll_seek(cx, pos)
    }
}
