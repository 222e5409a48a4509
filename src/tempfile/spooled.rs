use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, BufRead, Cursor, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use crate::error::{self, Operation};
use crate::executor::{Blocking, Executor, Op, Private, Work};
use crate::file::{Buffering, File, Parts};

/// A temporary file kept in memory until it grows beyond `max_size` bytes, then rolled over
/// to an unnamed file on disk through its executor: Python's `SpooledTemporaryFile`.
///
/// In memory, reads, writes and seeks cost no hand-off at all. A write that would end beyond
/// `max_size` first rolls the file over (one hand-off that creates the file and writes the
/// memory to it), then goes to the file. A `max_size` of 0 never rolls over on its own;
/// [`rollover`](SpooledTempFile::rollover) does it on request.
///
/// # Examples
///
/// ```
/// use aiofiles::tempfile::SpooledTempFile;
/// use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # futures::executor::block_on(async {
/// let mut file = SpooledTempFile::new(10);
/// file.write_all(b"0123456789").await?;
/// assert!(!file.is_rolled()); // 10 bytes: still in memory
/// file.write_all(b"A").await?;
/// assert!(file.is_rolled()); // beyond 10: on disk
///
/// file.seek(SeekFrom::Start(0)).await?;
/// let mut all = String::new();
/// file.read_to_string(&mut all).await?;
/// assert_eq!(all, "0123456789A");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "SpooledTemporaryFile")]
pub struct SpooledTempFile<E: Executor = Blocking> {
    max_size: usize,
    exec: E,
    spool: Spool<E>,
}

enum Spool<E: Executor> {
    Memory(Cursor<Vec<u8>>),
    /// The bytes stay here until the file holds them.
    Rolling {
        data: Arc<Vec<u8>>,
        pos: u64,
        op: Pin<Box<Op<RollWork, E>>>,
    },
    File(Box<File<E>>),
}

/// Creates the file and writes the memory to it, in one hand-off.
struct RollWork {
    data: Arc<Vec<u8>>,
    pos: u64,
}

impl Work for RollWork {
    type Output = std::fs::File;

    fn run(self, _: Private) -> io::Result<std::fs::File> {
        let fail = |e| error::op(Operation::Rollover, e);
        let mut file = ::tempfile::tempfile().map_err(fail)?;
        file.write_all(&self.data).map_err(fail)?;
        file.seek(SeekFrom::Start(self.pos)).map_err(fail)?;
        Ok(file)
    }
}

// `E` is never pinned.
impl<E: Executor> Unpin for SpooledTempFile<E> {}

impl SpooledTempFile {
    /// An empty spooled file that rolls over beyond `max_size` bytes (0: never on its own),
    /// on the default executor; [`on`](SpooledTempFile::on) picks another.
    ///
    /// # Examples
    ///
    /// ```
    /// let file = aiofiles::tempfile::SpooledTempFile::new(4096);
    /// assert!(!file.is_rolled());
    /// ```
    pub fn new(max_size: usize) -> Self {
        SpooledTempFile {
            max_size,
            exec: Blocking,
            spool: Spool::Memory(Cursor::new(Vec::new())),
        }
    }
}

