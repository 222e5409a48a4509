//! `aiofiles::stdin()`, `stdout()`, `stderr()`, checked byte for byte from outside: each test
//! runs this test binary again as a child process (only the [`stdio_child_process`] test, which
//! does its part when `AIOFILES_STDIO_CHILD` is set and nothing otherwise), feeds its standard
//! input, and compares what comes out of its standard output and error.
//!
//! libtest writes its own lines to the child's standard output, so the child frames its payload
//! with [`BEGIN`] and [`END`], and only the framed bytes are compared.

#![cfg(unix)]

mod common;

use std::io::{self, Read as _, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use futures::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

/// Set (to a mode name) in the child's environment only.
const CHILD_ENV: &str = "AIOFILES_STDIO_CHILD";
/// The test that acts as the child.
const CHILD_TEST: &str = "stdio_child_process";
const BEGIN: &[u8] = b"<<<BEGIN>>>";
const END: &[u8] = b"<<<END>>>";
/// The child is past libtest's own output and about to read its input.
const READY: &[u8] = b"<<<READY>>>";
/// How long a child may take.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

/// Known bytes, all values, no run of three equal bytes (so never a marker).
fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i + seed) * 7 % 251) as u8).collect()
}

fn stdout_payload() -> Vec<u8> {
    let mut out = b"hello stdout\n".to_vec();
    out.extend(pattern(50_000, 1));
    out
}

fn stderr_payload() -> Vec<u8> {
    let mut out = b"hello stderr\n".to_vec();
    out.extend(pattern(3_000, 2));
    out
}

fn echo_input() -> Vec<u8> {
    pattern(100_000, 3)
}

const TRAILER: &[u8] = b"\n-- end of echo --\n";

// ---------------------------------------------------------------------------------------------
// The child

/// The child-process entry point of the tests below, not a test of its own (so not a skip):
/// in a normal test run, without [`CHILD_ENV`], it returns at once and passes. In a child (the
/// environment variable set by the tests that start it), it plays the part the variable names
/// and exits the process at once, without returning to libtest.
#[test]
fn stdio_child_process() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        // Not a child: nothing to do (an entry point, not a skip).
        return;
    };
    // libtest's own "test ... " line goes out now, not into the middle of the payload.
    io::stdout().flush().unwrap();
    io::stderr().flush().unwrap();
    match mode.as_str() {
        "write" => common::futures_block_on(child_write()),
        "echo" => common::futures_block_on(child_echo()),
        "copy" => common::futures_block_on(child_copy()),
        "lines" => common::futures_block_on(child_lines()),
        "broken-pipe" => common::futures_block_on(child_broken_pipe()),
        #[cfg(feature = "tokio")]
        "tokio-echo" => common::tokio_current_thread(tokio_child::echo()),
        other => panic!("unknown child mode {other:?}"),
    }
    // Straight out: no destructor, no libtest summary.
    std::process::exit(0);
}

/// Writes the payloads: standard output flushed, standard error not, then both dropped.
async fn child_write() {
    let mut stdout = aiofiles::stdout();
    let mut stderr = aiofiles::stderr();
    stdout.write_all(BEGIN).await.unwrap();
    stderr.write_all(BEGIN).await.unwrap();
    let out = stdout_payload();
    let err = stderr_payload();
    // In pieces of several sizes, interleaved between the two streams.
    let (head, tail) = out.split_at(13);
    stdout.write_all(head).await.unwrap();
    stdout.write_all(b"").await.unwrap();
    for chunk in tail.chunks(4093) {
        stdout.write_all(chunk).await.unwrap();
    }
    for chunk in err.chunks(1000) {
        stderr.write_all(chunk).await.unwrap();
    }
    stdout.write_all(END).await.unwrap();
    stderr.write_all(END).await.unwrap();
    stdout.flush().await.unwrap();
    stdout.close().await.unwrap();
    // No flush, no close for standard error: dropped, and the process exits at once.
    drop(stderr);
    drop(stdout);
}

