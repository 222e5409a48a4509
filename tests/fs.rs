//! `aiofiles::fs` against `std::fs` on the same input: same results, and the same errors with
//! the operation and the path(s) added to the message.

mod common;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::Path;

use aiofiles::{fs, Blocking, Inline, Limit};
use futures::{StreamExt as _, TryStreamExt as _};

use common::{assert_same_error, run, source_of, tempdir_path};

/// A fresh temporary directory and its path.
fn names(entries: impl IntoIterator<Item = OsString>) -> Vec<String> {
    let mut names: Vec<String> = entries
        .into_iter()
        .map(|name| name.into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn std_names(dir: &Path) -> Vec<String> {
    names(
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name()),
    )
}

// ---------------------------------------------------------------------------------------------
// read, read_to_string, write

#[test]
fn read_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let path = root.join("bytes.bin");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        std::fs::write(&path, &bytes).unwrap();
        let ours = fs::read(&path).await.unwrap();
        assert_eq!(ours, std::fs::read(&path).unwrap());
        assert_eq!(ours, bytes);

        let empty = root.join("empty");
        std::fs::write(&empty, "").unwrap();
        assert_eq!(fs::read(&empty).await.unwrap(), Vec::<u8>::new());
    });
}

#[test]
fn read_errors_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing.txt");
        let err = fs::read(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_same_error(
            &err,
            &std::fs::read(&missing).unwrap_err(),
            "read",
            &[&missing],
        );
        assert!(err.to_string().contains(&missing.display().to_string()));

        // A directory.
        let err = fs::read(&root).await.unwrap_err();
        assert_same_error(&err, &std::fs::read(&root).unwrap_err(), "read", &[&root]);
    });
}

#[test]
fn read_to_string_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let path = root.join("text.txt");
        std::fs::write(&path, "héllo\nwörld\n").unwrap();
        let ours = fs::read_to_string(&path).await.unwrap();
        assert_eq!(ours, std::fs::read_to_string(&path).unwrap());
        assert_eq!(ours, "héllo\nwörld\n");
    });
}

#[test]
fn read_to_string_errors_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing.txt");
        let err = fs::read_to_string(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::read_to_string(&missing).unwrap_err();
        assert_same_error(&err, &theirs, "read", &[&missing]);

        let invalid = root.join("invalid.txt");
        std::fs::write(&invalid, [b'a', 0xff, 0xfe]).unwrap();
        let err = fs::read_to_string(&invalid).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let theirs = std::fs::read_to_string(&invalid).unwrap_err();
        assert_same_error(&err, &theirs, "read", &[&invalid]);
    });
}

#[test]
fn write_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (ours, theirs) = (root.join("ours"), root.join("theirs"));
        let contents: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&ours, &contents).await.unwrap();
        std::fs::write(&theirs, &contents).unwrap();
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap()
        );

        // Truncates first, as std does.
        fs::write(&ours, "short").await.unwrap();
        std::fs::write(&theirs, "short").unwrap();
        assert_eq!(std::fs::read(&ours).unwrap(), b"short");
        assert_eq!(std::fs::read(&theirs).unwrap(), b"short");

        // `contents` of every `AsRef<[u8]>` shape.
        fs::write(&ours, String::from("string")).await.unwrap();
        assert_eq!(std::fs::read(&ours).unwrap(), b"string");
        fs::write(&ours, [1u8, 2, 3]).await.unwrap();
        assert_eq!(std::fs::read(&ours).unwrap(), [1, 2, 3]);
        fs::write(&ours, b"").await.unwrap();
        assert_eq!(std::fs::metadata(&ours).unwrap().len(), 0);
    });
}

#[test]
fn write_errors_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let no_parent = root.join("no/such/dir/file.txt");
        let err = fs::write(&no_parent, "x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::write(&no_parent, "x").unwrap_err();
        assert_same_error(&err, &theirs, "write", &[&no_parent]);

        let err = fs::write(&root, "x").await.unwrap_err();
        let theirs = std::fs::write(&root, "x").unwrap_err();
        assert_same_error(&err, &theirs, "write", &[&root]);
    });
}

