//! What a [`Dir`] tells of the paths beneath it: metadata and existence.

use std::path::Path;

use super::{Dir, Metadata};
use crate::error::Operation;
use crate::executor::{Executor, Op, Work};

impl<E: Executor> Dir<E> {
    /// Queries the metadata of `path`, following symlinks (which must stay inside), as
    /// [`crate::fs::metadata`]. `"."` is this directory.
    ///
    /// Returns `cap-std`'s [`Metadata`], which has the methods of std's
    /// ([`is_file`](Metadata::is_file), [`len`](Metadata::len),
    /// [`modified`](Metadata::modified), ...).
    ///
    /// # Errors
    ///
    /// As [`std::fs::metadata`], and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future discards the result; nothing changes on disk.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a"), "1234")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let meta = root.metadata("a").await?;
    /// assert!(meta.is_file());
    /// assert_eq!(meta.len(), 4);
    /// assert!(root.metadata(".").await?.is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "stat")]
    pub fn metadata<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = Metadata>, E> {
        self.on_path(Operation::Metadata, path.as_ref(), |dir, path| {
            dir.metadata(path)
        })
    }

    /// Queries the metadata of `path` without following a final symlink, as
    /// [`crate::fs::symlink_metadata`]. Returns `cap-std`'s [`Metadata`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::symlink_metadata`], and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future discards the result; nothing changes on disk.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("link"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert!(root.symlink_metadata("link").await?.file_type().is_symlink());
    /// assert!(root.metadata("link").await.is_err()); // its target is outside
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "lstat")]
    pub fn symlink_metadata<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = Metadata>, E> {
        self.on_path(Operation::Metadata, path.as_ref(), |dir, path| {
            dir.symlink_metadata(path)
        })
    }

    /// Whether `path` exists, following symlinks, as [`crate::fs::try_exists`]. A missing
    /// path or a broken symlink is `Ok(false)`.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` when `path` would leave this directory: a path outside is neither
    /// there nor not there for a `Dir`. Otherwise when existence cannot be decided. The
    /// message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future discards the result; nothing changes on disk.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert!(root.try_exists("a").await?);
    /// assert!(!root.try_exists("b").await?);
    /// let err = root.try_exists("../a").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_exists<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = bool>, E> {
        self.on_path(Operation::CheckExistence, path.as_ref(), |dir, path| {
            dir.try_exists(path)
        })
    }
}
