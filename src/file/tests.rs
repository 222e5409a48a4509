//! The state machine stepped by hand: poll, see `Pending`, run one queued job, see the task
//! woken, poll again.

use std::future::Future;
use std::io::SeekFrom;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::File;
use crate::testing::ManualExecutor;
use crate::OpenOptions;

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct Harness {
    exec: ManualExecutor,
    wakes: Arc<Count>,
    waker: Waker,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Harness {
    fn new(content: &[u8]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, content).unwrap();
        let wakes = Arc::new(Count::default());
        Harness {
            exec: ManualExecutor::new(),
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
            _dir: dir,
            path,
        }
    }

    fn cx(&self) -> Context<'_> {
        Context::from_waker(&self.waker)
    }

    fn wakes(&self) -> usize {
        self.wakes.0.load(Ordering::SeqCst)
    }

    /// Opens the file on the manual executor, stepping the open by hand.
    fn open(&self, options: &OpenOptions) -> File<ManualExecutor> {
        let mut open = pin!(options.open(&self.path).on(self.exec.clone()));
        assert!(open.as_mut().poll(&mut self.cx()).is_pending());
        assert_eq!(self.exec.pending(), 1);
        let before = self.wakes();
        assert!(self.exec.run_one());
        assert_eq!(self.wakes(), before + 1);
        match open.poll(&mut self.cx()) {
            Poll::Ready(file) => file.unwrap(),
            Poll::Pending => panic!("open still pending after its job ran"),
        }
    }

    /// Runs the one queued job and checks it woke the task.
    fn run_one(&self) {
        assert_eq!(self.exec.pending(), 1);
        let before = self.wakes();
        assert!(self.exec.run_one());
        assert_eq!(self.wakes(), before + 1, "completing a job wakes the task");
    }

    /// Flushes through exactly one job: pending, the job runs and wakes, then done.
    fn flush_through_one_job<E: crate::Executor>(&self, file: &mut File<E>) {
        assert!(Pin::new(&mut *file).poll_flush(&mut self.cx()).is_pending());
        self.run_one();
        match Pin::new(file).poll_flush(&mut self.cx()) {
            Poll::Ready(Ok(())) => {}
            other => panic!("flush not done after its job ran: {other:?}"),
        }
    }

    /// Starts a read that needs a hand-off: pending, with its job queued.
    fn read_pends<E: crate::Executor>(&self, file: &mut File<E>, buf: &mut [u8]) {
        assert!(Pin::new(file).poll_read(&mut self.cx(), buf).is_pending());
    }

    /// Reads through exactly one job: pending, the job runs and wakes, then the bytes.
    fn read_through_one_job<E: crate::Executor>(
        &self,
        file: &mut File<E>,
        buf: &mut [u8],
    ) -> usize {
        self.read_pends(file, buf);
        self.run_one();
        match Pin::new(file).poll_read(&mut self.cx(), buf) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("read not done after its job ran: {other:?}"),
        }
    }

    /// Writes without a hand-off: the write must be ready at once.
    fn write_now<E: crate::Executor>(&self, file: &mut File<E>, data: &[u8]) -> usize {
        match Pin::new(file).poll_write(&mut self.cx(), data) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("write not done at once: {other:?}"),
        }
    }

    /// Seeks without a hand-off: the seek must be ready at once.
    fn seek_now<E: crate::Executor>(&self, file: &mut File<E>, to: SeekFrom) -> u64 {
        match Pin::new(file).poll_seek(&mut self.cx(), to) {
            Poll::Ready(Ok(pos)) => pos,
            other => panic!("seek not done at once: {other:?}"),
        }
    }

    fn on_disk(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }
}

fn read_write() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    options
}

