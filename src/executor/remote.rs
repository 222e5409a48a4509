use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;

use futures_channel::oneshot;

use crate::error;

/// Creates the two halves that connect work run on some pool to the task awaiting it.
///
/// Give the [`Completer`] to the pool and return the [`RemoteTask`] from
/// [`Executor::spawn_blocking`](super::Executor::spawn_blocking). If the pool drops the
/// completer without running it, the task resolves to an error saying the work was lost; if the
/// work panics, the task re-raises the panic.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (completer, task) = aiofiles::executor::remote_task();
/// std::thread::spawn(move || completer.complete(|| "done"));
/// assert_eq!(task.await?, "done");
///
/// let (completer, task) = aiofiles::executor::remote_task::<u8>();
/// drop(completer); // the pool shut down before running it
/// assert_eq!(task.await.unwrap_err().kind(), std::io::ErrorKind::Other);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn remote_task<T>() -> (Completer<T>, RemoteTask<T>) {
    remote_task_lost_as(LOST)
}

/// What a [`RemoteTask`] of [`remote_task`] says when its work is lost.
pub(crate) const LOST: &str = "the executor dropped the work without running it";

/// Like [`remote_task`], with the message the task's error carries when the work is lost.
pub(crate) fn remote_task_lost_as<T>(lost: &'static str) -> (Completer<T>, RemoteTask<T>) {
    let (tx, rx) = oneshot::channel();
    (Completer { tx }, RemoteTask { rx, lost })
}

/// The pool's half of [`remote_task`]: runs the work and sends its result (or its panic) to the
/// [`RemoteTask`].
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (completer, task) = aiofiles::executor::remote_task();
/// completer.complete(|| 1 + 1);
/// assert_eq!(task.await?, 2);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct Completer<T> {
    tx: oneshot::Sender<thread::Result<T>>,
}

impl<T> Completer<T> {
    /// Runs `work` on the current thread and completes the task with its result.
    ///
    /// A panic in `work` is caught here and re-raised in the task that awaits the
    /// [`RemoteTask`], so the pool's thread survives it. If nobody awaits the task any more the
    /// result is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let (completer, task) = aiofiles::executor::remote_task();
    /// std::thread::spawn(move || completer.complete(|| std::fs::metadata("/")))
    ///     .join()
    ///     .unwrap();
    /// assert!(task.await??.is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn complete<F: FnOnce() -> T>(self, work: F) {
        let result = panic::catch_unwind(AssertUnwindSafe(work));
        // The receiver may be gone: the awaiting side dropped its task, and the result with it.
        let _ = self.tx.send(result);
    }
}

impl<T> fmt::Debug for Completer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completer").finish_non_exhaustive()
    }
}

/// The awaiting half of [`remote_task`]: resolves to the work's result.
///
/// Used as the [`Executor::Task`](super::Executor::Task) of [`Limit`](super::Limit), `Tokio`,
/// `AsyncStd`, and of executors written by users.
///
/// # Errors
///
/// An error of kind [`Other`](io::ErrorKind::Other) when the [`Completer`] was dropped without
/// completing: the executor lost the work.
///
/// # Cancel safety
///
/// Dropping it does not stop the work; its result is discarded.
///
/// # Panics
///
/// Re-raises the panic of the work.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let (completer, task) = aiofiles::executor::remote_task();
/// std::thread::spawn(move || completer.complete(|| vec![1, 2, 3]));
/// assert_eq!(task.await?, [1, 2, 3]);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct RemoteTask<T> {
    rx: oneshot::Receiver<thread::Result<T>>,
    lost: &'static str,
}

impl<T> Future for RemoteTask<T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(Ok(value))) => Poll::Ready(Ok(value)),
            Poll::Ready(Ok(Err(payload))) => panic::resume_unwind(payload),
            Poll::Ready(Err(oneshot::Canceled)) => Poll::Ready(Err(error::work_lost(self.lost))),
        }
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask").finish_non_exhaustive()
    }
}

/// The [`Executor`](super::Executor) impl of `$ty`, a pool that runs each work later on one of
/// its threads, or drops it unrun when it shuts down (the task then fails with the message
/// `$lost`, [`remote_task`]'s by default). The work goes to the pool as a job, an
/// `FnOnce() + Send + 'static` that runs it and completes its [`RemoteTask`] (panic included):
/// `|$this, $job| $submit` hands `$job` to the pool of `$this` (the executor).
macro_rules! remote_executor {
    ($ty:ty, |$this:pat, $job:ident| $submit:expr) => {
        $crate::executor::remote_executor!($ty, $crate::executor::LOST, |$this, $job| $submit);
    };
    ($ty:ty, $lost:expr, |$this:pat, $job:ident| $submit:expr) => {
        impl $crate::executor::Executor for $ty {
            type Task<T: Send + 'static> = $crate::executor::RemoteTask<T>;

            fn spawn_blocking<F, T>(&self, work: F) -> $crate::executor::RemoteTask<T>
            where
                F: FnOnce() -> T + Send + 'static,
                T: Send + 'static,
            {
                let (completer, task) = $crate::executor::remote_task_lost_as($lost);
                let $this = self;
                let $job = move || completer.complete(work);
                $submit;
                task
            }
        }
    };
}
pub(crate) use remote_executor;