/// Echoes standard input to standard output, through three ways of reading, then a trailer.
async fn child_echo() {
    let mut stdin = aiofiles::stdin();
    let mut stdout = aiofiles::stdout();
    stdout.write_all(BEGIN).await.unwrap();

    // `read_exact` of a few bytes.
    let mut first = [0u8; 10];
    stdin.read_exact(&mut first).await.unwrap();
    stdout.write_all(&first).await.unwrap();

    // Plain reads with an odd buffer size, for about 30 KB.
    let mut copied = 0;
    let mut buf = vec![0u8; 777];
    while copied < 30_000 {
        let n = stdin.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        stdout.write_all(&buf[..n]).await.unwrap();
        copied += n;
    }

    // The rest through the buffered interface (`fill_buf`/`consume`).
    futures::io::copy_buf(&mut stdin, &mut stdout)
        .await
        .unwrap();
    // At EOF, nothing more comes: say how much did, for the parent to compare.
    let mut after = Vec::new();
    stdin.read_to_end(&mut after).await.unwrap();
    stdout
        .write_all(format!("[{} bytes after EOF]", after.len()).as_bytes())
        .await
        .unwrap();
    stdout.write_all(TRAILER).await.unwrap();
    stdout.write_all(END).await.unwrap();
    drop(stdout);
}

/// Copies standard input to standard output with `futures::io::copy` (reads into its own
/// buffer), then a trailer.
async fn child_copy() {
    let stdin = aiofiles::stdin();
    let mut stdout = aiofiles::stdout();
    stdout.write_all(BEGIN).await.unwrap();
    futures::io::copy(stdin, &mut stdout).await.unwrap();
    stdout.write_all(TRAILER).await.unwrap();
    stdout.write_all(END).await.unwrap();
}

/// Numbers the lines of standard input, on standard error.
async fn child_lines() {
    let stdin = aiofiles::stdin();
    let mut stderr = aiofiles::stderr();
    stderr.write_all(BEGIN).await.unwrap();
    let mut lines = stdin.lines();
    let mut n = 0;
    while let Some(line) = futures::StreamExt::next(&mut lines).await {
        n += 1;
        let line = line.unwrap();
        stderr
            .write_all(format!("{n}:{line}|").as_bytes())
            .await
            .unwrap();
    }
    stderr.write_all(END).await.unwrap();
}

/// Says it is ready; once standard input is closed (the parent has closed its end of standard
/// output by then),
/// writes to standard output until it fails, and reports the error kind on standard error.
async fn child_broken_pipe() {
    let mut stdout = aiofiles::stdout();
    stdout.write_all(READY).await.unwrap();
    let mut stdin = aiofiles::stdin();
    let mut sink = Vec::new();
    stdin.read_to_end(&mut sink).await.unwrap();
    let mut stderr = aiofiles::stderr();
    let chunk = vec![b'x'; 64 * 1024];
    let mut outcome = "no error".to_owned();
    for _ in 0..100 {
        if let Err(err) = stdout.write_all(&chunk).await {
            outcome = format!("{:?}", err.kind());
            break;
        }
    }
    stderr.write_all(BEGIN).await.unwrap();
    stderr.write_all(outcome.as_bytes()).await.unwrap();
    stderr.write_all(END).await.unwrap();
}

#[cfg(feature = "tokio")]
mod tokio_child {
    use super::{BEGIN, END, TRAILER};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// Echoes standard input through tokio's traits (`read_exact`, then `tokio::io::copy`,
    /// which reads into its own buffer).
    pub(super) async fn echo() {
        let mut stdin = aiofiles::stdin();
        let mut stdout = aiofiles::stdout();
        stdout.write_all(BEGIN).await.unwrap();
        let mut first = [0u8; 10];
        stdin.read_exact(&mut first).await.unwrap();
        stdout.write_all(&first).await.unwrap();
        tokio::io::copy(&mut stdin, &mut stdout).await.unwrap();
        stdout.write_all(TRAILER).await.unwrap();
        stdout.write_all(END).await.unwrap();
        stdout.flush().await.unwrap();
        stdout.shutdown().await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// The parent

struct Child {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs the child in `mode`, feeding it `input` on standard input (then closing it).
///
/// With `close_stdout`, the parent reads the child's standard output only until [`READY`],
/// then closes its end of the pipe, and only then sends the input: the child writes after
/// that to a pipe nobody reads.
fn run_child(mode: &str, input: Vec<u8>, close_stdout: bool) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let io_thread = thread::spawn(move || {
        let mut bytes = Vec::new();
        if close_stdout {
            let mut buf = [0u8; 4096];
            while find(&bytes, READY, 0).is_none() {
                match out.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&buf[..n]),
                }
            }
            drop(out);
            // The child may exit before reading everything: a broken pipe is its problem.
            let _ = stdin.write_all(&input);
            drop(stdin);
        } else {
            let writer = thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
            out.read_to_end(&mut bytes).unwrap();
            writer.join().unwrap();
        }
        bytes
    });
    let mut err = child.stderr.take().unwrap();
    let stderr_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        err.read_to_end(&mut bytes).unwrap();
        bytes
    });

    let deadline = Instant::now() + CHILD_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("child `{mode}` hung: killed after {CHILD_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    let stdout = io_thread.join().unwrap();
    let stderr = stderr_reader.join().unwrap();
    let child = Child {
        status,
        stdout,
        stderr,
    };
    assert!(
        child.status.success(),
        "child `{mode}` failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        child.status,
        String::from_utf8_lossy(&child.stdout[..child.stdout.len().min(2000)]),
        String::from_utf8_lossy(&child.stderr[..child.stderr.len().min(2000)])
    );
    child
}

