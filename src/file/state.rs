//! The buffer and in-flight machine behind [`File`](super::File).
//!
//! One blocking job at most is in flight per file. A job is built from the file's state and
//! runs on the executor with the shared `std::fs::File`: first an optional absolute seek, then
//! the pending buffered writes, then one action (read a chunk, seek, set the length, sync, ...),
//! and finally it reads back the OS cursor. So a read after writes, a seek after writes, or a
//! sync after writes each cost one hand-off.
//!
//! Positions are absolute: `pos` is the logical position the user sees, `os` the OS cursor as
//! the last job left it. Read-ahead lives in `rbuf` (with `ahead`, a prefetched chunk that
//! follows it), pending writes in `wbuf`; the two are never both non-empty. A job whose caller
//! went away (a dropped future) is finished by whichever call comes next, and its effects are
//! applied exactly as if the caller had stayed.

use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::mem;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{ready, Context, Poll};

use crate::error;
use crate::executor::{Executor, Op, Work};

/// First read-ahead of a default-buffered file: small, so that opening many files and reading
/// a little of each stays cheap.
pub(super) const READ_START: usize = 8 * 1024;
/// First write-behind buffer of a default-buffered file.
const WRITE_START: usize = 64 * 1024;
/// Largest read-ahead or write-behind buffer the adaptive policy grows to.
const MAX_BUF: usize = 2 * 1024 * 1024;
/// Largest transfer one read or write call hands to the executor.
pub(super) const MAX_CHUNK: usize = 2 * 1024 * 1024;

/// What a file's handle and its jobs share.
pub(super) struct Shared {
    pub(super) file: fs::File,
    pub(super) path: Option<Box<Path>>,
    /// Opened for appending: writes land at the end, wherever the cursor is.
    append: bool,
    /// Opened for writing: buffered writes to a read-only file fail at once, not at the flush.
    writable: bool,
    /// Counts writes through this descriptor and its clones (`try_clone`): read-ahead taken
    /// before the count last moved may be stale.
    changes: Arc<AtomicU64>,
    tail: Mutex<Tail>,
    /// Signalled when a running job finishes.
    finished: Condvar,
}

/// Where a file's job waits between its launch and the moment a pool thread starts it, so
/// that a file dropped meanwhile can take it back and do its writes on the dropping thread
/// ([`Shared::settle`]): work left in an executor's queue dies with the process when `main`
/// returns, work done by the dropping thread does not.
#[derive(Default)]
struct Tail {
    /// The job launched and not started yet.
    queued: Option<Pending>,
    /// A job is running on a pool thread: `Some(true)` when it changes the file (writes, a
    /// length, a sync), which a drop then waits for.
    running: Option<bool>,
}

/// What a job does: first an optional absolute seek, then the buffered writes, then one
/// action.
pub(super) struct Pending {
    seek: Option<u64>,
    write: Vec<u8>,
    action: Action,
}

impl Shared {
    pub(super) fn new(
        file: fs::File,
        path: Option<Box<Path>>,
        append: bool,
        writable: bool,
    ) -> Arc<Self> {
        Arc::new(Shared {
            file,
            path,
            append,
            writable,
            changes: Arc::default(),
            tail: Mutex::new(Tail::default()),
            finished: Condvar::new(),
        })
    }

    /// Queues `pending` for the job the caller is about to hand to the executor. One job at
    /// most is in flight per file.
    fn hand_off(self: &Arc<Self>, pending: Pending) -> Job {
        let mut tail = self.tail();
        debug_assert!(tail.queued.is_none() && tail.running.is_none());
        tail.queued = Some(pending);
        Job {
            shared: Arc::clone(self),
        }
    }

    /// A pool thread starts the queued job: `None` when a drop took it back.
    fn start(&self) -> Option<Pending> {
        let mut tail = self.tail();
        let pending = tail.queued.take()?;
        tail.running = Some(pending.changes_file());
        Some(pending)
    }

