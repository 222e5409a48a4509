//! What changes the tree beneath a [`Dir`]: creating, removing, renaming and linking.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Dir;
use crate::error::Context as _;
use crate::error::Operation;
use crate::executor::{Executor, Op, Work};

impl<E: Executor> Dir<E> {
    /// Creates a directory at `path`, as [`crate::fs::create_dir`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::create_dir`] (e.g. [`AlreadyExists`](std::io::ErrorKind::AlreadyExists)),
    /// and `PermissionDenied` when `path` would leave this directory; the message names
    /// `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directory is created even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.create_dir("sub").await?;
    /// assert!(tmp.path().join("sub").is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "mkdir")]
    pub fn create_dir<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = ()>, E> {
        self.on_path(Operation::CreateDir, path.as_ref(), |dir, path| {
            dir.create_dir(path)
        })
    }

    /// Creates a directory at `path` and all its missing parents, as
    /// [`crate::fs::create_dir_all`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::create_dir_all`], and `PermissionDenied` when `path` would leave this
    /// directory, through `..` or a symlink at any depth; no directory is then created
    /// outside. The message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directories are created even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.create_dir_all("a/b/c").await?;
    /// assert!(tmp.path().join("a/b/c").is_dir());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "makedirs")]
    pub fn create_dir_all<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = ()>, E> {
        self.on_path(Operation::CreateDir, path.as_ref(), |dir, path| {
            dir.create_dir_all(path)
        })
    }

    /// Removes the file (or symlink) at `path`, as [`crate::fs::remove_file`]. A symlink is
    /// removed, never its target.
    ///
    /// # Errors
    ///
    /// As [`std::fs::remove_file`], and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the file is removed even if the future is dropped.
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
    /// root.remove_file("a").await?;
    /// assert!(!tmp.path().join("a").exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "unlink")]
    pub fn remove_file<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = ()>, E> {
        self.on_path(Operation::RemoveFile, path.as_ref(), |dir, path| {
            dir.remove_file(path)
        })
    }

    /// Removes the empty directory at `path`, as [`crate::fs::remove_dir`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::remove_dir`], and `PermissionDenied` when `path` would leave this
    /// directory; the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the directory is removed even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir(tmp.path().join("empty"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.remove_dir("empty").await?;
    /// assert!(!tmp.path().join("empty").exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "rmdir")]
    pub fn remove_dir<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = ()>, E> {
        self.on_path(Operation::RemoveDir, path.as_ref(), |dir, path| {
            dir.remove_dir(path)
        })
    }

    /// Removes the directory at `path` and everything in it, as
    /// [`crate::fs::remove_dir_all`]. Symlinks inside are removed, never followed; when
    /// `path` itself is a symlink, the link is removed.
    ///
    /// # Errors
    ///
    /// As [`std::fs::remove_dir_all`], and `PermissionDenied` when `path` would leave this
    /// directory (then nothing is removed); the message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the removal runs to completion even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b"))?;
    /// std::fs::write(tmp.path().join("a/b/c"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.remove_dir_all("a").await?;
    /// assert!(!tmp.path().join("a").exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn remove_dir_all<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = ()>, E> {
        self.on_path(Operation::RemoveDirAll, path.as_ref(), |dir, path| {
            dir.remove_dir_all(path)
        })
    }

    /// Renames `from` (in this directory) to `to` in `to_dir`, replacing `to` if it exists
    /// (where the platform allows), as [`crate::fs::rename`]. `to_dir` may be this directory,
    /// a subdirectory opened with [`open_dir`](Dir::open_dir) or another `Dir`; the work runs
    /// on this directory's executor.
    ///
    /// # Errors
    ///
    /// As [`std::fs::rename`], and `PermissionDenied` when either path would leave its
    /// directory (then nothing moves); the message names both paths:
    /// ``failed to rename `a` to `b`: ...``.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the rename happens even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a"), "x")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.rename("a", &root, "b").await?;
    /// assert_eq!(std::fs::read_to_string(tmp.path().join("b"))?, "x");
    ///
    /// let err = root.rename("b", &root, "../b").await.unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    /// assert!(tmp.path().join("b").exists());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "replace")]
    pub fn rename<P: AsRef<Path>, Q: AsRef<Path>, E2: Executor>(
        &self,
        from: P,
        to_dir: &Dir<E2>,
        to: Q,
    ) -> Op<impl Work<Output = ()>, E> {
        self.on_paths(
            Operation::Rename,
            from.as_ref(),
            to_dir,
            to.as_ref(),
            |dir, from, to_dir, to| dir.rename(from, to_dir, to),
        )
    }

    /// Creates a hard link `dst` in `dst_dir` to the file `src` in this directory, as
    /// [`crate::fs::hard_link`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::hard_link`], and `PermissionDenied` when either path would leave its
    /// directory; the message names both paths.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the link is created even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("a"), "shared")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.hard_link("a", &root, "b").await?;
    /// assert_eq!(std::fs::read_to_string(tmp.path().join("b"))?, "shared");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "link")]
    pub fn hard_link<P: AsRef<Path>, Q: AsRef<Path>, E2: Executor>(
        &self,
        src: P,
        dst_dir: &Dir<E2>,
        dst: Q,
    ) -> Op<impl Work<Output = ()>, E> {
        self.on_paths(
            Operation::HardLink,
            src.as_ref(),
            dst_dir,
            dst.as_ref(),
            |dir, src, dst_dir, dst| dir.hard_link(src, dst_dir, dst),
        )
    }

    /// Creates a symbolic link `link` pointing to `original`, as [`crate::fs::symlink`].
    ///
    /// `original` is stored as given and resolved from the link's directory when the link is
    /// followed; a link whose target leads outside can be created, but this `Dir` refuses to
    /// follow it.
    ///
    /// # Errors
    ///
    /// `PermissionDenied` when `original` is absolute (this `Dir` would never follow it) or
    /// `link` would leave this directory; otherwise as [`std::os::unix::fs::symlink`]. The
    /// message names both paths.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the link is created even if the future is dropped.
    ///
    /// # Platform-specific behavior
    ///
    /// Unix only.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("target.txt"), "via link")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// root.symlink("target.txt", "link").await?;
    /// assert_eq!(root.read_to_string("link").await?, "via link");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn symlink<P: AsRef<Path>, Q: AsRef<Path>>(
        &self,
        original: P,
        link: Q,
    ) -> Op<impl Work<Output = ()>, E> {
        let dir = Arc::clone(&self.inner);
        let original = original.as_ref().to_owned();
        let link = link.as_ref().to_owned();
        Op::new(move || {
            dir.symlink(&original, &link)
                .at2(Operation::Symlink, &original, &link)
        })
        .on(self.exec.clone())
    }

    /// Reads the target of the symbolic link at `path`, as [`crate::fs::read_link`].
    ///
    /// # Errors
    ///
    /// As [`std::fs::read_link`]; `PermissionDenied` when `path` would leave this directory
    /// or the link's target is absolute. The message names `path`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future discards the result; nothing changes on disk.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use std::path::Path;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("a/b", tmp.path().join("link"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// assert_eq!(root.read_link("link").await?, Path::new("a/b"));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[doc(alias = "readlink")]
    pub fn read_link<P: AsRef<Path>>(&self, path: P) -> Op<impl Work<Output = PathBuf>, E> {
        self.on_path(Operation::ReadLink, path.as_ref(), |dir, path| {
            dir.read_link(path)
        })
    }
}
