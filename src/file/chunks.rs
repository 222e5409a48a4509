//! Owned-buffer streaming: [`File::chunks`], [`File::into_chunks`] and [`File::write_owned`].
//!
//! `AsyncRead` copies every byte twice: from the kernel into the file's buffer on a pool
//! thread, then from there into the caller's slice. A caller that takes owned buffers needs
//! one copy: each chunk is read by the pool straight into the [`Bytes`] handed out, and two
//! chunks are read ahead (positional reads, `pread`, at the offsets that follow) while the
//! caller works on the one it has. One job reads them, chunk after chunk, for as long as
//! fewer than two wait ([`reading`](super::reading), the job behind the `File`'s own
//! sequential reads too): a caller that keeps up costs no hand-off per chunk (each of which
//! would cost two wake-ups, one on the pool side), only a wake-up when it waits. Writing is
//! the mirror: [`File::write_owned`] hands the caller's buffer to the pool as it is, and a
//! call made while the last one is in flight hands its buffer to that same job.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_core::{FusedStream, Stream};

use super::reading::{Chunk, Reading};
use super::File;
use crate::executor::{Blocking, Executor};

/// How many chunks are read ahead of the one the caller has.
const AHEAD: usize = 2;

impl<E: Executor> File<E> {
    /// A [`Stream`] of the file's bytes from the position on, in owned chunks of `size` bytes
    /// (the last one shorter): each read by the executor straight into the buffer handed out,
    /// two read ahead in the background while the caller works on the one it has.
    ///
    /// Buffered writes are written first, and whole chunks of what the `File` already read
    /// ahead come out first, without a read. The position follows what was yielded:
    /// dropping the stream leaves it after the last chunk yielded, and a chunk read ahead and
    /// not yet yielded goes back into the `File`'s read buffer, so nothing is read twice. The
    /// stream ends at the end of the file (an empty read); a later `chunks` reads on from
    /// there, so a growing file can be followed.
    ///
    /// One copy per byte instead of `AsyncRead`'s two: the way to serve files, hash them, or
    /// feed them to an HTTP body ([`into_chunks`](File::into_chunks)). The memory in use is
    /// at most three chunks: the one yielded and the two read ahead. The same reading job
    /// is behind the `File`'s own `AsyncRead` once its reads are sequential; there, each byte
    /// is copied once more, into the caller's slice.
    ///
    /// On a file without a position (a pipe), chunks come from the `File`'s read buffer, one
    /// copy more.
    ///
    /// # Errors
    ///
    /// Each item is a read's result: a pending write error, or the read's own, with the path
    /// in the message; the stream ends after an error. A `size` of 0 is
    /// [`InvalidInput`](io::ErrorKind::InvalidInput), the stream's only item.
    ///
    /// # Cancel safety
    ///
    /// A `next()` dropped while pending has consumed nothing: its chunk comes out of the next
    /// call, or of the `File` once the stream is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// std::fs::write(&path, b"0123456789")?;
    ///
    /// let mut file = aiofiles::open(&path, "rb").await?;
    /// let chunks: Vec<bytes::Bytes> = file.chunks(4).try_collect().await?;
    /// assert_eq!(chunks, [&b"0123"[..], b"4567", b"89"]);
    ///
    /// let err = file.chunks(0).try_collect::<Vec<_>>().await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn chunks(&mut self, size: usize) -> Chunks<'_, E> {
        Chunks {
            reader: Reader::new(size),
            file: self,
        }
    }

    /// [`chunks`](File::chunks), owning the file: `Send + 'static` when the executor is, so it
    /// can be an HTTP body (hyper's `StreamBody`) or a task's own. The file is dropped with
    /// the stream.
    ///
    /// # Errors
    ///
    /// As [`chunks`](File::chunks).
    ///
    /// # Cancel safety
    ///
    /// As [`chunks`](File::chunks).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// std::fs::write(&path, vec![7u8; 100_000])?;
    ///
    /// let body = aiofiles::open(&path, "rb").await?.into_chunks(64 * 1024);
    /// let task = std::thread::spawn(move || {
    ///     futures::executor::block_on(body.try_collect::<Vec<bytes::Bytes>>())
    /// });
    /// assert_eq!(task.join().unwrap()?.concat(), vec![7u8; 100_000]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_chunks(self, size: usize) -> IntoChunks<E> {
        IntoChunks {
            reader: Reader::new(size),
            file: self,
        }
    }

    /// Writes `buf` at the position, handing the buffer itself to the executor (no copy),
    /// after the bytes buffered before it. Returns once the write is on its way, so the
    /// caller prepares the next buffer while this one is written (write-behind); with
    /// [`buffer_size(0)`](crate::OpenOptions::buffer_size), once it is written.
    ///
    /// `Bytes`, `Vec<u8>`, `Box<[u8]>`, `String` and `&'static [u8]` convert without a copy.
    ///
    /// # Errors
    ///
    /// A write error not reported yet (of an earlier write), with the path in the message;
    /// this write's own error comes out of a later call, as for buffered writes, and its
    /// unwritten bytes are kept and tried again by the next flush or close. A file not open
    /// for writing fails at once.
    ///
    /// A call made while the previous owned write is still in flight hands its buffer to that
    /// write's job, which writes it next without a hand-off between the two (one buffer waits
    /// there at most; the call after it waits for the job). So an error of the earlier write
    /// may come out of the call after next.
    ///
    /// # Cancel safety
    ///
    /// Dropped while it waits for an earlier write, it has written nothing; once it returned
    /// `Ready`, the write happens, even if the `File` is dropped next.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("out");
    /// let mut file = aiofiles::open(&path, "wb").await?;
    /// for i in 0..4u8 {
    ///     file.write_owned(vec![i; 1 << 20]).await?;
    /// }
    /// file.close().await?;
    /// let data = std::fs::read(&path)?;
    /// assert_eq!(data.len(), 4 << 20);
    /// assert_eq!(data[3 << 20], 3);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn write_owned(&mut self, buf: impl Into<Bytes>) -> io::Result<()> {
        let mut buf = Some(buf.into());
        poll_fn(|cx| self.core.poll_write_owned(cx, &mut buf)).await
    }
}

