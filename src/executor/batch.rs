//! Streams fed by a blocking source a batch at a time: directory listings and walks.
//!
//! The source (a `std::fs::ReadDir`, a `walkdir` iterator, ...) moves onto the executor for
//! one hand-off, appends up to a batch of items to the stream's buffer, and comes back. The
//! stream holds at most one batch, and a source in flight when the stream is dropped finishes
//! its one batch on the executor and is dropped there.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{Executor, Op, Private, Work};

/// A blocking source of items.
pub(crate) trait Source: Send + Sized + 'static {
    type Item: Send + 'static;

    /// Appends up to one batch of items to `buf`; `None` once the source is exhausted.
    ///
    /// An `Err` ends the stream after the items already in `buf`: the source is gone.
    fn fill(self, buf: &mut VecDeque<Self::Item>) -> io::Result<Option<Self>>;
}

/// One hand-off: the source and the (empty) buffer travel to the executor and back.
struct Fill<S: Source> {
    source: S,
    buf: VecDeque<S::Item>,
}

impl<S: Source> Work for Fill<S> {
    type Output = (Option<S>, VecDeque<S::Item>);

    fn run(self, _: Private) -> io::Result<Self::Output> {
        let Fill { source, mut buf } = self;
        let source = source.fill(&mut buf)?;
        Ok((source, buf))
    }
}

enum State<S: Source, E: Executor> {
    /// Not polled yet: the source can still be configured, and the executor changed.
    Start(S),
    /// Between batches; `None` once the source is exhausted or failed.
    Idle(Option<S>),
    /// A batch in flight.
    Busy(Pin<Box<Op<Fill<S>, E>>>),
}

/// The state of a batched stream: its source, or the hand-off it is on, and the buffer.
pub(crate) struct Batches<S: Source, E: Executor> {
    state: State<S, E>,
    buf: VecDeque<S::Item>,
}

impl<S: Source, E: Executor> Batches<S, E> {
    pub(crate) fn new(source: S) -> Self {
        Batches {
            state: State::Start(source),
            buf: VecDeque::new(),
        }
    }

    /// The source, to configure it, or to move the stream to another executor.
    ///
    /// # Panics
    ///
    /// If the stream was polled already: "`{method}` called after the {noun} was polled".
    pub(crate) fn into_unstarted(self, method: &str, noun: &str) -> S {
        match self.state {
            State::Start(source) => source,
            _ => panic!("`{method}` called after the {noun} was polled"),
        }
    }

    /// Replaces the source with `change(source)` before the stream starts.
    ///
    /// # Panics
    ///
    /// As [`into_unstarted`](Batches::into_unstarted).
    fn change_source(&mut self, method: &str, noun: &str, change: impl FnOnce(S) -> S) {
        match mem::replace(&mut self.state, State::Idle(None)) {
            State::Start(source) => self.state = State::Start(change(source)),
            other => {
                self.state = other;
                panic!("`{method}` called after the {noun} was polled");
            }
        }
    }

    /// Makes sure the buffer holds an item unless the source is over, fetching a batch on
    /// `exec` if needed.
    pub(crate) fn poll_fill(&mut self, exec: &E, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.buf.is_empty() {
            match &mut self.state {
                State::Idle(None) => break,
                State::Start(_) | State::Idle(Some(_)) => {
                    let source = match mem::replace(&mut self.state, State::Idle(None)) {
                        State::Start(source) | State::Idle(Some(source)) => source,
                        _ => unreachable!("matched above"),
                    };
                    let fill = Fill {
                        source,
                        buf: mem::take(&mut self.buf),
                    };
                    self.state = State::Busy(Box::pin(Op::new(fill).on(exec.clone())));
                }
                State::Busy(op) => {
                    let outcome = ready!(op.as_mut().poll(cx));
                    self.state = State::Idle(None);
                    let (source, buf) = outcome?;
                    self.state = State::Idle(source);
                    self.buf = buf;
                }
            }
        }
        Poll::Ready(Ok(()))
    }

