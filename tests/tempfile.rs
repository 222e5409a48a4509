//! `aiofiles::tempfile`: a port of Python aiofiles' `tests/test_tempfile.py` (TemporaryFile,
//! NamedTemporaryFile, SpooledTemporaryFile, TemporaryDirectory), plus the `tempfile` crate's
//! shape: persist, keep, Builder.

#![cfg(unix)]

mod common;

use std::fs::Permissions;
use std::io::{ErrorKind, SeekFrom};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aiofiles::tempfile::{self, Builder, NamedTempFile, SpooledTempFile};
use aiofiles::testing::ManualExecutor;
use aiofiles::{Blocking, Executor, Inline, Limit};
use futures::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use futures::{AsyncRead, AsyncSeek, TryStreamExt as _};

use common::{run, source_of, ThreadPerJob};

/// A fresh `tempfile`-crate directory to create things in, and its path.
fn scratch() -> (::tempfile::TempDir, PathBuf) {
    let dir = ::tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    (dir, root)
}

/// Whether anything (even a broken symlink) is at `path`.
fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_owned()
}

/// `name` is `prefix`, then `rand` ASCII alphanumeric characters, then `suffix`.
#[track_caller]
fn assert_shape(name: &str, prefix: &str, rand: usize, suffix: &str) {
    assert_eq!(
        name.len(),
        prefix.len() + rand + suffix.len(),
        "length of {name:?}"
    );
    assert!(name.starts_with(prefix), "{name:?} starts with {prefix:?}");
    assert!(name.ends_with(suffix), "{name:?} ends with {suffix:?}");
    let random = &name[prefix.len()..name.len() - suffix.len()];
    assert!(
        random.chars().all(|c| c.is_ascii_alphanumeric()),
        "random part {random:?}"
    );
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Everything from the start.
async fn read_all<R: AsyncRead + AsyncSeek + Unpin>(file: &mut R) -> Vec<u8> {
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut all = Vec::new();
    file.read_to_end(&mut all).await.unwrap();
    all
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// TemporaryFile: tempfile()

async fn temporary_file_writes_and_reads_lines<E: Executor>(exec: E) {
    let mut file = tempfile::tempfile().on(exec.clone()).await.unwrap();
    assert_eq!(file.path(), None, "unnamed");
    let lines = ["line one", "line two", "", "line four with ünïcödé"];
    for line in lines {
        file.write_all(line.as_bytes()).await.unwrap();
        file.write_all(b"\n").await.unwrap();
    }
    file.flush().await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
    let read: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
    assert_eq!(read, lines);

    let expected = lines.join("\n") + "\n";
    assert_eq!(read_all(&mut file).await, expected.as_bytes());
    assert_eq!(file.metadata().await.unwrap().len(), expected.len() as u64);
    file.close().await.unwrap();
}

#[test]
fn temporary_files_are_distinct() {
    run(|| async {
        let mut a = tempfile::tempfile().await.unwrap();
        let mut b = tempfile::tempfile().on(Inline).await.unwrap();
        a.write_all(b"aaaa").await.unwrap();
        b.write_all(b"bb").await.unwrap();
        assert_eq!(read_all(&mut a).await, b"aaaa");
        assert_eq!(read_all(&mut b).await, b"bb");
    });
}

// ---------------------------------------------------------------------------------------------
// NamedTemporaryFile: NamedTempFile

async fn named_temp_file_exists_while_open_and_is_removed_by_close<E: Executor>(exec: E) {
    let mut file = NamedTempFile::new().on(exec.clone()).await.unwrap();
    let path = file.path().to_owned();
    assert!(path.is_absolute());
    assert_eq!(path.parent(), Some(std::env::temp_dir().as_path()));
    assert_shape(&file_name(&path), ".tmp", 6, "");
    assert!(path.is_file(), "exists while open");
    assert_eq!(file.as_file().path(), Some(path.as_path()));
    assert_eq!(std::fs::read(&path).unwrap(), b"");

    file.write_all(b"hello, ").await.unwrap();
    file.write_all(b"world").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello, world");
    assert_eq!(file.as_file().metadata().await.unwrap().len(), 12);

    // Read back through the same handle.
    assert_eq!(read_all(&mut file).await, b"hello, world");
    let mut text = String::new();
    file.seek(SeekFrom::Start(7)).await.unwrap();
    file.read_to_string(&mut text).await.unwrap();
    assert_eq!(text, "world");

    // Unflushed writes are written by `close` before the removal; the file is gone after it.
    file.write_all(b"!").await.unwrap();
    file.close().await.unwrap();
    assert!(!present(&path), "gone after close");
}

#[test]
fn named_temp_file_is_removed_after_drop() {
    run(|| async {
        let (_dir, root) = scratch();
        // On the default pool: by the dropping thread, before `drop` returns.
        let mut file = Builder::new().tempfile_in(&root).await.unwrap();
        let path = file.path().to_owned();
        file.write_all(b"unflushed").await.unwrap();
        drop(file);
        assert!(!present(&path), "removed when drop returns");

        // On `Inline`: the removal runs on the dropping thread, so at once.
        let file = Builder::new().tempfile_in(&root).on(Inline).await.unwrap();
        let path = file.path().to_owned();
        assert!(present(&path));
        drop(file);
        assert!(!present(&path));

        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
    });
}

#[test]
fn named_temp_file_close_reports_a_failed_removal() {
    run(|| async {
        let (_dir, root) = scratch();
        let file = Builder::new().tempfile_in(&root).await.unwrap();
        let path = file.path().to_owned();
        std::fs::remove_file(&path).unwrap();
        let err = file.close().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&format!("`{}`", path.display())),
            "{err}"
        );
        assert_eq!(source_of(&err).kind(), ErrorKind::NotFound);
        assert!(source_of(&err).raw_os_error().is_some());
    });
}

