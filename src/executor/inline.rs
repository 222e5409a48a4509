use std::future::{ready, Ready};
use std::io;

use super::Executor;

/// Runs the work on the polling thread, at once: no hand-off at all.
///
/// For tests, command-line tools and single-threaded programs where blocking the current
/// thread is fine. An operation on `Inline` completes on its first poll.
///
/// # Examples
///
/// ```
/// use aiofiles::Inline;
///
/// # futures::executor::block_on(async {
/// let here = std::thread::current().id();
/// let ran_on = aiofiles::unblock(|| std::thread::current().id()).on(Inline).await?;
/// assert_eq!(ran_on, here);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Inline;

impl Executor for Inline {
    type Task<T: Send + 'static> = Ready<io::Result<T>>;

    #[inline]
    fn spawn_blocking<F, T>(&self, work: F) -> Ready<io::Result<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ready(Ok(work()))
    }
}
