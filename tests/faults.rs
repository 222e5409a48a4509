//! Faults: what callers see when the disk is full, a path is refused, missing, a directory, too
//! long or not UTF-8, when an executor loses work, when user code panics on the pool, and when
//! a tokio runtime shuts down under an operation. Errors must say what failed on which path,
//! keep std's kind and the OS error, and nothing may hang (every test runs under the watchdog).

mod common;

use std::io::{self, Read as _};
use std::path::Path;
use std::task::Poll;

use aiofiles::executor::Executor;
use aiofiles::testing::ManualExecutor;
use aiofiles::{fs, os, Blocking, File, Inline, Limit, OpenOptions};
use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, StreamExt};

use common::{tempdir, Closable, Lossy, ThreadPerJob, TIMEOUT};

#[track_caller]
fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// 1. No space left on the device: /dev/full

#[cfg(target_os = "linux")]
mod enospc {
    use super::*;

    const FULL: &str = "/dev/full";
    const ENOSPC: i32 = 28;

    /// The error of a failed write to `/dev/full`: kind, message with the path, OS error.
    #[track_caller]
    fn assert_full(err: &io::Error, during: &str) {
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{during}: {err}");
        assert_eq!(
            err.to_string(),
            format!(
                "failed to write `{FULL}`: {}",
                io::Error::from_raw_os_error(ENOSPC)
            ),
            "{during}"
        );
        assert_eq!(
            common::source_of(err).raw_os_error(),
            Some(ENOSPC),
            "{during}"
        );
    }

    async fn open_full<E: Executor>(exec: &E) -> File<E> {
        aiofiles::open(FULL, "w").on(exec.clone()).await.unwrap()
    }

    /// The error surfaces from `flush`, `close`, `write`, `sync_all`, an unbuffered write, a
    /// positional write, and `fs::write`; once a buffered call has failed every later one fails
    /// too (the bytes are still pending), never losing them silently.
    async fn dev_full<E: Executor>(exec: E) {
        if !Path::new(FULL).exists() {
            common::skip("enospc::dev_full", &format!("no {FULL} here"));
            return;
        }

        // flush; the bytes are kept, so close tries them again and fails the same way.
        let mut f = open_full(&exec).await;
        f.write_all(b"no room").await.unwrap(); // buffered
        assert_full(&f.flush().await.unwrap_err(), "flush");
        assert_full(&f.close().await.unwrap_err(), "close after a failed flush");

        // close
        let mut f = open_full(&exec).await;
        f.write_all(b"no room either").await.unwrap();
        assert_full(&f.close().await.unwrap_err(), "close");

        // write: a full buffer is written in the background; its error comes out of a later
        // write.
        let mut f = open_full(&exec).await;
        let chunk = vec![7; 64 * 1024];
        let mut failed = None;
        for i in 0..64 {
            if let Err(err) = f.write_all(&chunk).await {
                failed = Some((i, err));
                break;
            }
        }
        let (i, err) = failed.expect("one of 64 writes of 64 KiB to /dev/full fails");
        assert!(i >= 1, "the first write only fills the buffer");
        assert_full(&err, "write");
        drop(f);

        // sync_all flushes first.
        let mut f = open_full(&exec).await;
        f.write_all(b"sync me").await.unwrap();
        assert_full(&f.sync_all().await.unwrap_err(), "sync_all");
        drop(f);

        // Unbuffered: the write itself fails.
        let mut f = OpenOptions::new()
            .write(true)
            .buffer_size(0)
            .open(FULL)
            .on(exec.clone())
            .await
            .unwrap();
        assert_full(&f.write(b"x").await.unwrap_err(), "unbuffered write");
        drop(f);

        // write_owned: on its way when it returns; its error comes out of the next call, or
        // of the one after when the next was handed to the write still in flight. Its bytes
        // are kept, so close tries them again and fails the same way.
        let mut f = open_full(&exec).await;
        f.write_owned(vec![1u8; 100_000]).await.unwrap();
        let err = match f.write_owned(vec![2u8; 10]).await {
            Err(err) => err,
            Ok(()) => f.write_owned(vec![3u8; 10]).await.unwrap_err(),
        };
        assert_full(&err, "write_owned");
        assert_full(&f.close().await.unwrap_err(), "close after write_owned");
        let mut f = open_full(&exec).await;
        f.write_owned(b"owned".as_slice()).await.unwrap();
        assert_full(&f.close().await.unwrap_err(), "close of an owned write");
        let mut f = OpenOptions::new()
            .write(true)
            .buffer_size(0)
            .open(FULL)
            .on(exec.clone())
            .await
            .unwrap();
        assert_full(
            &f.write_owned(vec![3u8; 10]).await.unwrap_err(),
            "unbuffered write_owned",
        );
        drop(f);

        // Positional.
        let f = open_full(&exec).await;
        assert_full(&f.write_all_at(0, b"x").await.unwrap_err(), "write_all_at");
        assert_full(&f.write_at(0, b"x").await.unwrap_err(), "write_at");
        drop(f);

        // fs::write: std's error, with the path.
        let err = fs::write(FULL, b"x").on(exec.clone()).await.unwrap_err();
        let theirs = std::fs::write(FULL, b"x").unwrap_err();
        common::assert_same_error(&err, &theirs, "write", &[Path::new(FULL)]);
        assert_full(&err, "fs::write");

        // Buffered, 1 MiB: the error surfaces at write_all, flush or close, and once a call
        // has failed every later one fails too (the bytes are still pending).
        let full = Path::new(FULL);
        let data = vec![7u8; 1 << 20];
        let check = |err: &io::Error, call: &str| {
            assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{call}: {err}");
            assert!(err.to_string().contains(FULL), "{call}: {err}");
            assert_eq!(
                common::source_of(err).raw_os_error(),
                Some(ENOSPC),
                "{call}: {err}"
            );
        };
        let mut file = OpenOptions::new()
            .write(true)
            .open(full)
            .on(exec.clone())
            .await
            .unwrap();
        let wrote = file.write_all(&data).await.err();
        let flushed = file.flush().await.err();
        let flushed_again = file.flush().await.err();
        let closed = file.close().await.err();
        let results = [
            ("write_all", wrote),
            ("flush", flushed),
            ("flush again", flushed_again),
            ("close", closed),
        ];
        let first = results
            .iter()
            .position(|(_, r)| r.is_some())
            .expect("no call reported the write error: bytes lost silently");
        for (call, result) in &results[first..] {
            match result {
                Some(err) => check(err, call),
                None => panic!("`{call}` succeeded after `{}` failed", results[first].0),
            }
        }

        // Unbuffered, 1 MiB: write_all itself fails, and so does the next write.
        let mut file = OpenOptions::new()
            .write(true)
            .buffer_size(0)
            .open(full)
            .on(exec)
            .await
            .unwrap();
        let err = file.write_all(&data).await.unwrap_err();
        check(&err, "unbuffered write_all");
        let err = file.write(b"x").await.unwrap_err();
        check(&err, "unbuffered write");
    }

