use std::io;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{Access, AtFlags, Nsecs, Timespec, Timestamps, CWD, UTIME_NOW};

use crate::error::Operation;
use crate::executor::{Op, Work};

/// [`access`] mode: the path exists.
pub const F_OK: u32 = 0;
/// [`access`] mode: the path is readable.
pub const R_OK: u32 = 4;
/// [`access`] mode: the path is writable.
pub const W_OK: u32 = 2;
/// [`access`] mode: the path is executable (or, for a directory, searchable).
pub const X_OK: u32 = 1;

/// Whether the real user may access `path` in every way `mode` asks ([`F_OK`], or an OR of
/// [`R_OK`], [`W_OK`], [`X_OK`]): Python's `os.access`.
///
/// # Errors
///
/// Never for an OS error, which is `Ok(false)` as in Python; only when the executor lost the
/// work.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the answer.
///
/// # Platform-specific behavior
///
/// Unix only (`access(2)`). As root, read and write checks succeed for any file.
///
/// # Examples
///
/// ```
/// use aiofiles::os::{access, F_OK, R_OK, W_OK};
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a");
/// assert!(!access(&path, F_OK).await?);
/// std::fs::write(&path, "")?;
/// assert!(access(&path, R_OK | W_OK).await?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn access<P: AsRef<Path>>(path: P, mode: u32) -> Op<impl Work<Output = bool>> {
    let path = path.as_ref().to_owned();
    let access = match mode {
        F_OK => Some(Access::EXISTS),
        mode => Access::from_bits(mode),
    };
    // Unknown mode bits: `EINVAL` in Python, so `false`.
    Op::new(move || Ok(access.is_some_and(|a| rustix::fs::access(&path, a).is_ok())))
}

/// Filesystem statistics, with Python's `os.statvfs_result` field names.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let st = aiofiles::os::statvfs(std::env::temp_dir()).await?;
/// assert!(st.f_bsize > 0);
/// assert!(st.f_bavail <= st.f_blocks);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatVfs {
    /// Filesystem block size.
    pub f_bsize: u64,
    /// Fragment size: the unit of `f_blocks`, `f_bfree` and `f_bavail`.
    pub f_frsize: u64,
    /// Size of the filesystem, in `f_frsize` units.
    pub f_blocks: u64,
    /// Free blocks.
    pub f_bfree: u64,
    /// Free blocks available to unprivileged users.
    pub f_bavail: u64,
    /// Inodes.
    pub f_files: u64,
    /// Free inodes.
    pub f_ffree: u64,
    /// Free inodes available to unprivileged users.
    pub f_favail: u64,
    /// Mount flags (`ST_RDONLY`, `ST_NOSUID`, ...).
    pub f_flag: u64,
    /// Longest file name.
    pub f_namemax: u64,
    /// Filesystem ID.
    pub f_fsid: u64,
}

/// Statistics of the filesystem holding `path`: Python's `os.statvfs`.
///
/// # Errors
///
/// As `statvfs(2)`, e.g. a missing path; the message names the path.
///
/// # Cancel safety
///
/// Nothing changes; dropping the future discards the result.
///
/// # Platform-specific behavior
///
/// Unix only.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let st = aiofiles::os::statvfs(dir.path()).await?;
/// assert!(st.f_frsize > 0 && st.f_namemax >= 14);
/// let err = aiofiles::os::statvfs(dir.path().join("missing")).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn statvfs<P: AsRef<Path>>(path: P) -> Op<impl Work<Output = StatVfs>> {
    crate::fs::on_path(Operation::StatFs, path.as_ref(), |path| {
        let st = rustix::fs::statvfs(path)?;
        Ok(StatVfs {
            f_bsize: st.f_bsize,
            f_frsize: st.f_frsize,
            f_blocks: st.f_blocks,
            f_bfree: st.f_bfree,
            f_bavail: st.f_bavail,
            f_files: st.f_files,
            f_ffree: st.f_ffree,
            f_favail: st.f_favail,
            f_flag: st.f_flag.bits(),
            f_namemax: st.f_namemax,
            f_fsid: st.f_fsid,
        })
    })
}

