//! The buffer and in-flight machine behind [`File`](super::File), on the caller's side.
//!
//! One blocking job at most is in flight per file. A job is built from the file's state and
//! runs on the executor with the shared `std::fs::File` ([`job`](super::job)): first an
//! optional absolute seek, then the pending buffered writes, then one action (read a chunk,
//! seek, set the length, sync, ...), and finally it reads back the OS cursor. So a read after
//! writes, a seek after writes, or a sync after writes each cost one hand-off.
//!
//! Positions are absolute: `pos` is the logical position the user sees, `os` the OS cursor as
//! the last job left it. Read-ahead lives in `rbuf`, and once reads are sequential in the
//! queue of a [`Reading`] job that reads on behind it; pending writes in `wbuf`. Read-ahead
//! and pending writes never exist at once. A job whose caller
//! went away (a dropped future) is finished by whichever call comes next, and its effects are
//! applied exactly as if the caller had stayed.

use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{ready, Context, Poll};

use bytes::Bytes;

use super::job::{Action, Done, Job, Outcome, Pending, Shared};
use super::reading::Reading;
use crate::executor::{Executor, Op};

mod read;
mod seek;
mod write;

/// First read-ahead of a default-buffered file: small, so that opening many files and reading
/// a little of each stays cheap.
pub(super) const READ_START: usize = 8 * 1024;
/// First write-behind buffer of a default-buffered file.
const WRITE_START: usize = 64 * 1024;
/// Largest read-ahead or write-behind buffer the adaptive policy grows to.
const MAX_BUF: usize = 2 * 1024 * 1024;
/// Largest transfer one read or write call hands to the executor.
pub(super) const MAX_CHUNK: usize = 2 * 1024 * 1024;

/// The error the OS gives for writing to a descriptor not open for writing.
#[cold]
fn not_writable() -> io::Error {
    #[cfg(unix)]
    return rustix::io::Errno::BADF.into();
    #[cfg(not(unix))]
    return io::ErrorKind::PermissionDenied.into();
}

/// Who waits for the job in flight.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Write-behind of a full buffer while the caller fills the next one.
    Flush,
    /// A read the caller waits for.
    Read,
    /// An unbuffered write of the caller's buffer, known by its address and length.
    Write { addr: usize, len: usize },
    /// A seek the caller waits for.
    Seek(SeekFrom),
    /// A `read_to_end` the caller waits for: its bytes land in the read buffer as read-ahead
    /// up to the end of the file, and count once a caller takes them (a dropped one consumed
    /// nothing).
    ReadToEnd,
    /// A duplicate of the descriptor (`try_clone`).
    Dup,
    /// Anything else a caller waits for (flush, sync, set_len, ...).
    Other,
}

/// A finished job for whoever finishes it, typed by what was asked: made in one place,
/// [`Core::finish`], once the job's effects on the buffers and the position are applied.
enum Finished {
    /// Write-behind in the background: nothing to hand back; its errors are kept for the next
    /// call.
    Background,
    /// A read: how many bytes it put in the buffer, 0 at the end of the file.
    Read(io::Result<usize>),
    /// An unbuffered write: how many of its bytes were written.
    Wrote(io::Result<usize>),
    /// A seek, with the target it was asked for, and where it went.
    Sought(SeekFrom, io::Result<u64>),
    /// A `read_to_end`: its bytes are buffered up to the end of the file.
    ReadToEnd(io::Result<()>),
    /// A duplicate of the descriptor.
    Dup(io::Result<fs::File>),
    /// Anything else (flush, sync, set_len, ...).
    Other(io::Result<()>),
}

impl Finished {
    /// A job of `kind` that failed with `err`, for whoever waits for it.
    fn failed(kind: Kind, err: io::Error) -> Self {
        match kind {
            Kind::Flush => Finished::Background,
            Kind::Read => Finished::Read(Err(err)),
            Kind::Write { .. } => Finished::Wrote(Err(err)),
            Kind::Seek(to) => Finished::Sought(to, Err(err)),
            Kind::ReadToEnd => Finished::ReadToEnd(Err(err)),
            Kind::Dup => Finished::Dup(Err(err)),
            Kind::Other => Finished::Other(Err(err)),
        }
    }
}