    crate::matrix! {
        executors: {
            on_blocking => Blocking,
            on_inline => Inline,
            on_a_limit => Limit::new(Blocking, 2),
            on_a_user_executor => ThreadPerJob,
            #[cfg(feature = "tokio")]
            on_tokio @ common::tokio_multi_thread => aiofiles::Tokio::current(),
            #[cfg(feature = "async-std")]
            on_async_std @ common::async_std_block_on => aiofiles::AsyncStd,
        },
        tests: { dev_full },
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Paths that fail: refused, missing parents, directories, too long, not UTF-8

/// Runs the test `name`'s `body` as an unprivileged user: here if this process is one (root
/// ignores permission bits); otherwise in a new process of this test binary running as
/// `nobody`, whose success is checked; skipped ([`common::skip`]) when neither is possible.
#[cfg(unix)]
fn unprivileged(name: &str, body: impl FnOnce()) {
    if !common::privileged() {
        body();
        return;
    }
    if common::in_child() {
        common::skip(name, "still privileged as user nobody");
        return;
    }
    match common::rerun_alone(name, Some(65534)) {
        Ok(output) => {
            let stdout = common::assert_child_passed(name, &output);
            eprintln!("`{name}` ran as user nobody in a child process: {stdout}");
        }
        Err(err) => {
            common::skip(
                name,
                &format!("privileged, and cannot run as user nobody: {err}"),
            );
        }
    }
}

/// Permission denied, for reading, writing, creating, listing and removing: std's kind and
/// message, the path named, the OS error as the source.
#[cfg(unix)]
async fn permission_denied<E: Executor>(exec: E) {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempdir();
    let e = || exec.clone();
    let chmod = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };

    // A file nobody may read or write.
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    chmod(&secret, 0o000);
    let err = aiofiles::open(&secret, "r").on(e()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    let theirs = std::fs::File::open(&secret).unwrap_err();
    common::assert_same_error(&err, &theirs, "open", &[&secret]);
    let err = aiofiles::open(&secret, "w").on(e()).await.unwrap_err();
    let theirs = std::fs::File::create(&secret).unwrap_err();
    common::assert_same_error(&err, &theirs, "open", &[&secret]);
    let err = fs::read(&secret).on(e()).await.unwrap_err();
    let theirs = std::fs::read(&secret).unwrap_err();
    common::assert_same_error(&err, &theirs, "read", &[&secret]);
    let err = fs::write(&secret, "x").on(e()).await.unwrap_err();
    let theirs = std::fs::write(&secret, "x").unwrap_err();
    common::assert_same_error(&err, &theirs, "write", &[&secret]);
    assert!(os::access(&secret, os::F_OK).on(e()).await.unwrap());
    assert!(!os::access(&secret, os::R_OK).on(e()).await.unwrap());
    assert!(!os::access(&secret, os::W_OK).on(e()).await.unwrap());

    // A directory nobody may write into.
    let ro = dir.path().join("read-only");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("existing"), "x").unwrap();
    chmod(&ro, 0o500);
    let new = ro.join("new.txt");
    let err = aiofiles::open(&new, "w").on(e()).await.unwrap_err();
    let theirs = std::fs::File::create(&new).unwrap_err();
    common::assert_same_error(&err, &theirs, "open", &[&new]);
    let err = aiofiles::open(&new, "x+").on(e()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    let err = fs::create_dir(ro.join("sub")).on(e()).await.unwrap_err();
    let theirs = std::fs::create_dir(ro.join("sub")).unwrap_err();
    common::assert_same_error(&err, &theirs, "create directory", &[&ro.join("sub")]);
    let existing = ro.join("existing");
    let err = fs::remove_file(&existing).on(e()).await.unwrap_err();
    let theirs = std::fs::remove_file(&existing).unwrap_err();
    common::assert_same_error(&err, &theirs, "remove file", &[&existing]);
    let err = aiofiles::tempfile::Builder::new()
        .tempfile_in(&ro)
        .on(e())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    assert!(!new.exists());

    // A directory nobody may list or enter.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("inside"), "x").unwrap();
    chmod(&locked, 0o000);
    let err = fs::read_dir(&locked).on(e()).await.unwrap_err();
    let theirs = std::fs::read_dir(&locked).unwrap_err();
    common::assert_same_error(&err, &theirs, "read directory", &[&locked]);
    let err = os::listdir(&locked).on(e()).await.unwrap_err();
    common::assert_same_error(&err, &theirs, "read directory", &[&locked]);
    let inside = locked.join("inside");
    let err = fs::metadata(&inside).on(e()).await.unwrap_err();
    let theirs = std::fs::metadata(&inside).unwrap_err();
    common::assert_same_error(&err, &theirs, "read metadata of", &[&inside]);
    let err = fs::try_exists(&inside).on(e()).await.unwrap_err();
    let theirs = std::fs::exists(&inside).unwrap_err();
    common::assert_same_error(&err, &theirs, "check existence of", &[&inside]);
    // Python's os.path: an OS error is `false`.
    assert!(!os::path::exists(&inside).on(e()).await.unwrap());
    assert!(!os::path::isfile(&inside).on(e()).await.unwrap());
    // A walk reports the locked directory as one error item and goes on.
    let items: Vec<_> = fs::walk(dir.path()).on(e()).collect().await;
    let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(errors.len(), 1, "{items:?}");
    assert_eq!(errors[0].kind(), io::ErrorKind::PermissionDenied);
    assert!(errors[0].to_string().contains(&*locked.to_string_lossy()));

    // Put the permissions back so that the directory can be removed.
    chmod(&ro, 0o700);
    chmod(&locked, 0o700);
}

#[cfg(unix)]
#[test]
fn permission_denied_names_the_path() {
    unprivileged("permission_denied_names_the_path", || {
        common::run(|| permission_denied(Blocking));
        common::run(|| permission_denied(Inline));
    });
}

/// A parent directory that does not exist: `NotFound`, the full path named, as std.
async fn missing_parents<E: Executor>(exec: E) {
    let dir = tempdir();
    let e = || exec.clone();
    let existing = dir.path().join("existing.txt");
    std::fs::write(&existing, "here").unwrap();
    let p = dir.path().join("no/such/parent/file.txt");

    for mode in ["w", "a", "x", "w+", "r+"] {
        let err = aiofiles::open(&p, mode).on(e()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{mode}");
        let theirs = std::fs::File::create(&p).unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[&p]);
    }
    let err = fs::write(&p, "x").on(e()).await.unwrap_err();
    let theirs = std::fs::write(&p, "x").unwrap_err();
    common::assert_same_error(&err, &theirs, "write", &[&p]);
    let sub = dir.path().join("no/sub");
    let err = fs::create_dir(&sub).on(e()).await.unwrap_err();
    let theirs = std::fs::create_dir(&sub).unwrap_err();
    common::assert_same_error(&err, &theirs, "create directory", &[&sub]);
    let err = fs::copy(&existing, &p).on(e()).await.unwrap_err();
    let theirs = std::fs::copy(&existing, &p).unwrap_err();
    common::assert_same_error(&err, &theirs, "copy", &[&existing, &p]);
    let err = fs::rename(&existing, &p).on(e()).await.unwrap_err();
    let theirs = std::fs::rename(&existing, &p).unwrap_err();
    common::assert_same_error(&err, &theirs, "rename", &[&existing, &p]);
    let err = aiofiles::tempfile::Builder::new()
        .tempfile_in(dir.path().join("no"))
        .on(e())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    assert!(!dir.path().join("no").exists(), "nothing was created");

    // A temp file persisted under a missing parent: the error, and the file back, usable.
    let mut named = aiofiles::tempfile::NamedTempFile::new()
        .on(e())
        .await
        .unwrap();
    named.write_all(b"kept").await.unwrap();
    let failed = named.persist(&p).await.unwrap_err();
    let theirs = std::fs::rename(&existing, &p).unwrap_err();
    assert_eq!(failed.error.kind(), theirs.kind());
    assert!(failed.error.to_string().contains(&*p.to_string_lossy()));
    let mut named = failed.file;
    assert!(named.path().exists());
    named.write_all(b" and more").await.unwrap();
    named.seek(io::SeekFrom::Start(0)).await.unwrap();
    let mut text = String::new();
    named.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "kept and more");
    let temp_path = named.path().to_owned();
    named.close().await.unwrap();
    assert!(!temp_path.exists());

    // os::renames and os::makedirs create the parents.
    os::makedirs(dir.path().join("no/such"), false)
        .on(e())
        .await
        .unwrap();
    os::renames(&existing, &p).on(e()).await.unwrap();
    assert_eq!(read(&p), b"here");
}

#[test]
fn missing_parent_directories() {
    common::run(|| missing_parents(Blocking));
    common::run(|| missing_parents(Inline));
}

/// A path that is a directory: opening it for writing is `IsADirectory`; opening it for
/// reading works (as std) and reading fails, naming the path.
async fn a_directory<E: Executor>(exec: E) {
    let dir = tempdir();
    let e = || exec.clone();
    let d = dir.path().join("a-directory");
    std::fs::create_dir(&d).unwrap();

    for mode in ["w", "a", "r+", "w+"] {
        let err = aiofiles::open(&d, mode).on(e()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory, "{mode}: {err}");
        let theirs = std::fs::File::create(&d).unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[&d]);
    }
    let err = aiofiles::open(&d, "x").on(e()).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