// ---------------------------------------------------------------------------------------------
// copy, rename

#[test]
fn copy_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let from = root.join("from");
        let contents: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&from, &contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&from, std::fs::Permissions::from_mode(0o751)).unwrap();
        }
        let (ours, theirs) = (root.join("ours"), root.join("theirs"));
        let copied = fs::copy(&from, &ours).await.unwrap();
        assert_eq!(copied, std::fs::copy(&from, &theirs).unwrap());
        assert_eq!(copied, 70_000);
        assert_eq!(std::fs::read(&ours).unwrap(), contents);
        assert_eq!(
            std::fs::metadata(&ours).unwrap().permissions(),
            std::fs::metadata(&theirs).unwrap().permissions()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&ours).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o751);
        }

        // Over an existing, longer file.
        std::fs::write(&from, "new").unwrap();
        assert_eq!(fs::copy(&from, &ours).await.unwrap(), 3);
        assert_eq!(std::fs::read(&ours).unwrap(), b"new");
    });
}

#[test]
fn copy_errors_name_both_paths() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (missing, to) = (root.join("missing"), root.join("to"));
        let err = fs::copy(&missing, &to).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::copy(&missing, &to).unwrap_err();
        assert_same_error(&err, &theirs, "copy", &[&missing, &to]);
        assert!(err.to_string().contains(&missing.display().to_string()));
        assert!(err.to_string().contains(&to.display().to_string()));
        assert!(!to.exists());

        // The destination's directory is missing.
        let from = root.join("from");
        std::fs::write(&from, "x").unwrap();
        let bad_to = root.join("no/dir/to");
        let err = fs::copy(&from, &bad_to).await.unwrap_err();
        let theirs = std::fs::copy(&from, &bad_to).unwrap_err();
        assert_same_error(&err, &theirs, "copy", &[&from, &bad_to]);
    });
}

#[test]
fn rename_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (a, b) = (root.join("a"), root.join("b"));
        std::fs::write(&a, "a").unwrap();
        fs::rename(&a, &b).await.unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&b).unwrap(), b"a");

        // Replaces an existing file.
        std::fs::write(&a, "second").unwrap();
        fs::rename(&a, &b).await.unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"second");

        // A directory with its contents.
        let (d, e) = (root.join("d"), root.join("e"));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("inner"), "in").unwrap();
        fs::rename(&d, &e).await.unwrap();
        assert_eq!(std::fs::read(e.join("inner")).unwrap(), b"in");
        assert_eq!(std_names(&root), ["b", "e"]);
    });
}

#[test]
fn rename_errors_name_both_paths() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (missing, to) = (root.join("missing"), root.join("to"));
        let err = fs::rename(&missing, &to).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::rename(&missing, &to).unwrap_err();
        assert_same_error(&err, &theirs, "rename", &[&missing, &to]);

        // A directory over a non-empty directory.
        let (d, e) = (root.join("d"), root.join("e"));
        std::fs::create_dir(&d).unwrap();
        std::fs::create_dir(&e).unwrap();
        std::fs::write(e.join("x"), "").unwrap();
        let err = fs::rename(&d, &e).await.unwrap_err();
        let theirs = std::fs::rename(&d, &e).unwrap_err();
        assert_same_error(&err, &theirs, "rename", &[&d, &e]);
    });
}

// ---------------------------------------------------------------------------------------------
// remove_file, remove_dir, remove_dir_all

#[test]
fn remove_file_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let path = root.join("f");
        std::fs::write(&path, "x").unwrap();
        fs::remove_file(&path).await.unwrap();
        assert!(!path.exists());

        let err = fs::remove_file(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::remove_file(&path).unwrap_err();
        assert_same_error(&err, &theirs, "remove file", &[&path]);

        // A directory is not a file.
        let err = fs::remove_file(&root).await.unwrap_err();
        let theirs = std::fs::remove_file(&root).unwrap_err();
        assert_same_error(&err, &theirs, "remove file", &[&root]);
        assert!(root.is_dir());
    });
}

