//! Recursive walks: `aiofiles::fs::walk` against `walkdir` run synchronously on the same tree,
//! `aiofiles::os::walk` against Python's `os.walk`, and the hand-offs both cost, counted by an
//! executor that wraps `Blocking`.

mod common;

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::future::Future as _;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use aiofiles::{fs, os, Blocking, Inline, Limit};
use futures::stream::FusedStream;
use futures::{Stream, StreamExt as _, TryStreamExt as _};

use common::{
    assert_same_error, run, source_of, tempdir_for_tree, tempdir_path, Counting, Lossy,
    ThreadPerJob,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A generated tree: how many entries below the root, how many of them directories.
#[derive(Debug)]
struct Tree {
    entries: usize,
    dirs: usize,
}

/// Builds a tree of exactly `entries` entries below `root`: directories with `fanout`
/// subdirectories each, `levels` levels of them, then files spread evenly over every
/// directory (the root included), so the deepest entries are at depth `levels + 1`.
fn make_tree(root: &Path, entries: usize, levels: usize, fanout: usize) -> Tree {
    let mut all = vec![root.to_owned()];
    let mut level = vec![root.to_owned()];
    for _ in 0..levels {
        let mut next = Vec::new();
        for parent in &level {
            for i in 0..fanout {
                let dir = parent.join(format!("d{i}"));
                std::fs::create_dir(&dir).unwrap();
                next.push(dir);
            }
        }
        all.extend(next.iter().cloned());
        level = next;
    }
    let dirs = all.len() - 1;
    assert!(
        dirs <= entries,
        "too many directories for {entries} entries"
    );
    for i in 0..entries - dirs {
        std::fs::File::create(all[i % all.len()].join(format!("f{i}"))).unwrap();
    }
    Tree { entries, dirs }
}

/// What a walk found, in a form comparable with `walkdir`'s.
type Found = (PathBuf, usize, bool);

fn found(entry: &fs::WalkEntry) -> Found {
    (
        entry.path().to_owned(),
        entry.depth(),
        entry.file_type().is_dir(),
    )
}

/// `walkdir` itself, synchronously; errors left out.
fn walkdir_found(walk: walkdir::WalkDir) -> Vec<Found> {
    walk.into_iter()
        .filter_map(Result::ok)
        .map(|e| (e.path().to_owned(), e.depth(), e.file_type().is_dir()))
        .collect()
}

/// Every item of a walk, errors included, as they came.
async fn items<S: Stream<Item = io::Result<fs::WalkEntry>>>(walk: S) -> Vec<io::Result<Found>> {
    walk.map(|item| item.map(|e| found(&e))).collect().await
}

/// Every item of a walk; fails on an error item.
async fn entries<S: Stream<Item = io::Result<fs::WalkEntry>>>(walk: S) -> Vec<Found> {
    walk.map_ok(|e| found(&e)).try_collect().await.unwrap()
}

/// Each entry's parent comes before it, and no path comes twice.
#[track_caller]
fn assert_top_down(found: &[Found]) {
    let mut at = HashMap::new();
    for (i, (path, _, _)) in found.iter().enumerate() {
        assert!(at.insert(path.clone(), i).is_none(), "{path:?} twice");
    }
    for (i, (path, depth, _)) in found.iter().enumerate() {
        if *depth > 0 {
            let parent = at[path.parent().unwrap()];
            assert!(parent < i, "{path:?} before its directory");
            assert_eq!(found[parent].1 + 1, *depth, "depth of {path:?}");
        }
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Takes a directory's permissions away, and gives them back when dropped (so that the
/// temporary directory can be removed even when the test fails).
struct Locked(PathBuf);

impl Locked {
    fn new(dir: &Path) -> Self {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o000)).unwrap();
        Locked(dir.to_owned())
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

fn names(names: &[&str]) -> Vec<OsString> {
    names.iter().map(OsString::from).collect()
}

// ---------------------------------------------------------------------------------------------
// fs::walk on a large tree

#[test]
fn large_tree_every_path_once_like_walkdir() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        let tree = make_tree(&root, 10_000, 5, 3);
        assert_eq!(tree.dirs, 363);

        let counting = Counting::default();
        let ours = entries(fs::walk(&root).on(counting.clone())).await;
        let hops = counting.hops();

        assert_eq!(ours.len(), tree.entries + 1); // and the root
        assert_top_down(&ours);
        assert_eq!(ours[0], (root.clone(), 0, true));
        assert_eq!(ours.iter().map(|f| f.1).max(), Some(6));
        assert_eq!(ours.iter().filter(|f| f.2).count(), tree.dirs + 1);
        assert_eq!(
            sorted(ours.clone()),
            sorted(walkdir_found(walkdir::WalkDir::new(&root)))
        );
        // The OS order is walkdir's: the very same sequence.
        assert_eq!(ours, walkdir_found(walkdir::WalkDir::new(&root)));

        let items = tree.entries + 1;
        eprintln!(
            "fs::walk: {items} items, {} directories: {hops} hand-offs",
            tree.dirs
        );
        assert!(hops <= items / 32 + 2, "{hops} hand-offs for {items} items");
        assert!(hops >= items / 256, "{hops} hand-offs for {items} items");
    });
}

