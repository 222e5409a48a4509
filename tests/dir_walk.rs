//! `Dir::walk`: the walk of `fs::walk` confined to a `Dir`. Checked against `walkdir` run
//! synchronously on the same tree (paths made relative), with hand-offs counted by an executor
//! that wraps `Blocking`; symlinks not followed unless asked, and then only those that stay
//! inside (checked against `walkdir` following links on trees with no way out); nothing
//! outside ever listed or named.

#![cfg(feature = "cap-std")]

mod common;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::future::Future as _;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aiofiles::dir::WalkEntry;
use aiofiles::testing::ManualExecutor;
use aiofiles::{Blocking, Dir, Inline, Limit};
use futures::stream::FusedStream;
use futures::{Stream, StreamExt as _, TryStreamExt as _};

use common::{
    assert_same_error, run, source_of, tempdir_for_tree, tempdir_path, Closable, Counting,
    ThreadPerJob,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Builds a tree of exactly `entries` entries below `root`: directories with `fanout`
/// subdirectories each, `levels` levels of them, then files spread evenly over every
/// directory (the root included). Returns how many of the entries are directories.
fn make_tree(root: &Path, entries: usize, levels: usize, fanout: usize) -> usize {
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
    dirs
}

/// What a walk found: relative path, depth, whether a directory, whether a symlink.
type Found = (PathBuf, usize, bool, bool);

fn found(entry: &WalkEntry) -> Found {
    let file_type = entry.file_type();
    (
        entry.path().to_owned(),
        entry.depth(),
        file_type.is_dir(),
        file_type.is_symlink(),
    )
}

/// `walkdir` itself, synchronously, on `root.join(rel)`; paths made relative to `root` as a
/// `Dir::walk(rel)` gives them (`rel` as given for the walk's root). Errors left out.
fn walkdir_found(
    root: &Path,
    rel: &str,
    walk: impl FnOnce(walkdir::WalkDir) -> walkdir::WalkDir,
) -> Vec<Found> {
    walk(walkdir::WalkDir::new(root.join(rel)))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            let path = match e.depth() {
                0 => PathBuf::from(rel),
                _ => e.path().strip_prefix(root).unwrap().to_owned(),
            };
            (
                path,
                e.depth(),
                e.file_type().is_dir(),
                e.file_type().is_symlink(),
            )
        })
        .collect()
}

/// Every item of a walk, errors included, as they came.
async fn items<S: Stream<Item = io::Result<WalkEntry>>>(walk: S) -> Vec<io::Result<Found>> {
    walk.map(|item| item.map(|e| found(&e))).collect().await
}

/// Every item of a walk; fails on an error item.
async fn entries<S: Stream<Item = io::Result<WalkEntry>>>(walk: S) -> Vec<Found> {
    walk.map_ok(|e| found(&e)).try_collect().await.unwrap()
}

/// Items as `path@depth`, errors as `error`.
fn shown(items: &[io::Result<Found>]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            Ok((path, depth, _, _)) => format!("{}@{depth}", path.display()),
            Err(_) => "error".to_owned(),
        })
        .collect()
}

/// Each entry's parent comes before it, no path comes twice, and each entry's depth is the
/// number of its components (the walk's root `.` at 0).
#[track_caller]
fn assert_top_down(found: &[Found]) {
    let mut at = HashMap::new();
    for (i, (path, depth, _, _)) in found.iter().enumerate() {
        assert!(at.insert(path.clone(), i).is_none(), "{path:?} twice");
        let components = path
            .components()
            .filter(|c| *c != Component::CurDir)
            .count();
        assert_eq!(components, *depth, "depth of {path:?}");
    }
    for (i, (path, depth, _, _)) in found.iter().enumerate() {
        if *depth > 0 {
            let parent = match path.parent().unwrap() {
                p if p == Path::new("") => Path::new("."),
                p => p,
            };
            let parent = at[parent];
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

async fn open(root: &Path) -> Dir {
    Dir::open_ambient(root).await.unwrap()
}

fn p(path: &str) -> PathBuf {
    PathBuf::from(path)
}

// ---------------------------------------------------------------------------------------------
// A large tree

#[test]
fn large_tree_every_path_once_like_walkdir() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        let entries_below = 2_000;
        let dirs = make_tree(&root, entries_below, 3, 3);
        assert_eq!(dirs, 39);

        let counting = Counting::default();
        let top = Dir::open_ambient(&root).on(counting.clone()).await.unwrap();
        let before = counting.hops();
        let walk = top.walk(".");
        assert_eq!(
            counting.hops(),
            before,
            "building the walk hands nothing off"
        );
        let ours = entries(walk).await;
        let hops = counting.hops() - before;

        assert_eq!(ours.len(), entries_below + 1); // and `.`
        assert_top_down(&ours);
        assert_eq!(ours[0], (p("."), 0, true, false));
        assert_eq!(ours.iter().map(|f| f.1).max(), Some(4));
        assert_eq!(ours.iter().filter(|f| f.2).count(), dirs + 1);
        let theirs = walkdir_found(&root, ".", |w| w);
        assert_eq!(sorted(ours.clone()), sorted(theirs.clone()));
        // Both read the directories in the OS order and descend at once: the same sequence.
        assert_eq!(ours, theirs);

        let items = entries_below + 1;
        eprintln!(
            "Dir::walk: {items} items, {} directories: {hops} hand-offs",
            dirs + 1
        );
        assert!(hops <= items / 32 + 2, "{hops} hand-offs for {items} items");
        assert!(hops >= items / 128, "{hops} hand-offs for {items} items");

        // A subtree: paths start with the path given.
        let ours = entries(top.walk("d1")).await;
        assert_eq!(ours, walkdir_found(&root, "d1", |w| w));
        assert!(ours.iter().all(|f| f.0.starts_with("d1")));
        assert_eq!(ours[0], (p("d1"), 0, true, false));
        let ours = entries(top.walk("d1/d2/")).await;
        assert_eq!(ours, walkdir_found(&root, "d1/d2/", |w| w));
        assert_eq!(ours[1].0.parent(), Some(Path::new("d1/d2")));

        // Sorted: exactly walkdir's sorted sequence.
        let ours = entries(top.walk(".").sort_by_file_name()).await;
        assert_eq!(ours, walkdir_found(&root, ".", |w| w.sort_by_file_name()));
    });
}

