//! What a drop leaves behind when the process exits right after it: a program whose `main`
//! returns while the executor's threads are mid-job (they die with the process).
//!
//! Every scenario runs in a child process: this test binary run again on the ignored test
//! [`child_entry`], with the scenario, a seed and a parent-owned directory in its environment.
//! The scenario writes, drops and returns; the child's test harness then exits the way a
//! returning `main` does. Once the child is gone, the parent checks the disk: a dropped
//! `File` holds every byte written to it, a dropped temporary file or directory is gone.
//! Each case runs [`RUNS`] times, a few children at a time; a case passes only if every run
//! does.

#![cfg(unix)]

mod common;

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use aiofiles::tempfile::{self, Builder, NamedTempFile, SpooledTempFile};
use aiofiles::{Blocking, Executor, Inline, Limit};
use futures::executor::block_on;
use futures::AsyncWriteExt as _;

use common::pattern;

/// Runs of each case.
const RUNS: usize = 25;
/// Children of one case running at once.
const PER_CASE: usize = 4;
/// Children of the whole test binary running at once.
const CHILDREN: usize = 6;
/// How long a child may take before it is killed and the run fails as a hang.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the job that saturates a `Limit` sleeps, in the `Limit` scenarios.
const SLOW: Duration = Duration::from_millis(300);

/// Files dropped at once in the promptness case.
const PROMPT_FILES: usize = 64;
/// How long the job that holds the limit sleeps in the promptness case.
const PROMPT_SLEEP: Duration = Duration::from_secs(2);
/// How long the drops of all [`PROMPT_FILES`] files may take together.
const PROMPT_BOUND: Duration = Duration::from_secs(1);

/// The child's scenario: `file <executor> <len> <writes>` (see [`Writes::word`]),
/// `tempdir <executor>`, `named <executor>`, `spooled` or `prompt`.
const SCENARIO_ENV: &str = "AIOFILES_EXIT_SCENARIO";
/// The directory the child works in (the parent's, for this run).
const DIR_ENV: &str = "AIOFILES_EXIT_DIR";
/// The seed of the bytes the child writes.
const SEED_ENV: &str = "AIOFILES_EXIT_SEED";

/// The file a `file` scenario writes, in the run's directory.
const OUT: &str = "out.bin";
/// The child's `TMPDIR`, in the run's directory: temporary files and directories go there.
const TMP: &str = "tmp";
/// Where a temp scenario lists what it created, one path a line, before dropping it.
const PATHS: &str = "paths.txt";
/// Where the promptness scenario reports its measurements.
const REPORT: &str = "report.txt";

// ---------------------------------------------------------------------------------------------
// The child

#[test]
#[ignore = "the child process of the other tests of this file, which run it with a scenario in its environment"]
fn child_entry() {
    let scenario = env::var(SCENARIO_ENV).unwrap_or_else(|_| {
        panic!(
            "`child_entry` runs only as a child of the tests in tests/exit.rs, \
             with {SCENARIO_ENV} set"
        )
    });
    let dir = PathBuf::from(env::var_os(DIR_ENV).expect("the parent sets the directory"));
    let seed: u64 = env::var(SEED_ENV)
        .expect("the parent sets the seed")
        .parse()
        .expect("a numeric seed");
    let words: Vec<&str> = scenario.split(' ').collect();
    match words.as_slice() {
        ["file", exec, len, writes] => {
            let data = pattern(seed, len.parse().expect("a length"));
            file_scenario(exec, &dir.join(OUT), &data, Writes::parse(writes));
        }
        ["tempdir", exec] => tempdir_scenario(exec, &dir),
        ["named", exec] => named_scenario(exec, &dir, seed),
        ["spooled"] => spooled_scenario(&dir, seed),
        ["prompt"] => prompt_scenario(&dir, seed),
        _ => panic!("unknown scenario {scenario:?}"),
    }
    // The scenario has returned; so does this test, and the harness exits after it.
}

