//! [`File`], the async file, and how to open one.

mod chunks;
mod job;
mod lock;
mod meta;
mod open;
mod open_options;
mod positional;
mod reading;
mod state;
mod stream;
#[cfg(test)]
mod tests;
mod times;
#[cfg(feature = "tokio")]
mod tokio;

use std::borrow::Cow;
use std::fmt;
use std::fs as stdfs;
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::chunks::{Chunks, IntoChunks};
pub use self::open::Open;
pub use self::open_options::{open, OpenOptions};

use self::job::{Action, Shared};
pub(crate) use self::state::Buffering;
use self::state::Core;
use crate::error::Operation;
use crate::executor::{Blocking, Executor, Op};

/// An open file whose every blocking call runs on an executor: Python aiofiles' file object.
///
/// Opened by [`open`](crate::open) with a Python mode string, by [`File::open`] /
/// [`File::create`], or by [`OpenOptions`]. It keeps the executor it was opened on
/// ([`executor`](File::executor)) for all its operations.
///
/// `File` implements futures-io's `AsyncRead`, `AsyncBufRead`, `AsyncWrite` and
/// `AsyncSeek`, and with the `tokio` feature tokio's four traits, so the extension traits
/// (`read_exact`, `lines`, `write_all`, `copy`, ...) and codecs work on it.
///
/// # Buffering
///
/// Opening a regular file for reading also reads its first 8 KiB, in the same hand-off: a
/// small file is opened and read to the end with one hand-off in all.
///
/// Reads go through adaptive read-ahead: the first fill is 8 KiB, and once two fills in a row
/// were sequential, one reading job on the executor reads on behind the buffer, chunk after
/// chunk, while the caller consumes it: chunks of 32 KiB at first, each four times the last
/// as the caller takes them, up to 1 MiB, three of them ahead at most. A caller that keeps up
/// costs no hand-off per chunk, and the pool thread's copies from the kernel overlap the
/// caller's copies out of the buffer: reading a file in 64 KiB pieces runs at about std's
/// speed, and reading a million lines costs a few dozen hand-offs. A file read a byte at a
/// time costs one hand-off per 8 KiB at first. Seeking within the buffer needs no hand-off,
/// nor does a seek to a known position (it is folded into the next hand-off).
///
/// Writes are buffered (from 64 KiB, growing to 2 MiB) and a full buffer is written in the
/// background while the caller fills the next: a million 16-byte writes cost a few dozen
/// hand-offs. Written bytes reach the OS at `flush`, `close`, a seek, a read, or when the buffer
/// fills; [`OpenOptions::buffer_size`] changes the sizes, or turns buffering off.
///
/// Memory: a default-buffered `File` holds at most 4 MiB of read-ahead while it streams (the
/// 1 MiB chunk being consumed and three read ahead, the drained buffers reused for the next
/// reads; writes hold at most 4 MiB likewise, a 2 MiB buffer being filled and one being
/// written), and 8 KiB or less for small files. With [`OpenOptions::buffer_size`]`(n)`, the
/// reading job reads chunks of `n / 2` and read-ahead never exceeds 2 × n beyond what a
/// single read asks for, so a server with thousands of open files can bound its memory and
/// keep buffering. For the least memory and one copy per byte, stream with
/// [`chunks`](File::chunks) (at most three chunks in memory) and write with
/// [`write_owned`](File::write_owned).
///
/// Every operation runs on the `File`'s executor. Those that take `&self`
/// ([`metadata`](File::metadata), [`set_permissions`](File::set_permissions) and the
/// positional ones) return `Send + 'static` futures that hold the descriptor, not the `File`,
/// so several run at once.
///
/// # Caveats
///
/// - **Drop.** A `File` dropped with buffered writes, or with a write in flight, still writes
///   them, and before `drop` returns, so that nothing is lost when the process exits right
///   after (a returning `main` ends the pool's threads, and work left in an executor's queue
///   with them). The dropping thread writes the buffered bytes itself, as std's `BufWriter`
///   does: one `write` into the page cache, about 6 µs for 64 KiB and 0.25 ms for a full
///   2 MiB buffer on a 2-core machine. A job of the file that the executor has not started
///   yet is taken back and its writes done there too; the drop waits only for a job already
///   running on a pool thread that writes (never for a read, and never for an executor's
///   queue: a saturated [`Limit`](crate::Limit) does not hold a drop up). A drop with nothing
///   buffered and nothing in flight costs nothing. Errors of those writes cannot be
///   reported: call [`close`](File::close) to see them.
/// - **The OS cursor** runs ahead of the logical position while read-ahead is buffered, and
///   behind it while writes are. [`into_std`](File::into_std) puts it where the `File` was.
/// - **Positional I/O** ([`read_at`](File::read_at), [`write_at`](File::write_at)) goes
///   straight to the OS: it does not see buffered writes not yet flushed. What it writes is
///   seen by the `File`'s later reads: a positional write drops the read-ahead, as do the
///   `File`'s own cursor writes, [`set_len`](File::set_len), [`truncate`](File::truncate),
///   and the writes of its [`try_clone`](File::try_clone)s.
/// - **Other writers.** Bytes already read ahead may be served after another process, or a
///   handle opened separately, changed them, as Python's buffered files and std's
///   `BufReader` do; a seek outside the buffer, or [`buffer_size(0)`](OpenOptions::buffer_size),
///   reads them afresh. An end of file is never reused: each read that reaches it reports it
///   once, and the next read (or any read after a seek) asks the OS again, so a reader
///   following a growing file (`tail -f`) sees every appended byte.
/// - **Metadata** ([`metadata`](File::metadata)) likewise reports what the OS has.
///
/// # Cancellation
///
/// Dropping any future of a `File` mid-flight leaves it consistent: the operation in flight
/// finishes on the executor, the next call waits for it, and the position and buffers reflect
/// exactly what was done.
///
/// - A read that returned `Pending` has consumed nothing; its bytes come out of later reads.
/// - A buffered write that returned `Pending` has accepted nothing. With `buffer_size(0)`, a
///   write that returned `Pending` has handed over the whole write once its own hand-off
///   started: polled again with the same bytes it returns that write's count. (While it only
///   waited for an earlier operation of the file to finish, one whose future was dropped, it
///   has handed over nothing.)
/// - An operation that waits for an earlier one ([`set_len`](File::set_len),
///   [`sync_all`](File::sync_all), ...) starts its own hand-off only when that one is done;
///   dropped before, it did nothing.
/// - With tokio's `AsyncSeekExt`, `poll_complete` reports the seek in flight, as tokio's
///   contract says: the error of a seek whose future was dropped comes out of the next seek.
/// - A seek that returned `Pending` has either happened or not, and `stream_position` tells
///   which.
///
/// # Errors
///
/// Errors name the file's path: ``failed to write `out.txt`: No space left on device (os
/// error 28)``. A failed write keeps its error (kind, OS code, message) and the bytes that
/// were not written: the error is returned by the next write, flush, seek, read or close, and
/// a later flush or close tries those bytes again.
///
/// # From Python's aiofiles
///
/// | Python | Rust |
/// |---|---|
/// | `async with aiofiles.open(p, "rb") as f` | `let mut f = aiofiles::open(p, "rb").await?;` … `f.close().await?` |
/// | `await f.read()` / `readall()` | [`f.read_to_end(&mut buf)`](File::read_to_end), [`read_to_string`](File::read_to_string) (one hand-off) |
/// | `await f.read(n)` / `read1(n)` | `f.read(&mut buf[..n])` (`AsyncReadExt`) |
/// | `await f.readinto(b)` | `f.read(&mut b)` / `f.read_exact(&mut b)` |
/// | `await f.readline()` | `f.read_line(&mut s)` / `read_until(b'\n', &mut v)` (`AsyncBufReadExt`) |
/// | `await f.readlines()`, `async for line in f` | `f.lines()` (`AsyncBufReadExt`): no hand-off per line |
/// | `await f.peek()` | `f.fill_buf()` (`AsyncBufReadExt`) |
/// | `await f.write(b)` / `writelines(ls)` | `f.write_all(b)` / `write_all` each (`AsyncWriteExt`) |
/// | `await f.flush()` | `f.flush()` (`AsyncWriteExt`) |
/// | `await f.seek(o, w)` / `tell()` | `f.seek(SeekFrom::..)` / `stream_position()` (`AsyncSeekExt`) |
/// | `await f.truncate(size)` | [`f.truncate(size)`](File::truncate) |
/// | `await f.isatty()` | [`f.is_terminal()`](File::is_terminal) |
/// | `f.name`, `f.mode` | [`f.path()`](File::path), [`f.mode()`](File::mode) |
/// | `await f.close()` | [`f.close()`](File::close) |
/// | `os.pread` / `os.pwrite` | [`read_at`](File::read_at) / [`write_at`](File::write_at) |
///
/// # Examples
///
/// ```
/// use futures::{AsyncBufReadExt, AsyncWriteExt, TryStreamExt};
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("lines.txt");
///
/// let mut file = aiofiles::open(&path, "w").await?;
/// for i in 0..1000 {
///     file.write_all(format!("line {i}\n").as_bytes()).await?;
/// }
/// file.close().await?;
///
/// let file = aiofiles::open(&path, "r").await?;
/// let lines: Vec<String> = file.lines().try_collect().await?;
/// assert_eq!(lines.len(), 1000);
/// assert_eq!(lines[999], "line 999");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct File<E: Executor = Blocking> {
    core: Core<E>,
    mode: Cow<'static, str>,
    /// A tokio `start_seek` not completed yet.
    #[cfg(feature = "tokio")]
    tokio_seek: self::tokio::TokioSeek,
}

