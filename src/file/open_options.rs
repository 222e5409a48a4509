use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use super::open::{Open, OpenWork};
use super::state::{Buffering, READ_START};
use crate::error;
#[cfg(doc)]
use crate::Blocking;

/// Opens a file with a Python mode string: Python aiofiles' `aiofiles.open(path, mode)`.
///
/// | mode | opens for | if the file exists | if not |
/// |---|---|---|---|
/// | `r` | reading | starts at 0 | `NotFound` |
/// | `r+` | reading and writing | starts at 0 | `NotFound` |
/// | `w` | writing | truncates | creates |
/// | `w+` | writing and reading | truncates | creates |
/// | `a` | appending (every write lands at the end, even after a seek) | starts at the end | creates |
/// | `a+` | appending and reading | starts at the end | creates |
/// | `x` | writing | `AlreadyExists` | creates |
/// | `x+` | writing and reading | `AlreadyExists` | creates |
///
/// One of `r`, `w`, `a`, `x`; then, in any order, at most one `+` and at most one `b` or `t`
/// (`"rb+"`, `"r+b"`, `"wt"`). `b` and `t` change nothing: a [`File`](crate::File) reads
/// and writes bytes, and text comes from
/// [`File::read_to_string`](crate::File::read_to_string) or `AsyncBufReadExt::lines`, as
/// UTF-8.
///
/// The file is buffered as [`OpenOptions::buffer_size`] describes;
/// [`File::mode`](crate::File::mode) returns `mode` as given.
///
/// # Errors
///
/// [`InvalidInput`](io::ErrorKind::InvalidInput) naming the mode when it is not one of the
/// above, before anything is handed to an executor. Otherwise as [`std::fs::OpenOptions::open`],
/// with the path in the message: ``failed to open `x`: No such file or directory (os error 2)``.
///
/// # Cancel safety
///
/// Once polled, the open happens on the executor even if the future is dropped; the file is
/// then closed there.
///
/// # Examples
///
/// ```
/// use futures::{AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("log.txt");
///
/// let mut file = aiofiles::open(&path, "w").await?;
/// file.write_all(b"first\n").await?;
/// file.close().await?;
///
/// let mut file = aiofiles::open(&path, "a+").await?;
/// file.seek(SeekFrom::Start(0)).await?;
/// file.write_all(b"second\n").await?; // appended all the same
/// file.seek(SeekFrom::Start(0)).await?;
/// let mut text = String::new();
/// file.read_to_string(&mut text).await?;
/// assert_eq!(text, "first\nsecond\n");
/// assert_eq!(file.mode(), "a+");
///
/// let err = aiofiles::open(&path, "rw").await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// assert!(err.to_string().contains("rw"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn open<P: AsRef<Path>>(path: P, mode: &str) -> Open {
    match OpenOptions::from_mode(mode) {
        Ok(options) => options.open(path),
        Err(err) => Open::failed(err),
    }
}

/// Options to open a [`File`](crate::File): [`std::fs::OpenOptions`]' methods, plus
/// [`buffer_size`](OpenOptions::buffer_size).
///
/// # Examples
///
/// ```
/// use aiofiles::OpenOptions;
/// use futures::AsyncWriteExt;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("new.txt");
/// let mut file = OpenOptions::new().write(true).create_new(true).open(&path).await?;
/// file.write_all(b"hi").await?;
/// file.close().await?;
/// assert_eq!(std::fs::read(&path)?, b"hi");
///
/// let err = OpenOptions::new().write(true).create_new(true).open(&path).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct OpenOptions {
    std: fs::OpenOptions,
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    buffering: Buffering,
    mode: Option<Cow<'static, str>>,
}

/// The access and creation setters of [`OpenOptions`], each with the docs given: `$flag(b)`
/// sets the flag on the std options, and keeps it for the mode string and for cap-std.
macro_rules! flag_setters {
    ($($(#[$doc:meta])* $flag:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $flag(&mut self, $flag: bool) -> &mut Self {
                self.$flag = $flag;
                self.std.$flag($flag);
                self
            }
        )*
    };
}

impl OpenOptions {
    /// Options with everything off, as [`std::fs::OpenOptions::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let err = aiofiles::OpenOptions::new().open(dir.path().join("x")).await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput); // neither read nor write
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn new() -> Self {
        OpenOptions {
            std: fs::OpenOptions::new(),
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            buffering: Buffering::Adaptive,
            mode: None,
        }
    }