#[test]
fn large_tree_on_every_executor() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 2_000, 3, 4);
        let expected = walkdir_found(walkdir::WalkDir::new(&root));
        assert_eq!(entries(fs::walk(&root)).await, expected);
        assert_eq!(entries(fs::walk(&root).on(Inline)).await, expected);
        assert_eq!(entries(fs::walk(&root).on(ThreadPerJob)).await, expected);
        assert_eq!(
            entries(fs::walk(&root).on(Limit::new(Blocking, 1))).await,
            expected
        );
    });
}

#[cfg(feature = "tokio")]
#[test]
fn on_tokio() {
    let (_dir, root) = tempdir_for_tree();
    make_tree(&root, 500, 2, 3);
    let expected = walkdir_found(walkdir::WalkDir::new(&root));
    let ours = common::tokio_multi_thread(async {
        entries(fs::walk(&root).on(aiofiles::Tokio::current())).await
    });
    assert_eq!(ours, expected);
}

// ---------------------------------------------------------------------------------------------
// fs::walk options

#[test]
fn depth_limits_as_walkdir() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 200, 3, 3);
        for (min, max) in [
            (0, 0),
            (0, 1),
            (1, 1),
            (1, 2),
            (2, 3),
            (3, 9),
            (2, 1),
            (0, 100),
        ] {
            let ours = entries(fs::walk(&root).min_depth(min).max_depth(max)).await;
            let theirs = walkdir_found(walkdir::WalkDir::new(&root).min_depth(min).max_depth(max));
            assert_eq!(ours, theirs, "min_depth({min}).max_depth({max})");
            let (lo, hi) = (min.min(max), max.max(min));
            assert!(ours.iter().all(|f| (lo..=hi).contains(&f.1)));
        }
        // The order of the calls matters as in walkdir: the first one set wins.
        let ours = entries(fs::walk(&root).max_depth(1).min_depth(2)).await;
        let theirs = walkdir_found(walkdir::WalkDir::new(&root).max_depth(1).min_depth(2));
        assert_eq!(ours, theirs);
        assert!(ours.iter().all(|f| f.1 == 1));

        assert_eq!(
            entries(fs::walk(&root).max_depth(0)).await,
            [(root.clone(), 0, true)]
        );
        let ones = entries(fs::walk(&root).min_depth(1).max_depth(1)).await;
        assert_eq!(ones.len(), std::fs::read_dir(&root).unwrap().count());
    });
}

#[test]
fn sort_by_file_name_sorts_each_directory() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        for name in ["m", "b", "z", "a", "k"] {
            std::fs::create_dir(root.join(name)).unwrap();
            for inner in ["9", "3", "x", "1", "c"] {
                std::fs::write(root.join(name).join(inner), "").unwrap();
            }
        }
        for name in ["y", "c", "0"] {
            std::fs::write(root.join(name), "").unwrap();
        }
        let ours = entries(fs::walk(&root).sort_by_file_name()).await;
        assert_eq!(
            ours,
            walkdir_found(walkdir::WalkDir::new(&root).sort_by_file_name())
        );
        // Siblings come in name order.
        let mut last: HashMap<PathBuf, PathBuf> = HashMap::new();
        for (path, depth, _) in &ours {
            if *depth > 0 {
                let parent = path.parent().unwrap().to_owned();
                if let Some(previous) = last.insert(parent, path.clone()) {
                    assert!(previous.file_name() < path.file_name(), "{path:?}");
                }
            }
        }
        let top: Vec<_> = ours
            .iter()
            .filter(|f| f.1 == 1)
            .map(|f| f.0.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(top, ["0", "a", "b", "c", "k", "m", "y", "z"]);
        assert_eq!(ours[1].0, root.join("0"));
        assert_eq!(ours[2].0, root.join("a"));
        assert_eq!(ours[3].0, root.join("a/1"));
    });
}