/// Copies `count` bytes from `in_fd` at `offset` to `out_fd` in the kernel; returns how many
/// were copied (0 at the end of the input): Python's `os.sendfile(out_fd, in_fd, offset,
/// count)`.
///
/// `in_fd`'s position does not change. The descriptors are duplicated for the executor's
/// thread, so the caller keeps its own.
///
/// # Errors
///
/// As `sendfile(2)`, or when a descriptor cannot be duplicated.
///
/// # Cancel safety
///
/// Once polled, the copy happens even if the future is dropped.
///
/// # Platform-specific behavior
///
/// Linux and Android only.
///
/// # Examples
///
/// ```
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("in"), "0123456789")?;
/// let input = std::fs::File::open(dir.path().join("in"))?;
/// let output = std::fs::File::create(dir.path().join("out"))?;
/// assert_eq!(aiofiles::os::sendfile(&output, &input, 2, 5).await?, 5);
/// assert_eq!(std::fs::read(dir.path().join("out"))?, b"23456");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn sendfile(
    out_fd: &impl AsFd,
    in_fd: &impl AsFd,
    offset: u64,
    count: usize,
) -> Op<impl Work<Output = usize>> {
    let fds = (
        out_fd.as_fd().try_clone_to_owned(),
        in_fd.as_fd().try_clone_to_owned(),
    );
    Op::new(move || -> io::Result<usize> {
        let (out_fd, in_fd) = (fds.0?, fds.1?);
        let mut offset = offset;
        Ok(rustix::fs::sendfile(
            &out_fd,
            &in_fd,
            Some(&mut offset),
            count,
        )?)
    })
}

/// Sets the access and modification times of `path`, `(accessed, modified)`, or both to the
/// current time when `times` is `None`: Python's `os.utime(path, times=None)`.
///
/// Symlinks are followed, as Python's default `follow_symlinks=True`. Times keep their
/// nanoseconds where the filesystem has them; times before 1970 are fine.
///
/// # Errors
///
/// As `utimensat(2)`, e.g. a missing path ([`NotFound`](io::ErrorKind::NotFound)) or a file
/// that is not the caller's; a time beyond what a `timespec` holds is
/// [`InvalidInput`](io::ErrorKind::InvalidInput). The message names the path: ``failed to set
/// the times of `x`: ...``.
///
/// # Cancel safety
///
/// Once polled, the change happens even if the future is dropped.
///
/// # Platform-specific behavior
///
/// Unix only (`utimensat(2)`; `UTIME_NOW` for `None`, so the kernel's clock decides "now").
/// [`File::set_times`](crate::File::set_times) does the same through an open file.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, SystemTime};
///
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a");
/// std::fs::write(&path, "")?;
/// let accessed = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 5);
/// let modified = SystemTime::UNIX_EPOCH + Duration::new(1_500_000_000, 500);
/// aiofiles::os::utime(&path, Some((accessed, modified))).await?;
/// let meta = std::fs::metadata(&path)?;
/// assert_eq!((meta.accessed()?, meta.modified()?), (accessed, modified));
///
/// aiofiles::os::utime(&path, None).await?; // now
/// assert!(std::fs::metadata(&path)?.modified()? > modified);
///
/// let err = aiofiles::os::utime(dir.path().join("missing"), None).await.unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[doc(alias = "utimensat")]
#[doc(alias = "set_times")]
#[doc(alias = "touch")]
pub fn utime<P: AsRef<Path>>(
    path: P,
    times: Option<(SystemTime, SystemTime)>,
) -> Op<impl Work<Output = ()>> {
    crate::fs::on_path(Operation::SetTimes, path.as_ref(), move |path| {
        const NOW: Timespec = Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        };
        let times = match times {
            None => Timestamps {
                last_access: NOW,
                last_modification: NOW,
            },
            Some((accessed, modified)) => Timestamps {
                last_access: timespec(accessed)?,
                last_modification: timespec(modified)?,
            },
        };
        Ok(rustix::fs::utimensat(CWD, path, &times, AtFlags::empty())?)
    })
}

/// `time` as seconds and nanoseconds since 1970, the nanoseconds in `0..1e9` also before it.
fn timespec(time: SystemTime) -> io::Result<Timespec> {
    let (secs, nsecs) = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).ok().map(|s| -s);
            match before.subsec_nanos() {
                0 => (secs, 0),
                n => (secs.and_then(|s| s.checked_sub(1)), 1_000_000_000 - n),
            }
        }
    };
    match secs {
        Some(tv_sec) => Ok(Timespec {
            tv_sec,
            // Below 1e9: fits whatever integer `tv_nsec` is.
            tv_nsec: nsecs as Nsecs,
        }),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "time out of the range of a timespec",
        )),
    }
}
