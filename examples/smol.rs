//! Run with: cargo run --example smol
//!
//! On smol nothing needs configuring: the default executor, `Blocking`, is smol's own
//! blocking pool.

use std::io;

use aiofiles::fs;
use futures::TryStreamExt;

fn main() -> io::Result<()> {
    smol::block_on(async {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("greeting.txt");

        fs::write(&path, "hello from smol").await?;
        let text = fs::read_to_string(&path).await?;
        assert_eq!(text, "hello from smol");
        println!("wrote and read {} on smol: {text:?}", path.display());

        // Operations are futures: run several at once.
        let writes = (0..4).map(|i| fs::write(dir.path().join(format!("{i}.txt")), i.to_string()));
        futures::future::try_join_all(writes).await?;

        let mut names: Vec<_> = fs::read_dir(dir.path())
            .map_ok(|entry| entry.file_name())
            .try_collect()
            .await?;
        names.sort();
        assert_eq!(names, ["0.txt", "1.txt", "2.txt", "3.txt", "greeting.txt"]);
        println!("listed {names:?}");
        Ok(())
    })
}