#[test]
fn entry_accessors() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/file.txt"), "x").unwrap();
        symlink("nowhere", root.join("sub/dangling")).unwrap();
        let all: Vec<_> = fs::walk(&root)
            .sort_by_file_name()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].path(), root);
        assert_eq!(all[0].file_name(), root.file_name().unwrap());
        assert_eq!(all[1].file_name(), "sub");
        assert!(all[1].file_type().is_dir());
        assert_eq!(all[2].path(), root.join("sub/dangling"));
        assert!(all[2].file_type().is_symlink() && all[2].path_is_symlink());
        assert_eq!(all[3].depth(), 2);
        assert!(all[3].file_type().is_file() && !all[3].path_is_symlink());
        assert_eq!(all[3].clone().into_path(), root.join("sub/file.txt"));

        // Paths start with the root exactly as given.
        let relative = entries(fs::walk("src").max_depth(1)).await;
        assert_eq!(relative[0], (PathBuf::from("src"), 0, true));
        assert!(relative[1..].iter().all(|f| f.0.starts_with("src")));
        let dotted = entries(fs::walk("./src/../src").max_depth(1)).await;
        assert_eq!(dotted[0].0, Path::new("./src/../src"));
        let root_entry = fs::walk(".").next().await.unwrap().unwrap();
        assert_eq!(root_entry.file_name(), ".");
    });
}

#[test]
fn follow_links_off_does_not_descend() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("real/inner")).unwrap();
        std::fs::write(root.join("real/inner/f"), "").unwrap();
        symlink(root.join("real"), root.join("link")).unwrap();

        let all: Vec<_> = fs::walk(&root).try_collect().await.unwrap();
        let paths: HashSet<_> = all.iter().map(|e| e.path().to_owned()).collect();
        assert_eq!(
            paths,
            ["", "link", "real", "real/inner", "real/inner/f"]
                .iter()
                .map(|p| if p.is_empty() {
                    root.clone()
                } else {
                    root.join(p)
                })
                .collect()
        );
        let link = all.iter().find(|e| e.file_name() == "link").unwrap();
        assert!(link.file_type().is_symlink());
        assert_eq!(
            entries(fs::walk(&root)).await,
            walkdir_found(walkdir::WalkDir::new(&root))
        );

        // A root that is a symlink is followed all the same, as walkdir does.
        let below = entries(fs::walk(root.join("link"))).await;
        assert_eq!(below.len(), 3);
        assert_eq!(below[2], (root.join("link/inner/f"), 2, false));
    });
}

#[test]
fn follow_links_on_descends() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("real/inner")).unwrap();
        std::fs::write(root.join("real/inner/f"), "").unwrap();
        symlink(root.join("real"), root.join("link")).unwrap();

        let ours = entries(fs::walk(&root).follow_links(true)).await;
        assert_eq!(
            ours,
            walkdir_found(walkdir::WalkDir::new(&root).follow_links(true))
        );
        assert!(ours.contains(&(root.join("link"), 1, true)));
        assert!(ours.contains(&(root.join("link/inner"), 2, true)));
        assert!(ours.contains(&(root.join("link/inner/f"), 3, false)));
        assert_eq!(ours.len(), 7);

        let all: Vec<_> = fs::walk(&root)
            .follow_links(true)
            .try_collect()
            .await
            .unwrap();
        let link = all.iter().find(|e| e.file_name() == "link").unwrap();
        assert!(link.file_type().is_dir() && link.path_is_symlink());
    });
}

