//! Files and directories for the tests: temporary directories, generated contents, FIFOs.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

/// A new temporary directory, removed when dropped.
#[track_caller]
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// A new temporary directory and its path: `let (_dir, root) = tempdir_path();`.
#[track_caller]
pub fn tempdir_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    let root = dir.path().to_owned();
    (dir, root)
}

/// A temporary directory for a large generated tree, and its path: in memory (`/dev/shm`)
/// where there is one, since the walk tests count hand-offs and buffered entries, not disk
/// speed, and creating 100,000 files on a slow disk takes long.
#[track_caller]
pub fn tempdir_for_tree() -> (tempfile::TempDir, PathBuf) {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir())
    } else {
        tempfile::tempdir()
    };
    let dir = dir.expect("create a temporary directory");
    let root = dir.path().to_owned();
    (dir, root)
}

/// Polls `path` until it holds exactly `expected` or `limit` has passed; returns the last
/// content read (`None`: no such file).
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

/// Creates a FIFO at `path` with the `mkfifo` command for the test `test`; when that is not
/// possible here, says so with a SKIP line ([`skip`](super::skip)) and returns `false`.
pub fn mkfifo(path: &Path, test: &str) -> bool {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|status| status.success());
    if !made {
        super::skip(test, "no `mkfifo` command here");
    }
    made
}

/// `len` bytes that differ from file to file (`seed`) and along the file.
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