#[test]
fn batches_hold_32_to_128_entries() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 2_000, 3, 3);
        for sort in [false, true] {
            let counting = Counting::default();
            let top = Dir::open_ambient(&root).on(counting.clone()).await.unwrap();
            let opened = counting.hops();
            let walk = top.walk(".");
            let mut walk = if sort { walk.sort_by_file_name() } else { walk };
            let mut per_hop: Vec<usize> = Vec::new();
            while let Some(item) = walk.next().await {
                item.unwrap();
                let hops = counting.hops() - opened;
                if per_hop.len() < hops {
                    per_hop.push(0);
                }
                *per_hop.last_mut().unwrap() += 1;
                assert!(walk.size_hint().0 < 128);
            }
            assert!(walk.is_terminated());
            assert_eq!(walk.size_hint(), (0, Some(0)));
            assert_eq!(per_hop.iter().sum::<usize>(), 2_001);
            let (last, full) = per_hop.split_last().unwrap();
            assert!(full.iter().all(|n| (32..=128).contains(n)), "{per_hop:?}");
            assert!((1..=128).contains(last), "{per_hop:?}");
            eprintln!("Dir::walk (sorted: {sort}): entries per hand-off {per_hop:?}");
        }
    });
}

#[test]
fn large_tree_on_every_executor() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 2_000, 3, 4);
        let expected = walkdir_found(&root, ".", |w| w);
        assert_eq!(entries(open(&root).await.walk(".")).await, expected);
        let on_inline = Dir::open_ambient(&root).on(Inline).await.unwrap();
        assert_eq!(entries(on_inline.walk(".")).await, expected);
        let on_threads = Dir::open_ambient(&root).on(ThreadPerJob).await.unwrap();
        assert_eq!(entries(on_threads.walk(".")).await, expected);
        let limited = Dir::open_ambient(&root)
            .on(Limit::new(Blocking, 1))
            .await
            .unwrap();
        assert_eq!(entries(limited.walk(".")).await, expected);
    });
}

// ---------------------------------------------------------------------------------------------
// Options

#[test]
fn depth_limits_as_walkdir() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 200, 3, 3);
        let top = open(&root).await;
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
            let ours = entries(top.walk(".").min_depth(min).max_depth(max)).await;
            let theirs = walkdir_found(&root, ".", |w| w.min_depth(min).max_depth(max));
            assert_eq!(ours, theirs, "min_depth({min}).max_depth({max})");
            let (lo, hi) = (min.min(max), max.max(min));
            assert!(ours.iter().all(|f| (lo..=hi).contains(&f.1)));
        }
        // The order of the calls matters as in walkdir: the first one set wins.
        let ours = entries(top.walk(".").max_depth(1).min_depth(2)).await;
        let theirs = walkdir_found(&root, ".", |w| w.max_depth(1).min_depth(2));
        assert_eq!(ours, theirs);
        assert!(ours.iter().all(|f| f.1 == 1));

        assert_eq!(
            entries(top.walk(".").max_depth(0)).await,
            [(p("."), 0, true, false)]
        );
        assert_eq!(
            entries(top.walk("d0").max_depth(0)).await,
            [(p("d0"), 0, true, false)]
        );
        let ones = entries(top.walk(".").min_depth(1).max_depth(1)).await;
        assert_eq!(ones.len(), std::fs::read_dir(&root).unwrap().count());
        assert!(ones.iter().all(|f| f.0.components().count() == 1));
        // Deeper than the tree: nothing.
        assert!(entries(top.walk(".").min_depth(5)).await.is_empty());
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
        for name in ["y", "c", "0", "B"] {
            std::fs::write(root.join(name), "").unwrap();
        }
        let top = open(&root).await;
        let paths: Vec<String> = top
            .walk(".")
            .min_depth(1)
            .max_depth(1)
            .sort_by_file_name()
            .map_ok(|e| e.path().to_string_lossy().into_owned())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(paths, ["0", "B", "a", "b", "c", "k", "m", "y", "z"]);

        let ours = entries(top.walk(".").sort_by_file_name()).await;
        let theirs = walkdir_found(&root, ".", |w| w.sort_by_file_name());
        assert_eq!(ours, theirs);
        let under_m: Vec<_> = ours
            .iter()
            .filter(|f| f.0.starts_with("m") && f.1 == 2)
            .map(|f| f.0.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(under_m, ["1", "3", "9", "c", "x"]);
        // Unsorted, the same set.
        assert_eq!(sorted(entries(top.walk(".")).await), sorted(ours));
    });
}

#[test]
fn builders_panic_once_polled() {
    for which in [
        "max_depth",
        "min_depth",
        "sort_by_file_name",
        "follow_links",
    ] {
        let (_dir, root) = tempdir_path();
        let panic = std::panic::catch_unwind(|| {
            futures::executor::block_on(async {
                let top = Dir::open_ambient(&root).on(Inline).await.unwrap();
                let mut walk = top.walk(".");
                walk.next().await.unwrap().unwrap();
                let _ = match which {
                    "max_depth" => walk.max_depth(1),
                    "min_depth" => walk.min_depth(1),
                    "follow_links" => walk.follow_links(true),
                    _ => walk.sort_by_file_name(),
                };
            })
        })
        .unwrap_err();
        let message = common::panic_message(&*panic);
        assert_eq!(
            message,
            format!("`Walk::{which}` called after the walk was polled")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Paths, roots and entries

#[test]
fn paths_are_relative_to_the_dir() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/file"), "x").unwrap();
        let top = open(&root).await;

        let dot = entries(top.walk(".").sort_by_file_name()).await;
        let expected = [
            (p("."), 0, true, false),
            (p("a"), 1, true, false),
            (p("a/b"), 2, true, false),
            (p("a/b/file"), 3, false, false),
        ];
        assert_eq!(dot, expected);

        let a = entries(top.walk("a")).await;
        assert_eq!(
            a,
            [
                (p("a"), 0, true, false),
                (p("a/b"), 1, true, false),
                (p("a/b/file"), 2, false, false),
            ]
        );
        // Each path opens the entry through the same `Dir`.
        for (path, _, is_dir, _) in &a {
            if !is_dir {
                assert_eq!(top.read(path).await.unwrap(), b"x");
            }
        }
        // `./a` and `a/../a` as given.
        let paths: Vec<_> = entries(top.walk("./a"))
            .await
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(paths, [p("./a"), p("./a/b"), p("./a/b/file")]);
        let paths: Vec<_> = entries(top.walk("a/../a/b"))
            .await
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(paths, [p("a/../a/b"), p("a/../a/b/file")]);

        // A file: itself alone.
        assert_eq!(
            entries(top.walk("a/b/file")).await,
            [(p("a/b/file"), 0, false, false)]
        );

        // Names and depths of the entries.
        let all: Vec<WalkEntry> = top
            .walk(".")
            .sort_by_file_name()
            .try_collect()
            .await
            .unwrap();
        let names: Vec<&OsStr> = all.iter().map(WalkEntry::file_name).collect();
        assert_eq!(names, [".", "a", "b", "file"]);
        assert_eq!(all[3].clone().into_path(), p("a/b/file"));
        let entry = format!("{:?}", all[3]);
        assert!(
            entry.starts_with("WalkEntry { path: \"a/b/file\", depth: 3"),
            "{entry}"
        );
    });
}

