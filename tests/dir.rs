//! `aiofiles::Dir`: every escape from the root is refused with `PermissionDenied` naming the
//! path, nothing outside is read, created, changed or deleted, and paths that stay inside
//! (symlinks included) keep working.

#![cfg(feature = "cap-std")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::future::IntoFuture;
use std::io::{self, ErrorKind};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use aiofiles::testing::ManualExecutor;
use aiofiles::{Blocking, Dir, Executor, Inline};
use futures::{AsyncSeekExt, AsyncWriteExt, FutureExt, Stream, StreamExt, TryStreamExt};

use common::{run, source_of};

/// What the canary files outside the root hold; no read through a `Dir` may ever return it.
const SECRET: &[u8] = b"CANARY: these bytes live outside the root";

/// A root directory with planted symlinks, next to canary files it must not reach.
///
/// ```text
/// base/
///   canary                  SECRET
///   outside/inner           SECRET
///   outside/sub/deep        SECRET
///   root/                   the Dir
///     victim                "victim"
///     a/b/                  (empty)
///     sub/file              "inside"
///     link_abs      -> /abs/base/outside
///     link_abs_file -> /abs/base/canary
///     link_up       -> ..
///     chain1 -> chain2 -> a/chain3 -> ../../outside
///     chain_file1 -> chain_file2 -> a/chain_file3 -> ../../canary
///     loop1 -> loop2 -> loop1
///     abs_in        -> /abs/base/root/victim (absolute, though inside)
/// ```
struct Sandbox {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    canary: PathBuf,
    before: Snapshot,
}

/// Everything outside the root: each path's type, size, mtime and, for files, content.
type Snapshot = BTreeMap<PathBuf, (String, u64, SystemTime, Vec<u8>)>;

/// A time no operation in these tests can produce, so that any change to an mtime shows.
fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

fn set_mtime(path: &Path) {
    std::fs::File::open(path)
        .and_then(|f| f.set_modified(long_ago()))
        .unwrap_or_else(|e| panic!("set the mtime of {}: {e}", path.display()));
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("root");
        let canary = base.join("canary");
        std::fs::write(&canary, SECRET).unwrap();
        std::fs::create_dir_all(base.join("outside/sub")).unwrap();
        std::fs::write(base.join("outside/inner"), SECRET).unwrap();
        std::fs::write(base.join("outside/sub/deep"), SECRET).unwrap();

        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("victim"), "victim").unwrap();
        std::fs::write(root.join("sub/file"), "inside").unwrap();
        symlink(base.join("outside"), root.join("link_abs")).unwrap();
        symlink(&canary, root.join("link_abs_file")).unwrap();
        symlink("..", root.join("link_up")).unwrap();
        symlink("chain2", root.join("chain1")).unwrap();
        symlink("a/chain3", root.join("chain2")).unwrap();
        symlink("../../outside", root.join("a/chain3")).unwrap();
        symlink("chain_file2", root.join("chain_file1")).unwrap();
        symlink("a/chain_file3", root.join("chain_file2")).unwrap();
        symlink("../../canary", root.join("a/chain_file3")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        symlink(root.join("victim"), root.join("abs_in")).unwrap();

        for path in [
            base.join("outside/sub/deep"),
            base.join("outside/sub"),
            base.join("outside/inner"),
            base.join("outside"),
            canary.clone(),
            base.clone(),
        ] {
            set_mtime(&path);
        }
        let mut sandbox = Sandbox {
            _tmp: tmp,
            base,
            root,
            canary,
            before: Snapshot::new(),
        };
        sandbox.before = sandbox.snapshot();
        sandbox
    }

    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        let mut todo = vec![self.base.clone()];
        while let Some(path) = todo.pop() {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = match meta.is_file() {
                true => std::fs::read(&path).unwrap(),
                false => Vec::new(),
            };
            let kind = format!("{:?}", meta.file_type());
            snapshot.insert(
                path.clone(),
                (kind, meta.len(), meta.modified().unwrap(), content),
            );
            if meta.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    let child = entry.unwrap().path();
                    if child != self.root {
                        todo.push(child);
                    }
                }
            }
        }
        snapshot
    }

    /// Nothing outside the root was created, changed or deleted.
    #[track_caller]
    fn assert_untouched(&self) {
        let now = self.snapshot();
        let before: BTreeSet<_> = self.before.keys().collect();
        let after: BTreeSet<_> = now.keys().collect();
        assert_eq!(before, after, "files appeared or vanished outside the root");
        for (path, was) in &self.before {
            assert_eq!(&now[path], was, "{} changed", path.display());
        }
        assert_eq!(std::fs::read(&self.canary).unwrap(), SECRET);
    }

    async fn dir(&self) -> Dir<Inline> {
        Dir::open_ambient(&self.root).on(Inline).await.unwrap()
    }
}

