//! [`Linger`]: a pool built for the latency of one hand-off.
//!
//! A hand-off through a pool whose threads sleep costs two wake-ups: the worker is parked when
//! the job arrives, and the awaiting thread is parked when the result comes back. Each is a
//! futex call on one side and a trip through the scheduler on the other, tens of µs together,
//! where the job itself (a cached `stat`) may take one. This pool keeps both sides awake for a
//! short, adaptive window instead:
//!
//! - **The worker's window.** A worker that finishes a job looks for the next one for a while
//!   (a few rounds of [`Backoff::spin`](crossbeam_utils::Backoff::spin), then `yield_now`) before it parks. The window follows an average of the *gaps* seen between a worker becoming free
//!   and the next job being queued: about twice that gap plus 2 µs, at most [`CAP`]; when the
//!   average gap exceeds the cap, the window is zero and workers park at once.
//! - **The awaiter's window.** The task returned by `spawn_blocking`, on its first poll that
//!   finds no result yet, looks for the result for a while before it registers its waker and
//!   returns `Pending`. The window follows an average of job *run times* the same way, and is
//!   zero when no worker was awake to take the job at once (waking one costs more than the
//!   cap) or when more jobs are queued than workers are looking for them.
//!
//! Samples are clamped at four times the cap before they enter the averages (weight 1/8), so a
//! long idle period or a 5 ms `fsync` closes the windows for a few jobs, not for thousands.
//! Within [`CAP`] of the last job every worker is parked: an idle process burns no CPU.
//!
//! **Why yield so early.** The spinning phase is short (7 pauses) because on a small machine
//! the scheduler often puts the worker on the awaiting thread's CPU (it woke it there): then
//! only a yield lets the other side run, and a yield to it costs well under a microsecond.
//! But a yield on a CPU that other threads want gives it away for a whole time slice
//! (milliseconds), far longer than a wake-up takes. So a yield that took longer than
//! [`YIELD_SLOW`] ends the window at once and closes every window for [`QUIET_FIRST`], twice
//! as long each time it happens again right after, up to [`QUIET_MAX`]: on a contended CPU
//! the pool parks and wakes like any other, and tries lingering again now and then.
//!
//! **Who is woken.** The pool counts the workers that are *searching* (awake and not running
//! a job, or woken and on their way). A new job wakes a worker only when none is searching,
//! and the one it wakes is counted as searching at once, so a job wakes at most one thread
//! (rayon's "sleepy worker" rule). At most one worker spins at a time: a worker that finishes
//! while another is searching parks after one look at the queue. A searching worker that takes
//! a job and leaves nobody searching while jobs remain queued wakes the next one, so a burst
//! fans out one worker at a time.
//!
//! **Quick bursts stay on few threads.** While jobs are quick (their average run below
//! [`CAP`]), that fan-out stops once as many workers are awake as there are CPUs but one (the
//! awaiting thread's), at least one: 32 reads of 4 KiB in flight are served faster by one
//! worker running them back to back than by five threads taking turns on two CPUs, each woken
//! for one read and preempted in its windows (measured: 7 threads and thousands of
//! preemptions per 10,000 reads before, 1 worker and a handful after, 3.1 × → 2.2 × std's time
//! on two CPUs). Queued jobs are then watched instead: the watcher thread, parked while
//! nobody waits, looks every [`WATCH_TICK`] while jobs are queued, and starts another worker
//! for each tick in which no job finished. So a job blocked on a FIFO or a hung mount holds up
//! the others for a tick at most, and blocked jobs get a thread each within a tick apiece.
//! Jobs that run long (sleeps, big reads) fan out at once, as before.
//!
//! **Growth and shrinking.** When a worker must be woken and none is parked, a new thread is
//! started, up to `AIOFILES_LINGER_MAX_THREADS` (default 500). A thread parked for longer than
//! [`IDLE_TIMEOUT`] exits, except [`KEEP`] of them. Threads are detached: nothing waits for
//! them when the process exits.

use std::fmt;
use std::future::Future;
use std::io;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use super::Executor;
use crate::error;

/// The widest either window gets.
const CAP: Duration = Duration::from_micros(50);
/// Added to twice the average: what one look at the queue and a cache miss or two cost.
const FLOOR: Duration = Duration::from_micros(2);
/// A sample longer than this counts as this much in the averages.
const SAMPLE_CLAMP: Duration = Duration::from_micros(200);
/// How many rounds of [`Backoff::spin`](crossbeam_utils::Backoff::spin) (1, 2, then 4 pauses) come before the first yield.
const SPIN_STEPS: u32 = 3;
/// A `yield_now` that takes longer than this gave the CPU to another thread for a time
/// slice: the CPU is contended, and lingering only delays the threads it waits for.
const YIELD_SLOW: Duration = Duration::from_micros(200);
/// How long windows stay closed after the first sign of contention; doubled on each sign
/// that follows while they are closed, up to [`QUIET_MAX`].
const QUIET_FIRST: Duration = Duration::from_millis(10);
/// The longest windows stay closed.
const QUIET_MAX: Duration = Duration::from_secs(1);
/// How long a parked thread waits for work before it exits.
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// Threads that stay parked however long the pool is idle.
const KEEP: usize = 2;
/// How often the watcher looks at a queue that every awake worker leaves waiting: a tick
/// without a finished job starts another worker.
const WATCH_TICK: Duration = Duration::from_millis(1);
/// The name of the watcher's thread.
const WATCHER_NAME: &str = "aiofiles-linger-watch";
/// The most threads, unless `AIOFILES_LINGER_MAX_THREADS` says otherwise.
const DEFAULT_MAX_THREADS: usize = 500;
/// The environment variable that sets the most threads.
const MAX_THREADS_ENV: &str = "AIOFILES_LINGER_MAX_THREADS";
/// The most threads the variable can ask for.
const MAX_THREADS_LIMIT: usize = 10_000;
/// The name of the pool's threads.
const THREAD_NAME: &str = "aiofiles-linger";
/// The error of a job the pool dropped without running it.
const LOST: &str =
    "the `Linger` pool dropped the work without running it (no thread could be started)";

