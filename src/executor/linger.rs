//! [`Linger`]: a pool built for the latency of one hand-off.
//!
//! A hand-off through a pool whose threads sleep costs two wake-ups: the worker is parked when
//! the job arrives, and the awaiting thread is parked when the result comes back. Each is a
//! futex call on one side and a trip through the scheduler on the other, tens of µs together,
//! where the job itself (a cached `stat`) may take one. This pool keeps both sides awake for a
//! short, adaptive window instead:
//!
//! - **The worker's window.** A worker that finishes a job looks for the next one for a while
//!   (a few rounds of [`Backoff::spin`], then `yield_now`) before it parks. The window follows an average of the *gaps* seen between a worker becoming free
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
//! fans out one worker at a time and a job blocked on a FIFO never holds up the others.
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
use std::sync::atomic::{self, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use concurrent_queue::ConcurrentQueue;
use crossbeam_utils::{Backoff, CachePadded};

use super::Executor;
use crate::error;

/// The widest either window gets.
const CAP: Duration = Duration::from_micros(50);
/// Added to twice the average: what one look at the queue and a cache miss or two cost.
const FLOOR: Duration = Duration::from_micros(2);
/// A sample longer than this counts as this much in the averages.
const SAMPLE_CLAMP: Duration = Duration::from_micros(200);
/// How many rounds of [`Backoff::spin`] (1, 2, then 4 pauses) come before the first yield.
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
/// every worker is busy, a new thread is started: a job blocked on a FIFO or a hung mount never
/// starves the others. At most `AIOFILES_LINGER_MAX_THREADS` threads (default 500, read once
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

// ---------------------------------------------------------------------------------------------
// The pool

/// A moving average of durations, in nanoseconds, weight 1/8 for each new sample. Updates
/// from several threads may overwrite each other: a lost sample only slows the average.
struct Average(AtomicU64);

impl Average {
    const fn new(start: Duration) -> Self {
        Average(AtomicU64::new(start.as_nanos() as u64))
    }

    fn record(&self, sample: Duration) {
        let sample = sample.min(SAMPLE_CLAMP).as_nanos() as u64;
        let old = self.0.load(Ordering::Relaxed);
        self.0.store(old - old / 8 + sample / 8, Ordering::Relaxed);
    }

    /// How long to look for what this averages: about twice the average, zero when that is
    /// beyond the cap.
    fn window(&self) -> Duration {
        let average = Duration::from_nanos(self.0.load(Ordering::Relaxed));
        if average >= CAP {
            Duration::ZERO
        } else {
            (average * 2 + FLOOR).min(CAP)
        }
    }
}

/// What the pool learns from its jobs.
struct Stats {
    /// How long jobs run: the awaiter's window.
    run: Average,
    /// How long a free worker waits for the next job: the worker's window.
    gap: Average,
}

struct Sleepers {
    /// Threads started and not exited.
    threads: usize,
    /// Parked workers, the most recently parked last (woken first: its cache is warm; the
    /// oldest time out and exit).
    parked: Vec<Sleeper>,
    next_id: u64,
}

struct Sleeper {
    id: u64,
    unparker: parking::Unparker,
}

/// Whether the CPU is contended: while it is, both windows stay closed.
struct Contention {
    /// Until when, in nanoseconds since the pool's epoch.
    quiet_until: AtomicU64,
    /// How long the next sign of contention closes the windows, in nanoseconds.
    quiet_for: AtomicU64,
}

struct Pool {
    queue: ConcurrentQueue<Job>,
    /// Workers awake and not running a job, plus those woken and on their way.
    searching: CachePadded<AtomicUsize>,
    stats: CachePadded<Stats>,
    contention: CachePadded<Contention>,
    /// The origin of the times in `contention`.
    epoch: Instant,
    sleepers: Mutex<Sleepers>,
    max_threads: usize,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool::new(max_threads_from_env()));

fn pool() -> &'static Pool {
    &POOL
}

/// `AIOFILES_LINGER_MAX_THREADS`, when it is a number from 1 to 10,000.
fn max_threads_from_env() -> usize {
    std::env::var(MAX_THREADS_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|n| (1..=MAX_THREADS_LIMIT).contains(n))
        .unwrap_or(DEFAULT_MAX_THREADS)
}

