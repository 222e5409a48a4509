//! One conformance suite for files, `fs`, `os`, temporary files and walks, run once per
//! executor: `Blocking`, `Inline`, `Limit` over `Blocking`, `Tokio` in a multi-thread and in a
//! current-thread runtime, `AsyncStd`, and a user-written executor (`ThreadPerJob`).
//!
//! Each test gets the executor under test wrapped in [`Counted`], which records the thread of
//! every work handed to it. So each test checks, besides its exact values, that the objects it
//! opens keep the executor they were opened on (the very same one: `file.executor()` shares the
//! record, and equals the executor under test), and at its end that every work ran where that
//! executor runs work (the polling thread for `Inline`, the pool's named threads otherwise).
//!
//! Adding an executor is one entry of the `matrix!` near the end of this file.

mod common;

use std::io::{self, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Duration;

use aiofiles::executor::Executor;
use aiofiles::testing::ManualExecutor;
use aiofiles::{Blocking, File, Inline, Limit, OpenOptions};
use futures::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, TryStreamExt};

use common::{tempdir, ThreadPerJob};

/// Where an executor runs its works.
#[derive(Clone, Copy, Debug)]
enum Runs {
    /// On the thread that polls the operation.
    Caller,
    /// On other threads, whose names start with this.
    Named(&'static str),
}

/// The threads works ran on: id and name.
type Log = Arc<Mutex<Vec<(ThreadId, Option<String>)>>>;

/// The executor under test, recording the thread of every work it is handed. Clones share
/// the record.
#[derive(Clone, Debug)]
struct Counted<E> {
    inner: E,
    log: Log,
}

impl<E: Executor> Executor for Counted<E> {
    type Task<T: Send + 'static> = E::Task<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> E::Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let log = Arc::clone(&self.log);
        self.inner.spawn_blocking(move || {
            let here = thread::current();
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((here.id(), here.name().map(str::to_owned)));
            work()
        })
    }
}

/// The executor under test and what is known of it.
struct Target<E: Executor> {
    exec: Counted<E>,
    /// Whether two values are the same executor (for `Limit`: the same bound over the same
    /// pool; for `Tokio`: the same runtime).
    same: fn(&E, &E) -> bool,
    runs: Runs,
    /// The thread that polls the test.
    caller: ThreadId,
}

impl<E: Executor> Target<E> {
    /// Call on the thread that polls the test.
    fn new(exec: E, same: fn(&E, &E) -> bool, runs: Runs) -> Self {
        Target {
            exec: Counted {
                inner: exec,
                log: Arc::default(),
            },
            same,
            runs,
            caller: thread::current().id(),
        }
    }

    /// The executor to bind operations to.
    fn e(&self) -> Counted<E> {
        self.exec.clone()
    }

    /// How many works were handed to the executor so far.
    fn hops(&self) -> usize {
        self.exec
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// `other`, an object's executor, is the executor under test.
    #[track_caller]
    fn assert_kept(&self, other: &Counted<E>) {
        assert!(
            Arc::ptr_eq(&self.exec.log, &other.log),
            "the object does not use the executor it was opened on"
        );
        assert!(
            (self.same)(&self.exec.inner, &other.inner),
            "the object's executor differs from the executor under test"
        );
    }

    /// Every work handed over so far ran where the executor runs works.
    #[track_caller]
    fn assert_ran_where_expected(&self) {
        let log = self.exec.log.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(!log.is_empty(), "no work reached the executor");
        for (id, name) in log.iter() {
            match self.runs {
                Runs::Caller => assert_eq!(*id, self.caller, "a work ran on {name:?}"),
                Runs::Named(prefix) => {
                    assert_ne!(*id, self.caller, "a work ran on the polling thread");
                    assert!(
                        name.as_deref().is_some_and(|n| n.starts_with(prefix)),
                        "a work ran on thread {name:?}, not on a `{prefix}*` thread"
                    );
                }
            }
        }
    }
}

#[track_caller]
fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[cfg(unix)]
#[track_caller]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `n` numbered lines, `"line 0\n"` first.
fn numbered_lines(n: usize) -> String {
    (0..n).map(|i| format!("line {i}\n")).collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers of the coherence tests (what a read sees: DESIGN §3)

/// How a coherence test opens its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Buffers {
    /// The default, adaptive buffers (`aiofiles::open`).
    Default,
    /// `buffer_size(0)`: one hand-off per call.
    Unbuffered,
    /// `buffer_size(n)`: small fixed buffers, so that reads fill them often.
    Fixed(usize),
}

const BUFFERS: [Buffers; 3] = [Buffers::Default, Buffers::Unbuffered, Buffers::Fixed(64)];

/// Opens `path` with a Python mode (`rb`, `rb+` or `ab+`) and `buffers`, on the executor
/// under test.
async fn open_with<E: Executor>(
    t: &Target<E>,
    path: &Path,
    mode: &str,
    buffers: Buffers,
) -> File<Counted<E>> {
    let mut options = OpenOptions::new();
    match mode {
        "rb" => options.read(true),
        "rb+" => options.read(true).write(true),
        "ab+" => options.read(true).append(true),
        _ => panic!("not a mode of these tests: {mode:?}"),
    };
    let opened = match buffers {
        Buffers::Default => aiofiles::open(path, mode).on(t.e()).await,
        Buffers::Unbuffered => options.buffer_size(0).open(path).on(t.e()).await,
        Buffers::Fixed(n) => options.buffer_size(n).open(path).on(t.e()).await,
    };
    let file =
        opened.unwrap_or_else(|e| panic!("open {} {mode} ({buffers:?}): {e}", path.display()));
    t.assert_kept(file.executor());
    file
}

/// Appends `bytes` to `path` through a handle of its own, as another process would.
#[track_caller]
fn append_elsewhere(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .unwrap_or_else(|e| panic!("append to {}: {e}", path.display()));
}

/// `read_exact` of `n` bytes at the cursor.
async fn take<E: Executor>(f: &mut File<E>, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    f.read_exact(&mut buf)
        .await
        .unwrap_or_else(|e| panic!("read_exact({n}): {e}"));
    buf
}

/// The inherent `File::read_to_end`.
async fn rest<E: Executor>(f: &mut File<E>) -> Vec<u8> {
    let mut buf = Vec::new();
    let n = f.read_to_end(&mut buf).await.unwrap();
    assert_eq!(n, buf.len(), "read_to_end's count");
    buf
}

/// `AsyncReadExt::read` into a buffer of `piece` bytes until it returns 0 (the end of file,
/// reported once).
async fn read_until_end<E: Executor>(f: &mut File<E>, piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0; piece];
    loop {
        match f.read(&mut buf).await.unwrap() {
            0 => return out,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn seek_to<E: Executor>(f: &mut File<E>, to: SeekFrom) -> u64 {
    f.seek(to)
        .await
        .unwrap_or_else(|e| panic!("seek({to:?}): {e}"))
}

/// `set_len(n)` or `truncate(Some(n))`, as `how` says.
async fn resize<E: Executor>(f: &mut File<E>, how: &str, n: u64) {
    match how {
        "set_len" => f.set_len(n).await.unwrap(),
        "truncate" => assert_eq!(f.truncate(Some(n)).await.unwrap(), n),
        _ => panic!("resize how? {how:?}"),
    }
}

/// `flush`, when `flush` says so.
async fn flush_if<E: Executor>(f: &mut File<E>, flush: bool) {
    if flush {
        f.flush().await.unwrap();
    }
}

/// std's answers to the three sequences of the coherence scenarios, on a twin file: the
/// reference the aiofiles results are compared with.
#[cfg(unix)]
mod twin {
    use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
    use std::os::unix::fs::FileExt as _;
    use std::path::Path;

    fn rw(path: &Path) -> std::fs::File {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap()
    }

    /// Positional write of sevens over `0..100` after reading `first` bytes; then `read_exact`
    /// of `100 - first` bytes at the cursor, and of 100 after a seek to 0.
    pub(super) fn positional(path: &Path, len: usize, first: usize) -> (Vec<u8>, Vec<u8>) {
        std::fs::write(path, vec![0; len]).unwrap();
        let mut f = rw(path);
        let mut head = vec![0; first];
        f.read_exact(&mut head).unwrap();
        f.write_all_at(&[7; 100], 0).unwrap();
        let mut here = vec![0; 100 - first];
        f.read_exact(&mut here).unwrap();
        f.seek(SeekFrom::Start(0)).unwrap();
        let mut all = vec![0; 100];
        f.read_exact(&mut all).unwrap();
        (here, all)
    }

    /// An empty file; another handle appends `abc`; a seek `to`, then `read_to_end`.
    pub(super) fn appended(path: &Path, to: SeekFrom) -> (u64, Vec<u8>) {
        std::fs::write(path, b"").unwrap();
        let mut f = rw(path);
        super::append_elsewhere(path, b"abc");
        let at = f.seek(to).unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        (at, all)
    }

    /// `try_clone`, a write of `hello` through the clone, the clone closed, the original
    /// seeked to 0 and read to the end.
    pub(super) fn cloned(path: &Path) -> Vec<u8> {
        std::fs::write(path, b"").unwrap();
        let mut f = rw(path);
        {
            let mut clone = f.try_clone().unwrap();
            clone.write_all(b"hello").unwrap();
        }
        f.seek(SeekFrom::Start(0)).unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        all
    }
}

/// The suite. Each function takes the target, and panics at the first value that differs.
mod suite {
    use super::*;

    use aiofiles::{fs, os};

    /// Every mode string and every way to open, with std's semantics.
    pub async fn open_modes<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("modes.txt");

        // `r` of a missing file: std's error, with the path.
        let err = aiofiles::open(&p, "r").on(t.e()).await.unwrap_err();
        let theirs = std::fs::File::open(&p).unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[&p]);

        // An invalid mode fails before anything is handed over.
        let before = t.hops();
        for mode in ["rw", "", "rr", "w++", "bt", "q", "rbb", "r+tb"] {
            let err = aiofiles::open(&p, mode).on(t.e()).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "mode {mode:?}");
            assert!(err.to_string().contains(&format!("`{mode}`")), "{err}");
        }
        assert_eq!(t.hops(), before, "an invalid mode reached the executor");
        assert!(!p.exists());

        // `w` creates, and truncates at the open.
        std::fs::write(&p, "old content").unwrap();
        let mut f = aiofiles::open(&p, "w").on(t.e()).await.unwrap();
        t.assert_kept(f.executor());
        assert_eq!(f.mode(), "w");
        assert_eq!(f.path(), Some(p.as_path()));
        assert_eq!(read(&p), b"");
        f.write_all(b"abc").await.unwrap();
        f.close().await.unwrap();
        assert_eq!(read(&p), b"abc");

        // `rb`: reads from the start; a write fails as std's does.
        let mut f = aiofiles::open(&p, "rb").on(t.e()).await.unwrap();
        assert_eq!(f.mode(), "rb");
        let mut text = String::new();
        assert_eq!(f.read_to_string(&mut text).await.unwrap(), 3);
        assert_eq!(text, "abc");
        let err = f.write_all(b"x").await.unwrap_err();
        let theirs =
            std::io::Write::write(&mut std::fs::File::open(&p).unwrap(), b"x").unwrap_err();
        assert_eq!(err.kind(), theirs.kind(), "{err}");
        drop(f);
        assert_eq!(read(&p), b"abc");

        // `r+`: reads and overwrites from the start.
        let mut f = aiofiles::open(&p, "r+").on(t.e()).await.unwrap();
        f.write_all(b"X").await.unwrap();
        assert_eq!(f.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "Xbc");
        f.close().await.unwrap();

        // `a`: starts at the end, and every write lands there, even after a seek.
        let mut f = aiofiles::open(&p, "a").on(t.e()).await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 3);
        f.write_all(b"de").await.unwrap();
        f.seek(SeekFrom::Start(0)).await.unwrap();
        f.write_all(b"f").await.unwrap();
        f.close().await.unwrap();
        assert_eq!(read(&p), b"Xbcdef");

