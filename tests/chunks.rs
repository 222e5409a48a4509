//! Owned-buffer streaming: `File::chunks`, `File::into_chunks` and `File::write_owned`, on
//! `Blocking`, `Inline` and `Linger`, against exact bytes.

mod common;

use std::io::{ErrorKind, SeekFrom, Write};
use std::path::Path;

use aiofiles::{Executor, File, OpenOptions};
use bytes::Bytes;
use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, FutureExt, StreamExt, TryStreamExt};

/// `n` bytes that differ from one offset to the next.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn open_on<E: Executor>(path: &Path, mode: &str, exec: E) -> File<E> {
    aiofiles::open(path, mode).on(exec).await.unwrap()
}

async fn chunks_yield_exact_bytes_in_whole_chunks<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    for size in [1usize, 7, 4096, 1 << 20] {
        for len in [0, 1, size - 1, size, size + 1, 3 * size + 5, 20_000] {
            let path = dir.path().join(format!("f{size}-{len}"));
            let data = pattern(len);
            std::fs::write(&path, &data).unwrap();
            let mut file = open_on(&path, "rb", exec.clone()).await;
            let chunks: Vec<Bytes> = file.chunks(size).try_collect().await.unwrap();
            assert!(
                chunks.concat() == data,
                "size {size}, len {len}: bytes differ"
            );
            assert!(
                chunks.iter().all(|c| !c.is_empty() && c.len() <= size),
                "size {size}, len {len}"
            );
            // Only the last is short: the rest are whole chunks.
            let whole = chunks.iter().rev().skip(1).all(|c| c.len() == size);
            assert!(
                whole,
                "size {size}, len {len}: {:?}",
                &lens(&chunks)[..10.min(chunks.len())]
            );
            assert_eq!(file.stream_position().await.unwrap(), len as u64);
        }
    }
}

async fn concat(chunks: impl futures::Stream<Item = std::io::Result<Bytes>>) -> Vec<u8> {
    let chunks: Vec<Bytes> = chunks.try_collect().await.unwrap();
    chunks.concat()
}

fn lens(chunks: &[Bytes]) -> Vec<usize> {
    chunks.iter().map(Bytes::len).collect()
}

async fn a_dropped_stream_leaves_the_cursor_after_the_last_chunk<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let data = pattern(100_000);
    std::fs::write(&path, &data).unwrap();
    for (skip, size, taken) in [(0usize, 1000usize, 3usize), (10, 4096, 2), (9000, 777, 5)] {
        let mut file = open_on(&path, "rb", exec.clone()).await;
        let mut head = vec![0; skip];
        file.read_exact(&mut head).await.unwrap();
        let mut got = Vec::new();
        {
            let mut chunks = file.chunks(size);
            for _ in 0..taken {
                got.extend_from_slice(&chunks.next().await.unwrap().unwrap());
            }
        }
        assert_eq!(got, data[skip..skip + taken * size]);
        let here = (skip + taken * size) as u64;
        assert_eq!(file.stream_position().await.unwrap(), here);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert!(
            rest == data[here as usize..],
            "skip {skip}, size {size}: rest differs"
        );
    }
}

async fn chunks_see_the_files_own_writes_and_appends<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, pattern(10_000)).unwrap();
    let mut file = open_on(&path, "rb+", exec.clone()).await;
    // A buffered cursor write, then a positional one, then chunks from the start.
    file.write_all(b"cursor").await.unwrap();
    file.write_all_at(100, b"positional").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let all = concat(file.chunks(333)).await;
    let mut expected = pattern(10_000);
    expected[..6].copy_from_slice(b"cursor");
    expected[100..110].copy_from_slice(b"positional");
    assert_eq!(all, expected);

    // The end of the file is never reused: bytes appended since come out of the next chunks.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"appended")
        .unwrap();
    let more = concat(file.chunks(3)).await;
    assert_eq!(more, b"appended");
    let none: Vec<Bytes> = file.chunks(3).try_collect().await.unwrap();
    assert!(none.is_empty());
}

async fn write_owned_keeps_order_with_buffered_writes<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    for buffer in [None, Some(0), Some(10)] {
        let path = dir.path().join(format!("w{buffer:?}"));
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true);
        if let Some(n) = buffer {
            options.buffer_size(n);
        }
        let mut file = options.open(&path).on(exec.clone()).await.unwrap();
        let mut expected = Vec::new();
        for i in 0..20usize {
            let owned = pattern(1000 + i * 977);
            let small = format!("small {i}\n");
            file.write_all(small.as_bytes()).await.unwrap();
            file.write_owned(owned.clone()).await.unwrap();
            expected.extend_from_slice(small.as_bytes());
            expected.extend_from_slice(&owned);
        }
        file.write_owned(Bytes::from_static(b"")).await.unwrap();
        assert_eq!(file.stream_position().await.unwrap(), expected.len() as u64);
        // Read back through the same file: its own writes are seen.
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, expected, "buffer {buffer:?}");
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected, "buffer {buffer:?}");
    }

    // Unbuffered: written when it returns.
    let path = dir.path().join("unbuffered");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .buffer_size(0)
        .open(&path)
        .on(exec.clone())
        .await
        .unwrap();
    file.write_owned(vec![5u8; 70_000]).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), vec![5u8; 70_000]);

    // Appending: at the end, whatever the cursor.
    let path = dir.path().join("append");
    std::fs::write(&path, "start|").unwrap();
    let mut file = open_on(&path, "a+", exec.clone()).await;
    file.seek(SeekFrom::Start(0)).await.unwrap();
    file.write_owned("owned|").await.unwrap();
    file.write_all(b"buffered").await.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"start|owned|buffered");

    // Dropped right after: written all the same.
    let path = dir.path().join("dropped");
    let mut file = open_on(&path, "wb", exec.clone()).await;
    file.write_owned(pattern(3 << 20)).await.unwrap();
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), pattern(3 << 20));

    // Not open for writing: an error at once, naming the path.
    let mut file = open_on(&path, "rb", exec.clone()).await;
    let err = file.write_owned("x").await.unwrap_err();
    assert!(err.to_string().contains("os error 9"), "{err}"); // EBADF, as std's write
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

