//! `aiofiles::File`: a port of Python aiofiles' file tests (`tests/threadpool/test_binary.py`
//! and `test_text.py`) run on `Blocking` and on `Inline`, then the Python mode strings,
//! positional I/O from many tasks at once, dropped files (write errors: tests/faults.rs),
//! cancellation through the public API, buffering, std interop and the tokio traits.

mod common;

use std::future::Future;
use std::io::{ErrorKind, SeekFrom};
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aiofiles::{Blocking, Executor, File, Inline, Limit, OpenOptions};
use futures::future::join_all;
use futures::task::noop_waker;
use futures::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, TryStreamExt};

use common::{pattern, poll_once, run, source_of, Counting};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Python's `multiline_file.txt`, longer: `line 1\n` .. `line {n}\n` (1000 lines is 8,893
/// bytes, more than the first 8 KiB read-ahead).
fn multiline(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// The text-mode counterpart, with multi-byte UTF-8 in every line.
fn multiline_text(n: usize) -> String {
    (1..=n).map(|i| format!("línea {i} — ✓\n")).collect()
}

/// How a test opens its file: Python's default buffering, or `buffering=0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Buffering {
    Default,
    Unbuffered,
}

const BUFFERINGS: [Buffering; 2] = [Buffering::Default, Buffering::Unbuffered];

/// Lines in the line-reading tests: past the first 8 KiB read-ahead when buffered; fewer when
/// unbuffered, where every fill is a hand-off of its own.
fn line_count(buffering: Buffering) -> usize {
    match buffering {
        Buffering::Default => 1000,
        Buffering::Unbuffered => 150,
    }
}

/// The `OpenOptions` a Python mode string stands for (`buffer_size` cannot be given to
/// `aiofiles::open`).
fn options_for(mode: &str) -> OpenOptions {
    let plus = mode.contains('+');
    let mut options = OpenOptions::new();
    match mode.chars().find(|c| "rwax".contains(*c)) {
        Some('r') => options.read(true).write(plus),
        Some('w') => options.write(true).create(true).truncate(true).read(plus),
        Some('a') => options.append(true).create(true).read(plus),
        Some('x') => options.write(true).create_new(true).read(plus),
        _ => panic!("not a mode: {mode:?}"),
    };
    options
}

async fn open_as<E: Executor>(path: &Path, mode: &str, buffering: Buffering, exec: &E) -> File<E> {
    let opened = match buffering {
        Buffering::Default => aiofiles::open(path, mode).on(exec.clone()).await,
        Buffering::Unbuffered => {
            options_for(mode)
                .buffer_size(0)
                .open(path)
                .on(exec.clone())
                .await
        }
    };
    opened.unwrap_or_else(|e| panic!("open {} as {mode} ({buffering:?}): {e}", path.display()))
}

/// Python's "append modes need us to seek first".
async fn rewind_if_append<E: Executor>(file: &mut File<E>, mode: &str) {
    if mode.contains('a') {
        assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
    }
}

async fn pos<E: Executor>(file: &mut File<E>) -> u64 {
    file.stream_position().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Python aiofiles' tests/threadpool/test_binary.py and test_text.py, on Blocking, Inline and Linger

on_each_executor!(
    binary_iteration,
    binary_readlines,
    binary_flush,
    binary_peek,
    binary_read,
    binary_staggered_read,
    binary_seek,
    binary_close,
    binary_readinto,
    binary_truncate,
    binary_truncate_sizes,
    binary_write,
    binary_name_and_mode,
    text_iteration,
    text_readlines,
    text_flush,
    text_read,
    text_staggered_read,
    text_seek,
    text_close,
    text_truncate,
    text_write,
    text_name_and_mode,
    mode_r,
    mode_r_plus,
    mode_w,
    mode_w_plus,
    mode_a_writes_land_at_eof_even_after_a_seek,
    mode_a_plus,
    mode_x,
    positional_io_from_32_tasks,
    unbuffered_writes_are_visible_at_once,
    small_writes_then_flush,
    std_interop,
    write_lines_seek_overwrite,
    buf_read_sees_own_writes_and_appends,
);

// ---- binary ----

/// `test_simple_iteration`: `readline()` until empty, then `async for line in file`.
async fn binary_iteration<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multiline_file.txt");
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let count = line_count(buffering);
            let content = multiline(count);
            std::fs::write(&path, &content).unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut counter = 1;
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = file.read_until(b'\n', &mut line).await.unwrap();
                if n == 0 {
                    break;
                }
                assert_eq!(n, line.len(), "{ctx}");
                assert_eq!(
                    String::from_utf8_lossy(&line),
                    format!("line {counter}\n"),
                    "{ctx}"
                );
                counter += 1;
            }
            assert_eq!(counter, count + 1, "{ctx}: lines read");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");

            file.seek(SeekFrom::Start(0)).await.unwrap();
            let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
            let expected: Vec<String> = (1..=count).map(|i| format!("line {i}")).collect();
            assert_eq!(lines, expected, "{ctx}");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_readlines`: every line, newline included, in order.
async fn binary_readlines<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multiline_file.txt");
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let count = line_count(buffering);
            let content = multiline(count);
            std::fs::write(&path, &content).unwrap();
            let expected: Vec<Vec<u8>> = content
                .split_inclusive('\n')
                .map(|l| l.as_bytes().to_vec())
                .collect();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut lines = Vec::new();
            loop {
                let mut line = Vec::new();
                if file.read_until(b'\n', &mut line).await.unwrap() == 0 {
                    break;
                }
                lines.push(line);
            }
            assert_eq!(lines.len(), count, "{ctx}");
            assert!(lines == expected, "{ctx}: lines differ");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_flush`: after `write` and `flush`, another reader sees the bytes.