        // `a+`: reads too.
        let mut f = aiofiles::open(&p, "a+").on(t.e()).await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 6);
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "Xbcdef");
        f.write_all(b"g").await.unwrap();
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "Xbcdefg");
        assert_eq!(f.stream_position().await.unwrap(), 7);
        f.close().await.unwrap();

        // `x` of an existing file: std's error.
        let err = aiofiles::open(&p, "x").on(t.e()).await.unwrap_err();
        let theirs = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .unwrap_err();
        common::assert_same_error(&err, &theirs, "open", &[&p]);
        assert_eq!(read(&p), b"Xbcdefg");

        // `xb+` creates, reads and writes.
        let q = dir.path().join("new.txt");
        let mut f = aiofiles::open(&q, "xb+").on(t.e()).await.unwrap();
        assert_eq!(f.mode(), "xb+");
        f.write_all(b"new").await.unwrap();
        f.seek(SeekFrom::Start(1)).await.unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "ew");
        f.close().await.unwrap();
        assert_eq!(read(&q), b"new");

        // `w+t` truncates, reads and writes.
        let mut f = aiofiles::open(&p, "w+t").on(t.e()).await.unwrap();
        assert_eq!(f.mode(), "w+t");
        f.write_all(b"hello").await.unwrap();
        f.seek(SeekFrom::Start(1)).await.unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "ello");
        f.close().await.unwrap();
        assert_eq!(read(&p), b"hello");

        // `File::open`, `File::create`, `File::options`.
        let f = File::open(&p).on(t.e()).await.unwrap();
        t.assert_kept(f.executor());
        assert_eq!(f.mode(), "rb");
        drop(f);
        let f = File::create(&q).on(t.e()).await.unwrap();
        t.assert_kept(f.executor());
        assert_eq!(f.mode(), "wb");
        assert_eq!(read(&q), b"");
        drop(f);
        let r = dir.path().join("options.txt");
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .open(&r)
            .on(t.e())
            .await
            .unwrap();
        t.assert_kept(f.executor());
        assert_eq!(f.mode(), "rb+");
        f.write_all(b"opts").await.unwrap();
        f.close().await.unwrap();
        assert_eq!(read(&r), b"opts");

        // `buffer_size(0)`: a write is on the OS when it returns.
        let mut f = OpenOptions::new()
            .write(true)
            .append(true)
            .buffer_size(0)
            .open(&r)
            .on(t.e())
            .await
            .unwrap();
        assert_eq!(f.mode(), "ab");
        f.write_all(b"+more").await.unwrap();
        assert_eq!(read(&r), b"opts+more");
        f.close().await.unwrap();

        // Opened on the raw executor (not wrapped), a file keeps that one too.
        let raw = t.exec.inner.clone();
        let f = aiofiles::open(&r, "r").on(raw.clone()).await.unwrap();
        assert!((t.same)(f.executor(), &raw));
    }

    /// Writes, reads, seeks, lines, `read_to_end`, a write in the middle.
    pub async fn write_read_seek_lines<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("lines.txt");
        let expected = numbered_lines(3000);

        let mut f = aiofiles::open(&p, "w+").on(t.e()).await.unwrap();
        for i in 0..3000 {
            f.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
        }
        assert_eq!(
            f.stream_position().await.unwrap(),
            expected.len() as u64,
            "the position counts buffered writes"
        );
        f.flush().await.unwrap();
        assert_eq!(read(&p), expected.as_bytes());

        assert_eq!(f.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        let mut seven = [0; 7];
        f.read_exact(&mut seven).await.unwrap();
        assert_eq!(&seven, b"line 0\n");
        assert_eq!(f.stream_position().await.unwrap(), 7);
        assert_eq!(f.seek(SeekFrom::Current(7)).await.unwrap(), 14);
        f.read_exact(&mut seven).await.unwrap();
        assert_eq!(&seven, b"line 2\n");
        let end = expected.len() as u64;
        assert_eq!(f.seek(SeekFrom::End(-10)).await.unwrap(), end - 10);
        let mut tail = String::new();
        f.read_to_string(&mut tail).await.unwrap();
        assert_eq!(tail, "line 2999\n");
        assert_eq!(f.stream_position().await.unwrap(), end);
        let mut nothing = [0; 4];
        assert_eq!(f.read(&mut nothing).await.unwrap(), 0, "at the end");

        // Lines, through `&mut File`.
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let lines: Vec<String> = (&mut f).lines().try_collect().await.unwrap();
        assert_eq!(lines.len(), 3000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[1234], "line 1234");
        assert_eq!(lines[2999], "line 2999");

        // read_line after a seek into the middle of a line.
        f.seek(SeekFrom::Start(
            expected.find("line 1500").unwrap() as u64 + 5,
        ))
        .await
        .unwrap();
        let mut line = String::new();
        assert_eq!(f.read_line(&mut line).await.unwrap(), 5);
        assert_eq!(line, "1500\n");

        // The inherent read_to_end from the start.
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let mut all = Vec::new();
        assert_eq!(f.read_to_end(&mut all).await.unwrap(), expected.len());
        assert_eq!(all, expected.as_bytes());

        // Overwrite in the middle, then read across it.
        f.seek(SeekFrom::Start(5)).await.unwrap();
        f.write_all(b"X").await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 6);
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let mut first = [0; 14];
        f.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"line X\nline 1\n");
        f.close().await.unwrap();
        let mut changed = expected.clone().into_bytes();
        changed[5] = b'X';
        assert_eq!(read(&p), changed);
    }

    /// `truncate` (Python's), `set_len`, `sync_all`, `sync_data`, `metadata`,
    /// `set_permissions`, `is_terminal`.
    pub async fn truncate_set_len_sync_metadata<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("sizes.bin");
        std::fs::write(&p, "0123456789").unwrap();
        let mut f = aiofiles::open(&p, "r+").on(t.e()).await.unwrap();
        assert!(!f.is_terminal());

        // At the cursor by default; the cursor stays.
        f.seek(SeekFrom::Start(4)).await.unwrap();
        assert_eq!(f.truncate(None).await.unwrap(), 4);
        assert_eq!(f.stream_position().await.unwrap(), 4);
        assert_eq!(read(&p), b"0123");
        assert_eq!(f.truncate(Some(2)).await.unwrap(), 2);
        assert_eq!(f.stream_position().await.unwrap(), 4);
        assert_eq!(read(&p), b"01");

        // A write at the cursor, past the end, leaves a hole.
        f.write_all(b"ab").await.unwrap();
        f.flush().await.unwrap();
        assert_eq!(read(&p), b"01\0\0ab");

        // truncate flushes first.
        f.write_all(b"zz").await.unwrap();
        assert_eq!(f.truncate(None).await.unwrap(), 8);
        assert_eq!(read(&p), b"01\0\0abzz");

        f.set_len(10).await.unwrap();
        assert_eq!(read(&p), b"01\0\0abzz\0\0");
        assert_eq!(f.stream_position().await.unwrap(), 8);
        f.set_len(3).await.unwrap();
        assert_eq!(read(&p), b"01\0");

        f.write_all(b"!").await.unwrap();
        f.sync_all().await.unwrap();
        assert_eq!(read(&p), b"01\0\0\0\0\0\0!", "sync_all flushes first");
        f.write_all(b"?").await.unwrap();
        f.sync_data().await.unwrap();
        assert_eq!(read(&p), b"01\0\0\0\0\0\0!?", "sync_data flushes first");

        let meta = f.metadata().await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 10);
        assert_eq!(meta.len(), std::fs::metadata(&p).unwrap().len());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o640))
                .await
                .unwrap();
            assert_eq!(mode_of(&p), 0o640);
            assert_eq!(
                f.metadata().await.unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        f.close().await.unwrap();
    }

    /// `read_at`, `read_exact_at`, `write_at`, `write_all_at`: no cursor change.
    #[cfg(unix)]
    pub async fn positional_io<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("positional.bin");
        std::fs::write(&p, "0123456789").unwrap();
        let f = aiofiles::open(&p, "r+").on(t.e()).await.unwrap();

        let (a, b) = futures::try_join!(f.read_at(2, 3), f.read_at(8, 10)).unwrap();
        assert_eq!(a, b"234");
        assert_eq!(b, b"89", "short only at the end");
        assert_eq!(f.read_at(20, 4).await.unwrap(), b"");
        assert_eq!(f.read_exact_at(4, 2).await.unwrap(), b"45");
        let err = f.read_exact_at(8, 5).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);

        assert_eq!(f.write_at(0, b"ab").await.unwrap(), 2);
        futures::try_join!(f.write_all_at(8, b"yz"), f.write_all_at(12, b"!!")).unwrap();
        assert_eq!(read(&p), b"ab234567yz\0\0!!");

        let mut f = f;
        assert_eq!(
            f.stream_position().await.unwrap(),
            0,
            "the cursor did not move"
        );
        // The cursor reads see the positional writes, over the head read at the open.
        let mut all = Vec::new();
        f.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"ab234567yz\0\0!!");
        f.close().await.unwrap();
    }

    /// `try_clone`, `into_std`, `from_std`, `close`.
    pub async fn clone_into_std_from_std_close<E: Executor>(t: &Target<E>) {
        use std::io::{Read as _, Seek as _};

        let dir = tempdir();
        let p = dir.path().join("clone.txt");
        std::fs::write(&p, "0123456789").unwrap();

        let mut f = aiofiles::open(&p, "r").on(t.e()).await.unwrap();
        let mut two = [0; 2];
        f.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        let mut clone = f.try_clone().await.unwrap();
        t.assert_kept(clone.executor());
        assert_eq!(clone.mode(), "r");
        assert_eq!(clone.path(), Some(p.as_path()));
        clone.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"23");
        f.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"23", "the original keeps its own position");
        drop(clone);

        // into_std: the OS cursor at the logical position.
        let mut std_file = f.into_std().await.unwrap();
        assert_eq!(std_file.stream_position().unwrap(), 4);
        let mut rest = String::new();
        std_file.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "456789");

        // into_std flushes buffered writes first.
        let q = dir.path().join("into_std.txt");
        let mut f = aiofiles::open(&q, "w").on(t.e()).await.unwrap();
        f.write_all(b"flushed by into_std").await.unwrap();
        let mut std_file = f.into_std().await.unwrap();
        assert_eq!(read(&q), b"flushed by into_std");
        assert_eq!(std_file.stream_position().unwrap(), 19);

        // from_std: the executor given, no path, the std file's cursor.
        std_file.seek(SeekFrom::Start(8)).unwrap();
        let std_file = std::fs::File::open(&q).unwrap();
        let mut f = File::from_std(std_file, t.e());
        t.assert_kept(f.executor());
        assert_eq!(f.path(), None);
        assert_eq!(f.mode(), "rb");
        let mut text = String::new();
        f.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "flushed by into_std");
        f.close().await.unwrap();

        // close writes what is buffered and reports success.
        let mut f = aiofiles::open(&q, "a").on(t.e()).await.unwrap();
        f.write_all(b", then closed").await.unwrap();
        assert_eq!(read(&q), b"flushed by into_std", "still buffered");
        f.close().await.unwrap();
        assert_eq!(read(&q), b"flushed by into_std, then closed");
    }

    /// A file dropped without `close` still writes its buffered bytes, and a write in flight,
    /// in the background.
    pub async fn drop_without_close_reaches_disk<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let limit = Duration::from_secs(20);

        let p = dir.path().join("small.txt");
        let mut f = aiofiles::open(&p, "w").on(t.e()).await.unwrap();
        f.write_all(b"dropped, not closed").await.unwrap();
        drop(f);
        let got = common::wait_for_content(&p, b"dropped, not closed", limit);
        assert_eq!(got.as_deref(), Some(&b"dropped, not closed"[..]));

        // Larger than the write buffer: one part in flight, one buffered, when dropped.
        let q = dir.path().join("large.bin");
        let data = common::pattern(7, 700_000);
        let mut f = File::create(&q).on(t.e()).await.unwrap();
        f.write_all(&data).await.unwrap();
        drop(f);
        let got = common::wait_for_content(&q, &data, limit);
        assert_eq!(got.map(|d| d.len()), Some(data.len()));

        // Appending, and after a seek.
        let r = dir.path().join("seek.txt");
        std::fs::write(&r, "..........").unwrap();
        let mut f = aiofiles::open(&r, "r+").on(t.e()).await.unwrap();
        f.seek(SeekFrom::Start(3)).await.unwrap();
        f.write_all(b"abc").await.unwrap();
        drop(f);
        let mut f = aiofiles::open(&p, "a").on(t.e()).await.unwrap();
        f.write_all(b" + appended").await.unwrap();
        drop(f);
        assert_eq!(
            common::wait_for_content(&r, b"...abc....", limit).as_deref(),
            Some(&b"...abc...."[..])
        );
        assert_eq!(
            common::wait_for_content(&p, b"dropped, not closed + appended", limit).as_deref(),
            Some(&b"dropped, not closed + appended"[..])
        );
    }

    /// Every `aiofiles::fs` function once, with std's results, and `ReadDir` keeping its
    /// executor.
    pub async fn fs_functions<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let root = dir.path();
        let a = root.join("a.txt");
        let b = root.join("b.txt");
        let c = root.join("c.txt");

        fs::write(&a, "hello, world").on(t.e()).await.unwrap();
        assert_eq!(read(&a), b"hello, world");
        assert_eq!(fs::read(&a).on(t.e()).await.unwrap(), b"hello, world");
        assert_eq!(
            fs::read_to_string(&a).on(t.e()).await.unwrap(),
            "hello, world"
        );
        assert_eq!(fs::copy(&a, &b).on(t.e()).await.unwrap(), 12);
        assert_eq!(read(&b), b"hello, world");
        fs::rename(&b, &c).on(t.e()).await.unwrap();
        assert!(!b.exists());
        assert_eq!(read(&c), b"hello, world");

        let meta = fs::metadata(&c).on(t.e()).await.unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), 12);
        assert!(fs::try_exists(&c).on(t.e()).await.unwrap());
        assert!(!fs::try_exists(&b).on(t.e()).await.unwrap());

        let sub = root.join("sub");
        fs::create_dir(&sub).on(t.e()).await.unwrap();
        assert!(sub.is_dir());
        let deep = root.join("x/y/z");
        fs::create_dir_all(&deep).on(t.e()).await.unwrap();
        assert!(deep.is_dir());
        std::fs::write(deep.join("f"), "f").unwrap();

        let hard = root.join("hard.txt");
        fs::hard_link(&a, &hard).on(t.e()).await.unwrap();
        assert_eq!(read(&hard), b"hello, world");

        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            assert_eq!(std::fs::metadata(&a).unwrap().nlink(), 2);
            let link = root.join("link");
            fs::symlink("a.txt", &link).on(t.e()).await.unwrap();
            assert_eq!(
                fs::read_link(&link).on(t.e()).await.unwrap(),
                Path::new("a.txt")
            );
            let meta = fs::symlink_metadata(&link).on(t.e()).await.unwrap();
            assert!(meta.file_type().is_symlink());
            assert_eq!(meta.len(), 5);
            assert_eq!(
                fs::canonicalize(&link).on(t.e()).await.unwrap(),
                std::fs::canonicalize(&a).unwrap()
            );
            fs::set_permissions(&c, std::os::unix::fs::PermissionsExt::from_mode(0o604))
                .on(t.e())
                .await
                .unwrap();
            assert_eq!(mode_of(&c), 0o604);
        }

        // read_dir: the stream keeps its executor, and so do its entries' calls.
        let listing = fs::read_dir(root).on(t.e());
        t.assert_kept(listing.executor());
        let listing = listing.await.unwrap();
        t.assert_kept(listing.executor());
        let before = t.hops();
        let mut entries: Vec<_> = listing.try_collect().await.unwrap();
        entries.sort_by_key(|e| e.file_name());
        let names: Vec<String> = entries
            .iter()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        let mut expected = vec!["a.txt", "c.txt", "hard.txt", "sub", "x"];
        if cfg!(unix) {
            expected.insert(3, "link");
        }
        assert_eq!(names, expected);
        for entry in &entries {
            assert_eq!(entry.path(), root.join(entry.file_name()));
            let hops = t.hops();
            let meta = entry.metadata().await.unwrap();
            let std_meta = std::fs::symlink_metadata(entry.path()).unwrap();
            assert_eq!(meta.len(), std_meta.len());
            assert_eq!(
                entry.file_type().await.unwrap(),
                std_meta.file_type(),
                "{:?}",
                entry.path()
            );
            assert!(
                t.hops() > hops,
                "DirEntry::metadata went through the executor"
            );
        }
        assert!(t.hops() > before);

        fs::remove_file(&c).on(t.e()).await.unwrap();
        assert!(!c.exists());
        fs::remove_dir(&sub).on(t.e()).await.unwrap();
        assert!(!sub.exists());
        fs::remove_dir_all(root.join("x")).on(t.e()).await.unwrap();
        assert!(!root.join("x").exists());

        let err = fs::read(&c).on(t.e()).await.unwrap_err();
        common::assert_same_error(&err, &std::fs::read(&c).unwrap_err(), "read", &[&c]);
        let err = fs::rename(&c, &b).on(t.e()).await.unwrap_err();
        let theirs = std::fs::rename(&c, &b).unwrap_err();
        common::assert_same_error(&err, &theirs, "rename", &[&c, &b]);
    }

    /// `os`: what it adds to `fs` (makedirs, removedirs, renames, listdir, access, statvfs,
    /// getcwd, sendfile) and `os::path`.
    #[cfg(unix)]
    pub async fn os_functions<E: Executor>(t: &Target<E>) {
        use os::path;

        let dir = tempdir();
        let root = dir.path();

        // makedirs, with and without exist_ok.
        let deep = root.join("a/b/c");
        os::makedirs(&deep, false).on(t.e()).await.unwrap();
        assert!(deep.is_dir());
        let err = os::makedirs(&deep, false).on(t.e()).await.unwrap_err();
        let theirs = std::fs::create_dir(&deep).unwrap_err();
        common::assert_same_error(&err, &theirs, "create directory", &[&deep]);
        os::makedirs(&deep, true).on(t.e()).await.unwrap();

        // listdir, sorted here: the OS gives no order.
        std::fs::write(root.join("a/f1"), "1").unwrap();
        std::fs::write(root.join("a/f2"), "22").unwrap();
        let mut names = os::listdir(root.join("a")).on(t.e()).await.unwrap();
        names.sort();
        assert_eq!(names, ["b", "f1", "f2"]);

        // renames: creates the new parents, prunes the old empty ones.
        let moved = root.join("m/n/f1");
        os::renames(root.join("a/f1"), &moved)
            .on(t.e())
            .await
            .unwrap();
        assert_eq!(read(&moved), b"1");
        os::renames(root.join("a/f2"), root.join("m/f2"))
            .on(t.e())
            .await
            .unwrap();
        assert!(root.join("a/b/c").is_dir(), "a is not empty: kept");

        // removedirs: c, then b and a, stops at the first non-empty parent.
        os::removedirs(&deep).on(t.e()).await.unwrap();
        assert!(!root.join("a").exists());
        assert!(root.exists());

        // Aliases of fs: stat, mkdir, rmdir, replace, remove, unlink, link, symlink, readlink.
        let f2 = root.join("m/f2");
        assert_eq!(os::stat(&f2).on(t.e()).await.unwrap().len(), 2);
        os::mkdir(root.join("k")).on(t.e()).await.unwrap();
        os::rmdir(root.join("k")).on(t.e()).await.unwrap();
        assert!(!root.join("k").exists());
        std::fs::write(root.join("other"), "other").unwrap();
        os::replace(root.join("other"), &f2)
            .on(t.e())
            .await
            .unwrap();
        assert_eq!(read(&f2), b"other");
        os::link(&f2, root.join("hard")).on(t.e()).await.unwrap();
        os::symlink("m/f2", root.join("sym"))
            .on(t.e())
            .await
            .unwrap();
        assert_eq!(
            os::readlink(root.join("sym")).on(t.e()).await.unwrap(),
            Path::new("m/f2")
        );
        os::remove(root.join("hard")).on(t.e()).await.unwrap();
        os::unlink(root.join("sym")).on(t.e()).await.unwrap();
        assert!(!root.join("hard").exists());
        assert!(std::fs::symlink_metadata(root.join("sym")).is_err());

        // scandir
        let mut scanned: Vec<_> = os::scandir(root.join("m"))
            .on(t.e())
            .await
            .unwrap()
            .map_ok(|e| e.file_name())
            .try_collect()
            .await
            .unwrap();
        scanned.sort();
        assert_eq!(scanned, ["f2", "n"]);

        // access
        assert!(os::access(&f2, os::F_OK).on(t.e()).await.unwrap());
        assert!(os::access(&f2, os::R_OK | os::W_OK)
            .on(t.e())
            .await
            .unwrap());
        assert!(!os::access(&f2, os::X_OK).on(t.e()).await.unwrap());
        assert!(!os::access(root.join("missing"), os::F_OK)
            .on(t.e())
            .await
            .unwrap());
        assert!(os::access(root, os::X_OK).on(t.e()).await.unwrap());

        // statvfs: the values `stat -f` reports for the same file system.
        let vfs = os::statvfs(root).on(t.e()).await.unwrap();
        assert!(vfs.f_bsize > 0 && vfs.f_frsize > 0);
        assert!(vfs.f_bfree <= vfs.f_blocks && vfs.f_bavail <= vfs.f_bfree);
        assert!(vfs.f_ffree <= vfs.f_files);
        if let Ok(out) = std::process::Command::new("stat")
            .args(["-f", "-c", "%s %S %l %b %c"])
            .arg(root)
            .output()
        {
            if out.status.success() {
                let text = String::from_utf8(out.stdout).unwrap();
                let got: Vec<u64> = text
                    .split_whitespace()
                    .map(|n| n.parse().unwrap())
                    .collect();
                assert_eq!(
                    got,
                    [
                        vfs.f_bsize,
                        vfs.f_frsize,
                        vfs.f_namemax,
                        vfs.f_blocks,
                        vfs.f_files
                    ]
                );
            }
        }
        let missing = root.join("missing");
        let err = os::statvfs(&missing).on(t.e()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&*missing.to_string_lossy()),
            "{err}"
        );

        // getcwd
        assert_eq!(
            os::getcwd().on(t.e()).await.unwrap(),
            std::env::current_dir().unwrap()
        );

        // sendfile
        #[cfg(target_os = "linux")]
        {
            let src = std::fs::File::open(&f2).unwrap();
            let out_path = root.join("sent");
            let out = std::fs::File::create(&out_path).unwrap();
            assert_eq!(os::sendfile(&out, &src, 1, 3).on(t.e()).await.unwrap(), 3);
            assert_eq!(read(&out_path), b"the");
        }

        // os::path predicates.
        std::os::unix::fs::symlink("m/f2", root.join("sym")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
        let cases: [(&Path, [bool; 4]); 5] = [
            // exists, isfile, isdir, islink
            (&f2, [true, true, false, false]),
            (&root.join("m"), [true, false, true, false]),
            (&root.join("sym"), [true, true, false, true]),
            (&root.join("dangling"), [false, false, false, true]),
            (&missing, [false, false, false, false]),
        ];
        for (p, [exists, isfile, isdir, islink]) in cases {
            assert_eq!(path::exists(p).on(t.e()).await.unwrap(), exists, "{p:?}");
            assert_eq!(path::isfile(p).on(t.e()).await.unwrap(), isfile, "{p:?}");
            assert_eq!(path::isdir(p).on(t.e()).await.unwrap(), isdir, "{p:?}");
            assert_eq!(path::islink(p).on(t.e()).await.unwrap(), islink, "{p:?}");
        }
        assert!(path::ismount("/").on(t.e()).await.unwrap());
        assert!(!path::ismount(root.join("m")).on(t.e()).await.unwrap());
        assert_eq!(path::getsize(&f2).on(t.e()).await.unwrap(), 5);
        let err = path::getsize(&missing).on(t.e()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let meta = std::fs::metadata(&f2).unwrap();
        assert_eq!(
            path::getmtime(&f2).on(t.e()).await.unwrap(),
            meta.modified().unwrap()
        );
        assert_eq!(
            path::getatime(&f2).on(t.e()).await.unwrap(),
            meta.accessed().unwrap()
        );
        path::getctime(&f2).on(t.e()).await.unwrap();
        assert!(path::samefile(&f2, root.join("sym"))
            .on(t.e())
            .await
            .unwrap());
        assert!(!path::samefile(&f2, &moved).on(t.e()).await.unwrap());
        let (one, two) = (
            std::fs::File::open(&f2).unwrap(),
            std::fs::File::open(root.join("sym")).unwrap(),
        );
        assert!(path::sameopenfile(&one, &two).on(t.e()).await.unwrap());
        assert_eq!(
            path::abspath("rel/../x").on(t.e()).await.unwrap(),
            std::env::current_dir().unwrap().join("x")
        );
    }

    /// `tempfile()`, `NamedTempFile` (new, persist, close, Builder), `SpooledTempFile`
    /// (rollover on growth and on demand), `TempDir` (close): each keeps its executor.
    pub async fn tempfiles<E: Executor>(t: &Target<E>) {
        use aiofiles::tempfile::{self as tmp, Builder, NamedTempFile, SpooledTempFile};

        let dir = tempdir();

        // tempfile(): unnamed, read and write.
        let mut f = tmp::tempfile().on(t.e()).await.unwrap();
        t.assert_kept(f.executor());
        assert_eq!(f.path(), None);
        assert_eq!(f.mode(), "rb+");
        f.write_all(b"one\ntwo\n").await.unwrap();
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let lines: Vec<String> = (&mut f).lines().try_collect().await.unwrap();
        assert_eq!(lines, ["one", "two"]);
        f.close().await.unwrap();

        // NamedTempFile: new, write, persist.
        let mut named = NamedTempFile::new().on(t.e()).await.unwrap();
        t.assert_kept(named.as_file().executor());
        let temp_path = named.path().to_owned();
        assert!(temp_path.is_file());
        #[cfg(unix)]
        assert_eq!(mode_of(&temp_path), 0o600);
        named.write_all(b"named").await.unwrap();
        let target = dir.path().join("persisted.txt");
        let mut persisted = named.persist(&target).await.unwrap();
        t.assert_kept(persisted.executor());
        assert_eq!(persisted.path(), Some(target.as_path()));
        assert!(!temp_path.exists());
        assert_eq!(read(&target), b"named", "persist flushes");
        persisted.write_all(b" and more").await.unwrap();
        persisted.close().await.unwrap();
        assert_eq!(read(&target), b"named and more");

        // Builder in a directory; close removes.
        let mut named = Builder::new()
            .prefix("pre-")
            .suffix(".suf")
            .tempfile_in(dir.path())
            .on(t.e())
            .await
            .unwrap();
        t.assert_kept(named.as_file().executor());
        let path = named.path().to_owned();
        assert_eq!(path.parent(), Some(dir.path()));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("pre-") && name.ends_with(".suf"), "{name}");
        named.write_all(b"gone soon").await.unwrap();
        named.seek(SeekFrom::Start(5)).await.unwrap();
        let mut text = String::new();
        named.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "soon");
        named.close().await.unwrap();
        assert!(!path.exists());

        // SpooledTempFile: in memory up to max_size, rolls over past it.
        let mut spooled = SpooledTempFile::new(16).on(t.e());
        let before = t.hops();
        spooled.write_all(b"0123456789").await.unwrap();
        spooled.write_all(b"abcdef").await.unwrap();
        assert!(!spooled.is_rolled(), "16 bytes fit in max_size 16");
        assert_eq!(t.hops(), before, "in memory: no hand-off");
        spooled.write_all(b"!").await.unwrap();
        assert!(spooled.is_rolled(), "17 bytes: rolled over");
        assert!(t.hops() > before, "the rollover ran on the executor");
        assert_eq!(spooled.stream_position().await.unwrap(), 17);
        spooled.seek(SeekFrom::Start(0)).await.unwrap();
        let mut all = Vec::new();
        AsyncReadExt::read_to_end(&mut spooled, &mut all)
            .await
            .unwrap();
        assert_eq!(all, b"0123456789abcdef!");

        // max_size 0 never rolls on its own; rollover() keeps the content and position.
        let mut spooled = SpooledTempFile::new(0).on(t.e());
        let big = common::pattern(3, 100_000);
        spooled.write_all(&big).await.unwrap();
        assert!(!spooled.is_rolled());
        spooled.seek(SeekFrom::Start(10)).await.unwrap();
        let before = t.hops();
        spooled.rollover().await.unwrap();
        assert!(spooled.is_rolled());
        assert!(t.hops() > before);
        assert_eq!(spooled.stream_position().await.unwrap(), 10);
        let mut rest = Vec::new();
        AsyncReadExt::read_to_end(&mut spooled, &mut rest)
            .await
            .unwrap();
        assert_eq!(rest, &big[10..]);

        // TempDir: owner-only, close removes the tree.
        let tdir = tmp::tempdir().on(t.e()).await.unwrap();
        t.assert_kept(tdir.executor());
        let tpath = tdir.path().to_owned();
        assert!(tpath.is_dir());
        #[cfg(unix)]
        assert_eq!(mode_of(&tpath), 0o700);
        std::fs::create_dir(tpath.join("sub")).unwrap();
        std::fs::write(tpath.join("sub/inside"), "x").unwrap();
        tdir.close().await.unwrap();
        assert!(!tpath.exists());

        let tdir = Builder::new()
            .prefix("d-")
            .tempdir_in(dir.path())
            .on(t.e())
            .await
            .unwrap();
        t.assert_kept(tdir.executor());
        assert_eq!(tdir.path().parent(), Some(dir.path()));
        let kept = tdir.keep();
        assert!(kept.is_dir());
        assert!(kept
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("d-"));
    }

    /// `fs::walk` and `os::walk` count every entry of a tree, on the executor.
    pub async fn walk_counts<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let root = dir.path();
        // 5 directories of 10 files, one of them with a subdirectory of 3: 6 directories and
        // 53 files below the root.
        for d in 0..5 {
            let sub = root.join(format!("d{d}"));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..10 {
                std::fs::write(sub.join(format!("f{f}")), "").unwrap();
            }
        }
        std::fs::create_dir(root.join("d0/deeper")).unwrap();
        for f in 0..3 {
            std::fs::write(root.join(format!("d0/deeper/g{f}")), "").unwrap();
        }

        let walk = aiofiles::fs::walk(root).on(t.e());
        t.assert_kept(walk.executor());
        let before = t.hops();
        let entries: Vec<_> = walk.try_collect().await.unwrap();
        assert!(t.hops() > before);
        assert_eq!(entries.len(), 1 + 6 + 53);
        assert_eq!(entries[0].path(), root);
        assert_eq!(entries[0].depth(), 0);
        let files = entries.iter().filter(|e| e.file_type().is_file()).count();
        let dirs = entries.iter().filter(|e| e.file_type().is_dir()).count();
        assert_eq!((dirs, files), (7, 53));
        assert!(entries.iter().all(|e| e.path().starts_with(root)));
        assert_eq!(entries.iter().map(|e| e.depth()).max(), Some(3));

        let shallow: Vec<_> = aiofiles::fs::walk(root)
            .max_depth(1)
            .sort_by_file_name()
            .on(t.e())
            .map_ok(|e| e.file_name().to_str().unwrap().to_owned())
            .try_collect()
            .await
            .unwrap();
        let root_name = root.file_name().unwrap().to_str().unwrap();
        assert_eq!(shallow, [root_name, "d0", "d1", "d2", "d3", "d4"]);

        let walk = aiofiles::os::walk(root).on(t.e());
        t.assert_kept(walk.executor());
        let dirs: Vec<_> = walk.try_collect().await.unwrap();
        assert_eq!(dirs.len(), 7);
        assert_eq!(dirs[0].0, root);
        let mut top_dirs = dirs[0].1.clone();
        top_dirs.sort();
        assert_eq!(top_dirs, ["d0", "d1", "d2", "d3", "d4"]);
        assert_eq!(dirs.iter().map(|d| d.2.len()).sum::<usize>(), 53);
        assert_eq!(dirs.iter().map(|d| d.1.len()).sum::<usize>(), 6);
    }

    // ---- What a read sees (DESIGN §3): the File's own writes, and ends of file ----

    /// The File's own positional writes are seen by its later cursor reads: over the head read
    /// at the open, over bytes buffered by a first read (with and without a seek), over the
    /// chunk read ahead while reading sequentially, and past an end of file already reported.
    #[cfg(unix)]
    pub async fn reads_see_own_positional_writes<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("zeros.bin");
        let twin = dir.path().join("twin.bin");
        for b in BUFFERS {
            // Straight after the open (the head it read holds 0..100), then a seek to 0.
            std::fs::write(&p, vec![0; 32 * 1024]).unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            f.write_all_at(0, &[7; 100]).await.unwrap();
            assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
            let (_, theirs) = twin::positional(&twin, 32 * 1024, 0);
            assert_eq!(theirs, [7; 100]);
            assert_eq!(take(&mut f, 100).await, theirs, "{b:?}: after the open");
            assert_eq!(take(&mut f, 100).await, [0; 100], "{b:?}: past the write");
            f.close().await.unwrap();

            // After a first read of one byte: at the cursor without a seek (std: 99 sevens),
            // then from 0 after a seek.
            std::fs::write(&p, vec![0; 32 * 1024]).unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            let mut one = [9; 1];
            assert_eq!(f.read(&mut one).await.unwrap(), 1);
            assert_eq!(one, [0]);
            f.write_all_at(0, &[7; 100]).await.unwrap();
            let (here, all) = twin::positional(&twin, 32 * 1024, 1);
            assert_eq!(here, [7; 99]);
            assert_eq!(take(&mut f, 99).await, here, "{b:?}: at the cursor");
            assert_eq!(f.stream_position().await.unwrap(), 100);
            assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
            assert_eq!(take(&mut f, 100).await, all, "{b:?}: after a seek to 0");

            // `write_at` further on, inside what a read-ahead may hold, and behind the cursor.
            assert_eq!(f.write_at(5000, &[9; 10]).await.unwrap(), 10);
            f.write_all_at(50, b"behind").await.unwrap();
            let got = take(&mut f, 4910).await; // 100..5010
            assert_eq!(got[..4900], [0; 4900][..], "{b:?}");
            assert_eq!(got[4900..], [9; 10], "{b:?}: write_at ahead of the cursor");
            assert_eq!(seek_to(&mut f, SeekFrom::Current(-4960)).await, 50);
            assert_eq!(take(&mut f, 8).await, b"behind\x07\x07", "{b:?}: behind");
            f.close().await.unwrap();
            let mut expected = vec![0; 32 * 1024];
            expected[..100].fill(7);
            expected[50..56].copy_from_slice(b"behind");
            expected[5000..5010].fill(9);
            assert_eq!(read(&p), expected, "{b:?}: the file");

            // Sequential reads (the read-ahead grows, the next chunk is read in the
            // background), then positional writes into what is ahead of the cursor.
            let data = common::pattern(1, 300_000);
            std::fs::write(&p, &data).unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            let mut expected = data.clone();
            let mut got = Vec::new();
            for _ in 0..7 {
                got.extend_from_slice(&take(&mut f, 10_000).await);
            }
            assert!(got == data[..70_000], "{b:?}: sequential reads");
            for (at, len) in [(70_000, 1), (70_500, 3000), (140_000, 10), (299_990, 10)] {
                let patch = common::pattern(at as u64, len);
                f.write_all_at(at as u64, &patch).await.unwrap();
                expected[at..at + len].copy_from_slice(&patch);
            }
            let got = rest(&mut f).await;
            assert!(
                got == expected[70_000..],
                "{b:?}: positional writes into the read-ahead not seen"
            );
            f.close().await.unwrap();

            // Past an end of file already reported: the next read at the cursor, and after a
            // seek back.
            std::fs::write(&p, "0123456789").unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            assert_eq!(rest(&mut f).await, b"0123456789");
            f.write_all_at(10, b"xyz").await.unwrap();
            assert_eq!(rest(&mut f).await, b"xyz", "{b:?}: at the old end");
            assert_eq!(seek_to(&mut f, SeekFrom::Start(8)).await, 8);
            assert_eq!(rest(&mut f).await, b"89xyz", "{b:?}: after a seek");
            // The same through `read`.
            f.write_all_at(13, b"!").await.unwrap();
            assert_eq!(read_until_end(&mut f, 16).await, b"!", "{b:?}: read");
            f.close().await.unwrap();
        }
    }

    /// An end of file seen earlier, by the open's head read or by a read, is not reused after a
    /// seek: bytes another handle appended since come out.
    #[cfg(unix)]
    pub async fn end_of_file_is_not_reused_after_a_seek<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("grows.txt");
        let twin = dir.path().join("twin.txt");
        for b in BUFFERS {
            for mode in ["rb", "rb+"] {
                // Seen by the open's head read (an empty file).
                for to in [SeekFrom::Start(0), SeekFrom::Current(0), SeekFrom::End(-3)] {
                    std::fs::write(&p, b"").unwrap();
                    let mut f = open_with(t, &p, mode, b).await;
                    append_elsewhere(&p, b"abc");
                    let theirs = twin::appended(&twin, to);
                    assert_eq!(theirs, (0, b"abc".to_vec()));
                    let at = seek_to(&mut f, to).await;
                    assert_eq!(
                        (at, rest(&mut f).await),
                        theirs,
                        "{b:?} {mode}: seek({to:?}), read_to_end"
                    );
                    // Again, through `read`: "abcde" now, the cursor at 3.
                    append_elsewhere(&p, b"de");
                    let (at, expected) = match to {
                        SeekFrom::Start(_) => (0, &b"abcde"[..]),
                        SeekFrom::Current(_) => (3, &b"de"[..]),
                        SeekFrom::End(_) => (2, &b"cde"[..]),
                    };
                    assert_eq!(seek_to(&mut f, to).await, at, "{b:?} {mode}: seek({to:?})");
                    assert_eq!(
                        read_until_end(&mut f, 100).await,
                        expected,
                        "{b:?} {mode}: seek({to:?}), read"
                    );
                    f.close().await.unwrap();
                }

                // Seen by reads: the whole file read (and its bytes kept in the buffer), then
                // seeks back into them, to the end, and to where the file ended.
                std::fs::write(&p, "0123456789").unwrap();
                let mut f = open_with(t, &p, mode, b).await;
                assert_eq!(rest(&mut f).await, b"0123456789");
                append_elsewhere(&p, b"abc");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(rest(&mut f).await, b"0123456789abc", "{b:?} {mode}: from 0");
                append_elsewhere(&p, b"de");
                assert_eq!(seek_to(&mut f, SeekFrom::Current(0)).await, 13);
                assert_eq!(rest(&mut f).await, b"de", "{b:?} {mode}: Current(0)");
                append_elsewhere(&p, b"f");
                assert_eq!(seek_to(&mut f, SeekFrom::End(-1)).await, 15);
                assert_eq!(rest(&mut f).await, b"f", "{b:?} {mode}: End(-1)");
                append_elsewhere(&p, b"gh");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(15)).await, 15);
                let mut three = [0; 3];
                f.read_exact(&mut three).await.unwrap();
                assert_eq!(
                    &three, b"fgh",
                    "{b:?} {mode}: read_exact across the old end"
                );
                // A seek back a little, within what was read.
                let mut line = String::new();
                append_elsewhere(&p, b"i\n");
                assert_eq!(seek_to(&mut f, SeekFrom::Current(-2)).await, 16);
                assert_eq!(f.read_line(&mut line).await.unwrap(), 4);
                assert_eq!(line, "ghi\n", "{b:?} {mode}: read_line across the old end");
                f.close().await.unwrap();
            }
        }
    }

    /// Writes through a `try_clone` of the File count as the File's own (both ways): its reads
    /// see them, over its buffered bytes and over an end of file it saw.
    #[cfg(unix)]
    pub async fn reads_see_writes_of_clones<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("cloned.bin");
        let twin = dir.path().join("twin.bin");
        for b in BUFFERS {
            // The clone writes and is closed; the original seeks to 0 and reads.
            std::fs::write(&p, b"").unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            let mut clone = f.try_clone().await.unwrap();
            t.assert_kept(clone.executor());
            clone.write_all(b"hello").await.unwrap();
            clone.close().await.unwrap();
            assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
            let theirs = twin::cloned(&twin);
            assert_eq!(theirs, b"hello");
            assert_eq!(rest(&mut f).await, theirs, "{b:?}: closed clone, seek");
            f.close().await.unwrap();

            // The same without a seek (the original's cursor is still at 0: a clone has its
            // own position), the clone flushed and kept.
            std::fs::write(&p, b"").unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            let mut clone = f.try_clone().await.unwrap();
            clone.write_all(b"hello").await.unwrap();
            clone.flush().await.unwrap();
            assert_eq!(
                rest(&mut f).await,
                b"hello",
                "{b:?}: flushed clone, no seek"
            );
            // And an end of file the original just reported.
            clone.write_all(b", world").await.unwrap();
            clone.flush().await.unwrap();
            assert_eq!(
                read_until_end(&mut f, 3).await,
                b", world",
                "{b:?}: after the end"
            );
            clone.close().await.unwrap();
            f.close().await.unwrap();

            // Over bytes the original has buffered: positional and cursor writes of the clone.
            std::fs::write(&p, vec![0; 32 * 1024]).unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            assert_eq!(take(&mut f, 1).await, [0]);
            let mut clone = f.try_clone().await.unwrap();
            clone.write_all_at(0, &[7; 100]).await.unwrap();
            assert_eq!(
                take(&mut f, 99).await,
                [7; 99],
                "{b:?}: clone's write_all_at"
            );
            assert_eq!(seek_to(&mut clone, SeekFrom::Start(200)).await, 200);
            clone.write_all(&[8; 50]).await.unwrap();
            clone.flush().await.unwrap();
            assert_eq!(seek_to(&mut f, SeekFrom::Start(190)).await, 190);
            let mut expected = vec![0; 70];
            expected[10..60].fill(8);
            assert_eq!(
                take(&mut f, 70).await,
                expected,
                "{b:?}: clone's cursor write"
            );

            // The other way: the original writes, the clone reads.
            assert_eq!(seek_to(&mut clone, SeekFrom::Start(1000)).await, 1000);
            assert_eq!(take(&mut clone, 1).await, [0]);
            f.write_all_at(1000, &[5; 100]).await.unwrap();
            assert_eq!(
                take(&mut clone, 99).await,
                [5; 99],
                "{b:?}: original's write_at"
            );
            assert_eq!(seek_to(&mut f, SeekFrom::Start(300)).await, 300);
            f.write_all(b"orig").await.unwrap();
            f.flush().await.unwrap();
            assert_eq!(seek_to(&mut clone, SeekFrom::Start(298)).await, 298);
            assert_eq!(
                take(&mut clone, 8).await,
                b"\0\0orig\0\0",
                "{b:?}: original's write"
            );

            // A clone of the clone.
            let deeper = clone.try_clone().await.unwrap();
            assert_eq!(seek_to(&mut f, SeekFrom::Start(2000)).await, 2000);
            assert_eq!(take(&mut f, 2).await, [0, 0]);
            deeper.write_all_at(2000, b"deep").await.unwrap();
            assert_eq!(take(&mut f, 2).await, b"ep", "{b:?}: clone of a clone");
            deeper.close().await.unwrap();
            clone.close().await.unwrap();
            f.close().await.unwrap();
        }
    }

    /// `tail -f`: read to the end, another handle appends, read again, five rounds: every
    /// appended byte comes out once, through `read_to_end`, through `read` and through
    /// `read_line`.
    pub async fn tail_follows_appends<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("log.txt");
        for b in BUFFERS {
            for via in ["read_to_end", "read", "read_line"] {
                std::fs::write(&p, "start\n").unwrap();
                let mut f = open_with(t, &p, "rb", b).await;
                let mut all = b"start\n".to_vec();
                let mut seen = Vec::new();
                for round in 0..6 {
                    let got = match via {
                        "read_to_end" => rest(&mut f).await,
                        "read" => read_until_end(&mut f, 4096).await,
                        _ => {
                            let mut got = Vec::new();
                            loop {
                                let mut line = String::new();
                                if f.read_line(&mut line).await.unwrap() == 0 {
                                    break got;
                                }
                                got.extend_from_slice(line.as_bytes());
                            }
                        }
                    };
                    seen.extend_from_slice(&got);
                    assert!(
                        seen == all,
                        "{b:?} via {via}, round {round}: {} bytes seen of {}",
                        seen.len(),
                        all.len()
                    );
                    // The end of file again: reported again, nothing more.
                    let mut nothing = [0; 8];
                    assert_eq!(f.read(&mut nothing).await.unwrap(), 0);
                    if round < 5 {
                        let len = [1, 17, 9000, 70_000, 3][round];
                        let mut more = common::pattern(round as u64, len);
                        // Lines, for read_line.
                        for byte in more.iter_mut() {
                            *byte = b'a' + *byte % 26;
                        }
                        *more.last_mut().unwrap() = b'\n';
                        append_elsewhere(&p, &more);
                        all.extend_from_slice(&more);
                    }
                }
                assert_eq!(f.stream_position().await.unwrap(), all.len() as u64);
                f.close().await.unwrap();
            }
        }
    }

    /// `set_len` and `truncate` are seen by the later reads: shrinking below buffered bytes,
    /// growing past an end of file already seen.
    pub async fn reads_see_set_len_and_truncate<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("len.txt");
        for b in BUFFERS {
            for how in ["set_len", "truncate"] {
                let what = format!("{b:?} {how}");

                // Straight after the open, then seek(0) + read_to_end.
                std::fs::write(&p, "0123456789").unwrap();
                let mut f = open_with(t, &p, "rb+", b).await;
                resize(&mut f, how, 4).await;
                assert_eq!(f.stream_position().await.unwrap(), 0, "{what}");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(rest(&mut f).await, b"0123", "{what}: after the open");
                f.close().await.unwrap();

                // After a first read, at the cursor without a seek.
                std::fs::write(&p, "0123456789").unwrap();
                let mut f = open_with(t, &p, "rb+", b).await;
                assert_eq!(take(&mut f, 1).await, b"0");
                resize(&mut f, how, 4).await;
                assert_eq!(rest(&mut f).await, b"123", "{what}: at the cursor");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(rest(&mut f).await, b"0123", "{what}: from 0");

                // Growing after the end was seen.
                resize(&mut f, how, 6).await;
                assert_eq!(rest(&mut f).await, b"\0\0", "{what}: grown, at the old end");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(2)).await, 2);
                assert_eq!(rest(&mut f).await, b"23\0\0", "{what}: grown, from 2");
                // Below the cursor: nothing left to read from there.
                resize(&mut f, how, 1).await;
                assert_eq!(rest(&mut f).await, b"", "{what}: cut below the cursor");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(
                    rest(&mut f).await,
                    b"0",
                    "{what}: cut below the cursor, from 0"
                );
                f.close().await.unwrap();

                // A larger file, read sequentially (read-ahead in flight), cut inside it.
                let data = common::pattern(3, 200_000);
                std::fs::write(&p, &data).unwrap();
                let mut f = open_with(t, &p, "rb+", b).await;
                for _ in 0..5 {
                    take(&mut f, 10_000).await;
                }
                resize(&mut f, how, 60_000).await;
                let got = rest(&mut f).await;
                assert!(
                    got == data[50_000..60_000],
                    "{what}: cut inside the read-ahead"
                );
                f.close().await.unwrap();
            }

            // `truncate(None)`: at the cursor, which stays.
            std::fs::write(&p, "0123456789").unwrap();
            let mut f = open_with(t, &p, "rb+", b).await;
            assert_eq!(seek_to(&mut f, SeekFrom::Start(2)).await, 2);
            assert_eq!(f.truncate(None).await.unwrap(), 2);
            assert_eq!(f.stream_position().await.unwrap(), 2);
            assert_eq!(rest(&mut f).await, b"", "{b:?}: truncate(None)");
            assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
            assert_eq!(rest(&mut f).await, b"01", "{b:?}: truncate(None), from 0");
            f.close().await.unwrap();
        }
    }

    /// Cursor writes, then a seek back (with and without a flush), or reads going on from the
    /// cursor: the written bytes are read.
    pub async fn reads_see_own_cursor_writes<E: Executor>(t: &Target<E>) {
        let dir = tempdir();
        let p = dir.path().join("cursor.txt");
        for b in BUFFERS {
            for flush in [false, true] {
                let what = format!("{b:?}, flush: {flush}");

                // Over the head read at the open.
                std::fs::write(&p, "0123456789").unwrap();
                let mut f = open_with(t, &p, "rb+", b).await;
                assert_eq!(seek_to(&mut f, SeekFrom::Start(2)).await, 2);
                f.write_all(b"ab").await.unwrap();
                flush_if(&mut f, flush).await;
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(rest(&mut f).await, b"01ab456789", "{what}: seek back");

                // After a read, reading on from the cursor, then from 0.
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(take(&mut f, 1).await, b"0");
                f.write_all(b"XY").await.unwrap();
                flush_if(&mut f, flush).await;
                assert_eq!(rest(&mut f).await, b"b456789", "{what}: on from the cursor");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(take(&mut f, 4).await, b"0XYb", "{what}: from 0");

                // Past an end of file already reported.
                assert_eq!(rest(&mut f).await, b"456789");
                f.write_all(b"xyz").await.unwrap();
                flush_if(&mut f, flush).await;
                assert_eq!(
                    rest(&mut f).await,
                    b"",
                    "{what}: at the end, after the write"
                );
                assert_eq!(seek_to(&mut f, SeekFrom::Current(-5)).await, 8);
                assert_eq!(rest(&mut f).await, b"89xyz", "{what}: appended, seek back");

                // A write larger than the buffers (it bypasses them) over read-ahead.
                let big = common::pattern(5, 100_000);
                assert_eq!(seek_to(&mut f, SeekFrom::Start(1)).await, 1);
                f.write_all(&big).await.unwrap();
                flush_if(&mut f, flush).await;
                assert_eq!(rest(&mut f).await, b"", "{what}: after the big write");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                let got = rest(&mut f).await;
                assert!(
                    got[..1] == *b"0" && got[1..] == big[..],
                    "{what}: the big write read back ({} bytes)",
                    got.len()
                );
                f.close().await.unwrap();

                // Sequential reads of a large file, then a write at the cursor and reads on.
                let data = common::pattern(6, 300_000);
                std::fs::write(&p, &data).unwrap();
                let mut f = open_with(t, &p, "rb+", b).await;
                for _ in 0..6 {
                    take(&mut f, 10_000).await;
                }
                f.write_all(b"written at 60000").await.unwrap();
                flush_if(&mut f, flush).await;
                let got = take(&mut f, 1000).await;
                assert!(got == data[60_016..61_016], "{what}: on after a write");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(59_990)).await, 59_990);
                let got = take(&mut f, 30).await;
                assert_eq!(got[..10], data[59_990..60_000], "{what}");
                assert_eq!(&got[10..26], b"written at 60000", "{what}: seek back");
                assert_eq!(got[26..], data[60_016..60_020], "{what}");
                f.close().await.unwrap();

                // Append mode: the write lands at the end, which the reads see.
                std::fs::write(&p, "0123456789").unwrap();
                let mut f = open_with(t, &p, "ab+", b).await;
                assert_eq!(seek_to(&mut f, SeekFrom::Start(0)).await, 0);
                assert_eq!(rest(&mut f).await, b"0123456789");
                f.write_all(b"tail").await.unwrap();
                flush_if(&mut f, flush).await;
                assert_eq!(rest(&mut f).await, b"", "{what}: a+ at the end");
                assert_eq!(seek_to(&mut f, SeekFrom::Start(8)).await, 8);
                assert_eq!(rest(&mut f).await, b"89tail", "{what}: a+ seek back");
                f.close().await.unwrap();
            }
        }
    }
}

