//! The buffer and in-flight machine behind [`File`](super::File), on the caller's side.
//!
//! One blocking job at most is in flight per file. A job is built from the file's state and
//! runs on the executor with the shared `std::fs::File` ([`job`](super::job)): first an
//! optional absolute seek, then the pending buffered writes, then one action (read a chunk,
//! seek, set the length, sync, ...), and finally it reads back the OS cursor. So a read after
//! writes, a seek after writes, or a sync after writes each cost one hand-off.
//!
//! Positions are absolute: `pos` is the logical position the user sees, `os` the OS cursor as
//! the last job left it. Read-ahead lives in `rbuf` (with `ahead`, a prefetched chunk that
//! follows it), pending writes in `wbuf`; the two are never both non-empty. A job whose caller
//! went away (a dropped future) is finished by whichever call comes next, and its effects are
//! applied exactly as if the caller had stayed.

use std::fmt;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::mem;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{ready, Context, Poll};

use bytes::Bytes;

use super::job::{Action, Job, Outcome, Pending, Shared};
use crate::executor::{Executor, Op};

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
    /// Read-ahead started while the caller consumes the buffer; `discard` once a seek or write
    /// made its bytes useless.
    Prefetch { discard: bool },
    /// Write-behind of a full buffer while the caller fills the next one.
    Flush,
    /// A read the caller waits for.
    Read,
    /// An unbuffered write of the caller's buffer, known by its address and length.
    Write { addr: usize, len: usize },
    /// A seek the caller waits for.
    Seek(SeekFrom),
    /// A `read_to_end` the caller waits for: its bytes go to the caller, never to the buffer,
    /// and count only once the caller has them (a dropped one consumed nothing).
    ReadToEnd,
    /// Anything else a caller waits for (flush, sync, set_len, ...).
    Other,
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
    /// Read-ahead from 8 KiB and write-behind from 64 KiB, growing to 2 MiB while access is
    /// sequential.
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
    /// A prefetched chunk that follows `rbuf`.
    ahead: Vec<u8>,
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
    /// A prefetch hit the end of the file: report it once the buffer is drained.
    eof: bool,
    /// A prefetch failed: report it once the buffer is drained.
    read_err: Option<io::Error>,
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
            ahead: Vec::new(),
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
            read_err: None,
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

    /// Everything from the position to the end of the file, when the read-ahead holds it all:
    /// no hand-off needed.
    pub(super) fn take_to_eof(&mut self) -> Option<Vec<u8>> {
        self.drop_stale();
        if !self.eof || self.busy.is_some() || self.write_err.is_some() {
            return None;
        }
        let mut data = mem::take(&mut self.rbuf);
        if self.rpos > 0 {
            data.drain(..self.rpos);
        }
        data.append(&mut self.ahead);
        if let Some(pos) = &mut self.pos {
            *pos += data.len() as u64;
        }
        self.rpos = 0;
        self.eof = false;
        Some(data)
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
        if let Kind::Prefetch { .. } | Kind::Flush = kind {
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

    /// Drives the job in flight, if any, to completion and applies what it did. Returns the
    /// kind of the finished job and the action's result.
    fn poll_busy(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Kind, io::Result<Outcome>)>> {
        match self.busy {
            None => Poll::Ready(None),
            Some(_) => self.poll_busy_inner(cx).map(Some),
        }
    }

    fn poll_busy_inner(&mut self, cx: &mut Context<'_>) -> Poll<(Kind, io::Result<Outcome>)> {
        let busy = self.busy.as_mut().expect("a job is in flight");
        let result = ready!(busy.op.as_mut().poll(cx));
        let Busy { kind, writes, .. } = self.busy.take().expect("a job is in flight");
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
                return Poll::Ready((kind, Err(lost)));
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
        let result = match done.result {
            Ok(Outcome::Data(data)) => self.apply_read(kind, data, done.version),
            Ok(Outcome::Written(n)) => {
                if !self.shared.append {
                    self.pos = self.pos.map(|p| p + n as u64);
                }
                Ok(Outcome::Written(n))
            }
            Ok(Outcome::Pos(pos)) => {
                self.pos = Some(pos);
                Ok(Outcome::Pos(pos))
            }
            other => other,
        };
        if let (Kind::Prefetch { .. }, Err(err)) = (kind, &result) {
            if self.write_err.is_none() && self.read_err.is_none() {
                self.read_err = Some(io::Error::new(err.kind(), err.to_string()));
            }
        }
        Poll::Ready((kind, result))
    }

    /// Puts bytes a job read where they belong; `version` is when they were read.
    fn apply_read(&mut self, kind: Kind, data: Vec<u8>, version: u64) -> io::Result<Outcome> {
        let n = data.len();
        if kind == Kind::ReadToEnd {
            return Ok(Outcome::Data(data));
        }
        let prefetch = matches!(kind, Kind::Prefetch { .. });
        let buffered = self.rpos < self.rbuf.len();
        if matches!(kind, Kind::Prefetch { discard: true })
            || (prefetch && buffered && version != self.seen)
        {
            // Useless now, or read after a write that the buffer before it has not seen.
            self.recycle(data);
            return Ok(Outcome::Nothing);
        }
        if prefetch && n == 0 {
            self.eof = true;
        }
        if buffered {
            debug_assert!(self.ahead.is_empty());
            self.ahead = data;
        } else {
            let old = mem::replace(&mut self.rbuf, data);
            self.rpos = 0;
            self.recycle(old);
            self.seen = version;
        }
        Ok(Outcome::Filled(n))
    }

    /// Drops read-ahead, and an end of file seen, that a write through the descriptor (a
    /// positional write, or a clone's) made stale: the File's reads see its own writes.
    fn drop_stale(&mut self) {
        let now = self.shared.version();
        if now != self.seen {
            self.seen = now;
            if self.rpos < self.rbuf.len() || !self.ahead.is_empty() || self.eof {
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
    /// read-ahead plus prefetch never hold more than twice the buffer size.
    fn keep_limit(&self) -> usize {
        match self.buffering {
            Buffering::Adaptive => MAX_BUF,
            Buffering::Fixed(n) => n,
        }
    }

    /// Forgets read-ahead: a write, a seek away or a length change made it stale.
    fn drop_read_ahead(&mut self) {
        let rbuf = mem::take(&mut self.rbuf);
        let ahead = mem::take(&mut self.ahead);
        self.recycle(rbuf);
        self.recycle(ahead);
        self.rpos = 0;
        self.eof = false;
        self.read_err = None;
        if let Some(busy) = &mut self.busy {
            if let Kind::Prefetch { discard } = &mut busy.kind {
                *discard = true;
            }
        }
    }

    /// Waits for the job in flight, whoever started it, and reports a pending write error.
    pub(super) fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_busy(cx));
        match self.write_err.take() {
            Some(err) => Poll::Ready(Err(err)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Starts a job for a caller who will wait for it with [`poll_own`](Self::poll_own):
    /// buffered writes first, then `action`. Call when idle.
    pub(super) fn start(&mut self, cx: &mut Context<'_>, action: Action) {
        let cursor = match action {
            Action::Nothing | Action::Dup | Action::ReadToEnd { .. } => self.pos,
            Action::SetLen(_) => {
                self.drop_read_ahead();
                None
            }
            _ => None,
        };
        let kind = match action {
            Action::ReadToEnd { .. } => {
                // Everything from `pos` on is read by the job itself.
                self.drop_read_ahead();
                Kind::ReadToEnd
            }
            _ => Kind::Other,
        };
        self.launch(cx, kind, action, cursor);
    }

    /// Waits for the job [`start`](Self::start) launched and returns its outcome.
    pub(super) fn poll_own(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Outcome>> {
        let Some((kind, result)) = ready!(self.poll_busy(cx)) else {
            // Already applied by someone else (cannot happen with `&mut` access).
            return Poll::Ready(Ok(Outcome::Nothing));
        };
        debug_assert!(matches!(kind, Kind::Other | Kind::ReadToEnd));
        if let Some(err) = self.write_err.take() {
            return Poll::Ready(Err(err));
        }
        if let (Kind::ReadToEnd, Ok(Outcome::Data(data))) = (kind, &result) {
            if let Some(pos) = self.pos {
                self.pos = Some(pos + data.len() as u64);
            }
        }
        Poll::Ready(result)
    }

    // ---- reading ----

    /// Fills the read buffer if it is empty; `want` is how much the caller would like.
    pub(super) fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
    ) -> Poll<io::Result<&[u8]>> {
        loop {
            self.drop_stale();
            if self.rpos < self.rbuf.len() {
                self.maybe_prefetch(cx);
                return Poll::Ready(Ok(&self.rbuf[self.rpos..]));
            }
            if !self.ahead.is_empty() {
                let drained = mem::replace(&mut self.rbuf, mem::take(&mut self.ahead));
                self.rpos = 0;
                self.recycle(drained);
                continue;
            }
            if let Some((kind, result)) = ready!(self.poll_busy(cx)) {
                if kind == Kind::Read {
                    match result {
                        // The end of the file, or an error reading.
                        Ok(Outcome::Filled(0)) => return Poll::Ready(Ok(&[])),
                        Err(err) if self.write_err.is_none() => return Poll::Ready(Err(err)),
                        _ => {}
                    }
                }
                continue;
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            if let Some(err) = self.read_err.take() {
                return Poll::Ready(Err(err));
            }
            if mem::take(&mut self.eof) {
                return Poll::Ready(Ok(&[]));
            }
            let len = match (self.unbuffered(), want) {
                // `fill_buf` on an unbuffered file: some bytes, as Python's raw `readline`.
                (true, 0) => READ_START,
                (true, want) => want.min(MAX_CHUNK),
                (false, want) => self.read_size.max(want.min(MAX_CHUNK)),
            };
            self.grow_read();
            let buf = mem::take(&mut self.spare);
            self.launch(cx, Kind::Read, Action::Read { buf, len }, self.pos);
        }
    }

    fn grow_read(&mut self) {
        self.streak = self.streak.saturating_add(1);
        if self.buffering == Buffering::Adaptive && self.streak > 1 {
            self.read_size = (self.read_size * 4).min(MAX_BUF);
        }
    }

    /// Reads the next chunk in the background while the caller consumes this one, once access
    /// is sequential (two fills in a row without a seek): the pool thread's copy from the
    /// kernel then overlaps the caller's copy out of the buffer.
    fn maybe_prefetch(&mut self, cx: &mut Context<'_>) {
        let remaining = self.rbuf.len() - self.rpos;
        if self.busy.is_some()
            || self.streak < 2
            || self.unbuffered()
            || self.eof
            || self.read_err.is_some()
            || !self.ahead.is_empty()
            || !self.wbuf.is_empty()
        {
            return;
        }
        let cursor = self.pos.map(|p| p + remaining as u64);
        let len = self.read_size;
        self.grow_read();
        let buf = mem::take(&mut self.spare);
        self.launch(
            cx,
            Kind::Prefetch { discard: false },
            Action::Read { buf, len },
            cursor,
        );
    }

    pub(super) fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.rbuf.len() - self.rpos);
        self.rpos += amt;
        if let Some(pos) = &mut self.pos {
            *pos += amt as u64;
        }
        if self.rpos == self.rbuf.len() && self.rbuf.capacity() > self.keep_limit() {
            // A caller's read larger than the fixed buffer: what it needed is delivered.
            let used = mem::take(&mut self.rbuf);
            self.rpos = 0;
            self.recycle(used);
        }
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let data = ready!(self.poll_fill_buf(cx, out.len()))?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }

    // ---- writing ----

    /// Buffers `data`, or as much as fits; see [`poll_write_slow`](Self::poll_write_slow).
    #[inline]
    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        // The common case, a small write with room in the buffer, in a few comparisons.
        let fits = self.wbuf.len() + data.len() < self.write_size;
        let reading = matches!(&self.busy, Some(b) if b.kind != Kind::Flush);
        if fits
            && !reading
            && self.write_err.is_none()
            && self.rbuf.is_empty()
            && self.ahead.is_empty()
            && self.shared.writable
        {
            self.wbuf.extend_from_slice(data);
            self.advance_by_write(data.len());
            return Poll::Ready(Ok(data.len()));
        }
        self.poll_write_slow(cx, data)
    }

    fn poll_write_slow(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if !self.shared.writable {
            return Poll::Ready(Err(self.shared.error("write", not_writable())));
        }
        if self.unbuffered() {
            return self.poll_write_through(cx, data);
        }
        loop {
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            let reading = matches!(&self.busy, Some(b) if b.kind != Kind::Flush);
            if self.wbuf.len() < self.write_size && !reading {
                break;
            }
            if self.busy.is_some() {
                ready!(self.poll_busy(cx));
                continue;
            }
            self.launch(cx, Kind::Flush, Action::Nothing, None);
            if self.busy.is_none() {
                continue; // finished at once: report its error, if any
            }
            self.next_write_buffer();
        }
        if !self.rbuf.is_empty() || !self.ahead.is_empty() {
            self.drop_read_ahead();
        }
        let room = if self.wbuf.is_empty() {
            MAX_CHUNK
        } else {
            self.write_size - self.wbuf.len()
        };
        let n = data.len().min(room);
        self.wbuf.extend_from_slice(&data[..n]);
        self.advance_by_write(n);
        if self.wbuf.len() >= self.write_size && self.busy.is_none() {
            self.launch(cx, Kind::Flush, Action::Nothing, None);
            if self.busy.is_some() {
                self.next_write_buffer();
            }
        }
        Poll::Ready(Ok(n))
    }

    /// Moves the position past `n` bytes just buffered. Appended bytes land at the end of the
    /// file, which only the OS knows: the position is then unknown until they are written (a
    /// position query writes them and asks).
    #[inline]
    fn advance_by_write(&mut self, n: usize) {
        match (&mut self.pos, self.shared.append) {
            (Some(pos), false) => *pos += n as u64,
            (pos, true) => *pos = None,
            (None, false) => {}
        }
    }

    /// A fresh write buffer while the last one is written in the background: the recycled
    /// allocation, sized for a whole buffer at once.
    fn next_write_buffer(&mut self) {
        self.wbuf = mem::take(&mut self.spare);
        self.wbuf.reserve(self.write_size);
    }

    /// `buffer_size(0)`: one job per call, done when the call returns. A call that returned
    /// `Pending` has handed its bytes over: polled again with the same buffer it returns that
    /// write's count; a different buffer first waits for it.
    fn poll_write_through(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let me = Kind::Write {
            addr: data.as_ptr() as usize,
            len: data.len(),
        };
        let chunk = &data[..data.len().min(MAX_CHUNK)];
        loop {
            // Polled again for the write in flight: same buffer, same bytes.
            let mine = matches!(
                &self.busy,
                Some(b) if b.kind == me && b.sent.as_deref() == Some(chunk)
            );
            if let Some((_, result)) = ready!(self.poll_busy(cx)) {
                if mine {
                    return Poll::Ready(match (self.write_err.take(), result) {
                        (Some(err), _) => Err(err),
                        (None, Ok(Outcome::Written(n))) => Ok(n),
                        (None, Ok(_)) => Ok(0),
                        (None, Err(err)) => Err(err),
                    });
                }
                continue;
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            self.drop_read_ahead();
            let cursor = if self.shared.append { None } else { self.pos };
            let data = Arc::from(chunk);
            self.launch(cx, me, Action::Write { data }, cursor);
        }
    }

    /// [`File::write_owned`](super::File::write_owned): hands `data` to the executor as it
    /// is, after the buffered writes, once the job in flight is done (so one write is in
    /// flight while the caller prepares the next). Accepts nothing while it returns
    /// `Pending`. Unbuffered, it returns when the bytes are written.
    pub(super) fn poll_write_owned(
        &mut self,
        cx: &mut Context<'_>,
        data: &mut Option<Bytes>,
    ) -> Poll<io::Result<()>> {
        if data.is_some() {
            if !self.shared.writable {
                return Poll::Ready(Err(self.shared.error("write", not_writable())));
            }
            ready!(self.poll_idle(cx))?;
            let data = data.take().expect("checked above");
            if data.is_empty() {
                return Poll::Ready(Ok(()));
            }
            self.drop_read_ahead();
            self.advance_by_write(data.len());
            self.launch_with(cx, Kind::Flush, Action::Nothing, None, Some(data));
            if !self.unbuffered() {
                return Poll::Ready(Ok(()));
            }
        }
        self.poll_idle(cx)
    }

    /// Writes out the buffer and waits for every write in flight.
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            // Only the write part of a job can fail a flush, and its error is in `write_err`.
            if ready!(self.poll_busy(cx)).is_some() {
                continue;
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            if self.wbuf.is_empty() {
                return Poll::Ready(Ok(()));
            }
            self.launch(cx, Kind::Other, Action::Nothing, None);
        }
    }

    // ---- seeking ----

    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        to: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            if let Some(busy) = &self.busy {
                let mine = busy.kind == Kind::Seek(to);
                let needed = mine || !matches!(busy.kind, Kind::Prefetch { .. });
                if needed {
                    let (kind, result) = ready!(self.poll_busy(cx)).expect("a job is in flight");
                    if kind == Kind::Seek(to) {
                        if let Some(err) = self.write_err.take() {
                            return Poll::Ready(Err(err));
                        }
                        return Poll::Ready(result.map(|outcome| match outcome {
                            Outcome::Pos(pos) => pos,
                            _ => unreachable!("a seek job yields a position"),
                        }));
                    }
                    continue;
                }
            }
            if let Some(done) = self.seek_without_hand_off(to) {
                return Poll::Ready(done);
            }
            if self.busy.is_some() {
                ready!(self.poll_busy(cx));
                continue;
            }
            // A hand-off: writes are pending, or the end (or the position) must be asked.
            let action = match (self.pos, to) {
                (Some(pos), SeekFrom::Current(d)) => SeekFrom::Start(pos.saturating_add_signed(d)),
                (None, SeekFrom::Current(d)) => {
                    let buffered = (self.rbuf.len() - self.rpos + self.ahead.len()) as i64;
                    SeekFrom::Current(d - buffered)
                }
                (_, other) => other,
            };
            self.drop_read_ahead();
            self.streak = 0;
            self.launch(cx, Kind::Seek(to), Action::Seek(action), None);
        }
    }

    /// A seek when nothing else is in flight but a prefetch, if it needs no hand-off: the
    /// position is known and no write is buffered (or it only asks where the file is).
    pub(super) fn seek_without_hand_off(&mut self, to: SeekFrom) -> Option<io::Result<u64>> {
        if matches!(&self.busy, Some(b) if !matches!(b.kind, Kind::Prefetch { .. })) {
            return None;
        }
        if let Some(err) = self.write_err.take() {
            return Some(Err(err));
        }
        if let (Some(pos), SeekFrom::Current(0)) = (self.pos, to) {
            // Even this seek does not reuse an end of file seen before it.
            self.eof = false;
            return Some(Ok(pos));
        }
        let target = match (self.pos, to) {
            (_, SeekFrom::Start(n)) => Some(n),
            (Some(pos), SeekFrom::Current(d)) => match pos.checked_add_signed(d) {
                Some(target) => Some(target),
                None => {
                    let err = io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "invalid seek to a negative or overflowing position",
                    );
                    return Some(Err(self.shared.error("seek in", err)));
                }
            },
            _ => None,
        };
        match target {
            Some(target) if self.wbuf.is_empty() => Some(Ok(self.seek_here(target))),
            _ => None,
        }
    }

    /// Whether a hand-off for this seek is in flight.
    #[cfg(feature = "tokio")]
    pub(super) fn seeking(&self, to: SeekFrom) -> bool {
        matches!(&self.busy, Some(b) if b.kind == Kind::Seek(to))
    }

    /// A seek that needs no hand-off: within the read buffer, or deferred to the next job,
    /// which starts with an absolute seek.
    fn seek_here(&mut self, target: u64) -> u64 {
        if let Some(pos) = self.pos {
            let start = pos - self.rpos as u64;
            if target >= start && target <= start + self.rbuf.len() as u64 {
                self.rpos = (target - start) as usize;
                self.pos = Some(target);
                // An end of file seen before is not reused: the next read past the buffer
                // asks the OS again.
                self.eof = false;
                return target;
            }
        }
        self.drop_read_ahead();
        self.streak = 0;
        if self.buffering == Buffering::Adaptive {
            self.read_size = READ_START;
        }
        self.pos = Some(target);
        target
    }

    // ---- owned-buffer reads (`File::chunks`) ----

    /// The read-ahead buffered at the position, taken out of the buffer; the position stays
    /// (the caller [`advance`](Self::advance)s it as it hands the bytes out). Call when idle.
    pub(super) fn take_read_ahead(&mut self) -> Vec<u8> {
        debug_assert!(self.busy.is_none());
        self.drop_stale();
        let mut data = mem::take(&mut self.rbuf);
        if self.rpos > 0 {
            data.drain(..self.rpos);
        }
        data.append(&mut self.ahead);
        self.rpos = 0;
        self.eof = false;
        data
    }

    /// Moves the position past `n` bytes read at it without the buffer (`pread`, which
    /// leaves the OS cursor where it was).
    pub(super) fn advance(&mut self, n: usize) {
        if let Some(pos) = &mut self.pos {
            *pos += n as u64;
        }
    }

    /// Takes back bytes read at the position, as read-ahead; `version` is when they were
    /// read. Dropped if the buffer holds something already.
    pub(super) fn give_back(&mut self, data: Vec<u8>, version: u64) {
        if self.busy.is_none() && self.rpos == self.rbuf.len() && self.ahead.is_empty() {
            let old = mem::replace(&mut self.rbuf, data);
            self.recycle(old);
            self.rpos = 0;
            self.seen = version;
            self.streak = 1;
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
                &(self.rbuf.len() - self.rpos + self.ahead.len()),
            )
            .field("buffered_write", &self.wbuf.len())
            .field("busy", &self.busy.as_ref().map(|b| b.kind))
            .finish()
    }
}