// `E` is never pinned: the file only hands out clones of it.
impl<E: Executor> Unpin for File<E> {}

impl File {
    /// Opens a file for reading, as [`std::fs::File::open`] (Python's mode `"rb"`).
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::open`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// See [`Open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::File;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let err = File::open(dir.path().join("missing.txt")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// assert!(err.to_string().contains("missing.txt"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn open<P: AsRef<Path>>(path: P) -> Open {
        OpenOptions::new().read(true).open(path)
    }

    /// Creates a file for writing, truncating it if it exists, as [`std::fs::File::create`]
    /// (Python's mode `"wb"`).
    ///
    /// # Errors
    ///
    /// As [`std::fs::File::create`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// See [`Open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::File;
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("out.txt");
    /// let mut file = File::create(&path).await?;
    /// file.write_all(b"data").await?;
    /// file.close().await?;
    /// assert_eq!(std::fs::read(&path)?, b"data");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn create<P: AsRef<Path>>(path: P) -> Open {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// Options to open a file with, as [`std::fs::File::options`].
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::File;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = File::options().read(true).write(true).create(true).open(dir.path().join("a")).await?;
    /// assert_eq!(file.mode(), "rb+");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }
}

/// What the crate's ways of opening a file (open, `Dir::open`, temp files, standard streams,
/// `from_std`, `try_clone`) make a [`File`] from.
pub(crate) struct Parts<E> {
    pub(crate) file: stdfs::File,
    pub(crate) path: Option<PathBuf>,
    pub(crate) mode: Cow<'static, str>,
    pub(crate) exec: E,
    /// The logical position; `None` when unknown (an unseekable file).
    pub(crate) pos: Option<u64>,
    /// Opened for appending: writes land at the end, wherever the cursor is.
    pub(crate) append: bool,
    pub(crate) buffering: Buffering,
    /// The start of the file, read with the open: the OS cursor is past it.
    pub(crate) head: Option<Head>,
}