async fn binary_flush<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    for mode in ["rb+", "wb", "ab"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, b"0").unwrap(); // read and write mode needs the file to exist
            let mut file = open_as(&path, mode, buffering, &exec).await;
            let expected: &[u8] = match mode {
                "ab" => b"01",
                _ => b"1",
            };
            file.write_all(b"1").await.unwrap();
            if buffering == Buffering::Unbuffered {
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    expected,
                    "{ctx}: before flush"
                );
            }
            file.flush().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), expected, "{ctx}");
            file.write_all(b"2").await.unwrap();
            file.flush().await.unwrap();
            let mut expected = expected.to_vec();
            expected.push(b'2');
            assert_eq!(std::fs::read(&path).unwrap(), expected, "{ctx}");
            assert_eq!(pos(&mut file).await, expected.len() as u64, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_peek`: `peek` returns bytes without consuming them.
async fn binary_peek<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    std::fs::write(&path, b"0123456789").unwrap();
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let peeked = file.fill_buf().await.unwrap().to_vec();
            assert!(
                !peeked.is_empty(),
                "{ctx}: peek at 0 of a 10-byte file is empty"
            );
            assert!(b"0123456789".starts_with(&peeked), "{ctx}: {peeked:?}");
            // Peeking again gives the same bytes: nothing was consumed.
            assert_eq!(file.fill_buf().await.unwrap(), &peeked[..], "{ctx}");
            assert_eq!(pos(&mut file).await, 0, "{ctx}");
            let mut one = [0; 1];
            assert_eq!(file.read(&mut one).await.unwrap(), 1, "{ctx}");
            assert_eq!(&one, b"0", "{ctx}");
            assert_eq!(pos(&mut file).await, 1, "{ctx}");
            let peeked = file.fill_buf().await.unwrap().to_vec();
            assert!(!peeked.is_empty(), "{ctx}");
            assert!(b"123456789".starts_with(&peeked), "{ctx}: {peeked:?}");
            file.consume_unpin(1);
            assert_eq!(pos(&mut file).await, 2, "{ctx}");
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b"23456789", "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_read` and `test_simple_readall`: the whole file in one call.
async fn binary_read<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    let content = pattern(1, 100_000);
    std::fs::write(&path, &content).unwrap();
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut all = Vec::new();
            assert_eq!(file.read_to_end(&mut all).await.unwrap(), content.len());
            assert!(all == content, "{ctx}: inherent read_to_end differs");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            assert_eq!(file.read_to_end(&mut all).await.unwrap(), 0, "{ctx}");

            // The same through futures-io (`AsyncReadExt::read_to_end`, many reads).
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut all = Vec::new();
            let n = AsyncReadExt::read_to_end(&mut file, &mut all)
                .await
                .unwrap();
            assert_eq!(n, content.len(), "{ctx}");
            assert!(all == content, "{ctx}: AsyncReadExt::read_to_end differs");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_staggered_read`: `read(1)` until empty yields the file exactly.
async fn binary_staggered_read<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    let content = pattern(2, 10_000);
    std::fs::write(&path, &content).unwrap();
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut actual = Vec::new();
            let mut byte = [0; 1];
            loop {
                match file.read(&mut byte).await.unwrap() {
                    0 => break,
                    1 => actual.push(byte[0]),
                    n => panic!("{ctx}: read(1) returned {n}"),
                }
                if actual.len() > content.len() {
                    break;
                }
            }
            assert_eq!(actual.len(), content.len(), "{ctx}");
            assert!(actual == content, "{ctx}: bytes differ");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_seek`, with every `SeekFrom`.
async fn binary_seek<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    std::fs::write(&path, b"0123456789").unwrap();
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            let mut one = [0; 1];
            assert_eq!(file.seek(SeekFrom::Start(4)).await.unwrap(), 4, "{ctx}");
            file.read_exact(&mut one).await.unwrap();
            assert_eq!(&one, b"4", "{ctx}");
            assert_eq!(file.seek(SeekFrom::Current(2)).await.unwrap(), 7, "{ctx}");
            file.read_exact(&mut one).await.unwrap();
            assert_eq!(&one, b"7", "{ctx}");
            assert_eq!(file.seek(SeekFrom::Current(-6)).await.unwrap(), 2, "{ctx}");
            file.read_exact(&mut one).await.unwrap();
            assert_eq!(&one, b"2", "{ctx}");
            assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 9, "{ctx}");
            file.read_exact(&mut one).await.unwrap();
            assert_eq!(&one, b"9", "{ctx}");
            assert_eq!(file.seek(SeekFrom::End(-10)).await.unwrap(), 0, "{ctx}");
            file.read_exact(&mut one).await.unwrap();
            assert_eq!(&one, b"0", "{ctx}");
            assert_eq!(file.seek(SeekFrom::End(0)).await.unwrap(), 10, "{ctx}");
            assert_eq!(file.read(&mut one).await.unwrap(), 0, "{ctx}: at the end");
            // Past the end: reads are empty, the position is kept.
            assert_eq!(file.seek(SeekFrom::Start(20)).await.unwrap(), 20, "{ctx}");
            assert_eq!(file.read(&mut one).await.unwrap(), 0, "{ctx}");
            assert_eq!(pos(&mut file).await, 20, "{ctx}");
            // Before the start: InvalidInput, the position unchanged.
            let err = file.seek(SeekFrom::Current(-21)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{ctx}: {err}");
            assert_eq!(pos(&mut file).await, 20, "{ctx}");
            let err = file.seek(SeekFrom::End(-11)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{ctx}: {err}");
            assert_eq!(pos(&mut file).await, 20, "{ctx}");
            assert_eq!(file.seek(SeekFrom::Current(-15)).await.unwrap(), 5, "{ctx}");
            let mut rest = Vec::new();
            file.read_to_end(&mut rest).await.unwrap();
            assert_eq!(rest, b"56789", "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_close`: close succeeds and everything written is on disk.
async fn binary_close<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    for mode in ["rb", "rb+", "wb", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, b"0123456789").unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            let expected: &[u8] = match mode {
                "rb" => b"0123456789",
                "rb+" => {
                    file.write_all(b"ab").await.unwrap();
                    b"ab23456789"
                }
                "wb" => {
                    file.write_all(b"ab").await.unwrap();
                    b"ab"
                }
                _ => {
                    file.write_all(b"ab").await.unwrap();
                    b"0123456789ab"
                }
            };
            file.close().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), expected, "{ctx}");
        }
    }
}

/// `test_simple_readinto`: `read` into a caller's buffer.
async fn binary_readinto<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    std::fs::write(&path, b"0123456789").unwrap();
    for mode in ["rb", "rb+", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut array = [0u8; 4];
            assert_eq!(file.read(&mut array).await.unwrap(), 4, "{ctx}");
            assert_eq!(&array, b"0123", "{ctx}");
            let mut six = [0u8; 6];
            file.read_exact(&mut six).await.unwrap();
            assert_eq!(&six, b"456789", "{ctx}");
            assert_eq!(file.read(&mut array).await.unwrap(), 0, "{ctx}");
            assert_eq!(pos(&mut file).await, 10, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_truncate`: `truncate()` at the position after a rewind empties the file.
async fn binary_truncate<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bigfile.bin");
    let content = b"0123456789".repeat(4 * 8192);
    for mode in ["rb+", "wb", "ab+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, &content).unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            file.seek(SeekFrom::Start(0)).await.unwrap();
            if mode.contains('w') {
                // We've just erased the entire file.
                file.write_all(&content).await.unwrap();
                file.flush().await.unwrap();
                assert_eq!(std::fs::read(&path).unwrap().len(), content.len(), "{ctx}");
                file.seek(SeekFrom::Start(0)).await.unwrap();
            }
            assert_eq!(file.truncate(None).await.unwrap(), 0, "{ctx}");
            assert_eq!(pos(&mut file).await, 0, "{ctx}");
            assert_eq!(file.metadata().await.unwrap().len(), 0, "{ctx}");
            file.close().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"", "{ctx}");
        }
    }
}

/// `truncate(Some(n))` and `truncate(None)` away from the start: the new size is returned, the
/// position does not move, and buffered writes land first.
async fn binary_truncate_sizes<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    for mode in ["rb+", "ab+", "wb+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, b"0123456789").unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            if mode.contains('w') {
                file.write_all(b"0123456789").await.unwrap(); // buffered, until truncate
            }
            assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7, "{ctx}");
            assert_eq!(file.truncate(Some(4)).await.unwrap(), 4, "{ctx}");
            assert_eq!(pos(&mut file).await, 7, "{ctx}");
            assert_eq!(std::fs::read(&path).unwrap(), b"0123", "{ctx}");
            // At the position: extends with zeros.
            assert_eq!(file.truncate(None).await.unwrap(), 7, "{ctx}");
            assert_eq!(pos(&mut file).await, 7, "{ctx}");
            assert_eq!(std::fs::read(&path).unwrap(), b"0123\0\0\0", "{ctx}");
            assert_eq!(file.truncate(Some(12)).await.unwrap(), 12, "{ctx}");
            assert_eq!(file.metadata().await.unwrap().len(), 12, "{ctx}");
            assert_eq!(pos(&mut file).await, 7, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_write`: 32,768 bytes in one call, all accepted, all on disk.
async fn binary_write<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(3, 4 * 8192);
    for mode in ["wb", "rb+", "ab", "xb", "wb+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let path = dir.path().join(format!(
                "bigfile-{}-{buffering:?}.bin",
                mode.replace('+', "p")
            ));
            if mode.contains('r') {
                std::fs::write(&path, b"").unwrap(); // read modes want it to already exist
            }
            let mut file = open_as(&path, mode, buffering, &exec).await;
            let bytes_written = file.write(&content).await.unwrap();
            assert_eq!(bytes_written, content.len(), "{ctx}");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            if mode.contains('+') {
                file.seek(SeekFrom::Start(0)).await.unwrap();
                let mut back = Vec::new();
                file.read_to_end(&mut back).await.unwrap();
                assert!(back == content, "{ctx}: read back differs");
            }
            file.close().await.unwrap();
            assert!(std::fs::read(&path).unwrap() == content, "{ctx}: on disk");
        }
    }
}

/// `test_name_property` and `test_mode_property`.
async fn binary_name_and_mode<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.bin");
    std::fs::write(&path, b"0").unwrap();
    for mode in ["rb", "r+b", "rb+", "wb", "ab", "ab+", "br", "+rb", "wb+"] {
        let file = aiofiles::open(&path, mode).on(exec.clone()).await.unwrap();
        assert_eq!(file.path(), Some(path.as_path()), "{mode}");
        assert_eq!(file.mode(), mode);
        file.close().await.unwrap();
    }
    for mode in ["x", "xb", "xb+", "x+"] {
        let fresh = dir.path().join(format!("fresh-{}", mode.replace('+', "p")));
        let file = aiofiles::open(&fresh, mode).on(exec.clone()).await.unwrap();
        assert_eq!(file.path(), Some(fresh.as_path()), "{mode}");
        assert_eq!(file.mode(), mode);
    }
    // Derived from the options, as Python's `FileIO.mode`.
    let file = File::open(&path).on(exec.clone()).await.unwrap();
    assert_eq!(file.mode(), "rb");
    let file = File::create(&path).on(exec.clone()).await.unwrap();
    assert_eq!(file.mode(), "wb");
    let file = options_for("r+")
        .open(&path)
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(file.mode(), "rb+");
    let file = options_for("a").open(&path).on(exec.clone()).await.unwrap();
    assert_eq!(file.mode(), "ab");
    let file = options_for("a+")
        .open(&path)
        .on(exec.clone())
        .await
        .unwrap();
    assert_eq!(file.mode(), "ab+");
    let relative = Path::new("relative/name.bin");
    let err = aiofiles::open(relative, "rb").on(exec).await.unwrap_err();
    assert!(err.to_string().contains("relative/name.bin"), "{err}");
}

