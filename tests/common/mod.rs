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

// ---------------------------------------------------------------------------------------------
// Helpers of the conformance, fault and load suites.

/// The environment variable that marks a test process started by [`rerun_alone`].
#[allow(dead_code)]
pub const CHILD_ENV: &str = "AIOFILES_TEST_CHILD";

/// Whether this process ignores permission bits (root, or a process with `CAP_DAC_OVERRIDE`):
/// `id -u` says 0, or a file with mode 0o000 can be opened.
#[allow(dead_code)]
#[cfg(unix)]
pub fn privileged() -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        return true;
    }
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "x").expect("write the probe");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000))
        .expect("chmod the probe");
    std::fs::File::open(&probe).is_ok()
}

/// Whether this process was started by [`rerun_alone`].
#[allow(dead_code)]
/// Runs the test `name`'s `body` as an unprivileged user (root ignores permission bits):
/// here if this process is one; otherwise in a new process of this test binary running as
/// `nobody`, whose success is checked. Fails when neither is possible, rather than passing
/// unchecked.
#[cfg(unix)]
pub fn unprivileged(name: &str, body: impl FnOnce()) {
    if !privileged() {
        body();
        return;
    }
    assert!(
        !in_child(),
        "`{name}`: still privileged as user nobody, permissions cannot be tested"
    );
    let output = rerun_alone(name, Some(65534))
        .unwrap_or_else(|err| panic!("`{name}`: privileged, and cannot run as nobody: {err}"));
    let stdout = assert_child_passed(name, &output);
    eprintln!("`{name}` ran as user nobody in a child process: {stdout}");
}

pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the test `name` of this test binary alone, in a new process (as user and group `uid`
/// when given; that needs root), with [`CHILD_ENV`] set. Returns the child's output; `Err`
/// when it could not be started.
#[allow(dead_code)]
#[cfg(unix)]
pub fn rerun_alone(name: &str, uid: Option<u32>) -> io::Result<std::process::Output> {
    use std::os::unix::process::CommandExt as _;
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdin(std::process::Stdio::null());
    if let Some(uid) = uid {
        // Somewhere the other user can write its temporary files.
        command.uid(uid).gid(uid).env("TMPDIR", "/tmp");
    }
    command.output()
}

/// Checks that a child started by [`rerun_alone`] ran its one test and passed; returns its
/// standard output.
#[allow(dead_code)]
#[track_caller]
pub fn assert_child_passed(name: &str, output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child running `{name}` failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    stdout
}

/// The number of threads of this process (`Threads:` of `/proc/self/status`); `None` where
/// there is no such file.
#[allow(dead_code)]
pub fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Polls `path` until it holds exactly `expected` or `limit` has passed; returns the last
/// content read (`None`: no such file).
#[allow(dead_code)]
pub fn wait_for_content(path: &Path, expected: &[u8], limit: Duration) -> Option<Vec<u8>> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let content = std::fs::read(path).ok();
        if content.as_deref() == Some(expected) || std::time::Instant::now() >= deadline {
            return content;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Drives `future` to completion on this thread, running the work `exec` queues as it is
/// queued. Panics if the future waits while nothing is queued (it would hang).
#[allow(dead_code)]
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
#[allow(dead_code)]
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> std::task::Poll<F::Output> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(future).poll(&mut cx)
}

/// Creates a FIFO at `path` with the `mkfifo` command; `false` if that is not possible here.
#[allow(dead_code)]
pub fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|status| status.success())
}

/// `len` bytes that differ from file to file (`seed`) and along the file.
#[allow(dead_code)]
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Instantiates each listed `async fn $test<E: Executor>(exec: E)` of the including test file
/// once per executor of the short matrix (`Blocking`, `Inline`, `Linger`), as
/// `on_blocking::$test`, `on_inline::$test` and `on_linger::$test`.
#[macro_export]
macro_rules! on_each_executor {
    ($($test:ident),* $(,)?) => {
        mod on_blocking {
            $(
                #[test]
                fn $test() {
                    $crate::common::run(|| $crate::$test(aiofiles::Blocking));
                }
            )*
        }
        mod on_inline {
            $(
                #[test]
                fn $test() {
                    $crate::common::run(|| $crate::$test(aiofiles::Inline));
                }
            )*
        }
        mod on_linger {
            $(
                #[test]
                fn $test() {
                    $crate::common::run(|| $crate::$test(aiofiles::Linger));
                }
            )*
        }
    };
}
