//! `Linger`, the pool built for latency: many jobs with exact results, growth past blocked
//! jobs, no CPU burnt once idle, `Limit` over it, panics, and jobs that wait for jobs.
//!
//! The conformance suites (tests/executors.rs, tests/conformance.rs) run on `Linger` too;
//! this file checks what is particular to it. Its tests take one lock, so that they run one
//! at a time: one of them measures the CPU time of the whole process.

mod common;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use aiofiles::{Executor, Limit, Linger};
use futures::future::{join_all, try_join_all};
use futures::FutureExt as _;

/// The name of the pool's threads.
const LINGER_THREAD: &str = "aiofiles-linger";

/// Taken by every test of this file: they run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The CPU time (user and system) this process has used so far, all threads.
#[cfg(unix)]
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[test]
fn ten_thousand_jobs_from_one_task() {
    let _serial = serial();
    common::run(|| async {
        let mut sum = 0u64;
        for i in 0..10_000u64 {
            let square = aiofiles::unblock(move || i * i).on(Linger).await.unwrap();
            assert_eq!(square, i * i);
            sum += square;
        }
        assert_eq!(sum, 333_283_335_000);
    });
}

#[test]
fn one_task_after_another_runs_on_few_workers() {
    // Each job of a sequence wakes at most one worker, and it is the one that ran the job
    // before (the most recently parked is woken first): a sequence never spreads over the
    // pool. Two allow for a worker that was on its way to park when the sequence began.
    let _serial = serial();
    common::run(|| async {
        let mut workers = Vec::new();
        for _ in 0..2_000 {
            let id = aiofiles::unblock(|| thread::current().id())
                .on(Linger)
                .await
                .unwrap();
            if !workers.contains(&id) {
                workers.push(id);
            }
        }
        assert!(workers.len() <= 2, "ran on {} workers", workers.len());
    });
}

/// 10,000 jobs from 64 tasks, each awaiting its jobs one after another; task `k` runs jobs
/// `k, k + 64, k + 128, ...`. Returns every result, in job order.
async fn from_64_tasks() -> Vec<u64> {
    let tasks = (0..64u64).map(|k| async move {
        let mut results = Vec::new();
        let mut i = k;
        while i < 10_000 {
            let r = aiofiles::unblock(move || (i, i * 3 + 1))
                .on(Linger)
                .await
                .unwrap();
            results.push(r);
            i += 64;
        }
        results
    });
    let mut all: Vec<(u64, u64)> = join_all(tasks).await.into_iter().flatten().collect();
    all.sort_unstable();
    assert_eq!(all.len(), 10_000);
    all.into_iter()
        .enumerate()
        .map(|(n, (i, r))| {
            assert_eq!(i, n as u64, "each job ran once");
            r
        })
        .collect()
}

#[test]
fn a_burst_of_quick_jobs_stays_on_as_many_workers_as_cpus() {
    // 32 quick jobs in flight at all times: they used to fan out one worker after another
    // (5 to 7 threads on two CPUs, taking turns and preempting each other). Now a quick job
    // wakes no worker beyond one per CPU but one; the watcher adds one only for a millisecond
    // in which no job finished, which a loaded machine may cause once or twice (the slack).
    let _serial = serial();
    common::run(|| async {
        use futures::StreamExt as _;

        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        let awake_max = cpus.saturating_sub(1).max(1);
        let run = || {
            futures::stream::iter(0..10_000u64)
                .map(|i| aiofiles::unblock(move || (i * 3, thread::current().id())).on(Linger))
                .buffer_unordered(32)
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
        };
        // Once so that the pool's averages know the jobs are quick.
        run().await;
        let results = run().await;
        let mut sum = 0;
        let mut workers = Vec::new();
        for (value, id) in results {
            sum += value;
            if !workers.contains(&id) {
                workers.push(id);
            }
        }
        assert_eq!(sum, 3 * (0..10_000u64).sum::<u64>());
        assert!(
            workers.len() <= awake_max + 2,
            "{} workers ran a burst of quick jobs on {cpus} CPUs",
            workers.len()
        );
    });
}

#[test]
fn ten_thousand_jobs_from_64_concurrent_tasks() {
    let _serial = serial();
    common::run(|| async {
        let results = from_64_tasks().await;
        assert!(results
            .iter()
            .enumerate()
            .all(|(i, &r)| r == i as u64 * 3 + 1));
    });
}