#[test]
fn persist_moves_the_file() {
    run(|| async {
        let (_dir, root) = scratch();
        let mut tmp = Builder::new().tempfile_in(&root).await.unwrap();
        let temp_path = tmp.path().to_owned();
        // Buffered, not flushed: persist writes it first.
        tmp.write_all(b"final ").await.unwrap();
        tmp.write_all(b"content").await.unwrap();
        let target = root.join("final.txt");
        let mut file = tmp.persist(&target).await.unwrap();
        assert!(!present(&temp_path), "the temporary name is gone");
        assert_eq!(std::fs::read(&target).unwrap(), b"final content");
        // Still open, at its position, and no longer temporary.
        assert_eq!(file.stream_position().await.unwrap(), 13);
        file.write_all(b"!").await.unwrap();
        assert_eq!(read_all(&mut file).await, b"final content!");
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"final content!");
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            1,
            "only the target"
        );
    });
}

/// The persisted `File` must not keep reporting (and naming in its errors) the temporary
/// path, which no longer exists: the `persist` docs say its `path()` is `None`.
#[test]
fn persisted_file_does_not_report_the_old_temporary_path() {
    run(|| async {
        let (_dir, root) = scratch();
        let tmp = Builder::new().tempfile_in(&root).await.unwrap();
        let temp_path = tmp.path().to_owned();
        let target = root.join("final.txt");
        let file = tmp.persist(&target).await.unwrap();
        assert!(!present(&temp_path));
        assert!(
            file.path().is_none() || file.path() == Some(target.as_path()),
            "the persisted file's path is {:?}: neither None nor the target `{}` (the \
             temporary path `{}` no longer exists)",
            file.path(),
            target.display(),
            temp_path.display()
        );
    });
}

#[test]
fn persist_replaces_an_existing_file() {
    run(|| async {
        let (_dir, root) = scratch();
        let target = root.join("target");
        std::fs::write(&target, "old and longer content").unwrap();
        let mut tmp = Builder::new().tempfile_in(&root).on(Inline).await.unwrap();
        tmp.write_all(b"new").await.unwrap();
        let file = tmp.persist(&target).await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        drop(file);
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
    });
}

