//! `aiofiles::os` and `aiofiles::os::path`: a port of Python aiofiles' `tests/test_os.py`,
//! with exact values checked against `std` on the same input, on several executors.

#![cfg(unix)]

mod common;

use std::ffi::OsString;
use std::fs::{File as StdFile, FileTimes, Permissions};
use std::io::{self, ErrorKind, Seek as _};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aiofiles::os::{self, path as ospath, F_OK, R_OK, W_OK, X_OK};
use aiofiles::testing::ManualExecutor;
use aiofiles::{Blocking, Executor, Inline, Limit};
use futures::TryStreamExt as _;

use common::{run, source_of, tempdir_path, Lossy, ThreadPerJob};

/// A fresh temporary directory and its path.
fn sorted(names: Vec<OsString>) -> Vec<String> {
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Whether this process ignores file permissions (root, or `CAP_DAC_OVERRIDE`): it can open a
/// mode 0o000 file for reading.
fn ignores_permissions() -> bool {
    let (_dir, root) = tempdir_path();
    let probe = root.join("probe");
    std::fs::write(&probe, "x").unwrap();
    std::fs::set_permissions(&probe, Permissions::from_mode(0o000)).unwrap();
    let opened = StdFile::open(&probe).is_ok();
    std::fs::set_permissions(&probe, Permissions::from_mode(0o600)).unwrap();
    opened
}

/// `err` names `path` (its display form) and keeps the OS error as its source.
#[track_caller]
fn assert_names(err: &io::Error, kind: ErrorKind, paths: &[&Path]) {
    assert_eq!(err.kind(), kind, "kind of `{err}`");
    let message = err.to_string();
    for path in paths {
        assert!(
            message.contains(&format!("`{}`", path.display())),
            "`{message}` does not name `{}`",
            path.display()
        );
    }
    assert_eq!(source_of(err).kind(), kind);
    assert!(
        source_of(err).raw_os_error().is_some(),
        "no OS error in `{err}`"
    );
}

// ---------------------------------------------------------------------------------------------
// stat, statvfs

async fn stat_matches_std<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    let path = root.join("file.txt");
    std::fs::write(&path, b"0123456789").unwrap();

    let ours = os::stat(&path).on(exec.clone()).await.unwrap();
    let theirs = std::fs::metadata(&path).unwrap();
    assert_eq!(ours.len(), 10);
    assert_eq!(ours.len(), theirs.len());
    assert!(ours.is_file());
    assert!(!ours.is_dir());
    assert_eq!(ours.ino(), theirs.ino());
    assert_eq!(ours.dev(), theirs.dev());
    assert_eq!(ours.mode(), theirs.mode());
    assert_eq!(ours.nlink(), 1);
    assert_eq!(ours.modified().unwrap(), theirs.modified().unwrap());

    let dir_meta = os::stat(&root).on(exec.clone()).await.unwrap();
    assert!(dir_meta.is_dir());
    assert_eq!(
        dir_meta.ino(),
        std::fs::metadata(&root).unwrap().ino(),
        "stat of the directory"
    );

    // Follows symlinks, like Python's `os.stat`.
    std::os::unix::fs::symlink(&path, root.join("link")).unwrap();
    let via_link = os::stat(root.join("link")).on(exec.clone()).await.unwrap();
    assert!(via_link.is_file());
    assert_eq!(via_link.ino(), theirs.ino());

    let missing = root.join("missing");
    let err = os::stat(&missing).on(exec).await.unwrap_err();
    assert_names(&err, ErrorKind::NotFound, &[&missing]);
}

#[test]
fn statvfs_is_sane_and_stable() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let first = os::statvfs(&root).await.unwrap();
        let second = os::statvfs(&root).on(Inline).await.unwrap();
        assert!(first.f_bsize > 0);
        assert!(first.f_frsize > 0);
        assert!(first.f_bavail <= first.f_blocks);
        assert!(first.f_bfree <= first.f_blocks);
        assert!(first.f_bavail <= first.f_bfree);
        assert!(first.f_ffree <= first.f_files);
        assert!(first.f_favail <= first.f_files);
        assert!(first.f_namemax >= 14);
        // What does not change between two calls (free counts do, and so may the inode
        // total on filesystems that allocate inodes dynamically).
        assert_eq!(first.f_bsize, second.f_bsize);
        assert_eq!(first.f_frsize, second.f_frsize);
        assert_eq!(first.f_blocks, second.f_blocks);
        assert_eq!(first.f_flag, second.f_flag);
        assert_eq!(first.f_namemax, second.f_namemax);
        assert_eq!(first.f_fsid, second.f_fsid);

        // A file answers for its filesystem.
        std::fs::write(root.join("f"), "").unwrap();
        let of_file = os::statvfs(root.join("f")).await.unwrap();
        assert_eq!(of_file.f_blocks, first.f_blocks);
        assert_eq!(of_file.f_fsid, first.f_fsid);

        let missing = root.join("missing");
        let err = os::statvfs(&missing).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing]);
    });
}