#[test]
fn follow_links_loop_is_one_error_and_the_walk_ends() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), "").unwrap();
        std::fs::create_dir(root.join("z")).unwrap();
        symlink(&root, root.join("a/b/up")).unwrap(); // back to the root
        symlink("..", root.join("z/parent")).unwrap(); // relative, back to the root too

        let items = common::within(Duration::from_secs(20), {
            let root = root.clone();
            move || futures::executor::block_on(items(fs::walk(&root).follow_links(true)))
        });
        let mut errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}"); // one per loop
        errors.sort_by_key(|e| e.to_string());
        for (err, link) in errors.iter().zip(["a/b/up", "z/parent"]) {
            assert_eq!(err.kind(), ErrorKind::Other);
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("failed to walk `{}`: ", root.join(link).display())),
                "{message}"
            );
            assert!(message.contains("loop"), "{message}");
            assert!(message.contains(&root.display().to_string()), "{message}");
        }
        let ok: HashSet<_> = items.into_iter().filter_map(Result::ok).collect();
        let expected: HashSet<_> = [
            (root.clone(), 0, true),
            (root.join("a"), 1, true),
            (root.join("a/b"), 2, true),
            (root.join("a/b/f"), 3, false),
            (root.join("z"), 1, true),
        ]
        .into_iter()
        .collect();
        assert_eq!(ok, expected);
    });
}

#[test]
fn a_single_loop_is_exactly_one_error_item() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir(root.join("d")).unwrap();
        symlink(root.join("d"), root.join("d/self")).unwrap();
        let items = items(fs::walk(&root).follow_links(true)).await;
        assert_eq!(items.len(), 3, "{items:?}"); // root, d, the loop
        assert_eq!(items[0].as_ref().unwrap(), &(root.clone(), 0, true));
        assert_eq!(items[1].as_ref().unwrap(), &(root.join("d"), 1, true));
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(err.to_string().starts_with(&format!(
            "failed to walk `{}`",
            root.join("d/self").display()
        )));
        // Without following links, the same tree has no error.
        let plain = entries(fs::walk(&root)).await;
        assert_eq!(plain.len(), 3);
    });
}

#[test]
fn broken_symlink_followed_is_an_error_naming_it() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        symlink(root.join("nowhere"), root.join("dangling")).unwrap();
        let items = items(fs::walk(&root).follow_links(true)).await;
        assert_eq!(items.len(), 2);
        let err = items[1].as_ref().unwrap_err();
        let std_err = std::fs::metadata(root.join("dangling")).unwrap_err();
        assert_same_error(err, &std_err, "walk", &[&root.join("dangling")]);
    });
}

// ---------------------------------------------------------------------------------------------
// fs::walk errors

#[test]
fn unreadable_directory_is_one_error_and_the_walk_goes_on() {
    common::unprivileged(
        "unreadable_directory_is_one_error_and_the_walk_goes_on",
        unreadable_directory_body,
    );
}

fn unreadable_directory_body() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        for dir in ["a", "locked", "z"] {
            std::fs::create_dir(root.join(dir)).unwrap();
            std::fs::write(root.join(dir).join("f"), "").unwrap();
        }
        let locked = root.join("locked");
        let _guard = Locked::new(&locked);
        let std_err = std::fs::read_dir(&locked).unwrap_err();

        let items = items(fs::walk(&root).sort_by_file_name()).await;
        let shown: Vec<_> = items
            .iter()
            .map(|i| match i {
                Ok((path, depth, _)) => {
                    let rel = path.strip_prefix(&root).unwrap();
                    format!("{}@{depth}", rel.display())
                }
                Err(_) => "error".to_owned(),
            })
            .collect();
        assert_eq!(
            shown,
            ["@0", "a@1", "a/f@2", "locked@1", "error", "z@1", "z/f@2"]
        );
        let err = items[4].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_same_error(err, &std_err, "walk", &[&locked]);

        // The same in the OS order, and with the default executor.
        let items = self::items(fs::walk(&root)).await;
        assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
        assert_eq!(items.len(), 7);
    });
}