/// Runs every operation of `Dir` with `path` in each of its path positions; the label names
/// the operation.
async fn every_op<E: Executor>(dir: &Dir<E>, path: &Path) -> Vec<(String, io::Result<()>)> {
    let mut out = Vec::new();
    for mode in ["r", "r+", "w", "w+", "a", "a+", "x", "x+"] {
        out.push((format!("open {mode}"), dir.open(path, mode).await.map(drop)));
    }
    out.push(("read".into(), dir.read(path).await.map(drop)));
    out.push((
        "read_to_string".into(),
        dir.read_to_string(path).await.map(drop),
    ));
    out.push(("write".into(), dir.write(path, "written").await));
    out.push(("create_dir".into(), dir.create_dir(path).await));
    out.push(("create_dir_all".into(), dir.create_dir_all(path).await));
    out.push(("remove_file".into(), dir.remove_file(path).await));
    out.push(("remove_dir".into(), dir.remove_dir(path).await));
    out.push(("remove_dir_all".into(), dir.remove_dir_all(path).await));
    out.push(("metadata".into(), dir.metadata(path).await.map(drop)));
    out.push((
        "symlink_metadata".into(),
        dir.symlink_metadata(path).await.map(drop),
    ));
    out.push(("try_exists".into(), dir.try_exists(path).await.map(drop)));
    out.push(("read_link".into(), dir.read_link(path).await.map(drop)));
    out.push(("read_dir".into(), dir.read_dir(path).await.map(drop)));
    out.push(("open_dir".into(), dir.open_dir(path).await.map(drop)));
    out.push(("rename from".into(), dir.rename(path, dir, "moved").await));
    out.push(("rename to".into(), dir.rename("victim", dir, path).await));
    out.push((
        "hard_link from".into(),
        dir.hard_link(path, dir, "hl").await,
    ));
    out.push((
        "hard_link to".into(),
        dir.hard_link("victim", dir, path).await,
    ));
    out.push(("symlink".into(), dir.symlink("victim", path).await));
    out
}

/// Runs the operations that follow a final symlink: on a link whose target is outside,
/// every one of them must be refused.
async fn following_ops<E: Executor>(dir: &Dir<E>, path: &Path) -> Vec<(String, io::Result<()>)> {
    let mut out = Vec::new();
    for mode in ["r", "r+", "w", "w+", "a", "a+"] {
        out.push((format!("open {mode}"), dir.open(path, mode).await.map(drop)));
    }
    out.push(("read".into(), dir.read(path).await.map(drop)));
    out.push((
        "read_to_string".into(),
        dir.read_to_string(path).await.map(drop),
    ));
    out.push(("write".into(), dir.write(path, "written").await));
    out.push(("metadata".into(), dir.metadata(path).await.map(drop)));
    out.push(("try_exists".into(), dir.try_exists(path).await.map(drop)));
    out.push(("read_dir".into(), dir.read_dir(path).await.map(drop)));
    out.push(("open_dir".into(), dir.open_dir(path).await.map(drop)));
    out
}

/// Each result is `PermissionDenied` and its message names `path`.
#[track_caller]
fn assert_all_refused(results: Vec<(String, io::Result<()>)>, path: &Path) {
    assert!(!results.is_empty());
    for (op, result) in results {
        let err = match result {
            Ok(()) => panic!("{op} `{}` was allowed", path.display()),
            Err(err) => err,
        };
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "{op} `{}`: {err}",
            path.display()
        );
        let shown = format!("`{}`", path.display());
        assert!(
            err.to_string().contains(&shown),
            "{op}: `{err}` does not name {shown}"
        );
    }
}

/// Each result is an error (or, for the listed operations, anything) that is not
/// `PermissionDenied` and names `path`.
#[track_caller]
fn assert_no_escape(results: Vec<(String, io::Result<()>)>, path: &Path, may_succeed: &[&str]) {
    for (op, result) in results {
        match result {
            Ok(()) => assert!(
                may_succeed.contains(&op.as_str()),
                "{op} `{}` succeeded",
                path.display()
            ),
            Err(err) => {
                assert_ne!(err.kind(), ErrorKind::PermissionDenied, "{op}: {err}");
                let shown = format!("`{}`", path.display());
                assert!(
                    err.to_string().contains(&shown),
                    "{op}: `{err}` does not name {shown}"
                );
            }
        }
    }
}

#[test]
fn dot_dot_past_the_root_is_refused() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in [
            "../canary",
            "a/../../canary",
            "a/b/../../../canary",
            "./../canary",
            "a/./../../canary",
            "..",
            "../root/victim",
            "../outside/inner",
        ] {
            let path = Path::new(path);
            assert_all_refused(every_op(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        // The root is intact as well.
        assert_eq!(
            std::fs::read(sandbox.root.join("victim")).unwrap(),
            b"victim"
        );

        // Resolution is the OS's, not lexical: it stops at a component that is missing.
        let path = Path::new("missing/../../canary");
        for (op, result) in every_op(&dir, path).await {
            let err = result.expect_err(&op);
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::NotFound | ErrorKind::PermissionDenied
                ),
                "{op}: {err}"
            );
            assert!(
                err.to_string().contains("`missing/../../canary`"),
                "{op}: {err}"
            );
        }
        sandbox.assert_untouched();
    });
}

