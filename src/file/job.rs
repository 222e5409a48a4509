//! What runs on the executor for a [`File`](super::File), and what it hands back.
//!
//! A job does, in one hand-off: an optional absolute seek, the buffered writes, then one
//! [`Action`] (read a chunk, seek, set the length, sync, ...), and finally it reads back the OS
//! cursor. Its work waits in the file's [`Tail`] until a pool thread starts it, so that a file
//! dropped meanwhile can take the work back ([`Shared::settle`]). The caller side, which
//! decides what to ask and applies what comes back, is [`state`](super::state).

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use bytes::Bytes;

use crate::error::{self, retry, Operation};
use crate::executor::{Private, Work};

/// What a file's handle and its jobs share.
pub(super) struct Shared {
    pub(super) file: fs::File,
    pub(super) path: Option<Box<Path>>,
    /// Opened for appending: writes land at the end, wherever the cursor is.
    pub(super) append: bool,
    /// Opened for writing: buffered writes to a read-only file fail at once, not at the flush.
    pub(super) writable: bool,
    /// Counts writes through this descriptor and its clones (`try_clone`): read-ahead taken
    /// before the count last moved may be stale.
    changes: Arc<AtomicU64>,
    /// Held by every job for its seek and its reads or writes, and shared with the clones
    /// (`try_clone`), which share the OS cursor: a clone's job cannot move the cursor between
    /// this one's seek and its read or write.
    cursor: Arc<Mutex<()>>,
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
    /// The job in flight (queued or running) writes an owned buffer and nothing after it,
    /// and takes one more ([`Shared::offer`]) until it finds the slot empty.
    accepting: bool,
    /// The next owned buffer, handed to the job in flight before it is done with the last
    /// one: the writes go on without a hand-off between them.
    more: Option<Bytes>,
    /// The caller waiting for `more` to be free.
    more_waker: Option<Waker>,
}