    /// Options for a Python mode string; see [`open`](crate::open).
    pub(crate) fn from_mode(mode: &str) -> io::Result<Self> {
        let (mut kind, mut plus, mut text) = (None, false, None);
        for c in mode.chars() {
            let slot_was_free = match c {
                'r' | 'w' | 'a' | 'x' => kind.replace(c).is_none(),
                '+' => !std::mem::replace(&mut plus, true),
                'b' | 't' => text.replace(c).is_none(),
                _ => false,
            };
            if !slot_was_free {
                return Err(error::invalid_mode(mode));
            }
        }
        let mut options = OpenOptions::new();
        match kind {
            Some('r') => options.read(true).write(plus),
            Some('w') => options.write(true).create(true).truncate(true).read(plus),
            Some('a') => options.append(true).create(true).read(plus),
            Some('x') => options.write(true).create_new(true).read(plus),
            _ => return Err(error::invalid_mode(mode)),
        };
        options.mode = Some(Cow::Owned(mode.to_owned()));
        Ok(options)
    }

    flag_setters! {
        /// Opens for reading.
        ///
        /// # Examples
        ///
        /// ```
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("a");
        /// std::fs::write(&path, "abc")?;
        /// let mut file = aiofiles::OpenOptions::new().read(true).open(&path).await?;
        /// let mut text = String::new();
        /// file.read_to_string(&mut text).await?;
        /// assert_eq!(text, "abc");
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        read;

        /// Opens for writing.
        ///
        /// # Examples
        ///
        /// ```
        /// use futures::AsyncWriteExt;
        ///
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("a");
        /// std::fs::write(&path, "abc")?;
        /// let mut file = aiofiles::OpenOptions::new().write(true).open(&path).await?;
        /// file.write_all(b"X").await?;
        /// file.close().await?;
        /// assert_eq!(std::fs::read(&path)?, b"Xbc");
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        write;

        /// Opens for appending: every write lands at the end of the file, wherever the cursor is.
        ///
        /// # Examples
        ///
        /// ```
        /// use futures::AsyncWriteExt;
        ///
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("a");
        /// std::fs::write(&path, "abc")?;
        /// let mut file = aiofiles::OpenOptions::new().append(true).open(&path).await?;
        /// file.write_all(b"def").await?;
        /// file.close().await?;
        /// assert_eq!(std::fs::read(&path)?, b"abcdef");
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        append;

        /// Truncates an existing file to 0 bytes when opening it (needs `write`).
        ///
        /// # Examples
        ///
        /// ```
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("a");
        /// std::fs::write(&path, "abc")?;
        /// let file = aiofiles::OpenOptions::new().write(true).truncate(true).open(&path).await?;
        /// file.close().await?;
        /// assert_eq!(std::fs::read(&path)?, b"");
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        truncate;

        /// Creates the file if it does not exist (needs `write` or `append`).
        ///
        /// # Examples
        ///
        /// ```
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("new");
        /// aiofiles::OpenOptions::new().write(true).create(true).open(&path).await?;
        /// assert!(path.exists());
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        create;

        /// Creates the file, failing with [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it
        /// exists (`O_EXCL`; needs `write` or `append`).
        ///
        /// # Examples
        ///
        /// ```
        /// # futures::executor::block_on(async {
        /// let dir = tempfile::tempdir()?;
        /// let path = dir.path().join("a");
        /// std::fs::write(&path, "")?;
        /// let err = aiofiles::OpenOptions::new()
        ///     .write(true)
        ///     .create_new(true)
        ///     .open(&path)
        ///     .await
        ///     .unwrap_err();
        /// assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        create_new;
    }

    /// The std options underneath, for the unix extensions of
    /// [`unix::OpenOptionsExt`](crate::unix::OpenOptionsExt).
    #[cfg(unix)]
    pub(crate) fn std_mut(&mut self) -> &mut fs::OpenOptions {
        &mut self.std
    }