#[test]
fn persist_to_a_missing_directory_hands_the_file_back() {
    run(|| async {
        let (_dir, root) = scratch();
        let mut tmp = Builder::new().tempfile_in(&root).await.unwrap();
        tmp.write_all(b"keep me").await.unwrap();
        let temp_path = tmp.path().to_owned();
        let target = root.join("no/such/dir/x");
        let err = tmp.persist(&target).await.unwrap_err();
        assert_eq!(err.error.kind(), ErrorKind::NotFound);
        let message = err.to_string();
        assert!(
            message.contains(&format!("`{}`", temp_path.display()))
                && message.contains(&format!("`{}`", target.display())),
            "{message}"
        );
        assert!(std::error::Error::source(&err).is_some());

        // The temporary file is back, unchanged, still temporary, its data written.
        let mut tmp = err.file;
        assert_eq!(tmp.path(), temp_path);
        assert!(present(&temp_path));
        assert_eq!(std::fs::read(&temp_path).unwrap(), b"keep me");
        tmp.write_all(b", please").await.unwrap();
        assert_eq!(read_all(&mut tmp).await, b"keep me, please");

        // It can be persisted elsewhere after all.
        let err = tmp.persist(root.join("missing/again")).await.unwrap_err();
        assert_eq!(err.error.kind(), ErrorKind::NotFound);
        let file = err.file.persist(root.join("ok")).await.unwrap();
        file.close().await.unwrap();
        assert_eq!(std::fs::read(root.join("ok")).unwrap(), b"keep me, please");

        // And a PersistError converts into its io::Error.
        let tmp = Builder::new().tempfile_in(&root).await.unwrap();
        let temp_path = tmp.path().to_owned();
        let io_err: std::io::Error = tmp.persist(root.join("x/y")).await.unwrap_err().into();
        assert_eq!(io_err.kind(), ErrorKind::NotFound);
        // Dropping the handed-back file (inside the error) removed it.
        assert!(!present(&temp_path), "removed when drop returns");
    });
}

#[test]
fn keep_keeps_the_file() {
    run(|| async {
        let (_dir, root) = scratch();
        let mut tmp = Builder::new().tempfile_in(&root).await.unwrap();
        tmp.write_all(b"kept").await.unwrap();
        let temp_path = tmp.path().to_owned();
        let (file, path) = tmp.keep();
        assert_eq!(path, temp_path);
        assert_eq!(file.path(), Some(path.as_path()));
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");

        // Dropped instead of closed: kept too (checked deterministically on Inline).
        let tmp = Builder::new().tempfile_in(&root).on(Inline).await.unwrap();
        let (file, path) = tmp.keep();
        drop(file);
        assert!(path.is_file());
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 2);
    });
}

#[test]
fn builder_keep_true_is_not_removed() {
    run(|| async {
        let (_dir, root) = scratch();
        let mut file = Builder::new().keep(true).tempfile_in(&root).await.unwrap();
        let path = file.path().to_owned();
        file.write_all(b"delete=False").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"delete=False");

        let file = Builder::new()
            .keep(true)
            .tempfile_in(&root)
            .on(Inline)
            .await
            .unwrap();
        let path = file.path().to_owned();
        drop(file); // on Inline, a removal would have happened by now
        assert!(path.is_file());

        let dir = Builder::new().keep(true).tempdir_in(&root).await.unwrap();
        let dir_path = dir.path().to_owned();
        dir.close().await.unwrap();
        assert!(dir_path.is_dir());
        let dir = Builder::new()
            .keep(true)
            .tempdir_in(&root)
            .on(Inline)
            .await
            .unwrap();
        let dir_path = dir.path().to_owned();
        drop(dir);
        assert!(dir_path.is_dir());
    });
}