#[test]
fn absolute_paths_are_refused_even_inside_the_root() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let inside = sandbox.root.join("victim");
        for path in [
            sandbox.canary.as_path(),
            &sandbox.base.join("outside/inner"),
            &inside,
            Path::new("/"),
            Path::new("/etc/passwd"),
        ] {
            assert_all_refused(every_op(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        assert_eq!(std::fs::read(&inside).unwrap(), b"victim");
    });
}

#[test]
fn an_empty_path_is_not_found_not_an_escape() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let path = Path::new("");
        // As `std::fs`: `create_dir_all("")` has nothing to do, `try_exists("")` is false.
        assert!(!dir.try_exists(path).await.unwrap());
        for (op, result) in every_op(&dir, path).await {
            if let Err(err) = result {
                assert_eq!(err.kind(), ErrorKind::NotFound, "{op}: {err}");
                assert!(err.to_string().contains("``"), "{op}: {err}");
            }
        }
        sandbox.assert_untouched();
    });
}

#[test]
fn dot_is_the_root_itself() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let mut names: Vec<OsString> = dir
            .read_dir(".")
            .await
            .unwrap()
            .map_ok(|e| e.file_name())
            .try_collect()
            .await
            .unwrap();
        names.sort();
        let mut expected: Vec<OsString> = std::fs::read_dir(&sandbox.root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        expected.sort();
        assert_eq!(names, expected);
        assert!(dir.metadata(".").await.unwrap().is_dir());
        assert!(dir.try_exists(".").await.unwrap());
        let again = dir.open_dir(".").await.unwrap();
        assert_eq!(again.read("victim").await.unwrap(), b"victim");
        assert_eq!(
            again.read("../canary").await.unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
        // Reading the directory as a file is the OS's error, not an escape.
        let err = dir.read(".").await.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::PermissionDenied);
        sandbox.assert_untouched();
    });
}

#[test]
fn nul_bytes_are_invalid_input() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in ["a\0b", "\0", "sub/fi\0le", "victim\0/../../canary"] {
            let path = Path::new(path);
            for (op, result) in every_op(&dir, path).await {
                let err = result.expect_err(&op);
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{op}: {err}");
                assert!(err.to_string().contains(&*path.to_string_lossy()));
            }
            sandbox.assert_untouched();
        }
    });
}

#[test]
fn very_long_names_fail_as_std_does_without_escaping() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let long = "x".repeat(300);
        for path in [long.clone(), format!("a/{long}"), format!("a/{long}/y")] {
            let path = Path::new(&path);
            let std_err = std::fs::read(sandbox.root.join(path)).unwrap_err();
            let err = dir.read(path).await.unwrap_err();
            assert_eq!(err.kind(), std_err.kind(), "{err}");
            assert_eq!(source_of(&err).raw_os_error(), std_err.raw_os_error());
            assert_no_escape(every_op(&dir, path).await, path, &[]);
            sandbox.assert_untouched();
        }
        // Long and escaping: refused either way, never outside.
        let path = PathBuf::from(format!("../{long}"));
        for (op, result) in every_op(&dir, &path).await {
            assert!(result.is_err(), "{op}");
        }
        sandbox.assert_untouched();
    });
}

#[test]
fn a_symlink_to_an_absolute_path_outside_is_refused() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in ["link_abs/inner", "link_abs/sub/deep", "link_abs/new/deeper"] {
            let path = Path::new(path);
            assert_all_refused(every_op(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        for path in ["link_abs", "link_abs_file"] {
            let path = Path::new(path);
            assert_all_refused(following_ops(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        // With a trailing slash, opening to create is refused by the OS before the link is
        // followed; everything else is an escape.
        let path = Path::new("link_abs/");
        for (op, result) in following_ops(&dir, path).await {
            let err = result.expect_err(&op);
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::IsADirectory
                ),
                "{op}: {err}"
            );
            assert!(err.to_string().contains("`link_abs/`"), "{op}: {err}");
        }
        sandbox.assert_untouched();
    });
}

#[test]
fn a_symlink_to_dot_dot_is_refused() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in [
            "link_up/canary",
            "link_up/outside/inner",
            "link_up/root/victim",
        ] {
            let path = Path::new(path);
            assert_all_refused(every_op(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        let path = Path::new("link_up");
        assert_all_refused(following_ops(&dir, path).await, path);
        sandbox.assert_untouched();
    });
}

#[test]
fn a_chain_of_symlinks_ending_outside_is_refused() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in ["chain1/inner", "chain2/sub/deep", "chain1/new"] {
            let path = Path::new(path);
            assert_all_refused(every_op(&dir, path).await, path);
            sandbox.assert_untouched();
        }
        for path in ["chain1", "chain_file1", "chain_file2", "a/chain_file3"] {
            let path = Path::new(path);
            assert_all_refused(following_ops(&dir, path).await, path);
            sandbox.assert_untouched();
        }
    });
}

