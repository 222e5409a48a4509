use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::on_path;
use crate::error::Operation;
use crate::executor::{Op, Work};

/// Replaces the contents of a file so that readers see the old contents or the new, never a
/// mix or an empty file, and so that the new contents survive a crash once it returns.
///
/// In one hand-off it writes `contents` to a new temporary file in the same directory as
/// `path` (created exclusively, `O_EXCL`, and owner-only while it is written), gives it its
/// permissions, flushes it to the device (`fsync`), renames it over `path`, and flushes the
/// directory, so that the rename itself is durable. Other processes opening `path` meanwhile
/// get either the old file or the new one, whole.
///
/// - Permissions: when `path` exists, the new file gets its permissions; a new file gets what
///   [`write`](super::write) would give it (`0o666` less the process's umask). Ownership is
///   not copied: the new file belongs to the caller, as any new file does.
/// - Symlinks: a symlink at `path` is replaced by the new file, as `rename(2)` does; its
///   target is left as it was. The new file takes the permissions of the file the link
///   pointed to.
/// - The temporary file is named after `path`: `.{name}.XXXXXX.tmp`. Only a crash (or a kill)
///   during the call can leave one behind.
///
/// [`NamedTempFile::persist`](crate::tempfile::NamedTempFile::persist) stays a plain rename:
/// it neither syncs the file nor its directory, nor copies permissions.
///
/// # Errors
///
/// Any error of the steps above; the message names `path`: ``failed to atomically write `x`:
/// ...``, and the [`kind`](io::Error::kind) is the OS's (a missing parent directory is
/// [`NotFound`](io::ErrorKind::NotFound)). On an error the temporary file is removed and
/// `path` is untouched, with one exception: when flushing the directory fails after the
/// rename, `path` holds the new contents, which may not survive a crash.
///
/// # Cancel safety
///
/// Dropped before it was first polled, nothing happens. Once polled, it runs to completion
/// on the executor even if the future is dropped: `path` then holds the old contents or the
/// new ones.
///
/// # Platform-specific behavior
///
/// On Unix the directory is flushed by opening it and calling `fsync`; other platforms have no
/// such call, and the directory is not flushed there.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
///
/// use aiofiles::fs;
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("config.toml");
/// fs::write_atomic(&path, "version = 1").await?;
/// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))?;
///
/// fs::write_atomic(&path, b"version = 2").await?;
/// assert_eq!(std::fs::read_to_string(&path)?, "version = 2");
/// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o640);
/// // No temporary file is left behind.
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
///
/// let err = fs::write_atomic(dir.path().join("no/such/file"), "x").await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// assert!(err.to_string().contains("no/such/file"));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn write_atomic<P: AsRef<Path>, C: AsRef<[u8]>>(
    path: P,
    contents: C,
) -> Op<impl Work<Output = ()>> {
    let contents = contents.as_ref().to_owned();
    on_path(Operation::AtomicWrite, path.as_ref(), move |path| {
        replace(path, &contents)
    })
}

/// The longest part of the file name kept in the temporary file's name, so that the latter
/// stays within `NAME_MAX` (255 bytes) with the dots and the random part.
const NAME_IN_TEMP: usize = 200;

fn replace(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Opened first: a directory that cannot be flushed fails the call before anything exists.
    let dir_handle = open_dir(dir)?;
    // What the old file's readers saw (through a symlink, the target's permissions).
    let old = match std::fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut prefix = String::from(".");
    if let Some(name) = path.file_name() {
        for c in name.to_string_lossy().chars() {
            if prefix.len() + c.len_utf8() > NAME_IN_TEMP {
                break;
            }
            prefix.push(c);
        }
        prefix.push('.');
    }
    let new_file_mode = old.is_none();
    // Dropped on any error below: the temporary file is removed.
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .make_in(dir, |temp| create(temp, new_file_mode))?;
    let perms = match old {
        Some(perms) => perms,
        None => owner_only_while_written(temp.as_file())?,
    };
    temp.as_file_mut().write_all(contents)?;
    temp.as_file().set_permissions(perms)?;
    // `sync_all`, not `sync_data`: the permissions just set are metadata that `fdatasync`
    // may leave behind; for a new file both write its inode anyway (its size changed).
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir_handle)
}

/// Creates the temporary file, exclusively: owner-only, or for a new file (`umask_mode`) with
/// the mode `write` would give it, which the kernel derives from the umask.
fn create(temp: &Path, umask_mode: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if umask_mode { 0o666 } else { 0o600 });
    }
    #[cfg(not(unix))]
    let _ = umask_mode;
    options.open(temp)
}

/// The permissions a new file was created with, after making it owner-only until it is whole.
#[cfg(unix)]
fn owner_only_while_written(file: &File) -> io::Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    let perms = file.metadata()?.permissions();
    if perms.mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(perms.mode() & 0o700))?;
    }
    Ok(perms)
}

#[cfg(not(unix))]
fn owner_only_while_written(file: &File) -> io::Result<std::fs::Permissions> {
    Ok(file.metadata()?.permissions())
}

/// The directory, opened to be flushed after the rename; `None` where that cannot be done.
#[cfg(unix)]
fn open_dir(dir: &Path) -> io::Result<Option<File>> {
    File::open(dir).map(Some)
}

#[cfg(not(unix))]
fn open_dir(dir: &Path) -> io::Result<Option<File>> {
    // Fails as creating the temporary file would, before anything exists.
    if std::fs::metadata(dir)?.is_dir() {
        Ok(None)
    } else {
        Err(io::ErrorKind::NotADirectory.into())
    }
}

fn sync_dir(dir: Option<File>) -> io::Result<()> {
    dir.map_or(Ok(()), |dir| dir.sync_all())
}