    // Read through the buffered path and through read_to_end.
    let mut std_dir = std::fs::File::open(&d).unwrap();
    let theirs = std_dir.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(theirs.kind(), io::ErrorKind::IsADirectory);
    let mut f = aiofiles::open(&d, "r").on(e()).await.unwrap();
    let err = f.read(&mut [0; 16]).await.unwrap_err();
    common::assert_same_error(&err, &theirs, "read", &[&d]);
    let err = f.read_to_end(&mut Vec::new()).await.unwrap_err();
    common::assert_same_error(&err, &theirs, "read", &[&d]);
    f.close().await.unwrap();

    let err = fs::read(&d).on(e()).await.unwrap_err();
    common::assert_same_error(&err, &std::fs::read(&d).unwrap_err(), "read", &[&d]);
    let err = fs::read_to_string(&d).on(e()).await.unwrap_err();
    let theirs = std::fs::read_to_string(&d).unwrap_err();
    common::assert_same_error(&err, &theirs, "read", &[&d]);
    let err = fs::write(&d, "x").on(e()).await.unwrap_err();
    let theirs = std::fs::write(&d, "x").unwrap_err();
    common::assert_same_error(&err, &theirs, "write", &[&d]);
    let err = fs::remove_file(&d).on(e()).await.unwrap_err();
    let theirs = std::fs::remove_file(&d).unwrap_err();
    common::assert_same_error(&err, &theirs, "remove file", &[&d]);
    assert!(d.is_dir());
}

