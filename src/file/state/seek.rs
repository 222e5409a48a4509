//! The caller side of seeking, and of handing read-ahead to `File::chunks` and back.

use std::io::{self, SeekFrom};
use std::mem;
use std::task::{ready, Context, Poll};

use super::super::job::Action;
use super::super::reading::Reading;
use super::{Buffering, Core, Finished, Kind, READ_START};
use crate::error::Operation;
use crate::executor::Executor;

impl<E: Executor> Core<E> {
    // ---- seeking ----

    pub(in crate::file) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        to: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            if self.busy.is_some() {
                if let Some(Finished::Sought(target, result)) = ready!(self.poll_busy(cx)) {
                    if target == to {
                        return Poll::Ready(self.write_err.take().map_or(result, Err));
                    }
                }
                continue;
            }
            if let Some(done) = self.seek_without_hand_off(to) {
                return Poll::Ready(done);
            }
            // A hand-off: writes are pending, or the end (or the position) must be asked.
            let action = match (self.pos, to) {
                (Some(pos), SeekFrom::Current(d)) => SeekFrom::Start(pos.saturating_add_signed(d)),
                (None, SeekFrom::Current(d)) => {
                    let queued = self.reading.as_ref().map_or(0, Reading::queued);
                    let buffered = (self.rbuf.len() - self.rpos + queued) as i64;
                    SeekFrom::Current(d - buffered)
                }
                (_, other) => other,
            };
            self.drop_read_ahead();
            self.streak = 0;
            self.launch(cx, Kind::Seek(to), Action::Seek(action), None);
        }
    }

    /// A seek when nothing is in flight, if it needs no hand-off: the position is known and no
    /// write is buffered (or it only asks where the file is).
    pub(in crate::file) fn seek_without_hand_off(
        &mut self,
        to: SeekFrom,
    ) -> Option<io::Result<u64>> {
        if self.busy.is_some() {
            return None;
        }
        if let Some(err) = self.write_err.take() {
            return Some(Err(err));
        }
        if let (Some(pos), SeekFrom::Current(0)) = (self.pos, to) {
            // Even this seek does not reuse an end of file seen before it.
            self.eof = false;
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
                    return Some(Err(self.shared.error(Operation::Seek, err)));
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
    #[cfg(feature = "tokio")]
    pub(in crate::file) fn seeking(&self, to: SeekFrom) -> bool {
        matches!(&self.busy, Some(b) if b.kind == Kind::Seek(to))
    }

    /// A seek that needs no hand-off: within the read buffer, or deferred to the next job,
    /// which starts with an absolute seek.
    pub(super) fn seek_here(&mut self, target: u64) -> u64 {
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

    // ---- owned-buffer reads (`File::chunks`) ----

    /// The read-ahead buffered at the position, taken out of the buffer; the position stays
    /// (the caller [`advance`](Self::advance)s it as it hands the bytes out). Call when idle.
    pub(in crate::file) fn take_read_ahead(&mut self) -> Vec<u8> {
        debug_assert!(self.busy.is_none());
        self.drop_stale();
        self.drain_read_ahead()
    }

    /// Takes back bytes read at the position, as read-ahead; `version` is when they were
    /// read. Dropped if the buffer holds something already.
    pub(in crate::file) fn give_back(&mut self, data: Vec<u8>, version: u64) {
        if self.busy.is_none() && self.rpos == self.rbuf.len() && self.reading.is_none() {
            let old = mem::replace(&mut self.rbuf, data);
            self.recycle(old);
            self.rpos = 0;
            self.seen = version;
            self.streak = 1;
        }
    }
}