/// Where GNU `stat -f` is available, the numbers are the ones it prints.
#[cfg(target_os = "linux")]
#[test]
fn statvfs_matches_stat_command() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let output = match std::process::Command::new("stat")
            .args(["-f", "-c", "%s %S %b %l"])
            .arg(&root)
            .output()
        {
            Ok(output) if output.status.success() => output,
            _ => return, // no GNU stat here: nothing to compare with
        };
        let text = String::from_utf8(output.stdout).unwrap();
        let fields: Vec<u64> = text
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        let st = os::statvfs(&root).await.unwrap();
        assert_eq!(
            fields,
            [st.f_bsize, st.f_frsize, st.f_blocks, st.f_namemax],
            "`stat -f` says {text:?}, statvfs says {st:?}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// remove, unlink, mkdir, rmdir

#[test]
fn remove_and_unlink() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let a = root.join("a");
        let b = root.join("b");
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        assert!(ospath::exists(&a).await.unwrap());

        os::remove(&a).await.unwrap();
        assert!(!a.exists());
        assert!(!ospath::exists(&a).await.unwrap());
        os::unlink(&b).on(Inline).await.unwrap();
        assert!(!b.exists());

        let err = os::remove(&a).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&a]);
        let err = os::unlink(&b).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&b]);

        // A directory is not removed by `remove`, with std's error kind.
        let sub = root.join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = os::remove(&sub).await.unwrap_err();
        let std_err = std::fs::remove_file(&sub).unwrap_err();
        assert_names(&err, std_err.kind(), &[&sub]);
        assert_eq!(source_of(&err).raw_os_error(), std_err.raw_os_error());
        assert!(sub.is_dir());

        // A symlink is removed, not its target.
        let target = root.join("target");
        std::fs::write(&target, "t").unwrap();
        let link = root.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        os::unlink(&link).await.unwrap();
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"t");
    });
}

#[test]
fn mkdir_and_rmdir() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let dir = root.join("dir");
        os::mkdir(&dir).await.unwrap();
        assert!(dir.is_dir());
        assert!(ospath::isdir(&dir).await.unwrap());

        let err = os::mkdir(&dir).await.unwrap_err();
        assert_names(&err, ErrorKind::AlreadyExists, &[&dir]);

        let deep = root.join("missing/child");
        let err = os::mkdir(&deep).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&deep]);
        assert!(!root.join("missing").exists());

        std::fs::write(dir.join("f"), "").unwrap();
        let err = os::rmdir(&dir).await.unwrap_err();
        let std_err = std::fs::remove_dir(&dir).unwrap_err();
        assert_names(&err, std_err.kind(), &[&dir]);
        assert!(dir.join("f").exists());

        std::fs::remove_file(dir.join("f")).unwrap();
        os::rmdir(&dir).on(Inline).await.unwrap();
        assert!(!dir.exists());
        assert!(!ospath::exists(&dir).await.unwrap());

        let err = os::rmdir(&dir).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&dir]);
    });
}

// ---------------------------------------------------------------------------------------------
// rename, renames, replace

#[test]
fn rename() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let old = root.join("old.txt");
        let new = root.join("new.txt");
        std::fs::write(&old, "content").unwrap();
        os::rename(&old, &new).await.unwrap();
        assert!(!old.exists());
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "content");

        let err = os::rename(&old, &new).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&old, &new]);
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "content");

        // Into a missing directory: `rename` does not create it (that is `renames`).
        let nowhere = root.join("no/such/dir.txt");
        let err = os::rename(&new, &nowhere).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&new, &nowhere]);
        assert!(new.exists());
    });
}

#[test]
fn renames_creates_target_parents_and_prunes_source_parents() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("keep-root"), "").unwrap();

        // Source parents: `a/b/c` becomes empty and goes, `a/b` and `a` too; `k/l` keeps a
        // file, so it stays, and so does `k`.
        let old = root.join("a/b/c/file");
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::write(&old, "moved").unwrap();
        let new = root.join("x/y/z/file");
        os::renames(&old, &new).await.unwrap();
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "moved");
        assert!(!old.exists());
        assert!(!root.join("a/b/c").exists());
        assert!(!root.join("a/b").exists());
        assert!(!root.join("a").exists());
        assert!(root.is_dir(), "the temporary directory is not empty: kept");
        assert!(root.join("x/y/z").is_dir());

        let old = root.join("k/l/m/file");
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::write(&old, "second").unwrap();
        std::fs::write(root.join("k/l/other"), "").unwrap();
        let new = root.join("x/y/z/second"); // parents exist already
        os::renames(&old, &new).on(Inline).await.unwrap();
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "second");
        assert!(!root.join("k/l/m").exists());
        assert!(root.join("k/l").is_dir());
        assert!(root.join("k/l/other").is_file());
        assert!(root.join("k").is_dir());

        // A directory moves as a whole.
        std::fs::create_dir_all(root.join("d1/d2/tree/inner")).unwrap();
        std::fs::write(root.join("d1/d2/tree/inner/leaf"), "leaf").unwrap();
        os::renames(root.join("d1/d2/tree"), root.join("e1/e2/tree"))
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("e1/e2/tree/inner/leaf")).unwrap(),
            "leaf"
        );
        assert!(!root.join("d1").exists());

        // A missing source: an error naming both paths.
        let missing = root.join("missing");
        let target = root.join("p/q");
        let err = os::renames(&missing, &target).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing, &target]);
        assert!(root.join("keep-root").exists());
    });
}