    /// Finishes the work of a file that is gone (dropped, or its `close` future dropped), on
    /// the dropping thread, and then writes `rest` (the bytes it still buffered): a queued job
    /// no pool thread has started is taken back and done here; a running one is waited for
    /// when it changes the file or `rest` must land after it. So nothing is lost when the
    /// process exits right after, and the dropping thread never waits for an executor's queue.
    /// Errors cannot be reported; `close` is how to see them.
    pub(super) fn settle(&self, rest: Option<Pending>) {
        let queued = {
            let mut tail = self.tail();
            let queued = tail.queued.take();
            while matches!(tail.running, Some(changes) if changes || rest.is_some()) {
                tail = self
                    .finished
                    .wait(tail)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            queued
        };
        for pending in queued.into_iter().chain(rest) {
            pending.run_here(self);
        }
    }

    /// The executor lost the job unrun: it is nobody's any more.
    fn forget(&self) {
        let mut tail = self.tail();
        tail.queued = None;
        tail.running = None;
    }

    /// Records a write (or a length change) through the descriptor: read-ahead filled before
    /// it is dropped at its next use. Called when a write is issued and again when it is done,
    /// so that neither bytes buffered before the write nor bytes read while it ran survive it.
    pub(super) fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    /// How many writes went through the descriptor and its clones so far.
    fn version(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    fn tail(&self) -> MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The descriptor, once no job holds it any more.
    pub(super) fn into_file(self) -> fs::File {
        self.file
    }

    /// `err` with the operation and the file's path, when it has one.
    pub(super) fn error(&self, op: &'static str, err: io::Error) -> io::Error {
        match &self.path {
            Some(path) => error::path(op, path, err),
            None => err,
        }
    }
}

/// The one thing a job does after its writes.
pub(super) enum Action {
    /// Nothing more (a flush, or moving the OS cursor to `pos`).
    Nothing,
    /// Read up to `len` bytes at the cursor into `buf` (cleared first).
    Read {
        buf: Vec<u8>,
        len: usize,
    },
    /// Read everything from the cursor to the end, appending to `buf`.
    ReadToEnd {
        buf: Vec<u8>,
    },
    /// Write `data` at the cursor (unbuffered writes): one `write` call.
    Write {
        data: Arc<[u8]>,
    },
    /// Move the cursor.
    Seek(SeekFrom),
    /// Set the file's length.
    SetLen(u64),
    SyncAll,
    SyncData,
    /// Duplicate the descriptor.
    Dup,
}

/// What the action produced.
pub(super) enum Outcome {
    Nothing,
    /// Bytes read (`Read`, `ReadToEnd`).
    Data(Vec<u8>),
    /// Bytes written (`Write`).
    Written(usize),
    /// Bytes a read put in the buffer: 0 at the end of the file.
    Filled(usize),
    /// New cursor position (`Seek`).
    Pos(u64),
    File(fs::File),
}

/// The work handed to the executor: it runs what is queued in the file's [`Tail`].
pub(super) struct Job {
    shared: Arc<Shared>,
}

/// Marks the end of a running job, also when it unwinds: a drop waiting for it goes on.
struct Running<'a>(&'a Shared);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.tail().running = None;
        self.0.finished.notify_all();
    }
}

/// A finished job. Never an `Err` as a whole: the write part's buffer comes back either way.
pub(super) struct Done {
    /// Emptied on success; on a failed write, the bytes that were not written.
    write: Vec<u8>,
    write_err: Option<io::Error>,
    result: io::Result<Outcome>,
    /// The OS cursor after the job, when it could be read.
    os: Option<u64>,
    /// Appending: the end of the file just after the job's writes.
    appended_to: Option<u64>,
    /// [`Shared::version`] before the action: what it read was current then.
    version: u64,
}

impl Work for Job {
    type Output = Done;

    fn run(self) -> io::Result<Done> {
        let shared = self.shared;
        let Some(Pending {
            seek,
            mut write,
            action,
        }) = shared.start()
        else {
            return Err(io::Error::other("the job was done by the file's drop"));
        };
        let running = Running(&shared);
        let mut file = &shared.file;
        let mut write_err = None;
        let wrote = !write.is_empty() || matches!(action, Action::Write { .. });
        let appending = shared.append && !write.is_empty();
        if let Some(to) = seek {
            if let Err(e) = file.seek(SeekFrom::Start(to)) {
                write_err = Some(shared.error("seek in", e));
            }
        }
        if write_err.is_none() && !write.is_empty() {
            let mut written = 0;
            while written < write.len() {
                match file.write(&write[written..]) {
                    Ok(0) => {
                        write_err = Some(shared.error("write", io::ErrorKind::WriteZero.into()));
                        break;
                    }
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        write_err = Some(shared.error("write", e));
                        break;
                    }
                }
            }
            write.drain(..written);
            shared.changed();
        }
        // Read-ahead this job brings back is as fresh as the descriptor is now.
        let version = shared.version();
        let mut appended_to = None;
        if appending {
            appended_to = file.stream_position().ok();
        }
        let result = match write_err {
            Some(_) => Err(io::ErrorKind::Other.into()), // not run: the write error stands for it
            None => run_action(&shared, action),
        };
        let os = file.stream_position().ok();
        if shared.append && wrote && appended_to.is_none() {
            appended_to = os; // an unbuffered write: nothing came after it
        }
        drop(running);
        Ok(Done {
            write,
            write_err,
            result,
            os,
            appended_to,
            version,
        })
    }
}