#[cfg(unix)]
#[test]
fn remove_file_removes_a_symlink_not_its_target() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (target, link) = (root.join("target"), root.join("link"));
        std::fs::write(&target, "kept").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        fs::remove_file(&link).await.unwrap();
        assert!(std::fs::symlink_metadata(&link).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"kept");
    });
}

#[test]
fn remove_dir_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let sub = root.join("sub");
        std::fs::create_dir(&sub).unwrap();
        fs::remove_dir(&sub).await.unwrap();
        assert!(!sub.exists());

        let err = fs::remove_dir(&sub).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::remove_dir(&sub).unwrap_err();
        assert_same_error(&err, &theirs, "remove directory", &[&sub]);

        // Not empty.
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("f"), "").unwrap();
        let err = fs::remove_dir(&sub).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
        let theirs = std::fs::remove_dir(&sub).unwrap_err();
        assert_same_error(&err, &theirs, "remove directory", &[&sub]);
        assert!(sub.join("f").exists());

        // A file.
        let file = sub.join("f");
        let err = fs::remove_dir(&file).await.unwrap_err();
        let theirs = std::fs::remove_dir(&file).unwrap_err();
        assert_same_error(&err, &theirs, "remove directory", &[&file]);
    });
}

#[test]
fn remove_dir_all_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let tree = root.join("tree");
        for i in 0..5 {
            let sub = tree.join(format!("d{i}/inner"));
            std::fs::create_dir_all(&sub).unwrap();
            for j in 0..10 {
                std::fs::write(sub.join(format!("f{j}")), "x").unwrap();
            }
        }
        // A symlink inside pointing out: removed, its target kept.
        let outside = root.join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "keep").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, tree.join("link")).unwrap();

        fs::remove_dir_all(&tree).await.unwrap();
        assert!(std::fs::symlink_metadata(&tree).is_err());
        assert_eq!(std::fs::read(outside.join("keep")).unwrap(), b"keep");
        assert_eq!(std_names(&root), ["outside"]);

        let err = fs::remove_dir_all(&tree).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::remove_dir_all(&tree).unwrap_err();
        assert_same_error(&err, &theirs, "remove directory tree", &[&tree]);
    });
}

// ---------------------------------------------------------------------------------------------
// create_dir, create_dir_all

#[test]
fn create_dir_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let sub = root.join("sub");
        fs::create_dir(&sub).await.unwrap();
        assert!(std::fs::metadata(&sub).unwrap().is_dir());

        let err = fs::create_dir(&sub).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let theirs = std::fs::create_dir(&sub).unwrap_err();
        assert_same_error(&err, &theirs, "create directory", &[&sub]);

        let orphan = root.join("missing/child");
        let err = fs::create_dir(&orphan).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::create_dir(&orphan).unwrap_err();
        assert_same_error(&err, &theirs, "create directory", &[&orphan]);
        assert!(!root.join("missing").exists());
    });
}

#[test]
fn create_dir_all_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let deep = root.join("a/b/c/d");
        fs::create_dir_all(&deep).await.unwrap();
        assert!(std::fs::metadata(&deep).unwrap().is_dir());
        // Existing: fine, as std.
        fs::create_dir_all(&deep).await.unwrap();
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(std_names(&root.join("a/b/c")), ["d"]);

        // A component is a file.
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        let below = file.join("sub/dir");
        let err = fs::create_dir_all(&below).await.unwrap_err();
        let theirs = std::fs::create_dir_all(&below).unwrap_err();
        assert_same_error(&err, &theirs, "create directory", &[&below]);
    });
}

// ---------------------------------------------------------------------------------------------
// hard_link, symlink, read_link