#[test]
fn missing_root_is_one_error() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let missing = root.join("missing");
        let items = items(fs::walk(&missing)).await;
        assert_eq!(items.len(), 1);
        let err = items[0].as_ref().unwrap_err();
        let std_err = std::fs::symlink_metadata(&missing).unwrap_err();
        assert_same_error(err, &std_err, "walk", &[&missing]);
        assert_eq!(source_of(err).raw_os_error(), Some(common::ENOENT));

        // A file as the root: the file alone.
        std::fs::write(root.join("file"), "").unwrap();
        assert_eq!(
            entries(fs::walk(root.join("file"))).await,
            [(root.join("file"), 0, false)]
        );
    });
}

#[test]
fn lost_work_ends_the_walk_with_an_error() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let items = items(fs::walk(&root).on(Lossy)).await;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().kind(), ErrorKind::Other);

        let items: Vec<_> = os::walk(&root).on(Lossy).collect().await;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().kind(), ErrorKind::Other);
    });
}

// ---------------------------------------------------------------------------------------------
// Building, rebinding, Debug

#[test]
fn configuring_after_polling_panics() {
    let (_dir, root) = tempdir_path();
    let poll_once = |walk: &mut fs::Walk<Inline>| {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(walk.poll_next_unpin(&mut cx).is_ready());
    };
    type Configure = fn(fs::Walk<Inline>);
    let calls: [(&str, Configure); 5] = [
        ("on", |w| drop(w.on(Blocking))),
        ("max_depth", |w| drop(w.max_depth(1))),
        ("min_depth", |w| drop(w.min_depth(1))),
        ("follow_links", |w| drop(w.follow_links(true))),
        ("sort_by_file_name", |w| drop(w.sort_by_file_name())),
    ];
    for (name, call) in calls {
        let mut walk = fs::walk(&root).on(Inline);
        poll_once(&mut walk);
        let payload =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(walk))).expect_err(name);
        let message = common::panic_message(&*payload);
        assert_eq!(
            message,
            format!("`Walk::{name}` called after the walk was polled")
        );
    }

    let mut walk = os::walk(&root).on(Inline);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(walk.poll_next_unpin(&mut cx).is_ready());
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(walk.follow_links(true))
    }))
    .unwrap_err();
    assert_eq!(
        common::panic_message(&*payload),
        "`Walk::follow_links` called after the walk was polled"
    );
}