/// The state of a chunked read, apart from the file it reads.
struct Reader<E: Executor> {
    size: usize,
    ended: bool,
    /// What the file had read ahead, still to yield: it starts at the position.
    buffered: Bytes,
    /// The reading job, from the first call on (a file with a position).
    reading: Option<Reading<E>>,
    started: bool,
}

impl<E: Executor> Reader<E> {
    /// The `Debug` of a stream reading `file`.
    fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, file: &File<E>) -> fmt::Result {
        f.debug_struct(name)
            .field("size", &self.size)
            .field("ahead", &self.reading.as_ref().map_or(0, Reading::queued))
            .field("file", file)
            .finish()
    }

    fn new(size: usize) -> Self {
        Reader {
            size,
            ended: false,
            buffered: Bytes::new(),
            reading: None,
            started: false,
        }
    }

    fn poll_next(
        &mut self,
        file: &mut File<E>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Bytes>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.size == 0 {
            self.ended = true;
            let err = io::Error::new(io::ErrorKind::InvalidInput, "a chunk size of 0");
            return Poll::Ready(Some(Err(err)));
        }
        let core = &mut file.core;
        if !self.started {
            // Writes land before reads see them; what the file read ahead comes first.
            if let Err(err) = ready!(core.poll_flush(cx)) {
                self.ended = true;
                return Poll::Ready(Some(Err(err)));
            }
            self.started = true;
            let mut buffered = core.take_read_ahead();
            if let Some(pos) = core.pos() {
                // Whole chunks only: the rest (less than a chunk) is read again with the chunk
                // it starts, so that every chunk but the last is whole.
                buffered.truncate(buffered.len() - buffered.len() % self.size);
                let next = pos + buffered.len() as u64;
                let (shared, exec) = (&core.shared, &core.exec);
                let size = self.size;
                self.reading = Some(Reading::new(shared, exec, Some(next), size, size, AHEAD));
            }
            self.buffered = Bytes::from(buffered);
        }
        if !self.buffered.is_empty() {
            let chunk = self.buffered.split_to(self.size.min(self.buffered.len()));
            core.advance(chunk.len());
            if let Some(reading) = &mut self.reading {
                // Positional reads go on while the caller has the buffered bytes.
                reading.keep_reading(cx);
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        let Some(reading) = &mut self.reading else {
            // No position (a pipe): through the file's own buffer.
            let data = match ready!(core.poll_fill_buf(cx, self.size)) {
                Ok(data) => data,
                Err(err) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(err)));
                }
            };
            let n = data.len().min(self.size);
            if n == 0 {
                self.ended = true;
                return Poll::Ready(None);
            }
            let chunk = Bytes::copy_from_slice(&data[..n]);
            core.consume(n);
            return Poll::Ready(Some(Ok(chunk)));
        };
        let chunk = ready!(reading.poll_next(cx));
        debug_assert_eq!(chunk.offset, core.pos());
        let data = match chunk.data {
            Ok(data) => data,
            Err(err) => {
                self.ended = true;
                return Poll::Ready(Some(Err(err)));
            }
        };
        core.advance(data.len());
        if data.is_empty() {
            self.ended = true;
            return Poll::Ready(None);
        }
        if data.len() == self.size {
            reading.keep_reading(cx);
        }
        Poll::Ready(Some(Ok(Bytes::from(data))))
    }

    /// The stream goes away: bytes already read at the position go back to the file.
    fn give_back(&mut self, file: &mut File<E>) {
        let Some(reading) = &mut self.reading else {
            return;
        };
        let (chunks, _) = reading.stop();
        if !self.buffered.is_empty() {
            let version = file.core.shared.version();
            file.core
                .give_back(Vec::from(std::mem::take(&mut self.buffered)), version);
            return;
        }
        if let Some(Chunk {
            offset,
            version,
            data: Ok(data),
            ..
        }) = chunks.into_iter().next()
        {
            if offset == file.core.pos() {
                file.core.give_back(data, version);
            }
        }
    }
}