#[test]
fn hard_link_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let (original, link) = (root.join("original"), root.join("link"));
        std::fs::write(&original, "shared").unwrap();
        fs::hard_link(&original, &link).await.unwrap();
        assert_eq!(std::fs::read(&link).unwrap(), b"shared");
        std::fs::write(&link, "changed").unwrap();
        assert_eq!(std::fs::read(&original).unwrap(), b"changed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let (a, b) = (
                std::fs::metadata(&original).unwrap(),
                std::fs::metadata(&link).unwrap(),
            );
            assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
        }

        let err = fs::hard_link(&original, &link).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let theirs = std::fs::hard_link(&original, &link).unwrap_err();
        assert_same_error(&err, &theirs, "hard link", &[&original, &link]);

        let (missing, to) = (root.join("missing"), root.join("to"));
        let err = fs::hard_link(&missing, &to).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::hard_link(&missing, &to).unwrap_err();
        assert_same_error(&err, &theirs, "hard link", &[&missing, &to]);
    });
}

#[cfg(unix)]
#[test]
fn symlink_and_read_link_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("target.txt"), "through the link").unwrap();

        // Relative target, stored as given.
        let relative = root.join("relative");
        fs::symlink("target.txt", &relative).await.unwrap();
        assert_eq!(
            std::fs::read_link(&relative).unwrap(),
            Path::new("target.txt")
        );
        assert_eq!(
            fs::read_link(&relative).await.unwrap(),
            std::fs::read_link(&relative).unwrap()
        );
        assert_eq!(std::fs::read(&relative).unwrap(), b"through the link");

        // Absolute target.
        let absolute = root.join("absolute");
        fs::symlink(root.join("target.txt"), &absolute)
            .await
            .unwrap();
        assert_eq!(
            fs::read_link(&absolute).await.unwrap(),
            root.join("target.txt")
        );

        // Dangling: allowed, as std.
        let dangling = root.join("dangling");
        fs::symlink("nowhere", &dangling).await.unwrap();
        assert_eq!(
            fs::read_link(&dangling).await.unwrap(),
            Path::new("nowhere")
        );
        assert!(!dangling.exists());

        // Link already there: both paths named.
        let err = fs::symlink("other", &relative).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let theirs = std::os::unix::fs::symlink("other", &relative).unwrap_err();
        assert_same_error(&err, &theirs, "symlink", &[Path::new("other"), &relative]);

        // Link's directory missing.
        let orphan = root.join("missing/link");
        let err = fs::symlink("target.txt", &orphan).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::os::unix::fs::symlink("target.txt", &orphan).unwrap_err();
        assert_same_error(
            &err,
            &theirs,
            "symlink",
            &[Path::new("target.txt"), &orphan],
        );
    });
}

#[test]
fn read_link_errors_match_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing");
        let err = fs::read_link(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::read_link(&missing).unwrap_err();
        assert_same_error(&err, &theirs, "read link", &[&missing]);

        // Not a symlink.
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        let err = fs::read_link(&file).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let theirs = std::fs::read_link(&file).unwrap_err();
        assert_same_error(&err, &theirs, "read link", &[&file]);
    });
}

// ---------------------------------------------------------------------------------------------
// metadata, symlink_metadata, canonicalize, set_permissions, try_exists

#[test]
fn metadata_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "12345").unwrap();

        let ours = fs::metadata(&file).await.unwrap();
        let theirs = std::fs::metadata(&file).unwrap();
        assert!(ours.is_file() && !ours.is_dir());
        assert_eq!(ours.len(), 5);
        assert_eq!(ours.len(), theirs.len());
        assert_eq!(ours.file_type(), theirs.file_type());
        assert_eq!(ours.permissions(), theirs.permissions());
        assert_eq!(ours.modified().unwrap(), theirs.modified().unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            assert_eq!((ours.dev(), ours.ino()), (theirs.dev(), theirs.ino()));
        }

        let ours = fs::metadata(&root).await.unwrap();
        assert!(ours.is_dir() && !ours.is_file());
        assert_eq!(
            ours.file_type(),
            std::fs::metadata(&root).unwrap().file_type()
        );

        let missing = root.join("missing");
        let err = fs::metadata(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::metadata(&missing).unwrap_err();
        assert_same_error(&err, &theirs, "read metadata of", &[&missing]);
    });
}