    /// The next buffered item.
    pub(crate) fn pop(&mut self) -> Option<S::Item> {
        self.buf.pop_front()
    }

    /// How many items are buffered.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The source is over and the buffer empty.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Idle(None)) && self.buf.is_empty()
    }

    /// `Stream::size_hint` for a stream that yields each buffered item.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            State::Idle(None) => (self.buf.len(), Some(self.buf.len())),
            _ => (self.buf.len(), None),
        }
    }

    /// Where the stream is, for `Debug`.
    pub(crate) fn phase(&self) -> &'static str {
        match self.state {
            State::Start(_) => "not started",
            State::Idle(Some(_)) => "between batches",
            State::Idle(None) => "done",
            State::Busy(_) => "fetching",
        }
    }
}

/// The shell of every batched stream (directory listings and walks): the executor its
/// batches are fetched on, and the batches. Each stream keeps only its source, what it adds
/// to each item, and its builders; [`batched_stream!`] gives it the rest.
pub(crate) struct Batched<S: Source, E: Executor> {
    exec: E,
    batches: Batches<S, E>,
}

impl<S: Source, E: Executor> Batched<S, E> {
    /// A stream of `source`'s items, not started: its first poll hands the source over.
    pub(crate) fn new(source: S, exec: E) -> Self {
        Batched {
            exec,
            batches: Batches::new(source),
        }
    }

    /// The executor batches are fetched on.
    pub(crate) fn executor(&self) -> &E {
        &self.exec
    }

    /// Changes the source before the stream starts.
    ///
    /// # Panics
    ///
    /// If the stream was polled already: "`{method}` called after the {noun} was polled".
    pub(crate) fn configure(&mut self, method: &str, noun: &str, change: impl FnOnce(S) -> S) {
        self.batches.change_source(method, noun, change);
    }

    /// The same stream on `exec`.
    ///
    /// # Panics
    ///
    /// As [`configure`](Batched::configure).
    pub(crate) fn on<E2: Executor>(self, method: &str, noun: &str, exec: E2) -> Batched<S, E2> {
        Batched::new(self.batches.into_unstarted(method, noun), exec)
    }

    /// Ready once an item is buffered or the source is over; the error of a batch the
    /// executor lost (the source went with it: the stream is over).
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.batches.poll_fill(&self.exec, cx)
    }

    /// The next item, made the stream's by `make` (given the executor, for items that carry
    /// it); a lost batch's error as the last item.
    pub(crate) fn poll_next<T>(
        &mut self,
        cx: &mut Context<'_>,
        make: impl FnOnce(S::Item, &E) -> io::Result<T>,
    ) -> Poll<Option<io::Result<T>>> {
        if let Err(err) = ready!(self.poll_fill(cx)) {
            return Poll::Ready(Some(Err(err)));
        }
        Poll::Ready(self.batches.pop().map(|item| make(item, &self.exec)))
    }

    /// `Stream::size_hint`: each buffered item, and more unless the source is over.
    pub(crate) fn size_hint(&self) -> (usize, Option<usize>) {
        self.batches.size_hint()
    }

    /// `FusedStream::is_terminated`.
    pub(crate) fn is_terminated(&self) -> bool {
        self.batches.is_done()
    }

    /// Where the stream is and what it holds, for the stream's `Debug`.
    pub(crate) fn fields<'d, 'a, 'b>(
        &self,
        debug: &'d mut fmt::DebugStruct<'a, 'b>,
    ) -> &'d mut fmt::DebugStruct<'a, 'b> {
        debug
            .field("state", &self.batches.phase())
            .field("buffered", &self.batches.buffered())
    }
}