#[test]
fn builder_names() {
    run(|| async {
        let (_dir, root) = scratch();
        let file = Builder::new()
            .prefix("report-")
            .suffix(".txt")
            .rand_bytes(10)
            .tempfile_in(&root)
            .await
            .unwrap();
        assert_eq!(file.path().parent(), Some(root.as_path()));
        assert_shape(&file_name(file.path()), "report-", 10, ".txt");

        // Defaults: `.tmp` and 6 random characters.
        let default = Builder::new().tempfile_in(&root).await.unwrap();
        assert_shape(&file_name(default.path()), ".tmp", 6, "");
        let other = Builder::default().tempfile_in(&root).await.unwrap();
        assert_ne!(default.path(), other.path());

        // No prefix.
        let bare = Builder::new()
            .prefix("")
            .rand_bytes(12)
            .tempfile_in(&root)
            .await
            .unwrap();
        assert_shape(&file_name(bare.path()), "", 12, "");

        // No random part: exactly prefix + suffix, once.
        let fixed = Builder::new()
            .prefix("fixed")
            .suffix(".name")
            .rand_bytes(0)
            .tempfile_in(&root)
            .await
            .unwrap();
        assert_eq!(fixed.path(), root.join("fixed.name"));
        let err = Builder::new()
            .prefix("fixed")
            .suffix(".name")
            .rand_bytes(0)
            .tempfile_in(&root)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);

        // In the system's temporary directory by default.
        let in_tmp = Builder::new()
            .prefix("aiofiles-it-")
            .tempfile()
            .await
            .unwrap();
        assert_eq!(in_tmp.path().parent(), Some(std::env::temp_dir().as_path()));
        assert_shape(&file_name(in_tmp.path()), "aiofiles-it-", 6, "");
        in_tmp.close().await.unwrap();

        // The builder is reusable, and each file is new.
        let mut builder = Builder::new();
        builder.prefix("same-");
        let one = builder.tempfile_in(&root).await.unwrap();
        let two = builder.tempfile_in(&root).on(Inline).await.unwrap();
        assert_ne!(one.path(), two.path());
        assert_shape(&file_name(two.path()), "same-", 6, "");
    });
}

#[test]
fn tempfile_in_a_directory() {
    run(|| async {
        let (_dir, root) = scratch();
        let file = Builder::new().tempfile_in(&root).await.unwrap();
        assert_eq!(file.path().parent(), Some(root.as_path()));
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
        file.close().await.unwrap();
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);

        let missing = root.join("missing");
        let err = Builder::new().tempfile_in(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.to_string()
                .contains(&format!("`{}`", missing.display())),
            "{err}"
        );
        let err = Builder::new().tempdir_in(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.to_string()
                .contains(&format!("`{}`", missing.display())),
            "{err}"
        );
    });
}

#[test]
fn temp_files_are_created_0o600() {
    run(|| async {
        let (_dir, root) = scratch();
        let file = Builder::new().tempfile_in(&root).await.unwrap();
        assert_eq!(mode_of(file.path()), 0o600);
        let file = NamedTempFile::new().on(Inline).await.unwrap();
        assert_eq!(mode_of(file.path()), 0o600);
        let file = Builder::new()
            .prefix("p")
            .suffix(".s")
            .keep(true)
            .tempfile_in(&root)
            .await
            .unwrap();
        assert_eq!(mode_of(file.path()), 0o600);
    });
}

/// DESIGN §11 and the `tempfile` module docs: "temporary directories 0o700".
#[test]
fn temp_dirs_are_created_0o700() {
    run(|| async {
        let (_dir, root) = scratch();
        let dir = Builder::new().tempdir_in(&root).await.unwrap();
        let mode = mode_of(dir.path());
        assert!(
            mode == 0o700,
            "Builder::tempdir_in created {mode:o}, not 700"
        );
        let dir = tempfile::tempdir().await.unwrap();
        let mode = mode_of(dir.path());
        assert!(mode == 0o700, "tempdir() created {mode:o}, not 700");
    });
}

