//! Executors: one conformance suite run on every executor (and under several runtimes), then
//! what is particular to each: `Limit`'s bound, a tokio runtime that shuts down, executors that
//! lose work.

mod common;

use std::io;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use aiofiles::{Blocking, Executor, Inline, Limit, Linger};
use futures::future::try_join_all;
use futures::FutureExt as _;

use common::{Closable, Lossy, ThreadPerJob};

/// The contract every executor keeps. Each function takes the executor under test and panics
/// on the first difference from the expected values.
mod suite {
    use std::any::Any;
    use std::future::{Future, IntoFuture};
    use std::io;
    use std::panic::AssertUnwindSafe;
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use aiofiles::{fs, Executor};
    use futures::future::try_join_all;
    use futures::{AsyncSeekExt as _, AsyncWriteExt as _};
    use futures::{FutureExt as _, Stream as _, StreamExt as _, TryStreamExt as _};

    use crate::common;

    const JOBS: u64 = 10_000;

    fn send<T: Send>(value: T) -> T {
        value
    }

    /// 10,000 small jobs in flight at once all come back with their own result.
    pub async fn ten_thousand_small_jobs<E: Executor>(exec: E) {
        let jobs = (0..JOBS).map(|i| send(aiofiles::unblock(move || i * i).on(exec.clone())));
        let results = try_join_all(jobs).await.expect("no work is lost");
        assert_eq!(results.len(), 10_000);
        assert!(results
            .iter()
            .enumerate()
            .all(|(i, &r)| r == (i as u64) * (i as u64)));
        assert_eq!(results.iter().sum::<u64>(), 333_283_335_000);
    }

    /// A payload that is neither a `&str` nor a `String`.
    #[derive(Debug, PartialEq)]
    struct Payload(u32);