#[test]
fn a_symlink_loop_is_an_error_not_an_escape() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let std_err = std::fs::read(sandbox.root.join("loop1")).unwrap_err();
        let err = dir.read("loop1").await.unwrap_err();
        assert_eq!(err.kind(), std_err.kind(), "{err}");
        assert_eq!(source_of(&err).raw_os_error(), std_err.raw_os_error());
        assert!(err.to_string().contains("`loop1`"));

        let path = Path::new("loop1/x");
        let results = every_op(&dir, path).await;
        assert!(results.iter().all(|(_, r)| r.is_err()));
        assert_no_escape(results, path, &[]);
        for (op, result) in following_ops(&dir, Path::new("loop1")).await {
            assert!(result.is_err(), "{op} through a loop succeeded");
        }
        sandbox.assert_untouched();
    });
}

#[test]
fn an_absolute_symlink_is_refused_even_when_it_points_inside() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let path = Path::new("abs_in");
        assert_all_refused(following_ops(&dir, path).await, path);
        assert_eq!(
            std::fs::read(sandbox.root.join("victim")).unwrap(),
            b"victim"
        );
        // Nor can one be planted through the `Dir`.
        let err = dir.symlink(&sandbox.canary, "planted").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("planted"));
        assert!(!sandbox.root.join("planted").exists());
        // Its target is not revealed either.
        let err = dir.read_link("abs_in").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        sandbox.assert_untouched();
    });
}

#[test]
fn removing_an_escaping_symlink_removes_the_link_only() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        dir.remove_file("link_abs_file").await.unwrap();
        assert!(!sandbox.root.join("link_abs_file").exists());
        // As `std::fs::remove_dir_all`: a symlink is removed, its target is not followed.
        dir.remove_dir_all("link_abs").await.unwrap();
        assert!(std::fs::symlink_metadata(sandbox.root.join("link_abs")).is_err());
        dir.remove_dir_all("link_up").await.unwrap();
        dir.remove_file("chain1").await.unwrap();
        sandbox.assert_untouched();
        assert_eq!(
            std::fs::read(sandbox.root.join("victim")).unwrap(),
            b"victim"
        );
    });
}

#[test]
fn mutations_through_an_intermediate_symlink_to_outside_are_refused() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        let cases: Vec<(&str, io::Result<()>)> = vec![
            ("link_abs/new", dir.write("link_abs/new", "x").await),
            ("link_abs/inner", dir.write("link_abs/inner", "x").await),
            ("link_abs/x/y", dir.create_dir_all("link_abs/x/y").await),
            ("chain1/x/y", dir.create_dir_all("chain1/x/y").await),
            ("link_up/x", dir.create_dir_all("link_up/x").await),
            ("link_abs/sub", dir.remove_dir_all("link_abs/sub").await),
            (
                "link_up/outside",
                dir.remove_dir_all("link_up/outside").await,
            ),
            ("link_abs/inner", dir.remove_file("link_abs/inner").await),
            (
                "link_abs/inner",
                dir.rename("link_abs/inner", &dir, "stolen").await,
            ),
            (
                "link_abs/planted",
                dir.rename("victim", &dir, "link_abs/planted").await,
            ),
            (
                "link_up/canary",
                dir.rename("victim", &dir, "link_up/canary").await,
            ),
            ("link_abs/sub", dir.rename("a", &dir, "link_abs/sub").await),
            (
                "link_abs/linked",
                dir.hard_link("victim", &dir, "link_abs/linked").await,
            ),
        ];
        for (path, result) in cases {
            assert_all_refused(
                vec![(format!("mutation of {path}"), result)],
                Path::new(path),
            );
        }
        sandbox.assert_untouched();
        assert!(!sandbox.root.join("stolen").exists());
        assert_eq!(
            std::fs::read(sandbox.root.join("victim")).unwrap(),
            b"victim"
        );

        // A subdirectory's `Dir` is confined to it, and a rename into it through a symlink
        // is refused the same way.
        let a = dir.open_dir("a").await.unwrap();
        let err = dir.rename("victim", &a, "../../canary").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let err = dir
            .rename("victim", &a, "chain3/planted")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("`victim` to `chain3/planted`"));
        sandbox.assert_untouched();
    });
}

#[test]
fn try_exists_of_an_escaping_path_is_permission_denied() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in [
            "../canary",
            "../missing",
            "link_abs/inner",
            "link_abs/missing",
        ] {
            let err = dir.try_exists(path).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{path}");
            assert!(err.to_string().contains(path));
        }
        assert!(dir.try_exists("victim").await.unwrap());
        assert!(!dir.try_exists("missing").await.unwrap());
        sandbox.assert_untouched();
    });
}