/// An executor built for latency: a process-wide pool whose threads, and whose awaiting
/// tasks, stay awake for a short, adaptive window instead of parking at once.
///
/// On [`Blocking`](super::Blocking) (and on tokio's and async-std's pools) every operation
/// costs two thread wake-ups: the pool thread is parked when the job comes, the awaiting
/// thread is parked when the result comes back. On `Linger`, a worker that finishes a job
/// looks for the next one for a few µs before it parks, and the task awaiting a job looks for
/// its result for a few µs before it lets its thread park. When jobs are quick and follow each
/// other closely, neither side sleeps and a hand-off costs little more than the two cache-line
/// transfers it needs.
///
/// Both windows adapt to what the pool sees: they widen (up to 50 µs) while jobs are quick
/// and frequent, and shrink to nothing when jobs take long (spinning through a 5 ms `fsync`
/// would only burn CPU) or come rarely. Within 50 µs of the last job every thread of the pool
/// is parked, so an idle process burns no CPU. When the CPUs are contended (a yield gave the
/// CPU to another thread for a time slice), the windows close for a while (10 ms, doubling up
/// to a second while it goes on): there, a woken thread gets the CPU sooner than one that
/// yielded it.
///
/// Everything works on it as on any executor: `.on(Linger)`, `File<Linger>`,
/// `Limit::new(Linger, n)`.
///
/// # When to choose it
///
/// For latency-bound sequences of small operations: a request handler that stats, opens and
/// reads a small file one step after another; a loop of `metadata` calls; line-by-line work
/// over many small files. Batching the calls into one [`unblock`](crate::unblock) is faster
/// still, where the code allows it.
///
/// # What it costs
///
/// CPU while it is busy: a worker spins (then yields) for up to 50 µs after each job, and the
/// awaiting thread for up to 50 µs on the first poll of each job that is likely to finish
/// soon. That time would otherwise go to the futex calls and scheduling of two wake-ups, so a
/// busy sequence of small hops often costs no more CPU than on a pool that parks; the
/// benchmark's CPU column shows it. An awaiting task that spins holds its runtime thread for
/// that while (at most 50 µs per job), which a runtime with other ready tasks would rather
/// spend on them; with many operations in flight the awaiter's window closes by itself (it
/// spins only when a worker is free to take its job at once).
///
/// # How the pool grows
///
/// One pool serves the whole process, started on first use. A job wakes a parked worker only
/// when no worker is awake and looking for work, so each job wakes at most one thread. When
/// every worker is busy, a new thread is started: at once for jobs that run long, and for
/// quick ones once the awake workers stop finishing jobs for a millisecond (more threads than
/// CPUs only take turns on them), so a job blocked on a FIFO or a hung mount never starves the
/// others. At most `AIOFILES_LINGER_MAX_THREADS` threads (default 500, read once
/// when the pool starts) run; beyond two, a thread idle for a second exits. The threads are
/// named `aiofiles-linger` and detached: nothing waits for them at process exit.
///
/// # Examples
///
/// ```
/// use aiofiles::{fs, Linger};
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// fs::write(&path, "hi").on(Linger).await?;
/// let mut total = 0;
/// for _ in 0..100 {
///     total += fs::metadata(&path).on(Linger).await?.len(); // one quick hop after another
/// }
/// assert_eq!(total, 200);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Linger;

impl Executor for Linger {
    type Task<T: Send + 'static> = LingerTask<T>;

    #[inline]
    fn spawn_blocking<F, T>(&self, work: F) -> LingerTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        pool().submit(work)
    }
}

