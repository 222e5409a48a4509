use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::{Blocking, Executor};

/// The blocking part of an [`Op`]: a closure run once on the executor's thread.
///
/// Implemented for every `FnOnce() -> io::Result<T> + Send + 'static`; operation signatures use
/// it as `Op<impl Work<Output = T>>`, so that an operation's type says what it yields. Sealed:
/// only this crate implements it or runs it (its method takes a token no other crate can
/// name); a user hands blocking code over with [`unblock`] instead.
///
/// # Examples
///
/// ```
/// use aiofiles::executor::Work;
/// use aiofiles::executor::Op;
///
/// fn answer() -> Op<impl Work<Output = u32>> {
///     aiofiles::unblock(|| 6 * 7)
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(answer().await?, 42);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub trait Work: Send + 'static {
    /// What the work produces.
    type Output: Send + 'static;

    /// Runs the work on the current thread.
    ///
    /// # Errors
    ///
    /// Whatever the work returns.
    #[doc(hidden)]
    fn run(self, _: Private) -> io::Result<Self::Output>;
}

/// The token [`Work::run`] takes: constructible, and nameable, only inside this crate, which
/// seals the trait.
#[derive(Clone, Copy, Debug)]
pub struct Private(());

impl Private {
    /// The one way to make a token.
    pub(crate) const TOKEN: Self = Self(());
}

impl<F, T> Work for F
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    type Output = T;

    #[inline]
    fn run(self, _: Private) -> io::Result<T> {
        self()
    }
}

pin_project! {
    /// An operation: blocking work that runs on an executor when awaited.
    ///
    /// Every free function of this crate returns one. Awaited as it is, it runs on
    /// [`Blocking`]; [`.on(executor)`](Op::on) binds it to another executor first, like Python
    /// aiofiles' `executor=` argument. Nothing happens until it is first polled; then it costs
    /// exactly one hand-off to the executor.
    ///
    /// # Errors
    ///
    /// The work's own error, or an error of kind [`Other`](io::ErrorKind::Other) when the
    /// executor dropped the work (a runtime that shut down).
    ///
    /// # Cancel safety
    ///
    /// Dropping an `Op` before its first poll does nothing. Once polled, the work has been
    /// handed over and runs to completion even if the `Op` is dropped; its result is discarded.
    ///
    /// # Panics
    ///
    /// A panic inside the work is re-raised here, in the task that awaits it.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{fs, Inline};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a.txt");
    /// fs::write(&path, b"abc").await?;                         // on Blocking
    /// assert_eq!(fs::read(&path).on(Inline).await?, b"abc");   // on Inline
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Op<W, E = Blocking>
    where
        W: Work,
        E: Executor,
    {
        exec: E,
        work: Option<W>,
        #[pin]
        task: Option<E::Task<io::Result<W::Output>>>,
    }
}

impl<W: Work> Op<W> {
    /// An operation that runs `work` on the default executor unless rebound.
    #[inline]
    pub(crate) fn new(work: W) -> Self {
        Op {
            exec: Blocking,
            work: Some(work),
            task: None,
        }
    }
}

impl<W: Work, E: Executor> Op<W, E> {
    /// Binds the operation to `exec`: its work runs there.
    ///
    /// # Panics
    ///
    /// If the operation was already polled: its work has been handed to the first executor.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Limit};
    ///
    /// # futures::executor::block_on(async {
    /// let limit = Limit::new(Blocking, 1);
    /// let tmp = std::env::temp_dir();
    /// assert!(aiofiles::fs::metadata(&tmp).on(limit).await?.is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[inline]
    pub fn on<E2: Executor>(self, exec: E2) -> Op<W, E2> {
        assert!(
            self.task.is_none(),
            "`Op::on` called after the operation was polled"
        );
        Op {
            exec,
            work: self.work,
            task: None,
        }
    }

    /// The executor the work runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Blocking, Inline};
    ///
    /// assert_eq!(*aiofiles::fs::read("a").executor(), Blocking);
    /// assert_eq!(*aiofiles::fs::read("a").on(Inline).executor(), Inline);
    /// ```
    #[inline]
    pub fn executor(&self) -> &E {
        &self.exec
    }
}

impl<W: Work, E: Executor> Future for Op<W, E> {
    type Output = io::Result<W::Output>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(work) = this.work.take() {
            // Panics are caught where the work runs, by the executor's task (`Completer`,
            // `blocking`, `Linger`), and re-raised when it is polled: the `Executor` contract.
            this.task.set(Some(
                this.exec.spawn_blocking(move || work.run(Private::TOKEN)),
            ));
        }
        let task = this
            .task
            .as_mut()
            .as_pin_mut()
            .expect("`Op` polled after completion");
        let outcome = ready!(task.poll(cx));
        this.task.set(None);
        Poll::Ready(outcome.and_then(|result| result))
    }
}

impl<W: Work, E: Executor + fmt::Debug> fmt::Debug for Op<W, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (&self.work, &self.task) {
            (Some(_), _) => "not started",
            (None, Some(_)) => "running",
            (None, None) => "done",
        };
        f.debug_struct("Op")
            .field("executor", &self.exec)
            .field("state", &state)
            .finish()
    }
}

/// Runs any blocking closure on an executor: Python aiofiles' `wrap`.
///
/// Batching several `std` calls into one closure costs one hand-off instead of one per call:
/// the fastest way to do a sequence of small file operations.
///
/// # Errors
///
/// Only when the executor dropped the work (see [`Op`]); the closure's own result, `Result` or
/// not, is the `Ok` value.
///
/// # Cancel safety
///
/// As [`Op`]: once polled, the closure runs to completion even if the future is dropped.
///
/// # Panics
///
/// A panic in the closure is re-raised in the awaiting task.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let root = dir.path().to_owned();
/// // Three std calls, one hand-off.
/// let names = aiofiles::unblock(move || -> std::io::Result<Vec<String>> {
///     std::fs::write(root.join("a"), "1")?;
///     std::fs::write(root.join("b"), "2")?;
///     let mut names: Vec<String> = std::fs::read_dir(&root)?
///         .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
///         .collect::<std::io::Result<_>>()?;
///     names.sort();
///     Ok(names)
/// })
/// .await??;
/// assert_eq!(names, ["a", "b"]);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[inline]
pub fn unblock<F, T>(f: F) -> Op<impl Work<Output = T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Op::new(move || Ok(f()))
}