#[test]
fn chosen_permissions() {
    run(|| async {
        let (_dir, root) = scratch();
        // Less the umask, which never takes the owner's bits here.
        let file = Builder::new()
            .permissions(Permissions::from_mode(0o640))
            .tempfile_in(&root)
            .await
            .unwrap();
        let mode = mode_of(file.path());
        assert_eq!(mode & !0o640, 0, "{mode:o}");
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        let dir = Builder::new()
            .permissions(Permissions::from_mode(0o750))
            .tempdir_in(&root)
            .await
            .unwrap();
        let mode = mode_of(dir.path());
        assert_eq!(mode & !0o750, 0, "{mode:o}");
        assert_eq!(mode & 0o700, 0o700, "{mode:o}");
    });
}

/// Runs `manual`'s queue until `root` is empty (a removal may be queued on the same
/// executor, or happen in the background elsewhere); fails after `limit` with what is left.
#[track_caller]
fn run_until_empty(manual: &ManualExecutor, root: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        manual.run_all();
        let left: Vec<PathBuf> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still there after {limit:?}: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A creation dropped after its first poll still creates the file (the work was handed over);
/// the docs of `NewNamedTempFile` promise that it "is then removed in the background".
#[test]
fn dropped_creation_does_not_leak_the_file() {
    run(|| async {
        let (_dir, root) = scratch();
        let manual = ManualExecutor::new();
        let mut create = Box::pin(Builder::new().tempfile_in(&root).on(manual.clone()));
        assert!(futures::poll!(create.as_mut()).is_pending());
        drop(create);
        assert!(manual.run_one(), "the creation was queued");
        run_until_empty(&manual, &root, Duration::from_secs(3));
    });
}

/// As above, for a directory (`NewTempDir`'s docs promise the same).
#[test]
fn dropped_creation_does_not_leak_the_directory() {
    run(|| async {
        let (_dir, root) = scratch();
        let manual = ManualExecutor::new();
        let mut create = Box::pin(Builder::new().tempdir_in(&root).on(manual.clone()));
        assert!(futures::poll!(create.as_mut()).is_pending());
        drop(create);
        assert!(manual.run_one(), "the creation was queued");
        run_until_empty(&manual, &root, Duration::from_secs(3));
    });
}

/// Dropping removes the file or directory on the dropping thread (so it is gone even if the
/// process exits right after), without waiting for the executor, even a saturated one.
#[test]
fn drop_removes_at_once_even_when_the_executor_is_busy() {
    run(|| async {
        let (_dir, root) = scratch();

        // A `Limit` of 1 whose place is taken until we say so.
        let limit = Limit::new(Blocking, 1);
        let file = Builder::new()
            .tempfile_in(&root)
            .on(limit.clone())
            .await
            .unwrap();
        let dir = Builder::new()
            .tempdir_in(&root)
            .on(limit.clone())
            .await
            .unwrap();
        std::fs::write(dir.path().join("inside"), "x").unwrap();
        let (file_path, dir_path) = (file.path().to_owned(), dir.path().to_owned());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = aiofiles::unblock(move || wait.recv().unwrap()).on(limit.clone());
        let mut busy = Box::pin(busy);
        assert!(futures::poll!(busy.as_mut()).is_pending());

        let started = Instant::now();
        drop(file);
        drop(dir);
        assert!(started.elapsed() < Duration::from_secs(1), "drop blocked");
        assert!(!present(&file_path), "the file is gone when drop returns");
        assert!(!present(&dir_path), "the tree is gone when drop returns");
        release.send(()).unwrap();
        busy.await.unwrap();

        // With a hand-run executor: nothing is left to it.
        let manual = ManualExecutor::new();
        let mut create = Box::pin(Builder::new().tempfile_in(&root).on(manual.clone()));
        assert!(futures::poll!(create.as_mut()).is_pending());
        manual.run_all();
        let file = match futures::poll!(create.as_mut()) {
            std::task::Poll::Ready(file) => file.unwrap(),
            std::task::Poll::Pending => panic!("created, yet pending"),
        };
        let path = file.path().to_owned();
        drop(file);
        assert!(!present(&path));
        assert_eq!(manual.pending(), 0);
    });
}

// ---------------------------------------------------------------------------------------------
// SpooledTemporaryFile: SpooledTempFile

#[test]
fn spooled_stays_in_memory_up_to_max_size() {
    run(|| async {
        let mut file = SpooledTempFile::new(10);
        assert!(!file.is_rolled());
        file.write_all(b"01234").await.unwrap();
        assert!(!file.is_rolled());
        file.write_all(b"56789").await.unwrap();
        assert!(!file.is_rolled(), "exactly max_size bytes: in memory");
        file.flush().await.unwrap();
        assert!(!file.is_rolled());

        // Overwriting within the size is no growth.
        file.seek(SeekFrom::Start(0)).await.unwrap();
        file.write_all(b"abcdefghij").await.unwrap();
        assert!(!file.is_rolled());
        assert_eq!(read_all(&mut file).await, b"abcdefghij");
        assert!(!file.is_rolled(), "reading never rolls over");

        // One byte beyond: on disk, content intact.
        file.write_all(b"K").await.unwrap();
        assert!(file.is_rolled());
        assert_eq!(file.stream_position().await.unwrap(), 11);
        assert_eq!(read_all(&mut file).await, b"abcdefghijK");

        // Later writes go to the file.
        file.write_all(b"LM").await.unwrap();
        assert_eq!(read_all(&mut file).await, b"abcdefghijKLM");
        file.close().await.unwrap();
    });
}

#[test]
fn spooled_keeps_the_position_across_rollover() {
    run(|| async {
        let mut file = SpooledTempFile::new(10);
        file.write_all(b"0123456789").await.unwrap();
        file.seek(SeekFrom::Start(3)).await.unwrap();
        file.write_all(b"abcdefgh").await.unwrap(); // ends at 11
        assert!(file.is_rolled());
        assert_eq!(file.stream_position().await.unwrap(), 11);
        file.write_all(b"Z").await.unwrap();
        assert_eq!(read_all(&mut file).await, b"012abcdefghZ");

        // A read from the middle after rollover.
        file.seek(SeekFrom::Start(5)).await.unwrap();
        let mut five = [0u8; 5];
        file.read_exact(&mut five).await.unwrap();
        assert_eq!(&five, b"cdefg");
        assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 12);

        // A seek beyond the end in memory, then a write that rolls over: a hole of zeros.
        let mut file = SpooledTempFile::new(10);
        file.write_all(b"ab").await.unwrap();
        assert_eq!(file.seek(SeekFrom::Start(20)).await.unwrap(), 20);
        assert!(!file.is_rolled(), "seeking never rolls over");
        file.write_all(b"y").await.unwrap();
        assert!(file.is_rolled());
        assert_eq!(file.stream_position().await.unwrap(), 21);
        let mut expected = b"ab".to_vec();
        expected.resize(20, 0);
        expected.push(b'y');
        assert_eq!(read_all(&mut file).await, expected);

        // The same hole, in memory.
        let mut file = SpooledTempFile::new(100);
        file.seek(SeekFrom::Start(50)).await.unwrap();
        file.write_all(b"x").await.unwrap();
        assert!(!file.is_rolled());
        let mut expected = vec![0u8; 50];
        expected.push(b'x');
        assert_eq!(read_all(&mut file).await, expected);
    });
}