#[test]
fn replace_over_existing_target() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let src = root.join("src");
        let dst = root.join("dst");
        std::fs::write(&src, "new content").unwrap();
        std::fs::write(&dst, "old content that is longer").unwrap();
        let src_ino = std::fs::metadata(&src).unwrap().ino();
        os::replace(&src, &dst).await.unwrap();
        assert!(!src.exists());
        assert_eq!(std::fs::read_to_string(&dst).unwrap(), "new content");
        assert_eq!(std::fs::metadata(&dst).unwrap().ino(), src_ino);

        // To a new name too.
        let third = root.join("third");
        os::replace(&dst, &third).on(Inline).await.unwrap();
        assert!(!dst.exists());
        assert_eq!(std::fs::read_to_string(&third).unwrap(), "new content");

        // An empty directory over an empty directory.
        std::fs::create_dir(root.join("d1")).unwrap();
        std::fs::write(root.join("d1/inside"), "1").unwrap();
        std::fs::create_dir(root.join("d2")).unwrap();
        os::replace(root.join("d1"), root.join("d2")).await.unwrap();
        assert_eq!(std::fs::read(root.join("d2/inside")).unwrap(), b"1");
        assert!(!root.join("d1").exists());

        let err = os::replace(&src, &third).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&src, &third]);
    });
}

// ---------------------------------------------------------------------------------------------
// sendfile

#[cfg(target_os = "linux")]
async fn sendfile_file_to_file<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    std::fs::write(root.join("in"), "0123456789").unwrap();
    let mut input = StdFile::open(root.join("in")).unwrap();
    let mut output = StdFile::create(root.join("out")).unwrap();

    let copied = os::sendfile(&output, &input, 2, 5)
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(copied, 5);
    assert_eq!(std::fs::read(root.join("out")).unwrap(), b"23456");
    assert_eq!(
        input.stream_position().unwrap(),
        0,
        "input cursor unchanged"
    );
    assert_eq!(
        output.stream_position().unwrap(),
        5,
        "output cursor advanced"
    );

    // More than there is: what is left.
    let copied = os::sendfile(&output, &input, 7, 100)
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(copied, 3);
    assert_eq!(std::fs::read(root.join("out")).unwrap(), b"23456789");

    // At and beyond the end: 0.
    for offset in [10, 11, 1000] {
        let copied = os::sendfile(&output, &input, offset, 5)
            .on(exec.clone())
            .await
            .unwrap();
        assert_eq!(copied, 0, "offset {offset}");
    }
    // Nothing asked: 0.
    assert_eq!(
        os::sendfile(&output, &input, 0, 0)
            .on(exec.clone())
            .await
            .unwrap(),
        0
    );
    assert_eq!(std::fs::read(root.join("out")).unwrap(), b"23456789");

    // The whole file, the descriptors still usable by the caller afterwards.
    let whole = StdFile::create(root.join("whole")).unwrap();
    assert_eq!(
        os::sendfile(&whole, &input, 0, 10)
            .on(exec.clone())
            .await
            .unwrap(),
        10
    );
    assert_eq!(std::fs::read(root.join("whole")).unwrap(), b"0123456789");
    let mut rest = String::new();
    io::Read::read_to_string(&mut input, &mut rest).unwrap();
    assert_eq!(rest, "0123456789");
    io::Write::write_all(&mut output, b"!").unwrap();
    assert_eq!(std::fs::read(root.join("out")).unwrap(), b"23456789!");

    // An output opened for reading only.
    let read_only = StdFile::open(root.join("whole")).unwrap();
    let err = os::sendfile(&read_only, &input, 0, 5)
        .on(exec)
        .await
        .unwrap_err();
    assert!(err.raw_os_error().is_some() || source_of(&err).raw_os_error().is_some());
    assert_eq!(std::fs::read(root.join("whole")).unwrap(), b"0123456789");
}

// ---------------------------------------------------------------------------------------------
// os.path predicates

async fn exists_isfile_isdir_islink<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    let file = root.join("file");
    let dir = root.join("dir");
    let missing = root.join("missing");
    let file_link = root.join("file-link");
    let dir_link = root.join("dir-link");
    let broken = root.join("broken");
    std::fs::write(&file, "x").unwrap();
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&file, &file_link).unwrap();
    std::os::unix::fs::symlink(&dir, &dir_link).unwrap();
    std::os::unix::fs::symlink(root.join("nowhere"), &broken).unwrap();

    // (path, exists, isfile, isdir, islink)
    let table: [(&Path, bool, bool, bool, bool); 6] = [
        (&file, true, true, false, false),
        (&dir, true, false, true, false),
        (&missing, false, false, false, false),
        (&file_link, true, true, false, true),
        (&dir_link, true, false, true, true),
        (&broken, false, false, false, true),
    ];
    for (path, exists, isfile, isdir, islink) in table {
        let e = exec.clone();
        assert_eq!(
            ospath::exists(path).on(e.clone()).await.unwrap(),
            exists,
            "exists {path:?}"
        );
        assert_eq!(
            ospath::isfile(path).on(e.clone()).await.unwrap(),
            isfile,
            "isfile {path:?}"
        );
        assert_eq!(
            ospath::isdir(path).on(e.clone()).await.unwrap(),
            isdir,
            "isdir {path:?}"
        );
        assert_eq!(
            ospath::islink(path).on(e).await.unwrap(),
            islink,
            "islink {path:?}"
        );
    }
    // Below a file: ENOTDIR, still just `false`.
    let under_file = file.join("child");
    assert!(!ospath::exists(&under_file).on(exec.clone()).await.unwrap());
    assert!(!ospath::isdir(&under_file).on(exec.clone()).await.unwrap());
}