#[test]
fn swapping_a_directory_for_a_symlink_never_leaks_outside_bytes() {
    common::within(Duration::from_secs(120), || {
        let sandbox = Sandbox::new();
        let root = sandbox.root.clone();
        std::fs::create_dir(root.join("swap")).unwrap();
        std::fs::write(root.join("swap/inner"), "inside").unwrap();
        let outside_abs = sandbox.base.join("outside");

        let stop = Arc::new(AtomicBool::new(false));
        // Raised once the swapper has swapped at least once: the reads race real swaps.
        let swapping = Arc::new(AtomicBool::new(false));
        let swapper = {
            let stop = Arc::clone(&stop);
            let swapping = Arc::clone(&swapping);
            let root = root.clone();
            thread::spawn(move || {
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    std::fs::rename(root.join("swap"), root.join("swap_away")).unwrap();
                    match swaps % 2 {
                        0 => symlink(&outside_abs, root.join("swap")).unwrap(),
                        _ => symlink("../outside", root.join("swap")).unwrap(),
                    }
                    thread::yield_now();
                    std::fs::remove_file(root.join("swap")).unwrap();
                    std::fs::rename(root.join("swap_away"), root.join("swap")).unwrap();
                    swaps += 1;
                    swapping.store(true, Ordering::Relaxed);
                }
                swaps
            })
        };

        while !swapping.load(Ordering::Relaxed) {
            thread::yield_now();
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            futures::executor::block_on(async {
                let dir = Dir::open_ambient(&root).on(Inline).await.unwrap();
                let (mut inside, mut refused) = (0, 0);
                for i in 0..1000 {
                    let result = match i % 3 {
                        0 => dir.read("swap/inner").await,
                        1 => match dir.open("swap/inner", "r").await {
                            Ok(mut file) => {
                                let mut bytes = Vec::new();
                                file.read_to_end(&mut bytes).await.map(|_| bytes)
                            }
                            Err(err) => Err(err),
                        },
                        _ => match dir.open_dir("swap").await {
                            Ok(swap) => swap.read("inner").await,
                            Err(err) => Err(err),
                        },
                    };
                    match result {
                        Ok(bytes) => {
                            assert_ne!(bytes, SECRET, "read the canary's bytes at attempt {i}");
                            assert_eq!(bytes, b"inside");
                            inside += 1;
                        }
                        Err(err) => {
                            assert!(
                                matches!(
                                    err.kind(),
                                    ErrorKind::PermissionDenied | ErrorKind::NotFound
                                ),
                                "attempt {i}: {err}"
                            );
                            refused += 1;
                        }
                    }
                }
                (inside, refused)
            })
        }));
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        let (inside, refused) = outcome.unwrap_or_else(|p| std::panic::resume_unwind(p));
        assert_eq!(inside + refused, 1000);
        assert!(swaps > 0);
        sandbox.assert_untouched();
    });
}

#[test]
fn symlinks_that_stay_inside_keep_working() {
    run(|| async {
        let sandbox = Sandbox::new();
        let root = &sandbox.root;
        symlink("sub/file", root.join("link_file")).unwrap();
        symlink("sub", root.join("link_dir")).unwrap();
        symlink("../victim", root.join("sub/up")).unwrap();
        symlink("link_dir", root.join("link_link")).unwrap();
        let dir = sandbox.dir().await;

        assert_eq!(dir.read("link_file").await.unwrap(), b"inside");
        assert_eq!(dir.read_to_string("link_dir/file").await.unwrap(), "inside");
        assert_eq!(dir.read("sub/up").await.unwrap(), b"victim");
        assert_eq!(dir.read("link_link/up").await.unwrap(), b"victim");
        assert_eq!(dir.read("a/../victim").await.unwrap(), b"victim");
        assert_eq!(dir.read("./a/./../sub/file").await.unwrap(), b"inside");

        dir.write("link_file", "rewritten").await.unwrap();
        assert_eq!(std::fs::read(root.join("sub/file")).unwrap(), b"rewritten");
        let mut file = dir.open("link_dir/up", "a+").await.unwrap();
        file.write_all(b"+more").await.unwrap();
        file.seek(std::io::SeekFrom::Start(0)).await.unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "victim+more");
        file.close().await.unwrap();

        dir.create_dir_all("link_dir/new/deeper").await.unwrap();
        assert!(root.join("sub/new/deeper").is_dir());
        let mut names: Vec<String> = dir
            .read_dir("link_dir")
            .await
            .unwrap()
            .map_ok(|e| e.file_name().into_string().unwrap())
            .try_collect()
            .await
            .unwrap();
        names.sort();
        assert_eq!(names, ["file", "new", "up"]);

        assert!(dir.metadata("link_dir").await.unwrap().is_dir());
        assert!(dir
            .symlink_metadata("link_dir")
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            dir.read_link("sub/up").await.unwrap(),
            Path::new("../victim")
        );
        assert!(dir.try_exists("link_link/file").await.unwrap());

        dir.symlink("../a", "sub/to_a").await.unwrap();
        assert!(dir.metadata("sub/to_a/b").await.unwrap().is_dir());
        dir.hard_link("link_file", &dir, "hard").await.unwrap();
        assert_eq!(dir.read("hard").await.unwrap(), b"rewritten");
        dir.rename("link_dir/new", &dir, "a/moved").await.unwrap();
        assert!(root.join("a/moved/deeper").is_dir());
        dir.remove_dir_all("link_dir/up").await.unwrap(); // the link, not its target
        assert_eq!(std::fs::read(root.join("victim")).unwrap(), b"victim+more");
        dir.remove_file("link_file").await.unwrap();
        assert_eq!(std::fs::read(root.join("sub/file")).unwrap(), b"rewritten");
        sandbox.assert_untouched();
    });
}