/// The start of a regular file, read in the same hand-off as its open.
pub(crate) struct Head {
    pub(crate) bytes: Vec<u8>,
    /// The bytes are the whole file.
    pub(crate) eof: bool,
}

impl<E: Executor> File<E> {
    pub(crate) fn from_parts(parts: Parts<E>) -> Self {
        let Parts {
            file,
            path,
            mode,
            exec,
            pos,
            append,
            buffering,
            head,
        } = parts;
        let writable = mode.contains(['w', 'a', 'x', '+']);
        let shared = Shared::new(file, path.map(PathBuf::into_boxed_path), append, writable);
        let mut core = Core::new(shared, exec, pos, buffering);
        if let Some(head) = head {
            core.prime(head.bytes, head.eof);
        }
        File {
            core,
            mode,
            #[cfg(feature = "tokio")]
            tokio_seek: self::tokio::TokioSeek::Idle,
        }
    }

    /// Renames the path the file reports, after the file was moved; kept as it was if a
    /// positional operation still holds the descriptor.
    pub(crate) fn moved_to(&mut self, path: PathBuf) {
        self.core.moved_to(path);
    }

    /// Wraps an open `std` file; its operations run on `exec`.
    ///
    /// The position starts where the std file's cursor is. The mode is read from the
    /// descriptor's flags (Python's `FileIO.mode` rules: `"rb"`, `"wb"`, `"rb+"`, `"ab"`,
    /// ...); [`path`](File::path) is `None`, and errors do not name a path.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, File};
    /// use std::io::{Seek, SeekFrom};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "hello world")?;
    /// let mut std_file = std::fs::File::open(&path)?;
    /// std_file.seek(SeekFrom::Start(6))?;
    ///
    /// let mut file = File::from_std(std_file, Blocking);
    /// assert_eq!(file.mode(), "rb");
    /// assert_eq!(file.path(), None);
    /// let mut rest = String::new();
    /// file.read_to_string(&mut rest).await?;
    /// assert_eq!(rest, "world");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(file: stdfs::File, exec: E) -> Self {
        use std::io::Seek;
        // `lseek` and `fcntl` never block on I/O: they are safe to call here.
        let pos = (&file).stream_position().ok();
        let (mode, append) = open_options::descriptor_mode(&file);
        File::from_parts(Parts {
            file,
            path: None,
            mode: Cow::Borrowed(mode),
            exec,
            pos,
            append,
            buffering: Buffering::Adaptive,
            head: None,
        })
    }

    /// The path the file was opened with; `None` for [`from_std`](File::from_std).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let file = aiofiles::open(&path, "w").await?;
    /// assert_eq!(file.path(), Some(path.as_path()));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.core.shared.path.as_deref()
    }

    /// The Python mode string: as given to [`open`](crate::open), or derived from the
    /// options otherwise (`"rb"`, `"wb"`, `"rb+"`, `"ab"`, `"ab+"`, `"xb"`, `"xb+"`, as
    /// Python's `FileIO.mode`).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// assert_eq!(aiofiles::open(&path, "w+b").await?.mode(), "w+b");
    /// assert_eq!(aiofiles::File::open(&path).await?.mode(), "rb");
    /// assert_eq!(aiofiles::File::create(&path).await?.mode(), "wb");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// The executor the file's operations run on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::open(dir.path().join("a"), "w").await?;
    /// assert_eq!(*file.executor(), Blocking);
    /// let file = aiofiles::open(dir.path().join("b"), "w").on(Inline).await?;
    /// assert_eq!(*file.executor(), Inline);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn executor(&self) -> &E {
        &self.core.exec
    }

    /// An operation on the shared descriptor, on the file's executor (and no other: the
    /// future cannot be rebound).
    fn on_file<T, F>(&self, f: F) -> impl Future<Output = io::Result<T>> + Send + 'static
    where
        F: FnOnce(&Shared) -> io::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let shared = Arc::clone(&self.core.shared);
        Op::new(move || f(&shared)).on(self.core.exec.clone())
    }

    /// Runs one job for this caller: waits for the file to be idle, then writes buffered data
    /// and does `action`, in one hand-off.
    async fn hop(&mut self, action: Action) -> io::Result<()> {
        let mut action = Some(action);
        poll_fn(|cx| self.core.poll_do(cx, &mut action)).await
    }

    /// A second `File` on a duplicate of the descriptor, as [`std::fs::File::try_clone`],
    /// on the same executor and at the same position.
    ///
    /// Buffered writes are written first. The two share the OS cursor, but each `File`
    /// keeps its own position, buffers and read-ahead, and moves the OS cursor to its own
    /// position before each of its hand-offs; their hand-offs take turns with the cursor, so
    /// each lands where its `File` is, even when they run at once. Each sees the other's
    /// writes (its read-ahead is dropped when the other writes).
    ///
    /// # Errors
    ///
    /// A write error, or `dup`'s, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// As [`set_len`](File::set_len): once its hand-off has started, the buffered writes
    /// happen even if the future is dropped, and the duplicate is then closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncReadExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "0123456789")?;
    /// let mut file = aiofiles::open(&path, "r+").await?;
    /// let mut two = [0; 2];
    /// file.read_exact(&mut two).await?;
    /// let mut clone = file.try_clone().await?;
    /// clone.read_exact(&mut two).await?;
    /// assert_eq!(&two, b"23");
    /// file.read_exact(&mut two).await?;
    /// assert_eq!(&two, b"23"); // its own position
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn try_clone(&mut self) -> io::Result<File<E>> {
        let dup = poll_fn(|cx| self.core.poll_dup(cx)).await?;
        let (_, append) = open_options::descriptor_mode(&dup);
        let mut clone = File::from_parts(Parts {
            file: dup,
            path: self.core.shared.path.as_deref().map(Path::to_owned),
            mode: self.mode.clone(),
            exec: self.core.exec.clone(),
            pos: self.core.pos(),
            append,
            buffering: self.core.buffering(),
            head: None,
        });
        clone.core.clone_of(&mut self.core);
        Ok(clone)
    }

    /// Writes buffered data, puts the OS cursor at the file's position, and returns the std
    /// file. Async version of `tokio::fs::File::into_std`.
    ///
    /// # Errors
    ///
    /// A write error, with the path in the message. The file is then dropped, and its
    /// remaining buffered bytes are written as [`Drop`] describes.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the file, as [`Drop`] describes.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncReadExt;
    /// use std::io::Read;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "hello world")?;
    /// let mut file = aiofiles::open(&path, "r").await?;
    /// let mut hello = [0; 6];
    /// file.read_exact(&mut hello).await?; // reads ahead past "hello "
    /// let mut std_file = file.into_std().await?;
    /// let mut rest = String::new();
    /// std_file.read_to_string(&mut rest)?;
    /// assert_eq!(rest, "world");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn into_std(mut self) -> io::Result<stdfs::File> {
        self.hop(Action::Nothing).await?;
        // No reading job holds the descriptor any more: it is handed out, not a duplicate.
        poll_fn(|cx| self.core.poll_reading_stopped(cx)).await;
        let shared = Arc::clone(&self.core.shared);
        drop(self);
        match Arc::try_unwrap(shared) {
            Ok(shared) => Ok(shared.into_file()),
            // A positional operation still holds the descriptor: hand out a duplicate.
            Err(shared) => shared
                .file
                .try_clone()
                .map_err(|e| shared.error(Operation::Clone, e)),
        }
    }

    /// Writes buffered data, waits for everything in flight, and closes the file: Python's
    /// `await f.close()`.
    ///
    /// With writes buffered, they and the `close(2)` happen in one hand-off on the executor;
    /// with nothing to write, the descriptor is closed on the calling thread, as dropping a
    /// std or tokio file does.
    ///
    /// This is how to see the errors of the last writes; dropping a `File` writes them too,
    /// but cannot report a failure.
    ///
    /// # Errors
    ///
    /// The first error of a write not reported yet, with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the file, whose buffered bytes are still written before the
    /// drop returns (see the caveats of [`File`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.write_all(b"buffered").await?;
    /// assert_eq!(std::fs::read(&path)?, b""); // still in the buffer
    /// file.close().await?;
    /// assert_eq!(std::fs::read(&path)?, b"buffered");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn close(mut self) -> io::Result<()> {
        let pending = poll_fn(|cx| self.core.poll_idle(cx)).await.err();
        // The descriptor is closed here or by the last job, not by a reading job's last read.
        poll_fn(|cx| self.core.poll_reading_stopped(cx)).await;
        if self.core.is_clean() {
            // Nothing left to write: the descriptor closes here, as dropping a std file does.
            drop(self);
            return pending.map_or(Ok(()), Err);
        }
        let last = self.core.close_job();
        // The job holds the last reference: the descriptor is closed on the executor.
        drop(self);
        let result = last.await;
        match pending {
            Some(err) => Err(err),
            None => result,
        }
    }
}

impl<E: Executor> Drop for File<E> {
    fn drop(&mut self) {
        self.core.settle();
    }
}

impl<E: Executor> fmt::Debug for File<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("path", &self.path())
            .field("mode", &self.mode)
            .field("state", &self.core)
            .finish()
    }
}