/// Hands `limit` a job that sleeps for `sleep`, polled once so that it holds the limit's
/// place from now on. The receiver hears from it when the sleep is over.
fn hold(limit: &Limit<Blocking>, sleep: Duration) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    let mut job = aiofiles::unblock(move || {
        thread::sleep(sleep);
        let _ = tx.send(());
    })
    .on(limit.clone());
    // Once polled, the job runs even though its future is dropped.
    assert!(
        common::poll_once(&mut job).is_pending(),
        "the sleeping job finished at once"
    );
    drop(job);
    rx
}

/// How a scenario writes its data.
#[derive(Clone, Copy)]
enum Writes {
    /// One `write_all`.
    Whole,
    /// `write_all`s of this many bytes.
    Parts(usize),
    /// `write_owned`s of this many bytes.
    Owned(usize),
}

impl Writes {
    /// The word that names it in a scenario.
    fn word(self) -> String {
        match self {
            Writes::Whole => "whole".into(),
            Writes::Parts(n) => format!("parts-{n}"),
            Writes::Owned(n) => format!("owned-{n}"),
        }
    }

    fn parse(word: &str) -> Self {
        let size = |n: &str| n.parse().expect("a size");
        match word.split_once('-') {
            None if word == "whole" => Writes::Whole,
            Some(("parts", n)) => Writes::Parts(size(n)),
            Some(("owned", n)) => Writes::Owned(size(n)),
            _ => panic!("unknown way of writing {word:?}"),
        }
    }
}

/// Opens `path` on `exec` for writing (default buffering), saturates `hold_limit` (if given)
/// with a slow job, writes `data` as `writes` says, and drops the file unclosed: the file's
/// jobs, if any, queue behind the slow one.
async fn write_and_drop<E: Executor>(
    exec: E,
    path: &Path,
    data: &[u8],
    writes: Writes,
    hold_limit: Option<&Limit<Blocking>>,
) {
    let mut file = aiofiles::open(path, "w").on(exec).await.expect("open");
    let _sleeper = hold_limit.map(|limit| hold(limit, SLOW));
    match writes {
        Writes::Whole => file.write_all(data).await.expect("write_all"),
        Writes::Parts(n) => {
            for part in data.chunks(n) {
                file.write_all(part).await.expect("write_all");
            }
        }
        Writes::Owned(n) => {
            for part in data.chunks(n) {
                file.write_owned(part.to_vec()).await.expect("write_owned");
            }
        }
    }
    drop(file);
}

fn file_scenario(exec: &str, path: &Path, data: &[u8], writes: Writes) {
    match exec {
        "blocking" => block_on(write_and_drop(Blocking, path, data, writes, None)),
        "inline" => block_on(write_and_drop(Inline, path, data, writes, None)),
        "limit" => {
            let limit = Limit::new(Blocking, 1);
            block_on(write_and_drop(
                limit.clone(),
                path,
                data,
                writes,
                Some(&limit),
            ));
        }
        #[cfg(feature = "tokio")]
        "tokio" => {
            // As `#[tokio::main]` does: a multi-thread runtime, dropped when `main` ends.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("build a runtime");
            runtime.block_on(async {
                write_and_drop(aiofiles::Tokio::current(), path, data, writes, None).await;
            });
            drop(runtime);
        }
        _ => panic!("unknown executor {exec:?}"),
    }
}

/// Appends `path` to the run's list of created paths.
fn record(dir: &Path, path: &Path) {
    use std::io::Write as _;
    let mut list = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(PATHS))
        .expect("open the list of paths");
    writeln!(list, "{}", path.display()).expect("record a path");
}

/// A temporary directory with files and a subdirectory in it, dropped.
fn tempdir_scenario(exec: &str, dir: &Path) {
    let fill = |root: &Path| {
        record(dir, root);
        let inside = root.join("inside.txt");
        fs::write(&inside, b"inside").expect("write a file inside");
        record(dir, &inside);
        let sub = root.join("sub");
        fs::create_dir(&sub).expect("create a subdirectory");
        record(dir, &sub);
        let deep = sub.join("deep.bin");
        fs::write(&deep, vec![7u8; 10_000]).expect("write a file deeper");
        record(dir, &deep);
    };
    block_on(async {
        match exec {
            "blocking" => {
                let temp = tempfile::tempdir().await.expect("create a temp dir");
                fill(temp.path());
                drop(temp);
            }
            "limit" => {
                let limit = Limit::new(Blocking, 1);
                let temp = Builder::new()
                    .tempdir()
                    .on(limit.clone())
                    .await
                    .expect("create a temp dir");
                fill(temp.path());
                let _sleeper = hold(&limit, SLOW);
                drop(temp);
            }
            _ => panic!("unknown executor {exec:?}"),
        }
    });
}