#[test]
fn a_path_that_is_a_directory() {
    common::run(|| a_directory(Blocking));
    common::run(|| a_directory(Inline));
}

/// A name longer than 255 bytes, and a path longer than `PATH_MAX`: the OS's "File name too
/// long" (`ENAMETOOLONG`), with std's kind.
async fn too_long<E: Executor>(exec: E) {
    let dir = tempdir();
    let e = || exec.clone();
    let long_name = dir.path().join("n".repeat(300));
    let long_path = dir.path().join("d/".repeat(2100)).join("f");

    for p in [&long_name, &long_path] {
        let err = aiofiles::open(p, "w").on(e()).await.unwrap_err();
        let theirs = std::fs::File::create(p).unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[p]);
        #[cfg(target_os = "linux")]
        {
            assert_eq!(common::source_of(&err).raw_os_error(), Some(36));
            assert!(err.to_string().contains("File name too long"), "{err}");
        }
        let err = aiofiles::open(p, "r").on(e()).await.unwrap_err();
        let theirs = std::fs::File::open(p).unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[p]);
        let err = fs::write(p, "x").on(e()).await.unwrap_err();
        let theirs = std::fs::write(p, "x").unwrap_err();
        common::assert_same_error(&err, &theirs, "write", &[p]);
        let err = fs::metadata(p).on(e()).await.unwrap_err();
        let theirs = std::fs::metadata(p).unwrap_err();
        common::assert_same_error(&err, &theirs, "read metadata of", &[p]);
        let err = fs::create_dir(p).on(e()).await.unwrap_err();
        let theirs = std::fs::create_dir(p).unwrap_err();
        common::assert_same_error(&err, &theirs, "create directory", &[p]);
        #[cfg(unix)]
        assert!(!os::path::exists(p).on(e()).await.unwrap());
    }
}