/// Where `needle` first occurs in `bytes` from `from` on.
fn find(bytes: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The bytes between the markers; exactly one frame.
#[track_caller]
fn framed<'a>(bytes: &'a [u8], what: &str) -> &'a [u8] {
    let find = |needle: &[u8], from: usize| find(bytes, needle, from);
    let begin = find(BEGIN, 0).unwrap_or_else(|| {
        panic!(
            "no {} marker in {what}: {:?}",
            String::from_utf8_lossy(BEGIN),
            String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
        )
    });
    let start = begin + BEGIN.len();
    assert_eq!(find(BEGIN, start), None, "two frames in {what}");
    let end = find(END, start).unwrap_or_else(|| {
        panic!(
            "no {} marker in {what} ({} bytes after the start marker)",
            String::from_utf8_lossy(END),
            bytes.len() - start
        )
    });
    assert_eq!(
        find(END, end + END.len()),
        None,
        "two end markers in {what}"
    );
    &bytes[start..end]
}

/// Compares long byte strings with a useful message.
#[track_caller]
fn assert_bytes(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        let first_diff = actual
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(actual.len().min(expected.len()));
        panic!(
            "{what}: {} bytes, expected {}; first difference at byte {first_diff}; the last \
             bytes are {:?}",
            actual.len(),
            expected.len(),
            String::from_utf8_lossy(&actual[actual.len().saturating_sub(40)..])
        );
    }
}

#[test]
fn stdout_and_stderr_bytes_reach_the_parent_exactly() {
    let child = run_child("write", Vec::new(), false);
    assert_bytes(framed(&child.stdout, "stdout"), &stdout_payload(), "stdout");
    assert_bytes(
        framed(&child.stderr, "stderr"),
        &stderr_payload(),
        "stderr (not flushed, dropped, then exit)",
    );
}

#[test]
fn stdin_is_echoed_exactly() {
    let input = echo_input();
    let child = run_child("echo", input.clone(), false);
    let mut expected = input;
    expected.extend_from_slice(b"[0 bytes after EOF]");
    expected.extend_from_slice(TRAILER);
    assert_bytes(framed(&child.stdout, "stdout"), &expected, "echo");
}

#[test]
fn stdin_lines() {
    let child = run_child(
        "lines",
        b"first\nsecond line\n\nlast without newline".to_vec(),
        false,
    );
    assert_eq!(
        String::from_utf8_lossy(framed(&child.stderr, "stderr")),
        "1:first|2:second line|3:|4:last without newline|"
    );
}

#[test]
fn stdin_copied_with_futures_copy() {
    for input in [Vec::new(), b"x".to_vec(), echo_input()] {
        let child = run_child("copy", input.clone(), false);
        let mut expected = input;
        expected.extend_from_slice(TRAILER);
        assert_bytes(framed(&child.stdout, "stdout"), &expected, "copy");
    }
}

#[test]
fn writing_to_a_closed_stdout_is_broken_pipe() {
    let child = run_child("broken-pipe", Vec::new(), true);
    assert_eq!(
        String::from_utf8_lossy(framed(&child.stderr, "stderr")),
        "BrokenPipe"
    );
}

#[cfg(feature = "tokio")]
#[test]
fn stdin_is_echoed_exactly_through_tokio_traits() {
    let input = echo_input();
    let child = run_child("tokio-echo", input.clone(), false);
    let mut expected = input;
    expected.extend_from_slice(TRAILER);
    assert_bytes(framed(&child.stdout, "stdout"), &expected, "tokio echo");
}

#[test]
fn streams_are_unpin_send_and_debug() {
    fn unpin_send<T: Unpin + Send>(_: &T) {}
    let (stdin, stdout, stderr) = (aiofiles::stdin(), aiofiles::stdout(), aiofiles::stderr());
    unpin_send(&stdin);
    unpin_send(&stdout);
    unpin_send(&stderr);
    assert!(format!("{stdin:?}").starts_with("Stdin"));
    assert!(format!("{stdout:?}").starts_with("Stdout"));
    assert!(format!("{stderr:?}").starts_with("Stderr"));
}