/// A named temporary file with bytes written to it, dropped.
fn named_scenario(exec: &str, dir: &Path, seed: u64) {
    let data = pattern(seed, 1_000);
    block_on(async {
        match exec {
            "blocking" => {
                let mut temp = NamedTempFile::new().await.expect("create a temp file");
                record(dir, temp.path());
                temp.write_all(&data).await.expect("write_all");
                drop(temp);
            }
            "limit" => {
                let limit = Limit::new(Blocking, 1);
                let mut temp = NamedTempFile::new()
                    .on(limit.clone())
                    .await
                    .expect("create a temp file");
                record(dir, temp.path());
                let _sleeper = hold(&limit, SLOW);
                temp.write_all(&data).await.expect("write_all");
                drop(temp);
            }
            _ => panic!("unknown executor {exec:?}"),
        }
    });
}

/// A spooled temporary file written beyond its `max_size` (rolled over to disk), dropped.
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
fn spooled_scenario(dir: &Path, seed: u64) {
    let data = pattern(seed, 100_000);
    block_on(async {
        let mut spooled = SpooledTempFile::new(1_000);
        spooled.write_all(&data).await.expect("write_all");
        assert!(
            spooled.is_rolled(),
            "100,000 bytes beyond a max_size of 1,000"
        );
        // The rolled-over file is unnamed; check that it lives in the child's TMPDIR, which
        // the parent then finds empty.
        #[cfg(target_os = "linux")]
        {
            let tmp = dir.join(TMP);
            let open_there: Vec<PathBuf> = fs::read_dir("/proc/self/fd")
                .expect("list /proc/self/fd")
                .filter_map(|fd| fs::read_link(fd.ok()?.path()).ok())
                .filter(|target| target.starts_with(&tmp))
                .collect();
            assert_eq!(
                open_there.len(),
                1,
                "one descriptor open on a file in {}: {open_there:?}",
                tmp.display()
            );
        }
        drop(spooled);
    });
}

/// The bytes of file `i` of the promptness case: from a few bytes (buffered only) to more
/// than a write buffer (a job queued behind the sleeping one), each at most one hand-off.
fn prompt_data(seed: u64, i: usize) -> Vec<u8> {
    const SIZES: [usize; 5] = [7, 4_096, 65_536, 100_000, 250_000];
    pattern(seed * 1_000 + i as u64, SIZES[i % SIZES.len()])
}

fn prompt_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("prompt-{i:02}.bin"))
}

/// [`PROMPT_FILES`] files written while `Limit::new(Blocking, 1)` is held by a job sleeping
/// [`PROMPT_SLEEP`], dropped; reports how long the drops took and whether the sleeping job
/// was still asleep when they were done; returns once it has woken up.
fn prompt_scenario(dir: &Path, seed: u64) {
    let limit = Limit::new(Blocking, 1);
    block_on(async {
        let mut files = Vec::with_capacity(PROMPT_FILES);
        for i in 0..PROMPT_FILES {
            let file = aiofiles::open(prompt_path(dir, i), "w")
                .on(limit.clone())
                .await
                .expect("open");
            files.push(file);
        }
        let sleeper = hold(&limit, PROMPT_SLEEP);
        for (i, file) in files.iter_mut().enumerate() {
            file.write_all(&prompt_data(seed, i))
                .await
                .expect("write_all");
        }
        let start = Instant::now();
        drop(files);
        let drops = start.elapsed();
        let asleep = sleeper.try_recv().is_err();
        fs::write(
            dir.join(REPORT),
            format!("{}\n{asleep}\n", drops.as_nanos()),
        )
        .expect("write the report");
        sleeper.recv().expect("the sleeping job ends");
    });
}