#[test]
fn a_name_too_long() {
    common::run(|| too_long(Blocking));
    common::run(|| too_long(Inline));
}

/// A file name that is not UTF-8: created, read, listed, walked and renamed like any other;
/// errors print it lossily.
#[cfg(unix)]
async fn not_utf8<E: Executor>(exec: E) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let dir = tempdir();
    let e = || exec.clone();
    let name = OsStr::from_bytes(b"caf\xe9-\xff.txt");
    assert!(name.to_str().is_none());
    let p = dir.path().join(name);

    fs::write(&p, "bytes").on(e()).await.unwrap();
    assert_eq!(read(&p), b"bytes");
    let mut f = aiofiles::open(&p, "a+").on(e()).await.unwrap();
    assert_eq!(f.path(), Some(p.as_path()));
    f.write_all(b" more").await.unwrap();
    f.seek(io::SeekFrom::Start(0)).await.unwrap();
    let mut text = String::new();
    f.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "bytes more");
    f.close().await.unwrap();
    assert_eq!(fs::read(&p).on(e()).await.unwrap(), b"bytes more");

    assert_eq!(
        os::listdir(dir.path()).on(e()).await.unwrap(),
        [name.to_os_string()]
    );
    let entries: Vec<_> = fs::read_dir(dir.path())
        .on(e())
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(entries.len(), 1);
    let entry = entries.into_iter().next().unwrap().unwrap();
    assert_eq!(entry.file_name(), *name);
    assert_eq!(entry.path(), p);
    assert_eq!(entry.metadata().await.unwrap().len(), 10);
    let walked: Vec<_> = fs::walk(dir.path()).min_depth(1).on(e()).collect().await;
    assert_eq!(walked.len(), 1);
    assert_eq!(walked[0].as_ref().unwrap().file_name(), name);

    let other = dir.path().join(OsStr::from_bytes(b"\xfe\xfd"));
    fs::rename(&p, &other).on(e()).await.unwrap();
    assert_eq!(read(&other), b"bytes more");
    assert!(!p.exists());

    // An error names the path, lossily, as `Path::display` does.
    let missing = dir.path().join(OsStr::from_bytes(b"missing-\xfe.txt"));
    let err = aiofiles::open(&missing, "r").on(e()).await.unwrap_err();
    let theirs = std::fs::File::open(&missing).unwrap_err();
    common::assert_same_error(&err, &theirs, "open", &[&missing]);
    assert!(err.to_string().contains("missing-\u{FFFD}.txt"), "{err}");
    let err = fs::copy(&missing, &p).on(e()).await.unwrap_err();
    let theirs = std::fs::copy(&missing, &p).unwrap_err();
    common::assert_same_error(&err, &theirs, "copy", &[&missing, &p]);
    assert!(
        err.to_string().contains("caf\u{FFFD}-\u{FFFD}.txt"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8() {
    common::run(|| not_utf8(Blocking));
    common::run(|| not_utf8(Inline));
}

// ---------------------------------------------------------------------------------------------
// 3. Executors that lose work

const LOST: &str = "the executor dropped the work without running it";

#[track_caller]
fn assert_lost<T: std::fmt::Debug>(result: io::Result<T>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), io::ErrorKind::Other, "{what}: {err}");
    assert_eq!(err.to_string(), LOST, "{what}");
}