#[test]
fn debug_and_executor() {
    let walk = fs::walk("some/root").max_depth(3);
    assert_eq!(
        format!("{walk:?}"),
        r#"Walk { root: "some/root", state: "not started", buffered: 0 }"#
    );
    assert_eq!(*walk.on(Inline).executor(), Inline);
    let walk = os::walk("top");
    assert_eq!(
        format!("{walk:?}"),
        r#"Walk { top: "top", follow_links: false, state: "not started", buffered: 0 }"#
    );
    assert_eq!(*walk.on(Inline).executor(), Inline);

    fn assert_send<T: Send + Unpin>(_: &T) {}
    assert_send(&fs::walk("."));
    assert_send(&os::walk("."));

    let (_dir, root) = tempdir_path();
    let mut walk = fs::walk(&root).on(Inline);
    assert_eq!(walk.size_hint(), (0, None));
    assert!(!walk.is_terminated());
    futures::executor::block_on(walk.next()).unwrap().unwrap();
    assert_eq!(walk.size_hint(), (0, Some(0)));
    assert!(walk.is_terminated());
    assert!(futures::executor::block_on(walk.next()).is_none());
    let mut walk = os::walk(&root).on(Inline);
    assert!(!walk.is_terminated());
    futures::executor::block_on(walk.next()).unwrap().unwrap();
    assert!(walk.is_terminated());
    assert!(format!("{walk:?}").contains(r#"state: "done""#));
    let entry = futures::executor::block_on(fs::walk(&root).next())
        .unwrap()
        .unwrap();
    assert!(format!("{entry:?}").starts_with("WalkEntry { path: "));
}

// ---------------------------------------------------------------------------------------------
// Cancellation

#[test]
fn dropping_the_walk_stops_the_hand_offs() {
    let (_dir, root) = tempdir_for_tree();
    make_tree(&root, 10_000, 5, 3);

    // Dropped between batches.
    let counting = Counting::default();
    common::within(common::TIMEOUT, {
        let (root, counting) = (root.clone(), counting.clone());
        move || {
            futures::executor::block_on(async {
                let mut walk = fs::walk(&root).on(counting);
                for _ in 0..5 {
                    walk.next().await.unwrap().unwrap();
                }
            })
        }
    });
    let after_drop = counting.hops();
    assert_eq!(after_drop, 1);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(counting.hops(), after_drop);

    // Dropped with a batch in flight: that batch finishes, nothing more.
    let counting = Counting::default();
    {
        let mut walk = pin!(fs::walk(&root).on(counting.clone()));
        let mut cx = Context::from_waker(Waker::noop());
        let mut polled = 0;
        // Take a few batches' worth of items, then leave a batch in flight.
        loop {
            match walk.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(item)) => {
                    item.unwrap();
                    polled += 1;
                }
                Poll::Ready(None) => unreachable!("the tree is larger"),
                Poll::Pending if polled >= 150 => break,
                Poll::Pending => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
    let after_drop = counting.hops();
    // Usually 3 (two batches taken, the third in flight), more when a batch completes before
    // its first poll.
    assert!(after_drop >= 2, "{after_drop}");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(counting.hops(), after_drop);

    // The same for os::walk.
    let counting = Counting::default();
    common::within(common::TIMEOUT, {
        let (root, counting) = (root.clone(), counting.clone());
        move || {
            futures::executor::block_on(async {
                let mut walk = os::walk(&root).on(counting);
                for _ in 0..3 {
                    walk.next().await.unwrap().unwrap();
                }
            })
        }
    });
    let after_drop = counting.hops();
    assert_eq!(after_drop, 1);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(counting.hops(), after_drop);
}

#[test]
fn a_dropped_next_future_loses_nothing() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 1_000, 3, 3);
        let mut walk = fs::walk(&root).on(ThreadPerJob);
        let mut ours = Vec::new();
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            // Poll a `next()` future once and drop it, pending or not.
            let polled = {
                let mut next = walk.next();
                std::pin::Pin::new(&mut next).poll(&mut cx)
            };
            match polled {
                Poll::Ready(Some(item)) => ours.push(found(&item.unwrap())),
                Poll::Ready(None) => break,
                Poll::Pending => std::thread::sleep(Duration::from_micros(200)),
            }
        }
        assert_eq!(ours, walkdir_found(walkdir::WalkDir::new(&root)));
    });
}

// ---------------------------------------------------------------------------------------------
// os::walk

/// The fixed tree of the `os.walk` tests:
///
/// ```text
/// top/
///   a/  b/  deep.txt
///       a1.txt
///   c/
///   f1.txt  f2.txt
///   link_to_a -> a      (a symlink to a directory)
///   link_to_f1 -> f1.txt
///   broken -> nowhere
/// ```
fn python_tree(top: &Path) {
    std::fs::create_dir_all(top.join("a/b")).unwrap();
    std::fs::create_dir(top.join("c")).unwrap();
    for file in ["a/b/deep.txt", "a/a1.txt", "f1.txt", "f2.txt"] {
        std::fs::write(top.join(file), "").unwrap();
    }
    symlink(top.join("a"), top.join("link_to_a")).unwrap();
    symlink("f1.txt", top.join("link_to_f1")).unwrap();
    symlink("nowhere", top.join("broken")).unwrap();
}

type Triple = (PathBuf, Vec<OsString>, Vec<OsString>);

/// Names sorted within each triple.
fn tidy(walked: &[Triple]) -> Vec<Triple> {
    walked
        .iter()
        .map(|(dirpath, dirnames, filenames)| {
            (
                dirpath.clone(),
                sorted(dirnames.clone()),
                sorted(filenames.clone()),
            )
        })
        .collect()
}