#[test]
fn missing_path_is_one_not_found_item() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        let top = open(&root).await;
        for path in ["missing", "missing/deeper", ""] {
            let mut walk = top.walk(path);
            let err = walk.next().await.unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{path:?}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("failed to walk `{path}`: ")),
                "{err}"
            );
            assert!(walk.next().await.is_none());
            assert!(walk.is_terminated());
        }
        let err = top.walk("missing").next().await.unwrap().unwrap_err();
        assert_eq!(source_of(&err).raw_os_error(), Some(common::ENOENT));
    });
}

// ---------------------------------------------------------------------------------------------
// Never out of the root

/// ```text
/// base/
///   outside/secret, outside/sub/deep
///   canary
///   root/                     the Dir
///     a/f
///     a/loop       -> ..      (to its own parent, inside)
///     link_out     -> /abs/base/outside
///     rel_out      -> ../outside
///     up           -> ..
///     file_out     -> ../canary
///     link_a       -> a       (a directory inside)
///     abs_in       -> /abs/base/root/a (absolute, though inside)
///     dangling     -> nowhere
/// ```
fn planted() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, base) = tempdir_path();
    let root = base.join("root");
    std::fs::create_dir_all(base.join("outside/sub")).unwrap();
    std::fs::write(base.join("outside/secret"), "secret").unwrap();
    std::fs::write(base.join("outside/sub/deep"), "secret").unwrap();
    std::fs::write(base.join("canary"), "secret").unwrap();
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::write(root.join("a/f"), "").unwrap();
    symlink("..", root.join("a/loop")).unwrap();
    symlink(base.join("outside"), root.join("link_out")).unwrap();
    symlink("../outside", root.join("rel_out")).unwrap();
    symlink("..", root.join("up")).unwrap();
    symlink("../canary", root.join("file_out")).unwrap();
    symlink("a", root.join("link_a")).unwrap();
    symlink(root.join("a"), root.join("abs_in")).unwrap();
    symlink("nowhere", root.join("dangling")).unwrap();
    (dir, base, root)
}

#[test]
fn symlinks_are_entries_never_descended() {
    run(|| async {
        let (_dir, _base, root) = planted();
        let top = open(&root).await;
        let ours = entries(top.walk(".").sort_by_file_name()).await;
        let expected = [
            (p("."), 0, true, false),
            (p("a"), 1, true, false),
            (p("a/f"), 2, false, false),
            (p("a/loop"), 2, false, true),
            (p("abs_in"), 1, false, true),
            (p("dangling"), 1, false, true),
            (p("file_out"), 1, false, true),
            (p("link_a"), 1, false, true),
            (p("link_out"), 1, false, true),
            (p("rel_out"), 1, false, true),
            (p("up"), 1, false, true),
        ];
        assert_eq!(ours, expected);
        // walkdir, not following links, agrees.
        assert_eq!(ours, walkdir_found(&root, ".", |w| w.sort_by_file_name()));
        // In the OS order too; and nothing of `outside` or `a` twice.
        let unsorted = entries(top.walk(".")).await;
        assert_eq!(sorted(unsorted.clone()), sorted(expected.to_vec()));
        assert!(unsorted
            .iter()
            .all(|f| !f.0.to_string_lossy().contains("secret")
                && !f.0.to_string_lossy().contains("deep")));
        assert_eq!(unsorted.iter().filter(|f| f.0.ends_with("f")).count(), 1);

        // Walking below `a` the same way: `loop` is a symlink entry, the walk ends.
        let a = entries(top.walk("a").sort_by_file_name()).await;
        assert_eq!(
            a,
            [
                (p("a"), 0, true, false),
                (p("a/f"), 1, false, false),
                (p("a/loop"), 1, false, true),
            ]
        );
    });
}

#[test]
fn the_path_given_is_resolved_inside_only() {
    run(|| async {
        let (_dir, base, root) = planted();
        let top = open(&root).await;

        // A symlink inside, given as the path: followed, as every path given to a `Dir` is,
        // and the walk below it is `a`'s under the link's name.
        let ours = entries(top.walk("link_a").sort_by_file_name()).await;
        assert_eq!(
            ours,
            [
                (p("link_a"), 0, true, false),
                (p("link_a/f"), 1, false, false),
                (p("link_a/loop"), 1, false, true),
            ]
        );

        // Everything leading outside: one `PermissionDenied` item naming it, then the end.
        let inside_abs = root.join("a");
        let outside_abs = base.join("outside");
        let escapes = [
            "..",
            "../",
            "../outside",
            "../x",
            "a/../../outside",
            "a/../..",
            "a/loop/..",
            "/",
            "/etc",
            outside_abs.to_str().unwrap(),
            inside_abs.to_str().unwrap(),
            "link_out",
            "link_out/sub",
            "rel_out",
            "up",
            "up/root",
            "file_out",
            "abs_in",
        ];
        for path in escapes {
            let counting = Counting::default();
            let counted = Dir::open_ambient(&root).on(counting.clone()).await.unwrap();
            let items = items(counted.walk(path)).await;
            assert_eq!(items.len(), 1, "{path}: {:?}", shown(&items));
            let err = items[0].as_ref().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{path}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("failed to walk `{path}`: ")),
                "{err}"
            );
            assert_eq!(counting.hops(), 2, "{path}: the open and one batch");
        }
    });
}

