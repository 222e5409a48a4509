//! A file's access and modification times.

use std::fs::FileTimes;
use std::io;
use std::time::SystemTime;

use super::job::Action;
use super::File;
use crate::executor::Executor;

impl<E: Executor> File<E> {
    /// Writes buffered data, then sets the file's access and/or modification times, as
    /// [`std::fs::File::set_times`] (`futimens`). Times left unset in `times` do not change.
    ///
    /// The writes come first, in the same hand-off: a time set here is not bumped again by
    /// bytes that were still buffered (later writes do bump the modification time, as the OS
    /// does).
    ///
    /// # Errors
    ///
    /// A pending write error, or the OS's (for instance a time the filesystem cannot
    /// represent), with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// As [`set_len`](File::set_len): once its hand-off has started, the change happens even
    /// if the future is dropped (a dropped `File` still makes it), and the next call waits for
    /// it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::FileTimes;
    /// use std::time::{Duration, SystemTime};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let mut file = aiofiles::open(dir.path().join("a"), "w").await?;
    /// let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    /// let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    /// file.set_times(FileTimes::new().set_accessed(accessed).set_modified(modified))
    ///     .await?;
    /// let meta = file.metadata().await?;
    /// assert_eq!(meta.accessed()?, accessed);
    /// assert_eq!(meta.modified()?, modified);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "utime")]
    #[doc(alias = "futimens")]
    pub async fn set_times(&mut self, times: FileTimes) -> io::Result<()> {
        self.hop(Action::SetTimes(times)).await
    }

    /// Writes buffered data, then sets the file's modification time, as
    /// [`std::fs::File::set_modified`]. The same as [`set_times`](File::set_times) with only
    /// the modification time set.
    ///
    /// # Errors
    ///
    /// As [`set_times`](File::set_times).
    ///
    /// # Cancel safety
    ///
    /// As [`set_times`](File::set_times).
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    /// use std::time::{Duration, SystemTime};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::open(&path, "w").await?;
    /// file.write_all(b"still buffered").await?;
    /// let modified = SystemTime::UNIX_EPOCH + Duration::new(1_234_567_890, 123_456_789);
    /// file.set_modified(modified).await?;
    /// file.close().await?; // nothing left to write: the time stays
    /// assert_eq!(std::fs::read(&path)?, b"still buffered");
    /// assert_eq!(std::fs::metadata(&path)?.modified()?, modified);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn set_modified(&mut self, time: SystemTime) -> io::Result<()> {
        self.set_times(FileTimes::new().set_modified(time)).await
    }
}