#[test]
fn spooled_large_content_survives_rollover() {
    run(|| async {
        let data = pattern(200_000);
        let max = 64 * 1024;
        let mut file = SpooledTempFile::new(max);
        let mut written = 0;
        for chunk in data.chunks(1000) {
            file.write_all(chunk).await.unwrap();
            written += chunk.len();
            assert_eq!(file.is_rolled(), written > max, "after {written} bytes");
        }
        assert_eq!(file.stream_position().await.unwrap(), 200_000);
        assert_eq!(read_all(&mut file).await, data);

        // One big write beyond max at once.
        let mut file = SpooledTempFile::new(1000).on(Inline);
        file.write_all(&data).await.unwrap();
        assert!(file.is_rolled());
        assert_eq!(read_all(&mut file).await, data);
    });
}

#[test]
fn spooled_max_size_zero_never_rolls_on_its_own() {
    run(|| async {
        let data = pattern(1 << 20);
        let mut file = SpooledTempFile::new(0);
        file.write_all(&data).await.unwrap();
        file.write_all(b"more").await.unwrap();
        assert!(!file.is_rolled());
        file.flush().await.unwrap();
        assert!(!file.is_rolled());
        let mut expected = data.clone();
        expected.extend_from_slice(b"more");
        assert_eq!(read_all(&mut file).await, expected);

        // On request, keeping the position and the data.
        file.seek(SeekFrom::Start(100)).await.unwrap();
        file.rollover().await.unwrap();
        assert!(file.is_rolled());
        assert_eq!(file.stream_position().await.unwrap(), 100);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, expected[100..]);
        file.rollover().await.unwrap(); // nothing more to do
        assert!(file.is_rolled());
        assert_eq!(read_all(&mut file).await, expected);
    });
}