impl<E: Executor> SpooledTempFile<E> {
    /// Binds the file to `exec`: the rollover, and every operation after it, run there.
    ///
    /// # Panics
    ///
    /// If the file has rolled over (or is rolling over) already.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{tempfile::SpooledTempFile, Inline};
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let mut file = SpooledTempFile::new(1).on(Inline);
    /// file.write_all(b"xy").await?;
    /// assert!(file.is_rolled());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn on<E2: Executor>(self, exec: E2) -> SpooledTempFile<E2> {
        match self.spool {
            Spool::Memory(memory) => SpooledTempFile {
                max_size: self.max_size,
                exec,
                spool: Spool::Memory(memory),
            },
            _ => panic!("`SpooledTempFile::on` called after it rolled over"),
        }
    }

    /// Whether the data is on disk.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let mut file = aiofiles::tempfile::SpooledTempFile::new(0);
    /// assert!(!file.is_rolled());
    /// file.rollover().await?;
    /// assert!(file.is_rolled());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn is_rolled(&self) -> bool {
        matches!(self.spool, Spool::File(_))
    }

    /// Moves the data to an unnamed file on disk now, keeping the position. Does nothing if
    /// it is there already.
    ///
    /// # Errors
    ///
    /// When the file cannot be created or written; the data then stays in memory.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future lets the rollover finish on the executor; the next operation waits
    /// for it.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
    ///
    /// # futures::executor::block_on(async {
    /// let mut file = aiofiles::tempfile::SpooledTempFile::new(0);
    /// file.write_all(b"spooled").await?;
    /// file.rollover().await?;
    /// assert_eq!(file.stream_position().await?, 7);
    /// file.seek(std::io::SeekFrom::Start(0)).await?;
    /// let mut text = String::new();
    /// file.read_to_string(&mut text).await?;
    /// assert_eq!(text, "spooled");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn rollover(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_rollover(cx)).await
    }

    fn poll_rollover(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.spool {
                Spool::File(_) => return Poll::Ready(Ok(())),
                Spool::Memory(memory) => {
                    let pos = memory.position();
                    let data = Arc::new(std::mem::take(memory.get_mut()));
                    let work = RollWork {
                        data: Arc::clone(&data),
                        pos,
                    };
                    let op = Box::pin(Op::new(work).on(self.exec.clone()));
                    self.spool = Spool::Rolling { data, pos, op };
                }
                Spool::Rolling { data, pos, op } => {
                    let result = ready!(op.as_mut().poll(cx));
                    match result {
                        Ok(file) => {
                            let file = File::from_parts(Parts {
                                file,
                                path: None,
                                mode: "rb+".into(),
                                exec: self.exec.clone(),
                                pos: Some(*pos),
                                append: false,
                                buffering: Buffering::Adaptive,
                                head: None,
                            });
                            self.spool = Spool::File(Box::new(file));
                        }
                        Err(err) => {
                            // Back to memory, unchanged: the job has let go of the bytes.
                            let data = std::mem::take(data);
                            let bytes = Arc::try_unwrap(data).unwrap_or_else(|d| (*d).clone());
                            let mut memory = Cursor::new(bytes);
                            memory.set_position(*pos);
                            self.spool = Spool::Memory(memory);
                            return Poll::Ready(Err(err));
                        }
                    }
                }
            }
        }
    }

    /// The memory, once any rollover in flight is over; `None` when the data is on disk.
    fn poll_memory(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<&mut Cursor<Vec<u8>>>>> {
        if let Spool::Rolling { .. } = self.spool {
            ready!(self.poll_rollover(cx))?;
        }
        Poll::Ready(Ok(match &mut self.spool {
            Spool::Memory(memory) => Some(memory),
            _ => None,
        }))
    }

    fn file(&mut self) -> Pin<&mut File<E>> {
        match &mut self.spool {
            Spool::File(file) => Pin::new(&mut **file),
            _ => unreachable!("checked by poll_memory"),
        }
    }
}

impl<E: Executor> AsyncRead for SpooledTempFile<E> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match ready!(this.poll_memory(cx))? {
            Some(memory) => Poll::Ready(memory.read(buf)),
            None => this.file().poll_read(cx, buf),
        }
    }
}

impl<E: Executor> AsyncBufRead for SpooledTempFile<E> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if ready!(this.poll_memory(cx))?.is_none() {
            return match &mut this.spool {
                Spool::File(file) => Pin::new(&mut **file).poll_fill_buf(cx),
                _ => unreachable!("checked by poll_memory"),
            };
        }
        match &mut this.spool {
            Spool::Memory(memory) => Poll::Ready(memory.fill_buf()),
            _ => unreachable!("checked by poll_memory"),
        }
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        match &mut self.get_mut().spool {
            Spool::Memory(memory) => memory.consume(amt),
            Spool::File(file) => Pin::new(&mut **file).consume(amt),
            Spool::Rolling { .. } => {}
        }
    }
}

impl<E: Executor> AsyncWrite for SpooledTempFile<E> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let max_size = this.max_size as u64;
        if let Some(memory) = ready!(this.poll_memory(cx))? {
            let end = memory.position() + buf.len() as u64;
            if max_size == 0 || end <= max_size {
                return Poll::Ready(memory.write(buf));
            }
            // Python writes, then rolls over when the position passed `max_size`: the same
            // bytes end up on disk when rolling over first, and a `Pending` write has then
            // accepted nothing.
            ready!(this.poll_rollover(cx))?;
        }
        this.file().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match ready!(this.poll_memory(cx))? {
            Some(_) => Poll::Ready(Ok(())),
            None => this.file().poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<E: Executor> AsyncSeek for SpooledTempFile<E> {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let this = self.get_mut();
        match ready!(this.poll_memory(cx))? {
            Some(memory) => Poll::Ready(memory.seek(pos)),
            None => this.file().poll_seek(cx, pos),
        }
    }
}

impl<E: Executor> fmt::Debug for SpooledTempFile<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.spool {
            Spool::Memory(memory) => format!("in memory, {} bytes", memory.get_ref().len()),
            Spool::Rolling { .. } => "rolling over".to_owned(),
            Spool::File(_) => "on disk".to_owned(),
        };
        f.debug_struct("SpooledTempFile")
            .field("max_size", &self.max_size)
            .field("state", &state)
            .finish()
    }
}
