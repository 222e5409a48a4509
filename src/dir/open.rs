use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use cap_std::fs::OpenOptions as CapOpenOptions;
use pin_project_lite::pin_project;

use super::Dir;
use crate::error::Context as _;
use crate::executor::{Blocking, Executor, Op, Work};
use crate::file::{start_position, Buffering, File};

/// The work of [`Dir::open_ambient`]: opens a directory by an ambient path.
struct OpenAmbient {
    path: PathBuf,
}

impl Work for OpenAmbient {
    type Output = cap_std::fs::Dir;

    fn run(self) -> io::Result<cap_std::fs::Dir> {
        cap_std::fs::Dir::open_ambient_dir(&self.path, cap_std::ambient_authority())
            .at("open directory", &self.path)
    }
}

pin_project! {
    /// Opens a [`Dir`] by an ambient path: returned by [`Dir::open_ambient`].
    ///
    /// Awaited as it is, the `Dir` works on [`Blocking`]; [`on`](DirOpenAmbient::on) binds it
    /// to another executor, which the `Dir` then keeps for all its operations.
    ///
    /// # Errors
    ///
    /// When the path is missing, is not a directory or cannot be opened; the message names
    /// it.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before its first poll does nothing. Once polled, the directory is opened
    /// on the executor even if this is dropped; it is then closed there.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Dir, Limit};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).on(Limit::new(Blocking, 4)).await?;
    /// assert_eq!(root.executor().max(), 4);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
    pub struct DirOpenAmbient<E: Executor = Blocking> {
        #[pin]
        op: Op<OpenAmbient, E>,
    }
}

impl DirOpenAmbient {
    pub(super) fn new(path: PathBuf) -> Self {
        DirOpenAmbient {
            op: Op::new(OpenAmbient { path }),
        }
    }
}

impl<E: Executor> DirOpenAmbient<E> {
    /// Opens on `exec`; the [`Dir`] keeps it for all its operations, and files opened through
    /// it too.
    ///
    /// # Panics
    ///
    /// If the open was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Dir, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).on(Inline).await?;
    /// let file = root.open("a", "w").await?;
    /// assert_eq!(*file.executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> DirOpenAmbient<E2> {
        DirOpenAmbient {
            op: self.op.on(exec),
        }
    }
}

impl<E: Executor> Future for DirOpenAmbient<E> {
    type Output = io::Result<Dir<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut op = self.project().op;
        let dir = ready!(op.as_mut().poll(cx))?;
        Poll::Ready(Ok(Dir::from_parts(dir, op.executor().clone())))
    }
}

impl<E: Executor> fmt::Debug for DirOpenAmbient<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirOpenAmbient").finish_non_exhaustive()
    }
}

/// The work of [`Dir::open`]: opens a file beneath a directory.
struct OpenFile {
    dir: Arc<cap_std::fs::Dir>,
    path: PathBuf,
    options: CapOpenOptions,
    append: bool,
}

impl Work for OpenFile {
    type Output = (std::fs::File, u64, PathBuf);

    fn run(self) -> io::Result<Self::Output> {
        let OpenFile {
            dir,
            path,
            options,
            append,
        } = self;
        let mut file = dir.open_with(&path, &options).at("open", &path)?.into_std();
        let pos = start_position(&mut file, append, &path)?;
        Ok((file, pos, path))
    }
}

pin_project! {
    /// Opens a [`File`] beneath a [`Dir`]: returned by [`Dir::open`]. The file carries the
    /// directory's executor.
    ///
    /// # Errors
    ///
    /// An invalid mode string ([`InvalidInput`](io::ErrorKind::InvalidInput), before any
    /// hand-off); `PermissionDenied` when the path would leave the directory; otherwise the
    /// error of `open(2)`. The message names the path.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before its first poll does nothing. Once polled, the open happens on the
    /// executor even if this is dropped; the file is then closed there.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let file = root.open("new.txt", "x").await?;
    /// assert_eq!(file.path(), Some(std::path::Path::new("new.txt")));
    /// assert_eq!(file.mode(), "x");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    #[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
    pub struct DirOpen<E: Executor = Blocking> {
        #[pin]
        op: Option<Op<OpenFile, E>>,
        early: Option<io::Error>,
        mode: Option<Cow<'static, str>>,
        append: bool,
    }
}

impl<E: Executor> DirOpen<E> {
    pub(super) fn new(
        dir: Arc<cap_std::fs::Dir>,
        path: PathBuf,
        options: CapOpenOptions,
        append: bool,
        mode: &str,
        exec: E,
    ) -> Self {
        let work = OpenFile {
            dir,
            path,
            options,
            append,
        };
        DirOpen {
            op: Some(Op::new(work).on(exec)),
            early: None,
            mode: Some(Cow::Owned(mode.to_owned())),
            append,
        }
    }

    pub(super) fn failed(err: io::Error) -> Self {
        DirOpen {
            op: None,
            early: Some(err),
            mode: None,
            append: false,
        }
    }
}

impl<E: Executor> Future for DirOpen<E> {
    type Output = io::Result<File<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(err) = this.early.take() {
            return Poll::Ready(Err(err));
        }
        let mut op = this
            .op
            .as_mut()
            .as_pin_mut()
            .expect("`DirOpen` polled after completion");
        let (file, pos, path) = ready!(op.as_mut().poll(cx))?;
        let exec = op.executor().clone();
        this.op.set(None);
        let mode = this.mode.take().expect("`DirOpen` polled after completion");
        Poll::Ready(Ok(File::from_parts(
            file,
            Some(path),
            mode,
            exec,
            Some(pos),
            *this.append,
            Buffering::Adaptive,
        )))
    }
}

impl<E: Executor> fmt::Debug for DirOpen<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (&self.early, &self.op) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "pending",
            (None, None) => "done",
        };
        f.debug_struct("DirOpen")
            .field("mode", &self.mode)
            .field("state", &state)
            .finish()
    }
}