struct Busy<E: Executor> {
    op: Pin<Box<Op<Job, E>>>,
    kind: Kind,
    /// How many buffered bytes the job writes first: already counted in `pos`.
    writes: usize,
    /// The bytes of an unbuffered write (`Kind::Write`), to tell a caller polling again from
    /// a new write that happens to use the same buffer.
    sent: Option<Arc<[u8]>>,
}

/// How the file buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Buffering {
    /// Read-ahead from 8 KiB, then a reading job's chunks from 32 KiB to 1 MiB, while access
    /// is sequential; write-behind from 64 KiB, growing to 2 MiB.
    Adaptive,
    /// Buffers of this many bytes; 0 is unbuffered.
    Fixed(usize),
}

pub(super) struct Core<E: Executor> {
    pub(super) shared: Arc<Shared>,
    pub(super) exec: E,
    busy: Option<Busy<E>>,
    /// Read-ahead: `rbuf[rpos..]` is unread and starts at `pos`.
    rbuf: Vec<u8>,
    rpos: usize,
    /// The reading job that reads on behind `rbuf` while access is sequential: its chunks
    /// follow `rbuf`.
    reading: Option<Reading<E>>,
    /// [`Shared::version`] when the read-ahead (and `eof`) was read: a write since makes it
    /// stale.
    seen: u64,
    /// Buffered writes, ending at `pos`.
    wbuf: Vec<u8>,
    /// A recycled allocation.
    spare: Vec<u8>,
    /// The logical position; `None` when unknown (an unseekable file).
    pos: Option<u64>,
    /// The OS cursor as the last job left it.
    os: Option<u64>,
    /// Another handle shares the descriptor (`try_clone`): never trust `os`.
    shared_cursor: bool,
    buffering: Buffering,
    /// The last job was handed to a [`Closing`] future, which answers for it.
    closing: bool,
    /// Size of the next read.
    read_size: usize,
    /// Reads done since the last seek: two in a row make access sequential.
    streak: u32,
    write_size: usize,
    /// The read-ahead ends at the end of the file: report it once the buffer is drained.
    eof: bool,
    /// A write failed in the background (or its caller left): report it at the next call.
    write_err: Option<io::Error>,
}

impl<E: Executor> Core<E> {
    pub(super) fn new(
        shared: Arc<Shared>,
        exec: E,
        pos: Option<u64>,
        buffering: Buffering,
    ) -> Self {
        let (read_size, write_size) = match buffering {
            Buffering::Adaptive => (READ_START, WRITE_START),
            Buffering::Fixed(n) => (n, n),
        };
        Core {
            shared,
            exec,
            busy: None,
            rbuf: Vec::new(),
            rpos: 0,
            reading: None,
            seen: 0,
            wbuf: Vec::new(),
            spare: Vec::new(),
            pos,
            os: pos,
            shared_cursor: false,
            buffering,
            closing: false,
            read_size,
            streak: 0,
            write_size,
            eof: false,
            write_err: None,
        }
    }

    /// Takes the start of the file, read with the open: the cursor is past it.
    pub(super) fn prime(&mut self, head: Vec<u8>, eof: bool) {
        debug_assert!(self.rbuf.is_empty() && self.busy.is_none());
        if head.is_empty() && !eof {
            return;
        }
        self.os = self.pos.map(|p| p + head.len() as u64);
        self.seen = self.shared.version();
        self.rbuf = head;
        self.rpos = 0;
        self.eof = eof;
        self.streak = 1;
    }

    /// Nothing is buffered to write, and nothing is in flight.
    pub(super) fn is_clean(&self) -> bool {
        self.wbuf.is_empty() && self.busy.is_none()
    }

    pub(super) fn buffering(&self) -> Buffering {
        self.buffering
    }

