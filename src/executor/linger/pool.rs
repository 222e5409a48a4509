//! The process-wide pool behind [`Linger`](super::Linger): its queue, its workers, and the
//! averages and contention signs its windows follow (see the parent module's docs).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{self, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use concurrent_queue::ConcurrentQueue;
use crossbeam_utils::{Backoff, CachePadded};

use super::{
    Inner, Job, LingerTask, Run, Slot, Stage, CAP, DEFAULT_MAX_THREADS, FLOOR, IDLE_TIMEOUT, KEEP,
    MAX_THREADS_ENV, MAX_THREADS_LIMIT, QUIET_FIRST, QUIET_MAX, SAMPLE_CLAMP, SPIN_STEPS,
    THREAD_NAME, WATCHER_NAME, WATCH_TICK, YIELD_SLOW,
};

/// A moving average of durations, in nanoseconds, weight 1/8 for each new sample. Updates
/// from several threads may overwrite each other: a lost sample only slows the average.
pub(super) struct Average(AtomicU64);

impl Average {
    pub(super) const fn new(start: Duration) -> Self {
        Average(AtomicU64::new(start.as_nanos() as u64))
    }

    pub(super) fn record(&self, sample: Duration) {
        let sample = sample.min(SAMPLE_CLAMP).as_nanos() as u64;
        let old = self.0.load(Ordering::Relaxed);
        self.0.store(old - old / 8 + sample / 8, Ordering::Relaxed);
    }

    /// Whether the average is below the cap: quick jobs, or short gaps.
    pub(super) fn is_short(&self) -> bool {
        Duration::from_nanos(self.0.load(Ordering::Relaxed)) < CAP
    }

    /// How long to look for what this averages: about twice the average, zero when that is
    /// beyond the cap.
    pub(super) fn window(&self) -> Duration {
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

/// The watcher of a queue left waiting: see [`Pool::wake_one`].
struct Watch {
    /// Whether the watcher is looking (woken, and not yet parked again).
    watching: AtomicBool,
    /// Jobs finished so far: how the watcher tells a busy pool from a stuck one.
    finished: AtomicU64,
    /// The watcher's thread, started the first time it is needed; `None` if it could not be.
    unparker: OnceLock<Option<parking::Unparker>>,
}

pub(super) struct Pool {
    queue: ConcurrentQueue<Job>,
    /// Workers awake and not running a job, plus those woken and on their way.
    searching: CachePadded<AtomicUsize>,
    stats: CachePadded<Stats>,
    contention: CachePadded<Contention>,
    /// The origin of the times in `contention`.
    epoch: Instant,
    sleepers: Mutex<Sleepers>,
    max_threads: usize,
    /// Workers awake at once (running a job or searching) beyond which a quick job does not
    /// wake another at once: the CPUs but one, left to the awaiting thread (at least one).
    awake_max: usize,
    watch: CachePadded<Watch>,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool::new(max_threads_from_env()));

pub(super) fn pool() -> &'static Pool {
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
    pub(super) fn new(max_threads: usize) -> Self {
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
            awake_max: thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            watch: CachePadded::new(Watch {
                watching: AtomicBool::new(false),
                finished: AtomicU64::new(0),
                unparker: OnceLock::new(),
            }),
        }
    }

    /// Looks for `found()` until it is true or `window` has passed: spins with a growing
    /// backoff for a few rounds, then yields. Returns whether it was found.
    ///
    /// A yield that took long means other threads want this CPU: then it stops at once and
    /// closes every window for a while, so that the threads it waits for are woken the
    /// ordinary way (a woken thread gets the CPU sooner than one that yielded it).
    pub(super) fn linger(&self, window: Duration, mut found: impl FnMut() -> bool) -> bool {
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
    pub(super) fn contended(&self) {
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
    pub(super) fn window(&self, average: &Average, now: Instant) -> Duration {
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

    pub(super) fn submit<F, T>(&'static self, work: F) -> LingerTask<T>
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
    ///
    /// When jobs are quick (their average run below the window cap) and as many workers are
    /// awake as there are CPUs besides the awaiting thread's, it wakes none: quick jobs are
    /// served sooner by the awake workers than by more threads taking turns on the same CPUs
    /// (a burst of 32 short reads would otherwise fan out into a wake-up per job, and the
    /// threads into preemptions). The watcher is woken instead: while jobs wait, it looks
    /// every [`WATCH_TICK`], and a tick in which no job finished (every awake worker blocked,
    /// say on a FIFO) starts another worker, so that nothing waits on a blocked job for longer
    /// than a tick per worker.
    fn wake_one(&'static self) {
        let sleepers = self.lock();
        if sleepers.threads - sleepers.parked.len() >= self.awake_max && self.stats.run.is_short() {
            drop(sleepers);
            self.watch();
            return;
        }
        self.wake_one_locked(sleepers);
    }

    /// Wakes or starts a worker whatever the number awake: the watcher's growth.
    fn grow(&'static self) {
        let sleepers = self.lock();
        self.wake_one_locked(sleepers);
    }

    fn wake_one_locked(&'static self, mut sleepers: MutexGuard<'_, Sleepers>) {
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

    /// Makes sure the watcher looks at the queue until it is empty.
    fn watch(&'static self) {
        if self.watch.watching.swap(true, Ordering::SeqCst) {
            return;
        }
        let unparker = self.watch.unparker.get_or_init(|| {
            let (parker, unparker) = parking::pair();
            thread::Builder::new()
                .name(WATCHER_NAME.into())
                .spawn(move || self.watcher(&parker))
                .ok()
                .map(|_| unparker)
        });
        match unparker {
            Some(unparker) => {
                unparker.unpark();
            }
            // No watcher: grow at once instead, as if no worker were awake.
            None => self.grow(),
        }
    }

    /// The watcher's life: parked while nobody waits; while jobs wait, a look every tick,
    /// and another worker for each tick in which none finished.
    fn watcher(&'static self, parker: &parking::Parker) {
        loop {
            parker.park();
            let mut seen = self.watch.finished.load(Ordering::Relaxed);
            loop {
                parker.park_timeout(WATCH_TICK);
                if self.queue.is_empty() {
                    self.watch.watching.store(false, Ordering::SeqCst);
                    // Pairs with the swap in `watch`: a job queued meanwhile is seen here,
                    // or its `watch` finds the watcher not looking and wakes it.
                    atomic::fence(Ordering::SeqCst);
                    if self.queue.is_empty() || self.watch.watching.swap(true, Ordering::SeqCst) {
                        break;
                    }
                    continue;
                }
                let finished = self.watch.finished.load(Ordering::Relaxed);
                if finished == seen {
                    self.grow();
                }
                seen = finished;
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
            let done = &self.watch.finished;
            let mut finished = || {
                let now = Instant::now();
                stats.run.record(now - started);
                done.fetch_add(1, Ordering::Relaxed);
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
mod tests;
