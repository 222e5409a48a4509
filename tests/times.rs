//! File times: `File::set_times`, `File::set_modified` and `os::utime`, read back exactly
//! through `std::fs::metadata`, on `Blocking`, `Inline` and `Linger`.

#![cfg(unix)]

mod common;

use std::fs::FileTimes;
use std::io::ErrorKind;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aiofiles::testing::ManualExecutor;
use aiofiles::{os, Executor, File};
use futures::AsyncWriteExt as _;

use common::{source_of, ENOENT};

/// Times with whole seconds and nanoseconds, all in the past: ext4, XFS, btrfs and tmpfs
/// keep them to the nanosecond.
fn accessed() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_789)
}

fn modified() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_234_567_890, 987_654_321)
}

/// `(accessed, modified)` of `path`, as std reads them.
fn times(path: &Path) -> (SystemTime, SystemTime) {
    let meta = std::fs::metadata(path).unwrap();
    (meta.accessed().unwrap(), meta.modified().unwrap())
}

async fn open<E: Executor>(path: &Path, mode: &str, exec: E) -> File<E> {
    aiofiles::open(path, mode).on(exec).await.unwrap()
}

on_each_executor!(
    set_times_round_trips,
    set_times_with_nothing_set_changes_nothing,
    set_modified_leaves_accessed,
    set_modified_after_buffered_writes_is_not_bumped,
    set_times_on_a_read_only_file,
    times_before_1970,
    utime_round_trips,
    utime_none_is_now,
    utime_follows_symlinks,
    utime_missing_path_is_not_found,
);

async fn set_times_round_trips<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let mut file = open(&path, "w", exec).await;
    file.set_times(
        FileTimes::new()
            .set_accessed(accessed())
            .set_modified(modified()),
    )
    .await
    .unwrap();
    assert_eq!(times(&path), (accessed(), modified()));
    let meta = file.metadata().await.unwrap();
    assert_eq!(meta.accessed().unwrap(), accessed());
    assert_eq!(meta.modified().unwrap(), modified());
    file.close().await.unwrap();
    assert_eq!(times(&path), (accessed(), modified()));
}

async fn set_times_with_nothing_set_changes_nothing<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "x").unwrap();
    // Opened first: the open's read of the file's head may move the access time.
    let mut file = open(&path, "r+", exec).await;
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_times(
            FileTimes::new()
                .set_accessed(accessed())
                .set_modified(modified()),
        )
        .unwrap();
    file.set_times(FileTimes::new()).await.unwrap();
    assert_eq!(times(&path), (accessed(), modified()));
}

async fn set_modified_leaves_accessed<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let mut file = open(&path, "w", exec).await;
    file.set_times(FileTimes::new().set_accessed(accessed()))
        .await
        .unwrap();
    file.set_modified(modified()).await.unwrap();
    assert_eq!(times(&path), (accessed(), modified()));
}

/// Bytes still buffered when `set_modified` is called are written first: closing the file
/// afterwards writes nothing, so the time stays. Writes after it do bump it, as the OS does.
async fn set_modified_after_buffered_writes_is_not_bumped<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let mut file = open(&path, "w", exec.clone()).await;
    file.write_all(&[7; 100]).await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "buffered");
    file.set_modified(modified()).await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 100);
    assert_eq!(times(&path).1, modified());
    file.flush().await.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), [7; 100]);
    assert_eq!(times(&path).1, modified());

    let mut file = open(&path, "a", exec).await;
    file.write_all(b"more").await.unwrap();
    file.close().await.unwrap();
    assert!(times(&path).1 > modified());
}

/// Like `futimens`, setting times needs no write access, only ownership.
async fn set_times_on_a_read_only_file<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "x").unwrap();
    let mut file = open(&path, "r", exec).await;
    file.set_modified(modified()).await.unwrap();
    assert_eq!(times(&path).1, modified());
}

async fn times_before_1970<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let (a, m) = (
        UNIX_EPOCH - Duration::new(86_400 * 365, 250_000_000),
        UNIX_EPOCH - Duration::new(1, 0),
    );
    let mut file = open(&path, "w", exec.clone()).await;
    file.set_times(FileTimes::new().set_accessed(a).set_modified(m))
        .await
        .unwrap();
    assert_eq!(times(&path), (a, m));
    let (a, m) = (
        UNIX_EPOCH - Duration::new(0, 1),
        UNIX_EPOCH - Duration::new(7, 999_999_999),
    );
    os::utime(&path, Some((a, m))).on(exec).await.unwrap();
    assert_eq!(times(&path), (a, m));
}

async fn utime_round_trips<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "x").unwrap();
    os::utime(&path, Some((accessed(), modified())))
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(times(&path), (accessed(), modified()));
    // The order is Python's: `(atime, mtime)`.
    os::utime(&path, Some((modified(), accessed())))
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(times(&path), (modified(), accessed()));
    // Directories too.
    os::utime(dir.path(), Some((accessed(), modified())))
        .on(exec)
        .await
        .unwrap();
    assert_eq!(times(dir.path()), (accessed(), modified()));
}

/// `None` sets both times to the kernel's "now", which may lag `SystemTime::now` by a clock
/// tick: within a second of the call.
async fn utime_none_is_now<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "x").unwrap();
    os::utime(&path, Some((accessed(), modified())))
        .on(exec.clone())
        .await
        .unwrap();
    let before = SystemTime::now() - Duration::from_secs(1);
    os::utime(&path, None).on(exec).await.unwrap();
    let after = SystemTime::now() + Duration::from_secs(1);
    let (a, m) = times(&path);
    assert!(
        before <= a && a <= after,
        "{a:?} not in {before:?}..{after:?}"
    );
    assert!(
        before <= m && m <= after,
        "{m:?} not in {before:?}..{after:?}"
    );
}

/// Symlinks are followed, as Python's default `follow_symlinks=True`.
async fn utime_follows_symlinks<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let (target, link) = (dir.path().join("target"), dir.path().join("link"));
    std::fs::write(&target, "x").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let link_mtime = std::fs::symlink_metadata(&link)
        .unwrap()
        .modified()
        .unwrap();
    os::utime(&link, Some((accessed(), modified())))
        .on(exec)
        .await
        .unwrap();
    assert_eq!(times(&target), (accessed(), modified()));
    assert_eq!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .modified()
            .unwrap(),
        link_mtime
    );
}

async fn utime_missing_path_is_not_found<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing");
    let err = os::utime(&path, None).on(exec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(source_of(&err).raw_os_error(), Some(ENOENT));
    assert_eq!(
        err.to_string(),
        format!(
            "failed to set the times of `{}`: {}",
            path.display(),
            std::io::Error::from_raw_os_error(ENOENT)
        )
    );
    assert!(!path.exists());
}

/// A `set_modified` whose future and `File` are dropped before a pool thread started its job:
/// the drop does the buffered writes and sets the time itself.
#[test]
fn set_modified_survives_dropping_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let exec = ManualExecutor::new();
    let mut file = common::drive(&exec, aiofiles::open(&path, "w").on(exec.clone())).unwrap();
    common::drive(&exec, file.write_all(b"buffered")).unwrap();
    {
        let mut set = Box::pin(file.set_modified(modified()));
        assert!(common::poll_once(&mut set).is_pending());
    }
    assert_eq!(exec.pending(), 1);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), b"buffered");
    assert_eq!(times(&path).1, modified());
    // The job finds nothing left to do.
    assert_eq!(exec.run_all(), 1);
    assert_eq!(times(&path).1, modified());
}