// ---------------------------------------------------------------------------------------------
// The parent

/// Children running now, in the whole test binary.
static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// One of the [`CHILDREN`] places, held while a child runs.
struct Place;

impl Place {
    fn take() -> Place {
        let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
        while *running >= CHILDREN {
            running = FREED.wait(running).unwrap_or_else(PoisonError::into_inner);
        }
        *running += 1;
        Place
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) -= 1;
        FREED.notify_one();
    }
}

/// Runs `scenario` in a child process working in `dir` (its `TMPDIR` is `dir/tmp`); `Err`
/// says how the child failed (its exit, its output) if it did not run its one test to the end.
fn run_child(scenario: &str, dir: &Path, seed: u64) -> Result<(), String> {
    let tmp = dir.join(TMP);
    fs::create_dir(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let stdout_path = dir.join("child.stdout");
    let stderr_path = dir.join("child.stderr");
    let out = |path: &Path| -> io::Result<Stdio> { Ok(fs::File::create(path)?.into()) };
    let _place = Place::take();
    let mut child = Command::new(env::current_exe().map_err(|e| e.to_string())?)
        .args([
            "child_entry",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO_ENV, scenario)
        .env(DIR_ENV, dir)
        .env(SEED_ENV, seed.to_string())
        .env("TMPDIR", &tmp)
        .stdin(Stdio::null())
        .stdout(out(&stdout_path).map_err(|e| e.to_string())?)
        .stderr(out(&stderr_path).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the child hung: killed after {CHILD_TIMEOUT:?}"));
            }
            Err(e) => return Err(format!("cannot wait for the child: {e}")),
        }
    };
    let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
    if status.success() && stdout.contains("test result: ok. 1 passed") {
        return Ok(());
    }
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    Err(format!(
        "the child failed ({status}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    ))
}

/// Runs `run` for each of the [`RUNS`] runs of `case`, [`PER_CASE`] at a time; fails with
/// every failed run's index and message.
fn each_run(case: &str, run: impl Fn(usize) -> Result<(), String> + Sync) {
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..PER_CASE {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= RUNS {
                    break;
                }
                if let Err(message) = run(i) {
                    failures
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((i, message));
                }
            });
        }
    });
    let mut failures = failures
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    failures.sort();
    let elapsed = start.elapsed();
    if !failures.is_empty() {
        let list: Vec<String> = failures
            .iter()
            .map(|(i, message)| format!("run {i}: {message}"))
            .collect();
        panic!(
            "{case}: {} of {RUNS} runs failed ({elapsed:?}):\n{}",
            failures.len(),
            list.join("\n")
        );
    }
    println!("{case}: {RUNS} of {RUNS} runs passed ({elapsed:?})");
}

/// A fresh directory for one run.
fn run_dir() -> Result<::tempfile::TempDir, String> {
    ::tempfile::Builder::new()
        .prefix("aiofiles-exit-")
        .tempdir()
        .map_err(|e| format!("cannot create a directory for the run: {e}"))
}

/// `Ok` if `path` holds exactly `expected`; otherwise how many bytes arrived.
fn check_bytes(path: &Path, expected: &[u8]) -> Result<(), String> {
    let got = match fs::read(path) {
        Ok(got) => got,
        Err(e) => {
            return Err(format!(
                "0 of {} bytes arrived: cannot read {} ({e})",
                expected.len(),
                path.display()
            ))
        }
    };
    if got == expected {
        return Ok(());
    }
    let right = got.iter().zip(expected).take_while(|(a, b)| a == b).count();
    let mut message = format!("{} of {} bytes arrived", got.len(), expected.len());
    if right < got.len() {
        message += &format!(" (only the first {right} of them right)");
    }
    Err(message)
}

