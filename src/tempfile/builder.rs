use std::ffi::OsStr;
use std::fs::Permissions;
use std::path::Path;

use super::create::Settings;
use super::{NewNamedTempFile, NewTempDir, SpooledTempFile};
use crate::executor::Blocking;

/// Configures temporary files and directories: name prefix and suffix, random part, permissions,
/// and whether they are removed. The `tempfile` crate's `Builder`, creating asynchronously.
///
/// # Examples
///
/// ```
/// use aiofiles::tempfile::Builder;
///
/// # futures::executor::block_on(async {
/// let dir = Builder::new().prefix("work-").rand_bytes(8).tempdir().await?;
/// let name = dir.path().file_name().unwrap().to_str().unwrap();
/// assert!(name.starts_with("work-"));
/// assert_eq!(name.len(), "work-".len() + 8);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    settings: Settings,
    keep: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// The defaults: prefix `.tmp`, no suffix, 6 random characters, owner-only permissions,
    /// removed on close and drop.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new().tempfile().await?;
    /// let name = file.path().file_name().unwrap().to_str().unwrap();
    /// assert!(name.starts_with(".tmp") && name.len() == 10);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn new() -> Self {
        Builder {
            settings: Settings::default(),
            keep: false,
        }
    }

    /// The start of the name: Python's `prefix=`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new().prefix("log-").tempfile().await?;
    /// assert!(file.path().file_name().unwrap().to_str().unwrap().starts_with("log-"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn prefix<S: AsRef<OsStr> + ?Sized>(&mut self, prefix: &S) -> &mut Self {
        self.settings.prefix = prefix.as_ref().to_owned();
        self
    }

    /// The end of the name: Python's `suffix=`.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new().suffix(".json").tempfile().await?;
    /// assert_eq!(file.path().extension().unwrap(), "json");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn suffix<S: AsRef<OsStr> + ?Sized>(&mut self, suffix: &S) -> &mut Self {
        self.settings.suffix = suffix.as_ref().to_owned();
        self
    }

    /// How many random characters go between prefix and suffix.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new().prefix("").rand_bytes(12).tempfile().await?;
    /// assert_eq!(file.path().file_name().unwrap().len(), 12);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn rand_bytes(&mut self, rand: usize) -> &mut Self {
        self.settings.rand_bytes = rand;
        self
    }

    /// The permissions to create with, instead of owner-only.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::fs::Permissions;
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new()
    ///     .permissions(Permissions::from_mode(0o640))
    ///     .tempfile()
    ///     .await?;
    /// let mode = std::fs::metadata(file.path())?.permissions().mode() & 0o777;
    /// assert_eq!(mode & !0o640, 0); // 0o640 less the umask
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn permissions(&mut self, permissions: Permissions) -> &mut Self {
        self.settings.permissions = Some(permissions);
        self
    }

    /// Keeps what is created: no removal on close or drop (Python's `delete=False`).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::tempfile::Builder::new().keep(true).tempfile_in(dir.path()).await?;
    /// let path = file.path().to_owned();
    /// file.close().await?;
    /// assert!(path.exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn keep(&mut self, keep: bool) -> &mut Self {
        self.keep = keep;
        self
    }

    /// Creates a named temporary file in the system's temporary directory.
    ///
    /// # Errors
    ///
    /// When the file cannot be created; the message names the directory.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the file is created even if the future is dropped; it is then removed in
    /// the background (unless kept).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let file = aiofiles::tempfile::Builder::new().tempfile().await?;
    /// assert!(file.path().starts_with(std::env::temp_dir()));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn tempfile(&self) -> NewNamedTempFile {
        self.tempfile_in(std::env::temp_dir())
    }

    /// Creates a named temporary file in `dir`: Python's `dir=`.
    ///
    /// # Errors
    ///
    /// When the file cannot be created (e.g. `dir` is missing); the message names `dir`.
    ///
    /// # Cancel safety
    ///
    /// As [`tempfile`](Builder::tempfile).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let file = aiofiles::tempfile::Builder::new().tempfile_in(dir.path()).await?;
    /// assert_eq!(file.path().parent(), Some(dir.path()));
    /// let err = aiofiles::tempfile::Builder::new()
    ///     .tempfile_in(dir.path().join("missing"))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn tempfile_in<P: AsRef<Path>>(&self, dir: P) -> NewNamedTempFile {
        NewNamedTempFile::new(self.settings.clone(), dir.as_ref().to_owned(), self.keep)
    }

    /// Creates a temporary directory in the system's temporary directory.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created; the message names the parent.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directory is created even if the future is dropped; it is then
    /// removed in the background (unless kept).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = aiofiles::tempfile::Builder::new().tempdir().await?;
    /// assert!(dir.path().is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn tempdir(&self) -> NewTempDir {
        self.tempdir_in(std::env::temp_dir())
    }

    /// Creates a temporary directory in `dir`.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created; the message names `dir`.
    ///
    /// # Cancel safety
    ///
    /// As [`tempdir`](Builder::tempdir).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # futures::executor::block_on(async {
    /// let parent = tempfile::tempdir()?;
    /// let dir = aiofiles::tempfile::Builder::new().tempdir_in(parent.path()).await?;
    /// assert_eq!(dir.path().parent(), Some(parent.path()));
    /// assert_eq!(std::fs::metadata(dir.path())?.permissions().mode() & 0o777, 0o700);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn tempdir_in<P: AsRef<Path>>(&self, dir: P) -> NewTempDir {
        NewTempDir::new(self.settings.clone(), dir.as_ref().to_owned(), self.keep)
    }

    /// A spooled temporary file that stays in memory until it grows beyond `max_size` bytes
    /// (0: until [`rollover`](SpooledTempFile::rollover)).
    ///
    /// Creates nothing yet, so this is not an operation; bind the file to an executor with
    /// [`SpooledTempFile::on`]. The prefix, suffix and permissions do not apply: a rolled
    /// over file is unnamed.
    ///
    /// # Examples
    ///
    /// ```
    /// let spooled = aiofiles::tempfile::Builder::new().spooled(1024);
    /// assert!(!spooled.is_rolled());
    /// ```
    pub fn spooled(&self, max_size: usize) -> SpooledTempFile<Blocking> {
        SpooledTempFile::new(max_size)
    }
}