#[test]
fn open_takes_python_modes_and_returns_a_file_on_the_dirs_executor() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Dir::open_ambient(tmp.path()).on(Inline).await.unwrap();

        let mut file = dir.open("a.txt", "w").await.unwrap();
        assert_eq!(*file.executor(), Inline);
        assert_eq!(file.path(), Some(Path::new("a.txt")));
        assert_eq!(file.mode(), "w");
        file.write_all(b"hello").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(std::fs::read(tmp.path().join("a.txt")).unwrap(), b"hello");

        let mut file = dir.open("a.txt", "rb").await.unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "hello");
        assert!(file.write_all(b"no").await.is_err());

        let mut file = dir.open("a.txt", "a").await.unwrap();
        file.write_all(b" world").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("a.txt")).unwrap(),
            b"hello world"
        );

        let mut file = dir.open("a.txt", "r+").await.unwrap();
        file.write_all(b"J").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("a.txt")).unwrap(),
            b"Jello world"
        );

        let err = dir.open("a.txt", "x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("`a.txt`"));
        dir.open("b.txt", "x+")
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        let err = dir.open("missing", "r").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("`missing`"));

        // An invalid mode fails before any hand-off, as `aiofiles::open`.
        let manual = ManualExecutor::new();
        let dir = Dir::open_ambient(tmp.path()).on(manual.clone());
        let mut dir = Box::pin(dir);
        assert!(dir.as_mut().now_or_never().is_none());
        assert_eq!(manual.run_all(), 1);
        let dir = dir.await.unwrap();
        for mode in ["rw", "", "z", "r++", "rbt", "wx"] {
            let err = dir.open("a.txt", mode).now_or_never().unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(
                err.to_string(),
                aiofiles::open("a.txt", mode)
                    .now_or_never()
                    .unwrap()
                    .unwrap_err()
                    .to_string()
            );
            assert_eq!(manual.pending(), 0);
        }
    });
}

#[test]
fn every_operation_is_one_hand_off_to_the_dirs_executor() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a"), "abc").unwrap();
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        let manual = ManualExecutor::new();

        /// Polls `op` once, checks that it handed exactly one work over, runs it, and returns
        /// the result.
        async fn one_hop<F: std::future::Future + Unpin>(
            manual: &ManualExecutor,
            mut op: F,
        ) -> F::Output {
            assert!((&mut op).now_or_never().is_none());
            assert_eq!(manual.pending(), 1);
            assert_eq!(manual.run_all(), 1);
            op.now_or_never().expect("done after its one work")
        }

        let dir = one_hop(
            &manual,
            Box::pin(Dir::open_ambient(tmp.path()).on(manual.clone())),
        )
        .await
        .unwrap();
        assert_eq!(
            one_hop(&manual, Box::pin(dir.read("a"))).await.unwrap(),
            b"abc"
        );
        assert_eq!(
            one_hop(&manual, Box::pin(dir.read_to_string("a")))
                .await
                .unwrap(),
            "abc"
        );
        one_hop(&manual, Box::pin(dir.write("b", "x")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.create_dir("c")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.create_dir_all("c/d/e")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.remove_dir("c/d/e")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.remove_dir_all("c")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.rename("b", &dir, "b2")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.hard_link("b2", &dir, "b3")))
            .await
            .unwrap();
        one_hop(&manual, Box::pin(dir.symlink("b2", "l")))
            .await
            .unwrap();
        assert_eq!(
            one_hop(&manual, Box::pin(dir.read_link("l")))
                .await
                .unwrap(),
            Path::new("b2")
        );
        assert!(one_hop(&manual, Box::pin(dir.metadata("l")))
            .await
            .unwrap()
            .is_file());
        assert!(one_hop(&manual, Box::pin(dir.symlink_metadata("l")))
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(one_hop(&manual, Box::pin(dir.try_exists("l")))
            .await
            .unwrap());
        one_hop(&manual, Box::pin(dir.remove_file("b3")))
            .await
            .unwrap();
        let file = one_hop(&manual, Box::pin(dir.open("a", "r")))
            .await
            .unwrap();
        assert_eq!(file.path(), Some(Path::new("a")));
        let sub = one_hop(&manual, Box::pin(dir.open_dir("d"))).await.unwrap();
        one_hop(&manual, Box::pin(sub.write("in_d", "1")))
            .await
            .unwrap();
        assert_eq!(std::fs::read(tmp.path().join("d/in_d")).unwrap(), b"1");
        let entries = one_hop(
            &manual,
            Box::pin(IntoFuture::into_future(dir.read_dir("d"))),
        )
        .await
        .unwrap();
        assert_eq!(entries.size_hint(), (1, Some(1)));
        assert_eq!(manual.pending(), 0);
    });
}