/// The [`Executor::Task`] of [`Linger`]: resolves to the work's result.
///
/// Its first poll that finds no result yet may look for it for a few µs (see [`Linger`])
/// before it registers the waker and returns `Pending`.
///
/// # Errors
///
/// An error of kind [`Other`](io::ErrorKind::Other) when the pool dropped the work without
/// running it: that happens only when it could start no thread at all.
///
/// # Cancel safety
///
/// Dropping it does not stop the work, which runs to completion; its result is discarded.
///
/// # Panics
///
/// Re-raises the panic of the work. Polling it again after it resolved panics.
///
/// # Examples
///
/// ```
/// use aiofiles::{Executor, Linger};
///
/// # futures::executor::block_on(async {
/// let here = std::thread::current().id();
/// let there = Linger.spawn_blocking(|| std::thread::current().id()).await?;
/// assert_ne!(there, here);
/// assert_eq!(Linger.spawn_blocking(|| 6 * 7).await?, 42);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct LingerTask<T> {
    /// `None` once resolved.
    slot: Option<Arc<dyn Outcome<T>>>,
    /// How long the next poll may look for the result; used once.
    spin: Duration,
}

impl<T> Future for LingerTask<T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = &mut *self;
        let slot = this
            .slot
            .as_ref()
            .expect("`LingerTask` polled after completion");
        let spin = mem::take(&mut this.spin);
        if !spin.is_zero() {
            pool().linger(spin, || slot.is_done());
        }
        let outcome = ready!(slot.poll_take(cx.waker()));
        this.slot = None;
        Poll::Ready(match outcome {
            Some(Ok(value)) => Ok(value),
            Some(Err(payload)) => panic::resume_unwind(payload),
            None => Err(error::work_lost(LOST)),
        })
    }
}

impl<T> fmt::Debug for LingerTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LingerTask")
            .field("done", &self.slot.is_none())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// One job: the closure, then its result, in the one allocation the job costs.

/// What a job hands back: its result or its panic; `None` when it was dropped unrun.
type Handed<T> = Option<thread::Result<T>>;

enum Stage<F, T> {
    Queued(F),
    Running,
    Done(thread::Result<T>),
    Lost,
    Taken,
}

struct Inner<F, T> {
    stage: Stage<F, T>,
    waker: Option<Waker>,
}

/// A job's closure and, once it ran, its result: shared by the queue (as [`Run`]) and the
/// awaiting task (as [`Outcome`]).
struct Slot<F, T> {
    /// Set once the result (or the loss) is in `inner`: what a spinning awaiter watches.
    done: AtomicBool,
    inner: Mutex<Inner<F, T>>,
}

impl<F, T> Slot<F, T> {
    fn lock(&self) -> MutexGuard<'_, Inner<F, T>> {
        // Every critical section only moves values in and out: a panic cannot leave it
        // half-done (the work itself runs outside the lock).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the closure out, if the job has not started, leaving `next` in its place.
    fn take_work(&self, next: Stage<F, T>) -> Option<F> {
        let mut inner = self.lock();
        match mem::replace(&mut inner.stage, next) {
            Stage::Queued(work) => Some(work),
            other => {
                inner.stage = other;
                None
            }
        }
    }

    /// Ends the job with `stage` and wakes the awaiting task.
    fn finish(&self, stage: Stage<F, T>) {
        let waker = {
            let mut inner = self.lock();
            inner.stage = stage;
            self.done.store(true, Ordering::Release);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The pool's view of a job.
trait Run: Send + Sync {
    /// Runs the work, calls `finished` once it returned (before its result can be seen), then
    /// hands the result to the task.
    fn run(&self, finished: &mut dyn FnMut());

    /// The job will never run: its task resolves to the lost-work error.
    fn abandon(&self);
}

/// The awaiting task's view of a job.
trait Outcome<T>: Send + Sync {
    /// Whether `poll_take` would be ready.
    fn is_done(&self) -> bool;

    /// Takes the outcome, or registers `waker` to be woken when there is one.
    fn poll_take(&self, waker: &Waker) -> Poll<Handed<T>>;
}

impl<F, T> Run for Slot<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    fn run(&self, finished: &mut dyn FnMut()) {
        let Some(work) = self.take_work(Stage::Running) else {
            return;
        };
        let result = panic::catch_unwind(AssertUnwindSafe(work));
        finished();
        self.finish(Stage::Done(result));
    }

    fn abandon(&self) {
        if let Some(work) = self.take_work(Stage::Lost) {
            // Dropped outside the lock: dropping a closure may run any code.
            drop(work);
            self.finish(Stage::Lost);
        }
    }
}

impl<F, T> Outcome<T> for Slot<F, T>
where
    F: Send,
    T: Send,
{
    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    fn poll_take(&self, waker: &Waker) -> Poll<Handed<T>> {
        let mut inner = self.lock();
        match mem::replace(&mut inner.stage, Stage::Taken) {
            Stage::Done(result) => Poll::Ready(Some(result)),
            Stage::Lost => Poll::Ready(None),
            waiting => {
                inner.stage = waiting;
                match &mut inner.waker {
                    Some(old) if old.will_wake(waker) => {}
                    slot => *slot = Some(waker.clone()),
                }
                Poll::Pending
            }
        }
    }
}

/// A job in the queue.
struct Job {
    /// `None` once run.
    slot: Option<Arc<dyn Run>>,
    /// When it was queued: the end of the gap a worker waited for it.
    queued_at: Instant,
}

impl Job {
    fn run(mut self, finished: &mut dyn FnMut()) {
        if let Some(slot) = self.slot.take() {
            slot.run(finished);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.abandon();
        }
    }
}

mod pool;

use self::pool::pool;