#[test]
fn predicates_fail_only_when_the_executor_loses_the_work() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let err = ospath::exists(&root).on(Lossy).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(ospath::isfile(&root).on(Lossy).await.is_err());
        assert!(ospath::isdir(&root).on(Lossy).await.is_err());
        assert!(ospath::islink(&root).on(Lossy).await.is_err());
        assert!(ospath::ismount("/").on(Lossy).await.is_err());
        assert!(ospath::samefile(&root, &root).on(Lossy).await.is_err());
        assert!(os::access(&root, F_OK).on(Lossy).await.is_err());
    });
}

#[test]
fn ismount() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        assert!(ospath::ismount("/").await.unwrap());
        assert!(ospath::ismount("/").on(Inline).await.unwrap());
        let sub = root.join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(!ospath::ismount(&sub).await.unwrap());
        std::fs::write(root.join("file"), "").unwrap();
        assert!(!ospath::ismount(root.join("file")).await.unwrap());
        assert!(!ospath::ismount(root.join("missing")).await.unwrap());
        // A symlink is never a mount point, even to `/`.
        std::os::unix::fs::symlink("/", root.join("to-root")).unwrap();
        assert!(!ospath::ismount(root.join("to-root")).await.unwrap());
        std::os::unix::fs::symlink(&sub, root.join("to-sub")).unwrap();
        assert!(!ospath::ismount(root.join("to-sub")).await.unwrap());
    });
}

#[test]
fn getsize() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let path = root.join("f");
        std::fs::write(&path, vec![7u8; 12_345]).unwrap();
        assert_eq!(ospath::getsize(&path).await.unwrap(), 12_345);
        assert_eq!(ospath::getsize(&path).on(Inline).await.unwrap(), 12_345);
        std::fs::write(root.join("empty"), "").unwrap();
        assert_eq!(ospath::getsize(root.join("empty")).await.unwrap(), 0);
        // Follows symlinks.
        std::os::unix::fs::symlink(&path, root.join("link")).unwrap();
        assert_eq!(ospath::getsize(root.join("link")).await.unwrap(), 12_345);

        let missing = root.join("missing");
        let err = ospath::getsize(&missing).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing]);
    });
}

#[test]
fn samefile() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let a = root.join("a");
        let b = root.join("b");
        let c = root.join("c");
        std::fs::write(&a, "same").unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        std::fs::write(&c, "same").unwrap();
        std::os::unix::fs::symlink(&a, root.join("sym")).unwrap();

        assert!(ospath::samefile(&a, &a).await.unwrap());
        assert!(ospath::samefile(&a, &b).await.unwrap());
        assert!(ospath::samefile(&b, &a).on(Inline).await.unwrap());
        assert!(ospath::samefile(&a, root.join("sym")).await.unwrap());
        // Through a missing directory: missing, so false.
        assert!(!ospath::samefile(&root, root.join("x/..")).await.unwrap());
        assert!(ospath::samefile(&root, root.join(".")).await.unwrap());
        assert!(!ospath::samefile(&a, &c).await.unwrap());
        assert!(!ospath::samefile(&a, &root).await.unwrap());
        assert!(!ospath::samefile(&a, root.join("missing")).await.unwrap());
        assert!(!ospath::samefile(root.join("missing"), &a).await.unwrap());
        assert!(
            !ospath::samefile(root.join("missing"), root.join("missing"))
                .await
                .unwrap()
        );
    });
}

#[test]
fn sameopenfile() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("a"), "a").unwrap();
        std::fs::write(root.join("b"), "b").unwrap();
        let one = StdFile::open(root.join("a")).unwrap();
        let two = StdFile::open(root.join("a")).unwrap();
        let other = StdFile::open(root.join("b")).unwrap();
        assert!(ospath::sameopenfile(&one, &two).await.unwrap());
        assert!(ospath::sameopenfile(&one, &one).on(Inline).await.unwrap());
        assert!(ospath::sameopenfile(&one, &one.try_clone().unwrap())
            .await
            .unwrap());
        assert!(!ospath::sameopenfile(&one, &other).await.unwrap());
        assert!(!ospath::sameopenfile(&other, &two).on(Inline).await.unwrap());

        // A hard link opened by its other name.
        std::fs::hard_link(root.join("a"), root.join("a2")).unwrap();
        let three = StdFile::open(root.join("a2")).unwrap();
        assert!(ospath::sameopenfile(&one, &three).await.unwrap());

        // The caller's descriptors are untouched (duplicated for the worker).
        let mut text = String::new();
        io::Read::read_to_string(&mut &one, &mut text).unwrap();
        assert_eq!(text, "a");
    });
}

// ---------------------------------------------------------------------------------------------
// times

fn stat_time(secs: i64, nanos: i64) -> SystemTime {
    let nanos = Duration::from_nanos(nanos as u64);
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64) + nanos
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos
    }
}