/// What a job does: first an optional absolute seek, then the buffered writes, then one
/// action.
pub(super) struct Pending {
    pub(super) seek: Option<u64>,
    pub(super) write: Vec<u8>,
    /// An owned buffer written after `write`, as it is
    /// ([`File::write_owned`](super::File::write_owned)), and then whatever
    /// [`Shared::offer`] hands the job.
    pub(super) owned: Option<Bytes>,
    pub(super) action: Action,
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
            cursor: Arc::default(),
            tail: Mutex::new(Tail::default()),
            finished: Condvar::new(),
        })
    }

    /// Queues `pending` for the job the caller is about to hand to the executor. One job at
    /// most is in flight per file.
    pub(super) fn hand_off(self: &Arc<Self>, pending: Pending) -> Job {
        let mut tail = self.tail();
        debug_assert!(tail.queued.is_none() && tail.running.is_none());
        tail.accepting = pending.owned.is_some() && matches!(pending.action, Action::Nothing);
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

    /// Hands `data` to the job in flight (queued or running), to write after its owned
    /// buffer, when it takes one more and has none yet. Otherwise gives it back; when the
    /// slot is taken, `waker` is woken once it is free. Nothing must be buffered to write
    /// before `data`.
    pub(super) fn offer(&self, data: Bytes, waker: &Waker) -> Result<(), Bytes> {
        let mut tail = self.tail();
        if !tail.accepting {
            return Err(data);
        }
        if tail.more.is_some() {
            tail.more_waker = Some(waker.clone());
            return Err(data);
        }
        tail.more = Some(data);
        Ok(())
    }

    /// The next buffer offered to the job, or `None`, after which it takes no more.
    /// After a failed write (`failed`) it takes what it was offered already and no more, so
    /// that the error reaches the caller's next call.
    fn take_more(&self, failed: bool) -> Option<Bytes> {
        let mut tail = self.tail();
        let more = tail.more.take();
        if more.is_none() || failed {
            tail.accepting = false;
        }
        let waker = tail.more_waker.take();
        drop(tail);
        if let Some(waker) = waker {
            waker.wake();
        }
        more
    }

    /// Finishes the work of a file that is gone (dropped, or its `close` future dropped), on
    /// the dropping thread, and then writes `rest` (the bytes it still buffered): a queued job
    /// no pool thread has started is taken back and done here; a running one is waited for
    /// when it changes the file or `rest` must land after it. So nothing is lost when the
    /// process exits right after, and the dropping thread never waits for an executor's queue.
    /// Errors cannot be reported; `close` is how to see them.
    pub(super) fn settle(&self, rest: Option<Pending>) {
        let (queued, more) = {
            let mut tail = self.tail();
            let queued = tail.queued.take();
            // A queued job's next buffer goes with it; a running job writes its own.
            let more = match queued {
                Some(_) => tail.more.take(),
                None => None,
            };
            if queued.is_some() {
                tail.accepting = false;
            }
            while matches!(tail.running, Some(changes) if changes || rest.is_some()) {
                tail = self
                    .finished
                    .wait(tail)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            (queued, more)
        };
        let more = more.map(|owned| Pending {
            seek: None,
            write: Vec::new(),
            owned: Some(owned),
            action: Action::Nothing,
        });
        for pending in queued.into_iter().chain(more).chain(rest) {
            pending.run_here(self);
        }
    }

    /// The executor lost the job unrun: it is nobody's any more.
    pub(super) fn forget(&self) {
        let mut tail = self.tail();
        tail.queued = None;
        tail.running = None;
        tail.accepting = false;
        tail.more = None;
    }

    /// Records a write (or a length change) through the descriptor: read-ahead filled before
    /// it is dropped at its next use. Called when a write is issued and again when it is done,
    /// so that neither bytes buffered before the write nor bytes read while it ran survive it.
    pub(super) fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    /// Shares `original`'s write count and cursor lock (this descriptor duplicates its): each
    /// sees the other's writes, and their jobs take turns with the one OS cursor.
    pub(super) fn share_with_clone(&mut self, original: &Shared) {
        self.changes = Arc::clone(&original.changes);
        self.cursor = Arc::clone(&original.cursor);
    }

    /// The OS cursor, for one job's seek and its reads or writes.
    fn cursor(&self) -> MutexGuard<'_, ()> {
        self.cursor.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads up to `len` bytes at `offset` (`pread`, the cursor untouched): short only at the
    /// end of the file.
    pub(super) fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.read_into(Vec::new(), Some(offset), len)
    }

    /// Reads up to `len` bytes into `buf` (cleared first, its allocation reused): at `offset`
    /// (`pread`, the cursor untouched), or at the cursor when `None`. Short only at the end of
    /// the file.
    pub(super) fn read_into(
        &self,
        mut buf: Vec<u8>,
        offset: Option<u64>,
        len: usize,
    ) -> io::Result<Vec<u8>> {
        let Some(offset) = offset else {
            let _cursor = self.cursor();
            return self.read_at_cursor(buf, len);
        };
        buf.clear();
        buf.reserve_exact(len);
        // Into the buffer's spare capacity: no zeroing of memory the read overwrites.
        #[cfg(unix)]
        {
            while buf.len() < len {
                let at = offset + buf.len() as u64;
                let read = retry(|| {
                    let spare = rustix::buffer::spare_capacity(&mut buf);
                    rustix::io::pread(&self.file, spare, at).map_err(io::Error::from)
                });
                match read {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Err(self.error(Operation::Read, e)),
                }
            }
            // The allocation may hold more than asked for, and a read may have filled it.
            buf.truncate(len);
            Ok(buf)
        }
        #[cfg(windows)]
        {
            use std::os::windows::fs::FileExt;
            buf.resize(len, 0);
            let mut filled = 0;
            while filled < len {
                let at = offset + filled as u64;
                match retry(|| self.file.seek_read(&mut buf[filled..], at)) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => return Err(self.error(Operation::Read, e)),
                }
            }
            buf.truncate(filled);
            Ok(buf)
        }
    }

    /// Reads up to `len` bytes at the OS cursor into `buf` (cleared first), for a job that
    /// holds the cursor: short only at the end of the file.
    fn read_at_cursor(&self, mut buf: Vec<u8>, len: usize) -> io::Result<Vec<u8>> {
        buf.clear();
        buf.reserve_exact(len);
        // `read_to_end` goes on after `Interrupted` by itself.
        (&self.file)
            .take(len as u64)
            .read_to_end(&mut buf)
            .map_err(|e| self.error(Operation::Read, e))?;
        Ok(buf)
    }

    /// How many writes went through the descriptor and its clones so far.
    pub(super) fn version(&self) -> u64 {
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
    pub(super) fn error(&self, op: Operation, err: io::Error) -> io::Error {
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
    /// Set the access and modification times (`futimens`).
    SetTimes(fs::FileTimes),
    /// Duplicate the descriptor.
    Dup,
}

/// What the action produced: the variant follows the action's (the caller side turns it
/// into a typed answer in one place, `Core::finish`).
pub(super) enum Outcome {
    Nothing,
    /// Bytes read (`Read`, `ReadToEnd`).
    Data(Vec<u8>),
    /// Bytes written (`Write`).
    Written(usize),
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
        let mut tail = self.0.tail();
        tail.running = None;
        // Already clear at a normal end (the last `take_more` found nothing); when the job
        // unwinds, a buffer offered and not taken dies with its panic.
        tail.accepting = false;
        tail.more = None;
        let waker = tail.more_waker.take();
        drop(tail);
        self.0.finished.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A finished job. Never an `Err` as a whole: the write part's buffer comes back either way.
pub(super) struct Done {
    /// Emptied on success; on a failed write, the bytes that were not written.
    pub(super) write: Vec<u8>,
    pub(super) write_err: Option<io::Error>,
    pub(super) result: io::Result<Outcome>,
    /// The OS cursor after the job, when it could be read.
    pub(super) os: Option<u64>,
    /// Appending: the end of the file just after the job's writes.
    pub(super) appended_to: Option<u64>,
    /// [`Shared::version`] before the action: what it read was current then.
    pub(super) version: u64,
}

impl Work for Job {
    type Output = Done;

    fn run(self, _: Private) -> io::Result<Done> {
        let shared = self.shared;
        let Some(Pending {
            seek,
            mut write,
            owned,
            action,
        }) = shared.start()
        else {
            return Err(io::Error::other("the job was done by the file's drop"));
        };
        let running = Running(&shared);
        let cursor = shared.cursor();
        let mut file = &shared.file;
        let mut write_err = None;
        let buffered = !write.is_empty() || owned.as_ref().is_some_and(|o| !o.is_empty());
        let wrote = buffered || matches!(action, Action::Write { .. });
        let appending = shared.append && buffered;
        if let Some(to) = seek {
            if let Err(e) = file.seek(SeekFrom::Start(to)) {
                write_err = Some(shared.error(Operation::Seek, e));
            }
        }
        if write_err.is_none() && !write.is_empty() {
            let written;
            (written, write_err) = write_out(&shared, &write);
            write.drain(..written);
            shared.changed();
        }
        let mut owned = owned;
        while let Some(buf) = owned {
            // Bytes not written go back with the buffered ones: a failed write loses nothing.
            let written = match write_err {
                Some(_) => 0,
                None => {
                    let written;
                    (written, write_err) = write_out(&shared, &buf);
                    shared.changed();
                    written
                }
            };
            write.extend_from_slice(&buf[written..]);
            owned = shared.take_more(write_err.is_some());
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
        drop(cursor);
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
        Action::Read { buf, len } => Outcome::Data(shared.read_at_cursor(buf, len)?),
        Action::ReadToEnd { mut buf } => {
            // Sized from the metadata in this same hand-off.
            let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
            let here = file.stream_position().unwrap_or(0);
            buf.reserve(hint.saturating_sub(here) as usize);
            file.read_to_end(&mut buf)
                .map_err(|e| shared.error(Operation::Read, e))?;
            Outcome::Data(buf)
        }
        Action::Write { data } => {
            let written = retry(|| file.write(&data));
            shared.changed();
            Outcome::Written(written.map_err(|e| shared.error(Operation::Write, e))?)
        }
        Action::Seek(to) => Outcome::Pos(
            file.seek(to)
                .map_err(|e| shared.error(Operation::Seek, e))?,
        ),
        Action::SetLen(len) => {
            let set = shared.file.set_len(len);
            shared.changed();
            set.map_err(|e| shared.error(Operation::SetLen, e))?;
            Outcome::Nothing
        }
        Action::SyncAll => {
            shared
                .file
                .sync_all()
                .map_err(|e| shared.error(Operation::Sync, e))?;
            Outcome::Nothing
        }
        Action::SyncData => {
            shared
                .file
                .sync_data()
                .map_err(|e| shared.error(Operation::Sync, e))?;
            Outcome::Nothing
        }
        Action::SetTimes(times) => {
            shared
                .file
                .set_times(times)
                .map_err(|e| shared.error(Operation::SetTimes, e))?;
            Outcome::Nothing
        }
        Action::Dup => Outcome::File(
            shared
                .file
                .try_clone()
                .map_err(|e| shared.error(Operation::Clone, e))?,
        ),
    })
}

/// Writes all of `data` at the cursor: how much was written, and the error that stopped it.
fn write_out(shared: &Shared, data: &[u8]) -> (usize, Option<io::Error>) {
    let mut file = &shared.file;
    let mut written = 0;
    while written < data.len() {
        match retry(|| file.write(&data[written..])) {
            Ok(0) => {
                return (
                    written,
                    Some(shared.error(Operation::Write, io::ErrorKind::WriteZero.into())),
                )
            }
            Ok(n) => written += n,
            Err(e) => return (written, Some(shared.error(Operation::Write, e))),
        }
    }
    (written, None)
}

impl Pending {
    fn changes_file(&self) -> bool {
        !self.write.is_empty()
            || self.owned.is_some()
            || matches!(
                self.action,
                Action::Write { .. }
                    | Action::SetLen(_)
                    | Action::SyncAll
                    | Action::SyncData
                    | Action::SetTimes(_)
            )
    }

    /// Does on the dropping thread what changes the file: the seek, the writes, and an action
    /// that writes, sets the length or the times, or syncs. Reads, seeks and duplicates are
    /// nobody's business once the file is gone. Stops at the first error.
    fn run_here(self, shared: &Shared) {
        let _cursor = shared.cursor();
        let mut file = &shared.file;
        let done = (|| {
            if let Some(to) = self.seek {
                file.seek(SeekFrom::Start(to))?;
            }
            file.write_all(&self.write)?;
            if let Some(owned) = &self.owned {
                file.write_all(owned)?;
            }
            match self.action {
                Action::Write { data } => file.write_all(&data),
                Action::SetLen(len) => file.set_len(len),
                Action::SyncAll => file.sync_all(),
                Action::SyncData => file.sync_data(),
                Action::SetTimes(times) => file.set_times(times),
                _ => Ok(()),
            }
        })();
        let _ = done;
        shared.changed();
    }
}