/// Every kind of operation on an executor that drops every work: the lost-work error, at
/// once, and nothing done on disk.
#[test]
fn lost_work_fails_every_operation() {
    common::run(|| async {
        let dir = tempdir();
        let p = dir.path().join("p.txt");
        let existing = dir.path().join("existing.txt");
        std::fs::write(&existing, "content").unwrap();

        assert_lost(aiofiles::unblock(|| 1).on(Lossy).await, "unblock");
        let err = aiofiles::unblock(|| 1).on(Lossy).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "the executor dropped the work without running it"
        );
        // An fs operation: the same error, not a path error.
        let err = fs::read("/any/path").on(Lossy).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "the executor dropped the work without running it"
        );
        let err = fs::read_dir(".").on(Lossy).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        // A task whose completer is dropped.
        let (completer, task) = aiofiles::executor::remote_task::<u8>();
        drop(completer);
        assert_eq!(task.await.unwrap_err().kind(), io::ErrorKind::Other);
        assert_lost(fs::read(&existing).on(Lossy).await, "fs::read");
        assert_lost(fs::write(&p, "x").on(Lossy).await, "fs::write");
        assert_lost(fs::metadata(&existing).on(Lossy).await, "fs::metadata");
        assert_lost(fs::create_dir(&p).on(Lossy).await, "fs::create_dir");
        assert_lost(fs::copy(&existing, &p).on(Lossy).await, "fs::copy");
        assert_lost(fs::read_dir(dir.path()).on(Lossy).await, "fs::read_dir");
        let walked: Vec<_> = fs::walk(dir.path()).on(Lossy).collect().await;
        assert_eq!(walked.len(), 1, "one error, then the end");
        assert_lost(walked.into_iter().next().unwrap(), "fs::walk");
        assert_lost(os::listdir(dir.path()).on(Lossy).await, "os::listdir");
        #[cfg(unix)]
        {
            assert_lost(os::path::exists(&existing).on(Lossy).await, "exists");
            assert_lost(os::access(&existing, os::R_OK).on(Lossy).await, "access");
        }
        assert_lost(aiofiles::open(&p, "w").on(Lossy).await, "open");
        assert_lost(aiofiles::tempfile::tempfile().on(Lossy).await, "tempfile()");
        assert_lost(
            aiofiles::tempfile::NamedTempFile::new().on(Lossy).await,
            "NamedTempFile::new",
        );
        assert_lost(aiofiles::tempfile::tempdir().on(Lossy).await, "tempdir()");
        assert!(!p.exists(), "no lost work ran");

        // A File whose executor loses its works: each call says so, nothing is written.
        let std_file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&existing)
            .unwrap();
        let mut f = File::from_std(std_file, Lossy);
        assert_lost(f.metadata().await, "metadata");
        #[cfg(unix)]
        {
            assert_lost(f.read_at(0, 4).await, "read_at");
            assert_lost(f.write_at(0, b"XX").await, "write_at");
        }
        assert_lost(f.read(&mut [0; 4]).await, "read");
        f.write_all(b"lost").await.unwrap(); // buffered
        assert_lost(f.flush().await, "flush");
        assert_lost(f.set_len(1).await, "set_len");
        assert_lost(f.sync_all().await, "sync_all");
        assert_lost(f.try_clone().await, "try_clone");
        f.write_all(b"lost too").await.unwrap();
        assert_lost(f.close().await, "close");
        assert_eq!(read(&existing), b"content", "no lost work ran");
    });
}

