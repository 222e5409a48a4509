use tokio::runtime::{Handle, TryCurrentError};

use super::remote_executor;

/// Runs work on a tokio runtime's blocking pool (`spawn_blocking`). Feature `tokio`.
///
/// Results come back through a channel rather than tokio's `JoinHandle`, so that work dropped
/// by a runtime that shuts down becomes an error instead of a task that never resolves, and a
/// panic in the work is re-raised as itself rather than as tokio's `JoinError`.
///
/// # Examples
///
/// ```
/// use aiofiles::Tokio;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// aiofiles::fs::write(&path, "on tokio").on(Tokio::current()).await?;
/// assert_eq!(aiofiles::fs::read_to_string(&path).on(Tokio::current()).await?, "on tokio");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Clone, Debug)]
pub struct Tokio {
    handle: Handle,
}

impl Tokio {
    /// The runtime this code runs in.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, exactly like [`Handle::current`]: use [`Tokio::try_current`] to
    /// get an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// let exec = rt.block_on(async { aiofiles::Tokio::current() });
    /// assert_eq!(exec.handle().id(), rt.handle().id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn current() -> Self {
        Tokio {
            handle: Handle::current(),
        }
    }

    /// The runtime this code runs in.
    ///
    /// # Errors
    ///
    /// When called outside a tokio runtime (or inside one being shut down).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(aiofiles::Tokio::try_current().is_err());
    /// let rt = tokio::runtime::Builder::new_current_thread().build()?;
    /// assert!(rt.block_on(async { aiofiles::Tokio::try_current() }).is_ok());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_current() -> Result<Self, TryCurrentError> {
        Handle::try_current().map(|handle| Tokio { handle })
    }

    /// The runtime behind `handle`, which may be used from outside the runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let exec = aiofiles::Tokio::new(rt.handle().clone());
    /// // No runtime on this thread: the work still runs on `rt`'s pool.
    /// let answer = futures::executor::block_on(aiofiles::unblock(|| 42).on(exec))?;
    /// assert_eq!(answer, 42);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn new(handle: Handle) -> Self {
        Tokio { handle }
    }

    /// The handle of the runtime the work runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = tokio::runtime::Runtime::new()?;
    /// let exec = aiofiles::Tokio::new(rt.handle().clone());
    /// assert_eq!(exec.handle().id(), rt.handle().id());
    /// # std::io::Result::Ok(())
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

remote_executor!(
    Tokio,
    "the tokio runtime shut down before the work could run",
    // Dropping the JoinHandle detaches: the result travels through the job's completer.
    |this, job| drop(this.handle.spawn_blocking(job))
);
