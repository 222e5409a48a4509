//! The process's standard streams as async readers and writers: Python aiofiles'
//! `aiofiles.stdin`, `stdout`, `stderr`.
//!
//! Each wraps a duplicate of the descriptor in an unbuffered [`File`] on the default
//! executor: a write has reached the OS when it returns, so nothing is lost when the stream
//! is dropped or the program exits, and `flush` has nothing left to do. The streams never seek:
//! output redirected to a file lands where the descriptor's offset is, interleaved correctly
//! with other writers such as `println!` (which has its own buffer: flush it first to keep
//! the order).

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use crate::error::Operation;
use crate::executor::Blocking;
use crate::file::{Buffering, File, Parts};

/// A stream, or why it could not be opened.
type Stream = Result<File<Blocking>, io::Error>;

fn open(fd: io::Result<std::fs::File>, mode: &'static str) -> Stream {
    let std = fd.map_err(|e| crate::error::op(Operation::DupStdio, e))?;
    // No position: the stream never seeks (see the module docs).
    Ok(File::from_parts(Parts {
        file: std,
        path: None,
        mode: mode.into(),
        exec: Blocking,
        pos: None,
        append: false,
        buffering: Buffering::Fixed(0),
        head: None,
    }))
}

/// The stream, or a fresh copy of the error that kept it from opening.
fn stream(stream: &mut Stream) -> io::Result<Pin<&mut File<Blocking>>> {
    match stream {
        Ok(file) => Ok(Pin::new(file)),
        Err(err) => Err(io::Error::new(err.kind(), err.to_string())),
    }
}

#[cfg(unix)]
fn duplicate(fd: impl std::os::fd::AsFd) -> io::Result<std::fs::File> {
    fd.as_fd().try_clone_to_owned().map(std::fs::File::from)
}

#[cfg(windows)]
fn duplicate(handle: impl std::os::windows::io::AsHandle) -> io::Result<std::fs::File> {
    handle
        .as_handle()
        .try_clone_to_owned()
        .map(std::fs::File::from)
}

/// The standard input, read on the default executor: Python aiofiles' `aiofiles.stdin`.
///
/// Reads as much as the caller asks for in one hand-off; line-by-line reading
/// (`AsyncBufReadExt::lines`) fetches up to 8 KiB per hand-off.
///
/// # Examples
///
/// ```
/// use futures::AsyncReadExt;
///
/// # futures::executor::block_on(async {
/// let mut stdin = aiofiles::stdin();
/// let mut nothing = [0u8; 0];
/// assert_eq!(stdin.read(&mut nothing).await?, 0);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stdin() -> Stdin {
    Stdin(open(duplicate(io::stdin()), "rb"))
}

/// The standard output, written on the default executor: Python aiofiles' `aiofiles.stdout`.
///
/// # Examples
///
/// ```
/// use futures::AsyncWriteExt;
///
/// # futures::executor::block_on(async {
/// let mut stdout = aiofiles::stdout();
/// stdout.write_all(b"hello from aiofiles\n").await?;
/// stdout.flush().await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout(open(duplicate(io::stdout()), "wb"))
}

/// The standard error, written on the default executor: Python aiofiles' `aiofiles.stderr`.
///
/// # Examples
///
/// ```
/// use futures::AsyncWriteExt;
///
/// # futures::executor::block_on(async {
/// aiofiles::stderr().write_all(b"a warning\n").await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stderr() -> Stderr {
    Stderr(open(duplicate(io::stderr()), "wb"))
}

/// The standard input; see [`stdin`].
///
/// # Errors
///
/// Reads fail as `read(2)` does; if the descriptor could not be duplicated, every read fails
/// with that error.
///
/// # Cancel safety
///
/// A read that returned `Pending` consumed nothing: its bytes come out of the next read. A
/// read in flight holds a pool thread until input arrives, even if its future is dropped.
///
/// # Examples
///
/// ```
/// let stdin = aiofiles::stdin();
/// assert!(format!("{stdin:?}").starts_with("Stdin"));
/// ```
pub struct Stdin(Stream);

/// The standard output; see [`stdout`].
///
/// # Errors
///
/// Writes fail as `write(2)` does (a closed pipe is `BrokenPipe`); if the descriptor could not
/// be duplicated, every write fails with that error.
///
/// # Cancel safety
///
/// A write that returned `Pending` has handed its bytes over: they are written, and polling
/// again with the same buffer returns the count.
///
/// # Examples
///
/// ```
/// let stdout = aiofiles::stdout();
/// assert!(format!("{stdout:?}").starts_with("Stdout"));
/// ```
pub struct Stdout(Stream);

/// The standard error; see [`stderr`].
///
/// # Errors
///
/// As [`Stdout`].
///
/// # Cancel safety
///
/// As [`Stdout`].
///
/// # Examples
///
/// ```
/// let stderr = aiofiles::stderr();
/// assert!(format!("{stderr:?}").starts_with("Stderr"));
/// ```
pub struct Stderr(Stream);

impl AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream(&mut self.0)?.poll_read(cx, buf)
    }
}

impl AsyncBufRead for Stdin {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        stream(&mut self.get_mut().0)?.poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        if let Ok(file) = &mut self.0 {
            Pin::new(file).consume(amt);
        }
    }
}

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl tokio::io::AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        tokio::io::AsyncRead::poll_read(stream(&mut self.0)?, cx, buf)
    }
}

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl tokio::io::AsyncBufRead for Stdin {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        tokio::io::AsyncBufRead::poll_fill_buf(stream(&mut self.get_mut().0)?, cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        if let Ok(file) = &mut self.0 {
            tokio::io::AsyncBufRead::consume(Pin::new(file), amt);
        }
    }
}

macro_rules! writer {
    ($name:ident) => {
        impl AsyncWrite for $name {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                stream(&mut self.0)?.poll_write(cx, buf)
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                stream(&mut self.0)?.poll_flush(cx)
            }

            fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                stream(&mut self.0)?.poll_flush(cx)
            }
        }

        #[cfg(feature = "tokio")]
        #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
        impl tokio::io::AsyncWrite for $name {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write(stream(&mut self.0)?, cx, buf)
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(stream(&mut self.0)?, cx)
            }

            fn poll_shutdown(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(stream(&mut self.0)?, cx)
            }
        }
    };
}

writer!(Stdout);
writer!(Stderr);

macro_rules! debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("open", &self.0.is_ok())
                    .finish()
            }
        }
    };
}

debug!(Stdin);
debug!(Stdout);
debug!(Stderr);