/// The shell's side of every batched stream `$ty<E>`, whose field `$field` is its [`Batched`]
/// shell: `Unpin`, `executor()` (with the docs given), `Stream`, `FusedStream`, and `Debug`
/// (the struct's name, the fields named in `Debug { name: field, .. }` in that order, then
/// where the shell is). `|$this, $raw, $exec| $make` turns each item of the source into an
/// `io::Result<$item>`.
///
/// With `async fn next_entry; future $future;` (each with its docs), the stream is also
/// awaitable, as `fs::read_dir`'s is: awaiting it (`$future`) opens the source and fetches the
/// first batch in one hand-off, and resolves to the stream, or to the error the opening gave
/// (which the stream itself would yield as its one item); and `next_entry` is the next item,
/// in the shape of `tokio::fs::ReadDir::next_entry`.
macro_rules! batched_stream {
    (
        $ty:ident => $item:ty, $field:ident;
        Debug { $($name:ident: $debug:ident),* $(,)? };
        $(#[$executor_doc:meta])*
        fn executor;
        $(
            $(#[$next_doc:meta])*
            async fn next_entry;
            $(#[$future_doc:meta])*
            future $future:ident;
        )?
        |$this:ident, $raw:ident, $exec:ident| $make:expr $(;)?
    ) => {
        // `E` is never pinned: the stream only ever hands out clones of it.
        impl<E: $crate::executor::Executor> Unpin for $ty<E> {}

        impl<E: $crate::executor::Executor> $ty<E> {
            $(#[$executor_doc])*
            pub fn executor(&self) -> &E {
                self.$field.executor()
            }
        }

        impl<E: $crate::executor::Executor> futures_core::Stream for $ty<E> {
            type Item = std::io::Result<$item>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                #[allow(unused_variables)]
                let $this = self.get_mut();
                #[allow(unused_variables)]
                $this.$field.poll_next(cx, |$raw, $exec| $make)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.$field.size_hint()
            }
        }

        impl<E: $crate::executor::Executor> futures_core::FusedStream for $ty<E> {
            fn is_terminated(&self) -> bool {
                self.$field.is_terminated()
            }
        }

        impl<E: $crate::executor::Executor> std::fmt::Debug for $ty<E> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                #[allow(unused_mut)]
                let mut debug = f.debug_struct(stringify!($ty));
                $(debug.field(stringify!($name), &self.$debug);)*
                self.$field.fields(&mut debug).finish()
            }
        }

        $(
            impl<E: $crate::executor::Executor> $ty<E> {
                $(#[$next_doc])*
                pub async fn next_entry(&mut self) -> std::io::Result<Option<$item>> {
                    std::future::poll_fn(|cx| {
                        futures_core::Stream::poll_next(std::pin::Pin::new(&mut *self), cx)
                    })
                    .await
                    .transpose()
                }
            }

            impl<E: $crate::executor::Executor> std::future::IntoFuture for $ty<E> {
                type Output = std::io::Result<$ty<E>>;
                type IntoFuture = $future<E>;

                fn into_future(self) -> $future<E> {
                    $future { stream: Some(self) }
                }
            }

            $(#[$future_doc])*
            #[must_use = "futures do nothing unless you .await or poll them"]
            #[derive(Debug)]
            pub struct $future<E: $crate::executor::Executor = $crate::executor::Blocking> {
                stream: Option<$ty<E>>,
            }

            impl<E: $crate::executor::Executor> std::future::Future for $future<E> {
                type Output = std::io::Result<$ty<E>>;

                fn poll(
                    mut self: std::pin::Pin<&mut Self>,
                    cx: &mut std::task::Context<'_>,
                ) -> std::task::Poll<Self::Output> {
                    let stream = self.stream.as_mut().expect(concat!(
                        "`",
                        stringify!($future),
                        "` polled after completion"
                    ));
                    std::task::ready!(stream.$field.poll_fill(cx))?;
                    std::task::Poll::Ready(Ok(self.stream.take().expect("checked above")))
                }
            }
        )?
    };
}
pub(crate) use batched_stream;