    /// A panic in the work comes out of the `.await`, payload intact (a `String`, a `&str`, any
    /// other value); among many works, each gets its own outcome; and the executor keeps
    /// working afterwards, for closures and for files. (On a limit of one, the place of each
    /// panicking work comes back, or the next work would hang.)
    pub async fn panic_is_reraised<E: Executor>(exec: E) {
        let op = aiofiles::unblock(|| -> u32 { panic!("boom in work {}", 7) }).on(exec.clone());
        let payload = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
        assert_eq!(common::panic_message(&*payload), "boom in work 7");

        let op = aiofiles::unblock(|| -> u32 { panic!("static boom") }).on(exec.clone());
        let payload = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
        assert_eq!(common::panic_message(&*payload), "static boom");

        // A panic among many others does not disturb them.
        let jobs = (0..100u32).map(|i| {
            aiofiles::unblock(move || {
                assert!(i != 50, "job {i} panics");
                i
            })
            .on(exec.clone())
        });
        let payload = AssertUnwindSafe(try_join_all(jobs))
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(common::panic_message(&*payload), "job 50 panics");

        assert_eq!(aiofiles::unblock(|| 5).on(exec.clone()).await.unwrap(), 5);

        let op = aiofiles::unblock(|| -> u8 { panic!("boom on {}", "purpose") }).on(exec.clone());
        let payload = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
        assert_eq!(common::panic_message(&*payload), "boom on purpose");

        let op =
            aiofiles::unblock(|| -> u8 { std::panic::panic_any(Payload(42)) }).on(exec.clone());
        let payload: Box<dyn Any + Send> = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
        assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(42)));

        // Many at once, some panicking: each gets its own outcome.
        let ops = (0..40u32).map(|i| {
            AssertUnwindSafe(
                aiofiles::unblock(move || {
                    assert!(i % 10 != 3, "job {i} panics");
                    i
                })
                .on(exec.clone()),
            )
            .catch_unwind()
        });
        let outcomes = futures::future::join_all(ops).await;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(result) => assert_eq!(result.unwrap(), i as u32),
                Err(payload) => {
                    assert_eq!(i % 10, 3);
                    assert_eq!(common::panic_message(&*payload), format!("job {i} panics"));
                }
            }
        }

        // Still working.
        assert_eq!(aiofiles::unblock(|| 7).on(exec.clone()).await.unwrap(), 7);
        let dir = common::tempdir();
        let p = dir.path().join("after-panics.txt");
        let mut f = aiofiles::open(&p, "w+").on(exec.clone()).await.unwrap();
        f.write_all(b"still working").await.unwrap();
        f.seek(io::SeekFrom::Start(6)).await.unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "working");
        f.close().await.unwrap();
        assert_eq!(fs::read(&p).on(exec).await.unwrap(), b"still working");
    }

    /// Work handed over is not cancelled when its future is dropped: it runs exactly once.
    pub async fn dropped_work_still_runs<E: Executor>(exec: E) {
        let runs = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let counter = Arc::clone(&runs);
        let mut op = Box::pin(
            aiofiles::unblock(move || {
                std::thread::sleep(Duration::from_millis(20));
                counter.fetch_add(1, Ordering::SeqCst);
                tx.send("ran").unwrap();
            })
            .on(exec.clone()),
        );
        // One poll hands the work over; then the future is dropped.
        let _ = futures::poll!(&mut op);
        drop(op);
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("ran"));
        assert_eq!(runs.load(Ordering::SeqCst), 1);

        // Dropped before its first poll: nothing runs.
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        drop(aiofiles::unblock(move || counter.fetch_add(1, Ordering::SeqCst)).on(exec));
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        assert_eq!(Arc::strong_count(&runs), 1, "the work was dropped");
    }

    /// Every `aiofiles::fs` function, bound with `.on(exec)`, does what std does.
    pub async fn every_fs_function<E: Executor>(exec: E) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let e = || exec.clone();
        let a = root.join("a.txt");
        let b = root.join("b.txt");
        let c = root.join("c.txt");

        // write, read, read_to_string
        send(fs::write(&a, "hello, world").on(e())).await.unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"hello, world");
        assert_eq!(fs::read(&a).on(e()).await.unwrap(), b"hello, world");
        assert_eq!(
            fs::read_to_string(&a).on(e()).await.unwrap(),
            "hello, world"
        );

        // copy, rename
        assert_eq!(fs::copy(&a, &b).on(e()).await.unwrap(), 12);
        assert_eq!(std::fs::read(&b).unwrap(), b"hello, world");
        fs::rename(&b, &c).on(e()).await.unwrap();
        assert!(!b.exists());
        assert_eq!(std::fs::read(&c).unwrap(), b"hello, world");

        // metadata, try_exists
        let meta = fs::metadata(&c).on(e()).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 12);
        assert!(fs::try_exists(&c).on(e()).await.unwrap());
        assert!(!fs::try_exists(&b).on(e()).await.unwrap());

        // create_dir, create_dir_all, remove_dir, remove_dir_all
        let sub = root.join("sub");
        fs::create_dir(&sub).on(e()).await.unwrap();
        assert!(std::fs::metadata(&sub).unwrap().is_dir());
        let deep = root.join("x/y/z");
        fs::create_dir_all(&deep).on(e()).await.unwrap();
        assert!(std::fs::metadata(&deep).unwrap().is_dir());
        std::fs::write(deep.join("f"), "f").unwrap();

        // hard_link
        let hard = root.join("hard.txt");
        fs::hard_link(&a, &hard).on(e()).await.unwrap();
        assert_eq!(std::fs::read(&hard).unwrap(), b"hello, world");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            assert_eq!(std::fs::metadata(&a).unwrap().nlink(), 2);
        }

        // symlink, read_link, symlink_metadata, canonicalize
        #[cfg(unix)]
        {
            let link = root.join("link");
            fs::symlink("a.txt", &link).on(e()).await.unwrap();
            assert_eq!(
                fs::read_link(&link).on(e()).await.unwrap(),
                Path::new("a.txt")
            );
            let meta = fs::symlink_metadata(&link).on(e()).await.unwrap();
            assert!(meta.file_type().is_symlink());
            assert_eq!(meta.len(), "a.txt".len() as u64);
            let meta = fs::metadata(&link).on(e()).await.unwrap();
            assert!(meta.is_file());
            assert_eq!(meta.len(), 12);
            assert_eq!(
                fs::canonicalize(&link).on(e()).await.unwrap(),
                std::fs::canonicalize(&a).unwrap()
            );
        }
        assert_eq!(
            fs::canonicalize(root.join("sub/../x/./y"))
                .on(e())
                .await
                .unwrap(),
            std::fs::canonicalize(root).unwrap().join("x/y")
        );

        // set_permissions
        let mut perms = std::fs::metadata(&c).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&c, perms).on(e()).await.unwrap();
        assert!(std::fs::metadata(&c).unwrap().permissions().readonly());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&c, std::fs::Permissions::from_mode(0o640))
                .on(e())
                .await
                .unwrap();
            assert_eq!(
                std::fs::metadata(&c).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }

        // read_dir: awaited, then streamed
        let mut names: Vec<String> = fs::read_dir(root)
            .on(e())
            .await
            .unwrap()
            .map_ok(|entry| entry.file_name().into_string().unwrap())
            .try_collect()
            .await
            .unwrap();
        names.sort();
        let mut expected = vec!["a.txt", "c.txt", "hard.txt", "sub", "x"];
        if cfg!(unix) {
            expected.insert(3, "link");
        }
        assert_eq!(names, expected);

        // remove_file, remove_dir, remove_dir_all
        fs::remove_file(&c).on(e()).await.unwrap();
        assert!(!c.exists());
        fs::remove_dir(&sub).on(e()).await.unwrap();
        assert!(!sub.exists());
        fs::remove_dir_all(root.join("x")).on(e()).await.unwrap();
        assert!(!root.join("x").exists());

        // An error through the executor keeps kind, path and source.
        let err = fs::read(&c).on(e()).await.unwrap_err();
        let theirs = std::fs::read(&c).unwrap_err();
        common::assert_same_error(&err, &theirs, "read", &[&c]);
        let err = fs::copy(&c, &b).on(e()).await.unwrap_err();
        let theirs = std::fs::copy(&c, &b).unwrap_err();
        common::assert_same_error(&err, &theirs, "copy", &[&c, &b]);
        #[cfg(target_os = "linux")]
        assert_eq!(common::source_of(&err).raw_os_error(), Some(common::ENOENT));
    }

    /// A listing larger than one batch, bound to the executor, yields every entry once, and its
    /// entries' `metadata()` runs there too.
    pub async fn read_dir_on<E: Executor>(exec: E) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..150 {
            std::fs::write(dir.path().join(format!("f{i:03}")), vec![b'x'; i]).unwrap();
        }
        let mut entries = fs::read_dir(dir.path()).on(exec.clone());
        assert_eq!(entries.size_hint(), (0, None));
        let mut seen = Vec::new();
        while let Some(entry) = entries.next().await {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let len: usize = name[1..].parse().unwrap();
            assert_eq!(entry.path(), dir.path().join(&name));
            assert!(entry.file_type().await.unwrap().is_file());
            assert_eq!(entry.metadata().await.unwrap().len(), len as u64);
            seen.push(name);
        }
        assert!(
            entries.next().await.is_none(),
            "a finished listing stays finished"
        );
        seen.sort();
        let expected: Vec<String> = (0..150).map(|i| format!("f{i:03}")).collect();
        assert_eq!(seen, expected);

        let missing = dir.path().join("missing");
        let err = fs::read_dir(&missing).on(exec).await.unwrap_err();
        let theirs = std::fs::read_dir(&missing).unwrap_err();
        common::assert_same_error(&err, &theirs, "read directory", &[&missing]);
    }

    /// Futures on the executor can be sent to other threads.
    pub async fn futures_are_send<E: Executor>(exec: E) {
        fn check<F: Future + Send + 'static>(future: F) -> F {
            future
        }
        let op = check(aiofiles::unblock(|| io::Result::Ok(1)).on(exec.clone()));
        assert_eq!(op.await.unwrap().unwrap(), 1);
        let listing = check(IntoFuture::into_future(fs::read_dir(".").on(exec)));
        drop(listing);
    }
}

