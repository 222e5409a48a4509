//! The caller side of writing: the write buffer, write-behind, and writes that go straight
//! through (unbuffered, or larger than the buffer).

use std::io;
use std::mem;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;

use super::super::job::Action;
use super::{not_writable, Core, Finished, Kind, MAX_CHUNK};
use crate::error::Operation;
use crate::executor::Executor;

impl<E: Executor> Core<E> {
    // ---- writing ----

    /// Buffers `data`, or as much as fits; see [`poll_write_slow`](Self::poll_write_slow).
    #[inline]
    pub(in crate::file) fn poll_write(
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
            && self.reading.is_none()
            && self.shared.writable
        {
            self.wbuf.extend_from_slice(data);
            self.advance_by_write(data.len());
            return Poll::Ready(Ok(data.len()));
        }
        self.poll_write_slow(cx, data)
    }

    pub(super) fn poll_write_slow(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if !self.shared.writable {
            return Poll::Ready(Err(self.shared.error(Operation::Write, not_writable())));
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
        if !self.rbuf.is_empty() || self.reading.is_some() {
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
    pub(super) fn advance_by_write(&mut self, n: usize) {
        match (&mut self.pos, self.shared.append) {
            (Some(pos), false) => *pos += n as u64,
            (pos, true) => *pos = None,
            (None, false) => {}
        }
    }

    /// A fresh write buffer while the last one is written in the background: the recycled
    /// allocation, sized for a whole buffer at once.
    pub(super) fn next_write_buffer(&mut self) {
        self.wbuf = mem::take(&mut self.spare);
        self.wbuf.reserve(self.write_size);
    }

    /// `buffer_size(0)`: one job per call, done when the call returns. A call that returned
    /// `Pending` has handed its bytes over: polled again with the same buffer it returns that
    /// write's count; a different buffer first waits for it.
    pub(super) fn poll_write_through(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
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
            if let Some(finished) = ready!(self.poll_busy(cx)) {
                if let (true, Finished::Wrote(result)) = (mine, finished) {
                    return Poll::Ready(self.write_err.take().map_or(result, Err));
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
    pub(in crate::file) fn poll_write_owned(
        &mut self,
        cx: &mut Context<'_>,
        data: &mut Option<Bytes>,
    ) -> Poll<io::Result<()>> {
        if data.is_some() {
            if !self.shared.writable {
                return Poll::Ready(Err(self.shared.error(Operation::Write, not_writable())));
            }
            if self.pass_to_job_in_flight(cx, data) {
                return Poll::Ready(Ok(()));
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

    /// Hands `data` to the owned write in flight (queued or running), which writes it next
    /// with no hand-off between the two: so a caller that keeps a write in flight keeps the
    /// pool thread writing. Only with nothing buffered to go first, nothing failed, and not
    /// unbuffered (whose calls return once written).
    fn pass_to_job_in_flight(&mut self, cx: &mut Context<'_>, data: &mut Option<Bytes>) -> bool {
        let eligible = matches!(&self.busy, Some(b) if b.kind == Kind::Flush)
            && self.wbuf.is_empty()
            && self.write_err.is_none()
            && !self.unbuffered();
        if !eligible || data.as_ref().is_none_or(Bytes::is_empty) {
            return false;
        }
        let bytes = data.take().expect("checked above");
        let len = bytes.len();
        match self.shared.offer(bytes, cx.waker()) {
            Ok(()) => {
                if let Some(busy) = &mut self.busy {
                    busy.writes += len;
                }
                self.drop_read_ahead();
                self.advance_by_write(len);
                true
            }
            Err(bytes) => {
                *data = Some(bytes);
                false
            }
        }
    }

    /// Writes out the buffer and waits for every write in flight.
    pub(in crate::file) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
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
}