/// The order Python's top-down `os.walk` visits directories in, given the `dirnames` the walk
/// reported (in the OS order): a directory, then each of its subdirectories in turn.
#[track_caller]
fn assert_python_order(walked: &[Triple], follow_links: bool) {
    fn visit(
        dir: &Path,
        by_path: &HashMap<PathBuf, &Triple>,
        follow_links: bool,
        out: &mut Vec<PathBuf>,
    ) {
        let Some((_, dirnames, _)) = by_path.get(dir) else {
            return; // skipped: unreadable, or a loop
        };
        out.push(dir.to_owned());
        for name in dirnames {
            let path = dir.join(name);
            if follow_links || !path.is_symlink() {
                visit(&path, by_path, follow_links, out);
            }
        }
    }
    let by_path: HashMap<PathBuf, &Triple> = walked.iter().map(|t| (t.0.clone(), t)).collect();
    assert_eq!(by_path.len(), walked.len(), "a directory twice");
    let mut expected = Vec::new();
    visit(&walked[0].0, &by_path, follow_links, &mut expected);
    let actual: Vec<_> = walked.iter().map(|t| t.0.clone()).collect();
    assert_eq!(actual, expected);
}

#[test]
fn os_walk_as_python() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let top = root.join("top");
        python_tree(&top);

        let walked: Vec<Triple> = os::walk(&top).try_collect().await.unwrap();
        assert_python_order(&walked, false);
        // What `[(d, sorted(ds), sorted(fs)) for d, ds, fs in os.walk(top)]` prints, sorted
        // by path.
        let expected = vec![
            (
                top.clone(),
                names(&["a", "c", "link_to_a"]),
                names(&["broken", "f1.txt", "f2.txt", "link_to_f1"]),
            ),
            (top.join("a"), names(&["b"]), names(&["a1.txt"])),
            (top.join("a/b"), names(&[]), names(&["deep.txt"])),
            (top.join("c"), names(&[]), names(&[])),
        ];
        assert_eq!(sorted(tidy(&walked)), expected);
        assert_eq!(walked[0].0, top);

        // followlinks=True walks into link_to_a as well.
        let walked: Vec<Triple> = os::walk(&top)
            .follow_links(true)
            .try_collect()
            .await
            .unwrap();
        assert_python_order(&walked, true);
        let mut expected = expected;
        expected.extend([
            (top.join("link_to_a"), names(&["b"]), names(&["a1.txt"])),
            (top.join("link_to_a/b"), names(&[]), names(&["deep.txt"])),
        ]);
        assert_eq!(sorted(tidy(&walked)), sorted(expected));

        // The path as given is kept: relative, with a trailing slash.
        let rel: Vec<Triple> = os::walk("src/os/").try_collect().await.unwrap();
        assert_eq!(rel.len(), 1);
        assert_eq!(rel[0].0, Path::new("src/os/"));
        assert!(rel[0].2.contains(&OsString::from("walk.rs")));
    });
}

#[test]
fn os_walk_skips_what_it_cannot_list() {
    common::unprivileged("os_walk_skips_what_it_cannot_list", os_walk_skips_body);
}

fn os_walk_skips_body() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        // A missing top, or a file: nothing at all, as Python.
        assert!(os::walk(root.join("missing")).next().await.is_none());
        std::fs::write(root.join("file"), "").unwrap();
        assert!(os::walk(root.join("file")).next().await.is_none());

        let top = root.join("top");
        std::fs::create_dir_all(top.join("locked/inner")).unwrap();
        std::fs::create_dir_all(top.join("open")).unwrap();
        std::fs::write(top.join("open/f"), "").unwrap();
        let _guard = Locked::new(&top.join("locked"));
        let walked: Vec<Triple> = os::walk(&top).try_collect().await.unwrap();
        assert_eq!(
            sorted(tidy(&walked)),
            [
                (top.clone(), names(&["locked", "open"]), names(&[])),
                (top.join("open"), names(&[]), names(&["f"])),
            ]
        );
    });
}

#[test]
fn os_walk_follow_links_stops_at_a_loop() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("d/e")).unwrap();
        symlink(&root, root.join("d/e/up")).unwrap();
        symlink(".", root.join("d/here")).unwrap();
        let walked = common::within(Duration::from_secs(20), {
            let root = root.clone();
            move || {
                futures::executor::block_on(os::walk(&root).follow_links(true).try_collect())
                    .unwrap()
            }
        });
        let walked: Vec<Triple> = walked;
        assert_python_order(&walked, true);
        assert_eq!(
            sorted(tidy(&walked)),
            [
                (root.clone(), names(&["d"]), names(&[])),
                (root.join("d"), names(&["e", "here"]), names(&[])),
                (root.join("d/e"), names(&["up"]), names(&[])),
            ]
        );
    });
}

