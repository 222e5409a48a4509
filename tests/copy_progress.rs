//! `fs::copy_with_progress`: exact bytes around the chunk size, the progress items, errors that
//! name the paths, permissions, a source that is never changed, and a dropped copy that leaves
//! nothing behind; on Inline and Blocking.

mod common;

use std::io;
use std::path::Path;
use std::time::Duration;

use aiofiles::fs::{copy_with_progress, CopyProgress};
use aiofiles::{Blocking, Executor, Inline};
use futures::stream::FusedStream;
use futures::{StreamExt, TryStreamExt};

use common::tempdir;

const MIB: usize = 1024 * 1024;
const CHUNK: usize = 8 * MIB;

/// Copies a file of each size around the chunk size on `exec`, checking every byte and item.
async fn sizes<E: Executor>(exec: E) {
    let dir = tempdir();
    for (i, size) in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 20 * MIB]
        .into_iter()
        .enumerate()
    {
        let from = dir.path().join(format!("from-{size}"));
        let to = dir.path().join(format!("to-{size}"));
        let data = common::pattern(i as u64, size);
        std::fs::write(&from, &data).unwrap();

        let mut copy = copy_with_progress(&from, &to).on(exec.clone());
        let mut items = Vec::new();
        while let Some(item) = copy.next().await {
            items.push(item.unwrap());
        }
        assert!(copy.is_terminated());

        assert_eq!(std::fs::read(&to).unwrap(), data, "size {size}");
        assert_eq!(items.last(), Some(&(size as u64)), "size {size}: {items:?}");
        assert!(
            items.windows(2).all(|w| w[0] < w[1]),
            "size {size}: not strictly increasing: {items:?}"
        );
        assert!(
            items.len() <= size.div_ceil(CHUNK) + 1,
            "size {size}: {} items: {items:?}",
            items.len()
        );
        // Every item but the last is a whole number of chunks: at least 8 MiB per hand-off.
        for (n, item) in items.iter().enumerate().take(items.len() - 1) {
            assert_eq!(*item, ((n + 1) * CHUNK) as u64, "size {size}: {items:?}");
        }
        if size == 0 {
            assert_eq!(items, [0]);
        }
        assert_eq!(std::fs::read(&from).unwrap(), data, "the source changed");
    }
}

#[test]
fn exact_bytes_and_progress_on_inline() {
    common::run(|| sizes(Inline));
}

#[test]
fn exact_bytes_and_progress_on_blocking() {
    common::run(|| sizes(Blocking));
}

/// A missing source: `NotFound` naming it, and no destination.
async fn missing_source<E: Executor>(exec: E) {
    let dir = tempdir();
    let (from, to) = (dir.path().join("missing"), dir.path().join("to"));
    let items: Vec<io::Result<u64>> = copy_with_progress(&from, &to).on(exec).collect().await;
    assert_eq!(items.len(), 1, "{items:?}");
    let err = items.into_iter().next().unwrap().unwrap_err();
    let theirs = std::fs::copy(&from, &to).unwrap_err();
    common::assert_same_error(&err, &theirs, "copy", &[&from, &to]);
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(!to.exists(), "a destination was created");
}

#[test]
fn a_missing_source_is_not_found_on_inline() {
    common::run(|| missing_source(Inline));
}

#[test]
fn a_missing_source_is_not_found_on_blocking() {
    common::run(|| missing_source(Blocking));
}

/// Drops a 40 MiB copy after its first item, `polls` more times first: the destination is gone
/// when the drop returns, and still 200 ms later.
async fn dropped_mid_copy<E: Executor>(exec: E, polls: usize) {
    let dir = tempdir();
    let (from, to) = (dir.path().join("from"), dir.path().join("to"));
    let data = common::pattern(40, 40 * MIB);
    std::fs::write(&from, &data).unwrap();
    let mut copy = copy_with_progress(&from, &to).on(exec);
    assert_eq!(copy.next().await.unwrap().unwrap(), CHUNK as u64);
    assert!(to.exists());
    for _ in 0..polls {
        // The next chunk is handed over (and on Inline copied): then dropped with it pending.
        let _ = common::poll_once(&mut copy.next());
    }
    drop(copy);
    assert!(
        !to.exists(),
        "the partial destination is still there after the drop"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(!to.exists(), "the partial destination came back");
    assert_eq!(std::fs::read(&from).unwrap(), data, "the source changed");
}

#[test]
fn a_dropped_copy_leaves_no_destination_on_inline() {
    common::run(|| dropped_mid_copy(Inline, 0));
    common::run(|| dropped_mid_copy(Inline, 1));
}

#[test]
fn a_dropped_copy_leaves_no_destination_on_blocking() {
    for polls in [0, 1, 2] {
        common::run(move || dropped_mid_copy(Blocking, polls));
    }
}

#[test]
fn a_copy_dropped_while_its_first_chunk_runs_leaves_nothing() {
    common::run(|| async {
        let dir = tempdir();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, common::pattern(1, 40 * MIB)).unwrap();
        for round in 0..50 {
            let mut copy = copy_with_progress(&from, &to);
            let _ = common::poll_once(&mut copy.next()); // the opening hand-off starts
            std::thread::sleep(Duration::from_micros(100 * (round % 10)));
            drop(copy);
            assert!(!to.exists(), "round {round}: left after the drop");
        }
        std::thread::sleep(Duration::from_millis(200));
        assert!(!to.exists(), "came back after the drop");
    });
}

