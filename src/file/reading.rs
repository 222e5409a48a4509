//! The reading job: one job on the executor reads a file chunk after chunk, at the positions
//! that follow, into a queue that the reader takes the chunks from.
//!
//! A reader that keeps up costs no hand-off per chunk (each of which would cost two
//! wake-ups, one of them on the pool side, with the pool thread idle between its reads):
//! only a wake-up when it waits. The job stops when as many chunks wait as the reader
//! allows, and the reader starts it again as it takes them. Both sequential readers use it:
//! the `File`'s read-ahead behind `AsyncRead` ([`state`](super::state)), and
//! [`File::chunks`](super::File::chunks).
//!
//! Each chunk carries [`Shared::version`] from before its read: a write through the
//! descriptor since then (the `File`'s own, a positional one, a clone's) makes it stale, and
//! the reader drops it. A file with a position is read with positional reads (`pread`), so
//! the job never touches the OS cursor and may run beside the file's other jobs; a file
//! without one (a pipe) is read at the cursor.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::job::Shared;
use crate::executor::{Executor, Op, Private, Work};

/// How many bytes one hand-off of the job reads at most before it hands its thread back (the
/// reader starts it again as it takes the chunks): other work on a bounded executor, such as
/// a [`Limit`](crate::Limit), gets its turn between.
const RUN: usize = 16 << 20;

/// A chunk the reading job read.
pub(super) struct Chunk {
    /// Where it was read; `None` for a file without a position.
    pub(super) offset: Option<u64>,
    /// How many bytes were asked for: fewer came only at the end of the file.
    pub(super) len: usize,
    /// [`Shared::version`] before it was read: current while the count has not moved.
    pub(super) version: u64,
    /// The bytes, short only at the end of the file (for now); or the read's error.
    pub(super) data: io::Result<Vec<u8>>,
}

/// What the reader shares with its job.
struct Queue {
    /// Chunks read and not yet taken, in file order.
    chunks: VecDeque<Chunk>,
    /// Where the job reads next.
    next: Option<u64>,
    /// The size of the next chunk: it grows four times with each chunk the reader takes, up
    /// to `max`, so that what is read ahead follows what was consumed.
    size: usize,
    max: usize,
    /// How many chunks may wait, counting the one being read: the job stops at that many.
    limit: usize,
    /// The job is reading a chunk now.
    reading: bool,
    /// An allocation the reader is done with, for the job's next read.
    free: Option<Vec<u8>>,
    /// The reader is gone: the job stops before its next read.
    stop: bool,
    /// A short read (the end of the file for now) or an error was queued: nothing is read
    /// past it until the reader, having had it, asks again, so that what is written
    /// meanwhile is seen.
    end: bool,
    /// The task waiting for a chunk.
    waker: Option<Waker>,
}

impl Queue {
    /// Whether the job may read one chunk more.
    fn room(&self) -> bool {
        !self.stop && !self.end && self.chunks.len() < self.limit
    }