async fn spooled_rollover_on_request<E: Executor>(exec: E) {
    let mut file = SpooledTempFile::new(1000).on(exec);
    file.write_all(b"spooled data").await.unwrap();
    file.seek(SeekFrom::Start(2)).await.unwrap();
    assert!(!file.is_rolled());
    file.rollover().await.unwrap();
    assert!(file.is_rolled());
    assert_eq!(file.stream_position().await.unwrap(), 2);
    file.write_all(b"OO").await.unwrap();
    assert_eq!(read_all(&mut file).await, b"spOOled data");

    // Empty, rolled over: an empty file.
    let mut empty = SpooledTempFile::new(5);
    empty.rollover().await.unwrap();
    assert!(empty.is_rolled());
    assert_eq!(read_all(&mut empty).await, b"");
    empty.write_all(b"now on disk").await.unwrap();
    assert_eq!(read_all(&mut empty).await, b"now on disk");
}

#[test]
fn spooled_lines_in_memory_and_on_disk() {
    run(|| async {
        let mut file = SpooledTempFile::new(16);
        file.write_all(b"a\nbb\n").await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
        assert_eq!(lines, ["a", "bb"]);
        assert!(!file.is_rolled());
        file.write_all(b"ccc\ndddd\neeeee\n").await.unwrap();
        assert!(file.is_rolled());
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
        assert_eq!(lines, ["a", "bb", "ccc", "dddd", "eeeee"]);
    });
}

#[test]
fn builder_spooled() {
    run(|| async {
        let mut file = Builder::new().prefix("ignored-").spooled(5);
        assert!(!file.is_rolled());
        file.write_all(b"12345").await.unwrap();
        assert!(!file.is_rolled());
        file.write_all(b"6").await.unwrap();
        assert!(file.is_rolled());
        assert_eq!(read_all(&mut file).await, b"123456");

        let mut file = Builder::new().spooled(0).on(Inline);
        file.write_all(&pattern(10_000)).await.unwrap();
        assert!(!file.is_rolled());
        assert_eq!(read_all(&mut file).await, pattern(10_000));
    });
}

// ---------------------------------------------------------------------------------------------
// TemporaryDirectory: TempDir

