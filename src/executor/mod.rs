//! Where blocking work runs: the [`Executor`] trait, the executors this crate provides, and
//! [`Op`], the future every free operation returns.
//!
//! Every operation in this crate is ordinary blocking `std` code handed to an executor. The
//! executor decides which thread runs it; the awaiting task is woken when it is done. Pick one
//! per call with [`.on(executor)`](Op::on), or let objects that carry one ([`File`](crate::File),
//! [`ReadDir`](crate::fs::ReadDir)) use theirs.
//!
//! | executor | runs work on | feature |
//! |---|---|---|
//! | [`Blocking`] (default) | the `blocking` crate's pool, smol's own | always |
//! | [`Linger`] | a pool built for latency: workers and awaiters stay awake a few µs | always |
//! | [`Inline`] | the polling thread, at once | always |
//! | [`Limit`] | another executor, at most `n` works at a time | always |
//! | `Tokio` | the tokio runtime's blocking pool | `tokio` |
//! | `AsyncStd` | async-std's blocking pool | `async-std` |
//!
//! # Your own pool
//!
//! Implementing [`Executor`] takes a few lines: hand the work to your pool and return a
//! [`RemoteTask`] whose [`Completer`] the pool runs. A thread per job:
//!
//! ```
//! use aiofiles::executor::{self, Executor, RemoteTask};
//!
//! #[derive(Clone, Debug)]
//! struct ThreadPerJob;
//!
//! impl Executor for ThreadPerJob {
//!     type Task<T: Send + 'static> = RemoteTask<T>;
//!
//!     fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
//!     where
//!         F: FnOnce() -> T + Send + 'static,
//!         T: Send + 'static,
//!     {
//!         let (completer, task) = executor::remote_task();
//!         std::thread::spawn(move || completer.complete(work));
//!         task
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let answer = aiofiles::unblock(|| 6 * 7).on(ThreadPerJob).await?;
//! assert_eq!(answer, 42);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

pub(crate) mod batch;
mod blocking;
mod inline;
mod limit;
mod linger;
mod op;
mod remote;

#[cfg(feature = "async-std")]
mod async_std;
#[cfg(feature = "tokio")]
mod tokio;

use std::future::Future;
use std::io;

pub use self::blocking::{Blocking, BlockingTask};
pub use self::inline::Inline;
pub use self::limit::Limit;
pub use self::linger::{Linger, LingerTask};
pub(crate) use self::op::Private;
pub use self::op::{unblock, Op, Work};
pub(crate) use self::remote::{remote_executor, remote_task_lost_as, LOST};
pub use self::remote::{remote_task, Completer, RemoteTask};

#[cfg(feature = "async-std")]
pub use self::async_std::AsyncStd;
#[cfg(feature = "tokio")]
pub use self::tokio::Tokio;

/// Runs blocking work somewhere and lets a task await its result.
///
/// The contract every implementation keeps:
///
/// - The returned task resolves to `Ok` with the work's result, or to `Err` only when the
///   executor dropped the work without running it to the end (a shut-down runtime). It never
///   hangs on a dropped job.
/// - A panic inside the work is re-raised in the task that awaits it. This is the one place
///   panics are caught: nothing above the executor catches them again. A pool built on
///   [`remote_task`] gets it from [`Completer::complete`].
/// - Dropping the task does not cancel the work: work once handed over runs to completion and
///   its result is discarded.
///
/// Awaiting the task from any async runtime must work; the provided executors need no runtime
/// of their own except `Tokio`, which needs a tokio runtime's handle.
///
/// See the [module docs](self) for a user-written executor.
///
/// # Examples
///
/// ```
/// use aiofiles::{Blocking, Executor};
///
/// # futures::executor::block_on(async {
/// let task = Blocking.spawn_blocking(|| std::thread::current().id());
/// assert_ne!(task.await?, std::thread::current().id());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub trait Executor: Clone + Send + Sync + 'static {
    /// Resolves to the work's result; `Err` when the executor dropped the work (shut down).
    type Task<T: Send + 'static>: Future<Output = io::Result<T>> + Send + 'static;

    /// Hands `work` to the executor and returns a task that resolves to its result.
    fn spawn_blocking<F, T>(&self, work: F) -> Self::Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
}