#[test]
fn getatime_getmtime_getctime_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let path = root.join("f");
        std::fs::write(&path, "x").unwrap();

        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            ospath::getatime(&path).await.unwrap(),
            meta.accessed().unwrap()
        );
        assert_eq!(
            ospath::getmtime(&path).on(Inline).await.unwrap(),
            meta.modified().unwrap()
        );
        assert_eq!(
            ospath::getctime(&path).await.unwrap(),
            stat_time(meta.ctime(), meta.ctime_nsec())
        );

        // Exact values set by us, nanoseconds included, after and before the epoch.
        let cases = [
            (
                UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_789),
                UNIX_EPOCH + Duration::new(1_600_000_000, 987_654_321),
            ),
            (
                UNIX_EPOCH - Duration::new(1, 500_000_000),
                UNIX_EPOCH - Duration::new(86_400 * 365, 1),
            ),
        ];
        for (atime, mtime) in cases {
            let file = StdFile::options().write(true).open(&path).unwrap();
            file.set_times(FileTimes::new().set_accessed(atime).set_modified(mtime))
                .unwrap();
            drop(file);
            let meta = std::fs::metadata(&path).unwrap();
            let ours_a = ospath::getatime(&path).await.unwrap();
            let ours_m = ospath::getmtime(&path).await.unwrap();
            assert_eq!(ours_a, meta.accessed().unwrap());
            assert_eq!(ours_m, meta.modified().unwrap());
            assert_eq!(ours_a, stat_time(meta.atime(), meta.atime_nsec()));
            assert_eq!(ours_m, stat_time(meta.mtime(), meta.mtime_nsec()));
            assert_eq!(ours_a, atime);
            assert_eq!(ours_m, mtime);
            assert_eq!(
                ospath::getctime(&path).await.unwrap(),
                stat_time(meta.ctime(), meta.ctime_nsec())
            );
        }

        // Follows symlinks.
        std::os::unix::fs::symlink(&path, root.join("link")).unwrap();
        assert_eq!(
            ospath::getmtime(root.join("link")).await.unwrap(),
            cases[1].1
        );

        let missing = root.join("missing");
        for err in [
            ospath::getatime(&missing).await.unwrap_err(),
            ospath::getmtime(&missing).await.unwrap_err(),
            ospath::getctime(&missing).await.unwrap_err(),
        ] {
            assert_names(&err, ErrorKind::NotFound, &[&missing]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// link, symlink, readlink

#[test]
fn link() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let src = root.join("src");
        let dst = root.join("dst");
        std::fs::write(&src, "shared").unwrap();
        os::link(&src, &dst).await.unwrap();
        let (a, b) = (
            std::fs::metadata(&src).unwrap(),
            std::fs::metadata(&dst).unwrap(),
        );
        assert_eq!(a.ino(), b.ino());
        assert_eq!(a.nlink(), 2);
        assert_eq!(b.nlink(), 2);
        assert_eq!(std::fs::read_to_string(&dst).unwrap(), "shared");

        let err = os::link(&src, &dst).await.unwrap_err();
        assert_names(&err, ErrorKind::AlreadyExists, &[&src, &dst]);
        let missing = root.join("missing");
        let other = root.join("other");
        let err = os::link(&missing, &other).on(Inline).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing, &other]);

        os::remove(&src).await.unwrap();
        assert_eq!(std::fs::metadata(&dst).unwrap().nlink(), 1);
    });
}

#[test]
fn symlink_and_readlink() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("target.txt"), "via link").unwrap();

        // Relative target: stored as given, resolved against the link's directory.
        let rel = root.join("rel");
        os::symlink("target.txt", &rel).await.unwrap();
        assert!(std::fs::symlink_metadata(&rel)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&rel).unwrap(), "via link");
        assert_eq!(os::readlink(&rel).await.unwrap(), Path::new("target.txt"));

        // Absolute target.
        let abs = root.join("abs");
        os::symlink(root.join("target.txt"), &abs)
            .on(Inline)
            .await
            .unwrap();
        assert_eq!(
            os::readlink(&abs).on(Inline).await.unwrap(),
            root.join("target.txt")
        );

        // Dangling, and with odd components kept verbatim.
        let dangling = root.join("dangling");
        os::symlink("../nowhere/./x", &dangling).await.unwrap();
        assert_eq!(
            os::readlink(&dangling).await.unwrap(),
            Path::new("../nowhere/./x")
        );
        assert!(ospath::islink(&dangling).await.unwrap());
        assert!(!ospath::exists(&dangling).await.unwrap());

        let err = os::symlink("target.txt", &rel).await.unwrap_err();
        assert_names(&err, ErrorKind::AlreadyExists, &[&rel]);

        // Not a link: EINVAL; missing: ENOENT.
        let not_link = root.join("target.txt");
        let err = os::readlink(&not_link).await.unwrap_err();
        let std_err = std::fs::read_link(&not_link).unwrap_err();
        assert_names(&err, std_err.kind(), &[&not_link]);
        let missing = root.join("missing");
        let err = os::readlink(&missing).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing]);
    });
}

// ---------------------------------------------------------------------------------------------
// listdir, scandir