#[test]
fn read_dir_fetches_batches_and_names_paths_relative_to_the_dir() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("many")).unwrap();
        for i in 0..1000 {
            std::fs::write(tmp.path().join(format!("many/{i}")), i.to_string()).unwrap();
        }
        let manual = ManualExecutor::new();
        let dir = Dir::open_ambient(tmp.path()).on(manual.clone());
        let mut dir = Box::pin(dir);
        assert!(dir.as_mut().now_or_never().is_none());
        manual.run_all();
        let dir = dir.await.unwrap();

        let mut listing = Box::pin(IntoFuture::into_future(dir.read_dir("many")));
        assert!(listing.as_mut().now_or_never().is_none());
        assert_eq!(manual.run_all(), 1);
        let mut listing = listing.await.unwrap();
        let (mut seen, mut hops) = (BTreeSet::new(), 1);
        loop {
            let next = match listing.next().now_or_never() {
                Some(next) => next,
                None => {
                    hops += manual.run_all();
                    listing.next().await
                }
            };
            let Some(entry) = next else { break };
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(entry.path(), Path::new("many").join(&name));
            assert!(seen.insert(name));
        }
        assert_eq!(seen.len(), 1000);
        // At least 32 entries per hand-off.
        assert!(hops <= 1000 / 32 + 1, "{hops} hand-offs for 1000 entries");

        // Entries from `.` are bare names; metadata and file type need no path from the root.
        let tmp2 = tempfile::tempdir().unwrap();
        std::fs::write(tmp2.path().join("f"), "12345").unwrap();
        symlink("/etc/passwd", tmp2.path().join("l")).unwrap();
        let dir = Dir::open_ambient(tmp2.path()).await.unwrap();
        let mut entries: Vec<_> = dir
            .read_dir(".")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        entries.sort_by_key(|e| e.file_name());
        assert_eq!(entries[0].path(), Path::new("f"));
        assert!(entries[0].file_type().await.unwrap().is_file());
        assert_eq!(entries[0].metadata().await.unwrap().len(), 5);
        assert!(entries[1].file_type().await.unwrap().is_symlink());
        assert!(entries[1]
            .metadata()
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(*dir.read_dir(".").await.unwrap().executor(), Blocking);
    });
}

#[test]
fn read_dir_has_fs_read_dirs_shape_a_lazy_stream_also_awaitable() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        // As a stream, the open error is the one item, then the stream is over.
        let items: Vec<io::Result<_>> = dir.read_dir("link_up").collect().await;
        assert_eq!(items.len(), 1);
        let err = items.into_iter().next().unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err
            .to_string()
            .starts_with("failed to read directory `link_up`: "));
        // Nothing happens before the first poll, and `.on` rebinds every batch.
        let manual = ManualExecutor::new();
        let mut listing = dir.read_dir(".").on(manual.clone());
        assert_eq!(manual.pending(), 0);
        assert!(futures::poll!(listing.next()).is_pending());
        assert_eq!(manual.run_all(), 1);
        let mut names = Vec::new();
        let mut first = None;
        while let Some(entry) = listing.next().await {
            let entry = entry.unwrap();
            names.push(entry.file_name());
            first.get_or_insert(entry);
        }
        // One batch held them all.
        assert_eq!(manual.pending(), 0);
        // Entries carry the listing's executor.
        let first = first.unwrap();
        let mut metadata = Box::pin(first.metadata());
        assert!(futures::poll!(metadata.as_mut()).is_pending());
        assert_eq!(manual.run_all(), 1);
        assert!(metadata.await.is_ok());
        let mut expected: Vec<OsString> = std::fs::read_dir(&sandbox.root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        expected.sort();
        assert_eq!(names, expected);
        assert!(futures::stream::FusedStream::is_terminated(&listing));
    });
}

#[test]
fn read_dir_of_an_escaping_or_missing_path_fails_naming_it() {
    run(|| async {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir().await;
        for path in ["..", "link_abs", "link_up", "../outside", "chain1"] {
            let err = dir.read_dir(path).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{path}: {err}");
            assert!(err
                .to_string()
                .starts_with(&format!("failed to read directory `{path}`: ")));
        }
        let err = dir.read_dir("missing").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = dir.read_dir("victim").await.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::PermissionDenied);
        sandbox.assert_untouched();
    });
}