#[test]
fn a_directory_swapped_for_a_symlink_is_an_error_never_a_way_out() {
    run(|| async {
        let (_dir, base) = tempdir_path();
        let root = base.join("root");
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret"), "").unwrap();
        std::fs::create_dir_all(root.join("zzz")).unwrap();
        std::fs::write(root.join("zzz/inside"), "").unwrap();
        for i in 0..200 {
            std::fs::write(root.join(format!("f{i:03}")), "").unwrap();
        }

        // Sorted, `.` is listed in the first batch and `zzz` comes in the second: swap it
        // for a symlink to outside in between.
        let counting = Counting::default();
        let top = Dir::open_ambient(&root).on(counting.clone()).await.unwrap();
        let mut walk = top.walk(".").sort_by_file_name();
        let mut first = Vec::new();
        for _ in 0..128 {
            first.push(walk.next().await.unwrap().unwrap());
        }
        assert_eq!(counting.hops(), 2, "the open and one batch");
        assert_eq!(first[127].path(), Path::new("f126"));
        std::fs::rename(root.join("zzz"), base.join("moved")).unwrap();
        symlink("../outside", root.join("zzz")).unwrap();

        let rest = items(walk).await;
        let shown = shown(&rest);
        assert_eq!(shown.len(), 73 + 2, "{shown:?}");
        assert_eq!(&shown[73..], ["zzz@1", "error"]);
        // Listed as a directory before the swap; opening it without following fails.
        assert!(rest[73].as_ref().unwrap().2);
        let err = rest[74].as_ref().unwrap_err();
        assert!(
            err.to_string().starts_with("failed to walk `zzz`: "),
            "{err}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn unreadable_directory_is_one_error_and_the_walk_goes_on() {
    common::unprivileged(
        "unreadable_directory_is_one_error_and_the_walk_goes_on",
        unreadable_directory,
    );
}

fn unreadable_directory() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        for dir in ["a", "locked", "z/locked2"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        for file in ["a/f", "locked/hidden", "z/f", "z/locked2/hidden"] {
            std::fs::write(root.join(file), "").unwrap();
        }
        let locked = root.join("locked");
        let _locked = Locked::new(&locked);
        let _locked2 = Locked::new(&root.join("z/locked2"));
        let std_err = std::fs::read_dir(&locked).unwrap_err();

        let top = open(&root).await;
        let items = items(top.walk(".").sort_by_file_name()).await;
        assert_eq!(
            shown(&items),
            [
                ".@0",
                "a@1",
                "a/f@2",
                "locked@1",
                "error",
                "z@1",
                "z/f@2",
                "z/locked2@2",
                "error"
            ]
        );
        let err = items[4].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_same_error(err, &std_err, "walk", &[Path::new("locked")]);
        let err = items[8].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_same_error(err, &std_err, "walk", &[Path::new("z/locked2")]);

        // In the OS order: the same items, each error right after its directory.
        let items = self::items(top.walk(".")).await;
        assert_eq!(items.len(), 9);
        for (i, item) in items.iter().enumerate() {
            if item.is_err() {
                let dir = &items[i - 1].as_ref().unwrap().0;
                assert!(
                    dir.ends_with("locked") || dir.ends_with("locked2"),
                    "{dir:?}"
                );
            }
        }

        // Below min_depth, the error still comes; past max_depth, the directory is not opened.
        let items = self::items(top.walk(".").min_depth(2).sort_by_file_name()).await;
        assert_eq!(
            shown(&items),
            ["a/f@2", "error", "z/f@2", "z/locked2@2", "error"]
        );
        let items = self::items(top.walk(".").max_depth(1)).await;
        assert!(items.iter().all(Result::is_ok));

        // The path given itself: its entry, then the error.
        let items = self::items(top.walk("locked")).await;
        assert_eq!(shown(&items), ["locked@0", "error"]);
        assert_same_error(
            items[1].as_ref().unwrap_err(),
            &std_err,
            "walk",
            &[Path::new("locked")],
        );
    });
}

#[test]
fn a_followed_directory_that_cannot_be_listed_is_its_entry_then_an_error() {
    common::unprivileged(
        "a_followed_directory_that_cannot_be_listed_is_its_entry_then_an_error",
        followed_unreadable,
    );
}

fn followed_unreadable() {
    run(|| async {
        let (_dir, base, root) = fenced();
        std::fs::create_dir_all(root.join("locked")).unwrap();
        std::fs::write(root.join("locked/hidden"), "").unwrap();
        symlink("locked", root.join("in_locked")).unwrap();
        let locked = root.join("locked");
        let _locked = Locked::new(&locked);
        let std_err = std::fs::read_dir(&locked).unwrap_err();
        let top = open(&root).await;
        let items: Vec<_> = top
            .walk(".")
            .follow_links(true)
            .sort_by_file_name()
            .collect()
            .await;
        let shown: Vec<_> = items.iter().map(|item| text(item, &base)).collect();
        assert_eq!(
            shown,
            vec![
                ".@0 dir".to_owned(),
                "in_locked@1 dir (link)".into(),
                format!("PermissionDenied: failed to walk `in_locked`: {std_err}"),
                "locked@1 dir".into(),
                format!("PermissionDenied: failed to walk `locked`: {std_err}"),
            ]
        );
        assert_same_error(
            items[2].as_ref().unwrap_err(),
            &std_err,
            "walk",
            &[Path::new("in_locked")],
        );
    });
}

#[test]
fn a_lost_batch_ends_the_walk_with_an_error() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("f"), "").unwrap();
        let closable = Closable::default();
        let top = Dir::open_ambient(&root).on(closable.clone()).await.unwrap();
        let mut walk = top.walk(".");
        closable.close();
        let err = walk.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(walk.next().await.is_none());
        assert!(walk.is_terminated());

        // Reopened, a new walk works.
        closable.reopen();
        assert_eq!(entries(top.walk(".")).await.len(), 2);
    });
}

