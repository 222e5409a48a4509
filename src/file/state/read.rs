//! The caller side of reading: the read buffer, the reading job behind it while access is
//! sequential, and whole-file reads.

use std::io;
use std::mem;
use std::task::{ready, Context, Poll};

use super::super::job::Action;
use super::super::reading::{Chunk, Reading};
use super::{Buffering, Core, Finished, Kind, MAX_BUF, MAX_CHUNK, READ_START};
use crate::executor::Executor;

/// The largest chunk the reading job of a default-buffered file reads: four of them (the
/// one being consumed and three read ahead) make the 4 MiB worst case per `File`.
const MAX_AHEAD_CHUNK: usize = MAX_BUF / 2;

impl<E: Executor> Core<E> {
    /// Everything from the position to the end of the file, when the read-ahead holds it all:
    /// no hand-off needed.
    fn take_to_eof(&mut self) -> Option<Vec<u8>> {
        self.drop_stale();
        if !self.eof || self.busy.is_some() || self.write_err.is_some() {
            return None;
        }
        Some(self.take_buffered())
    }

    /// Takes all the read-ahead, which ends at the end of the file, and moves the position
    /// past it.
    fn take_buffered(&mut self) -> Vec<u8> {
        let data = self.drain_read_ahead();
        self.advance(data.len());
        data
    }

    /// Takes the unread read-ahead out of the buffer, and the reading job's chunks that follow
    /// it, the position untouched; the reading job stops.
    pub(super) fn drain_read_ahead(&mut self) -> Vec<u8> {
        let mut data = mem::take(&mut self.rbuf);
        if self.rpos > 0 {
            data.drain(..self.rpos);
        }
        self.rpos = 0;
        self.eof = false;
        if let Some(mut reading) = self.reading.take() {
            let (chunks, free) = reading.stop();
            let mut next = self.pos.map(|p| p + data.len() as u64);
            for chunk in chunks {
                match chunk.data {
                    Ok(more) if chunk.offset == next && chunk.version == self.seen => {
                        next = next.map(|n| n + more.len() as u64);
                        data.extend_from_slice(&more);
                        self.recycle(more);
                    }
                    _ => break,
                }
            }
            if let Some(free) = free {
                self.recycle(free);
            }
        }
        data
    }

    /// The memory read-ahead holds: the buffer, the reading job's chunks and spare
    /// allocation, and the allocation kept for reuse.
    #[cfg(test)]
    pub(in crate::file) fn read_ahead_memory(&self) -> usize {
        let reading = self.reading.as_ref().map_or(0, Reading::memory);
        self.rbuf.capacity() + reading + self.spare.capacity()
    }

    /// Stops the reading job, if any, and keeps one of its allocations for reuse.
    pub(super) fn stop_reading(&mut self) {
        if let Some(mut reading) = self.reading.take() {
            let (chunks, free) = reading.stop();
            for chunk in chunks {
                if let Ok(data) = chunk.data {
                    self.recycle(data);
                }
            }
            if let Some(free) = free {
                self.recycle(free);
            }
        }
    }

    /// Waits until no reading job holds the descriptor.
    pub(in crate::file) fn poll_reading_stopped(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(reading) = &mut self.reading {
            ready!(reading.poll_stopped(cx));
            self.stop_reading();
        }
        Poll::Ready(())
    }

