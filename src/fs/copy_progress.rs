use std::collections::VecDeque;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};

use futures_core::{FusedStream, Stream};

use crate::error::Context as _;
use crate::error::{self, Operation};
use crate::executor::batch::{Batches, Source};
use crate::executor::{Blocking, Executor};

/// Bytes copied per hand-off (the last chunk may be shorter).
const CHUNK: u64 = 8 * 1024 * 1024;
/// The buffer of the read/write fallback, allocated on first use.
const FALLBACK_BUF: usize = 1024 * 1024;

/// Copies the contents and permissions of one file to another in chunks, reporting the bytes
/// copied so far after each: [`copy`](super::copy) for copies that take long enough to want a
/// progress bar, or to be stopped.
///
/// The returned [`CopyProgress`] is a [`Stream`]: nothing happens until it is polled. Each
/// hand-off to the executor copies at least 8 MiB (less only at the end) and yields the
/// total copied so far; the last item equals the file's size, and an empty file yields
/// exactly one item, `0`. Where the OS has it (Linux), the bytes go through
/// `copy_file_range(2)`, so they never enter this process (and filesystems that can share
/// extents, like btrfs or XFS, may not copy them at all); elsewhere, or where the kernel
/// refuses (`EXDEV`, `ENOSYS`, `EINVAL`, ...), each chunk is read and written.
///
/// The destination is created, or truncated, with the source's permissions, as
/// [`std::fs::copy`] does. The source is never changed: a destination that is the source
/// itself (the same path, a hard link, a symlink to it) is an error, found before anything is
/// truncated. [`copy`](super::copy) stays one hand-off in all.
///
/// # Errors
///
/// An `Err` item, after which the stream ends: as [`std::fs::copy`] (a missing source is
/// [`NotFound`](io::ErrorKind::NotFound), and no destination is created), or
/// [`InvalidInput`](io::ErrorKind::InvalidInput) when the source is not a regular file or is
/// the destination. Messages name both paths: ``failed to copy `a` to `b`: ...``. A copy that
/// fails after the destination was created removes the partial destination.
///
/// # Cancel safety
///
/// Dropping the stream before its last item stops the copy after the chunk in flight and
/// removes the partial destination, before the drop returns: nothing is left behind even when
/// the process exits right after. See [`CopyProgress`].
///
/// # Examples
///
/// ```
/// use futures::TryStreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (from, to) = (dir.path().join("big.bin"), dir.path().join("copy.bin"));
/// std::fs::write(&from, vec![7u8; 20 << 20])?; // 20 MiB
///
/// let progress: Vec<u64> = aiofiles::fs::copy_with_progress(&from, &to).try_collect().await?;
/// assert_eq!(progress, [8 << 20, 16 << 20, 20 << 20]);
/// assert_eq!(std::fs::read(&to)?, std::fs::read(&from)?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn copy_with_progress<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> CopyProgress {
    let from: Arc<Path> = Arc::from(from.as_ref());
    let to: Arc<Path> = Arc::from(to.as_ref());
    let dest = Arc::new(Dest {
        path: Arc::clone(&to),
        state: Mutex::new(DestState::default()),
    });
    CopyProgress {
        batches: Batches::new(Copying {
            from: Arc::clone(&from),
            to: Arc::clone(&to),
            dest: Arc::clone(&dest),
            files: None,
        }),
        exec: Blocking,
        from,
        to,
        guard: Discard(dest),
        copied: 0,
    }
}