async fn listdir<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    let dir = root.join("dir");
    std::fs::create_dir(&dir).unwrap();
    assert!(os::listdir(&dir).on(exec.clone()).await.unwrap().is_empty());

    std::fs::write(dir.join("one"), "").unwrap();
    assert_eq!(os::listdir(&dir).on(exec.clone()).await.unwrap(), ["one"]);
    std::fs::remove_file(dir.join("one")).unwrap();

    std::fs::create_dir(dir.join("sub")).unwrap();
    assert_eq!(os::listdir(&dir).on(exec.clone()).await.unwrap(), ["sub"]);
    std::fs::remove_dir(dir.join("sub")).unwrap();

    std::fs::write(dir.join("b.txt"), "").unwrap();
    std::fs::write(dir.join("a.txt"), "").unwrap();
    assert_eq!(
        sorted(os::listdir(&dir).on(exec.clone()).await.unwrap()),
        ["a.txt", "b.txt"]
    );

    // Many entries, no duplicates, no `.`/`..`.
    for i in 0..150 {
        std::fs::write(dir.join(format!("n{i:03}")), "").unwrap();
    }
    let names = sorted(os::listdir(&dir).on(exec.clone()).await.unwrap());
    assert_eq!(names.len(), 152);
    let mut expected: Vec<String> = (0..150).map(|i| format!("n{i:03}")).collect();
    expected.extend(["a.txt".to_owned(), "b.txt".to_owned()]);
    expected.sort();
    assert_eq!(names, expected);

    let missing = root.join("missing");
    let err = os::listdir(&missing).on(exec.clone()).await.unwrap_err();
    assert_names(&err, ErrorKind::NotFound, &[&missing]);
    let file = dir.join("a.txt");
    let err = os::listdir(&file).on(exec).await.unwrap_err();
    assert_names(&err, ErrorKind::NotADirectory, &[&file]);
}

/// The (name, kind) pairs of a `scandir` listing, sorted.
async fn scan<E: Executor>(dir: &Path, exec: E) -> io::Result<Vec<(String, &'static str)>> {
    let entries = os::scandir(dir).on(exec).await?;
    let entries: Vec<_> = entries.try_collect().await?;
    let mut out = Vec::new();
    for entry in entries {
        assert_eq!(entry.path(), dir.join(entry.file_name()));
        let ft = entry.file_type().await?;
        let kind = if ft.is_symlink() {
            "symlink"
        } else if ft.is_dir() {
            "dir"
        } else if ft.is_file() {
            "file"
        } else {
            "other"
        };
        // `metadata` agrees with `file_type`, without following symlinks.
        assert_eq!(entry.metadata().await?.file_type(), ft);
        out.push((entry.file_name().into_string().unwrap(), kind));
    }
    out.sort();
    Ok(out)
}

async fn scandir<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    let dir = root.join("dir");
    std::fs::create_dir(&dir).unwrap();
    assert!(scan(&dir, exec.clone()).await.unwrap().is_empty());

    std::fs::write(dir.join("file"), "").unwrap();
    assert_eq!(
        scan(&dir, exec.clone()).await.unwrap(),
        [("file".into(), "file")]
    );
    std::fs::remove_file(dir.join("file")).unwrap();

    std::fs::create_dir(dir.join("sub")).unwrap();
    assert_eq!(
        scan(&dir, exec.clone()).await.unwrap(),
        [("sub".into(), "dir")]
    );
    std::fs::remove_dir(dir.join("sub")).unwrap();

    std::fs::write(dir.join("f1"), "").unwrap();
    std::fs::write(dir.join("f2"), "").unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    std::os::unix::fs::symlink("f1", dir.join("s")).unwrap();
    assert_eq!(
        scan(&dir, exec.clone()).await.unwrap(),
        [
            ("d".into(), "dir"),
            ("f1".into(), "file"),
            ("f2".into(), "file"),
            ("s".into(), "symlink"),
        ]
    );

    let missing = root.join("missing");
    let err = scan(&missing, exec).await.unwrap_err();
    assert_names(&err, ErrorKind::NotFound, &[&missing]);
}

// ---------------------------------------------------------------------------------------------
// access

#[test]
fn access_table() {
    let privileged = ignores_permissions();
    run(move || async move {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing");
        assert!(!os::access(&missing, F_OK).await.unwrap());
        assert!(!os::access(&missing, R_OK).on(Inline).await.unwrap());
        assert!(os::access(&root, F_OK).await.unwrap());
        assert!(os::access(&root, R_OK | W_OK | X_OK).await.unwrap());

        // (mode, F_OK, R_OK, W_OK, X_OK, R_OK | W_OK)
        let table = [
            (0o000, true, false, false, false, false),
            (0o400, true, true, false, false, false),
            (0o200, true, false, true, false, false),
            (0o100, true, false, false, true, false),
            (0o700, true, true, true, true, true),
            (0o600, true, true, true, false, true),
        ];
        for (mode, f, r, w, x, rw) in table {
            let path = root.join(format!("f{mode:o}"));
            std::fs::write(&path, "").unwrap();
            std::fs::set_permissions(&path, Permissions::from_mode(mode)).unwrap();
            let got = (
                os::access(&path, F_OK).await.unwrap(),
                os::access(&path, R_OK).await.unwrap(),
                os::access(&path, W_OK).on(Inline).await.unwrap(),
                os::access(&path, X_OK).await.unwrap(),
                os::access(&path, R_OK | W_OK).await.unwrap(),
            );
            if privileged {
                // Read and write are granted to root whatever the mode; execute needs a bit.
                assert_eq!(got.0, f, "F_OK {mode:o}");
                assert!(got.1 && got.2 && got.4, "R/W as root {mode:o}");
                assert_eq!(got.3, x, "X_OK as root {mode:o}");
            } else {
                assert_eq!(got, (f, r, w, x, rw), "mode {mode:o}");
            }
            std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        }
    });
}

