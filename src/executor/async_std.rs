use super::remote_executor;

/// Runs work on async-std's blocking pool (`async_std::task::spawn_blocking`). Feature
/// `async-std`.
///
/// async-std is discontinued upstream; this is for applications still on it. smol applications
/// need nothing: [`Blocking`](crate::Blocking), the default, is smol's own pool.
///
/// # Examples
///
/// ```
/// use aiofiles::AsyncStd;
///
/// # async_std::task::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.txt");
/// aiofiles::fs::write(&path, "on async-std").on(AsyncStd).await?;
/// assert_eq!(aiofiles::fs::read(&path).on(AsyncStd).await?, b"on async-std");
/// # std::io::Result::Ok(()) })?;
/// # std::io::Result::Ok(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsyncStd;

remote_executor!(
    AsyncStd,
    "async-std dropped the work before it could run",
    // Dropping the JoinHandle detaches: the result travels through the job's completer, which
    // also carries a panic back as itself.
    |_, job| drop(async_std::task::spawn_blocking(job))
);