#[test]
fn ten_thousand_jobs_from_64_tasks_on_a_multi_thread_runtime() {
    // The awaiting tasks themselves on two threads, each spinning for its own results.
    let _serial = serial();
    common::within(common::TIMEOUT, || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let results = rt.block_on(async {
            let tasks: Vec<_> = (0..64u64)
                .map(|k| {
                    tokio::spawn(async move {
                        let mut out = Vec::new();
                        let mut i = k;
                        while i < 10_000 {
                            out.push(
                                Linger
                                    .spawn_blocking(move || (i, i ^ 0x5555))
                                    .await
                                    .unwrap(),
                            );
                            i += 64;
                        }
                        out
                    })
                })
                .collect();
            let mut all = Vec::new();
            for task in tasks {
                all.extend(task.await.unwrap());
            }
            all
        });
        let mut results = results;
        results.sort_unstable();
        assert_eq!(results.len(), 10_000);
        for (n, (i, r)) in results.into_iter().enumerate() {
            assert_eq!(i, n as u64);
            assert_eq!(r, i ^ 0x5555);
        }
    });
}

#[test]
fn a_quick_job_is_not_held_up_by_blocked_ones() {
    // 32 jobs block for 300 ms; a quick job queued after them must not wait for any of them:
    // the pool starts a thread when a job is queued and every worker is busy.
    let _serial = serial();
    common::run(|| async {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut blocked: Vec<_> = (0..32)
            .map(|i| {
                let finished = Arc::clone(&finished);
                Box::pin(
                    aiofiles::unblock(move || {
                        thread::sleep(Duration::from_millis(300));
                        finished.fetch_add(1, Ordering::SeqCst);
                        i
                    })
                    .on(Linger),
                )
            })
            .collect();
        for job in &mut blocked {
            assert!(common::poll_once(job).is_pending());
        }
        let start = Instant::now();
        let quick = aiofiles::unblock(|| 7).on(Linger).await.unwrap();
        let waited = start.elapsed();
        assert_eq!(quick, 7);
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "the quick job waited for a blocked one ({waited:?})"
        );
        assert!(waited < Duration::from_millis(250), "waited {waited:?}");
        assert_eq!(
            try_join_all(blocked).await.unwrap(),
            (0..32).collect::<Vec<_>>()
        );
        assert_eq!(finished.load(Ordering::SeqCst), 32);
    });
}

#[cfg(unix)]
#[test]
fn an_idle_pool_burns_no_cpu() {
    // After a burst, every thread of the pool parks within the windows' cap (50 µs). The
    // threshold is loose on purpose: 10% of one CPU over 200 ms is 20 ms, a thousand times what
    // the parked pool uses, so that a loaded test machine (timer ticks, the harness's own
    // threads, a preempted spinner finishing its window late) cannot fail it; a pool that kept
    // a single thread spinning would use all 200 ms.
    let _serial = serial();
    common::run(|| async {
        for i in 0..20_000u32 {
            assert_eq!(aiofiles::unblock(move || i).on(Linger).await.unwrap(), i);
        }
        thread::sleep(Duration::from_millis(50));
        let before = process_cpu();
        thread::sleep(Duration::from_millis(200));
        let burnt = process_cpu() - before;
        assert!(
            burnt <= Duration::from_millis(20),
            "the idle process burnt {burnt:?} of CPU in 200 ms"
        );
    });
}

/// Runs `jobs` works through `limit`, each sleeping 1 ms, and returns the most that ran at
/// once. Checks every result.
async fn peak_through(limit: &Limit<Linger>, jobs: usize) -> usize {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let ops = (0..jobs).map(|i| {
        let running = Arc::clone(&running);
        let peak = Arc::clone(&peak);
        aiofiles::unblock(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(1));
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        })
        .on(limit.clone())
    });
    let results = try_join_all(ops).await.unwrap();
    assert_eq!(results, (0..jobs).map(|i| i * 2).collect::<Vec<_>>());
    assert_eq!(running.load(Ordering::SeqCst), 0);
    peak.load(Ordering::SeqCst)
}

#[test]
fn a_limit_over_linger_keeps_its_bound() {
    let _serial = serial();
    common::run(|| async {
        let limit = Limit::new(Linger, 4);
        assert_eq!(*limit.inner(), Linger);
        assert_eq!(peak_through(&limit, 400).await, 4);
        assert_eq!(peak_through(&Limit::new(Linger, 1), 100).await, 1);
    });
}

#[test]
fn a_limit_over_linger_reaches_its_bound_with_works_that_need_each_other() {
    let _serial = serial();
    common::run(|| async {
        let n = 6;
        let barrier = Arc::new(Barrier::new(n));
        let limit = Limit::new(Linger, n);
        let ops = (0..n).map(|i| {
            let barrier = Arc::clone(&barrier);
            aiofiles::unblock(move || {
                barrier.wait();
                i
            })
            .on(limit.clone())
        });
        assert_eq!(try_join_all(ops).await.unwrap(), (0..n).collect::<Vec<_>>());
    });
}

