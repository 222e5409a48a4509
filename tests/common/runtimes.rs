//! The runtimes the suites run under, and the watchdog that keeps any test from hanging the
//! run.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long any single test may take before the watchdog calls it a hang.
pub const TIMEOUT: Duration = Duration::from_secs(60);

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

/// Drives `future` to completion on this thread, running the work `exec` queues as it is
/// queued. Panics if the future waits while nothing is queued (it would hang).
pub fn drive<F: Future>(exec: &aiofiles::testing::ManualExecutor, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        assert!(
            exec.run_all() > 0,
            "the future is pending with no work queued: it would hang"
        );
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> std::task::Poll<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(future).poll(&mut cx)
}