    /// Sets the size of the file's read-ahead and write-behind buffers: Python's `buffering`.
    ///
    /// - By default, read-ahead starts at 8 KiB, and while reads are sequential a reading job
    ///   reads on behind it in chunks that grow (from 32 KiB to 1 MiB) as the caller takes
    ///   them; write-behind starts at 64 KiB and grows to 2 MiB. A file read or written in
    ///   small pieces costs a hand-off per buffer, not per call, and a reader that keeps up
    ///   costs none per chunk. The worst case per open `File` is 4 MiB: the 1 MiB chunk being
    ///   consumed plus three read ahead (a file is never reading and writing at once, so
    ///   write-behind does not add to it), reached only by a file read sequentially to well
    ///   past its first megabyte.
    /// - `n > 0`: buffers of `n` bytes, and the reading job reads chunks of `n / 2`: read-ahead
    ///   (the buffer being consumed and the chunks read behind it) never holds more than
    ///   `2 × n` between calls, so a server with thousands of open files can bound their
    ///   memory and keep buffering. A read into a caller's buffer larger than `n` is one
    ///   hand-off of that size, and its allocation is freed once the bytes are copied.
    /// - `0`: unbuffered. Every read and write is one hand-off of its own, and when a write
    ///   returns, its bytes are visible to other readers of the file.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures::AsyncWriteExt;
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let mut file = aiofiles::OpenOptions::new()
    ///     .write(true)
    ///     .create(true)
    ///     .buffer_size(0)
    ///     .open(&path)
    ///     .await?;
    /// file.write_all(b"seen at once").await?;
    /// assert_eq!(std::fs::read(&path)?, b"seen at once");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn buffer_size(&mut self, n: usize) -> &mut Self {
        self.buffering = Buffering::Fixed(n);
        self
    }

    /// Opens the file at `path` with these options: an operation, awaited on [`Blocking`] or
    /// bound to another executor with [`Open::on`]. The [`File`](crate::File) keeps that executor.
    ///
    /// # Errors
    ///
    /// As [`std::fs::OpenOptions::open`], with the path in the message.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the open happens on the executor even if the future is dropped; the file
    /// is then closed there.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::{Inline, OpenOptions};
    ///
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("a");
    /// let file = OpenOptions::new().write(true).create(true).open(&path).on(Inline).await?;
    /// assert_eq!(*file.executor(), Inline);
    /// assert_eq!(file.path(), Some(path.as_path()));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn open<P: AsRef<Path>>(&self, path: P) -> Open {
        let work = OpenWork::Path {
            std: self.std.clone(),
            path: path.as_ref().to_owned(),
            append: self.append,
            head: self.head_len(),
        };
        Open::new(work, self.mode_string(), self.append, self.buffering)
    }

    /// Opens `path` beneath `dir` with these options ([`Dir::open_with`](crate::Dir::open_with)):
    /// the same open as [`open`](OpenOptions::open), resolved by cap-std.
    #[cfg(feature = "cap-std")]
    pub(crate) fn open_beneath(&self, dir: std::sync::Arc<cap_std::fs::Dir>, path: &Path) -> Open {
        let mut options = cap_std::fs::OpenOptions::new();
        options
            .read(self.read)
            .write(self.write)
            .append(self.append)
            .truncate(self.truncate)
            .create(self.create)
            .create_new(self.create_new);
        let work = OpenWork::Beneath {
            dir,
            options,
            path: path.to_owned(),
            append: self.append,
            head: self.head_len(),
        };
        Open::new(work, self.mode_string(), self.append, self.buffering)
    }

    /// The mode string the file reports: as given to `aiofiles::open`, or Python's for the
    /// access flags.
    fn mode_string(&self) -> Cow<'static, str> {
        self.mode.clone().unwrap_or(Cow::Borrowed(python_mode(
            self.read,
            self.write,
            self.append,
            self.create_new,
        )))
    }

    /// How much of a regular file the open reads: a file opened for reading most often is
    /// read next.
    fn head_len(&self) -> usize {
        match (self.read && !self.append, self.buffering) {
            (false, _) => 0,
            (true, Buffering::Adaptive) => READ_START,
            (true, Buffering::Fixed(n)) => n,
        }
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("options", &self.std)
            .field("buffering", &self.buffering)
            .field("mode", &self.mode)
            .finish()
    }
}

/// The mode string Python's `FileIO.mode` gives for these access flags.
pub(super) fn python_mode(read: bool, write: bool, append: bool, create_new: bool) -> &'static str {
    match (create_new, append, read, write) {
        (true, _, true, _) => "xb+",
        (true, _, false, _) => "xb",
        (false, true, true, _) => "ab+",
        (false, true, false, _) => "ab",
        (false, false, true, true) => "rb+",
        (false, false, true, false) => "rb",
        (false, false, false, _) => "wb",
    }
}

/// The Python mode and the append flag of an open descriptor.
pub(super) fn descriptor_mode(file: &fs::File) -> (&'static str, bool) {
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        if let Ok(flags) = rustix::fs::fcntl_getfl(file) {
            let append = flags.contains(OFlags::APPEND);
            let (read, write) = match flags & OFlags::ACCMODE {
                f if f == OFlags::WRONLY => (false, true),
                f if f == OFlags::RDWR => (true, true),
                _ => (true, false),
            };
            return (python_mode(read, write, append, false), append);
        }
    }
    let _ = file;
    ("rb+", false)
}