/// Runs the suite's test `$test` on one executor, under the watchdog, ending with a check of
/// where its works ran: the body [`matrix!`] gives each test below. `$target`, the
/// executor under test and what is known of it ([`Target::new`]), is built inside `$run` (a
/// `block_on`), so that `Tokio::current()` works and nothing needs to be `Send`.
macro_rules! suite_test {
    ($test:path, [$run:path], $target:expr) => {
        common::within(common::TIMEOUT, || {
            $run(async {
                let target = $target;
                $test(&target).await;
                target.assert_ran_where_expected();
            })
        })
    };
}

const BLOCKING_THREAD: Runs = Runs::Named("blocking-");
/// Tokio's default thread name (`tokio-runtime-worker` before 1.50, `tokio-rt-worker` since).
#[cfg(feature = "tokio")]
const TOKIO_THREAD: &str = "tokio-r";

// The whole suite once per executor: a module of tests per executor. Each entry names the
// module, the `block_on` the tests run under, and the target: the executor, whether two
// values are the same executor, and where its works run ([`Runs`]). Adding an executor is
// one entry here.
matrix! {
    suite: suite,
    runner: suite_test,
    executors: {
        blocking @ common::futures_block_on =>
            Target::new(Blocking, |a, b| a == b, BLOCKING_THREAD),
        inline @ common::futures_block_on => Target::new(Inline, |a, b| a == b, Runs::Caller),
        limit_of_two_over_blocking @ common::futures_block_on => Target::new(
            Limit::new(Blocking, 2),
            |a, b| a.max() == b.max() && a.inner() == b.inner(),
            BLOCKING_THREAD,
        ),
        #[cfg(feature = "tokio")]
        tokio_multi_thread @ common::tokio_multi_thread => Target::new(
            aiofiles::Tokio::current(),
            |a, b| a.handle().id() == b.handle().id(),
            Runs::Named(TOKIO_THREAD),
        ),
        #[cfg(feature = "tokio")]
        tokio_current_thread @ common::tokio_current_thread => Target::new(
            aiofiles::Tokio::current(),
            |a, b| a.handle().id() == b.handle().id(),
            Runs::Named(TOKIO_THREAD),
        ),
        // async-std's blocking pool is the `blocking` crate's.
        #[cfg(feature = "async-std")]
        async_std @ common::async_std_block_on =>
            Target::new(aiofiles::AsyncStd, |a, b| a == b, BLOCKING_THREAD),
        thread_per_job @ common::futures_block_on => Target::new(
            ThreadPerJob,
            |a, b| a == b,
            Runs::Named(common::THREAD_PER_JOB_NAME),
        ),
        linger @ common::futures_block_on => Target::new(
            aiofiles::Linger,
            |a, b| a == b,
            Runs::Named("aiofiles-linger"),
        ),
    },
    tests: {
        open_modes,
        write_read_seek_lines,
        truncate_set_len_sync_metadata,
        #[cfg(unix)]
        positional_io,
        clone_into_std_from_std_close,
        drop_without_close_reaches_disk,
        fs_functions,
        #[cfg(unix)]
        os_functions,
        tempfiles,
        walk_counts,
        #[cfg(unix)]
        reads_see_own_positional_writes,
        #[cfg(unix)]
        end_of_file_is_not_reused_after_a_seek,
        #[cfg(unix)]
        reads_see_writes_of_clones,
        tail_follows_appends,
        reads_see_set_len_and_truncate,
        reads_see_own_cursor_writes,
    },
}