#[test]
fn a_completed_copy_is_kept_when_the_stream_is_dropped() {
    common::run(|| async {
        let dir = tempdir();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, common::pattern(2, CHUNK + 5)).unwrap();
        let mut copy = copy_with_progress(&from, &to);
        assert_eq!(copy.next().await.unwrap().unwrap(), CHUNK as u64);
        assert_eq!(copy.next().await.unwrap().unwrap(), (CHUNK + 5) as u64);
        drop(copy); // not polled to its end: the copy is complete all the same
        assert_eq!(std::fs::read(&to).unwrap(), std::fs::read(&from).unwrap());
    });
}

#[test]
fn a_copy_never_polled_touches_nothing() {
    common::run(|| async {
        let dir = tempdir();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        std::fs::write(&from, "new").unwrap();
        std::fs::write(&to, "old").unwrap();
        drop(copy_with_progress(&from, &to).on(Inline));
        assert_eq!(std::fs::read(&to).unwrap(), b"old");
    });
}

#[cfg(unix)]
async fn permissions<E: Executor>(exec: E) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempdir();
    let (from, to) = (dir.path().join("from"), dir.path().join("to"));
    std::fs::write(&from, "data").unwrap();
    std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o640)).unwrap();
    // A new destination, then an existing one with other permissions and more bytes.
    for _ in 0..2 {
        let items: Vec<u64> = copy_with_progress(&from, &to)
            .on(exec.clone())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, [4]);
        let mode = std::fs::metadata(&to).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read(&to).unwrap(), b"data");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&to, "much longer old contents").unwrap();
    }
}

#[cfg(unix)]
#[test]
fn permissions_are_copied_on_inline() {
    common::run(|| permissions(Inline));
}

#[cfg(unix)]
#[test]
fn permissions_are_copied_on_blocking() {
    common::run(|| permissions(Blocking));
}

/// The first item of a copy: its error.
async fn first_error(copy: CopyProgress<Inline>) -> io::Error {
    let items: Vec<io::Result<u64>> = copy.collect().await;
    assert_eq!(items.len(), 1, "{items:?}");
    items.into_iter().next().unwrap().unwrap_err()
}

#[test]
fn the_source_is_never_the_destination() {
    common::run(|| async {
        let dir = tempdir();
        let from = dir.path().join("from");
        std::fs::write(&from, "keep me").unwrap();
        let err = first_error(copy_with_progress(&from, &from).on(Inline)).await;
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "failed to copy `{}` to `{}`: ",
                from.display(),
                from.display()
            )),
            "{message}"
        );
        assert!(message.contains("the same file"), "{message}");
        assert_eq!(std::fs::read(&from).unwrap(), b"keep me");

        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&from, &link).unwrap();
            let hard = dir.path().join("hard");
            std::fs::hard_link(&from, &hard).unwrap();
            for to in [&link, &hard] {
                let err = first_error(copy_with_progress(&from, to).on(Inline)).await;
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
                assert_eq!(std::fs::read(&from).unwrap(), b"keep me");
                assert!(to.exists(), "the source's other name was removed");
            }
        }
    });
}

#[test]
fn a_directory_is_not_a_source() {
    common::run(|| async {
        let dir = tempdir();
        let to = dir.path().join("to");
        let err = first_error(copy_with_progress(dir.path(), &to).on(Inline)).await;
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(&dir.path().display().to_string()));
        assert!(!to.exists());
    });
}

#[test]
fn a_missing_destination_directory_names_both_paths() {
    common::run(|| async {
        let dir = tempdir();
        let from = dir.path().join("from");
        let to = dir.path().join("no/such/dir/to");
        std::fs::write(&from, "x").unwrap();
        let err = first_error(copy_with_progress(&from, &to).on(Inline)).await;
        let theirs = std::fs::copy(&from, &to).unwrap_err();
        common::assert_same_error(&err, &theirs, "copy", &[&from, &to]);
    });
}

#[cfg(unix)]
#[test]
fn a_device_destination_is_written_and_kept() {
    common::run(|| async {
        let dir = tempdir();
        let from = dir.path().join("from");
        std::fs::write(&from, common::pattern(3, CHUNK + 1)).unwrap();
        let dev_null = Path::new("/dev/null");
        let items: Vec<u64> = copy_with_progress(&from, dev_null)
            .on(Inline)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items.last(), Some(&((CHUNK + 1) as u64)));
        // Dropped mid-copy: a destination that is not a regular file is never removed.
        let mut copy = copy_with_progress(&from, dev_null).on(Inline);
        assert_eq!(copy.next().await.unwrap().unwrap(), CHUNK as u64);
        drop(copy);
        assert!(dev_null.exists());
    });
}

#[test]
fn debug_names_the_paths_and_the_state() {
    let copy = copy_with_progress("a.bin", "b.bin");
    let debug = format!("{copy:?}");
    assert!(debug.starts_with("CopyProgress"), "{debug}");
    assert!(
        debug.contains("a.bin") && debug.contains("b.bin"),
        "{debug}"
    );
    assert!(debug.contains("not started"), "{debug}");
    assert_eq!(*copy.executor(), Blocking);
    assert!(!copy.is_terminated());
}

/// A file that reports no size (procfs): `copy_file_range` copies nothing from it, the
/// read/write fallback copies it all.
#[cfg(target_os = "linux")]
#[test]
fn a_file_without_a_size_is_copied_by_reads() {
    common::run(|| async {
        let dir = tempdir();
        let to = dir.path().join("version");
        let from = Path::new("/proc/version");
        let expected = std::fs::read(from).unwrap();
        assert_eq!(std::fs::metadata(from).unwrap().len(), 0);
        let items: Vec<u64> = copy_with_progress(from, &to)
            .on(Inline)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, [expected.len() as u64]);
        assert_eq!(std::fs::read(&to).unwrap(), expected);
    });
}
