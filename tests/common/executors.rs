//! Executors the tests run on besides the crate's own: one written the way a user would, one
//! that loses every work, one that can be closed, one that counts hand-offs; and the executor
//! matrix macros that instantiate a test once per executor.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use aiofiles::executor::{self, Executor, RemoteTask};
use aiofiles::Blocking;

/// The name of the threads [`ThreadPerJob`] runs works on.
pub const THREAD_PER_JOB_NAME: &str = "aiofiles-test-thread-per-job";

/// An executor written the way a user would: one new thread per job, results carried back by
/// `aiofiles::executor::remote_task`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadPerJob;

impl Executor for ThreadPerJob {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, task) = executor::remote_task();
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
        let (completer, task) = executor::remote_task::<T>();
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
        let (completer, task) = executor::remote_task();
        if !self.0.load(Ordering::SeqCst) {
            thread::spawn(move || completer.complete(work));
        }
        task
    }
}

/// An executor that counts every work handed to it (every hand-off) and passes it on to
/// `inner`: `Counting::default()` counts over `Blocking`, `Counting::new(Inline)` runs each
/// work at once on the polling thread. Clones share the count.
#[derive(Clone, Debug)]
pub struct Counting<E = Blocking> {
    inner: E,
    count: Arc<AtomicUsize>,
}

impl Default for Counting {
    fn default() -> Self {
        Counting::new(Blocking)
    }
}

impl<E> Counting<E> {
    /// Counts the works handed to `inner`, from zero.
    pub fn new(inner: E) -> Self {
        Counting {
            inner,
            count: Arc::default(),
        }
    }

    /// How many works were handed over so far.
    pub fn hops(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl<E: Executor> Executor for Counting<E> {
    type Task<T: Send + 'static> = E::Task<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> Self::Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.spawn_blocking(work)
    }
}

/// The executor matrix: instantiates each listed test once per listed executor, as
/// `<executor module>::<test>`, each a `#[test]` under the watchdog.
///
/// ```ignore
/// matrix! {
///     executors: {
///         on_blocking => aiofiles::Blocking,
///         on_a_limit => aiofiles::Limit::new(aiofiles::Blocking, 2),
///         // `@ runtime`: the test runs inside `runtime(future)` (a `block_on`), the executor
///         // is built there (so `Tokio::current()` works).
///         #[cfg(feature = "tokio")]
///         on_tokio @ common::tokio_multi_thread => aiofiles::Tokio::current(),
///     },
///     tests: { read_back, #[cfg(unix)] positional },
/// }
/// ```
///
/// Each test is an `async fn test<E: Executor>(exec: E)` of the module the macro is invoked
/// in, or of its submodule `suite` with `suite: suite,` first. Without a runtime a test runs
/// under [`run`](crate::common::run) (`futures::executor::block_on`).
///
/// `runner: some_macro,` (a macro of the including file) replaces how one test is run: each
/// generated test's body is then `some_macro!(path::to::test, [runtime], executor)` (the
/// brackets empty when the entry names no runtime), so the executor expression can be
/// something else than an executor (the conformance suite passes its `Target`).
#[macro_export]
macro_rules! matrix {
    (
        $(suite: $suite:ident,)?
        $(runner: $runner:ident,)?
        executors: { $($executors:tt)* },
        tests: { $($tests:tt)* } $(,)?
    ) => {
        $crate::matrix!(@each [$($suite)?] [$($runner)?] [$($tests)*] $($executors)*);
    };

    // One module per executor.
    (@each $suite:tt $runner:tt $tests:tt $(,)?) => {};
    (
        @each $suite:tt $runner:tt $tests:tt
        $(#[$attr:meta])* $module:ident $(@ $runtime:path)? => $exec:expr
        $(, $($rest:tt)*)?
    ) => {
        $(#[$attr])*
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            $crate::matrix!(@tests $suite $runner [$($runtime)?] $exec $tests);
        }
        $crate::matrix!(@each $suite $runner $tests $($($rest)*)?);
    };

    // One test per listed test function.
    (
        @tests $suite:tt $runner:tt $runtime:tt $exec:tt
        [$($(#[$test_attr:meta])* $test:ident),* $(,)?]
    ) => {
        $(
            $(#[$test_attr])*
            #[test]
            fn $test() {
                $crate::matrix!(@body $suite $runner $runtime $exec $test);
            }
        )*
    };

    // The body of one test.
    (@body [$($suite:ident)?] [] [] $exec:tt $test:ident) => {
        $crate::common::run(|| super::$($suite::)? $test($exec))
    };
    (@body [$($suite:ident)?] [] [$runtime:path] $exec:tt $test:ident) => {
        // The future is built inside `$runtime`, so that `Tokio::current()` works.
        $crate::common::within($crate::common::TIMEOUT, || {
            $runtime(async { super::$($suite::)? $test($exec).await })
        })
    };
    (@body [$($suite:ident)?] [$runner:ident] $runtime:tt $exec:tt $test:ident) => {
        $runner!(super::$($suite::)? $test, $runtime, $exec)
    };
}

/// Instantiates each listed `async fn $test<E: Executor>(exec: E)` of the including test file
/// once per executor of the short matrix (`Blocking`, `Inline`, `Linger`), as
/// `on_blocking::$test`, `on_inline::$test` and `on_linger::$test`: [`matrix!`] with those
/// three executors. `on_each_executor!(and { on_x => X, ... }; tests...)` adds executors.
#[macro_export]
macro_rules! on_each_executor {
    (and { $($extra:tt)* }; $($tests:tt)*) => {
        $crate::matrix! {
            executors: {
                on_blocking => aiofiles::Blocking,
                on_inline => aiofiles::Inline,
                on_linger => aiofiles::Linger,
                $($extra)*
            },
            tests: { $($tests)* },
        }
    };
    ($($tests:tt)*) => {
        $crate::on_each_executor!(and {}; $($tests)*);
    };
}
