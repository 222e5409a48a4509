//! Load: many operations in flight through a `Limit` (bounded concurrency, bounded threads),
//! a thousand files written concurrently and dropped without flush or close (every byte
//! reaches the disk), and a FIFO whose open blocks one limit without starving other executors.
//!
//! The tests here run one at a time ([`serial`]): their timings and thread counts are their
//! own.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use aiofiles::{fs, Blocking, Limit};
use futures::future::try_join_all;
use futures::{AsyncWriteExt, StreamExt, TryStreamExt};

use common::tempdir;

/// Held by each test of this file for its whole run.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// 10,000 operations through Limit::new(Blocking, 16)

const OPS: usize = 10_000;
const LIMIT: usize = 16;
/// The most threads this process may have while the operations run: 16 busy pool threads, the
/// few more the `blocking` pool starts when its queue outgrows its idle threads, and the test
/// harness's own (main, test thread, watchdog, sampler).
const MAX_THREADS: usize = 64;

/// Samples this process's thread count every millisecond until stopped; returns the peak.
struct ThreadSampler {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<usize>,
}

impl ThreadSampler {
    fn start() -> Option<Self> {
        common::thread_count()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::SeqCst) {
                peak = peak.max(common::thread_count().unwrap_or(0));
                thread::sleep(Duration::from_millis(1));
            }
            peak.max(common::thread_count().unwrap_or(0))
        });
        Some(ThreadSampler { stop, handle })
    }

    fn stop(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("the sampler does not panic")
    }
}

async fn ten_thousand_through_a_limit() {
    let baseline = common::thread_count();
    let sampler = ThreadSampler::start();
    let started = Instant::now();

    let limit = Limit::new(Blocking, LIMIT);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let ops = (0..OPS).map(|i| {
        let running = Arc::clone(&running);
        let peak = Arc::clone(&peak);
        aiofiles::unblock(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_micros(100));
            running.fetch_sub(1, Ordering::SeqCst);
            (i, i * 3 + 1)
        })
        .on(limit.clone())
    });
    let results = try_join_all(ops).await.expect("no work is lost");
    let elapsed = started.elapsed();

    assert_eq!(results.len(), OPS);
    for (i, (index, value)) in results.into_iter().enumerate() {
        assert_eq!((index, value), (i, i * 3 + 1));
    }
    assert_eq!(running.load(Ordering::SeqCst), 0);
    let peak = peak.load(Ordering::SeqCst);
    assert!(
        peak <= LIMIT,
        "{peak} works ran at once through a limit of {LIMIT}"
    );
    assert_eq!(peak, LIMIT, "the limit was never reached");
    println!("{OPS} operations through a limit of {LIMIT} in {elapsed:?}; peak concurrency {peak}");

    if let (Some(baseline), Some(sampler)) = (baseline, sampler) {
        let threads = sampler.stop();
        println!("threads: {baseline} before, peak {threads} (bound {MAX_THREADS})");
        assert!(
            threads < MAX_THREADS,
            "{threads} threads (from {baseline}) for {LIMIT} works at a time"
        );
    } else {
        // The rest of the test ran; only the thread bound is not checked.
        common::skip(
            "ten_thousand_operations_through_a_limit_of_16 (thread bound)",
            "no thread count on this system",
        );
    }
}

/// Measured in a process of its own: the `blocking` pool keeps the threads other tests grew
/// it to (it does not shrink below its limit), and they would count here.
#[test]
fn ten_thousand_operations_through_a_limit_of_16() {
    const NAME: &str = "ten_thousand_operations_through_a_limit_of_16";
    let _serial = serial();
    if !common::in_child() {
        #[cfg(unix)]
        match common::rerun_alone(NAME, None) {
            Ok(output) => {
                let stdout = common::assert_child_passed(NAME, &output);
                for line in stdout
                    .lines()
                    .filter(|l| l.contains("threads") || l.contains("peak"))
                {
                    println!("(alone) {line}");
                }
                return;
            }
            Err(err) => println!("cannot run alone ({err}): measured here"),
        }
    }
    common::run(ten_thousand_through_a_limit);
}

// ---------------------------------------------------------------------------------------------
// 1,000 files of 64 KiB, written concurrently, dropped without flush or close

const FILES: usize = 1_000;
const FILE_SIZE: usize = 64 * 1024;

/// The content of file `i`: 8-byte words naming the file and the word's place in it.
fn content(i: usize) -> Vec<u8> {
    (0..FILE_SIZE / 8)
        .flat_map(|word| (((i as u64) << 32) | word as u64).to_le_bytes())
        .collect()
}

fn file_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("file-{i:04}.bin"))
}