#[cfg(unix)]
#[test]
fn metadata_follows_symlinks_and_symlink_metadata_does_not() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "1234567").unwrap();
        let link = root.join("link");
        std::os::unix::fs::symlink("file", &link).unwrap();

        let followed = fs::metadata(&link).await.unwrap();
        assert!(followed.is_file());
        assert_eq!(followed.len(), 7);

        let ours = fs::symlink_metadata(&link).await.unwrap();
        let theirs = std::fs::symlink_metadata(&link).unwrap();
        assert!(ours.file_type().is_symlink());
        assert_eq!(ours.file_type(), theirs.file_type());
        assert_eq!(ours.len(), "file".len() as u64);
        assert_eq!(ours.len(), theirs.len());

        // On a non-link it is metadata.
        assert_eq!(fs::symlink_metadata(&file).await.unwrap().len(), 7);

        // A dangling link: metadata fails, symlink_metadata does not.
        let dangling = root.join("dangling");
        std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
        assert!(fs::symlink_metadata(&dangling)
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        let err = fs::metadata(&dangling).await.unwrap_err();
        let theirs = std::fs::metadata(&dangling).unwrap_err();
        assert_same_error(&err, &theirs, "read metadata of", &[&dangling]);

        let missing = root.join("missing");
        let err = fs::symlink_metadata(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::symlink_metadata(&missing).unwrap_err();
        assert_same_error(&err, &theirs, "read metadata of", &[&missing]);
    });
}

#[test]
fn canonicalize_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/file"), "").unwrap();

        let messy = root.join("a/./b/../b/file");
        let ours = fs::canonicalize(&messy).await.unwrap();
        assert_eq!(ours, std::fs::canonicalize(&messy).unwrap());
        assert_eq!(ours, std::fs::canonicalize(&root).unwrap().join("a/b/file"));
        assert!(ours.is_absolute());

        #[cfg(unix)]
        {
            let link = root.join("link");
            std::os::unix::fs::symlink("a/b", &link).unwrap();
            assert_eq!(
                fs::canonicalize(link.join("file")).await.unwrap(),
                std::fs::canonicalize(root.join("a/b/file")).unwrap()
            );
        }

        let missing = root.join("a/missing/..");
        let err = fs::canonicalize(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::canonicalize(&missing).unwrap_err();
        assert_same_error(&err, &theirs, "canonicalize", &[&missing]);
    });
}

#[test]
fn set_permissions_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();

        let original = fs::metadata(&file).await.unwrap().permissions();
        assert_eq!(original, std::fs::metadata(&file).unwrap().permissions());
        assert!(!original.readonly());
        let mut perms = original.clone();
        perms.set_readonly(true);
        fs::set_permissions(&file, perms.clone()).await.unwrap();
        assert!(std::fs::metadata(&file).unwrap().permissions().readonly());
        assert_eq!(std::fs::metadata(&file).unwrap().permissions(), perms);

        fs::set_permissions(&file, original.clone()).await.unwrap();
        assert!(!std::fs::metadata(&file).unwrap().permissions().readonly());
        assert_eq!(std::fs::metadata(&file).unwrap().permissions(), original);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for mode in [0o600, 0o644, 0o755, 0o400] {
                let perms = std::fs::Permissions::from_mode(mode);
                fs::set_permissions(&file, perms).await.unwrap();
                let got = std::fs::metadata(&file).unwrap().permissions().mode();
                assert_eq!(got & 0o7777, mode);
            }
        }

        let missing = root.join("missing");
        let perms = std::fs::metadata(&file).unwrap().permissions();
        let err = fs::set_permissions(&missing, perms.clone())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let theirs = std::fs::set_permissions(&missing, perms).unwrap_err();
        assert_same_error(&err, &theirs, "set permissions of", &[&missing]);
    });
}

