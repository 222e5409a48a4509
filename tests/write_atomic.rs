//! `fs::write_atomic`: readers see one whole version, permissions are kept, errors leave
//! nothing behind, and a process killed in the middle leaves one whole version, on
//! `Blocking`, `Inline` and `Linger`.

#![cfg(unix)]

mod common;

use std::io::{BufRead as _, BufReader, ErrorKind};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use aiofiles::fs::write_atomic;
use aiofiles::testing::ManualExecutor;
use aiofiles::Executor;

use common::{source_of, CHILD_ENV, ENOENT};

/// The two versions the tests alternate: different bytes and different lengths, so that a
/// mix or a truncation of either is neither.
fn versions() -> (Vec<u8>, Vec<u8>) {
    (vec![b'a'; 10 * 1024], vec![b'b'; 3 * 1024])
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The mode `std::fs::write` gives a new file here (0o666 less the umask).
fn write_mode() -> u32 {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("by_std"), "x").unwrap();
    mode(&dir.path().join("by_std"))
}

on_each_executor!(
    creates_and_replaces,
    readers_see_one_whole_version,
    keeps_permissions,
    new_file_gets_the_mode_write_gives,
    missing_directory_is_not_found_and_leaves_nothing,
    failed_rename_removes_the_temporary_file,
    symlink_is_replaced_not_followed,
);

async fn creates_and_replaces<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_atomic(&path, "first").on(exec.clone()).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    write_atomic(&path, b"second, longer")
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    write_atomic(&path, "").on(exec.clone()).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    let big: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    write_atomic(&path, &big).on(exec.clone()).await.unwrap();
    assert!(std::fs::read(&path).unwrap() == big);
    assert_eq!(names(dir.path()), ["f"]);

    // The longest name a file may have: the temporary file's name stays within the limit.
    let long = dir.path().join("n".repeat(255));
    write_atomic(&long, "long").on(exec).await.unwrap();
    assert_eq!(std::fs::read(&long).unwrap(), b"long");
    assert_eq!(names(dir.path()), ["f".to_owned(), "n".repeat(255)]);
}

/// A reader thread reads the file in a loop while 200 calls alternate two versions: every
/// read is one of them, whole; never a mix, a short file or a missing one.
async fn readers_see_one_whole_version<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let (a, b) = versions();
    std::fs::write(&path, &a).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let (first_read_tx, first_read) = mpsc::channel();
    let reader = {
        let (path, done, a, b) = (path.clone(), Arc::clone(&done), a.clone(), b.clone());
        thread::spawn(move || {
            let (mut seen_a, mut seen_b, mut others) = (0u64, 0u64, 0u64);
            let mut samples = Vec::new();
            loop {
                // Read once more after the writer finished: it sees the last version.
                let last = done.load(Ordering::SeqCst);
                let read = std::fs::read(&path);
                match read {
                    Ok(bytes) if bytes == a => seen_a += 1,
                    Ok(bytes) if bytes == b => seen_b += 1,
                    other => {
                        others += 1;
                        // The first few tell what went wrong.
                        if samples.len() < 10 {
                            samples.push(other.map(|bytes| format!("{} bytes", bytes.len())));
                        }
                    }
                }
                if seen_a + seen_b + others == 1 {
                    first_read_tx.send(()).unwrap();
                }
                if last {
                    return (seen_a, seen_b, others, samples);
                }
            }
        })
    };
    // The writer starts after the first read, which therefore sees `a`; the last read comes
    // after the last call, which wrote `b`.
    first_read.recv().unwrap();
    // Stops the reader also when a call fails.
    let stop = StopOnDrop(Arc::clone(&done));
    for i in 0..200 {
        let version = if i % 2 == 0 { &a } else { &b };
        write_atomic(&path, version).on(exec.clone()).await.unwrap();
    }
    drop(stop);
    let (seen_a, seen_b, others, samples) = reader.join().unwrap();
    println!("reads: {seen_a} of a, {seen_b} of b");
    assert_eq!(others, 0, "reads neither a nor b, the first: {samples:?}");
    assert!(seen_a > 0 && seen_b > 0, "{seen_a} of a, {seen_b} of b");
    assert_eq!(std::fs::read(&path).unwrap(), b); // the 200th call wrote `b`
    assert_eq!(names(dir.path()), ["f"]);
}

struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

async fn keeps_permissions<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    for perms in [0o640, 0o444, 0o600, 0o755, 0o4750] {
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(perms)).unwrap();
        let inode = std::fs::metadata(&path).unwrap().ino();
        write_atomic(&path, "new").on(exec.clone()).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), perms, "{perms:o}");
        // A new file took the old one's place.
        assert_ne!(std::fs::metadata(&path).unwrap().ino(), inode);
        std::fs::remove_file(&path).unwrap();
    }
}

/// A new file gets the mode `fs::write` gives one (0o666 less the umask), not the temporary
/// file's owner-only mode.
async fn new_file_gets_the_mode_write_gives<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_atomic(&path, "x").on(exec).await.unwrap();
    assert_eq!(mode(&path), write_mode());
    assert_eq!(names(dir.path()), ["f"]);
}

async fn missing_directory_is_not_found_and_leaves_nothing<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/f");
    let err = write_atomic(&path, "x").on(exec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(source_of(&err).raw_os_error(), Some(ENOENT));
    assert_eq!(
        err.to_string(),
        format!(
            "failed to atomically write `{}`: {}",
            path.display(),
            source_of(&err)
        )
    );
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

/// The rename fails (a directory is at `path`) after the temporary file was written: it is
/// removed, and `path` is untouched.
async fn failed_rename_removes_the_temporary_file<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("inside"), "kept").unwrap();
    let err = write_atomic(&path, vec![b'x'; 100_000])
        .on(exec)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IsADirectory);
    assert!(
        err.to_string().starts_with(&format!(
            "failed to atomically write `{}`: ",
            path.display()
        )),
        "{err}"
    );
    assert_eq!(names(dir.path()), ["d"]);
    assert_eq!(names(&path), ["inside"]);
    assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
}