/// A buffered write whose work the executor drops: the flush reports it; the file stays
/// usable, and a later write lands as if the lost one had never been made (the lost bytes are
/// reported, not written: neither they nor anything in their place reach the file).
#[test]
fn a_lost_buffered_write_is_reported_and_the_file_stays_usable() {
    common::within(TIMEOUT, || {
        let exec = ManualExecutor::new();
        let dir = tempdir();
        let p = dir.path().join("lost.txt");
        let mut f = common::drive(&exec, aiofiles::open(&p, "w").on(exec.clone())).unwrap();

        common::drive(&exec, f.write_all(b"lost!")).unwrap();
        assert_eq!(exec.pending(), 0, "buffered: nothing handed over yet");
        let err = {
            let mut flush = f.flush();
            assert!(common::poll_once(&mut flush).is_pending());
            assert_eq!(exec.drop_pending(), 1);
            match common::poll_once(&mut flush) {
                Poll::Ready(result) => result.unwrap_err(),
                Poll::Pending => panic!("a flush whose work was dropped is still pending"),
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(err.to_string(), LOST);
        assert_eq!(read(&p), b"", "the lost bytes were not written");

        // Usable afterwards: a later write and flush, run properly.
        let position = common::drive(&exec, f.stream_position()).unwrap();
        common::drive(&exec, async {
            f.write_all(b"later").await?;
            f.flush().await
        })
        .unwrap();
        common::drive(&exec, f.close()).unwrap();
        assert_eq!(
            read(&p),
            b"later",
            "only the later bytes are in the file (the position after the loss was {position})"
        );
    });
}

/// Reading a file sequentially while one of its reads (the caller's, or a read-ahead in the
/// background) is lost: one call reports the loss, and the bytes read before and after are
/// exactly the file's, none skipped or repeated.
#[test]
fn a_lost_read_is_reported_and_reading_goes_on() {
    common::within(TIMEOUT, || {
        let content = common::pattern(5, 6_000_000);
        for drop_at in [10_000, 30_000, 100_000, 250_000, 1_000_000, 2_000_000] {
            let exec = ManualExecutor::new();
            let dir = tempdir();
            let p = dir.path().join("read.bin");
            std::fs::write(&p, &content).unwrap();
            let mut f = common::drive(&exec, aiofiles::open(&p, "r").on(exec.clone())).unwrap();
            let mut got = Vec::new();
            let mut errors = 0;
            let mut dropped = false;
            let mut buf = [0; 5000];
            loop {
                if !dropped && got.len() >= drop_at && exec.pending() > 0 {
                    // A read-ahead in the background: lost.
                    exec.drop_pending();
                    dropped = true;
                }
                let result = {
                    let mut read = f.read(&mut buf);
                    loop {
                        match common::poll_once(&mut read) {
                            Poll::Ready(result) => break result,
                            Poll::Pending if !dropped && got.len() >= drop_at => {
                                // The caller's own read: lost.
                                assert!(exec.drop_pending() > 0);
                                dropped = true;
                            }
                            Poll::Pending => {
                                assert!(exec.run_all() > 0, "pending with nothing queued")
                            }
                        }
                    }
                };
                match result {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(err) => {
                        assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
                        assert_eq!(err.to_string(), LOST);
                        errors += 1;
                    }
                }
                assert!(got.len() <= content.len(), "more bytes than the file has");
            }
            assert!(dropped, "a read was lost at {drop_at}");
            assert_eq!(errors, 1, "the loss at {drop_at} is reported once");
            assert_eq!(got.len(), content.len(), "lost at {drop_at}");
            assert!(
                got == content,
                "the bytes read differ from the file's (lost at {drop_at})"
            );
            let position = common::drive(&exec, f.stream_position()).unwrap();
            assert_eq!(position, content.len() as u64, "lost at {drop_at}");
        }
    });
}

/// The same with `buffer_size(0)`: the write itself reports the loss.
#[test]
fn a_lost_unbuffered_write_is_reported_and_the_file_stays_usable() {
    common::within(TIMEOUT, || {
        let exec = ManualExecutor::new();
        let dir = tempdir();
        let p = dir.path().join("lost.txt");
        let open = OpenOptions::new()
            .write(true)
            .create(true)
            .buffer_size(0)
            .open(&p)
            .on(exec.clone());
        let mut f = common::drive(&exec, open).unwrap();
        let err = {
            let mut write = f.write(b"lost!");
            assert!(common::poll_once(&mut write).is_pending());
            assert_eq!(exec.drop_pending(), 1);
            match common::poll_once(&mut write) {
                Poll::Ready(result) => result.unwrap_err(),
                Poll::Pending => panic!("a write whose work was dropped is still pending"),
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(err.to_string(), LOST);
        assert_eq!(common::drive(&exec, f.stream_position()).unwrap(), 0);
        common::drive(&exec, f.write_all(b"later")).unwrap();
        assert_eq!(read(&p), b"later");
        common::drive(&exec, f.close()).unwrap();
        assert_eq!(read(&p), b"later");
    });
}

/// An executor that shuts down and comes back: the writes lost meanwhile are reported, and
/// the ones after land as if they had never been made.
#[test]
fn writes_lost_while_the_executor_was_closed() {
    common::run(|| async {
        let exec = Closable::default();
        let dir = tempdir();
        let p = dir.path().join("closable.txt");
        let mut f = aiofiles::open(&p, "w").on(exec.clone()).await.unwrap();
        f.write_all(b"kept ").await.unwrap();
        f.flush().await.unwrap();

        exec.close();
        f.write_all(b"lost").await.unwrap();
        assert_lost(f.flush().await, "flush on a closed executor");
        assert_lost(f.metadata().await, "metadata on a closed executor");

        exec.reopen();
        let position = f.stream_position().await.unwrap();
        f.write_all(b"after").await.unwrap();
        f.close().await.unwrap();
        assert_eq!(
            read(&p),
            b"kept after",
            "the position after the loss was {position}"
        );
    });
}

/// A spooled file whose rollover is lost keeps its data in memory, unchanged, and rolls over
/// once the executor runs work again.
#[test]
fn a_lost_rollover_keeps_the_data_in_memory() {
    common::run(|| async {
        use aiofiles::tempfile::SpooledTempFile;

        let exec = Closable::default();
        let mut spooled = SpooledTempFile::new(8).on(exec.clone());
        spooled.write_all(b"12345678").await.unwrap();
        exec.close();
        assert_lost(spooled.write_all(b"9").await, "a write past max_size");
        assert!(!spooled.is_rolled());
        assert_lost(spooled.rollover().await, "rollover");
        assert!(!spooled.is_rolled());
        assert_eq!(spooled.stream_position().await.unwrap(), 8);

        exec.reopen();
        spooled.write_all(b"9").await.unwrap();
        assert!(spooled.is_rolled());
        spooled.seek(io::SeekFrom::Start(0)).await.unwrap();
        let mut all = Vec::new();
        AsyncReadExt::read_to_end(&mut spooled, &mut all)
            .await
            .unwrap();
        assert_eq!(all, b"123456789");
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Panics in user code: `suite::panic_is_reraised` of tests/executors.rs, on every executor

// ---------------------------------------------------------------------------------------------
// 5. A tokio runtime shut down under a file's operation

#[cfg(feature = "tokio")]
mod tokio_shutdown {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Once};
    use std::thread;
    use std::time::{Duration, Instant};

    use aiofiles::Tokio;

    /// The names of the runtimes' threads here.
    const RT_NAME: &str = "aiofiles-faults-rt";

    /// Panics seen on the runtimes' threads.
    static RT_PANICS: AtomicUsize = AtomicUsize::new(0);

    /// Counts panics on threads named [`RT_NAME`], then reports them as before.
    fn count_runtime_panics() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if thread::current()
                    .name()
                    .is_some_and(|n| n.starts_with(RT_NAME))
                {
                    RT_PANICS.fetch_add(1, Ordering::SeqCst);
                }
                previous(info);
            }));
        });
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .thread_name(RT_NAME)
            .build()
            .unwrap()
    }

    /// How a write + flush under way when the runtime shuts down may end: done, or the
    /// shut-down error.
    #[track_caller]
    fn assert_done_or_shut_down(result: io::Result<()>, path: &Path, data: &[u8]) {
        match result {
            Ok(()) => assert_eq!(read(path).len(), data.len()),
            Err(err) => {
                assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
                assert!(err.to_string().contains("shut down"), "{err}");
            }
        }
    }

    /// Opens a file on `rt` from outside it, starts writing `data` and flushing (polled once,
    /// so work is handed over), runs `before_shutdown`, shuts the runtime down, then awaits
    /// the write from `futures::executor::block_on`: it ends in bounded time, done or with
    /// the shut-down error. The file then keeps failing with that error (no hang), and drops
    /// without a panic.
    fn write_through_shutdown(busy: bool) {
        count_runtime_panics();
        let rt = runtime();
        let exec = Tokio::new(rt.handle().clone());
        let dir = tempdir();
        let p = dir.path().join("shutdown.bin");
        let mut file = futures::executor::block_on(aiofiles::open(&p, "w").on(exec.clone()))
            .expect("open on the runtime");

        // With `busy`, the runtime's one blocking thread is taken: the write waits in its
        // queue when the runtime shuts down.
        let (started_tx, started_rx) = mpsc::channel();
        let sleeper = busy.then(|| {
            let mut sleeper = Box::pin(
                aiofiles::unblock(move || {
                    started_tx.send(()).unwrap();
                    thread::sleep(Duration::from_millis(300));
                })
                .on(exec.clone()),
            );
            assert!(common::poll_once(&mut sleeper).is_pending());
            started_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            sleeper
        });

        let data = common::pattern(11, 3 * 1024 * 1024);
        let result = {
            let mut write = Box::pin(async {
                file.write_all(&data).await?;
                file.flush().await
            });
            let first = common::poll_once(&mut write);
            rt.shutdown_background();
            let started = Instant::now();
            let result = match first {
                Poll::Ready(result) => result,
                Poll::Pending => futures::executor::block_on(write),
            };
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "took {:?}",
                started.elapsed()
            );
            result
        };
        assert_done_or_shut_down(result, &p, &data);

        // The runtime is gone: later calls fail at once with the shut-down error.
        let started = Instant::now();
        futures::executor::block_on(async {
            // Buffered, or (with bytes still buffered from before) failing at once.
            let err = match file.write_all(b"after the shutdown").await {
                Ok(()) => file.flush().await.unwrap_err(),
                Err(err) => err,
            };
            assert_eq!(err.kind(), io::ErrorKind::Other);
            assert!(err.to_string().contains("shut down"), "{err}");
            let err = file.metadata().await.unwrap_err();
            assert!(err.to_string().contains("shut down"), "{err}");
            if let Some(sleeper) = sleeper {
                // Handed over before the shutdown: ran to the end.
                sleeper.await.unwrap();
            }
        });
        assert!(started.elapsed() < Duration::from_secs(10));
        let written = futures::FutureExt::now_or_never(file.write_all(b"buffered when dropped"))
            .expect("buffered, or failing at once: never pending");
        if let Err(err) = written {
            assert!(err.to_string().contains("shut down"), "{err}");
        }
        drop(file);

        // Let the runtime's threads finish what they had, then check none of them panicked.
        thread::sleep(Duration::from_millis(400));
        assert_eq!(
            RT_PANICS.load(Ordering::SeqCst),
            0,
            "a runtime thread panicked"
        );
    }

    #[test]
    fn shutdown_while_a_write_is_in_flight() {
        common::within(Duration::from_secs(30), || write_through_shutdown(false));
    }

    #[test]
    fn shutdown_while_a_write_is_queued() {
        common::within(Duration::from_secs(30), || write_through_shutdown(true));
    }

    /// A file opened on a runtime that then shuts down with nothing in flight: every later
    /// operation fails with the shut-down error, at once; close too.
    #[test]
    fn shutdown_before_the_write() {
        common::within(Duration::from_secs(30), || {
            count_runtime_panics();
            let rt = runtime();
            let exec = Tokio::new(rt.handle().clone());
            let dir = tempdir();
            let p = dir.path().join("before.txt");
            let mut file = futures::executor::block_on(aiofiles::open(&p, "w").on(exec)).unwrap();
            rt.shutdown_background();
            futures::executor::block_on(async {
                file.write_all(b"never").await.unwrap();
                let err = file.close().await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Other);
                assert_eq!(
                    err.to_string(),
                    "the tokio runtime shut down before the work could run"
                );
            });
            assert_eq!(read(&p), b"");
            thread::sleep(Duration::from_millis(100));
            assert_eq!(
                RT_PANICS.load(Ordering::SeqCst),
                0,
                "a runtime thread panicked"
            );
        });
    }
}