// The suite once per executor, and per runtime: a module of tests per entry, named after the
// executor (`_on_<runtime>`: driven by that runtime's `block_on` rather than
// `futures::executor::block_on`). The executor is built inside the runtime, so that
// `Tokio::current()` works.
matrix! {
    suite: suite,
    executors: {
        blocking => Blocking,
        blocking_on_smol @ common::smol_block_on => Blocking,
        inline => Inline,
        limit_over_blocking => Limit::new(Blocking, 8),
        limit_of_one_over_blocking => Limit::new(Blocking, 1),
        thread_per_job => ThreadPerJob,
        linger => Linger,
        linger_on_smol @ common::smol_block_on => Linger,
        limit_over_linger => Limit::new(Linger, 8),
        #[cfg(feature = "tokio")]
        linger_in_tokio_current_thread @ common::tokio_current_thread => Linger,
        #[cfg(feature = "tokio")]
        tokio_multi_thread @ common::tokio_multi_thread => aiofiles::Tokio::current(),
        #[cfg(feature = "tokio")]
        tokio_current_thread @ common::tokio_current_thread => aiofiles::Tokio::current(),
        #[cfg(feature = "async-std")]
        async_std @ common::async_std_block_on => aiofiles::AsyncStd,
    },
    tests: {
        ten_thousand_small_jobs,
        panic_is_reraised,
        dropped_work_still_runs,
        every_fs_function,
        read_dir_on,
        futures_are_send,
    },
}