fn run_action(shared: &Shared, action: Action) -> io::Result<Outcome> {
    let mut file = &shared.file;
    Ok(match action {
        Action::Nothing => Outcome::Nothing,
        Action::Read { mut buf, len } => {
            buf.clear();
            buf.reserve_exact(len);
            let n = loop {
                match file.take(len as u64).read_to_end(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(shared.error("read", e)),
                    Ok(n) => break n,
                }
            };
            debug_assert_eq!(n, buf.len());
            Outcome::Data(buf)
        }
        Action::ReadToEnd { mut buf } => {
            // Sized from the metadata in this same hand-off.
            let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
            let here = file.stream_position().unwrap_or(0);
            buf.reserve(hint.saturating_sub(here) as usize);
            file.read_to_end(&mut buf)
                .map_err(|e| shared.error("read", e))?;
            Outcome::Data(buf)
        }
        Action::Write { data } => {
            let written = loop {
                match file.write(&data) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other,
                }
            };
            shared.changed();
            Outcome::Written(written.map_err(|e| shared.error("write", e))?)
        }
        Action::Seek(to) => Outcome::Pos(file.seek(to).map_err(|e| shared.error("seek in", e))?),
        Action::SetLen(len) => {
            let set = shared.file.set_len(len);
            shared.changed();
            set.map_err(|e| shared.error("set the length of", e))?;
            Outcome::Nothing
        }
        Action::SyncAll => {
            shared
                .file
                .sync_all()
                .map_err(|e| shared.error("sync", e))?;
            Outcome::Nothing
        }
        Action::SyncData => {
            shared
                .file
                .sync_data()
                .map_err(|e| shared.error("sync", e))?;
            Outcome::Nothing
        }
        Action::Dup => Outcome::File(
            shared
                .file
                .try_clone()
                .map_err(|e| shared.error("clone", e))?,
        ),
    })
}

impl Pending {
    fn changes_file(&self) -> bool {
        !self.write.is_empty()
            || matches!(
                self.action,
                Action::Write { .. } | Action::SetLen(_) | Action::SyncAll | Action::SyncData
            )
    }

    /// Does on the dropping thread what changes the file: the seek, the writes, and an action
    /// that writes, sets the length or syncs. Reads, seeks and duplicates are nobody's
    /// business once the file is gone. Stops at the first error.
    fn run_here(self, shared: &Shared) {
        let mut file = &shared.file;
        let done = (|| {
            if let Some(to) = self.seek {
                file.seek(SeekFrom::Start(to))?;
            }
            file.write_all(&self.write)?;
            match self.action {
                Action::Write { data } => file.write_all(&data),
                Action::SetLen(len) => file.set_len(len),
                Action::SyncAll => file.sync_all(),
                Action::SyncData => file.sync_data(),
                _ => Ok(()),
            }
        })();
        let _ = done;
        shared.changed();
    }
}

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
        shared.changes = Arc::clone(&original.shared.changes);
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
        debug_assert!(self.busy.is_none());
        if let (Buffering::Adaptive, Kind::Flush) = (self.buffering, kind) {
            self.write_size = (self.write_size * 2).min(MAX_BUF);
        }
        let writes = self.wbuf.len();
        let sent = match &action {
            Action::Write { data } => Some(Arc::clone(data)),
            _ => None,
        };
        let pending = self.pending(action, cursor);
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

    /// The work that writes `wbuf` (if any) at its place, then does `action`.
    fn pending(&mut self, action: Action, cursor: Option<u64>) -> Pending {
        let write = mem::take(&mut self.wbuf);
        let wanted = if write.is_empty() {
            cursor
        } else if self.shared.append {
            None
        } else {
            self.pos.map(|p| p - write.len() as u64)
        };
        let known = if self.shared_cursor { None } else { self.os };
        Pending {
            seek: wanted.filter(|&w| known != Some(w)),
            write,
            action,
        }
    }

    /// The last job of a file being closed: writes what is buffered. Call when idle; the file
    /// must then be dropped, so that the job holds the last reference to the descriptor and
    /// closes it on the executor. From here on the returned future, not the file's drop,
    /// answers for the job: dropped before the job starts, it does the writes itself.
    pub(super) fn close_job(&mut self) -> Closing<E> {
        let pending = self.pending(Action::Nothing, None);
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
        } else if self.spare.capacity() < done.write.capacity() {
            self.spare = done.write;
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
        if kind == Kind::Other {
            // read_to_end: handed to the caller, never buffered.
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

    fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() > self.spare.capacity() {
            buf.clear();
            self.spare = buf;
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
        if let Action::ReadToEnd { .. } = action {
            // Everything from `pos` on is read by the job itself.
            self.drop_read_ahead();
        }
        self.launch(cx, Kind::Other, action, cursor);
    }

    /// Waits for the job [`start`](Self::start) launched and returns its outcome.
    pub(super) fn poll_own(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Outcome>> {
        let Some((kind, result)) = ready!(self.poll_busy(cx)) else {
            // Already applied by someone else (cannot happen with `&mut` access).
            return Poll::Ready(Ok(Outcome::Nothing));
        };
        debug_assert_eq!(kind, Kind::Other);
        if let Some(err) = self.write_err.take() {
            return Poll::Ready(Err(err));
        }
        if let Ok(Outcome::Data(data)) = &result {
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
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
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

    // ---- drop ----

    /// Finishes the work of a file being dropped before `drop` returns: see
    /// [`Shared::settle`]. Costs nothing when nothing is buffered or in flight.
    pub(super) fn settle(&mut self) {
        if self.closing || (self.busy.is_none() && self.wbuf.is_empty()) {
            return;
        }
        let rest = (!self.wbuf.is_empty()).then(|| self.pending(Action::Nothing, None));
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