// ---- text ----

/// `test_simple_iteration` in text mode: `readline()` until empty, then `async for`.
async fn text_iteration<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multiline_file.txt");
    for mode in ["r", "r+", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let count = line_count(buffering);
            let content = multiline_text(count);
            std::fs::write(&path, &content).unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut counter = 1;
            let mut line = String::new();
            loop {
                line.clear();
                if file.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                assert_eq!(line, format!("línea {counter} — ✓\n"), "{ctx}");
                counter += 1;
            }
            assert_eq!(counter, count + 1, "{ctx}: lines read");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");

            file.seek(SeekFrom::Start(0)).await.unwrap();
            let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
            let expected: Vec<String> = (1..=count).map(|i| format!("línea {i} — ✓")).collect();
            assert_eq!(lines, expected, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_readlines` in text mode.
async fn text_readlines<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multiline_file.txt");
    for mode in ["r", "r+", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let count = line_count(buffering);
            let content = multiline_text(count);
            std::fs::write(&path, &content).unwrap();
            let expected: Vec<&str> = content.split_inclusive('\n').collect();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                if file.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                lines.push(line);
            }
            assert_eq!(lines.len(), count, "{ctx}");
            assert!(lines == expected, "{ctx}: lines differ");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_flush` in text mode.
async fn text_flush<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    for mode in ["r+", "w", "a"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, "0").unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            file.write_all("é".as_bytes()).await.unwrap();
            file.flush().await.unwrap();
            let expected = match mode {
                "r+" => "é", // two bytes over the one there
                "w" => "é",
                _ => "0é",
            };
            assert_eq!(std::fs::read_to_string(&path).unwrap(), expected, "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_read` in text mode: `read()` of the whole file.
async fn text_read<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    let content = multiline_text(3000);
    std::fs::write(&path, &content).unwrap();
    for mode in ["r", "r+", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut actual = String::new();
            assert_eq!(
                file.read_to_string(&mut actual).await.unwrap(),
                content.len(),
                "{ctx}"
            );
            assert!(actual == content, "{ctx}: inherent read_to_string differs");
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");

            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut actual = String::new();
            AsyncReadExt::read_to_string(&mut file, &mut actual)
                .await
                .unwrap();
            assert!(
                actual == content,
                "{ctx}: AsyncReadExt::read_to_string differs"
            );
            assert_eq!(pos(&mut file).await, content.len() as u64, "{ctx}");
            file.close().await.unwrap();
        }
    }
    // Not UTF-8: InvalidData, with the path in the message.
    std::fs::write(&path, b"ok \xff\xfe").unwrap();
    let mut file = aiofiles::open(&path, "r").on(exec).await.unwrap();
    let mut text = String::from("kept");
    let err = file.read_to_string(&mut text).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(text, "kept");
}

/// `test_staggered_read` in text mode: one byte at a time, then decoded.
async fn text_staggered_read<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    let content = multiline_text(600);
    assert!(content.len() > 8192);
    std::fs::write(&path, &content).unwrap();
    for mode in ["r", "r+", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            rewind_if_append(&mut file, mode).await;
            let mut bytes = Vec::new();
            let mut byte = [0; 1];
            while file.read(&mut byte).await.unwrap() == 1 {
                bytes.push(byte[0]);
                if bytes.len() > content.len() {
                    break;
                }
            }
            assert!(
                String::from_utf8(bytes).as_deref() == Ok(content.as_str()),
                "{ctx}: text differs"
            );
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_seek` in text mode.
async fn text_seek<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    std::fs::write(&path, "héllo wörld").unwrap(); // é and ö are two bytes each
    for mode in ["r", "r+", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            let mut file = open_as(&path, mode, buffering, &exec).await;
            assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7, "{ctx}");
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "wörld", "{ctx}");
            assert_eq!(file.seek(SeekFrom::Start(1)).await.unwrap(), 1, "{ctx}");
            let mut e = [0; 2];
            file.read_exact(&mut e).await.unwrap();
            assert_eq!(std::str::from_utf8(&e).unwrap(), "é", "{ctx}");
            assert_eq!(file.seek(SeekFrom::Current(5)).await.unwrap(), 8, "{ctx}");
            assert_eq!(file.seek(SeekFrom::End(-3)).await.unwrap(), 10, "{ctx}");
            let mut text = String::new();
            file.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "rld", "{ctx}");
            file.close().await.unwrap();
        }
    }
}

/// `test_simple_close` in text mode.
async fn text_close<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    for mode in ["w", "r"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, "before").unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            if mode == "w" {
                file.write_all("après".as_bytes()).await.unwrap();
            }
            file.close().await.unwrap();
            let expected = if mode == "w" { "après" } else { "before" };
            assert_eq!(std::fs::read_to_string(&path).unwrap(), expected, "{ctx}");
        }
    }
}

/// `test_simple_truncate` in text mode.
async fn text_truncate<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    let content = multiline_text(2000);
    for mode in ["r+", "w", "a+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, &content).unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            file.seek(SeekFrom::Start(0)).await.unwrap();
            if mode.contains('w') {
                file.write_all(content.as_bytes()).await.unwrap();
                file.flush().await.unwrap();
                file.seek(SeekFrom::Start(0)).await.unwrap();
            }
            assert_eq!(file.truncate(None).await.unwrap(), 0, "{ctx}");
            assert_eq!(pos(&mut file).await, 0, "{ctx}");
            file.close().await.unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "{ctx}");
        }
    }
}

/// `test_simple_write` in text mode.
async fn text_write<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bigfile.txt");
    let content = "0é".repeat(4 * 8192 / 3);
    for mode in ["w", "r+"] {
        for buffering in BUFFERINGS {
            let ctx = format!("mode {mode}, {buffering:?}");
            std::fs::write(&path, "").unwrap();
            let mut file = open_as(&path, mode, buffering, &exec).await;
            let written = file.write(content.as_bytes()).await.unwrap();
            assert_eq!(written, content.len(), "{ctx}");
            file.close().await.unwrap();
            assert!(
                std::fs::read_to_string(&path).unwrap() == content,
                "{ctx}: on disk"
            );
        }
    }
}

/// `test_file_attributes` in text mode: name and mode.
async fn text_name_and_mode<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.txt");
    std::fs::write(&path, "0").unwrap();
    for mode in [
        "r", "rt", "tr", "r+", "r+t", "w", "wt", "w+", "a", "at+", "a+",
    ] {
        let file = aiofiles::open(&path, mode).on(exec.clone()).await.unwrap();
        assert_eq!(file.path(), Some(path.as_path()), "{mode}");
        assert_eq!(file.mode(), mode);
        assert!(!file.is_terminal(), "{mode}");
    }
}

// ---- the modes, one by one ----

async fn read_all<E: Executor>(file: &mut File<E>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).await?;
    Ok(buf)
}

async fn mode_r<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.txt");
    let err = aiofiles::open(&path, "r")
        .on(exec.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!path.exists(), "r must not create");

    std::fs::write(&path, "hello").unwrap();
    let mut file = aiofiles::open(&path, "r").on(exec.clone()).await.unwrap();
    assert_eq!(pos(&mut file).await, 0);
    assert_eq!(read_all(&mut file).await.unwrap(), b"hello");
    // Not writable: the error comes at the latest with the flush, and nothing is written.
    let wrote = file.write_all(b"XX").await;
    let flushed = file.flush().await;
    assert!(
        wrote.is_err() || flushed.is_err(),
        "writing to `r` succeeded"
    );
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
}

async fn mode_r_plus<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.txt");
    let err = aiofiles::open(&path, "r+")
        .on(exec.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!path.exists(), "r+ must not create");

    std::fs::write(&path, "0123456789").unwrap();
    let mut file = aiofiles::open(&path, "r+").on(exec.clone()).await.unwrap();
    assert_eq!(pos(&mut file).await, 0); // no truncation, starts at 0
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(&two, b"01");
    file.write_all(b"ab").await.unwrap(); // at 2, after the read (read-ahead dropped)
    assert_eq!(pos(&mut file).await, 4);
    file.read_exact(&mut two).await.unwrap(); // the write lands first
    assert_eq!(&two, b"45");
    file.seek(SeekFrom::End(0)).await.unwrap();
    file.write_all(b"!").await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    assert_eq!(read_all(&mut file).await.unwrap(), b"01ab456789!");
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"01ab456789!");
}

async fn mode_w<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.txt");
    let mut file = aiofiles::open(&path, "w").on(exec.clone()).await.unwrap();
    assert!(path.exists(), "w creates");
    file.write_all(b"first").await.unwrap();
    file.close().await.unwrap();

    let mut file = aiofiles::open(&path, "w").on(exec.clone()).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"", "w truncates");
    file.write_all(b"2nd").await.unwrap();
    // Not readable.
    file.seek(SeekFrom::Start(0)).await.unwrap();
    assert!(read_all(&mut file).await.is_err(), "reading `w` succeeded");
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"2nd");
}

async fn mode_w_plus<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wp.txt");
    std::fs::write(&path, "old content").unwrap();
    let mut file = aiofiles::open(&path, "w+").on(exec.clone()).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"", "w+ truncates");
    file.write_all(b"new").await.unwrap();
    assert_eq!(
        read_all(&mut file).await.unwrap(),
        b"",
        "at the end after the write"
    );
    file.seek(SeekFrom::Start(0)).await.unwrap();
    assert_eq!(read_all(&mut file).await.unwrap(), b"new");
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
}

async fn mode_a_writes_land_at_eof_even_after_a_seek<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    for buffering in BUFFERINGS {
        let ctx = format!("{buffering:?}");
        std::fs::remove_file(&path).ok();
        let mut file = open_as(&path, "a", buffering, &exec).await;
        assert!(path.exists(), "{ctx}: a creates");
        file.write_all(b"abc").await.unwrap();
        file.close().await.unwrap();

        let mut file = open_as(&path, "a", buffering, &exec).await;
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"abc",
            "{ctx}: a keeps the content"
        );
        assert_eq!(pos(&mut file).await, 3, "{ctx}: a starts at the end");
        assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0, "{ctx}");
        file.write_all(b"def").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdef", "{ctx}");
        assert_eq!(pos(&mut file).await, 6, "{ctx}: at the end after the write");
        // Outside the file's own cursor too: another writer grows the file in between.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"123"))
            .unwrap();
        file.seek(SeekFrom::Start(1)).await.unwrap();
        file.write_all(b"ghi").await.unwrap();
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdef123ghi", "{ctx}");
    }
}

async fn mode_a_plus<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ap.txt");
    for buffering in BUFFERINGS {
        let ctx = format!("{buffering:?}");
        std::fs::write(&path, "0123456789").unwrap();
        let mut file = open_as(&path, "a+", buffering, &exec).await;
        assert_eq!(pos(&mut file).await, 10, "{ctx}: a+ starts at the end");
        assert_eq!(read_all(&mut file).await.unwrap(), b"", "{ctx}");
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut two = [0; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01", "{ctx}");
        assert_eq!(
            pos(&mut file).await,
            2,
            "{ctx}: position after reading 2 bytes"
        );
        assert_eq!(
            read_all(&mut file).await.unwrap(),
            b"23456789",
            "{ctx}: the rest after reading 2 bytes"
        );
        assert_eq!(pos(&mut file).await, 10, "{ctx}");
        file.seek(SeekFrom::Start(3)).await.unwrap();
        file.write_all(b"ab").await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        assert_eq!(read_all(&mut file).await.unwrap(), b"0123456789ab", "{ctx}");
        assert_eq!(pos(&mut file).await, 12, "{ctx}");
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123456789ab", "{ctx}");
    }
}

async fn mode_x<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.txt");
    let mut file = aiofiles::open(&path, "x").on(exec.clone()).await.unwrap();
    file.write_all(b"exclusive").await.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"exclusive");
    for mode in ["x", "x+", "xb", "xt+"] {
        let err = aiofiles::open(&path, mode)
            .on(exec.clone())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{mode}: {err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"exclusive",
        "x must not truncate"
    );

    let path = dir.path().join("xp.txt");
    let mut file = aiofiles::open(&path, "x+").on(exec).await.unwrap();
    file.write_all(b"read back").await.unwrap();
    file.seek(SeekFrom::Start(5)).await.unwrap();
    assert_eq!(read_all(&mut file).await.unwrap(), b"back");
    file.close().await.unwrap();
}

/// Many small writes, line iteration over them, then an overwrite in the middle.
async fn write_lines_seek_overwrite<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    let mut file = aiofiles::open(&path, "w+").on(exec).await.unwrap();
    for i in 0..100_000 {
        file.write_all(format!("line {i}\n").as_bytes())
            .await
            .unwrap();
    }
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
    assert_eq!(lines.len(), 100_000);
    assert!(lines
        .iter()
        .enumerate()
        .all(|(i, l)| *l == format!("line {i}")));
    file.seek(SeekFrom::Start(5)).await.unwrap();
    let mut four = [0u8; 4];
    file.read_exact(&mut four).await.unwrap();
    assert_eq!(&four, b"0\nli");
    assert_eq!(pos(&mut file).await, 9);
    file.write_all(b"XX").await.unwrap();
    assert_eq!(pos(&mut file).await, 11);
    file.seek(SeekFrom::Start(0)).await.unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).await.unwrap();
    assert!(
        text.starts_with("line 0\nliXX 1\nline 2\n"),
        "{:?}",
        &text[..20]
    );
    file.close().await.unwrap();
    assert!(std::fs::read_to_string(&path).unwrap() == text);
}

// ---------------------------------------------------------------------------------------------
// 2. Positional I/O from 32 tasks on one `&File`

async fn positional_io_from_32_tasks<E: Executor>(exec: E) {
    const TASKS: usize = 32;
    const REGION: usize = 4096;
    const PIECES: usize = 4;
    const PIECE: usize = REGION / PIECES;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("positional.bin");
    let original = pattern(10, TASKS * REGION);
    let replacement = pattern(11, TASKS * REGION);
    std::fs::write(&path, &original).unwrap();

    let mut file = aiofiles::open(&path, "r+").on(exec).await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(100)).await.unwrap(), 100);
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    assert_eq!(two, original[100..102]);

    let shared = &file;
    let (original_ref, replacement_ref) = (&original, &replacement);
    let done = join_all((0..TASKS).map(|t| async move {
        let base = t * REGION;
        let got = shared.read_at(base as u64, REGION).await.unwrap();
        assert!(
            got == original_ref[base..base + REGION],
            "task {t}: first read"
        );
        for p in 0..PIECES {
            let start = base + p * PIECE;
            let piece = &replacement_ref[start..start + PIECE];
            if p % 2 == 0 {
                assert_eq!(shared.write_at(start as u64, piece).await.unwrap(), PIECE);
            } else {
                shared.write_all_at(start as u64, piece).await.unwrap();
            }
            let back = shared.read_exact_at(start as u64, PIECE).await.unwrap();
            assert!(back == piece, "task {t}: piece {p} read back");
        }
        let got = shared.read_at(base as u64, REGION).await.unwrap();
        assert!(
            got == replacement_ref[base..base + REGION],
            "task {t}: last read"
        );
        t
    }))
    .await;
    assert_eq!(done, (0..TASKS).collect::<Vec<_>>());

    assert!(std::fs::read(&path).unwrap() == replacement, "file differs");
    assert_eq!(pos(&mut file).await, 102, "the cursor moved");
    // The cursor reads see the positional writes, over what was read ahead before them.
    let mut ahead = vec![0; 2 * REGION];
    file.read_exact(&mut ahead).await.unwrap();
    assert!(
        ahead == replacement[102..102 + 2 * REGION],
        "the read-ahead taken before the positional writes was served"
    );

    // Short only at the end of the file.
    let len = replacement.len() as u64;
    assert_eq!(
        file.read_at(len - 10, 100).await.unwrap(),
        &replacement[replacement.len() - 10..]
    );
    assert_eq!(file.read_at(len + 5, 100).await.unwrap(), b"");
    let err = file.read_exact_at(len - 10, 100).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    // Cursor reads after a seek far away.
    let far = (TASKS - 1) * REGION + 7;
    assert_eq!(
        file.seek(SeekFrom::Start(far as u64)).await.unwrap(),
        far as u64
    );
    let mut four = [0; 4];
    file.read_exact(&mut four).await.unwrap();
    assert_eq!(four, replacement[far..far + 4]);
    file.close().await.unwrap();
}

#[test]
fn positional_io_from_32_tasks_on_a_limit() {
    run(|| positional_io_from_32_tasks(Limit::new(Blocking, 4)));
}

// ---------------------------------------------------------------------------------------------
// 3. Dropped files: their buffered bytes reach the disk

async fn write_and_drop<E: Executor>(path: &Path, content: &[u8], exec: E) {
    let mut file = aiofiles::open(path, "w").on(exec).await.unwrap();
    for chunk in content.chunks(10_000) {
        file.write_all(chunk).await.unwrap();
    }
    // No flush, no close.
    drop(file);
}

#[test]
fn three_hundred_dropped_files_reach_the_disk() {
    run(|| async {
        const FILES: usize = 300;
        const SIZE: usize = 100_000;
        let dir = tempfile::tempdir().unwrap();
        let limit = Limit::new(Blocking, 2);
        let paths: Vec<_> = (0..FILES)
            .map(|i| dir.path().join(format!("dropped-{i}.bin")))
            .collect();
        for batch in (0..FILES).collect::<Vec<_>>().chunks(30) {
            join_all(batch.iter().map(|&i| {
                let (path, limit) = (&paths[i], limit.clone());
                async move {
                    let content = pattern(1000 + i as u64, SIZE);
                    match i % 3 {
                        0 => write_and_drop(path, &content, Blocking).await,
                        1 => write_and_drop(path, &content, limit).await,
                        _ => write_and_drop(path, &content, Inline).await,
                    }
                }
            }))
            .await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for (i, path) in paths.iter().enumerate() {
            let expected = pattern(1000 + i as u64, SIZE);
            loop {
                let on_disk = std::fs::read(path).unwrap();
                if on_disk == expected {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "file {i}: {} of {SIZE} bytes on disk after 10 s (or wrong bytes)",
                    on_disk.len()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 4. Write errors: `/dev/full`, in tests/faults.rs (`enospc::*::dev_full`)

// ---------------------------------------------------------------------------------------------
// 5. Mode strings

#[test]
fn invalid_modes_are_invalid_input_before_any_hop() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("never.txt");
        let counting = Counting::new(Inline);
        let invalid = [
            "", "rw", "z", "rr", "b", "+", "r++", "rbt", "wa", "rb+x", "t", "U", "r ", "ab+b",
            "rU", "w+b+", "bt", "xa", "R", "W", " r", "r\0", "rb+t", "aa",
        ];
        for mode in invalid {
            let err = aiofiles::open(&path, mode)
                .on(counting.clone())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{mode:?}: {err}");
            assert!(err.to_string().contains(mode), "{mode:?}: {err}");
            assert!(!path.exists(), "{mode:?} created the file");
        }
        assert_eq!(counting.hops(), 0, "an invalid mode was handed off");
        // On the default executor too.
        let err = aiofiles::open(&path, "rw").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("rw"), "{err}");
    });
}

#[test]
fn valid_modes_open_with_std_semantics() {
    run(|| async {
        // mode, readable, writable, truncates, appends (starts at the end), creates, exclusive
        type Row = (&'static str, bool, bool, bool, bool, bool, bool);
        let rows: [Row; 14] = [
            ("r", true, false, false, false, false, false),
            ("rb", true, false, false, false, false, false),
            ("br", true, false, false, false, false, false),
            ("rt", true, false, false, false, false, false),
            ("r+b", true, true, false, false, false, false),
            ("rb+", true, true, false, false, false, false),
            ("+r", true, true, false, false, false, false),
            ("wt", false, true, true, false, true, false),
            ("w+", true, true, true, false, true, false),
            ("a+", true, true, false, true, true, false),
            ("ab+", true, true, false, true, true, false),
            ("ab", false, true, false, true, true, false),
            ("x", false, true, false, false, true, true),
            ("xb+", true, true, false, false, true, true),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (i, (mode, read, write, truncates, appends, creates, exclusive)) in
            rows.into_iter().enumerate()
        {
            let path = dir.path().join(format!("valid-{i}"));
            // A missing file.
            let opened = aiofiles::open(&path, mode).await;
            assert_eq!(opened.is_ok(), creates, "{mode}: open of a missing file");
            if let Ok(file) = opened {
                assert_eq!(file.mode(), mode);
                file.close().await.unwrap();
                assert!(path.exists(), "{mode}");
            }
            // An existing file.
            std::fs::write(&path, "abc").unwrap();
            let opened = aiofiles::open(&path, mode).await;
            if exclusive {
                let err = opened.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{mode}: {err}");
                continue;
            }
            let mut file = opened.unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert_eq!(file.mode(), mode);
            let expected_len = if truncates { 0 } else { 3 };
            assert_eq!(std::fs::read(&path).unwrap().len(), expected_len, "{mode}");
            let start = if appends { 3 } else { 0 };
            assert_eq!(pos(&mut file).await, start, "{mode}: start position");
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let got = read_all(&mut file).await;
            if read {
                let expected: &[u8] = if truncates { b"" } else { b"abc" };
                assert_eq!(got.unwrap(), expected, "{mode}");
            } else {
                assert!(got.is_err(), "{mode}: read from a write-only file");
            }
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let wrote = file.write_all(b"Z").await;
            let flushed = file.flush().await;
            drop(file);
            let on_disk = std::fs::read(&path).unwrap();
            if write {
                wrote.unwrap();
                flushed.unwrap();
                let expected: &[u8] = match (truncates, appends) {
                    (true, _) => b"Z",
                    (false, true) => b"abcZ",
                    (false, false) => b"Zbc",
                };
                assert_eq!(on_disk, expected, "{mode}");
            } else {
                assert!(
                    wrote.is_err() || flushed.is_err(),
                    "{mode}: write to read-only"
                );
                assert_eq!(on_disk, b"abc", "{mode}");
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 6. Missing files

#[test]
fn missing_file_is_not_found_with_the_path() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.txt");
        let in_missing_dir = dir.path().join("no-such-dir").join("new.txt");
        let shown = missing.display().to_string();
        for mode in ["r", "rb", "r+"] {
            let err = aiofiles::open(&missing, mode).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{mode}: {err}");
            assert!(err.to_string().contains(&shown), "{mode}: {err}");
            assert_eq!(source_of(&err).kind(), ErrorKind::NotFound);
            #[cfg(target_os = "linux")]
            assert_eq!(source_of(&err).raw_os_error(), Some(common::ENOENT));
        }
        let err = File::open(&missing).on(Inline).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains(&shown), "{err}");
        let std_err = std::fs::File::open(&missing).unwrap_err();
        assert!(
            err.to_string().contains(&std_err.to_string()),
            "{err} / {std_err}"
        );

        for mode in ["w", "a", "x+"] {
            let err = aiofiles::open(&in_missing_dir, mode).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound, "{mode}: {err}");
            let shown = in_missing_dir.display().to_string();
            assert!(err.to_string().contains(&shown), "{mode}: {err}");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 7. Cancellation through the public API

#[test]
fn dropped_read_consumes_nothing() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cancel.bin");
        let content = pattern(20, 200_000);
        std::fs::write(&path, &content).unwrap();
        for attempt in 0..10 {
            let mut file = aiofiles::open(&path, "r").await.unwrap();
            file.seek(SeekFrom::Start(1000)).await.unwrap();
            let mut buf = [0u8; 100];
            let consumed = {
                let mut read = file.read(&mut buf);
                match poll_once(&mut read) {
                    Poll::Pending => 0,
                    Poll::Ready(n) => n.unwrap(),
                }
            };
            if consumed > 0 {
                assert!(
                    buf[..consumed] == content[1000..1000 + consumed],
                    "{attempt}"
                );
            }
            let at = 1000 + consumed;
            assert_eq!(pos(&mut file).await, at as u64, "attempt {attempt}");
            if attempt % 2 == 0 {
                // The inherent read_to_end (one hand-off).
                let rest = read_all(&mut file).await.unwrap();
                assert!(rest == content[at..], "attempt {attempt}: rest differs");
            } else {
                // Buffered reads.
                let mut fifty = [0u8; 50];
                file.read_exact(&mut fifty).await.unwrap();
                assert!(fifty == content[at..at + 50], "attempt {attempt}");
                let mut rest = Vec::new();
                AsyncReadExt::read_to_end(&mut file, &mut rest)
                    .await
                    .unwrap();
                assert!(
                    rest == content[at + 50..],
                    "attempt {attempt}: rest differs"
                );
            }
        }
    });
}

#[test]
fn dropped_read_to_end_consumes_nothing() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cancel.bin");
        let content = pattern(21, 300_000);
        std::fs::write(&path, &content).unwrap();
        for attempt in 0..6 {
            let mut file = aiofiles::open(&path, "rb").await.unwrap();
            let mut head = [0u8; 10];
            file.read_exact(&mut head).await.unwrap(); // some read-ahead buffered
            let mut out = Vec::new();
            let finished = {
                let mut fut = pin!(file.read_to_end(&mut out));
                match fut.as_mut().poll(&mut Context::from_waker(&noop_waker())) {
                    Poll::Pending => None,
                    Poll::Ready(n) => Some(n.unwrap()),
                }
            };
            match finished {
                None => {
                    assert!(out.is_empty(), "attempt {attempt}: buf touched");
                    assert_eq!(pos(&mut file).await, 10, "attempt {attempt}");
                    if attempt % 2 == 0 {
                        let rest = read_all(&mut file).await.unwrap();
                        assert!(rest == content[10..], "attempt {attempt}: rest differs");
                    } else {
                        let mut rest = Vec::new();
                        AsyncReadExt::read_to_end(&mut file, &mut rest)
                            .await
                            .unwrap();
                        assert!(rest == content[10..], "attempt {attempt}: rest differs");
                    }
                }
                Some(n) => {
                    assert_eq!(n, content.len() - 10);
                    assert!(out == content[10..]);
                }
            }
        }
    });
}

#[test]
fn dropped_seek_happened_or_not_and_stream_position_says_which() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cancel.bin");
        let content = pattern(22, 50_000);
        std::fs::write(&path, &content).unwrap();
        let len = content.len() as u64;
        for attempt in 0..10 {
            let mut file = aiofiles::open(&path, "r").await.unwrap();
            file.seek(SeekFrom::Start(1000)).await.unwrap();
            // SeekFrom::End needs a hand-off (the size must be asked).
            let ready = {
                let mut seek = file.seek(SeekFrom::End(-3));
                match poll_once(&mut seek) {
                    Poll::Pending => None,
                    Poll::Ready(p) => Some(p.unwrap()),
                }
            };
            let now = pos(&mut file).await;
            match ready {
                Some(p) => assert_eq!((p, now), (len - 3, len - 3), "attempt {attempt}"),
                None => assert!(now == 1000 || now == len - 3, "attempt {attempt}: at {now}"),
            }
            let rest = read_all(&mut file).await.unwrap();
            assert!(
                rest == content[now as usize..],
                "attempt {attempt}: rest differs"
            );
        }

        // With buffered writes, even a seek to a known place is a hand-off.
        for attempt in 0..10 {
            let mut file = aiofiles::open(&path, "w+").await.unwrap();
            let data = pattern(23 + attempt, 1000);
            file.write_all(&data).await.unwrap();
            let ready = {
                let mut seek = file.seek(SeekFrom::Start(10));
                match poll_once(&mut seek) {
                    Poll::Pending => None,
                    Poll::Ready(p) => Some(p.unwrap()),
                }
            };
            let now = pos(&mut file).await;
            match ready {
                Some(p) => assert_eq!((p, now), (10, 10), "attempt {attempt}"),
                None => assert!(now == 1000 || now == 10, "attempt {attempt}: at {now}"),
            }
            let rest = read_all(&mut file).await.unwrap();
            assert!(
                rest == data[now as usize..],
                "attempt {attempt}: rest differs"
            );
            file.close().await.unwrap();
            assert!(
                std::fs::read(&path).unwrap() == data,
                "attempt {attempt}: on disk"
            );
        }
    });
}

#[test]
fn dropped_unbuffered_write_is_whole() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cancel.bin");
        for attempt in 0..10 {
            let data = pattern(40 + attempt, 5000);
            let mut file = options_for("w+").buffer_size(0).open(&path).await.unwrap();
            file.write_all(b"head").await.unwrap();
            let accepted = {
                let mut write = file.write(&data);
                match poll_once(&mut write) {
                    // Documented: the whole write was handed over.
                    Poll::Pending => data.len(),
                    Poll::Ready(n) => n.unwrap(),
                }
            };
            file.flush().await.unwrap();
            let mut expected = b"head".to_vec();
            expected.extend_from_slice(&data[..accepted]);
            assert!(
                std::fs::read(&path).unwrap() == expected,
                "attempt {attempt}"
            );
            assert_eq!(
                pos(&mut file).await,
                expected.len() as u64,
                "attempt {attempt}"
            );
            file.write_all(b"tail").await.unwrap();
            expected.extend_from_slice(b"tail");
            file.close().await.unwrap();
            assert!(
                std::fs::read(&path).unwrap() == expected,
                "attempt {attempt}"
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 8. Buffering

async fn unbuffered_writes_are_visible_at_once<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unbuffered.bin");
    let mut file = options_for("w")
        .buffer_size(0)
        .open(&path)
        .on(exec)
        .await
        .unwrap();
    let mut expected = Vec::new();
    for i in 0..200u64 {
        let piece = pattern(i, (i as usize * 37) % 300 + 1);
        file.write_all(&piece).await.unwrap();
        expected.extend_from_slice(&piece);
        assert!(
            std::fs::read(&path).unwrap() == expected,
            "write {i} not visible"
        );
    }
    // A large write too (bigger than any buffer).
    let big = pattern(999, 3 << 20);
    file.write_all(&big).await.unwrap();
    expected.extend_from_slice(&big);
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "large write not visible"
    );
    assert_eq!(pos(&mut file).await, expected.len() as u64);
    file.close().await.unwrap();
}

async fn small_writes_then_flush<E: Executor>(exec: E) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.txt");
    let mut file = aiofiles::open(&path, "w").on(exec).await.unwrap();
    let mut expected = Vec::with_capacity(1_600_000);
    for i in 0..100_000u32 {
        let record = format!("{i:015}\n");
        assert_eq!(record.len(), 16);
        file.write_all(record.as_bytes()).await.unwrap();
        expected.extend_from_slice(record.as_bytes());
    }
    // What reached the disk so far is a prefix, in order.
    let early = std::fs::read(&path).unwrap();
    assert!(
        expected.starts_with(&early),
        "on disk before flush: not a prefix"
    );
    assert_eq!(pos(&mut file).await, 1_600_000);
    file.flush().await.unwrap();
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "content after flush"
    );
    assert_eq!(file.metadata().await.unwrap().len(), 1_600_000);
    file.close().await.unwrap();
    assert!(
        std::fs::read(&path).unwrap() == expected,
        "content after close"
    );
}

#[test]
fn fixed_buffer_sizes() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fixed.bin");
        let content = pattern(50, 50_000);
        std::fs::write(&path, &content).unwrap();
        for size in [1, 7, 4096, 1 << 20] {
            let mut file = options_for("r+")
                .buffer_size(size)
                .open(&path)
                .await
                .unwrap();
            let lines: Vec<Vec<u8>> = {
                let mut lines = Vec::new();
                loop {
                    let mut line = Vec::new();
                    if file.read_until(0, &mut line).await.unwrap() == 0 {
                        break;
                    }
                    lines.push(line);
                }
                lines
            };
            assert!(lines.concat() == content, "buffer {size}: read differs");
            file.seek(SeekFrom::Start(3)).await.unwrap();
            file.write_all(b"xyz").await.unwrap();
            file.seek(SeekFrom::Start(0)).await.unwrap();
            let mut six = [0; 6];
            file.read_exact(&mut six).await.unwrap();
            assert_eq!(six[..3], content[..3], "buffer {size}");
            assert_eq!(&six[3..], b"xyz", "buffer {size}");
            file.close().await.unwrap();
            std::fs::write(&path, &content).unwrap();
        }
    });
}

/// Hand-offs to read the file at `path` to its end, opened for reading with `buffer` (`None`:
/// the default), in reads of `piece` bytes, counting the open; the bytes must be the file's.
async fn hops_to_read(path: &Path, buffer: Option<usize>, piece: usize) -> usize {
    let counting = Counting::new(Inline);
    let mut options = aiofiles::OpenOptions::new();
    options.read(true);
    if let Some(n) = buffer {
        options.buffer_size(n);
    }
    let mut file = options.open(path).on(counting.clone()).await.unwrap();
    let mut all = Vec::new();
    let mut buf = vec![0; piece];
    loop {
        let n = file.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    assert!(all == std::fs::read(path).unwrap(), "read differs");
    counting.hops()
}

#[test]
fn a_fixed_buffer_bounds_read_ahead() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bounded.bin");
        std::fs::write(&path, pattern(51, 256 * 1024)).unwrap();
        // A 4 KiB buffer never holds more than 8 KiB of read-ahead, however long reads stay
        // sequential: the open (which reads the first 4 KiB), one read of 4 KiB, then a
        // reading job that reads 2 KiB chunks, two per hand-off (a caller slower than the job
        // restarts it once there is room for two), 62 in all, and one that finds the end.
        assert_eq!(hops_to_read(&path, Some(4096), 100).await, 65);
        assert_eq!(hops_to_read(&path, Some(4096), 4096).await, 65);
        // The default grows its chunks (32, 128, 512 KiB, ...) as the caller takes them, and
        // keeps three ahead: the open, one read, then the reading job twice (the executor is
        // inline, so it reads until three chunks wait): three 32 KiB chunks, then, once two
        // were taken, a 512 KiB one, which finds the end.
        assert_eq!(hops_to_read(&path, None, 100).await, 4);
    });
}

// ---------------------------------------------------------------------------------------------
// 9. std interop: into_std, try_clone, from_std; truncate after writes; the rest

async fn std_interop<E: Executor>(exec: E) {
    use std::io::{Read, Seek};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interop.txt");
    std::fs::write(&path, "hello world").unwrap();

    // into_std after reading a few bytes (read-ahead took the whole file).
    let mut file = aiofiles::open(&path, "r").on(exec.clone()).await.unwrap();
    let mut three = [0; 3];
    file.read_exact(&mut three).await.unwrap();
    assert_eq!(&three, b"hel");
    let mut std_file = file.into_std().await.unwrap();
    assert_eq!(std_file.stream_position().unwrap(), 3);
    let mut rest = String::new();
    std_file.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "lo world");

    // into_std after buffered writes: written, cursor after them.
    let other = dir.path().join("into_std_writes.txt");
    let mut file = aiofiles::open(&other, "w+").on(exec.clone()).await.unwrap();
    file.write_all(b"buffered").await.unwrap();
    let mut std_file = file.into_std().await.unwrap();
    assert_eq!(std_file.stream_position().unwrap(), 8);
    assert_eq!(std::fs::read(&other).unwrap(), b"buffered");
    std::io::Write::write_all(&mut std_file, b"!").unwrap();
    assert_eq!(std::fs::read(&other).unwrap(), b"buffered!");

    // try_clone: the clone starts at the same position; each keeps its own.
    let mut file = aiofiles::open(&path, "r+").on(exec.clone()).await.unwrap();
    let mut four = [0; 4];
    file.read_exact(&mut four).await.unwrap();
    let mut clone = file.try_clone().await.unwrap();
    assert_eq!(clone.path(), Some(path.as_path()));
    assert_eq!(clone.mode(), "r+");
    assert_eq!(pos(&mut clone).await, 4);
    clone.read_exact(&mut four).await.unwrap();
    assert_eq!(&four, b"o wo");
    file.read_exact(&mut four).await.unwrap();
    assert_eq!(&four, b"o wo");
    assert_eq!(pos(&mut clone).await, 8);
    assert_eq!(pos(&mut file).await, 8);
    clone.seek(SeekFrom::Start(0)).await.unwrap();
    clone.write_all(b"J").await.unwrap();
    clone.close().await.unwrap();
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"rld");
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"Jello world");

    // try_clone with buffered writes: written first, the clone at the end of them.
    let other = dir.path().join("clone_writes.txt");
    let mut file = aiofiles::open(&other, "w+").on(exec.clone()).await.unwrap();
    file.write_all(b"abc").await.unwrap();
    let mut clone = file.try_clone().await.unwrap();
    assert_eq!(std::fs::read(&other).unwrap(), b"abc");
    assert_eq!(pos(&mut clone).await, 3);
    clone.write_all(b"def").await.unwrap();
    clone.close().await.unwrap();
    file.seek(SeekFrom::Start(0)).await.unwrap();
    assert_eq!(read_all(&mut file).await.unwrap(), b"abcdef");
    file.close().await.unwrap();

    // from_std at offset 6 reads from 6; the mode comes from the descriptor.
    std::fs::write(&path, "hello world").unwrap();
    let mut std_file = std::fs::File::open(&path).unwrap();
    std_file.seek(SeekFrom::Start(6)).unwrap();
    let mut file = File::from_std(std_file, exec.clone());
    assert_eq!(file.path(), None);
    assert_eq!(file.mode(), "rb");
    assert_eq!(pos(&mut file).await, 6);
    let mut rest = String::new();
    file.read_to_string(&mut rest).await.unwrap();
    assert_eq!(rest, "world");

    let mut std_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    std_file.seek(SeekFrom::Start(6)).unwrap();
    let mut file = File::from_std(std_file, exec.clone());
    assert_eq!(file.mode(), "rb+");
    file.write_all(b"W").await.unwrap();
    assert_eq!(pos(&mut file).await, 7);
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello World");

    let std_file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let mut file = File::from_std(std_file, exec.clone());
    assert_eq!(file.mode(), "ab");
    file.write_all(b"!").await.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello World!");

    // truncate(None) after writes: the writes land first, the position stays.
    let mut file = aiofiles::open(&path, "w").on(exec.clone()).await.unwrap();
    file.write_all(b"hello world").await.unwrap();
    assert_eq!(file.truncate(None).await.unwrap(), 11);
    assert_eq!(std::fs::read(&path).unwrap(), b"hello world");
    file.seek(SeekFrom::Start(5)).await.unwrap();
    assert_eq!(file.truncate(None).await.unwrap(), 5);
    assert_eq!(pos(&mut file).await, 5);
    assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    file.write_all(b"!").await.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"hello!");

    // The rest of the inherent methods.
    let mut file = aiofiles::open(&path, "r+").on(exec.clone()).await.unwrap();
    assert!(!file.is_terminal());
    assert_eq!(file.metadata().await.unwrap().len(), 6);
    file.write_all(b"HELLO").await.unwrap();
    file.sync_data().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"HELLO!");
    file.write_all(b"?").await.unwrap();
    file.sync_all().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"HELLO?");
    file.set_len(2).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"HE");
    assert_eq!(pos(&mut file).await, 6);
    let mut perms = file.metadata().await.unwrap().permissions();
    perms.set_readonly(true);
    file.set_permissions(perms).await.unwrap();
    assert!(std::fs::metadata(&path).unwrap().permissions().readonly());
    file.close().await.unwrap();
}

#[test]
fn executor_is_kept() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exec.txt");
        let file = aiofiles::open(&path, "w").await.unwrap();
        assert_eq!(*file.executor(), Blocking);
        let file = aiofiles::open(&path, "w").on(Inline).await.unwrap();
        assert_eq!(*file.executor(), Inline);
        let limit = Limit::new(Blocking, 3);
        let mut file = aiofiles::open(&path, "w+").on(limit).await.unwrap();
        assert_eq!(file.executor().max(), 3);
        let clone = file.try_clone().await.unwrap();
        assert_eq!(clone.executor().max(), 3);
        let counting = Counting::new(Inline);
        let mut file = aiofiles::open(&path, "w+")
            .on(counting.clone())
            .await
            .unwrap();
        file.write_all(b"x").await.unwrap();
        file.close().await.unwrap();
        assert!(counting.hops() >= 2, "open and close on it");
    });
}

// ---------------------------------------------------------------------------------------------
// Focused regressions

/// Through `AsyncBufRead` (`fill_buf`, `read_line`, `lines`), buffered and unbuffered: the
/// File's own positional writes over buffered lines are seen, and so are lines another handle
/// appends after the end was reached (`tail -f` through `lines()`).
async fn buf_read_sees_own_writes_and_appends<E: Executor>(exec: E) {
    use std::io::Write as _;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.txt");
    for buffering in BUFFERINGS {
        std::fs::write(&path, multiline(1000)).unwrap();
        let mut file = open_as(&path, "r+", buffering, &exec).await;
        let mut line = String::new();
        file.read_line(&mut line).await.unwrap();
        assert_eq!(line, "line 1\n");
        // Lines 2 and 3 are buffered now (when buffered): overwrite them.
        file.write_all_at(7, b"LINE 2\nLINE 3").await.unwrap();
        assert_eq!(
            file.fill_buf().await.unwrap()[..7],
            *b"LINE 2\n",
            "{buffering:?}: fill_buf"
        );
        line.clear();
        file.read_line(&mut line).await.unwrap();
        assert_eq!(line, "LINE 2\n", "{buffering:?}: read_line");
        let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
        assert_eq!(lines.len(), 998, "{buffering:?}");
        assert_eq!(lines[0], "LINE 3", "{buffering:?}: lines");
        assert_eq!(lines[997], "line 1000", "{buffering:?}");

        // At the end: another handle appends lines, five times.
        let mut other = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        for round in 0..5 {
            let more: String = (0..round * 300 + 1)
                .map(|i| format!("round {round} line {i}\n"))
                .collect();
            other.write_all(more.as_bytes()).unwrap();
            let lines: Vec<String> = (&mut file).lines().try_collect().await.unwrap();
            let expected: Vec<String> = more.lines().map(str::to_owned).collect();
            assert!(
                lines == expected,
                "{buffering:?}, round {round}: {} lines of {}",
                lines.len(),
                expected.len()
            );
        }
        file.close().await.unwrap();
    }
}

/// A `try_clone`'s write lands where the clone is, also while the original reads ahead in the
/// background on the same descriptor (the two share the OS cursor): 300 rounds on the pool.
#[test]
fn clone_write_lands_at_its_position_while_the_original_reads_ahead() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.bin");
        let mut misplaced = Vec::new();
        for _ in 0..300 {
            std::fs::write(&path, vec![0u8; 32 * 1024]).unwrap();
            let mut file = aiofiles::open(&path, "rb+").await.unwrap();
            let mut one = [0; 1];
            file.read_exact(&mut one).await.unwrap();
            let mut clone = file.try_clone().await.unwrap();
            // Past the head read at the open: sequential, the next chunk is read ahead.
            let mut more = vec![0; 9000];
            file.read_exact(&mut more).await.unwrap();
            clone.seek(SeekFrom::Start(200)).await.unwrap();
            clone.write_all(&[8; 50]).await.unwrap();
            clone.flush().await.unwrap();
            let disk = std::fs::read(&path).unwrap();
            let at = disk.iter().position(|&b| b == 8);
            if at != Some(200) || disk[200..250] != [8; 50] {
                misplaced.push(at);
            }
            clone.close().await.unwrap();
            file.close().await.unwrap();
        }
        assert!(
            misplaced.is_empty(),
            "in {} rounds of 300 the clone's write landed elsewhere, at {misplaced:?}",
            misplaced.len()
        );
    });
}

/// `a+`: reading after a seek must not move the position to the OS cursor.
#[test]
fn append_plus_read_keeps_the_logical_position() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ap.txt");
        std::fs::write(&path, "0123456789").unwrap();
        let mut file = aiofiles::open(&path, "a+").await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut two = [0; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"01");
        assert_eq!(pos(&mut file).await, 2);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"23456789");
    });
}

/// `a+`: the inherent `read_to_end` from the start leaves the position at the end, not past it.
#[test]
fn append_plus_read_to_end_position() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ap.txt");
        std::fs::write(&path, "hello").unwrap();
        let mut file = aiofiles::open(&path, "a+").await.unwrap();
        file.seek(SeekFrom::Start(0)).await.unwrap();
        let mut all = Vec::new();
        file.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"hello");
        assert_eq!(pos(&mut file).await, 5);
        assert_eq!(file.truncate(None).await.unwrap(), 5);
        file.close().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    });
}

/// `buffer_size(0)`: `fill_buf` (and so `read_line`, `lines`) must not report the end of the
/// file at the start of a non-empty one.
#[test]
fn unbuffered_fill_buf_is_not_eof() {
    run(|| async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.txt");
        std::fs::write(&path, "a\nb\n").unwrap();
        let mut file = options_for("r").buffer_size(0).open(&path).await.unwrap();
        assert!(
            !file.fill_buf().await.unwrap().is_empty(),
            "fill_buf says EOF"
        );
        let mut line = String::new();
        file.read_line(&mut line).await.unwrap();
        assert_eq!(line, "a\n");
        let lines: Vec<String> = file.lines().try_collect().await.unwrap();
        assert_eq!(lines, ["b"]);
    });
}

// ---------------------------------------------------------------------------------------------
// 10. The tokio traits, on the tokio executor

#[cfg(feature = "tokio")]
mod tokio_traits {
    //! Through tokio's four traits only. The crate's tokio dev-dependency has no `io-util`
    //! feature, so tokio's `*Ext` traits are not there: the few helpers below call the trait
    //! methods the way those extension traits do.

    use std::future::poll_fn;
    use std::io::{self, SeekFrom};
    use std::pin::Pin;
    use std::task::{ready, Poll};

    use aiofiles::Tokio;
    use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

    async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, data)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            data = &data[n..];
        }
        Ok(())
    }

    async fn flush<W: AsyncWrite + Unpin>(w: &mut W) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx)).await
    }

    async fn shutdown<W: AsyncWrite + Unpin>(w: &mut W) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *w).poll_shutdown(cx)).await
    }

    async fn seek<S: AsyncSeek + Unpin>(s: &mut S, to: SeekFrom) -> io::Result<u64> {
        Pin::new(&mut *s).start_seek(to)?;
        poll_fn(|cx| Pin::new(&mut *s).poll_complete(cx)).await
    }

    async fn read<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            let mut read_buf = ReadBuf::new(buf);
            ready!(Pin::new(&mut *r).poll_read(cx, &mut read_buf))?;
            Poll::Ready(Ok(read_buf.filled().len()))
        })
        .await
    }

    async fn read_exact<R: AsyncRead + Unpin>(r: &mut R, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = read(r, buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunk = vec![0; 10_000];
        loop {
            match read(r, &mut chunk).await? {
                0 => return Ok(out),
                n => out.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// A line with its `\n` (through `poll_fill_buf` and `consume`); empty at the end.
    async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<String> {
        let mut line = Vec::new();
        loop {
            let (used, done) = poll_fn(|cx| {
                let available = ready!(Pin::new(&mut *r).poll_fill_buf(cx))?;
                Poll::Ready(io::Result::Ok(
                    match available.iter().position(|&b| b == b'\n') {
                        Some(i) => {
                            line.extend_from_slice(&available[..=i]);
                            (i + 1, true)
                        }
                        None => {
                            line.extend_from_slice(available);
                            (available.len(), available.is_empty())
                        }
                    },
                ))
            })
            .await?;
            Pin::new(&mut *r).consume(used);
            if done {
                return String::from_utf8(line).map_err(|_| io::ErrorKind::InvalidData.into());
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn write_seek_read_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokio.txt");
        let mut file = aiofiles::open(&path, "w+")
            .on(Tokio::current())
            .await
            .unwrap();
        for i in 0..5000 {
            write_all(&mut file, format!("line {i}\n").as_bytes())
                .await
                .unwrap();
        }
        flush(&mut file).await.unwrap();
        let expected: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);

        assert_eq!(seek(&mut file, SeekFrom::Start(0)).await.unwrap(), 0);
        let mut n = 0;
        loop {
            let line = read_line(&mut file).await.unwrap();
            if line.is_empty() {
                break;
            }
            assert_eq!(line, format!("line {n}\n"));
            n += 1;
        }
        assert_eq!(n, 5000);
        let end = expected.len() as u64;
        assert_eq!(seek(&mut file, SeekFrom::Current(0)).await.unwrap(), end);

        assert_eq!(seek(&mut file, SeekFrom::End(-10)).await.unwrap(), end - 10);
        let tail = read_to_end(&mut file).await.unwrap();
        assert_eq!(tail, &expected.as_bytes()[expected.len() - 10..]);

        assert_eq!(seek(&mut file, SeekFrom::Start(5)).await.unwrap(), 5);
        let mut four = [0; 4];
        read_exact(&mut file, &mut four).await.unwrap();
        assert_eq!(&four, b"0\nli");
        write_all(&mut file, b"XX").await.unwrap();
        assert_eq!(seek(&mut file, SeekFrom::Current(0)).await.unwrap(), 11);
        seek(&mut file, SeekFrom::Start(0)).await.unwrap();
        assert_eq!(read_line(&mut file).await.unwrap(), "line 0\n");
        assert_eq!(read_line(&mut file).await.unwrap(), "liXX 1\n");
        assert_eq!(read_line(&mut file).await.unwrap(), "line 2\n");
        shutdown(&mut file).await.unwrap();
        file.close().await.unwrap();
        let mut expected = expected.into_bytes();
        expected[9..11].copy_from_slice(b"XX");
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[tokio::test]
    async fn current_thread_runtime_copy() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.bin");
        let dst = dir.path().join("dst.bin");
        let content = super::pattern(77, 300_000);
        std::fs::write(&src, &content).unwrap();
        let mut from = aiofiles::open(&src, "rb")
            .on(Tokio::current())
            .await
            .unwrap();
        let mut to = aiofiles::open(&dst, "wb")
            .on(Tokio::current())
            .await
            .unwrap();
        let mut chunk = vec![0; 7000];
        let mut copied = 0;
        loop {
            let n = read(&mut from, &mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            write_all(&mut to, &chunk[..n]).await.unwrap();
            copied += n;
        }
        assert_eq!(copied, content.len());
        to.close().await.unwrap();
        assert!(std::fs::read(&dst).unwrap() == content);
        // The inherent one-hand-off read works under tokio as well.
        let mut again = Vec::new();
        let mut from = aiofiles::open(&dst, "rb")
            .on(Tokio::current())
            .await
            .unwrap();
        assert_eq!(from.read_to_end(&mut again).await.unwrap(), content.len());
        assert!(again == content);
    }
}

#[cfg(feature = "async-std")]
#[test]
fn async_std_executor() {
    common::within(common::TIMEOUT, || {
        common::async_std_block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("async-std.txt");
            let mut file = aiofiles::open(&path, "w+")
                .on(aiofiles::AsyncStd)
                .await
                .unwrap();
            file.write_all(b"hello async-std").await.unwrap();
            file.seek(SeekFrom::Start(6)).await.unwrap();
            let mut rest = String::new();
            file.read_to_string(&mut rest).await.unwrap();
            assert_eq!(rest, "async-std");
            file.close().await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"hello async-std");
        })
    });
}
