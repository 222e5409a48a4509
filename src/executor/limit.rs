use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::remote::{remote_task_lost_as, Completer, RemoteTask};
use super::Executor;

/// Runs work on another executor, at most `n` works at a time.
///
/// Further works wait in a queue, in the order they were handed over, without blocking any
/// thread: when a work finishes, the pool thread that ran it hands the next queued one to the
/// inner executor. A slow operation (opening a FIFO with no writer, a hung network mount) then
/// holds one of the `n` places instead of starving everything else, and a burst of operations
/// keeps at most `n` of the inner pool's threads busy. (The `blocking` pool may still start a
/// few more threads than `n`, which then wait idle.)
///
/// Clones share one limit. A work counts from the moment it is handed to the inner executor
/// until it returns (or the inner executor drops it).
///
/// # Examples
///
/// ```
/// use aiofiles::{Blocking, Limit};
///
/// # futures::executor::block_on(async {
/// let limit = Limit::new(Blocking, 2);
/// let jobs = (0..10).map(|i| aiofiles::unblock(move || i * 2).on(limit.clone()));
/// let results = futures::future::try_join_all(jobs).await?;
/// assert_eq!(results, (0..10).map(|i| i * 2).collect::<Vec<_>>());
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct Limit<E> {
    shared: Arc<Shared<E>>,
}

struct Shared<E> {
    inner: E,
    max: usize,
    state: Mutex<State>,
}

struct State {
    running: usize,
    queue: VecDeque<Box<dyn FnOnce() + Send>>,
    /// Places given back and not handed on yet.
    freed: usize,
    /// Some thread is handing freed places on.
    draining: bool,
}

impl<E: Executor> Limit<E> {
    /// Limits `inner` to `n` works at a time through this limit and its clones.
    ///
    /// An `n` of 0 is taken as 1: a limit that never runs anything would hang every caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    ///
    /// let limit = Limit::new(Blocking, 4);
    /// assert_eq!(limit.max(), 4);
    /// assert_eq!(Limit::new(Blocking, 0).max(), 1);
    /// ```
    pub fn new(inner: E, n: usize) -> Self {
        Limit {
            shared: Arc::new(Shared {
                inner,
                max: n.max(1),
                state: Mutex::new(State {
                    running: 0,
                    queue: VecDeque::new(),
                    freed: 0,
                    draining: false,
                }),
            }),
        }
    }

    /// The most works this limit lets run at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(aiofiles::Limit::new(aiofiles::Inline, 3).max(), 3);
    /// ```
    pub fn max(&self) -> usize {
        self.shared.max
    }

    /// The executor the works run on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    ///
    /// assert_eq!(*Limit::new(Blocking, 3).inner(), Blocking);
    /// ```
    pub fn inner(&self) -> &E {
        &self.shared.inner
    }
}

impl<E: Executor> Shared<E> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a counter and a queue, consistent at every unlock: a panic elsewhere
        // while the lock was held leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a work that holds a place to the inner executor.
    fn dispatch<T, F>(self: &Arc<Self>, completer: Completer<T>, work: F)
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let place = Place(Arc::clone(self));
        // The inner task is dropped at once: by the `Executor` contract the work still runs, and
        // its result reaches the caller through `completer`. The place is given back when the
        // closure is done or dropped unrun.
        drop(self.inner.spawn_blocking(move || {
            let _place = place;
            completer.complete(work);
        }));
    }

    /// Gives a place back: the next queued work takes it, or it becomes free.
    ///
    /// An inner executor that drops works unrun (shut down) gives their places back from
    /// inside `dispatch`: those are handed on by the loop already running, not by recursion,
    /// however long the queue.
    fn release(&self) {
        let mut state = self.lock();
        state.freed += 1;
        if state.draining {
            return;
        }
        state.draining = true;
        while state.freed > 0 {
            state.freed -= 1;
            match state.queue.pop_front() {
                Some(next) => {
                    drop(state);
                    next();
                    state = self.lock();
                }
                None => state.running -= 1,
            }
        }
        state.draining = false;
    }
}

/// One of the `max` places, held while a work runs.
struct Place<E: Executor>(Arc<Shared<E>>);

impl<E: Executor> Drop for Place<E> {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl<E: Executor> Executor for Limit<E> {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, remote) = remote_task_lost_as(
            "the executor behind the `Limit` dropped the work without running it",
        );
        let shared = &self.shared;
        let mut state = shared.lock();
        if state.running < shared.max {
            state.running += 1;
            drop(state);
            shared.dispatch(completer, work);
        } else {
            let queued = Arc::clone(shared);
            state
                .queue
                .push_back(Box::new(move || queued.dispatch(completer, work)));
        }
        remote
    }
}

impl<E> Clone for Limit<E> {
    fn clone(&self) -> Self {
        Limit {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for Limit<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limit")
            .field("inner", &self.shared.inner)
            .field("max", &self.shared.max)
            .finish()
    }
}