/// A symlink at `path` is replaced by the new file, as `rename` does; its target keeps its
/// contents, and the new file takes the target's permissions.
async fn symlink_is_replaced_not_followed<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let link = dir.path().join("link");
    std::fs::write(&target, "target").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    write_atomic(&link, "new").on(exec.clone()).await.unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(std::fs::read(&link).unwrap(), b"new");
    assert_eq!(mode(&link), 0o640);
    assert_eq!(std::fs::read(&target).unwrap(), b"target");

    // A dangling link: replaced by a new file with `write`'s mode.
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    write_atomic(&dangling, "new").on(exec).await.unwrap();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().is_file());
    assert_eq!(std::fs::read(&dangling).unwrap(), b"new");
    assert_eq!(mode(&dangling), write_mode());
    assert_eq!(names(dir.path()), ["dangling", "link", "target"]);
}

#[test]
fn dropped_before_polled_does_nothing_dropped_after_completes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let exec = ManualExecutor::new();
    drop(write_atomic(&path, "never").on(exec.clone()));
    assert_eq!(exec.pending(), 0);
    assert_eq!(names(dir.path()), Vec::<String>::new());

    let mut op = Box::pin(write_atomic(&path, "whole").on(exec.clone()));
    assert!(common::poll_once(&mut op).is_pending());
    drop(op);
    assert_eq!(exec.pending(), 1);
    assert_eq!(names(dir.path()), Vec::<String>::new());
    assert_eq!(exec.run_all(), 1);
    assert_eq!(std::fs::read(&path).unwrap(), b"whole");
    assert_eq!(names(dir.path()), ["f"]);
}

/// A directory the caller may not write to: `PermissionDenied` naming the path, the file there
/// untouched, nothing created. Root may write anywhere, so as root the test runs again in a
/// child process as user `nobody`.
#[test]
fn read_only_directory_is_permission_denied() {
    const NAME: &str = "read_only_directory_is_permission_denied";
    if common::privileged() {
        assert!(
            !common::in_child(),
            "still privileged as user nobody: permissions cannot be tested here"
        );
        let output = common::rerun_alone(NAME, Some(65534)).expect("run the test as nobody");
        common::assert_child_passed(NAME, &output);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::write(&old, "old").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    for path in [&old, &new] {
        let err = common::futures_block_on(write_atomic(path, "x")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(
            err.to_string().starts_with(&format!(
                "failed to atomically write `{}`: ",
                path.display()
            )),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&old).unwrap(), b"old");
    assert_eq!(names(dir.path()), ["old"]);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Killed in the middle: a child process (this test binary, running `child_writes_until_killed`)
// alternates the two versions until it is killed with SIGKILL at a random point.

/// Where the child writes, passed to it by the parent.
const CHILD_PATH_ENV: &str = "AIOFILES_WRITE_ATOMIC_PATH";

/// How many calls the child makes at most, and how long it runs at most, should it not be
/// killed (it always is: the parent checks that it died of SIGKILL).
const CHILD_CALLS: usize = 100_000;
const CHILD_LIMIT: Duration = Duration::from_secs(10);

#[test]
#[ignore = "the child of `killed_mid_write_leaves_one_whole_version`, which runs it"]
fn child_writes_until_killed() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "run by `killed_mid_write_leaves_one_whole_version` only"
    );
    let path = PathBuf::from(std::env::var_os(CHILD_PATH_ENV).expect("the path to write"));
    let (a, b) = versions();
    let started = Instant::now();
    futures::executor::block_on(async {
        for i in 0..CHILD_CALLS {
            write_atomic(&path, if i % 2 == 0 { &b } else { &a })
                .await
                .unwrap();
            if i == 0 {
                // The parent starts its clock: the kill lands among the calls.
                println!("writing");
            }
            assert!(started.elapsed() < CHILD_LIMIT, "not killed");
        }
    });
}

#[test]
fn killed_mid_write_leaves_one_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let (a, b) = versions();
    std::fs::write(&path, &a).unwrap();
    let mut calls_in_flight = 0;
    let started = Instant::now();
    for round in 0..10 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_writes_until_killed",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .env(CHILD_PATH_ENV, &path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        // libtest may print the test's name on the same line first.
        while !line.trim_end().ends_with("writing") {
            line.clear();
            assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "the child ended");
        }
        thread::sleep(Duration::from_millis(fastrand::u64(5..=50)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "round {round}: {status}");

        let contents = std::fs::read(&path).unwrap();
        assert!(
            contents == a || contents == b,
            "round {round}: {} bytes",
            contents.len()
        );
        // At most the temporary file of the call in flight is left; removed for the next round.
        let names = names(dir.path());
        let temps: Vec<&String> = names.iter().filter(|n| *n != "f").collect();
        assert!(temps.len() <= 1, "round {round}: {names:?}");
        for temp in temps {
            assert!(
                temp.starts_with(".f.") && temp.ends_with(".tmp"),
                "round {round}: {temp}"
            );
            std::fs::remove_file(dir.path().join(temp)).unwrap();
            calls_in_flight += 1;
        }
    }
    println!(
        "{calls_in_flight} of 10 kills left a temporary file, in {:?}",
        started.elapsed()
    );
}
