//! Test aids for code that uses this crate.
//!
//! Python aiofiles users patch `sync_open` to test their code; here, inject an executor.
//! [`ManualExecutor`] queues work until the test runs it, so a test decides exactly when each
//! blocking call happens and can check what a caller sees in between: a future still pending, a
//! cancelled operation, an executor that lost the work.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::executor::remote_executor;

type Job = Box<dyn FnOnce() + Send>;

/// An executor that runs nothing until told: work waits in a queue until
/// [`run_one`](ManualExecutor::run_one) or [`run_all`](ManualExecutor::run_all) runs it on
/// the calling thread.
///
/// Clones share one queue. Completing a work wakes the task awaiting it, as a real pool would.
///
/// # Examples
///
/// ```
/// use aiofiles::testing::ManualExecutor;
/// use futures::FutureExt;
///
/// let exec = ManualExecutor::new();
/// let mut op = Box::pin(aiofiles::unblock(|| 2 + 2).on(exec.clone()));
/// assert!(op.as_mut().now_or_never().is_none()); // handed over, not run
/// assert_eq!(exec.pending(), 1);
/// assert!(exec.run_one());
/// assert_eq!(op.now_or_never().unwrap()?, 4);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Default)]
pub struct ManualExecutor {
    queue: Arc<Mutex<VecDeque<Job>>>,
}

impl ManualExecutor {
    /// An executor with an empty queue.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(aiofiles::testing::ManualExecutor::new().pending(), 0);
    /// ```
    pub fn new() -> Self {
        ManualExecutor::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many works wait to be run.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{testing::ManualExecutor, Executor};
    ///
    /// let exec = ManualExecutor::new();
    /// let _task = exec.spawn_blocking(|| ());
    /// assert_eq!(exec.pending(), 1);
    /// ```
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Runs the oldest queued work on this thread; `false` if there was none.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{testing::ManualExecutor, Executor};
    ///
    /// let exec = ManualExecutor::new();
    /// let task = exec.spawn_blocking(|| "ran");
    /// assert!(exec.run_one());
    /// assert!(!exec.run_one());
    /// assert_eq!(futures::executor::block_on(task)?, "ran");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn run_one(&self) -> bool {
        // Not run under the lock: the work may queue more work.
        let job = self.lock().pop_front();
        match job {
            Some(job) => {
                job();
                true
            }
            None => false,
        }
    }

    /// Runs queued works, oldest first, until the queue is empty (works they queue
    /// included); returns how many ran.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{testing::ManualExecutor, Executor};
    ///
    /// let exec = ManualExecutor::new();
    /// let tasks: Vec<_> = (0..3).map(|i| exec.spawn_blocking(move || i)).collect();
    /// assert_eq!(exec.run_all(), 3);
    /// let results = futures::executor::block_on(futures::future::try_join_all(tasks))?;
    /// assert_eq!(results, [0, 1, 2]);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn run_all(&self) -> usize {
        let mut ran = 0;
        while self.run_one() {
            ran += 1;
        }
        ran
    }

    /// Drops every queued work unrun, as an executor shutting down would; their tasks resolve
    /// to an error of kind [`Other`](std::io::ErrorKind::Other). Returns how many were dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{testing::ManualExecutor, Executor};
    ///
    /// let exec = ManualExecutor::new();
    /// let task = exec.spawn_blocking(|| ());
    /// assert_eq!(exec.drop_pending(), 1);
    /// let err = futures::executor::block_on(task).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::Other);
    /// ```
    pub fn drop_pending(&self) -> usize {
        let dropped: Vec<Job> = self.lock().drain(..).collect();
        dropped.len()
    }
}

remote_executor!(ManualExecutor, |this, job| this
    .lock()
    .push_back(Box::new(job)));

impl fmt::Debug for ManualExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualExecutor")
            .field("pending", &self.pending())
            .finish()
    }
}