// ---------------------------------------------------------------------------------------------
// Where work runs

#[test]
fn operations_default_to_blocking() {
    assert_eq!(*aiofiles::unblock(|| 1).executor(), Blocking);
    assert_eq!(*aiofiles::fs::read("x").executor(), Blocking);
    assert_eq!(*aiofiles::fs::read("x").on(Inline).executor(), Inline);
    assert_eq!(*aiofiles::fs::read_dir("x").executor(), Blocking);
    assert_eq!(*aiofiles::fs::read_dir("x").on(Inline).executor(), Inline);
}

#[test]
fn inline_runs_on_the_polling_thread_and_blocking_does_not() {
    common::run(|| async {
        let here = thread::current().id();
        let on_inline = aiofiles::unblock(|| thread::current().id()).on(Inline);
        assert_eq!(on_inline.await.unwrap(), here);
        let on_blocking = aiofiles::unblock(|| thread::current().id());
        assert_ne!(on_blocking.await.unwrap(), here);
    });
}

#[test]
fn inline_completes_on_the_first_poll() {
    common::run(|| async {
        let mut op = Box::pin(aiofiles::unblock(|| 3).on(Inline));
        match futures::poll!(&mut op) {
            std::task::Poll::Ready(result) => assert_eq!(result.unwrap(), 3),
            std::task::Poll::Pending => panic!("Inline returned Pending"),
        }
    });
}

#[test]
fn user_executor_runs_work_on_its_own_threads() {
    common::run(|| async {
        let name = aiofiles::unblock(|| thread::current().name().map(str::to_owned))
            .on(ThreadPerJob)
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some(common::THREAD_PER_JOB_NAME));
        let task = ThreadPerJob.spawn_blocking(|| "direct");
        assert_eq!(task.await.unwrap(), "direct");
    });
}

#[test]
fn raw_tasks_of_provided_executors() {
    common::run(|| async {
        assert_eq!(Blocking.spawn_blocking(|| 1).await.unwrap(), 1);
        assert_eq!(Inline.spawn_blocking(|| 2).await.unwrap(), 2);
        assert_eq!(Linger.spawn_blocking(|| 4).await.unwrap(), 4);
        assert_eq!(
            Limit::new(Blocking, 1).spawn_blocking(|| 3).await.unwrap(),
            3
        );
        let payload = AssertUnwindSafe(Blocking.spawn_blocking(|| -> u8 { panic!("raw panic") }))
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(common::panic_message(&*payload), "raw panic");
        let payload = AssertUnwindSafe(Linger.spawn_blocking(|| -> u8 { panic!("raw panic") }))
            .catch_unwind()
            .await
            .unwrap_err();
        assert_eq!(common::panic_message(&*payload), "raw panic");
    });
}

// ---------------------------------------------------------------------------------------------
// Executors that lose work

// What every operation does on an executor that loses its works: `faults.rs`,
// `lost_work_fails_every_operation`.