    pub(super) fn moved_to(&mut self, path: std::path::PathBuf) {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.path = Some(path.into_boxed_path());
        }
    }

    /// Makes this new core the `try_clone` of `original`: the two share the OS cursor, and
    /// each sees the other's writes.
    pub(super) fn clone_of(&mut self, original: &mut Core<E>) {
        original.shared_cursor = true;
        self.shared_cursor = true;
        let shared = Arc::get_mut(&mut self.shared).expect("a core just made owns its descriptor");
        shared.share_with_clone(&original.shared);
        self.seen = shared.version();
    }

    fn unbuffered(&self) -> bool {
        self.buffering == Buffering::Fixed(0)
    }

    /// The logical position, when known.
    pub(super) fn pos(&self) -> Option<u64> {
        self.pos
    }

    /// Moves the position past `n` bytes the caller took: from the read buffer, or read at
    /// the position without it (`pread`, which leaves the OS cursor where it was).
    pub(super) fn advance(&mut self, n: usize) {
        if let Some(pos) = &mut self.pos {
            *pos += n as u64;
        }
    }

    /// Starts a job: writes `wbuf` (if any) at its place, then `action`. `cursor` is where the
    /// OS cursor must be for the action when there is nothing to write first.
    fn launch(&mut self, cx: &mut Context<'_>, kind: Kind, action: Action, cursor: Option<u64>) {
        if let (Buffering::Adaptive, Kind::Flush) = (self.buffering, kind) {
            self.write_size = (self.write_size * 2).min(MAX_BUF);
        }
        self.launch_with(cx, kind, action, cursor, None);
    }

    /// [`launch`](Self::launch), with an owned buffer written as it is after `wbuf`.
    fn launch_with(
        &mut self,
        cx: &mut Context<'_>,
        kind: Kind,
        action: Action,
        cursor: Option<u64>,
        owned: Option<Bytes>,
    ) {
        debug_assert!(self.busy.is_none());
        let writes = self.wbuf.len() + owned.as_ref().map_or(0, Bytes::len);
        let sent = match &action {
            Action::Write { data } => Some(Arc::clone(data)),
            _ => None,
        };
        let pending = self.pending(action, cursor, owned);
        let job = self.shared.hand_off(pending);
        self.os = None;
        self.busy = Some(Busy {
            op: Box::pin(Op::new(job).on(self.exec.clone())),
            kind,
            writes,
            sent,
        });
        if kind == Kind::Flush {
            // Hand a background job over now, so that it runs while the caller goes on. Its
            // errors, even at once (an `Inline` executor), are kept for the next call. A
            // caller's own job is polled by the caller.
            let _ = self.poll_busy_inner(cx);
        }
    }

    /// The work that writes `wbuf` and `owned` (if any) at their place, then does `action`.
    fn pending(&mut self, action: Action, cursor: Option<u64>, owned: Option<Bytes>) -> Pending {
        let write = mem::take(&mut self.wbuf);
        let writes = write.len() + owned.as_ref().map_or(0, Bytes::len);
        let wanted = if writes == 0 {
            cursor
        } else if self.shared.append {
            None
        } else {
            self.pos.map(|p| p - writes as u64)
        };
        let known = if self.shared_cursor { None } else { self.os };
        Pending {
            seek: wanted.filter(|&w| known != Some(w)),
            write,
            owned,
            action,
        }
    }

    /// The last job of a file being closed: writes what is buffered. Call when idle; the file
    /// must then be dropped, so that the job holds the last reference to the descriptor and
    /// closes it on the executor. From here on the returned future, not the file's drop,
    /// answers for the job: dropped before the job starts, it does the writes itself.
    pub(super) fn close_job(&mut self) -> Closing<E> {
        let pending = self.pending(Action::Nothing, None, None);
        let job = self.shared.hand_off(pending);
        self.closing = true;
        Closing {
            shared: Arc::downgrade(&self.shared),
            op: Box::pin(Op::new(job).on(self.exec.clone())),
        }
    }

    /// Drives the job in flight, if any, to completion and applies what it did; `None` when
    /// nothing was in flight.
    fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished>> {
        match self.busy {
            None => Poll::Ready(None),
            Some(_) => self.poll_busy_inner(cx).map(Some),
        }
    }

    fn poll_busy_inner(&mut self, cx: &mut Context<'_>) -> Poll<Finished> {
        let busy = self.busy.as_mut().expect("a job is in flight");
        let result = ready!(busy.op.as_mut().poll(cx));
        let Busy { kind, writes, .. } = self.busy.take().expect("a job is in flight");
        Poll::Ready(self.finish(kind, writes, result))
    }

    /// The apply step: what a finished job did to the buffers, the position and the OS
    /// cursor, and what it hands back to whoever waits for it. Every job's effects on the
    /// position are applied here, and only here.
    fn finish(&mut self, kind: Kind, writes: usize, result: io::Result<Done>) -> Finished {
        let done = match result {
            Ok(done) => done,
            Err(lost) => {
                // The executor dropped the job unrun: its writes are gone with it. Say so at
                // the next call, and take them back from the position, so that later writes
                // land where these would have; the OS cursor is no longer known.
                self.os = None;
                if !self.shared.append {
                    self.pos = self.pos.map(|p| p - writes as u64);
                }
                self.shared.forget();
                if self.write_err.is_none() {
                    self.write_err = Some(io::Error::new(lost.kind(), lost.to_string()));
                }
                return Finished::failed(kind, lost);
            }
        };
        self.os = done.os;
        if let Some(err) = done.write_err {
            // Unwritten bytes go back in front of what was buffered since.
            let mut rest = done.write;
            rest.extend_from_slice(&self.wbuf);
            self.wbuf = rest;
            self.write_err = Some(err);
        } else {
            self.recycle(done.write);
        }
        if let Some(end) = done.appended_to {
            // Appended bytes landed at the end, wherever the cursor was: the position follows
            // them, and what is still buffered.
            self.pos = Some(end + self.wbuf.len() as u64);
        }
        let outcome = match done.result {
            Ok(outcome) => outcome,
            Err(err) => return Finished::failed(kind, err),
        };
        match (kind, outcome) {
            (Kind::Flush, Outcome::Nothing) => Finished::Background,
            (Kind::Read, Outcome::Data(data)) => {
                Finished::Read(Ok(self.apply_read(kind, data, done.version)))
            }
            (Kind::ReadToEnd, Outcome::Data(data)) => {
                self.apply_read(kind, data, done.version);
                Finished::ReadToEnd(Ok(()))
            }
            (Kind::Write { .. }, Outcome::Written(n)) => {
                if !self.shared.append {
                    self.pos = self.pos.map(|p| p + n as u64);
                }
                Finished::Wrote(Ok(n))
            }
            (Kind::Seek(to), Outcome::Pos(pos)) => {
                self.pos = Some(pos);
                Finished::Sought(to, Ok(pos))
            }
            (Kind::Dup, Outcome::File(file)) => Finished::Dup(Ok(file)),
            (Kind::Other, Outcome::Nothing) => Finished::Other(Ok(())),
            (kind, _) => unreachable!("{kind:?}: a job's outcome answers the action it was given"),
        }
    }

    /// Puts bytes a job read (into the drained buffer) as the read-ahead, and returns how
    /// many it read; `version` is when they were read.
    fn apply_read(&mut self, kind: Kind, data: Vec<u8>, version: u64) -> usize {
        debug_assert!(self.rpos == self.rbuf.len() && self.reading.is_none());
        let n = data.len();
        if kind == Kind::ReadToEnd {
            self.eof = true;
        }
        let old = mem::replace(&mut self.rbuf, data);
        self.rpos = 0;
        self.recycle(old);
        self.seen = version;
        n
    }

    /// Drops read-ahead, and an end of file seen, that a write through the descriptor (a
    /// positional write, or a clone's) made stale: the File's reads see its own writes.
    fn drop_stale(&mut self) {
        let now = self.shared.version();
        if now != self.seen {
            self.seen = now;
            if self.rpos < self.rbuf.len() || self.reading.is_some() || self.eof {
                self.drop_read_ahead();
            }
        }
    }

    /// Keeps `buf` for the next read or write buffer if it is the largest seen and not above
    /// [`keep_limit`](Self::keep_limit).
    fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > self.spare.capacity() && buf.capacity() <= self.keep_limit() {
            buf.clear();
            self.spare = buf;
        }
    }

    /// The largest allocation the file keeps between calls: a buffer above it (the read of a
    /// caller's large buffer through a `buffer_size(n)` file) is freed once used, so that
    /// read-ahead never holds more than twice the buffer size.
    fn keep_limit(&self) -> usize {
        match self.buffering {
            Buffering::Adaptive => MAX_BUF,
            Buffering::Fixed(n) => n,
        }
    }

    /// Forgets read-ahead: a write, a seek away or a length change made it stale. The
    /// reading job, if any, stops after the read it is doing.
    fn drop_read_ahead(&mut self) {
        let rbuf = mem::take(&mut self.rbuf);
        self.recycle(rbuf);
        self.rpos = 0;
        self.eof = false;
        self.stop_reading();
    }

    /// Waits for the job in flight, whoever started it, and reports a pending write error.
    pub(super) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_busy(cx));
        match self.write_err.take() {
            Some(err) => Poll::Ready(Err(err)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Does `action` for a caller who waits for it, after the buffered writes, in one
    /// hand-off: once the file is idle, the first call takes `action` and starts its job, and
    /// later calls wait for that job.
    pub(super) fn poll_do(
        &mut self,
        cx: &mut Context<'_>,
        action: &mut Option<Action>,
    ) -> Poll<io::Result<()>> {
        loop {
            match ready!(self.poll_busy(cx)) {
                Some(Finished::Other(result)) if action.is_none() => {
                    return Poll::Ready(self.write_err.take().map_or(result, Err));
                }
                Some(_) => continue,
                None => {}
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            // `None`: done, and applied by someone else (cannot happen with `&mut` access).
            let Some(action) = action.take() else {
                return Poll::Ready(Ok(()));
            };
            let cursor = match action {
                Action::Nothing => self.pos,
                Action::SetLen(_) => {
                    self.drop_read_ahead();
                    None
                }
                _ => None,
            };
            self.launch(cx, Kind::Other, action, cursor);
        }
    }

    /// A duplicate of the descriptor, after the buffered writes, in one hand-off.
    pub(super) fn poll_dup(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<fs::File>> {
        loop {
            match ready!(self.poll_busy(cx)) {
                Some(Finished::Dup(result)) => {
                    return Poll::Ready(self.write_err.take().map_or(result, Err));
                }
                Some(_) => continue,
                None => {}
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            self.launch(cx, Kind::Dup, Action::Dup, self.pos);
        }
    }

    // ---- drop ----

    /// Finishes the work of a file being dropped before `drop` returns: see
    /// [`Shared::settle`]. Costs nothing when nothing is buffered or in flight.
    pub(super) fn settle(&mut self) {
        if self.closing || (self.busy.is_none() && self.wbuf.is_empty()) {
            return;
        }
        let rest = (!self.wbuf.is_empty()).then(|| self.pending(Action::Nothing, None, None));
        self.shared.settle(rest);
    }
}

/// The last job of a closing file ([`Core::close_job`]).
pub(super) struct Closing<E: Executor> {
    /// Weak, so that the job holds the last reference and closes the descriptor on the
    /// executor.
    shared: Weak<Shared>,
    op: Pin<Box<Op<Job, E>>>,
}

impl<E: Executor> Future for Closing<E> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let done = ready!(self.get_mut().op.as_mut().poll(cx))?;
        Poll::Ready(done.write_err.map_or(Ok(()), Err))
    }
}

impl<E: Executor> Drop for Closing<E> {
    fn drop(&mut self) {
        // Still there: the job has not finished (or not started), and its writes must not be
        // left to the executor's queue.
        if let Some(shared) = self.shared.upgrade() {
            shared.settle(None);
        }
    }
}

impl<E: Executor> fmt::Debug for Core<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("pos", &self.pos)
            .field(
                "buffered_read",
                &(self.rbuf.len() - self.rpos + self.reading.as_ref().map_or(0, Reading::queued)),
            )
            .field("buffered_write", &self.wbuf.len())
            .field("busy", &self.busy.as_ref().map(|b| b.kind))
            .finish()
    }
}