async fn tempdir_is_removed_by_close<E: Executor>(exec: E) {
    let (_outside, outside) = scratch();
    std::fs::write(outside.join("outside.txt"), "untouched").unwrap();
    let dir = tempfile::tempdir().on(exec.clone()).await.unwrap();
    let path = dir.path().to_owned();
    assert!(path.is_dir());
    assert_eq!(path.parent(), Some(std::env::temp_dir().as_path()));
    assert_shape(&file_name(&path), ".tmp", 6, "");

    // Files and directories inside.
    std::fs::write(path.join("a.txt"), "a").unwrap();
    std::fs::create_dir_all(path.join("sub/deeper")).unwrap();
    std::fs::write(path.join("sub/deeper/b.txt"), "b").unwrap();
    std::os::unix::fs::symlink(&outside, path.join("sub/to-outside")).unwrap();
    let mut named = Builder::new()
        .tempfile_in(&path)
        .on(exec.clone())
        .await
        .unwrap();
    named.write_all(b"inside").await.unwrap();
    named.flush().await.unwrap();

    dir.close().await.unwrap();
    assert!(!present(&path), "removed with everything in it");
    assert_eq!(
        std::fs::read(outside.join("outside.txt")).unwrap(),
        b"untouched",
        "a symlink inside is not followed"
    );
    drop(named);
}

#[test]
fn tempdir_names() {
    run(|| async {
        let (_scratch, root) = scratch();
        let dir = Builder::new()
            .prefix("build-")
            .suffix(".d")
            .rand_bytes(8)
            .tempdir_in(&root)
            .await
            .unwrap();
        assert_eq!(dir.path().parent(), Some(root.as_path()));
        assert_shape(&file_name(dir.path()), "build-", 8, ".d");
        assert!(dir.path().is_dir());

        let dir = Builder::new().prefix("work-").tempdir().await.unwrap();
        assert_eq!(dir.path().parent(), Some(std::env::temp_dir().as_path()));
        assert_shape(&file_name(dir.path()), "work-", 6, "");
        dir.close().await.unwrap();
    });
}

#[test]
fn tempdir_is_removed_after_drop() {
    run(|| async {
        let (_scratch, root) = scratch();
        let dir = Builder::new().tempdir_in(&root).await.unwrap();
        let path = dir.path().to_owned();
        std::fs::create_dir_all(path.join("x/y")).unwrap();
        std::fs::write(path.join("x/y/z"), "z").unwrap();
        drop(dir);
        assert!(!present(&path), "removed when drop returns");

        let dir = Builder::new().tempdir_in(&root).on(Inline).await.unwrap();
        let path = dir.path().to_owned();
        std::fs::write(path.join("f"), "f").unwrap();
        drop(dir);
        assert!(!present(&path), "on Inline: removed at once");
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
    });
}

#[test]
fn tempdir_keep() {
    run(|| async {
        let (_scratch, root) = scratch();
        let dir = Builder::new().tempdir_in(&root).on(Inline).await.unwrap();
        let original = dir.path().to_owned();
        std::fs::write(original.join("f"), "kept").unwrap();
        let path = dir.keep();
        assert_eq!(path, original);
        assert_eq!(std::fs::read(path.join("f")).unwrap(), b"kept");

        let dir = tempfile::tempdir().await.unwrap();
        let path = dir.keep();
        std::thread::sleep(Duration::from_millis(50));
        assert!(path.is_dir());
        std::fs::remove_dir(&path).unwrap();
    });
}

#[test]
fn tempdir_close_reports_errors() {
    run(|| async {
        let (_scratch, root) = scratch();
        let dir = Builder::new().tempdir_in(&root).await.unwrap();
        let path = dir.path().to_owned();
        std::fs::remove_dir(&path).unwrap();
        let err = dir.close().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(
            err.to_string().contains(&format!("`{}`", path.display())),
            "{err}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The executor matrix
//
// Every test above that takes an executor, once per executor:
// `on_blocking::tempdir_is_removed_by_close` and so on.

on_each_executor!(
    and {
        on_a_limit_of_one => Limit::new(Blocking, 1),
        on_a_limit_of_two => Limit::new(Blocking, 2),
        on_a_user_executor => ThreadPerJob,
    };
    temporary_file_writes_and_reads_lines,
    named_temp_file_exists_while_open_and_is_removed_by_close,
    spooled_rollover_on_request,
    tempdir_is_removed_by_close,
);