// ---------------------------------------------------------------------------------------------
// What equality cannot show

/// A file opened on a `Limit` shares that limit's places (not merely an equal `Limit`): with
/// both places of the limit taken, the file's next operation waits for one. Over a
/// `ManualExecutor`, which runs nothing until told, so that "waits" is checked exactly: the
/// operation's work is not handed to the executor while the limit is full, however often it
/// is polled, and is once a place comes back.
#[test]
fn a_file_on_a_limit_shares_its_places() {
    common::within(common::TIMEOUT, || {
        let dir = tempdir();
        let manual = ManualExecutor::new();
        let limit = Limit::new(manual.clone(), 2);
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "abc").unwrap();
        let file = common::drive(&manual, aiofiles::open(&p, "r").on(limit.clone())).unwrap();
        assert_eq!(manual.pending(), 0);

        // Two works take both places: handed to the executor, which holds them.
        let mut holders: Vec<_> = (0..2)
            .map(|i| Box::pin(aiofiles::unblock(move || i).on(limit.clone())))
            .collect();
        for holder in &mut holders {
            assert!(common::poll_once(holder).is_pending());
        }
        assert_eq!(manual.pending(), 2, "both holders handed over");

        let mut meta = Box::pin(file.metadata());
        assert!(common::poll_once(&mut meta).is_pending());
        for _ in 0..3 {
            assert!(
                common::poll_once(&mut meta).is_pending(),
                "the file's operation ran while its limit was full"
            );
            assert_eq!(
                manual.pending(),
                2,
                "the file's operation was handed over while its limit was full"
            );
        }

        // One place comes back: the file's operation gets it.
        assert!(manual.run_one());
        assert_eq!(manual.pending(), 2, "the file's operation handed over");
        assert_eq!(common::drive(&manual, meta).unwrap().len(), 3);
        for (i, holder) in holders.into_iter().enumerate() {
            assert_eq!(common::drive(&manual, holder).unwrap(), i);
        }
        assert_eq!(manual.pending(), 0);
    });
}