// ---------------------------------------------------------------------------------------------
// Cancellation

#[test]
fn dropping_the_walk_stops_the_hand_offs() {
    let (_dir, root) = tempdir_for_tree();
    make_tree(&root, 2_000, 3, 3);

    // Dropped between batches.
    let counting = Counting::default();
    common::within(common::TIMEOUT, {
        let (root, counting) = (root.clone(), counting.clone());
        move || {
            futures::executor::block_on(async {
                let top = Dir::open_ambient(&root).on(counting).await.unwrap();
                let mut walk = top.walk(".");
                for _ in 0..5 {
                    walk.next().await.unwrap().unwrap();
                }
            })
        }
    });
    let after_drop = counting.hops();
    assert_eq!(after_drop, 2, "the open and one batch");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(counting.hops(), after_drop);

    // Dropped with a batch in flight: that batch finishes, nothing more. On a manual
    // executor, so that the batch is surely still in flight when the walk is dropped.
    let manual = ManualExecutor::new();
    let counting = Counting::new(manual.clone());
    {
        let mut open = pin!(Dir::open_ambient(&root).on(counting.clone()));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(open.as_mut().poll(&mut cx).is_pending());
        assert_eq!(manual.run_all(), 1);
        let Poll::Ready(top) = open.poll(&mut cx) else {
            panic!("the open ran")
        };
        let top = top.unwrap();
        let mut walk = pin!(top.walk("."));
        let mut polled = 0;
        loop {
            match walk.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(item)) => {
                    item.unwrap();
                    polled += 1;
                }
                Poll::Ready(None) => unreachable!("the tree is larger"),
                Poll::Pending if polled >= 150 => break,
                Poll::Pending => assert_eq!(manual.run_all(), 1),
            }
        }
        let debug = format!("{walk:?}");
        assert!(debug.contains("state: \"fetching\""), "{debug}");
        // The open and two batches yielded, the third in flight.
        assert_eq!(counting.hops(), 4);
    }
    // The batch in flight still runs once the walk is gone, and nothing comes after it.
    assert_eq!(manual.pending(), 1);
    assert_eq!(manual.run_all(), 1);
    assert_eq!(counting.hops(), 4);
    assert_eq!(manual.pending(), 0);

    // Dropped before the first poll: nothing at all.
    let counting = Counting::default();
    let top = futures::executor::block_on(Dir::open_ambient(&root).on(counting.clone())).unwrap();
    drop(top.walk(".").max_depth(3));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(counting.hops(), 1);
}

#[test]
fn next_future_dropped_loses_nothing() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        make_tree(&root, 500, 2, 3);
        let top = open(&root).await;
        let mut walk = top.walk(".");
        let mut got = Vec::new();
        loop {
            // Poll once and drop the `next()` future, then await it properly.
            let mut next = walk.next();
            let polled =
                std::pin::Pin::new(&mut next).poll(&mut Context::from_waker(Waker::noop()));
            drop(next);
            match polled {
                Poll::Ready(Some(item)) => got.push(found(&item.unwrap())),
                Poll::Ready(None) => break,
                Poll::Pending => match walk.next().await {
                    Some(item) => got.push(found(&item.unwrap())),
                    None => break,
                },
            }
        }
        assert_eq!(got, walkdir_found(&root, ".", |w| w));
    });
}

#[test]
fn debug_shows_the_state() {
    run(|| async {
        let (_dir, root) = tempdir_path();
        std::fs::write(root.join("f"), "").unwrap();
        let top = Dir::open_ambient(&root).on(Inline).await.unwrap();
        let mut walk = top.walk(".");
        assert_eq!(
            format!("{walk:?}"),
            "Walk { path: \".\", state: \"not started\", buffered: 0 }"
        );
        walk.next().await.unwrap().unwrap();
        assert_eq!(
            format!("{walk:?}"),
            "Walk { path: \".\", state: \"done\", buffered: 1 }"
        );
        assert!(!walk.is_terminated());
        walk.next().await.unwrap().unwrap();
        assert!(walk.next().await.is_none());
        assert!(walk.is_terminated());
        assert!(walk.next().await.is_none());
    });
}

#[test]
fn a_deep_chain_is_walked_to_the_bottom() {
    run(|| async {
        let (_dir, root) = tempdir_for_tree();
        let mut deepest = PathBuf::new();
        for i in 0..150 {
            deepest.push(format!("{}", i % 10));
        }
        std::fs::create_dir_all(root.join(&deepest)).unwrap();
        std::fs::write(root.join(&deepest).join("bottom"), "").unwrap();
        let ours = entries(open(&root).await.walk(".")).await;
        assert_eq!(ours.len(), 152);
        assert_top_down(&ours);
        assert_eq!(ours[151], (deepest.join("bottom"), 151, false, false));
        assert_eq!(ours, walkdir_found(&root, ".", |w| w));
    });
}

// ---------------------------------------------------------------------------------------------
// follow_links

/// A directory planted next to the root, outside it, and a file in it: neither name may ever
/// appear in an item (an entry's path, an error's message or `Debug`). Both contain `7f3a`.
const CANARY: &str = "canary-outside-7f3a";
const CANARY_FILE: &str = "inside-canary-7f3a";

/// `base/canary-outside-7f3a/inside-canary-7f3a`, and `base/root`, empty: the `Dir`.
fn fenced() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, base) = tempdir_path();
    std::fs::create_dir(base.join(CANARY)).unwrap();
    std::fs::write(base.join(CANARY).join(CANARY_FILE), "outside").unwrap();
    let root = base.join("root");
    std::fs::create_dir(&root).unwrap();
    (dir, base, root)
}

/// Nothing of what lies outside the root in `text`: not the canary's names, not the ambient
/// path of the directory the root is in.
#[track_caller]
fn assert_hidden(text: &str, base: &Path) {
    assert!(!text.contains("7f3a"), "the canary named in {text}");
    assert!(
        !text.contains(base.to_str().unwrap()),
        "an ambient path in {text}"
    );
}