/// Whether anything (even a broken symlink) is at `path`.
fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// What is left in `dir` (its names), or the error listing it.
fn left_in(dir: &Path) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// A case: a `File` on `exec` gets `len` bytes (written as `writes` says) and
/// is dropped unclosed right before the child exits; all `len` bytes must be in the file.
fn file_case(exec: &str, len: usize, writes: Writes) {
    let scenario = format!("file {exec} {len} {}", writes.word());
    each_run(&scenario, |i| {
        let dir = run_dir()?;
        let seed = len as u64 * 100 + i as u64;
        run_child(&scenario, dir.path(), seed)?;
        check_bytes(&dir.path().join(OUT), &pattern(seed, len))
    });
}

/// A case: the child creates temporary files or directories in its `TMPDIR` (listing their
/// paths) and drops them right before it exits; nothing of them may be left.
fn temp_case(scenario: &str, lists_paths: bool) {
    each_run(scenario, |i| {
        let dir = run_dir()?;
        run_child(scenario, dir.path(), i as u64)?;
        let tmp = dir.path().join(TMP);
        if lists_paths {
            let list = fs::read_to_string(dir.path().join(PATHS))
                .map_err(|e| format!("the child listed no paths: {e}"))?;
            let paths: Vec<&Path> = list.lines().map(Path::new).collect();
            if paths.is_empty() {
                return Err("the child listed no paths".into());
            }
            for path in &paths {
                if !path.starts_with(&tmp) {
                    return Err(format!(
                        "{} was created outside the child's TMPDIR {}",
                        path.display(),
                        tmp.display()
                    ));
                }
            }
            let left: Vec<String> = paths
                .iter()
                .filter(|path| present(path))
                .map(|path| path.display().to_string())
                .collect();
            if !left.is_empty() {
                return Err(format!(
                    "{} of {} paths left on disk: {left:?}",
                    left.len(),
                    paths.len()
                ));
            }
        }
        let left = left_in(&tmp)?;
        if !left.is_empty() {
            return Err(format!("left in {}: {left:?}", tmp.display()));
        }
        Ok(())
    });
}

macro_rules! file_cases {
    ($($(#[$attr:meta])* $name:ident: $exec:literal, $len:expr, $writes:expr;)*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                file_case($exec, $len, $writes);
            }
        )*
    };
}

file_cases! {
    blocking_5_bytes: "blocking", 5, Writes::Whole;
    blocking_1_000_bytes: "blocking", 1_000, Writes::Whole;
    blocking_100_000_bytes: "blocking", 100_000, Writes::Whole;
    blocking_3_000_000_bytes: "blocking", 3_000_000, Writes::Whole;
    blocking_1_500_000_bytes_in_100_byte_writes: "blocking", 1_500_000, Writes::Parts(100);
    blocking_3_000_000_bytes_in_owned_writes_of_256_kib: "blocking", 3_000_000, Writes::Owned(256 * 1024);

    inline_5_bytes: "inline", 5, Writes::Whole;
    inline_1_000_bytes: "inline", 1_000, Writes::Whole;
    inline_100_000_bytes: "inline", 100_000, Writes::Whole;
    inline_3_000_000_bytes: "inline", 3_000_000, Writes::Whole;
    inline_1_500_000_bytes_in_100_byte_writes: "inline", 1_500_000, Writes::Parts(100);
    inline_3_000_000_bytes_in_owned_writes_of_256_kib: "inline", 3_000_000, Writes::Owned(256 * 1024);

    saturated_limit_5_bytes: "limit", 5, Writes::Whole;
    saturated_limit_1_000_bytes: "limit", 1_000, Writes::Whole;
    saturated_limit_100_000_bytes: "limit", 100_000, Writes::Whole;
    saturated_limit_3_000_000_bytes: "limit", 3_000_000, Writes::Whole;
    saturated_limit_1_500_000_bytes_in_100_byte_writes: "limit", 1_500_000, Writes::Parts(100);
    saturated_limit_3_000_000_bytes_in_owned_writes_of_256_kib: "limit", 3_000_000, Writes::Owned(256 * 1024);

    #[cfg(feature = "tokio")]
    tokio_5_bytes: "tokio", 5, Writes::Whole;
    #[cfg(feature = "tokio")]
    tokio_1_000_bytes: "tokio", 1_000, Writes::Whole;
    #[cfg(feature = "tokio")]
    tokio_100_000_bytes: "tokio", 100_000, Writes::Whole;
    #[cfg(feature = "tokio")]
    tokio_3_000_000_bytes: "tokio", 3_000_000, Writes::Whole;
    #[cfg(feature = "tokio")]
    tokio_1_500_000_bytes_in_100_byte_writes: "tokio", 1_500_000, Writes::Parts(100);
    #[cfg(feature = "tokio")]
    tokio_3_000_000_bytes_in_owned_writes_of_256_kib: "tokio", 3_000_000, Writes::Owned(256 * 1024);
}

