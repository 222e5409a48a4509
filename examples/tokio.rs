//! Run with: cargo run --example tokio --features tokio
//!
//! On tokio, bind operations to the runtime's blocking pool with `.on(Tokio::current())`.

use std::io;

use aiofiles::{fs, Tokio};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> io::Result<()> {
    let exec = Tokio::current();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("greeting.txt");

    fs::write(&path, "hello from tokio")
        .on(exec.clone())
        .await?;
    let text = fs::read_to_string(&path).on(exec.clone()).await?;
    assert_eq!(text, "hello from tokio");
    println!("wrote and read {} on tokio: {text:?}", path.display());

    // Several operations at once, each on tokio's blocking pool.
    let writes = (0..4)
        .map(|i| fs::write(dir.path().join(format!("{i}.txt")), i.to_string()).on(exec.clone()));
    futures::future::try_join_all(writes).await?;

    // A listing carries its executor: its batches and entries' metadata run there too.
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .on(exec.clone())
        .map_ok(|entry| entry.file_name())
        .try_collect()
        .await?;
    names.sort();
    assert_eq!(names, ["0.txt", "1.txt", "2.txt", "3.txt", "greeting.txt"]);
    println!("listed {names:?}");

    // Any blocking closure, on the same pool: several std calls in one hand-off.
    let root = dir.path().to_owned();
    let total = aiofiles::unblock(move || -> io::Result<u64> {
        let mut total = 0;
        for entry in std::fs::read_dir(root)? {
            total += entry?.metadata()?.len();
        }
        Ok(total)
    })
    .on(exec)
    .await??;
    assert_eq!(total, 16 + 4);
    println!("{total} bytes in all");
    Ok(())
}
