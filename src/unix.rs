//! Unix-only extensions, as [`std::os::unix::fs`] has for std's types.
//!
//! [`OpenOptionsExt`] sets the permission bits and `open(2)` flags of a file being opened. It
//! is a trait rather than inherent methods, as in std and async-fs, so that
//! `OpenOptions::mode(u32)` does not clash with [`File::mode`](crate::File::mode), which
//! returns the Python mode string.

use crate::file::OpenOptions;

mod sealed {
    /// Implemented only by this crate's types: [`OpenOptionsExt`](super::OpenOptionsExt) is
    /// sealed.
    pub trait Sealed {}
}

impl sealed::Sealed for OpenOptions {}

/// Unix-only options of [`OpenOptions`], as [`std::os::unix::fs::OpenOptionsExt`].
///
/// Sealed: implemented for [`OpenOptions`] only.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
///
/// use aiofiles::unix::OpenOptionsExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("private");
/// aiofiles::OpenOptions::new().write(true).create(true).mode(0o600).open(&path).await?;
/// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub trait OpenOptionsExt: sealed::Sealed {
    /// Sets the permission bits a newly created file gets (before the umask), as
    /// [`std::os::unix::fs::OpenOptionsExt::mode`]. The default is `0o666`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// use aiofiles::unix::OpenOptionsExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("script");
    /// let mut options = aiofiles::OpenOptions::new();
    /// options.write(true).create_new(true).mode(0o700);
    /// options.open(&path).await?.close().await?;
    /// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o700, 0o700);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn mode(&mut self, mode: u32) -> &mut Self;

    /// Adds `open(2)` flags, as [`std::os::unix::fs::OpenOptionsExt::custom_flags`]. The
    /// access mode bits (`O_RDONLY`, `O_WRONLY`, `O_RDWR`) are ignored: they come from
    /// `read`/`write`/`append`.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::unix::OpenOptionsExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// std::fs::write(&path, "x")?;
    /// let file = aiofiles::OpenOptions::new().read(true).custom_flags(0).open(&path).await?;
    /// assert_eq!(file.mode(), "rb");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn custom_flags(&mut self, flags: i32) -> &mut Self;
}

impl OpenOptionsExt for OpenOptions {
    fn mode(&mut self, mode: u32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(self.std_mut(), mode);
        self
    }

    fn custom_flags(&mut self, flags: i32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self.std_mut(), flags);
        self
    }
}