// ---------------------------------------------------------------------------------------------
// getcwd, abspath

#[test]
fn getcwd() {
    run(|| async {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(os::getcwd().await.unwrap(), cwd);
        assert_eq!(os::getcwd().on(Inline).await.unwrap(), cwd);
    });
}

#[test]
fn abspath() {
    run(|| async {
        let cwd = std::env::current_dir().unwrap();
        let cases: [(&str, PathBuf); 12] = [
            ("/a/./b/../c", "/a/c".into()),
            ("/..", "/".into()),
            ("/", "/".into()),
            ("/../a", "/a".into()),
            ("/a//b/", "/a/b".into()),
            ("/a/b/../../..", "/".into()),
            ("/definitely/missing/../x", "/definitely/x".into()),
            ("x/../y", cwd.join("y")),
            ("x/y", cwd.join("x/y")),
            (".", cwd.clone()),
            ("", cwd.clone()),
            ("./z/.", cwd.join("z")),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ospath::abspath(input).await.unwrap(),
                expected,
                "abspath({input:?})"
            );
            assert_eq!(
                ospath::abspath(input).on(Inline).await.unwrap(),
                expected,
                "abspath({input:?}) on Inline"
            );
        }
        // `..` of a relative path climbs out of the current directory, lexically.
        let parent = cwd.parent().unwrap_or(&cwd).to_owned();
        assert_eq!(ospath::abspath("..").await.unwrap(), parent);
    });
}

// ---------------------------------------------------------------------------------------------
// makedirs, removedirs

#[test]
fn makedirs() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let deep = root.join("a/b/c");
        os::makedirs(&deep, false).await.unwrap();
        assert!(deep.is_dir());

        let err = os::makedirs(&deep, false).await.unwrap_err();
        assert_names(&err, ErrorKind::AlreadyExists, &[&deep]);
        os::makedirs(&deep, true).await.unwrap();
        os::makedirs(&deep, true).on(Inline).await.unwrap();
        assert!(deep.is_dir());

        // Only the leaf existing matters for `exist_ok = false`.
        let sibling = root.join("a/b/d");
        os::makedirs(&sibling, false).on(Inline).await.unwrap();
        assert!(sibling.is_dir());

        // A file in the way: AlreadyExists either way.
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        for exist_ok in [false, true] {
            let err = os::makedirs(&file, exist_ok).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists, "exist_ok {exist_ok}");
            assert!(err.to_string().contains(&file.display().to_string()));
        }
        assert!(file.is_file());

        // Created with the default mode less the umask, as Python's 0o777.
        let mode = std::fs::metadata(&deep).unwrap().permissions().mode() & 0o777;
        let std_dir = root.join("std");
        std::fs::create_dir(&std_dir).unwrap();
        assert_eq!(
            mode,
            std::fs::metadata(&std_dir).unwrap().permissions().mode() & 0o777
        );
    });
}

#[test]
fn removedirs() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("keep-root"), "").unwrap();

        // Prunes the empty parents and stops at the first non-empty one.
        std::fs::create_dir_all(root.join("keep/a/b/c")).unwrap();
        std::fs::write(root.join("keep/file"), "").unwrap();
        os::removedirs(root.join("keep/a/b/c")).await.unwrap();
        assert!(!root.join("keep/a").exists());
        assert!(root.join("keep").is_dir());
        assert!(root.join("keep/file").is_file());
        assert!(root.join("keep-root").is_file());

        // Stops at a parent holding another directory.
        std::fs::create_dir_all(root.join("p/q/r")).unwrap();
        std::fs::create_dir(root.join("p/other")).unwrap();
        os::removedirs(root.join("p/q/r")).on(Inline).await.unwrap();
        assert!(!root.join("p/q").exists());
        assert!(root.join("p/other").is_dir());

        // A non-empty leaf: an error, and nothing removed.
        std::fs::create_dir_all(root.join("full/leaf")).unwrap();
        std::fs::write(root.join("full/leaf/x"), "").unwrap();
        let leaf = root.join("full/leaf");
        let err = os::removedirs(&leaf).await.unwrap_err();
        let std_err = std::fs::remove_dir(&leaf).unwrap_err();
        assert_names(&err, std_err.kind(), &[&leaf]);
        assert!(root.join("full/leaf/x").is_file());

        // Missing leaf.
        let missing = root.join("missing/leaf");
        let err = os::removedirs(&missing).await.unwrap_err();
        assert_names(&err, ErrorKind::NotFound, &[&missing]);

        // A file is not a directory.
        let file = root.join("keep/file");
        let err = os::removedirs(&file).await.unwrap_err();
        assert_names(&err, ErrorKind::NotADirectory, &[&file]);
        assert!(file.is_file());
    });
}