#[test]
fn try_exists_matches_std() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        let missing = root.join("missing");

        assert!(fs::try_exists(&file).await.unwrap());
        assert!(fs::try_exists(&root).await.unwrap());
        assert!(!fs::try_exists(&missing).await.unwrap());
        assert!(!fs::try_exists(root.join("missing/deeper")).await.unwrap());
        for path in [&file, &root, &missing] {
            assert_eq!(
                fs::try_exists(path).await.unwrap(),
                path.try_exists().unwrap()
            );
        }

        #[cfg(unix)]
        {
            let (good, dangling) = (root.join("good"), root.join("dangling"));
            std::os::unix::fs::symlink("file", &good).unwrap();
            std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
            assert!(fs::try_exists(&good).await.unwrap());
            assert!(!fs::try_exists(&dangling).await.unwrap());
            assert!(!dangling.try_exists().unwrap());
        }

        // Below a file: whatever std says, we say, with the path in an error.
        let below_file = file.join("child");
        match (fs::try_exists(&below_file).await, below_file.try_exists()) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs),
            (Err(ours), Err(theirs)) => {
                assert_same_error(&ours, &theirs, "check existence of", &[&below_file])
            }
            (ours, theirs) => panic!("ours: {ours:?}, std: {theirs:?}"),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// read_dir and DirEntry

#[test]
fn read_dir_yields_each_of_a_thousand_entries_once() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let expected: Vec<String> = (0..1_000).map(|i| format!("entry-{i:04}")).collect();
        for name in &expected {
            std::fs::write(root.join(name), name).unwrap();
        }
        assert_eq!(std_names(&root), expected);

        // As a stream, without awaiting first.
        let streamed: Vec<_> = fs::read_dir(&root)
            .map_ok(|entry| entry.file_name())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(streamed.len(), 1_000);
        assert_eq!(names(streamed), expected);

        // Awaited first, then `next_entry`.
        let mut entries = fs::read_dir(&root).await.unwrap();
        let mut seen = BTreeSet::new();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            assert_eq!(entry.path(), root.join(entry.file_name()));
            assert!(
                seen.insert(entry.file_name().into_string().unwrap()),
                "yielded twice"
            );
        }
        assert!(entries.next_entry().await.unwrap().is_none());
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected);
    });
}

#[test]
fn read_dir_of_a_thousand_on_other_executors() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let expected: Vec<String> = (0..1_000).map(|i| format!("{i}")).collect();
        for name in &expected {
            std::fs::write(root.join(name), "").unwrap();
        }
        let mut expected = expected;
        expected.sort();

        let on_inline: Vec<_> = fs::read_dir(&root)
            .on(Inline)
            .map_ok(|entry| entry.file_name())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(names(on_inline), expected);

        let on_limit: Vec<_> = fs::read_dir(&root)
            .on(Limit::new(Blocking, 1))
            .await
            .unwrap()
            .map_ok(|entry| entry.file_name())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(names(on_limit), expected);
    });
}

#[test]
fn read_dir_of_an_empty_directory() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let mut entries = fs::read_dir(&root).await.unwrap();
        assert!(entries.next().await.is_none());
        assert!(entries.next().await.is_none());
        assert!(fs::read_dir(&root).next().await.is_none());
    });
}

#[test]
fn read_dir_of_a_missing_directory() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing");
        let theirs = std::fs::read_dir(&missing).unwrap_err();

        // Awaited: the error at once.
        let err = fs::read_dir(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_same_error(&err, &theirs, "read directory", &[&missing]);

        // Streamed: one error item, then the end.
        let mut entries = fs::read_dir(&missing);
        let err = entries.next().await.unwrap().unwrap_err();
        assert_same_error(&err, &theirs, "read directory", &[&missing]);
        assert!(entries.next().await.is_none());
        assert!(entries.next().await.is_none());

        // With `next_entry`: the error, then `None`.
        let mut entries = fs::read_dir(&missing).on(Inline);
        let err = entries.next_entry().await.unwrap_err();
        assert_same_error(&err, &theirs, "read directory", &[&missing]);
        assert!(entries.next_entry().await.unwrap().is_none());

        // Collected: the error.
        let err = fs::read_dir(&missing)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
fn read_dir_of_a_file() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        let err = fs::read_dir(&file).await.unwrap_err();
        let theirs = std::fs::read_dir(&file).unwrap_err();
        assert_same_error(&err, &theirs, "read directory", &[&file]);
    });
}

