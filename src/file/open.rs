//! The one opening future: [`Open`], for `aiofiles::open`, [`OpenOptions::open`](super::OpenOptions::open),
//! [`File::open`]/[`File::create`] and `tempfile()`. The open, and a read of the head of a
//! regular file opened for reading, happen in one hand-off.

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::state::Buffering;
use super::{File, Head, Parts};
use crate::error::{self, Context as _, Operation};
use crate::executor::{Blocking, Executor, Op, Private, Work};

/// The blocking part of an open.
pub(super) enum OpenWork {
    Path {
        std: fs::OpenOptions,
        path: PathBuf,
        append: bool,
        /// How much of a regular file to read right away.
        head: usize,
    },
    /// A path resolved beneath a directory handle, never outside it.
    #[cfg(feature = "cap-std")]
    Beneath {
        dir: std::sync::Arc<cap_std::fs::Dir>,
        options: cap_std::fs::OpenOptions,
        path: PathBuf,
        append: bool,
        head: usize,
    },
    /// An unnamed temporary file.
    Temp,
}

/// An opened file, where its cursor starts, and the start of its content when read ahead.
pub(super) struct Opened {
    file: fs::File,
    pos: u64,
    path: Option<PathBuf>,
    head: Vec<u8>,
    /// `head` is all there is.
    eof: bool,
}

impl Opened {
    /// A file just opened at `path`: its cursor put where it starts, and up to `head` bytes
    /// of it read.
    fn at_path(mut file: fs::File, path: PathBuf, append: bool, head: usize) -> io::Result<Self> {
        let pos = start_position(&mut file, append, &path)?;
        let (head, eof) = read_head(&file, head);
        Ok(Opened {
            file,
            pos,
            path: Some(path),
            head,
            eof,
        })
    }
}

impl Work for OpenWork {
    type Output = Opened;

    fn run(self, _: Private) -> io::Result<Opened> {
        match self {
            OpenWork::Path {
                std,
                path,
                append,
                head,
            } => {
                let file = std.open(&path).at(Operation::Open, &path)?;
                Opened::at_path(file, path, append, head)
            }
            #[cfg(feature = "cap-std")]
            OpenWork::Beneath {
                dir,
                options,
                path,
                append,
                head,
            } => {
                let file = dir
                    .open_with(&path, &options)
                    .at(Operation::Open, &path)?
                    .into_std();
                Opened::at_path(file, path, append, head)
            }
            OpenWork::Temp => {
                let file =
                    tempfile::tempfile().map_err(|e| error::op(Operation::CreateTempFile, e))?;
                Ok(Opened {
                    file,
                    pos: 0,
                    path: None,
                    head: Vec::new(),
                    eof: false,
                })
            }
        }
    }
}

/// Where the cursor of a file just opened starts: Python's `a` and `a+` start at the end.
fn start_position(file: &mut fs::File, append: bool, path: &Path) -> io::Result<u64> {
    match append {
        true => file.seek(SeekFrom::End(0)).at(Operation::Open, path),
        false => Ok(0),
    }
}

/// Reads up to `len` bytes of a regular file, and whether that reached its end. Never a FIFO
/// or a device, where a read could wait for input; an error just means no read-ahead.
fn read_head(mut file: &fs::File, len: usize) -> (Vec<u8>, bool) {
    let regular = len > 0 && file.metadata().is_ok_and(|m| m.is_file());
    if !regular {
        return (Vec::new(), false);
    }
    let mut head = Vec::with_capacity(len);
    match std::io::Read::take(&mut file, len as u64).read_to_end(&mut head) {
        Ok(n) => (head, n < len),
        Err(_) => {
            // Where the cursor is now is unknown: put it back, or give up on the file.
            let _ = file.seek(SeekFrom::Start(0));
            (Vec::new(), false)
        }
    }
}

pin_project! {
    /// Opens a [`File`]: returned by [`open`](crate::open), [`File::open`], [`File::create`]
    /// and [`OpenOptions::open`].
    ///
    /// Awaited as it is, the file works on [`Blocking`]; [`on`](Open::on) binds it to another
    /// executor, which the [`File`] then keeps for all its operations.
    ///
    /// # Errors
    ///
    /// An invalid mode string ([`InvalidInput`](io::ErrorKind::InvalidInput), before any
    /// hand-off), or the error of `open(2)` with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the open happens on the executor even if this is dropped; the file is
    /// then closed there.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, File, Limit};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let limit = Limit::new(Blocking, 8);
    /// let file = File::create(dir.path().join("a")).on(limit.clone()).await?;
    /// assert_eq!(file.executor().max(), 8);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Open<E: Executor = Blocking> {
        #[pin]
        op: Option<Op<OpenWork, E>>,
        early: Option<io::Error>,
        mode: Option<Cow<'static, str>>,
        append: bool,
        buffering: Buffering,
    }
}

impl Open {
    pub(super) fn new(
        work: OpenWork,
        mode: Cow<'static, str>,
        append: bool,
        buffering: Buffering,
    ) -> Self {
        Open {
            op: Some(Op::new(work)),
            early: None,
            mode: Some(mode),
            append,
            buffering,
        }
    }

    /// Opens an unnamed temporary file, read and write.
    pub(crate) fn temp() -> Self {
        Open {
            op: Some(Op::new(OpenWork::Temp)),
            early: None,
            mode: Some(Cow::Borrowed("rb+")),
            append: false,
            buffering: Buffering::Adaptive,
        }
    }

    pub(crate) fn failed(err: io::Error) -> Self {
        Open {
            op: None,
            early: Some(err),
            mode: None,
            append: false,
            buffering: Buffering::Adaptive,
        }
    }
}

impl<E: Executor> Open<E> {
    /// Opens on `exec`; the [`File`] keeps it for all its operations.
    ///
    /// # Panics
    ///
    /// If the open was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::open(dir.path().join("a"), "w").on(Inline).await?;
    /// assert_eq!(*file.executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> Open<E2> {
        Open {
            op: self.op.map(|op| op.on(exec)),
            early: self.early,
            mode: self.mode,
            append: self.append,
            buffering: self.buffering,
        }
    }
}

impl<E: Executor> Future for Open<E> {
    type Output = io::Result<File<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(err) = this.early.take() {
            return Poll::Ready(Err(err));
        }
        let op = this
            .op
            .as_mut()
            .as_pin_mut()
            .expect("`Open` polled after completion");
        let exec = op.executor().clone();
        let opened = ready!(op.poll(cx))?;
        this.op.set(None);
        let mode = this.mode.take().expect("`Open` polled after completion");
        Poll::Ready(Ok(File::from_parts(Parts {
            file: opened.file,
            path: opened.path,
            mode,
            exec,
            pos: Some(opened.pos),
            append: *this.append,
            buffering: *this.buffering,
            head: Some(Head {
                bytes: opened.head,
                eof: opened.eof,
            }),
        })))
    }
}

impl<E: Executor> fmt::Debug for Open<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Open")
            .field("mode", &self.mode)
            .field("failed", &self.early.is_some())
            .finish_non_exhaustive()
    }
}