/// An item of a walk as text: an entry as `path@depth type`, its type `dir`, `file` or
/// `symlink`, then ` (link)` when its path is a symlink; an error as `Kind: message`. Checks
/// on the way that it names nothing outside the root (`Display` and `Debug`).
#[track_caller]
fn text(item: &io::Result<WalkEntry>, base: &Path) -> String {
    let text = match item {
        Ok(e) => {
            assert_hidden(&format!("{e:?}"), base);
            let t = e.file_type();
            let kind = match (t.is_dir(), t.is_file(), t.is_symlink()) {
                (true, _, _) => "dir",
                (_, true, _) => "file",
                (_, _, true) => "symlink",
                _ => "other",
            };
            let link = if e.path_is_symlink() { " (link)" } else { "" };
            format!("{}@{} {kind}{link}", e.path().display(), e.depth())
        }
        Err(e) => {
            assert_hidden(&format!("{e:?}"), base);
            assert_hidden(&source_of(e).to_string(), base);
            format!("{:?}: {e}", e.kind())
        }
    };
    assert_hidden(&text, base);
    text
}

/// Every item of a walk as [`text`].
async fn texts<S: Stream<Item = io::Result<WalkEntry>>>(walk: S, base: &Path) -> Vec<String> {
    let items: Vec<_> = walk.collect().await;
    items.iter().map(|item| text(item, base)).collect()
}

/// The item of a link that leads outside.
fn denied(path: &str) -> String {
    format!("PermissionDenied: failed to walk `{path}`: a path led outside of the filesystem")
}

/// The item of a link to its ancestor `ancestor`.
fn looped(path: &str, ancestor: &str) -> String {
    format!(
        "Other: failed to walk `{path}`: a symlink loop: it points to its ancestor `{ancestor}`"
    )
}