#[test]
fn a_thousand_dropped_files_reach_the_disk() {
    let _serial = serial();
    common::run(|| async {
        let dir = tempdir();
        let root = dir.path().to_owned();
        let started = Instant::now();
        futures::stream::iter(0..FILES)
            .map(|i| {
                let path = file_path(&root, i);
                async move {
                    let data = content(i);
                    let mut file = aiofiles::open(&path, "w").await?;
                    if i % 2 == 0 {
                        file.write_all(&data).await?;
                    } else {
                        // Unaligned pieces: when dropped, part of the file is in flight and
                        // part still buffered.
                        for piece in data.chunks(1000) {
                            file.write_all(piece).await?;
                        }
                    }
                    drop(file); // no flush, no close
                    io::Result::Ok(())
                }
            })
            .buffer_unordered(64)
            .try_collect::<()>()
            .await
            .expect("every open and write succeeds");
        let written = started.elapsed();

        let deadline = Instant::now() + Duration::from_secs(30);
        for i in 0..FILES {
            let path = file_path(&root, i);
            let expected = content(i);
            let left = deadline.saturating_duration_since(Instant::now());
            let got = common::wait_for_content(&path, &expected, left);
            match got {
                Some(got) if got == expected => {}
                Some(got) => panic!(
                    "{}: {} bytes on disk after 30 s, {} expected{}",
                    path.display(),
                    got.len(),
                    expected.len(),
                    if got.len() == expected.len() {
                        " (same length, other bytes)"
                    } else {
                        ""
                    }
                ),
                None => panic!("{}: missing", path.display()),
            }
        }
        println!(
            "{FILES} files of {FILE_SIZE} bytes: written in {written:?}, all on disk after {:?}",
            started.elapsed()
        );
    });
}

// ---------------------------------------------------------------------------------------------
// A FIFO open that blocks one limit does not starve other executors

/// Opens the write end of a FIFO from a std thread if the test did not: a reader blocked in
/// `open(2)` is released, whatever happened to the test.
struct ReleaseFifo {
    path: PathBuf,
    armed: bool,
}

impl ReleaseFifo {
    /// Opens the write end, writes `data`, closes it; returns the thread doing so.
    fn release(mut self, data: &'static [u8]) -> thread::JoinHandle<io::Result<()>> {
        self.armed = false;
        let path = self.path.clone();
        thread::spawn(move || {
            use std::io::Write as _;
            let mut writer = std::fs::OpenOptions::new().write(true).open(&path)?;
            writer.write_all(data)
        })
    }
}

impl Drop for ReleaseFifo {
    fn drop(&mut self) {
        if self.armed {
            let path = self.path.clone();
            thread::spawn(move || std::fs::OpenOptions::new().write(true).open(path));
        }
    }
}

#[cfg(unix)]
#[test]
fn a_blocked_fifo_open_starves_only_its_own_limit() {
    let _serial = serial();
    common::run(|| async {
        let dir = tempdir();
        let fifo = dir.path().join("fifo");
        if !common::mkfifo(&fifo, "a_blocked_fifo_open_starves_only_its_own_limit") {
            return;
        }
        let slow = Limit::new(Blocking, 1);
        let other = Limit::new(Blocking, 4);

        // The open of a FIFO without a writer blocks in open(2), holding the slow limit's only
        // place; a work queued behind it waits.
        let mut open = Box::pin(aiofiles::open(&fifo, "r").on(slow.clone()));
        assert!(common::poll_once(&mut open).is_pending());
        let guard = ReleaseFifo {
            path: fifo.clone(),
            armed: true,
        };
        let mut queued = Box::pin(aiofiles::unblock(|| "queued behind the fifo").on(slow.clone()));
        assert!(common::poll_once(&mut queued).is_pending());
        thread::sleep(Duration::from_millis(50));

        // Meanwhile, work on another limit and on the plain pool goes on.
        let started = Instant::now();
        for i in 0..100 {
            let p = dir.path().join(format!("f{i}"));
            fs::write(&p, i.to_string())
                .on(other.clone())
                .await
                .unwrap();
            let mut file = aiofiles::open(&p, "a").on(other.clone()).await.unwrap();
            file.write_all(b"!").await.unwrap();
            file.close().await.unwrap();
            assert_eq!(
                fs::read_to_string(&p).on(Blocking).await.unwrap(),
                format!("{i}!")
            );
        }
        let ops = (0..64).map(|i| aiofiles::unblock(move || i * 2).on(other.clone()));
        assert_eq!(
            try_join_all(ops).await.unwrap(),
            (0..64).map(|i| i * 2).collect::<Vec<_>>()
        );
        let names = aiofiles::os::listdir(dir.path())
            .on(Blocking)
            .await
            .unwrap();
        assert_eq!(names.len(), 101);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(10),
            "other executors took {elapsed:?} while the FIFO open blocked"
        );
        println!("400 operations on other executors in {elapsed:?} while the FIFO open blocked");

        assert!(
            common::poll_once(&mut open).is_pending(),
            "the FIFO open returned without a writer"
        );
        assert!(
            common::poll_once(&mut queued).is_pending(),
            "a work ran past a limit of one whose place is taken"
        );

        // A writer arrives: the open returns, the data comes through, the queued work runs.
        let writer = guard.release(b"through the fifo\n");
        let mut reader = open.await.expect("the FIFO opens once a writer comes");
        writer
            .join()
            .expect("the writer does not panic")
            .expect("the writer opens and writes");
        let mut text = String::new();
        reader.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "through the fifo\n");
        assert_eq!(queued.await.unwrap(), "queued behind the fifo");
        reader.close().await.unwrap();
    });
}