impl Pool {
    fn new(max_threads: usize) -> Self {
        Pool {
            queue: ConcurrentQueue::unbounded(),
            searching: CachePadded::new(AtomicUsize::new(0)),
            stats: CachePadded::new(Stats {
                run: Average::new(CAP / 4),
                gap: Average::new(CAP / 4),
            }),
            contention: CachePadded::new(Contention {
                quiet_until: AtomicU64::new(0),
                quiet_for: AtomicU64::new(QUIET_FIRST.as_nanos() as u64),
            }),
            epoch: Instant::now(),
            sleepers: Mutex::new(Sleepers {
                threads: 0,
                parked: Vec::new(),
                next_id: 0,
            }),
            max_threads,
        }
    }

    /// Looks for `found()` until it is true or `window` has passed: spins with a growing
    /// backoff for a few rounds, then yields. Returns whether it was found.
    ///
    /// A yield that took long means other threads want this CPU: then it stops at once and
    /// closes every window for a while, so that the threads it waits for are woken the
    /// ordinary way (a woken thread gets the CPU sooner than one that yielded it).
    fn linger(&self, window: Duration, mut found: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + window;
        let backoff = Backoff::new();
        let mut spins = SPIN_STEPS;
        loop {
            if found() {
                self.calm();
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            if spins > 0 {
                spins -= 1;
                backoff.spin();
                continue;
            }
            thread::yield_now();
            if now.elapsed() > YIELD_SLOW {
                self.contended();
                return found();
            }
        }
    }

    /// Whether windows are closed at `now` because the CPU was found contended.
    fn quiet(&self, now: Instant) -> bool {
        let until = self.contention.quiet_until.load(Ordering::Relaxed);
        until != 0 && (now.saturating_duration_since(self.epoch).as_nanos() as u64) < until
    }

    /// A yield took long: close the windows, for twice as long as last time if they were
    /// closed already.
    #[cold]
    fn contended(&self) {
        let c = &self.contention;
        let now = self.epoch.elapsed().as_nanos() as u64;
        let mut quiet_for = c.quiet_for.load(Ordering::Relaxed);
        let until = c.quiet_until.load(Ordering::Relaxed);
        if until != 0 && now < until + quiet_for {
            // Contended again soon after the last time: back off further.
            quiet_for = (quiet_for * 2).min(QUIET_MAX.as_nanos() as u64);
            c.quiet_for.store(quiet_for, Ordering::Relaxed);
        }
        c.quiet_until.store(now + quiet_for, Ordering::Relaxed);
    }

    /// A window caught what it waited for: the next sign of contention closes the windows
    /// for the shortest time again.
    fn calm(&self) {
        let first = QUIET_FIRST.as_nanos() as u64;
        let c = &self.contention;
        if c.quiet_for.load(Ordering::Relaxed) != first {
            c.quiet_for.store(first, Ordering::Relaxed);
        }
    }

    /// The window for what `average` measures, at `now`.
    fn window(&self, average: &Average, now: Instant) -> Duration {
        if self.quiet(now) {
            Duration::ZERO
        } else {
            average.window()
        }
    }

    fn lock(&self) -> MutexGuard<'_, Sleepers> {
        // Counters and a list, consistent at every unlock.
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn submit<F, T>(&'static self, work: F) -> LingerTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Arc::new(Slot {
            done: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                stage: Stage::Queued(work),
                waker: None,
            }),
        });
        let queued_at = Instant::now();
        let job = Job {
            slot: Some(Arc::clone(&slot) as Arc<dyn Run>),
            queued_at,
        };
        let spin = self.push(job, queued_at);
        LingerTask {
            slot: Some(slot),
            spin,
        }
    }

    /// Queues `job`, wakes a worker if none is searching, and returns the awaiter's window.
    fn push(&'static self, job: Job, now: Instant) -> Duration {
        if let Err(refused) = self.queue.push(job) {
            // The queue is never closed; were it, the job's drop would resolve its task.
            drop(refused.into_inner());
            return Duration::ZERO;
        }
        // Pairs with the fence in `park`: either this load sees the worker that is about to
        // park still searching, or that worker sees this job in the queue.
        atomic::fence(Ordering::SeqCst);
        let searching = self.searching.load(Ordering::SeqCst);
        if searching == 0 {
            self.wake_one();
            // Waking a worker takes longer than any window: no use looking for the result.
            return Duration::ZERO;
        }
        if self.queue.len() > searching {
            // Queued behind others: it will not start soon.
            return Duration::ZERO;
        }
        self.window(&self.stats.run, now)
    }

    /// Wakes a parked worker, or starts one if none is parked and the pool may grow. The
    /// worker is counted as searching from now on.
    fn wake_one(&'static self) {
        let mut sleepers = self.lock();
        if let Some(sleeper) = sleepers.parked.pop() {
            self.searching.fetch_add(1, Ordering::SeqCst);
            drop(sleepers);
            sleeper.unparker.unpark();
            return;
        }
        if sleepers.threads >= self.max_threads {
            // Every thread is busy: the job waits for the first that finishes.
            return;
        }
        sleepers.threads += 1;
        let id = sleepers.next_id;
        sleepers.next_id += 1;
        self.searching.fetch_add(1, Ordering::SeqCst);
        drop(sleepers);

        let spawned = thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || self.work(id));
        if spawned.is_err() {
            let mut sleepers = self.lock();
            sleepers.threads -= 1;
            self.searching.fetch_sub(1, Ordering::SeqCst);
            let none_left = sleepers.threads == 0;
            drop(sleepers);
            if none_left {
                // No thread will ever run what is queued: each task gets the lost-work
                // error instead of hanging.
                while let Ok(job) = self.queue.pop() {
                    drop(job);
                }
            }
        }
    }

    /// A worker thread's life. It starts counted as searching.
    fn work(&'static self, id: u64) {
        let (parker, unparker) = parking::pair();
        // When the worker last became free: the start of the gap until its next job.
        let mut free_since = Instant::now();
        loop {
            let Some(job) = self.find(free_since) else {
                if self.park(id, &parker, &unparker) {
                    continue;
                }
                return;
            };
            self.start();
            self.stats
                .gap
                .record(job.queued_at.saturating_duration_since(free_since));
            let started = Instant::now();
            let stats = &self.stats;
            let searching = &self.searching;
            let mut finished = || {
                let now = Instant::now();
                stats.run.record(now - started);
                // Searching again before the result can be seen: the task that gets it and
                // queues its next job at once then finds this worker awake and wakes nobody.
                searching.fetch_add(1, Ordering::SeqCst);
                free_since = now;
            };
            // The work's own panic is caught inside `run`; this catches a panic in dropping
            // its result (a task that no longer waits leaves the result to this thread), so
            // that the worker survives that too.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| job.run(&mut finished)));
        }
    }

    /// Looks for a job within the worker's window, counted from `free_since`; at least once.
    fn find(&self, free_since: Instant) -> Option<Job> {
        // One spinning worker is enough: with another searching, look once and park.
        let now = Instant::now();
        let window = if self.searching.load(Ordering::Relaxed) > 1 {
            Duration::ZERO
        } else {
            self.window(&self.stats.gap, now)
        };
        let window = window.saturating_sub(now - free_since);
        let mut job = None;
        self.linger(window, || {
            if !self.queue.is_empty() {
                job = self.queue.pop().ok();
            }
            job.is_some()
        });
        job
    }

    /// A searching worker took a job: it no longer searches. If it was the last one and more
    /// jobs wait, it wakes the next worker (or starts one): every busy worker may be blocked
    /// for long.
    fn start(&'static self) {
        let before = self.searching.fetch_sub(1, Ordering::SeqCst);
        atomic::fence(Ordering::SeqCst);
        if before == 1 && !self.queue.is_empty() {
            self.wake_one();
        }
    }

    /// Parks the worker until it is woken (`true`: it searches again, counted by whoever woke
    /// it) or it has been idle long enough to exit (`false`: it has been taken off the count).
    fn park(&self, id: u64, parker: &parking::Parker, unparker: &parking::Unparker) -> bool {
        let mut sleepers = self.lock();
        // Under the lock: a submitter that sees this worker gone from `searching` then finds
        // it among the parked ones.
        self.searching.fetch_sub(1, Ordering::SeqCst);
        atomic::fence(Ordering::SeqCst);
        if !self.queue.is_empty() {
            self.searching.fetch_add(1, Ordering::SeqCst);
            return true;
        }
        sleepers.parked.push(Sleeper {
            id,
            unparker: unparker.clone(),
        });
        drop(sleepers);

        let parked_at = Instant::now();
        loop {
            parker.park_timeout(IDLE_TIMEOUT);
            // Whoever wakes a worker takes it off the list first: that, not the park's
            // return value, tells a wake from a timeout or a stale unpark.
            let mut sleepers = self.lock();
            let Some(place) = sleepers.parked.iter().position(|s| s.id == id) else {
                return true;
            };
            if parked_at.elapsed() >= IDLE_TIMEOUT && sleepers.threads > KEEP {
                sleepers.parked.remove(place);
                sleepers.threads -= 1;
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_averages() {
        let quick = Average::new(Duration::from_micros(1));
        assert_eq!(quick.window(), Duration::from_micros(4));
        let slow = Average::new(Duration::from_millis(5));
        assert_eq!(slow.window(), Duration::ZERO);
        let mid = Average::new(Duration::from_micros(30));
        assert_eq!(mid.window(), CAP);
    }

    #[test]
    fn a_long_sample_closes_the_window_for_a_few_samples_only() {
        let average = Average::new(Duration::from_micros(1));
        average.record(Duration::from_secs(5));
        // Clamped: 1 µs * 7/8 + 200 µs / 8, about 26 µs.
        assert!(average.window() > Duration::ZERO);
        for _ in 0..4 {
            average.record(Duration::from_secs(5));
        }
        assert_eq!(average.window(), Duration::ZERO);
        for _ in 0..20 {
            average.record(Duration::from_micros(1));
        }
        assert!(average.window() > Duration::ZERO);
        assert!(average.window() < CAP);
    }

    #[test]
    fn contention_closes_the_windows_for_a_while() {
        let pool = Pool::new(4);
        let gap = &pool.stats.gap;
        assert!(pool.window(gap, Instant::now()) > Duration::ZERO);

        pool.contended();
        assert_eq!(pool.window(gap, Instant::now()), Duration::ZERO);
        let later = Instant::now() + QUIET_FIRST + Duration::from_millis(1);
        assert!(
            pool.window(gap, later) > Duration::ZERO,
            "closed for a while only"
        );

        // Contended again while closed: closed for twice as long, up to the maximum.
        pool.contended();
        let quiet_for = || Duration::from_nanos(pool.contention.quiet_for.load(Ordering::Relaxed));
        assert_eq!(quiet_for(), QUIET_FIRST * 2);
        for _ in 0..20 {
            pool.contended();
        }
        assert_eq!(quiet_for(), QUIET_MAX);

        // A window that catches what it waits for makes the next closing short again.
        assert!(pool.linger(Duration::ZERO, || true));
        assert_eq!(quiet_for(), QUIET_FIRST);
    }

    #[test]
    fn lingering_returns_whether_it_found() {
        let pool = Pool::new(4);
        assert!(!pool.linger(Duration::from_micros(200), || false));
        let mut looks = 0;
        assert!(pool.linger(Duration::from_secs(10), || {
            looks += 1;
            looks == 50
        }));
    }

    #[test]
    fn max_threads_default() {
        // The variable is not set in the test environment.
        if std::env::var_os(MAX_THREADS_ENV).is_none() {
            assert_eq!(max_threads_from_env(), DEFAULT_MAX_THREADS);
        }
    }

    #[test]
    fn a_dropped_job_resolves_its_task_to_an_error() {
        let slot = Arc::new(Slot {
            done: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                stage: Stage::Queued(|| 5),
                waker: None,
            }),
        });
        let job = Job {
            slot: Some(Arc::clone(&slot) as Arc<dyn Run>),
            queued_at: Instant::now(),
        };
        let mut task = LingerTask::<i32> {
            slot: Some(slot),
            spin: Duration::ZERO,
        };
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut task).poll(&mut cx).is_pending());
        drop(job);
        match Pin::new(&mut task).poll(&mut cx) {
            Poll::Ready(Err(err)) => {
                assert_eq!(err.kind(), io::ErrorKind::Other);
                assert_eq!(err.to_string(), LOST);
            }
            other => panic!("expected the lost-work error, got {other:?}"),
        }
    }
}