async fn a_cancelled_chunk_consumes_nothing<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let data = pattern(50_000);
    std::fs::write(&path, &data).unwrap();
    let mut file = open_on(&path, "rb", exec.clone()).await;
    let mut got = Vec::new();
    {
        let mut chunks = file.chunks(4096);
        got.extend_from_slice(&chunks.next().await.unwrap().unwrap());
        // Polled once, then dropped: pending on a pool (nothing consumed), ready at once on
        // `Inline` (a chunk yielded).
        if let Some(item) = chunks.next().now_or_never() {
            got.extend_from_slice(&item.unwrap().unwrap());
        }
        // The next chunk starts right after what was yielded.
        let next = chunks.next().await.unwrap().unwrap();
        assert!(
            next == data[got.len()..got.len() + 4096],
            "next chunk differs"
        );
        got.extend_from_slice(&next);
        // And one more polled and dropped with the stream.
        if let Some(item) = chunks.next().now_or_never() {
            got.extend_from_slice(&item.unwrap().unwrap());
        }
    }
    assert_eq!(file.stream_position().await.unwrap(), got.len() as u64);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    got.extend_from_slice(&rest);
    assert!(
        got == data,
        "{} bytes, not the file's {}",
        got.len(),
        data.len()
    );
}

#[test]
fn a_zero_chunk_size_is_invalid_input() {
    common::run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "abc").unwrap();
        let mut file = aiofiles::open(&path, "rb").await.unwrap();
        let items: Vec<_> = file.chunks(0).collect().await;
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].as_ref().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        // Nothing consumed.
        let mut all = String::new();
        file.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "abc");
    });
}

#[test]
fn into_chunks_is_send_and_static_and_gives_the_file_back() {
    fn body<T: futures::Stream + Send + 'static>(_: &T) {}
    common::run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data = pattern(50_000);
        std::fs::write(&path, &data).unwrap();
        let mut stream = aiofiles::open(&path, "rb")
            .await
            .unwrap()
            .into_chunks(10_000);
        body(&stream);
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first, data[..10_000]);
        // Read ahead, not yielded: back into the file, which reads on from 10,000.
        let mut file = stream.into_inner();
        assert_eq!(file.stream_position().await.unwrap(), 10_000);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, data[10_000..]);
    });
}

on_each_executor!(
    chunks_yield_exact_bytes_in_whole_chunks,
    a_dropped_stream_leaves_the_cursor_after_the_last_chunk,
    chunks_see_the_files_own_writes_and_appends,
    write_owned_keeps_order_with_buffered_writes,
    a_cancelled_chunk_consumes_nothing,
);

/// A `write_owned` made while the previous one is being written goes to the job writing it,
/// which writes it next: the call returns at once. One more waits until that one is taken.
/// The job is held mid-write by a FIFO whose reader waits for the test's word.
#[test]
fn an_owned_write_made_while_one_is_written_is_taken_by_the_running_job() {
    const LEN: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    if !common::mkfifo(
        &fifo,
        "an_owned_write_made_while_one_is_written_is_taken_by_the_running_job",
    ) {
        return;
    }
    let (started, writing) = std::sync::mpsc::channel();
    let (go, went) = std::sync::mpsc::channel::<()>();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut pipe = std::fs::File::open(&fifo).unwrap();
            let mut first = [0; 1];
            std::io::Read::read_exact(&mut pipe, &mut first).unwrap();
            started.send(()).unwrap();
            went.recv().unwrap();
            let mut rest = Vec::new();
            std::io::Read::read_to_end(&mut pipe, &mut rest).unwrap();
            [&first[..], &rest].concat()
        })
    };
    let (a, b, c) = (vec![1u8; LEN], vec![2u8; LEN], vec![3u8; LEN]);
    let expected = [&a[..], &b, &c].concat();
    common::run(move || async move {
        let mut file = aiofiles::open(&fifo, "wb").await.unwrap();
        file.write_owned(a).await.unwrap();
        // The job runs: it wrote a byte, and is blocked on the full pipe.
        writing.recv().unwrap();
        let passed = file.write_owned(b).now_or_never();
        assert!(
            matches!(passed, Some(Ok(()))),
            "handed to the running job at once"
        );
        let mut third = Box::pin(file.write_owned(c));
        assert!(
            futures::poll!(third.as_mut()).is_pending(),
            "one buffer waits in the job at most"
        );
        go.send(()).unwrap();
        third.await.unwrap();
        file.close().await.unwrap();
    });
    assert!(reader.join().unwrap() == expected, "in order");
}
