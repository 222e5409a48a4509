//! Python's `aiofiles.os` names, for code ported from Python.
//!
//! Where a Python function means the same as a [`crate::fs`] function it is that function,
//! re-exported under the Python name ([`unlink`] is [`fs::remove_file`](crate::fs::remove_file));
//! the rest are written here. Every function is one hand-off, awaitable on the default
//! executor and with [`.on(executor)`](crate::executor::Op::on), like Python's `executor=`.
//!
//! | Python `aiofiles.os` | here | the same as |
//! |---|---|---|
//! | `stat` | [`stat`] | [`fs::metadata`](crate::fs::metadata) |
//! | `rename` | [`rename`] | [`fs::rename`](crate::fs::rename) |
//! | `renames` | [`renames`] | |
//! | `replace` | [`replace`] | [`fs::rename`](crate::fs::rename) (replaces the target) |
//! | `remove`, `unlink` | [`remove`], [`unlink`] | [`fs::remove_file`](crate::fs::remove_file) |
//! | `mkdir` | [`mkdir`] | [`fs::create_dir`](crate::fs::create_dir) |
//! | `makedirs` | [`makedirs`] | [`fs::create_dir_all`](crate::fs::create_dir_all) with `exist_ok` |
//! | `rmdir` | [`rmdir`] | [`fs::remove_dir`](crate::fs::remove_dir) |
//! | `removedirs` | [`removedirs`] | |
//! | `link` | [`link`] | [`fs::hard_link`](crate::fs::hard_link) |
//! | `symlink` | [`symlink`] | [`fs::symlink`](crate::fs::symlink) |
//! | `readlink` | [`readlink`] | [`fs::read_link`](crate::fs::read_link) |
//! | `listdir` | [`listdir`] | |
//! | `scandir` | [`scandir`] | [`fs::read_dir`](crate::fs::read_dir) |
//! | `access` | [`access`] with [`F_OK`], [`R_OK`], [`W_OK`], [`X_OK`] | |
//! | `getcwd` | [`getcwd`] | |
//! | `sendfile` | [`sendfile`] (Linux) | |
//! | `statvfs` | [`statvfs`] | |
//! | `utime` | [`utime`] | [`File::set_times`](crate::File::set_times) on an open file |
//! | `walk` | [`walk`] | |
//! | `path.*` | [`path`] | |
//! | `wrap` | [`unblock`](crate::unblock) | |
//!
//! # Examples
//!
//! ```
//! use aiofiles::os;
//!
//! # futures::executor::block_on(async {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("keep"), "")?;
//! let deep = dir.path().join("a/b/c");
//! os::makedirs(&deep, false).await?;
//! assert!(os::path::isdir(&deep).await?);
//! assert_eq!(os::listdir(dir.path().join("a")).await?, ["b"]);
//! os::removedirs(&deep).await?; // c, then b and a, then stops at the first non-empty parent
//! assert!(!os::path::exists(dir.path().join("a")).await?);
//! assert!(os::path::exists(dir.path()).await?);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

mod dirs;
#[cfg(unix)]
pub mod path;
#[cfg(unix)]
mod posix;
mod walk;

pub use self::dirs::{getcwd, listdir, makedirs, removedirs, renames};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub use self::posix::sendfile;
#[cfg(unix)]
pub use self::posix::utime;
#[cfg(unix)]
pub use self::posix::{access, statvfs, StatVfs, F_OK, R_OK, W_OK, X_OK};
pub use self::walk::{walk, Walk};

pub use crate::fs::create_dir as mkdir;
pub use crate::fs::hard_link as link;
pub use crate::fs::metadata as stat;
pub use crate::fs::read_dir as scandir;
pub use crate::fs::read_link as readlink;
pub use crate::fs::remove_dir as rmdir;
pub use crate::fs::remove_file as remove;
pub use crate::fs::remove_file as unlink;
pub use crate::fs::rename;
pub use crate::fs::rename as replace;
#[cfg(unix)]
pub use crate::fs::symlink;