/// `n` bytes that tell their offset: byte `i` is `i % 251`.
fn numbered(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A file of [`numbered`] bytes opened for reading and writing, and its content.
fn numbered_file(n: usize) -> (Harness, File<ManualExecutor>, Vec<u8>) {
    let content = numbered(n);
    let h = Harness::new(&content);
    let file = h.open(&read_write());
    (h, file, content)
}

/// Reads `n` bytes that must be buffered already: ready without running any job (the
/// reading job may be queued meanwhile, to read what follows).
fn read_buffered(h: &Harness, file: &mut File<ManualExecutor>, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    match Pin::new(&mut *file).poll_read(&mut h.cx(), &mut buf) {
        Poll::Ready(Ok(got)) => assert_eq!(got, n),
        other => panic!("expected {n} buffered bytes, got {other:?}"),
    }
    buf
}

#[test]
fn open_reads_the_head_of_a_regular_file() {
    let h = Harness::new(b"abc");
    let mut file = h.open(&read_write());
    // Opening read the whole (small) file: read and the end of file cost no hand-off.
    assert_eq!(read_buffered(&h, &mut file, 3), b"abc");
    let mut buf = [0; 8];
    assert!(matches!(
        Pin::new(&mut file).poll_read(&mut h.cx(), &mut buf),
        Poll::Ready(Ok(0))
    ));
    assert_eq!(h.exec.pending(), 0);
    // Past the end once reported, a read asks the OS again (the file may have grown).
    std::fs::OpenOptions::new()
        .append(true)
        .open(&h.path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"de"))
        .unwrap();
    h.read_pends(&mut file, &mut buf);
    h.run_one();
    match Pin::new(&mut file).poll_read(&mut h.cx(), &mut buf) {
        Poll::Ready(Ok(2)) => assert_eq!(&buf[..2], b"de"),
        other => panic!("expected the 2 new bytes, got {other:?}"),
    }
}

#[test]
fn read_then_cancel_then_read() {
    let (h, mut file, content) = numbered_file(20_000);
    // The first 8 KiB came with the open.
    assert_eq!(read_buffered(&h, &mut file, 8192), content[..8192]);

    // The next read goes pending with its job queued; the caller gives up on it.
    let mut buf = [0; 4];
    h.read_pends(&mut file, &mut buf);
    assert_eq!(h.exec.pending(), 1);

    // The job finishes on the pool without a reader.
    assert!(h.exec.run_one());

    // The next read is served from what the cancelled one fetched: nothing was consumed.
    assert_eq!(read_buffered(&h, &mut file, 4), content[8192..8196]);
    // Two fills in a row: access is sequential, and what follows is read in the background.
    assert_eq!(h.exec.pending(), 1);
    match Pin::new(&mut file).poll_seek(&mut h.cx(), SeekFrom::Current(0)) {
        Poll::Ready(Ok(8196)) => {}
        other => panic!("position should be 8196, got {other:?}"),
    }
}

#[test]
fn pending_read_is_woken_and_completes() {
    let (h, mut file, content) = numbered_file(10_000);
    read_buffered(&h, &mut file, 8192);
    let mut buf = [0; 4096];
    h.read_pends(&mut file, &mut buf);
    h.run_one();
    match Pin::new(&mut file).poll_read(&mut h.cx(), &mut buf) {
        Poll::Ready(Ok(n)) => {
            assert_eq!(n, 10_000 - 8192);
            assert_eq!(buf[..n], content[8192..]);
        }
        other => panic!("expected the rest, got {other:?}"),
    }
    // End of file: one more hand-off, then 0.
    assert_eq!(h.read_through_one_job(&mut file, &mut buf), 0);
}

#[test]
fn write_then_cancel_then_flush() {
    let h = Harness::new(b"");
    let mut file = h.open(read_write().buffer_size(4));

    // Fills the buffer; a full buffer starts writing in the background.
    assert_eq!(h.write_now(&mut file, b"abcd"), 4);
    assert_eq!(h.exec.pending(), 1);
    // The next buffer fills while the first is written.
    assert_eq!(h.write_now(&mut file, b"efgh"), 4);
    // Both buffers full: this write waits, having accepted nothing, and is then abandoned.
    assert!(Pin::new(&mut file)
        .poll_write(&mut h.cx(), b"ijkl")
        .is_pending());
    h.run_one();
    assert_eq!(h.on_disk(), b"abcd");

    // Flush writes the second buffer, and only it.
    h.flush_through_one_job(&mut file);
    assert_eq!(h.on_disk(), b"abcdefgh");
    assert_eq!(h.seek_now(&mut file, SeekFrom::Current(0)), 8);
}