/// The item of a link that std's `metadata` fails on (inside the root), with std's error.
fn like_std(root: &Path, path: &str) -> String {
    let err = std::fs::metadata(root.join(path)).unwrap_err();
    format!("{:?}: failed to walk `{path}`: {err}", err.kind())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A row of the table: what it is, what it plants in the root (given `base` and `root`), and
/// the items of `walk(".").follow_links(true).sort_by_file_name()` it expects.
type Row = (&'static str, fn(&Path, &Path) -> Vec<String>);

const TABLE: &[Row] = &[
    ("in-root link to a directory", |_, root| {
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/f1"), "").unwrap();
        symlink("a", root.join("in_link")).unwrap();
        strings(&[
            ".@0 dir",
            "a@1 dir",
            "a/f1@2 file",
            "in_link@1 dir (link)",
            "in_link/f1@2 file",
        ])
    }),
    ("in-root link to a file", |_, root| {
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("f"), "").unwrap();
        symlink("f", root.join("file_link")).unwrap();
        symlink("../f", root.join("a/up_file")).unwrap();
        strings(&[
            ".@0 dir",
            "a@1 dir",
            "a/up_file@2 file (link)",
            "f@1 file",
            "file_link@1 file (link)",
        ])
    }),
    ("absolute targets, outside and inside", |base, root| {
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/f1"), "").unwrap();
        symlink(root.join("a"), root.join("abs_in")).unwrap();
        symlink(base.join("missing-7f3a"), root.join("abs_missing")).unwrap();
        symlink(base.join(CANARY), root.join("abs_out")).unwrap();
        symlink(
            base.join(CANARY).join(CANARY_FILE),
            root.join("abs_out_file"),
        )
        .unwrap();
        let mut expected = strings(&[".@0 dir", "a@1 dir", "a/f1@2 file"]);
        expected.extend(["abs_in", "abs_missing", "abs_out", "abs_out_file"].map(denied));
        expected
    }),
    ("`../secret`", |_, root| {
        symlink(format!("../{CANARY}"), root.join("secret")).unwrap();
        symlink(
            format!("../{CANARY}/{CANARY_FILE}"),
            root.join("secret_file"),
        )
        .unwrap();
        symlink("../missing-7f3a", root.join("secret_missing")).unwrap();
        let mut expected = strings(&[".@0 dir"]);
        expected.extend(["secret", "secret_file", "secret_missing"].map(denied));
        expected
    }),
    ("`..` at the root, and out and back in", |_, root| {
        std::fs::create_dir(root.join("a")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("../root", root.join("up_root")).unwrap();
        symlink("a/../..", root.join("a_up")).unwrap();
        let mut expected = strings(&[".@0 dir", "a@1 dir"]);
        expected.extend(["a_up", "up", "up_root"].map(denied));
        expected
    }),
    ("a link deeper down climbing out, and a chain", |_, root| {
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("a/c")).unwrap();
        std::fs::write(root.join("a/b/f"), "").unwrap();
        symlink(format!("../../../{CANARY}"), root.join("a/b/out")).unwrap();
        // `a/b/chain` stays inside by itself; the link it leads to does not.
        symlink("../c/next", root.join("a/b/chain")).unwrap();
        symlink("../../..", root.join("a/c/next")).unwrap();
        vec![
            ".@0 dir".into(),
            "a@1 dir".into(),
            "a/b@2 dir".into(),
            denied("a/b/chain"),
            "a/b/f@3 file".into(),
            denied("a/b/out"),
            "a/c@2 dir".into(),
            denied("a/c/next"),
        ]
    }),
    ("a loop to an ancestor", |_, root| {
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        symlink("..", root.join("a/loop")).unwrap();
        symlink("../..", root.join("a/b/up")).unwrap();
        symlink(".", root.join("a/b/self")).unwrap();
        vec![
            ".@0 dir".into(),
            "a@1 dir".into(),
            "a/b@2 dir".into(),
            looped("a/b/self", "a/b"),
            looped("a/b/up", "."),
            looped("a/loop", "."),
        ]
    }),
    ("a loop between two links", |_, root| {
        symlink("y", root.join("x")).unwrap();
        symlink("x", root.join("y")).unwrap();
        let expected = vec![".@0 dir".into(), like_std(root, "x"), like_std(root, "y")];
        assert!(expected[1].starts_with("FilesystemLoop: "), "{expected:?}");
        expected
    }),
    ("a dangling link", |_, root| {
        std::fs::create_dir(root.join("a")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        symlink("../nowhere", root.join("a/dangling")).unwrap();
        let expected = vec![
            ".@0 dir".into(),
            "a@1 dir".into(),
            like_std(root, "a/dangling"),
            like_std(root, "dangling"),
        ];
        assert!(expected[3].starts_with("NotFound: "), "{expected:?}");
        expected
    }),
];

#[test]
fn follow_links_table() {
    run(|| async {
        for (row, plant) in TABLE {
            let (_dir, base, root) = fenced();
            let expected = plant(&base, &root);
            let top = open(&root).await;

            let ours = texts(top.walk(".").follow_links(true).sort_by_file_name(), &base).await;
            assert_eq!(ours, expected, "{row}");
            // In the OS order: the same items.
            let unsorted = texts(top.walk(".").follow_links(true), &base).await;
            assert_eq!(sorted(unsorted), sorted(expected.clone()), "{row}");

            // Off, as by default: every link an entry of its own, no error, nothing followed.
            let off = texts(top.walk(".").follow_links(false).sort_by_file_name(), &base).await;
            let default = texts(top.walk(".").sort_by_file_name(), &base).await;
            assert_eq!(off, default, "{row}");
            assert!(off.iter().all(|t| !t.contains(':')), "{row}: {off:?}");
            let links = off
                .iter()
                .filter(|t| t.ends_with(" symlink (link)"))
                .count();
            let planted = walkdir::WalkDir::new(&root)
                .into_iter()
                .filter(|e| e.as_ref().unwrap().path_is_symlink())
                .count();
            assert_eq!(links, planted, "{row}: {off:?}");
            let theirs: Vec<String> = walkdir_found(&root, ".", |w| w.sort_by_file_name())
                .into_iter()
                .map(|(path, depth, is_dir, is_link)| {
                    let kind = match (is_dir, is_link) {
                        (true, _) => "dir",
                        (_, true) => "symlink (link)",
                        _ => "file",
                    };
                    format!("{}@{depth} {kind}", path.display())
                })
                .collect();
            assert_eq!(off, theirs, "{row}");
        }
    });
}

#[test]
fn an_escape_reads_the_same_whatever_lies_outside() {
    run(|| async {
        let (_dir, base, root) = fenced();
        let targets = [
            PathBuf::from(format!("../{CANARY}")),
            PathBuf::from(format!("../{CANARY}/{CANARY_FILE}")),
            PathBuf::from("../missing-7f3a"),
            PathBuf::from(format!("../{CANARY}/missing")),
            base.join(CANARY),
            base.join("missing-7f3a"),
        ];
        for (i, target) in targets.iter().enumerate() {
            symlink(target, root.join(format!("l{i}"))).unwrap();
        }
        let top = open(&root).await;
        let items: Vec<_> = top
            .walk(".")
            .min_depth(1)
            .follow_links(true)
            .sort_by_file_name()
            .collect()
            .await;
        assert_eq!(items.len(), targets.len());
        let mut seen = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let err = item.as_ref().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied);
            assert_eq!(source_of(err).kind(), ErrorKind::PermissionDenied);
            assert_eq!(source_of(err).raw_os_error(), None);
            let name = format!("l{i}");
            let debug = format!("{err:?}").replace(&name, "LINK");
            let display = err.to_string().replace(&name, "LINK");
            assert_hidden(&debug, &base);
            seen.push((display, debug));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:#?}");
        assert_eq!(
            seen[0].0,
            "failed to walk `LINK`: a path led outside of the filesystem"
        );
    });
}

#[test]
fn follow_links_on_the_planted_tree() {
    run(|| async {
        let (_dir, base, root) = planted();
        let top = open(&root).await;
        let ours = texts(top.walk(".").follow_links(true).sort_by_file_name(), &base).await;
        let expected = vec![
            ".@0 dir".to_owned(),
            "a@1 dir".into(),
            "a/f@2 file".into(),
            looped("a/loop", "."),
            denied("abs_in"),
            like_std(&root, "dangling"),
            denied("file_out"),
            "link_a@1 dir (link)".into(),
            "link_a/f@2 file".into(),
            looped("link_a/loop", "."),
            denied("link_out"),
            denied("rel_out"),
            denied("up"),
        ];
        assert_eq!(ours, expected);
        for item in &ours {
            assert!(
                !item.contains("secret") && !item.contains("outside/"),
                "{item}"
            );
        }

        // Below a link: its own target is the one ancestor at first, so `link_a/loop` (the
        // root) is walked, and within it each link back to an ancestor is one error.
        let below = texts(
            top.walk("link_a").follow_links(true).sort_by_file_name(),
            &base,
        )
        .await;
        let expected = vec![
            "link_a@0 dir (link)".to_owned(),
            "link_a/f@1 file".into(),
            "link_a/loop@1 dir (link)".into(),
            "link_a/loop/a@2 dir".into(),
            "link_a/loop/a/f@3 file".into(),
            looped("link_a/loop/a/loop", "link_a/loop"),
            denied("link_a/loop/abs_in"),
            like_std(&root, "dangling").replace("`dangling`", "`link_a/loop/dangling`"),
            denied("link_a/loop/file_out"),
            looped("link_a/loop/link_a", "link_a"),
            denied("link_a/loop/link_out"),
            denied("link_a/loop/rel_out"),
            denied("link_a/loop/up"),
        ];
        assert_eq!(below, expected);
    });
}

#[test]
fn followed_links_keep_depths_and_names() {
    run(|| async {
        let (_dir, base, root) = fenced();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), "x").unwrap();
        symlink("a", root.join("in_link")).unwrap();
        symlink("..", root.join("a/b/loop2")).unwrap(); // to `a`, an ancestor
        let top = open(&root).await;
        let walk = || top.walk(".").follow_links(true).sort_by_file_name();

        assert_eq!(
            texts(walk().max_depth(1), &base).await,
            [".@0 dir", "a@1 dir", "in_link@1 dir (link)"]
        );
        // At max_depth, a link to a directory is not descended into, but a loop is still an
        // error, as in walkdir.
        assert_eq!(
            texts(walk().max_depth(3), &base).await,
            vec![
                ".@0 dir".to_owned(),
                "a@1 dir".into(),
                "a/b@2 dir".into(),
                "a/b/f@3 file".into(),
                looped("a/b/loop2", "a"),
                "in_link@1 dir (link)".into(),
                "in_link/b@2 dir".into(),
                "in_link/b/f@3 file".into(),
                looped("in_link/b/loop2", "in_link"),
            ]
        );
        assert_eq!(
            texts(walk().min_depth(2), &base).await,
            vec![
                "a/b@2 dir".to_owned(),
                "a/b/f@3 file".into(),
                looped("a/b/loop2", "a"),
                "in_link/b@2 dir".into(),
                "in_link/b/f@3 file".into(),
                looped("in_link/b/loop2", "in_link"),
            ]
        );
        assert_eq!(
            texts(walk().min_depth(3).max_depth(3), &base).await,
            vec![
                "a/b/f@3 file".to_owned(),
                looped("a/b/loop2", "a"),
                "in_link/b/f@3 file".into(),
                looped("in_link/b/loop2", "in_link"),
            ]
        );
        // The path given a link: its entry says so, and the paths keep its name.
        assert_eq!(
            texts(
                top.walk("in_link")
                    .follow_links(true)
                    .sort_by_file_name()
                    .max_depth(2),
                &base
            )
            .await,
            vec![
                "in_link@0 dir (link)".to_owned(),
                "in_link/b@1 dir".into(),
                "in_link/b/f@2 file".into(),
                looped("in_link/b/loop2", "in_link"),
            ]
        );
        assert_eq!(
            texts(top.walk("in_link").max_depth(0), &base).await,
            ["in_link@0 dir (link)"]
        );
        assert_eq!(
            texts(top.walk("in_link/b").max_depth(0), &base).await,
            ["in_link/b@0 dir"]
        );
        // Every path opens the entry through the same `Dir`.
        let files: Vec<WalkEntry> = walk()
            .try_filter(|e| futures::future::ready(e.file_type().is_file()))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        assert_eq!(files.len(), 2);
        for entry in files {
            assert_eq!(top.read(entry.path()).await.unwrap(), b"x");
        }
    });
}