/// A copy in progress, a [`Stream`] of the bytes copied so far, returned by
/// [`copy_with_progress`].
///
/// Items strictly increase, one per hand-off of at least 8 MiB; the last equals the size of
/// the source, and a copy of `n` bytes yields at most `ceil(n / 8 MiB) + 1` items (one, `0`,
/// for an empty file). The last item is only yielded once the whole copy is done: from then
/// on the destination is complete and stays, whether or not the stream is polled to its end.
///
/// # Errors
///
/// See [`copy_with_progress`]: an `Err` item ends the stream, and a partial destination is
/// removed.
///
/// # Cancel safety
///
/// Polling for the next item and dropping that future loses nothing: the chunk in flight
/// comes out of the next poll. Dropping the stream itself before its last item cancels the
/// copy:
///
/// - the destination is removed by the dropping thread, with one `unlink`, before the drop
///   returns, so that it is gone even if the process exits right after (work left to an
///   executor dies with the process). If the first hand-off is creating the destination at
///   that moment, the drop waits for that one `open(2)` to return; it never waits for an
///   executor's queue, nor for a chunk being copied.
/// - a chunk being copied stops at its next system call (it writes into the unlinked file,
///   which the OS frees when the job closes it), and no further chunk is started; a hand-off
///   still queued on the executor does nothing when it runs.
///
/// A copy whose last item was produced is complete: dropping the stream then keeps the
/// destination.
///
/// # Examples
///
/// ```
/// use aiofiles::Inline;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let (from, to) = (dir.path().join("a"), dir.path().join("b"));
/// std::fs::write(&from, vec![1u8; 40 << 20])?; // 40 MiB
///
/// let mut copy = aiofiles::fs::copy_with_progress(&from, &to).on(Inline);
/// assert_eq!(copy.next().await.transpose()?, Some(8 << 20));
/// drop(copy); // stops, and removes the partial copy
/// assert!(!to.exists());
///
/// let last = aiofiles::fs::copy_with_progress(&from, &to).fold(0, |_, n| async { n.unwrap() }).await;
/// assert_eq!(last, 40 << 20);
/// assert_eq!(std::fs::metadata(&to)?.len(), 40 << 20);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct CopyProgress<E: Executor = Blocking> {
    batches: Batches<Copying, E>,
    exec: E,
    from: Arc<Path>,
    to: Arc<Path>,
    guard: Discard,
    /// The last item yielded.
    copied: u64,
}

// `E` is never pinned: the stream only ever hands out clones of it.
impl<E: Executor> Unpin for CopyProgress<E> {}

impl<E: Executor> CopyProgress<E> {
    /// Binds the copy to `exec`: every chunk is copied there.
    ///
    /// # Panics
    ///
    /// If the stream was already polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let (from, to) = (dir.path().join("a"), dir.path().join("b"));
    /// std::fs::write(&from, "12345")?;
    /// let progress: Vec<u64> = aiofiles::fs::copy_with_progress(&from, &to)
    ///     .on(Limit::new(Blocking, 1))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(progress, [5]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> CopyProgress<E2> {
        CopyProgress {
            batches: Batches::new(self.batches.into_unstarted("CopyProgress::on", "copy")),
            exec,
            from: self.from,
            to: self.to,
            guard: self.guard,
            copied: 0,
        }
    }

    /// The executor the chunks are copied on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Inline;
    ///
    /// assert_eq!(*aiofiles::fs::copy_with_progress("a", "b").on(Inline).executor(), Inline);
    /// ```
    pub fn executor(&self) -> &E {
        &self.exec
    }
}

impl<E: Executor> Stream for CopyProgress<E> {
    type Item = io::Result<u64>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Err(e) = ready!(this.batches.poll_fill(&this.exec, cx)) {
            // The job removed what it created; an executor that lost the job did not.
            this.guard.0.discard();
            return Poll::Ready(Some(Err(e)));
        }
        let item = this.batches.pop();
        if let Some(copied) = item {
            this.copied = copied;
        }
        Poll::Ready(item.map(Ok))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.batches.size_hint()
    }
}

impl<E: Executor> FusedStream for CopyProgress<E> {
    fn is_terminated(&self) -> bool {
        self.batches.is_done()
    }
}