#[test]
fn os_walk_large_tree_hops() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        let tree = make_tree(&root, 10_000, 5, 3);
        let counting = Counting::default();
        let walked: Vec<Triple> = os::walk(&root)
            .on(counting.clone())
            .try_collect()
            .await
            .unwrap();
        let hops = counting.hops();
        assert_eq!(walked.len(), tree.dirs + 1);
        assert_python_order(&walked, false);
        let listed: usize = walked.iter().map(|t| t.1.len() + t.2.len()).sum();
        assert_eq!(listed, tree.entries);
        // The same names as walkdir finds, directory by directory.
        let mut from_walkdir: Vec<Found> = walkdir_found(walkdir::WalkDir::new(&root).min_depth(1));
        from_walkdir.sort();
        let mut from_os: Vec<Found> = Vec::new();
        for (dirpath, dirnames, filenames) in &walked {
            let depth = dirpath.strip_prefix(&root).unwrap().components().count() + 1;
            from_os.extend(dirnames.iter().map(|n| (dirpath.join(n), depth, true)));
            from_os.extend(filenames.iter().map(|n| (dirpath.join(n), depth, false)));
        }
        from_os.sort();
        assert_eq!(from_os, from_walkdir);

        eprintln!(
            "os::walk: {} entries, {} directories: {hops} hand-offs",
            tree.entries,
            tree.dirs + 1
        );
        let items = tree.entries + tree.dirs + 1;
        assert!(hops <= items / 32 + 2, "{hops} hand-offs");
    });
}

// ---------------------------------------------------------------------------------------------
// Memory

#[test]
fn a_hundred_thousand_entries_in_bounded_batches() {
    let (_dir, root) = tempdir_for_tree();
    let start = Instant::now();
    let tree = make_tree(&root, 100_000, 2, 10);
    eprintln!(
        "made {} entries in {} directories in {:?}",
        tree.entries,
        tree.dirs,
        start.elapsed()
    );
    let started = Instant::now();
    common::within(common::TIMEOUT, move || {
        futures::executor::block_on(async move {
            let counting = Counting::default();
            let mut walk = fs::walk(&root).on(counting.clone());
            let (mut count, mut most_buffered) = (0, 0);
            while let Some(entry) = walk.next().await {
                entry.unwrap();
                count += 1;
                let (buffered, upper) = walk.size_hint();
                most_buffered = most_buffered.max(buffered);
                assert!(upper.is_none() || upper == Some(buffered));
            }
            let hops = counting.hops();
            let items = tree.entries + 1;
            assert_eq!(count, items);
            eprintln!(
                "fs::walk: {items} items: {hops} hand-offs, at most {most_buffered} buffered"
            );
            // Never more than one bounded batch held, however large the tree: the walk takes
            // many hand-offs, each of at least 32 entries.
            assert!(most_buffered <= 256, "{most_buffered} buffered");
            assert!(most_buffered >= 31, "{most_buffered} buffered");
            assert!(hops >= items / 256, "{hops} hand-offs");
            assert!(hops <= items / 32 + 2, "{hops} hand-offs");

            let counting = Counting::default();
            let mut walk = os::walk(&root).on(counting.clone());
            let (mut dirs, mut names, mut most_buffered) = (0, 0, 0);
            while let Some(item) = walk.next().await {
                let (_, dirnames, filenames) = item.unwrap();
                dirs += 1;
                names += dirnames.len() + filenames.len();
                most_buffered = most_buffered.max(walk.size_hint().0);
            }
            let hops = counting.hops();
            assert_eq!((dirs, names), (tree.dirs + 1, tree.entries));
            eprintln!(
                "os::walk: {dirs} directories, {names} names: {hops} hand-offs, at most \
                 {most_buffered} directories buffered"
            );
            // Each hand-off lists whole directories until 128 names are gathered: with ~900
            // names a directory, one directory per hand-off.
            assert!(most_buffered <= 1, "{most_buffered} buffered");
            assert!(hops >= dirs, "{hops} hand-offs");
        })
    });
    eprintln!("walked twice in {:?}", started.elapsed());
}
