use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Executor;

/// The default executor: the [`blocking`](https://docs.rs/blocking) crate's thread pool, the
/// one smol and async-fs use.
///
/// Zero-sized and needs no runtime: futures on it can be awaited from any executor, even
/// `futures::executor::block_on`. The pool grows with demand (up to 500 threads by default, set
/// by the `BLOCKING_MAX_THREADS` environment variable) and shrinks when idle.
///
/// # Examples
///
/// ```
/// use aiofiles::Blocking;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// aiofiles::fs::write(&path, "hi").on(Blocking).await?;
/// assert_eq!(aiofiles::fs::read(&path).await?, b"hi"); // Blocking is the default
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Blocking;

impl Executor for Blocking {
    type Task<T: Send + 'static> = BlockingTask<T>;

    #[inline]
    fn spawn_blocking<F, T>(&self, work: F) -> BlockingTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        BlockingTask(Some(blocking::unblock(work)))
    }
}

/// The [`Executor::Task`] of [`Blocking`].
///
/// # Errors
///
/// Never: the `blocking` pool does not drop work. The `io::Result` is the trait's shape.
///
/// # Cancel safety
///
/// Dropping it detaches the work, which still runs to completion.
///
/// # Panics
///
/// Re-raises the panic of the work.
///
/// # Examples
///
/// ```
/// use aiofiles::{Blocking, Executor};
///
/// # futures::executor::block_on(async {
/// assert_eq!(Blocking.spawn_blocking(|| 2 + 2).await?, 4);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct BlockingTask<T>(Option<blocking::Task<T>>);

impl<T> Future for BlockingTask<T> {
    type Output = io::Result<T>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let task = self
            .0
            .as_mut()
            .expect("`BlockingTask` polled after completion");
        let value = std::task::ready!(Pin::new(task).poll(cx));
        self.0 = None;
        Poll::Ready(Ok(value))
    }
}

impl<T> Drop for BlockingTask<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for BlockingTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingTask")
            .field("done", &self.0.is_none())
            .finish()
    }
}
