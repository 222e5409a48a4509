use super::*;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::executor::linger::{
    Inner, Job, LingerTask, Run, Slot, Stage, CAP, LOST, QUIET_FIRST, QUIET_MAX, SPIN_STEPS,
};

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
    // Found on the last look before the first yield: no yield, so no contention can end the
    // window early, whatever else the machine runs.
    let mut looks = 0;
    assert!(pool.linger(Duration::from_secs(10), || {
        looks += 1;
        looks == SPIN_STEPS + 1
    }));
    assert_eq!(looks, SPIN_STEPS + 1);
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