    /// Whether a stopped job is worth starting again: there is room for two chunks, or for
    /// the one allowed.
    fn room_for_more(&self) -> bool {
        self.room() && self.chunks.len() + self.limit.min(2) <= self.limit
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The job: reads while there is room, and wakes the reader at each chunk.
struct ReadAhead {
    shared: Arc<Shared>,
    queue: Arc<Mutex<Queue>>,
}

impl Work for ReadAhead {
    type Output = ();

    fn run(self, _: Private) -> io::Result<()> {
        let mut read = 0;
        loop {
            let (offset, size, buf) = {
                let mut queue = lock(&self.queue);
                if !queue.room() || read >= RUN {
                    return Ok(());
                }
                let offset = queue.next;
                let size = queue.size;
                if let Some(next) = &mut queue.next {
                    *next += size as u64;
                }
                queue.reading = true;
                (offset, size, queue.free.take().unwrap_or_default())
            };
            let version = self.shared.version();
            let data = self.shared.read_into(buf, offset, size);
            // A short read is the end of the file for now, an error the end of the stream.
            let last = !matches!(&data, Ok(data) if data.len() == size);
            read += size;
            let waker = {
                let mut queue = lock(&self.queue);
                queue.reading = false;
                queue.chunks.push_back(Chunk {
                    offset,
                    len: size,
                    version,
                    data,
                });
                queue.end = last;
                queue.waker.take()
            };
            if last {
                // The job's end wakes the reader, which polled it last: one wake-up, not two.
                return Ok(());
            }
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The reader's side: the queue, and the job in flight.
pub(super) struct Reading<E: Executor> {
    shared: Arc<Shared>,
    exec: E,
    queue: Arc<Mutex<Queue>>,
    job: Option<Pin<Box<Op<ReadAhead, E>>>>,
}

impl<E: Executor> Reading<E> {
    /// A reading that starts at `next` with chunks of `size` bytes, growing to `max`, at most
    /// `limit` of them waiting. Nothing is read until [`keep_reading`](Self::keep_reading) or
    /// [`poll_next`](Self::poll_next).
    pub(super) fn new(
        shared: &Arc<Shared>,
        exec: &E,
        next: Option<u64>,
        size: usize,
        max: usize,
        limit: usize,
    ) -> Self {
        Reading {
            shared: Arc::clone(shared),
            exec: exec.clone(),
            queue: Arc::new(Mutex::new(Queue {
                chunks: VecDeque::new(),
                next,
                size: size.clamp(1, max.max(1)),
                max: max.max(1),
                limit: limit.max(1),
                reading: false,
                free: None,
                stop: false,
                end: false,
                waker: None,
            })),
            job: None,
        }
    }

    /// Changes how many chunks may wait (at least one).
    pub(super) fn set_limit(&self, limit: usize) {
        lock(&self.queue).limit = limit.max(1);
    }

    /// How many bytes are read and waiting.
    pub(super) fn queued(&self) -> usize {
        lock(&self.queue)
            .chunks
            .iter()
            .map(|c| c.data.as_ref().map_or(0, Vec::len))
            .sum()
    }

    /// The allocations it holds: the chunks waiting and the spare one.
    #[cfg(test)]
    pub(super) fn memory(&self) -> usize {
        let queue = lock(&self.queue);
        let chunks: usize = (queue.chunks.iter())
            .map(|c| c.data.as_ref().map_or(0, Vec::capacity))
            .sum();
        chunks + queue.free.as_ref().map_or(0, Vec::capacity)
    }

    /// The next chunk, once read; starts the job if it stopped. After a short chunk (the end
    /// of the file for now), asking again reads on from where it ended.
    pub(super) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Chunk> {
        loop {
            let front = {
                let mut queue = lock(&self.queue);
                let front = queue.chunks.pop_front();
                match &front {
                    Some(Chunk {
                        offset: Some(offset),
                        data: Ok(data),
                        ..
                    }) if queue.end && queue.chunks.is_empty() => {
                        // The last one before the end: read on from its real end.
                        queue.next = Some(offset + data.len() as u64);
                    }
                    Some(_) => queue.size = queue.size.saturating_mul(4).min(queue.max),
                    None => {
                        queue.waker = Some(cx.waker().clone());
                        // Asked again after the end: read on from there.
                        queue.end = false;
                    }
                }
                front
            };
            if let Some(chunk) = front {
                return Poll::Ready(chunk);
            }
            if self.job.is_none() {
                self.launch();
            }
            self.poll_job(cx);
            if self.job.is_some() {
                return Poll::Pending;
            }
        }
    }

    /// Starts the job again if it stopped and there is room for two chunks (or for the one
    /// allowed), so that it reads while the reader works on what it has: a reader slower than
    /// the job costs a hand-off per two chunks, not per chunk.
    pub(super) fn keep_reading(&mut self, cx: &mut Context<'_>) {
        self.poll_job(cx);
        if self.job.is_none() && lock(&self.queue).room_for_more() {
            self.launch();
            // Handed over now, so that it runs while the reader works.
            self.poll_job(cx);
        }
    }

    /// Gives the job an allocation to read its next chunk into, if it will read one and has
    /// none; otherwise hands it back.
    pub(super) fn recycle(&self, buf: Vec<u8>) -> Option<Vec<u8>> {
        let mut queue = lock(&self.queue);
        let held = queue.chunks.len() + usize::from(queue.reading);
        // Not larger than a chunk: a read fills all the allocation it is given.
        let fits = buf.capacity() <= queue.max;
        if fits && queue.free.is_none() && held < queue.limit && !queue.stop && !queue.end {
            queue.free = Some(buf);
            return None;
        }
        Some(buf)
    }

    /// Stops the job: it reads nothing more. Returns what it read and the reader did not
    /// take, and its spare allocation.
    pub(super) fn stop(&mut self) -> (VecDeque<Chunk>, Option<Vec<u8>>) {
        let mut queue = lock(&self.queue);
        queue.stop = true;
        queue.waker = None;
        let chunks = std::mem::take(&mut queue.chunks);
        let free = queue.free.take();
        drop(queue);
        self.job = None;
        (chunks, free)
    }

    /// Waits for the job in flight to finish its read, once stopped: the descriptor is then
    /// the reader's alone again.
    pub(super) fn poll_stopped(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        lock(&self.queue).stop = true;
        if let Some(job) = &mut self.job {
            if job.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.job = None;
        }
        Poll::Ready(())
    }

    /// Polls the job in flight: once done, it is gone. One the executor lost leaves its error
    /// in the queue, after the chunks it read.
    fn poll_job(&mut self, cx: &mut Context<'_>) {
        let Some(job) = &mut self.job else { return };
        let Poll::Ready(done) = job.as_mut().poll(cx) else {
            return;
        };
        self.job = None;
        if let Err(err) = done {
            let mut queue = lock(&self.queue);
            let offset = queue.next;
            queue.reading = false;
            queue.end = true;
            let len = queue.size;
            queue.chunks.push_back(Chunk {
                offset,
                len,
                version: self.shared.version(),
                data: Err(err),
            });
        }
    }

    fn launch(&mut self) {
        let work = ReadAhead {
            shared: Arc::clone(&self.shared),
            queue: Arc::clone(&self.queue),
        };
        self.job = Some(Box::pin(Op::new(work).on(self.exec.clone())));
    }
}

// Nothing in it is pinned: the job is boxed.
impl<E: Executor> Unpin for Reading<E> {}

impl<E: Executor> Drop for Reading<E> {
    fn drop(&mut self) {
        // The job reads nothing more for a reader that is gone.
        lock(&self.queue).stop = true;
    }
}