#[test]
fn seek_within_buffered_read_data_needs_no_hand_off() {
    let h = Harness::new(b"0123456789");
    let mut file = h.open(&read_write());
    assert_eq!(read_buffered(&h, &mut file, 3), b"012");

    // Back, forward, absolute: all inside the read-ahead.
    for (to, at, byte) in [
        (SeekFrom::Current(-2), 1, b'1'),
        (SeekFrom::Current(5), 7, b'7'),
        (SeekFrom::Start(9), 9, b'9'),
    ] {
        match Pin::new(&mut file).poll_seek(&mut h.cx(), to) {
            Poll::Ready(Ok(pos)) => assert_eq!(pos, at),
            other => panic!("seek {to:?}: {other:?}"),
        }
        assert_eq!(h.exec.pending(), 0, "seek {to:?} handed off");
        assert_eq!(read_buffered(&h, &mut file, 1), [byte]);
    }
}

#[test]
fn seek_to_a_known_position_is_folded_into_the_next_read() {
    let (h, mut file, content) = numbered_file(20_000);
    // Outside any buffer, but the target is known: no hand-off for the seek itself.
    assert_eq!(h.seek_now(&mut file, SeekFrom::Start(15_000)), 15_000);
    assert_eq!(h.exec.pending(), 0);
    let mut buf = [0; 2];
    assert_eq!(h.read_through_one_job(&mut file, &mut buf), 2);
    assert_eq!(buf, content[15_000..15_002]);
}

#[test]
fn seek_with_buffered_write_data() {
    let h = Harness::new(b"");
    let mut file = h.open(&read_write());
    assert_eq!(h.write_now(&mut file, b"hello"), 5);
    assert_eq!(h.exec.pending(), 0, "buffered");
    // The seek writes the buffer and moves the cursor in one hand-off.
    assert!(Pin::new(&mut file)
        .poll_seek(&mut h.cx(), SeekFrom::Start(1))
        .is_pending());
    h.run_one();
    assert_eq!(h.on_disk(), b"hello");
    assert_eq!(h.seek_now(&mut file, SeekFrom::Start(1)), 1);
    assert_eq!(h.write_now(&mut file, b"E"), 1);
    h.flush_through_one_job(&mut file);
    assert_eq!(h.on_disk(), b"hEllo");
}

#[test]
fn abandoned_seek_takes_effect_and_position_tells() {
    let h = Harness::new(b"0123456789");
    let mut file = h.open(&read_write());
    // From the end: needs a hand-off. Abandoned while pending.
    assert!(Pin::new(&mut file)
        .poll_seek(&mut h.cx(), SeekFrom::End(-3))
        .is_pending());
    h.run_one();
    // The position query sees the seek that happened.
    assert_eq!(h.seek_now(&mut file, SeekFrom::Current(0)), 7);
    let mut buf = [0; 3];
    assert_eq!(h.read_through_one_job(&mut file, &mut buf), 3);
    assert_eq!(&buf, b"789");
}

#[test]
fn read_after_writes_is_one_hand_off() {
    let h = Harness::new(b"0123456789");
    let mut file = h.open(&read_write());
    assert_eq!(h.write_now(&mut file, b"ab"), 2);
    let mut buf = [0; 3];
    assert_eq!(h.read_through_one_job(&mut file, &mut buf), 3);
    assert_eq!(&buf, b"234");
    assert_eq!(h.on_disk(), b"ab23456789");
}