/// The stream of [`File::chunks`].
#[must_use = "streams do nothing unless polled"]
pub struct Chunks<'a, E: Executor = Blocking> {
    reader: Reader<E>,
    file: &'a mut File<E>,
}

impl<E: Executor> Stream for Chunks<'_, E> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reader.poll_next(this.file, cx)
    }
}

impl<E: Executor> FusedStream for Chunks<'_, E> {
    fn is_terminated(&self) -> bool {
        self.reader.ended
    }
}

impl<E: Executor> Drop for Chunks<'_, E> {
    fn drop(&mut self) {
        self.reader.give_back(self.file);
    }
}

impl<E: Executor> fmt::Debug for Chunks<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reader.debug(f, "Chunks", self.file)
    }
}

/// The stream of [`File::into_chunks`]: owns the file.
#[must_use = "streams do nothing unless polled"]
pub struct IntoChunks<E: Executor = Blocking> {
    reader: Reader<E>,
    file: File<E>,
}

impl<E: Executor> IntoChunks<E> {
    /// The file, at the position after the last chunk yielded; a chunk read ahead goes back
    /// into its read buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// std::fs::write(&path, b"0123456789")?;
    /// let mut chunks = aiofiles::open(&path, "rb").await?.into_chunks(4);
    /// assert_eq!(chunks.next().await.unwrap()?, &b"0123"[..]);
    /// let mut file = chunks.into_inner();
    /// let mut rest = String::new();
    /// file.read_to_string(&mut rest).await?;
    /// assert_eq!(rest, "456789");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_inner(mut self) -> File<E> {
        self.reader.give_back(&mut self.file);
        self.file
    }
}

impl<E: Executor> Unpin for IntoChunks<E> {}

impl<E: Executor> Stream for IntoChunks<E> {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reader.poll_next(&mut this.file, cx)
    }
}

impl<E: Executor> FusedStream for IntoChunks<E> {
    fn is_terminated(&self) -> bool {
        self.reader.ended
    }
}

impl<E: Executor> fmt::Debug for IntoChunks<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reader.debug(f, "IntoChunks", &self.file)
    }
}
