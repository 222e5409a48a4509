//! Run with: cargo run --example quickstart
//!
//! Filesystem operations on the default executor, `Blocking`, driven by
//! `futures::executor::block_on`: no async runtime at all.

use std::io;

use aiofiles::fs;

fn main() -> io::Result<()> {
    futures::executor::block_on(run())
}

async fn run() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    println!("working in {}", root.display());

    // Write and read back.
    let notes = root.join("notes.txt");
    fs::write(&notes, "hello from aiofiles\n").await?;
    println!("wrote {}", notes.display());
    let text = fs::read_to_string(&notes).await?;
    assert_eq!(text, "hello from aiofiles\n");
    println!("read back {:?}", text);

    // A few more entries, then list the directory.
    fs::create_dir_all(root.join("data/raw")).await?;
    fs::write(root.join("data/raw/a.bin"), [1u8, 2, 3]).await?;
    let copied = fs::copy(&notes, root.join("copy.txt")).await?;
    assert_eq!(copied, 20);
    println!("created data/raw/a.bin and copied {copied} bytes to copy.txt");

    let mut listing = fs::read_dir(root).await?;
    let mut names = Vec::new();
    while let Some(entry) = listing.next_entry().await? {
        let kind = if entry.file_type().await?.is_dir() {
            "dir"
        } else {
            "file"
        };
        names.push((entry.file_name().to_string_lossy().into_owned(), kind));
    }
    names.sort();
    println!("listed {names:?}");
    assert_eq!(
        names,
        [
            ("copy.txt".into(), "file"),
            ("data".into(), "dir"),
            ("notes.txt".into(), "file")
        ]
    );

    // Rename, then check what exists.
    let renamed = root.join("renamed.txt");
    fs::rename(&notes, &renamed).await?;
    assert!(!fs::try_exists(&notes).await?);
    assert_eq!(fs::metadata(&renamed).await?.len(), 20);
    println!("renamed notes.txt to renamed.txt");

    // Remove a file and a tree.
    fs::remove_file(&renamed).await?;
    fs::remove_dir_all(root.join("data")).await?;
    let left: Vec<_> = read_names(root).await?;
    assert_eq!(left, ["copy.txt"]);
    println!("removed renamed.txt and data/, left {left:?}");

    // Errors name the operation and the path, and keep std's kind.
    let err = fs::read(root.join("missing.txt")).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    println!("error as expected: {err}");

    println!("done");
    Ok(())
}

/// The sorted names in `dir`, using `ReadDir` as a stream.
async fn read_names(dir: &std::path::Path) -> io::Result<Vec<String>> {
    use futures::TryStreamExt;

    let mut names: Vec<String> = fs::read_dir(dir)
        .map_ok(|entry| entry.file_name().to_string_lossy().into_owned())
        .try_collect()
        .await?;
    names.sort();
    Ok(names)
}
