use std::fmt;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::Dir;
use crate::error::Context as _;
use crate::error::Operation;
use crate::executor::{Blocking, Executor, Op, Private, Work};

/// The work of [`Dir::open_ambient`]: opens a directory by an ambient path.
struct AmbientWork {
    path: PathBuf,
}

impl Work for AmbientWork {
    type Output = cap_std::fs::Dir;

    fn run(self, _: Private) -> io::Result<cap_std::fs::Dir> {
        cap_std::fs::Dir::open_ambient_dir(&self.path, cap_std::ambient_authority())
            .at(Operation::OpenDir, &self.path)
    }
}

pin_project! {
    /// Opens a [`Dir`] by an ambient path: returned by [`Dir::open_ambient`].
    ///
    /// Awaited as it is, the `Dir` works on [`Blocking`]; [`on`](OpenAmbient::on) binds it
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
    pub struct OpenAmbient<E: Executor = Blocking> {
        #[pin]
        op: Op<AmbientWork, E>,
    }
}

impl OpenAmbient {
    pub(super) fn new(path: PathBuf) -> Self {
        OpenAmbient {
            op: Op::new(AmbientWork { path }),
        }
    }
}

impl<E: Executor> OpenAmbient<E> {
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
    pub fn on<E2: Executor>(self, exec: E2) -> OpenAmbient<E2> {
        OpenAmbient {
            op: self.op.on(exec),
        }
    }
}

impl<E: Executor> Future for OpenAmbient<E> {
    type Output = io::Result<Dir<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut op = self.project().op;
        let dir = ready!(op.as_mut().poll(cx))?;
        Poll::Ready(Ok(Dir::from_parts(dir, op.executor().clone())))
    }
}

impl<E: Executor> fmt::Debug for OpenAmbient<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAmbient").finish_non_exhaustive()
    }
}