/// What a walk found, errors included, in a shape both `Dir::walk` and `walkdir` give: an
/// entry as (path, depth, is a directory, is a symlink, path is a symlink), an error as its
/// kind and the path it names.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Entry(PathBuf, usize, bool, bool, bool),
    Error(ErrorKind, PathBuf),
}

async fn seen<S: Stream<Item = io::Result<WalkEntry>>>(walk: S) -> Vec<Seen> {
    walk.map(|item| match item {
        Ok(e) => Seen::Entry(
            e.path().to_owned(),
            e.depth(),
            e.file_type().is_dir(),
            e.file_type().is_symlink(),
            e.path_is_symlink(),
        ),
        Err(e) => {
            let message = e.to_string();
            let named = message.split('`').nth(1).unwrap().to_owned();
            Seen::Error(e.kind(), PathBuf::from(named))
        }
    })
    .collect()
    .await
}

fn walkdir_seen(root: &Path, rel: &str, walk: walkdir::WalkDir) -> Vec<Seen> {
    let relative = |path: &Path| match path.strip_prefix(root.join(rel)) {
        Ok(below) if below == Path::new("") => PathBuf::from(rel),
        _ => path.strip_prefix(root).unwrap().to_owned(),
    };
    walk.into_iter()
        .map(|item| match item {
            Ok(e) => Seen::Entry(
                relative(e.path()),
                e.depth(),
                e.file_type().is_dir(),
                e.file_type().is_symlink(),
                e.path_is_symlink(),
            ),
            Err(e) => {
                let path = relative(e.path().unwrap());
                Seen::Error(io::Error::from(e).kind(), path)
            }
        })
        .collect()
}

#[test]
fn follow_links_agrees_with_walkdir_inside() {
    run(|| async {
        // Links that all stay inside: walkdir, following them on the ambient paths, must see
        // what the `Dir` sees.
        let (_dir, base, root) = fenced();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(root.join("a/b/c/f"), "").unwrap();
        std::fs::write(root.join("a/f1"), "").unwrap();
        symlink("a", root.join("in_link")).unwrap();
        symlink("..", root.join("a/loop")).unwrap();
        symlink("../..", root.join("a/b/up")).unwrap();
        symlink("../../in_link", root.join("a/b/side")).unwrap();
        symlink("a/f1", root.join("file_link")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        symlink("y", root.join("x")).unwrap();
        symlink("x", root.join("y")).unwrap();
        std::fs::create_dir(root.join("z")).unwrap();
        symlink("../a/b", root.join("z/to_b")).unwrap();
        let top = open(&root).await;

        for rel in [".", "a", "in_link", "z"] {
            for (min, max) in [(0, usize::MAX), (0, 1), (0, 2), (1, 3), (2, 2), (3, 9)] {
                for sort in [false, true] {
                    let walk = top
                        .walk(rel)
                        .follow_links(true)
                        .min_depth(min)
                        .max_depth(max);
                    let walk = if sort { walk.sort_by_file_name() } else { walk };
                    let ours = seen(walk).await;
                    let theirs = walkdir::WalkDir::new(root.join(rel))
                        .follow_links(true)
                        .min_depth(min)
                        .max_depth(max);
                    let theirs = if sort {
                        theirs.sort_by_file_name()
                    } else {
                        theirs
                    };
                    let theirs = walkdir_seen(&root, rel, theirs);
                    assert_eq!(ours, theirs, "walk({rel}) {min}..={max} sorted: {sort}");
                }
            }
        }
        // The whole of it, once, with nothing outside named: 21 entries, 13 errors (10 loops
        // to an ancestor, `x` and `y`, `dangling`), and an end.
        let all = texts(top.walk(".").follow_links(true).sort_by_file_name(), &base).await;
        assert_eq!(all.len(), 34, "{all:#?}");
        assert_eq!(all.iter().filter(|t| t.contains(": ")).count(), 13);
        assert_eq!(all.iter().filter(|t| t.starts_with("Other: ")).count(), 10);
        assert!(all.contains(&looped("z/to_b/side/b/side", "z/to_b/side")));
    });
}
