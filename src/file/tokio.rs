//! tokio's four I/O traits for [`File`], over the same machine as futures-io's (feature
//! `tokio`; this module is gated once, where it is declared).

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::File;
use crate::executor::Executor;

/// Where tokio's two-step seek (`start_seek`, then `poll_complete`) stands.
pub(super) enum TokioSeek {
    Idle,
    /// Done in `start_seek` itself: no hand-off was needed.
    Done(u64),
    /// Needs a hand-off; `launched` once it is in flight.
    Pending {
        to: SeekFrom,
        launched: bool,
    },
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl<E: Executor> ::tokio::io::AsyncRead for File<E> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ::tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let core = &mut self.get_mut().core;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let data = std::task::ready!(core.poll_fill_buf(cx, buf.remaining()))?;
        let n = data.len().min(buf.remaining());
        buf.put_slice(&data[..n]);
        core.consume(n);
        Poll::Ready(Ok(()))
    }
}

super::stream::buffered_and_write_traits!(
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    ::tokio::io::AsyncBufRead,
    ::tokio::io::AsyncWrite,
    /// Flushes; the descriptor closes when the `File` is dropped (see [`File::close`]).
    poll_shutdown
);

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl<E: Executor> ::tokio::io::AsyncSeek for File<E> {
    /// Seeks at once when no hand-off is needed; otherwise `poll_complete` does it.
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.tokio_seek = match self.core.seek_without_hand_off(position) {
            Some(done) => TokioSeek::Done(done?),
            None => TokioSeek::Pending {
                to: position,
                launched: false,
            },
        };
        Ok(())
    }

    /// Completes the seek `start_seek` began, or says where the file is.
    ///
    /// A seek whose caller went away after its hand-off started is never done twice: once
    /// another call has finished it, this reports the position it left.
    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        let this = &mut *self;
        match std::mem::replace(&mut this.tokio_seek, TokioSeek::Idle) {
            TokioSeek::Done(pos) => Poll::Ready(Ok(pos)),
            TokioSeek::Pending { to, launched } if !launched || this.core.seeking(to) => {
                let result = this.core.poll_seek(cx, to);
                if result.is_pending() {
                    let launched = this.core.seeking(to);
                    this.tokio_seek = TokioSeek::Pending { to, launched };
                }
                result
            }
            TokioSeek::Idle | TokioSeek::Pending { .. } => {
                this.core.poll_seek(cx, SeekFrom::Current(0))
            }
        }
    }
}