#[test]
fn dir_entries_match_std_and_do_not_follow_symlinks() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("file"), "12345").unwrap();
        std::fs::create_dir(root.join("dir")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("file", root.join("link")).unwrap();
            std::os::unix::fs::symlink("dir", root.join("dir-link")).unwrap();
            std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
        }

        let mut entries = fs::read_dir(&root).await.unwrap();
        let mut seen = Vec::new();
        while let Some(entry) = entries.next().await {
            let entry = entry.unwrap();
            let path = entry.path();
            assert_eq!(path, root.join(entry.file_name()));
            let theirs = std::fs::symlink_metadata(&path).unwrap();
            let file_type = entry.file_type().await.unwrap();
            let meta = entry.metadata().await.unwrap();
            assert_eq!(file_type, theirs.file_type(), "{path:?}");
            assert_eq!(meta.file_type(), theirs.file_type(), "{path:?}");
            assert_eq!(meta.len(), theirs.len(), "{path:?}");
            let name = entry.file_name().into_string().unwrap();
            match name.as_str() {
                "file" => {
                    assert!(file_type.is_file());
                    assert_eq!(meta.len(), 5);
                }
                "dir" => assert!(file_type.is_dir() && meta.is_dir()),
                "link" => {
                    assert!(file_type.is_symlink() && !file_type.is_file());
                    assert!(meta.file_type().is_symlink());
                    assert_eq!(meta.len(), "file".len() as u64);
                }
                "dir-link" => {
                    assert!(file_type.is_symlink() && !file_type.is_dir());
                    assert!(meta.file_type().is_symlink());
                }
                "dangling" => assert!(file_type.is_symlink() && meta.file_type().is_symlink()),
                other => panic!("unexpected entry {other}"),
            }
            seen.push(entry.file_name());
        }
        let expected: &[&str] = if cfg!(unix) {
            &["dangling", "dir", "dir-link", "file", "link"]
        } else {
            &["dir", "file"]
        };
        assert_eq!(names(seen), expected);
    });
}

#[test]
fn dir_entry_metadata_of_a_removed_entry_is_an_error() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("gone");
        std::fs::write(&file, "").unwrap();
        let entry = fs::read_dir(&root).next().await.unwrap().unwrap();
        std::fs::remove_file(&file).unwrap();
        let err = entry.metadata().await.unwrap_err();
        let theirs = std::fs::symlink_metadata(&file).unwrap_err();
        assert_same_error(&err, &theirs, "read metadata of", &[&file]);
        // The type came with the listing.
        assert!(entry.file_type().await.unwrap().is_file());
    });
}

#[test]
fn read_dir_can_be_rebound_before_polling() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("a"), "").unwrap();
        let entries = fs::read_dir(&root).on(Limit::new(Inline, 1)).on(Inline);
        assert_eq!(*entries.executor(), Inline);
        let entry = entries.await.unwrap().next_entry().await.unwrap().unwrap();
        assert_eq!(entry.file_name(), "a");
        assert_eq!(entry.metadata().await.unwrap().len(), 0);
    });
}

// ---------------------------------------------------------------------------------------------
// Error sources