#[test]
fn fill_buf_then_consume() {
    let h = Harness::new(b"line one\nline two\n");
    let mut file = h.open(&read_write());
    match Pin::new(&mut file).poll_fill_buf(&mut h.cx()) {
        Poll::Ready(Ok(data)) => assert_eq!(data, b"line one\nline two\n"),
        other => panic!("{other:?}"),
    }
    Pin::new(&mut file).consume(9);
    match Pin::new(&mut file).poll_fill_buf(&mut h.cx()) {
        Poll::Ready(Ok(data)) => assert_eq!(data, b"line two\n"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lost_job_is_an_error_and_the_file_stays_usable() {
    let h = Harness::new(b"");
    let mut file = h.open(&read_write());
    assert_eq!(h.write_now(&mut file, b"lost"), 4);
    assert!(Pin::new(&mut file).poll_flush(&mut h.cx()).is_pending());
    assert_eq!(h.exec.drop_pending(), 1);
    match Pin::new(&mut file).poll_flush(&mut h.cx()) {
        Poll::Ready(Err(err)) => assert_eq!(err.kind(), std::io::ErrorKind::Other),
        other => panic!("expected the lost-work error, got {other:?}"),
    }
    // Later operations work.
    assert!(Pin::new(&mut file)
        .poll_seek(&mut h.cx(), SeekFrom::Start(0))
        .is_ready());
    assert_eq!(h.write_now(&mut file, b"kept"), 4);
    h.flush_through_one_job(&mut file);
    assert_eq!(h.on_disk(), b"kept");
}

#[test]
fn drop_takes_back_a_queued_job_and_writes_everything_itself() {
    let h = Harness::new(b"");
    let mut file = h.open(read_write().buffer_size(4));
    assert_eq!(h.write_now(&mut file, b"1234"), 4);
    assert_eq!(h.exec.pending(), 1, "background write queued");
    assert_eq!(h.write_now(&mut file, b"56"), 2);
    drop(file);
    // The queued job's bytes and the buffered ones are on the OS before `drop` returns, in
    // order; the job left in the queue finds nothing to do.
    assert_eq!(h.on_disk(), b"123456");
    assert_eq!(h.exec.pending(), 1);
    assert!(h.exec.run_one());
    assert_eq!(h.on_disk(), b"123456");
}

#[test]
fn drop_when_idle_writes_on_the_dropping_thread() {
    let h = Harness::new(b"");
    let mut file = h.open(&read_write());
    assert_eq!(h.write_now(&mut file, b"tail"), 4);
    drop(file);
    assert_eq!(h.exec.pending(), 0, "nothing left to the executor");
    assert_eq!(h.on_disk(), b"tail");
}

#[test]
fn drop_does_a_queued_length_change_whose_future_was_dropped() {
    let h = Harness::new(b"0123456789");
    let mut file = h.open(&read_write());
    {
        let mut set_len = pin!(file.set_len(3));
        assert!(set_len.as_mut().poll(&mut h.cx()).is_pending());
        assert_eq!(h.exec.pending(), 1, "the length change is queued");
    }
    assert_eq!(h.on_disk(), b"0123456789");
    drop(file);
    assert_eq!(h.on_disk(), b"012");
}

#[test]
fn a_dropped_read_to_end_leaves_its_bytes_buffered() {
    let (h, mut file, content) = numbered_file(20_000);
    assert_eq!(read_buffered(&h, &mut file, 100), content[..100]);
    {
        // The caller gives up once the job is queued; the job then runs without it.
        let mut rest = Vec::new();
        let mut read = pin!(file.read_to_end(&mut rest));
        assert!(read.as_mut().poll(&mut h.cx()).is_pending());
    }
    h.run_one();
    // Nothing was consumed: the bytes it read are the next read's, with no hand-off.
    assert_eq!(read_buffered(&h, &mut file, 5_000), content[100..5_100]);
    // The rest comes out of the buffer too, and then the end of the file, once.
    let mut rest = Vec::new();
    match pin!(file.read_to_end(&mut rest)).poll(&mut h.cx()) {
        Poll::Ready(Ok(n)) => assert_eq!(n, 14_900),
        other => panic!("the rest should be buffered: {other:?}"),
    }
    assert_eq!(rest, content[5_100..]);
    assert_eq!(h.exec.pending(), 0);
}

/// Drives `fut` to its end, running the executor's jobs whenever it waits.
fn drive<F: Future>(h: &Harness, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut h.cx()) {
            return out;
        }
        assert!(h.exec.run_all() > 0, "pending with nothing queued");
    }
}

/// Reads `file` to its end in pieces of `piece` bytes, letting every job run to its end after
/// each read (so the reading job reads as far ahead as it may): the bytes, and the most memory
/// read-ahead held after a read.
fn read_all_ahead(h: &Harness, file: &mut File<ManualExecutor>, piece: usize) -> (Vec<u8>, usize) {
    let (mut all, mut most) = (Vec::new(), 0);
    let mut buf = vec![0; piece];
    loop {
        let n = drive(h, futures::AsyncReadExt::read(&mut *file, &mut buf)).unwrap();
        if n == 0 {
            return (all, most);
        }
        all.extend_from_slice(&buf[..n]);
        h.exec.run_all();
        most = most.max(file.core.read_ahead_memory());
    }
}

#[test]
fn the_reading_job_stays_within_twice_the_buffer() {
    // A 4 KiB buffer: the 4 KiB read, then 2 KiB chunks, four of them at most in all.
    let content = numbered(256 * 1024);
    let h = Harness::new(&content);
    let mut file = h.open(OpenOptions::new().read(true).buffer_size(4096));
    let (all, most) = read_all_ahead(&h, &mut file, 1000);
    assert!(all == content, "the bytes are the file's");
    assert_eq!(most, 2 * 4096);

    // The default: the 1 MiB chunk being consumed and three read ahead, 4 MiB.
    let content = numbered(12 << 20);
    let h = Harness::new(&content);
    let mut file = h.open(OpenOptions::new().read(true));
    let (all, most) = read_all_ahead(&h, &mut file, 64 * 1024);
    assert!(all == content, "the bytes are the file's");
    assert_eq!(most, 4 << 20);
}

/// Reads sequentially until the reading job has 1 MiB chunks waiting beyond the buffer, then
/// drains the buffer: the position reached (from `at`), where the first chunk waiting starts.
fn read_until_chunks_wait(
    h: &Harness,
    file: &mut File<ManualExecutor>,
    content: &[u8],
    mut at: usize,
) -> usize {
    let mut buf = [0; 5000];
    while file.core.read_ahead_memory() < 3 << 20 {
        let n = drive(h, futures::AsyncReadExt::read(&mut *file, &mut buf)).unwrap();
        assert_eq!(buf[..n], content[at..at + n]);
        at += n;
        h.exec.run_all();
    }
    // The buffer drained to its last byte: what follows is only in the job's chunks.
    let rest = match Pin::new(&mut *file).poll_fill_buf(&mut h.cx()) {
        Poll::Ready(Ok(data)) => data.len(),
        other => panic!("the buffer holds bytes: {other:?}"),
    };
    Pin::new(&mut *file).consume(rest);
    at + rest
}

#[test]
fn writes_through_the_descriptor_are_seen_past_the_chunks_read_ahead() {
    let content = numbered(8 << 20);
    let h = Harness::new(&content);
    let mut file = h.open(&read_write());
    let at = read_until_chunks_wait(&h, &mut file, &content, 0);
    // A positional write inside the first chunk the job read ahead.
    let patch = at + 10;
    drive(&h, file.write_all_at(patch as u64, b"PATCHED")).unwrap();
    let mut expected = content[at..at + 200_000].to_vec();
    expected[10..17].copy_from_slice(b"PATCHED");
    let mut got = vec![0; 200_000];
    drive(&h, futures::AsyncReadExt::read_exact(&mut file, &mut got)).unwrap();
    assert!(got == expected, "the patch is seen");
    // A length change inside what is read ahead again: the file ends there.
    let at = read_until_chunks_wait(&h, &mut file, &content, at + 200_000);
    let len = at + 100_000;
    drive(&h, file.set_len(len as u64)).unwrap();
    let mut rest = Vec::new();
    drive(&h, futures::AsyncReadExt::read_to_end(&mut file, &mut rest)).unwrap();
    assert_eq!(rest.len(), 100_000);
    assert!(rest == content[at..len], "the bytes up to the new end");
}

#[test]
fn a_clones_write_is_seen_past_the_chunks_read_ahead() {
    let content = numbered(8 << 20);
    let h = Harness::new(&content);
    let mut file = h.open(&read_write());
    let at = read_until_chunks_wait(&h, &mut file, &content, 0);
    let mut clone = drive(&h, file.try_clone()).unwrap();
    let patch = (at + 10) as u64;
    drive(
        &h,
        futures::AsyncSeekExt::seek(&mut clone, SeekFrom::Start(patch)),
    )
    .unwrap();
    drive(&h, futures::AsyncWriteExt::write_all(&mut clone, b"CLONE")).unwrap();
    drive(&h, futures::AsyncWriteExt::flush(&mut clone)).unwrap();
    let mut rest = Vec::new();
    drive(&h, futures::AsyncReadExt::read_to_end(&mut file, &mut rest)).unwrap();
    let mut expected = content[at..].to_vec();
    let p = patch as usize - at;
    expected[p..p + 5].copy_from_slice(b"CLONE");
    assert!(rest == expected, "the clone's bytes are seen");
}