// ---------------------------------------------------------------------------------------------
// The same operations on every executor

async fn core_suite<E: Executor>(exec: E) {
    let (_dir, root) = tempdir_path();
    std::fs::write(root.join("marker"), "").unwrap();
    let e = || exec.clone();

    os::makedirs(root.join("a/b"), false).on(e()).await.unwrap();
    os::mkdir(root.join("a/b/c")).on(e()).await.unwrap();
    assert!(ospath::isdir(root.join("a/b/c")).on(e()).await.unwrap());
    assert_eq!(os::listdir(root.join("a/b")).on(e()).await.unwrap(), ["c"]);
    os::rmdir(root.join("a/b/c")).on(e()).await.unwrap();
    os::removedirs(root.join("a/b")).on(e()).await.unwrap();
    assert!(!ospath::exists(root.join("a")).on(e()).await.unwrap());

    let f = root.join("f");
    std::fs::write(&f, "12345").unwrap();
    assert_eq!(os::stat(&f).on(e()).await.unwrap().len(), 5);
    assert_eq!(ospath::getsize(&f).on(e()).await.unwrap(), 5);
    assert!(ospath::isfile(&f).on(e()).await.unwrap());
    assert!(os::access(&f, R_OK | W_OK).on(e()).await.unwrap());
    assert_eq!(
        ospath::getmtime(&f).on(e()).await.unwrap(),
        std::fs::metadata(&f).unwrap().modified().unwrap()
    );
    os::link(&f, root.join("hard")).on(e()).await.unwrap();
    assert!(ospath::samefile(&f, root.join("hard"))
        .on(e())
        .await
        .unwrap());
    os::symlink("f", root.join("soft")).on(e()).await.unwrap();
    assert!(ospath::islink(root.join("soft")).on(e()).await.unwrap());
    assert_eq!(
        os::readlink(root.join("soft")).on(e()).await.unwrap(),
        Path::new("f")
    );
    os::rename(root.join("hard"), root.join("hard2"))
        .on(e())
        .await
        .unwrap();
    os::renames(root.join("hard2"), root.join("x/y/hard3"))
        .on(e())
        .await
        .unwrap();
    std::fs::write(root.join("g"), "replacement").unwrap();
    os::replace(root.join("g"), &f).on(e()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "replacement");
    assert_eq!(
        std::fs::read_to_string(root.join("x/y/hard3")).unwrap(),
        "12345"
    );
    os::unlink(root.join("soft")).on(e()).await.unwrap();
    os::remove(&f).on(e()).await.unwrap();
    assert_eq!(
        scan(&root, e()).await.unwrap(),
        [("marker".into(), "file"), ("x".into(), "dir")]
    );
    assert!(os::statvfs(&root).on(e()).await.unwrap().f_bsize > 0);
    assert_eq!(
        os::getcwd().on(e()).await.unwrap(),
        std::env::current_dir().unwrap()
    );
    assert_eq!(
        ospath::abspath("/a/../b").on(e()).await.unwrap(),
        Path::new("/b")
    );
    assert!(ospath::ismount("/").on(e()).await.unwrap());
    let file = StdFile::open(root.join("marker")).unwrap();
    assert!(ospath::sameopenfile(&file, &file).on(e()).await.unwrap());
}

// Every test above that takes an executor, once per executor: `on_blocking::stat_matches_std`
// and so on.
on_each_executor!(
    and {
        on_a_limit_of_one => Limit::new(Blocking, 1),
        on_a_limit_of_two_over_inline => Limit::new(Inline, 2),
        on_a_user_executor => ThreadPerJob,
        #[cfg(feature = "tokio")]
        on_tokio @ common::tokio_multi_thread => aiofiles::Tokio::current(),
        #[cfg(feature = "async-std")]
        on_async_std @ common::async_std_block_on => aiofiles::AsyncStd,
    };
    stat_matches_std,
    #[cfg(target_os = "linux")]
    sendfile_file_to_file,
    exists_isfile_isdir_islink,
    listdir,
    scandir,
    core_suite,
);

/// Nothing happens until the executor runs the work: the operation waits for it.
#[test]
fn work_runs_when_the_executor_runs_it() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let manual = ManualExecutor::new();
        let dir = root.join("made");
        let mut op = Box::pin(os::makedirs(&dir, false).on(manual.clone()));
        assert!(futures::poll!(op.as_mut()).is_pending());
        assert_eq!(manual.pending(), 1);
        assert!(!dir.exists());
        assert!(manual.run_one());
        assert!(dir.is_dir());
        match futures::poll!(op.as_mut()) {
            std::task::Poll::Ready(result) => result.unwrap(),
            std::task::Poll::Pending => panic!("still pending after the work ran"),
        }

        let mut exists = Box::pin(ospath::exists(&dir).on(manual.clone()));
        assert!(futures::poll!(exists.as_mut()).is_pending());
        assert_eq!(manual.run_all(), 1);
        match futures::poll!(exists.as_mut()) {
            std::task::Poll::Ready(result) => assert!(result.unwrap()),
            std::task::Poll::Pending => panic!("still pending after the work ran"),
        }
    });
}