#[test]
fn errors_keep_the_os_error_as_source() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing");
        let other = root.join("other");
        let orphan = missing.join("child");
        let errors = vec![
            fs::read(&missing).await.unwrap_err(),
            fs::read_to_string(&missing).await.unwrap_err(),
            fs::write(&orphan, "x").await.unwrap_err(),
            fs::copy(&missing, &other).await.unwrap_err(),
            fs::rename(&missing, &other).await.unwrap_err(),
            fs::remove_file(&missing).await.unwrap_err(),
            fs::remove_dir(&missing).await.unwrap_err(),
            fs::remove_dir_all(&missing).await.unwrap_err(),
            fs::create_dir(&orphan).await.unwrap_err(),
            fs::hard_link(&missing, &other).await.unwrap_err(),
            #[cfg(unix)]
            fs::symlink(&other, &orphan).await.unwrap_err(),
            fs::read_link(&missing).await.unwrap_err(),
            fs::metadata(&missing).await.unwrap_err(),
            fs::symlink_metadata(&missing).await.unwrap_err(),
            fs::canonicalize(&missing).await.unwrap_err(),
            fs::set_permissions(&missing, std::fs::metadata(&root).unwrap().permissions())
                .await
                .unwrap_err(),
            fs::read_dir(&missing).await.unwrap_err(),
            fs::read_dir(&missing).next().await.unwrap().unwrap_err(),
        ];
        assert_eq!(errors.len(), if cfg!(unix) { 18 } else { 17 });
        for err in &errors {
            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
            assert!(err.to_string().starts_with("failed to "), "{err}");
            assert!(
                err.to_string().contains(&missing.display().to_string()),
                "{err}"
            );
            let source = source_of(err);
            assert_eq!(source.kind(), ErrorKind::NotFound);
            assert_eq!(
                source.raw_os_error(),
                std::fs::read(&missing).unwrap_err().raw_os_error()
            );
            assert!(err.to_string().ends_with(&format!(": {source}")), "{err}");
            #[cfg(target_os = "linux")]
            {
                use std::error::Error as _;
                let original = err
                    .source()
                    .unwrap()
                    .downcast_ref::<std::io::Error>()
                    .unwrap();
                assert_eq!(original.raw_os_error(), Some(common::ENOENT), "{err}");
            }
        }
    });
}

#[cfg(target_os = "linux")]
#[test]
fn os_error_codes_on_linux() {
    // errno values of Linux, the same on every architecture it runs on.
    const ENOTDIR: i32 = 20;
    const EISDIR: i32 = 21;
    const EEXIST: i32 = 17;
    const EINVAL: i32 = 22;
    const ENOTEMPTY: i32 = 39;
    run(|| async {
        let (_dir, root) = tempdir_path();
        let file = root.join("file");
        std::fs::write(&file, "").unwrap();
        let full = root.join("full");
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("x"), "").unwrap();

        let code = |err: std::io::Error| source_of(&err).raw_os_error();
        assert_eq!(code(fs::read_dir(&file).await.unwrap_err()), Some(ENOTDIR));
        assert_eq!(code(fs::read(&root).await.unwrap_err()), Some(EISDIR));
        assert_eq!(code(fs::create_dir(&full).await.unwrap_err()), Some(EEXIST));
        assert_eq!(code(fs::read_link(&file).await.unwrap_err()), Some(EINVAL));
        assert_eq!(
            code(fs::remove_dir(&full).await.unwrap_err()),
            Some(ENOTEMPTY)
        );
        assert_eq!(
            code(fs::hard_link(&file, &full).await.unwrap_err()),
            Some(EEXIST)
        );
    });
}

/// `aiofiles::fs` has `File` and `OpenOptions` as `tokio::fs` and `async_fs` do: a port is a
/// change of path.
#[test]
fn fs_has_file_and_open_options() {
    common::run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        let mut file: aiofiles::File = aiofiles::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .unwrap();
        futures::AsyncWriteExt::write_all(&mut file, b"ported")
            .await
            .unwrap();
        file.close().await.unwrap();
        let mut text = String::new();
        aiofiles::fs::File::open(&path)
            .await
            .unwrap()
            .read_to_string(&mut text)
            .await
            .unwrap();
        assert_eq!(text, "ported");
    });
}