impl<E: Executor> fmt::Debug for CopyProgress<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopyProgress")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("state", &self.batches.phase())
            .field("copied", &self.copied)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// The destination, shared by the stream and its jobs

/// The destination path, and who may still remove it.
struct Dest {
    path: Arc<Path>,
    state: Mutex<DestState>,
}

#[derive(Default)]
struct DestState {
    /// The destination is a regular file this copy created or truncated: removed if the copy
    /// does not complete.
    ours: bool,
    /// The stream is gone or failed: jobs stop, and create nothing.
    cancelled: bool,
    /// The whole source was copied: the destination stays.
    complete: bool,
}

impl Dest {
    fn state(&self) -> MutexGuard<'_, DestState> {
        // Three flags, consistent at every unlock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// The copy is done: the destination stays. `false` if it was cancelled first.
    fn complete(&self) -> bool {
        let mut state = self.state();
        if !state.cancelled {
            state.complete = true;
        }
        !state.cancelled
    }

    /// Stops the copy unless it is complete, and removes the destination if this copy made
    /// it: one `unlink`, on the calling thread, under the lock that creating it takes.
    fn discard(&self) {
        let mut state = self.state();
        if state.complete {
            return;
        }
        state.cancelled = true;
        if std::mem::take(&mut state.ours) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Discards the copy when the stream is dropped (see [`CopyProgress`]); a separate field so
/// that [`CopyProgress::on`] can move it.
struct Discard(Arc<Dest>);

impl Drop for Discard {
    fn drop(&mut self) {
        self.0.discard();
    }
}

// ---------------------------------------------------------------------------------------------
// What runs on the executor

/// The copy as it travels to the executor and back: opened by the first hand-off.
struct Copying {
    from: Arc<Path>,
    to: Arc<Path>,
    dest: Arc<Dest>,
    files: Option<Files>,
}

struct Files {
    reader: fs::File,
    writer: fs::File,
    /// The source's length when it was opened.
    len: u64,
    copied: u64,
    /// `copy_file_range` is worth trying.
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    kernel: bool,
    buf: Vec<u8>,
}

/// How a hand-off ended.
enum Step {
    More,
    Done,
    Cancelled,
}

impl Source for Copying {
    type Item = u64;

    fn fill(mut self, items: &mut VecDeque<u64>) -> io::Result<Option<Self>> {
        match self.step() {
            Ok(Step::More) => {
                items.push_back(self.copied());
                Ok(Some(self))
            }
            Ok(Step::Done) => {
                if self.dest.complete() {
                    items.push_back(self.copied());
                }
                Ok(None)
            }
            Ok(Step::Cancelled) => Ok(None),
            Err(e) => {
                drop(self.files.take());
                self.dest.discard();
                Err(e).at2(Operation::Copy, &self.from, &self.to)
            }
        }
    }
}

impl Copying {
    fn copied(&self) -> u64 {
        self.files.as_ref().map_or(0, |files| files.copied)
    }

    /// Copies one chunk, opening both files first if this is the first hand-off.
    fn step(&mut self) -> io::Result<Step> {
        let files = match &mut self.files {
            Some(files) => files,
            None => match self.open()? {
                Some(files) => self.files.insert(files),
                None => return Ok(Step::Cancelled),
            },
        };
        files.chunk(&self.dest)
    }

    /// Opens the source, then creates the destination with its permissions, as std does;
    /// `None` if the copy was cancelled first.
    fn open(&self) -> io::Result<Option<Files>> {
        let reader = fs::File::open(&self.from)?;
        let meta = reader.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the source path is neither a regular file nor a symlink to a regular file",
            ));
        }
        let perm = meta.permissions();
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            options.mode(perm.mode());
        }
        // A destination that is a device or a FIFO is opened as std opens it (a FIFO waits
        // for a reader), and never removed: nothing to coordinate with a drop.
        if fs::metadata(&self.to).is_ok_and(|to| !to.is_file()) {
            let writer = options.open(&self.to)?;
            return Ok((!self.dest.cancelled()).then(|| Files::new(reader, writer, meta.len())));
        }
        // A regular file, or none yet: created under the lock a drop takes to remove it, so
        // that a drop either prevents the creation or removes what it made. `O_NONBLOCK`
        // keeps the open from waiting, should the path have become a FIFO meanwhile.
        let mut state = self.dest.state();
        if state.cancelled {
            return Ok(None);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
        }
        let writer = options.open(&self.to)?;
        let to = writer.metadata()?;
        if same_file(&meta, &to) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the source and the destination are the same file",
            ));
        }
        state.ours = to.is_file();
        drop(state);
        #[cfg(unix)]
        {
            let flags = rustix::fs::fcntl_getfl(&writer)?;
            rustix::fs::fcntl_setfl(&writer, flags - rustix::fs::OFlags::NONBLOCK)?;
        }
        if to.is_file() {
            // Only a file that has contents is truncated: on ext4, truncating a file (even an
            // empty one) marks it to be written out on close, which makes the close wait for
            // the whole copy to reach the disk (86 ms for 256 MiB here). std's `O_TRUNC` does
            // not truncate a file the open created.
            if to.len() != 0 {
                writer.set_len(0)?;
            }
            writer.set_permissions(perm)?;
        }
        Ok(Some(Files::new(reader, writer, meta.len())))
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