#[test]
fn limit_over_a_lossy_executor_gives_its_places_back() {
    common::run(|| async {
        let limit = Limit::new(Lossy, 1);
        for _ in 0..3 {
            let results = futures::future::join_all(
                (0..10).map(|i| aiofiles::unblock(move || i).on(limit.clone())),
            )
            .await;
            assert_eq!(results.len(), 10);
            for result in results {
                assert_eq!(result.unwrap_err().kind(), io::ErrorKind::Other);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Limit

/// Runs `jobs` works through `limits` (round-robin), each sleeping 1 ms, and returns the most
/// that were running at once. Checks every result.
async fn peak_concurrency(limits: &[Limit<Blocking>], jobs: usize) -> usize {
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
            i * 3
        })
        .on(limits[i % limits.len()].clone())
    });
    let results = try_join_all(ops).await.unwrap();
    assert_eq!(results, (0..jobs).map(|i| i * 3).collect::<Vec<_>>());
    assert_eq!(running.load(Ordering::SeqCst), 0);
    peak.load(Ordering::SeqCst)
}

#[test]
fn limit_runs_at_most_n_at_once_and_reaches_n() {
    common::run(|| async {
        let limit = Limit::new(Blocking, 4);
        assert_eq!(limit.max(), 4);
        assert_eq!(peak_concurrency(&[limit], 1_000).await, 4);
    });
}

#[test]
fn limit_of_one_runs_one_at_a_time() {
    common::run(|| async {
        assert_eq!(peak_concurrency(&[Limit::new(Blocking, 1)], 200).await, 1);
    });
}

#[test]
fn limit_clones_share_one_limit() {
    common::run(|| async {
        let limit = Limit::new(Blocking, 3);
        let clones = [limit.clone(), limit.clone(), limit];
        assert_eq!(peak_concurrency(&clones, 600).await, 3);
    });
}

#[test]
fn separate_limits_do_not_share() {
    // Four works that can only finish together: they need two places in each of two limits
    // of two. Were the limits shared, this would never finish (and the watchdog would fail it).
    common::run(|| async {
        let barrier = Arc::new(Barrier::new(4));
        let (a, b) = (Limit::new(Blocking, 2), Limit::new(Blocking, 2));
        let ops = (0..4).map(|i| {
            let barrier = Arc::clone(&barrier);
            let limit = if i % 2 == 0 { a.clone() } else { b.clone() };
            aiofiles::unblock(move || {
                barrier.wait();
                i
            })
            .on(limit)
        });
        assert_eq!(try_join_all(ops).await.unwrap(), [0, 1, 2, 3]);
    });
}

#[test]
fn limit_reaches_n_with_works_that_need_each_other() {
    // n works that wait for each other complete only if n run at the same time.
    common::run(|| async {
        let n = 5;
        let barrier = Arc::new(Barrier::new(n));
        let limit = Limit::new(Blocking, n);
        let ops = (0..n).map(|i| {
            let barrier = Arc::clone(&barrier);
            aiofiles::unblock(move || {
                barrier.wait();
                i
            })
            .on(limit.clone())
        });
        assert_eq!(try_join_all(ops).await.unwrap(), [0, 1, 2, 3, 4]);
    });
}

#[test]
fn limit_runs_queued_work_in_order() {
    common::run(|| async {
        let order = Arc::new(Mutex::new(Vec::new()));
        let limit = Limit::new(Blocking, 1);
        let ops = (0..100).map(|i| {
            let order = Arc::clone(&order);
            aiofiles::unblock(move || order.lock().unwrap().push(i)).on(limit.clone())
        });
        try_join_all(ops).await.unwrap();
        assert_eq!(*order.lock().unwrap(), (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn limit_of_zero_is_one() {
    common::run(|| async {
        let limit = Limit::new(Blocking, 0);
        assert_eq!(limit.max(), 1);
        assert_eq!(*limit.inner(), Blocking);
        assert_eq!(peak_concurrency(&[limit], 50).await, 1);
    });
}

#[test]
fn limit_place_is_given_back_after_a_panic() {
    common::run(|| async {
        let limit = Limit::new(Blocking, 1);
        for round in 0..3 {
            let op = aiofiles::unblock(move || -> u8 { panic!("panic {round}") }).on(limit.clone());
            let payload = AssertUnwindSafe(op).catch_unwind().await.unwrap_err();
            assert_eq!(common::panic_message(&*payload), format!("panic {round}"));
        }
        let ops = (0..10).map(|i| aiofiles::unblock(move || i + 1).on(limit.clone()));
        assert_eq!(
            try_join_all(ops).await.unwrap(),
            (1..=10).collect::<Vec<_>>()
        );
    });
}

#[test]
fn limit_over_an_executor_that_closes() {
    // Works waiting in the limit's queue when its executor closes resolve to the lost-work
    // error; the one running resolves to its result. 10,000 queued works: each dropped work
    // gives its place back from inside the dispatch of the previous one, which must not
    // recurse once per queued work.
    common::run(|| async {
        let inner = Closable::default();
        let limit = Limit::new(inner.clone(), 1);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let mut first = Box::pin(
            aiofiles::unblock(move || {
                release_rx.recv().unwrap();
                "first"
            })
            .on(limit.clone()),
        );
        let mut queued: Vec<_> = (0..10_000)
            .map(|i| Box::pin(aiofiles::unblock(move || i).on(limit.clone())))
            .collect();
        assert!(futures::poll!(&mut first).is_pending());
        for op in &mut queued {
            assert!(futures::poll!(op).is_pending());
        }
        inner.close();
        release_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap(), "first");
        for op in queued {
            let err = op.await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::Other);
            assert_eq!(
                err.to_string(),
                "the executor behind the `Limit` dropped the work without running it"
            );
        }
        // Every place was given back: with the executor open again, work runs through the
        // same limit (a leaked place would hang here, and the watchdog would fail the test).
        inner.reopen();
        let ops = (0..3).map(|i| aiofiles::unblock(move || i).on(limit.clone()));
        assert_eq!(try_join_all(ops).await.unwrap(), [0, 1, 2]);
    });
}

#[test]
fn limit_place_is_given_back_when_the_awaiting_task_is_dropped() {
    common::run(|| async {
        let limit = Limit::new(Blocking, 1);
        let (tx, rx) = mpsc::channel();
        let mut first = Box::pin(
            aiofiles::unblock(move || {
                thread::sleep(Duration::from_millis(50));
                tx.send(()).unwrap();
            })
            .on(limit.clone()),
        );
        let _ = futures::poll!(&mut first);
        drop(first);
        assert_eq!(aiofiles::unblock(|| 9).on(limit).await.unwrap(), 9);
        // The first work ran to completion before the second got the place.
        assert_eq!(rx.try_recv(), Ok(()));
    });
}

// ---------------------------------------------------------------------------------------------
// Tokio

#[cfg(feature = "tokio")]
mod tokio_executor {
    use super::*;

    use aiofiles::Tokio;

    #[test]
    fn current_needs_a_runtime() {
        assert!(Tokio::try_current().is_err());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let exec = rt.block_on(async { Tokio::try_current() }).unwrap();
        assert_eq!(exec.handle().id(), rt.handle().id());
        let exec = rt.block_on(async { Tokio::current() });
        assert_eq!(exec.handle().id(), rt.handle().id());
    }

    #[test]
    fn work_runs_on_the_runtime_blocking_pool_from_outside_it() {
        common::within(common::TIMEOUT, || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("aiofiles-test-rt")
                .build()
                .unwrap();
            let exec = Tokio::new(rt.handle().clone());
            let name = futures::executor::block_on(
                aiofiles::unblock(|| thread::current().name().map(str::to_owned)).on(exec),
            )
            .unwrap();
            assert_eq!(name.as_deref(), Some("aiofiles-test-rt"));
        });
    }

    /// Queues a long work and five more on a runtime with one blocking thread, shuts the
    /// runtime down with `shutdown`, and checks that every task resolves: the long one to its
    /// result, one handed over after the shutdown to the shut-down error, and the queued ones to
    /// either (tokio's blocking pool may still run queued work while it shuts down: a busy
    /// thread drains its queue before it looks at the shutdown flag).
    fn shutdown_with_queued_work(
        mut builder: tokio::runtime::Builder,
        shutdown: fn(tokio::runtime::Runtime),
    ) {
        common::within(Duration::from_secs(10), move || {
            let rt = builder.max_blocking_threads(1).build().unwrap();
            let exec = Tokio::new(rt.handle().clone());

            let (started_tx, started_rx) = mpsc::channel();
            let mut long = Box::pin(
                aiofiles::unblock(move || {
                    started_tx.send(()).unwrap();
                    thread::sleep(Duration::from_millis(200));
                    "long"
                })
                .on(exec.clone()),
            );
            let mut queued: Vec<_> = (0..5)
                .map(|i| Box::pin(aiofiles::unblock(move || i * 10).on(exec.clone())))
                .collect();
            futures::executor::block_on(async {
                assert!(futures::poll!(&mut long).is_pending());
                started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
                for op in &mut queued {
                    assert!(futures::poll!(op).is_pending());
                }
            });

            shutdown(rt);

            futures::executor::block_on(async {
                let after = aiofiles::unblock(|| "after").on(exec.clone()).await;
                assert_shut_down(after.unwrap_err());
                assert_eq!(long.await.unwrap(), "long");
                for (i, op) in queued.into_iter().enumerate() {
                    match op.await {
                        Ok(value) => assert_eq!(value, i * 10),
                        Err(err) => assert_shut_down(err),
                    }
                }
                let after = aiofiles::fs::read("any").on(exec.clone()).await;
                assert_shut_down(after.unwrap_err());
            });
        });
    }

    fn assert_shut_down(err: io::Error) {
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "the tokio runtime shut down before the work could run"
        );
        assert!(err.to_string().contains("shut down"));
    }

    #[test]
    fn shutdown_background_of_a_multi_thread_runtime_never_hangs() {
        shutdown_with_queued_work(
            tokio::runtime::Builder::new_multi_thread(),
            tokio::runtime::Runtime::shutdown_background,
        );
    }

    #[test]
    fn shutdown_background_of_a_current_thread_runtime_never_hangs() {
        shutdown_with_queued_work(
            tokio::runtime::Builder::new_current_thread(),
            tokio::runtime::Runtime::shutdown_background,
        );
    }

    #[test]
    fn shutdown_timeout_never_hangs() {
        shutdown_with_queued_work(tokio::runtime::Builder::new_multi_thread(), |rt| {
            rt.shutdown_timeout(Duration::from_millis(10))
        });
    }

    #[test]
    fn dropped_runtime_never_hangs() {
        // Dropping waits for the running work, then drops the queued ones.
        shutdown_with_queued_work(tokio::runtime::Builder::new_current_thread(), drop);
    }

    #[test]
    fn limit_over_a_shut_down_runtime_never_hangs() {
        common::within(Duration::from_secs(10), || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .unwrap();
            let limit = Limit::new(Tokio::new(rt.handle().clone()), 1);
            let (started_tx, started_rx) = mpsc::channel();
            let mut long = Box::pin(
                aiofiles::unblock(move || {
                    started_tx.send(()).unwrap();
                    thread::sleep(Duration::from_millis(200));
                    "long"
                })
                .on(limit.clone()),
            );
            // Not 1,000: see `limit_over_an_executor_that_closes` for why.
            let mut queued: Vec<_> = (0..100)
                .map(|i| Box::pin(aiofiles::unblock(move || i).on(limit.clone())))
                .collect();
            futures::executor::block_on(async {
                assert!(futures::poll!(&mut long).is_pending());
                started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
                for op in &mut queued {
                    assert!(futures::poll!(op).is_pending());
                }
            });
            rt.shutdown_background();
            futures::executor::block_on(async {
                assert_eq!(long.await.unwrap(), "long");
                for op in queued {
                    let err = op.await.unwrap_err();
                    assert_eq!(err.kind(), io::ErrorKind::Other);
                    // `Limit` reports the loss with its own message.
                    let message = err.to_string();
                    assert!(
                        message
                            == "the executor behind the `Limit` dropped the work without running it"
                            || message.contains("shut down"),
                        "{message}"
                    );
                }
            });
        });
    }
}

// ---------------------------------------------------------------------------------------------
// async-std

#[cfg(feature = "async-std")]
#[test]
fn async_std_runs_off_the_calling_thread_without_its_runtime() {
    common::run(|| async {
        let here = thread::current().id();
        let there = aiofiles::unblock(|| thread::current().id())
            .on(aiofiles::AsyncStd)
            .await
            .unwrap();
        assert_ne!(there, here);
    });
}