#[test]
fn tempdir_with_files_inside() {
    temp_case("tempdir blocking", true);
}

#[test]
fn tempdir_with_files_inside_on_a_saturated_limit() {
    temp_case("tempdir limit", true);
}

#[test]
fn named_temp_file() {
    temp_case("named blocking", true);
}

#[test]
fn named_temp_file_on_a_saturated_limit() {
    temp_case("named limit", true);
}

/// The rolled-over file is unnamed: what is checked is that nothing is left in the
/// directory it was created in (the child checks that it was created there).
#[test]
fn rolled_over_spooled_temp_file() {
    temp_case("spooled", false);
}

/// 64 files dropped while their executor's one place is taken by a job sleeping 2 s: the
/// drops wait for nothing queued, yet every byte is in the files when the child exits (after
/// the sleeping job).
#[test]
fn drops_on_a_saturated_limit_are_prompt_and_complete() {
    each_run("prompt", |i| {
        let dir = run_dir()?;
        let seed = i as u64;
        run_child("prompt", dir.path(), seed)?;
        let report = fs::read_to_string(dir.path().join(REPORT))
            .map_err(|e| format!("no report from the child: {e}"))?;
        let mut lines = report.lines();
        let nanos: u64 = lines
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("bad report {report:?}"))?;
        let drops = Duration::from_nanos(nanos);
        let asleep = lines.next() == Some("true");
        let mut problems = Vec::new();
        if drops >= PROMPT_BOUND {
            problems.push(format!(
                "the {PROMPT_FILES} drops took {drops:?} (bound {PROMPT_BOUND:?})"
            ));
        }
        if !asleep {
            problems.push(format!(
                "the job sleeping {PROMPT_SLEEP:?} had ended when the drops were done"
            ));
        }
        let short: Vec<String> = (0..PROMPT_FILES)
            .filter_map(|file| {
                check_bytes(&prompt_path(dir.path(), file), &prompt_data(seed, file))
                    .err()
                    .map(|e| format!("file {file}: {e}"))
            })
            .collect();
        if !short.is_empty() {
            problems.push(format!(
                "{} of {PROMPT_FILES} files incomplete: {}",
                short.len(),
                short.join(", ")
            ));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(format!("drops took {drops:?}; {}", problems.join("; "))),
        }
    });
}

/// `check_bytes` and `left_in` say what they found (the cases above rely on them).
#[test]
fn the_checks_report_what_they_find() {
    let dir = ::tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    assert_eq!(
        check_bytes(&path, b"abc").unwrap_err().split(':').next(),
        Some("0 of 3 bytes arrived")
    );
    fs::write(&path, b"ab").unwrap();
    assert_eq!(
        check_bytes(&path, b"abc").unwrap_err(),
        "2 of 3 bytes arrived"
    );
    fs::write(&path, b"abd").unwrap();
    assert_eq!(
        check_bytes(&path, b"abc").unwrap_err(),
        "3 of 3 bytes arrived (only the first 2 of them right)"
    );
    fs::write(&path, b"abc").unwrap();
    assert_eq!(check_bytes(&path, b"abc"), Ok(()));
    assert_eq!(left_in(dir.path()), Ok(vec!["f".to_owned()]));
    fs::remove_file(&path).unwrap();
    assert_eq!(left_in(dir.path()), Ok(vec![]));
    assert!(!present(&path));
    assert!(left_in(&dir.path().join("missing")).is_err());
}