#[test]
fn a_panic_is_reraised_in_the_awaiting_task_and_the_pool_goes_on() {
    let _serial = serial();
    common::run(|| async {
        // Through an operation.
        let op = aiofiles::unblock(|| -> u32 { panic!("linger boom {}", 1) }).on(Linger);
        let payload = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
        assert_eq!(common::panic_message(&*payload), "linger boom 1");

        // Through the raw task.
        let task = Linger.spawn_blocking(|| -> u8 { panic!("raw linger boom") });
        let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
        assert_eq!(common::panic_message(&*payload), "raw linger boom");

        // Many panics at once, as many as there are workers and more: every worker survives.
        let panics = (0..64u32).map(|i| {
            AssertUnwindSafe(Linger.spawn_blocking(move || -> u32 { panic!("panic {i}") }))
                .catch_unwind()
        });
        for (i, outcome) in join_all(panics).await.into_iter().enumerate() {
            let payload = outcome.unwrap_err();
            assert_eq!(common::panic_message(&*payload), format!("panic {i}"));
        }

        // The pool works afterwards, on its own threads.
        let results = try_join_all((0..100u32).map(|i| {
            aiofiles::unblock(move || (i, thread::current().name().map(str::to_owned))).on(Linger)
        }))
        .await
        .unwrap();
        for (i, (r, name)) in results.into_iter().enumerate() {
            assert_eq!(r, i as u32);
            assert_eq!(name.as_deref(), Some(LINGER_THREAD));
        }
    });
}

#[test]
fn jobs_that_wait_for_jobs_do_not_deadlock() {
    // A job that hands work to the same pool and blocks its thread on the result: the inner
    // job needs another thread, which the pool starts because every worker is busy. 64 of
    // them at once need 128 threads.
    let _serial = serial();
    common::run(|| async {
        let outer = (0..64u64).map(|i| {
            Linger.spawn_blocking(move || {
                let inner = Linger.spawn_blocking(move || i * 10);
                futures::executor::block_on(inner).unwrap() + 1
            })
        });
        let results = try_join_all(outer).await.unwrap();
        assert_eq!(results, (0..64).map(|i| i * 10 + 1).collect::<Vec<_>>());

        // And all of them waiting for each other: 64 outer jobs that only finish together.
        let barrier = Arc::new(Barrier::new(64));
        let outer = (0..64u64).map(|i| {
            let barrier = Arc::clone(&barrier);
            Linger.spawn_blocking(move || {
                let inner = Linger.spawn_blocking(move || i + 100);
                let value = futures::executor::block_on(inner).unwrap();
                barrier.wait();
                value
            })
        });
        let results = try_join_all(outer).await.unwrap();
        assert_eq!(results, (100..164).collect::<Vec<_>>());
    });
}

#[test]
fn a_dropped_task_still_runs_its_work() {
    let _serial = serial();
    common::run(|| async {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut task = Box::pin(Linger.spawn_blocking(move || {
            thread::sleep(Duration::from_millis(20));
            tx.send("ran").unwrap();
        }));
        let _ = common::poll_once(&mut task);
        drop(task);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("ran"));

        // Dropped before any poll: the work was handed over by `spawn_blocking` already.
        let (tx, rx) = std::sync::mpsc::channel();
        drop(Linger.spawn_blocking(move || tx.send(5).unwrap()));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(5));
    });
}

#[test]
fn a_task_resolves_once_and_says_so() {
    let _serial = serial();
    common::run(|| async {
        let mut task = Linger.spawn_blocking(|| 3);
        assert_eq!(format!("{task:?}"), "LingerTask { done: false }");
        assert_eq!((&mut task).await.unwrap(), 3);
        assert_eq!(format!("{task:?}"), "LingerTask { done: true }");
        let again = AssertUnwindSafe(&mut task).catch_unwind().await;
        assert!(again.is_err(), "polling a resolved task panics");
    });
}

#[test]
fn linger_is_a_plain_value() {
    fn traits<T: Clone + Copy + Default + std::fmt::Debug + Send + Sync + 'static>() {}
    traits::<Linger>();
    assert_eq!(Linger, Linger);
    assert_eq!(format!("{:?}", Linger), "Linger");
    assert_eq!(*aiofiles::fs::read("x").on(Linger).executor(), Linger);
    assert_eq!(<Linger as Default>::default(), aiofiles::executor::Linger);
}

#[test]
fn a_file_on_linger_keeps_it() {
    let _serial = serial();
    common::run(|| async {
        use futures::AsyncWriteExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        let mut file = aiofiles::open(&path, "w+").on(Linger).await.unwrap();
        assert_eq!(*file.executor(), Linger);
        file.write_all(b"lingering").await.unwrap();
        file.flush().await.unwrap();
        futures::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(0))
            .await
            .unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "lingering");
        file.close().await.unwrap();
    });
}
