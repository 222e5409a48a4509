//! Helpers shared by the integration tests: a user-written executor, the runtimes the suites
//! run under, a watchdog so that nothing can hang the test run, and error checks against std.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::any::Any;
use std::error::Error as _;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use aiofiles::executor::{self, Executor, RemoteTask};

/// How long any single test may take before the watchdog calls it a hang.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The name of the threads [`ThreadPerJob`] runs works on.
pub const THREAD_PER_JOB_NAME: &str = "aiofiles-test-thread-per-job";

/// An executor written the way a user would: one new thread per job, results carried back by
/// `aiofiles::executor::task`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadPerJob;

impl Executor for ThreadPerJob {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, task) = executor::task();
        // When the thread cannot be spawned the closure, and the completer in it, are dropped:
        // the task then resolves to the "work lost" error, as the `Executor` contract asks.
        let _ = thread::Builder::new()
            .name(THREAD_PER_JOB_NAME.into())
            .stack_size(256 * 1024)
            .spawn(move || completer.complete(work));
        task
    }
}

/// An executor that loses every work without running it, like a pool that has shut down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lossy;

impl Executor for Lossy {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, task) = executor::task::<T>();
        drop((completer, work));
        task
    }
}

/// An executor that runs each work on a new thread until it is closed, and from then on
/// drops works without running them, like a pool that has shut down.
#[derive(Clone, Debug, Default)]
pub struct Closable(Arc<AtomicBool>);

impl Closable {
    /// From now on, works are dropped unrun.
    pub fn close(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// From now on, works run again.
    pub fn reopen(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Executor for Closable {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, task) = executor::task();
        if !self.0.load(Ordering::SeqCst) {
            thread::spawn(move || completer.complete(work));
        }
        task
    }
}

/// Runs `f` on a fresh thread and returns its result, re-raising its panic; fails the test
/// if it takes longer than `limit` (the thread is then left behind, the test fails at once).
pub fn within<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("aiofiles-test-watchdog".into())
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn the test thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: no result after {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("the test thread always sends"),
    }
}

/// Runs a test body under `futures::executor::block_on`, with the watchdog.
pub fn run<F, Fut>(body: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    within(TIMEOUT, move || futures_block_on(body()));
}

/// `futures::executor::block_on`: no runtime at all.
pub fn futures_block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// `smol::block_on`.
pub fn smol_block_on<F: Future>(future: F) -> F::Output {
    smol::block_on(future)
}

/// `async_std::task::block_on`.
pub fn async_std_block_on<F: Future>(future: F) -> F::Output {
    async_std::task::block_on(future)
}

/// Inside a fresh multi-thread tokio runtime (two workers).
pub fn tokio_multi_thread<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("build a multi-thread runtime")
        .block_on(future)
}

/// Inside a fresh current-thread tokio runtime.
pub fn tokio_current_thread<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("build a current-thread runtime")
        .block_on(future)
}

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        panic!("the panic payload is neither a &str nor a String")
    }
}

/// The original error behind one of this crate's errors.
pub fn source_of(err: &io::Error) -> &io::Error {
    err.source()
        .unwrap_or_else(|| panic!("no source in `{err}`"))
        .downcast_ref::<io::Error>()
        .unwrap_or_else(|| panic!("the source of `{err}` is not an io::Error"))
}

/// Checks `ours`, an error of this crate, against `theirs`, std's error for the same call on
/// the same input: same kind, message ``failed to <op> `<path>`: <std's message>`` (two paths:
/// ``failed to <op> `<a>` to `<b>`: ...``), and std's error as the source, OS code included.
#[track_caller]
pub fn assert_same_error(ours: &io::Error, theirs: &io::Error, op: &str, paths: &[&Path]) {
    assert_eq!(ours.kind(), theirs.kind(), "kind of `{ours}`");
    let expected = match paths {
        [path] => format!("failed to {op} `{}`: {theirs}", path.display()),
        [from, to] => format!(
            "failed to {op} `{}` to `{}`: {theirs}",
            from.display(),
            to.display()
        ),
        _ => panic!("one or two paths"),
    };
    assert_eq!(ours.to_string(), expected);
    let source = source_of(ours);
    assert_eq!(source.kind(), theirs.kind());
    assert_eq!(source.raw_os_error(), theirs.raw_os_error());
    assert_eq!(source.to_string(), theirs.to_string());
}

/// `ENOENT` on Linux.
#[cfg(target_os = "linux")]
pub const ENOENT: i32 = 2;
