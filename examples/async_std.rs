//! Run with: cargo run --example async_std --features async-std
//!
//! On async-std, bind operations to its blocking pool with `.on(AsyncStd)`.

use std::io;

use aiofiles::{fs, AsyncStd};
use futures::TryStreamExt;

#[async_std::main]
async fn main() -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("greeting.txt");

    fs::write(&path, "hello from async-std")
        .on(AsyncStd)
        .await?;
    let text = fs::read_to_string(&path).on(AsyncStd).await?;
    assert_eq!(text, "hello from async-std");
    println!("wrote and read {} on async-std: {text:?}", path.display());

    fs::create_dir(dir.path().join("sub")).on(AsyncStd).await?;
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .on(AsyncStd)
        .map_ok(|entry| entry.file_name())
        .try_collect()
        .await?;
    names.sort();
    assert_eq!(names, ["greeting.txt", "sub"]);
    println!("listed {names:?}");

    fs::remove_dir_all(dir.path().join("sub"))
        .on(AsyncStd)
        .await?;
    assert!(!fs::try_exists(dir.path().join("sub")).on(AsyncStd).await?);
    println!("removed sub/");
    Ok(())
}