    /// Everything from the position to the end of the file, in one hand-off, or none when the
    /// read-ahead holds it all. A call dropped while its job runs consumed nothing: the bytes
    /// stay buffered for the next read.
    pub(in crate::file) fn poll_read_to_end(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Vec<u8>>> {
        loop {
            if let Some(data) = self.take_to_eof() {
                return Poll::Ready(Ok(data));
            }
            match ready!(self.poll_busy(cx)) {
                Some(Finished::ReadToEnd(result)) => {
                    if let Some(err) = self.write_err.take() {
                        return Poll::Ready(Err(err));
                    }
                    // Read by this job: current, whatever was written since.
                    return Poll::Ready(result.map(|()| self.take_buffered()));
                }
                Some(_) => continue,
                None => {}
            }
            if let Some(err) = self.write_err.take() {
                return Poll::Ready(Err(err));
            }
            // Everything from `pos` on is read by the job itself.
            self.drop_read_ahead();
            let action = Action::ReadToEnd { buf: Vec::new() };
            self.launch(cx, Kind::ReadToEnd, action, self.pos);
        }
    }

    /// Fills the read buffer if it is empty; `want` is how much the caller would like.
    pub(in crate::file) fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
    ) -> Poll<io::Result<&[u8]>> {
        loop {
            self.drop_stale();
            if self.rpos < self.rbuf.len() {
                self.maybe_read_ahead(cx);
                return Poll::Ready(Ok(&self.rbuf[self.rpos..]));
            }
            if !self.eof && self.reading.is_some() {
                let chunk = ready!(self.reading.as_mut().expect("a reading job").poll_next(cx));
                if let Some(result) = self.take_chunk(cx, chunk) {
                    return Poll::Ready(result.map(|()| &[][..]));
                }
                continue;
            }
            if let Some(finished) = ready!(self.poll_busy(cx)) {
                match finished {
                    // The end of the file, or an error reading.
                    Finished::Read(Ok(0)) => return Poll::Ready(Ok(&[])),
                    Finished::Read(Err(err)) if self.write_err.is_none() => {
                        return Poll::Ready(Err(err))
                    }
                    _ => {}
                }
                continue;
            }
            if let Some(err) = self.write_err.take() {
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

    /// A chunk of the reading job, for a caller whose buffer is drained: it becomes the
    /// buffer. `None` when the caller goes on (the chunk is in the buffer, or was stale and the
    /// reading job is gone); `Some` at the end of the file (`Ok`) or on the read's error.
    fn take_chunk(&mut self, cx: &mut Context<'_>, chunk: Chunk) -> Option<io::Result<()>> {
        // Read since the last write through the descriptor, at the position.
        let current = chunk.version == self.shared.version() && chunk.offset == self.pos;
        match chunk.data {
            Ok(data) if current && data.is_empty() => {
                // The end of the file: the job stopped there, and the next fill reads again.
                self.recycle(data);
                Some(Ok(()))
            }
            Ok(data) if current => {
                // The end of the file for now: reported once this is consumed.
                self.eof = data.len() < chunk.len;
                let old = mem::replace(&mut self.rbuf, data);
                self.rpos = 0;
                self.seen = chunk.version;
                let limit = self.ahead_limit();
                let reading = self.reading.as_mut().expect("a reading job");
                // The drained buffer goes to the job for its next read (so the memory in use
                // stays what the chunks take), or is freed.
                drop(reading.recycle(old));
                reading.set_limit(limit);
                // Once per chunk taken (not per call): the job reads on while this one is
                // consumed.
                reading.keep_reading(cx);
                None
            }
            Err(err) if current => {
                self.stop_reading();
                Some(Err(err))
            }
            _ => {
                // Stale: read from the position afresh.
                self.stop_reading();
                None
            }
        }
    }

    /// The largest chunk the reading job reads: half the buffer, so that the chunk being
    /// consumed and three read ahead stay within twice the buffer size.
    fn ahead_chunk(&self) -> usize {
        match self.buffering {
            Buffering::Adaptive => MAX_AHEAD_CHUNK,
            Buffering::Fixed(n) => (n / 2).max(1),
        }
    }

    /// How many chunks the reading job may read ahead of the buffer being consumed: the
    /// buffer and they take at most twice the buffer size.
    fn ahead_limit(&self) -> usize {
        let budget = 2 * self.keep_limit();
        let chunk = self.ahead_chunk();
        (budget.saturating_sub(self.rbuf.capacity().max(chunk)) / chunk).max(1)
    }

    /// Keeps a reading job going while the caller consumes the buffer, once access is
    /// sequential (two fills in a row without a seek): the pool thread's copies from the
    /// kernel then overlap the caller's copies out of the buffer, and a caller that keeps up
    /// costs no hand-off per chunk.
    fn maybe_read_ahead(&mut self, cx: &mut Context<'_>) {
        // A reading job is kept going as its chunks are taken.
        if self.reading.is_some()
            || self.busy.is_some()
            || self.streak < 2
            || self.unbuffered()
            || self.eof
            || !self.wbuf.is_empty()
        {
            return;
        }
        let remaining = self.rbuf.len() - self.rpos;
        let next = self.pos.map(|p| p + remaining as u64);
        let max = self.ahead_chunk();
        let mut reading = Reading::new(
            &self.shared,
            &self.exec,
            next,
            self.read_size,
            max,
            self.ahead_limit(),
        );
        // The kept allocation becomes the job's first buffer, or goes: the chunks are the
        // read-ahead's memory now.
        drop(reading.recycle(mem::take(&mut self.spare)));
        reading.keep_reading(cx);
        self.reading = Some(reading);
    }

    pub(in crate::file) fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.rbuf.len() - self.rpos);
        self.rpos += amt;
        self.advance(amt);
        if self.rpos == self.rbuf.len() && self.rbuf.capacity() > self.keep_limit() {
            // A caller's read larger than the fixed buffer: what it needed is delivered.
            let used = mem::take(&mut self.rbuf);
            self.rpos = 0;
            self.recycle(used);
        }
    }

    pub(in crate::file) fn poll_read(
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
}