impl Files {
    fn new(reader: fs::File, writer: fs::File, len: u64) -> Self {
        Files {
            reader,
            writer,
            len,
            copied: 0,
            kernel: cfg!(any(target_os = "linux", target_os = "android")),
            buf: Vec::new(),
        }
    }

    /// Copies up to one chunk; stops early at the end of the source, or when the copy is
    /// cancelled.
    fn chunk(&mut self, dest: &Dest) -> io::Result<Step> {
        let mut in_chunk = 0;
        loop {
            if dest.cancelled() {
                return Ok(Step::Cancelled);
            }
            if in_chunk >= CHUNK && self.copied < self.len {
                return Ok(Step::More);
            }
            // A full chunk that reached the length the source had goes on with one more call:
            // it tells the end of the file from a file that grew, so that the item of this
            // hand-off is known to be the last one when it is.
            let reached = in_chunk >= CHUNK;
            let n = self.copy_some(CHUNK)?;
            if n == 0 {
                return Ok(Step::Done);
            }
            self.copied += n;
            in_chunk += n;
            if reached {
                return Ok(Step::More);
            }
        }
    }

    /// Copies up to `max` bytes at the cursors; 0 at the end of the source.
    fn copy_some(&mut self, max: u64) -> io::Result<u64> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        while self.kernel {
            use rustix::io::Errno;
            let len = usize::try_from(max).unwrap_or(usize::MAX);
            match rustix::fs::copy_file_range(&self.reader, None, &self.writer, None, len) {
                // Files that report no size (procfs and the like) copy nothing this way: a
                // 0 before the known end, or as the first answer, is checked with a read.
                Ok(0) if self.copied < self.len || self.copied == 0 => self.kernel = false,
                Ok(n) => return Ok(n as u64),
                Err(Errno::INTR) => {}
                // As std's kernel copy: no such call, another filesystem, files it cannot
                // handle, a seccomp filter: read and write instead.
                Err(
                    Errno::NOSYS
                    | Errno::XDEV
                    | Errno::INVAL
                    | Errno::PERM
                    | Errno::OPNOTSUPP
                    | Errno::BADF,
                ) => self.kernel = false,
                Err(e) => return Err(e.into()),
            }
        }
        if self.buf.is_empty() {
            self.buf = vec![0; FALLBACK_BUF];
        }
        let want = usize::try_from(max)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        let n = error::retry(|| self.reader.read(&mut self.buf[..want]))?;
        self.writer.write_all(&self.buf[..n])?;
        Ok(n as u64)
    }
}