#[test]
fn errors_keep_kind_message_and_source() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Dir::open_ambient(tmp.path()).await.unwrap();
        let err = dir.read("missing.txt").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err
            .to_string()
            .starts_with("failed to read `missing.txt`: "));
        assert_eq!(source_of(&err).raw_os_error(), Some(2));

        let err = dir.read("../x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().starts_with("failed to read `../x`: "));
        assert_eq!(source_of(&err).kind(), ErrorKind::PermissionDenied);

        let err = dir.rename("missing.txt", &dir, "y").await.unwrap_err();
        assert_eq!(
            err.to_string().split(':').next().unwrap(),
            "failed to rename `missing.txt` to `y`"
        );

        let err = Dir::open_ambient(tmp.path().join("nope"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("nope"));
        std::fs::write(tmp.path().join("file"), "").unwrap();
        let err = Dir::open_ambient(tmp.path().join("file"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("file"));
    });
}

#[test]
fn clones_share_the_directory_and_work_on_other_executors() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Dir::open_ambient(tmp.path()).await.unwrap();
        let clone = dir.clone();
        clone.write("a", "1").await.unwrap();
        assert_eq!(dir.read("a").await.unwrap(), b"1");
        assert_eq!(*dir.executor(), Blocking);
        assert!(format!("{dir:?}").starts_with("Dir"));

        // A directory stays usable after it was renamed: it is a handle, not a path.
        std::fs::create_dir(tmp.path().join("inner")).unwrap();
        let inner = dir.open_dir("inner").await.unwrap();
        std::fs::rename(tmp.path().join("inner"), tmp.path().join("renamed")).unwrap();
        inner.write("still", "here").await.unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("renamed/still")).unwrap(),
            b"here"
        );

        let limited = Dir::open_ambient(tmp.path())
            .on(aiofiles::Limit::new(Blocking, 2))
            .await
            .unwrap();
        assert_eq!(limited.executor().max(), 2);
        let reads = (0..8).map(|_| limited.read("a"));
        for bytes in futures::future::try_join_all(reads).await.unwrap() {
            assert_eq!(bytes, b"1");
        }
    });
}

#[test]
fn types_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("a"), "").unwrap();
        let open = Dir::open_ambient(tmp.path());
        send(&open);
        let dir = open.await.unwrap();
        send_sync(&dir);
        send(&dir.open("a", "r"));
        send(&dir.read("a"));
        send(&dir.read_dir("."));
        let mut entries = dir.read_dir(".").await.unwrap();
        send(&entries);
        let entry = entries.next().await.unwrap().unwrap();
        send_sync(&entry);
        send(&entry.metadata());
        send(&entry.file_type());
        send(&entries.next_entry());
    });
}

/// `Dir::open` costs what `aiofiles::open` costs: one hand-off, the head of a small file
/// read in it, so that opening and reading a small file to the end is one hand-off in all;
/// `open_with` takes the full options, buffer size included.
#[test]
fn opening_a_small_file_beneath_a_dir_and_reading_it_is_one_hand_off() {
    run(|| async {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("small.txt"), "small file").unwrap();
        let manual = ManualExecutor::new();
        let mut dir = Box::pin(Dir::open_ambient(tmp.path()).on(manual.clone()));
        assert!(dir.as_mut().now_or_never().is_none());
        assert_eq!(manual.run_all(), 1);
        let dir = dir.await.unwrap();

        let mut open = Box::pin(dir.open("small.txt", "r"));
        assert!(open.as_mut().now_or_never().is_none());
        assert_eq!(
            manual.run_all(),
            1,
            "the open and its head read: one hand-off"
        );
        let mut file = open.now_or_never().unwrap().unwrap();
        let mut bytes = Vec::new();
        let read = file.read_to_end(&mut bytes).now_or_never();
        assert_eq!(read.map(Result::unwrap), Some(10), "read from the head");
        assert_eq!(bytes, b"small file");
        assert_eq!(manual.pending(), 0);
        assert_eq!(file.mode(), "r");

        // With `buffer_size(0)` nothing is read ahead: the read is a hand-off of its own.
        let mut options = aiofiles::OpenOptions::new();
        options.read(true).buffer_size(0);
        let mut open = Box::pin(dir.open_with("small.txt", &options));
        assert!(open.as_mut().now_or_never().is_none());
        assert_eq!(manual.run_all(), 1);
        let mut file = open.now_or_never().unwrap().unwrap();
        assert_eq!(file.mode(), "rb");
        let mut bytes = Vec::new();
        let mut read = Box::pin(file.read_to_end(&mut bytes));
        assert!(read.as_mut().now_or_never().is_none());
        assert_eq!(manual.run_all(), 1);
        assert_eq!(read.now_or_never().unwrap().unwrap(), 10);
        assert_eq!(bytes, b"small file");

        // Escapes are refused by `open_with` as by `open`, naming the path.
        let mut open = Box::pin(dir.open_with("../outside", &options));
        assert!(open.as_mut().now_or_never().is_none());
        manual.run_all();
        let err = open.now_or_never().unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("`../outside`"), "{err}");
    });
}
