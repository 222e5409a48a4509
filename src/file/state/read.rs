//! The caller side of reading: the read buffer, read-ahead in the background, and whole-file
//! reads.

use std::io;
use std::mem;
use std::task::{ready, Context, Poll};

use super::super::job::Action;
use super::{Buffering, Core, Finished, Kind, MAX_BUF, MAX_CHUNK, READ_START};
use crate::executor::Executor;

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

    /// Takes the unread read-ahead out of the buffer, the position untouched.
    pub(super) fn drain_read_ahead(&mut self) -> Vec<u8> {
        let mut data = mem::take(&mut self.rbuf);
        if self.rpos > 0 {
            data.drain(..self.rpos);
        }
        data.append(&mut self.ahead);
        self.rpos = 0;
        self.eof = false;
        data
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
                self.maybe_prefetch(cx);
                return Poll::Ready(Ok(&self.rbuf[self.rpos..]));
            }
            if !self.ahead.is_empty() {
                let drained = mem::replace(&mut self.rbuf, mem::take(&mut self.ahead));
                self.rpos = 0;
                self.recycle(drained);
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
