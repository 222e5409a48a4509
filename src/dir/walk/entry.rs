//! What a [`Walk`](super::Walk) yields.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use cap_std::fs::FileType;

/// An entry found by [`Dir::walk`](crate::Dir::walk): its path relative to the `Dir`, its
/// depth and its file type, all known without a hand-off.
///
/// The shape of [`fs::WalkEntry`](crate::fs::WalkEntry), with `cap-std`'s
/// [`FileType`].
///
/// # Examples
///
/// ```
/// use aiofiles::Dir;
/// use futures::StreamExt;
///
/// # futures::executor::block_on(async {
/// let tmp = tempfile::tempdir()?;
/// std::fs::create_dir(tmp.path().join("sub"))?;
/// std::fs::write(tmp.path().join("sub/a.txt"), "abc")?;
/// let root = Dir::open_ambient(tmp.path()).await?;
/// let entry = root.walk("sub").min_depth(1).next().await.unwrap()?;
/// assert_eq!(entry.path(), std::path::Path::new("sub/a.txt"));
/// assert_eq!(entry.file_name(), "a.txt");
/// assert_eq!(entry.depth(), 1);
/// assert!(entry.file_type().is_file());
/// assert_eq!(root.read(entry.path()).await?, b"abc");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
pub struct WalkEntry {
    pub(super) path: PathBuf,
    pub(super) depth: usize,
    pub(super) file_type: FileType,
    pub(super) path_is_symlink: bool,
}

impl WalkEntry {
    /// The entry's path relative to the [`Dir`](crate::Dir): the path given to
    /// [`Dir::walk`](crate::Dir::walk) joined with the names below it (just the names when it
    /// was `.`). Give it back to that `Dir` to open the entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    /// use std::path::PathBuf;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let paths: Vec<PathBuf> = root.walk(".").map_ok(|e| e.path().to_owned()).try_collect().await?;
    /// assert_eq!(paths, [PathBuf::from("."), PathBuf::from("a"), PathBuf::from("a/b")]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::dir::WalkEntry;
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    /// use std::path::PathBuf;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("f"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let paths: Vec<PathBuf> = root.walk("f").map_ok(WalkEntry::into_path).try_collect().await?;
    /// assert_eq!(paths, [PathBuf::from("f")]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_path(self) -> PathBuf {
        self.path
    }

    /// How far below the path given the entry is: 0 for that path itself, 1 for its entries,
    /// and so on.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::create_dir_all(tmp.path().join("a/b/c"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let depths: Vec<_> = root.walk("a").map_ok(|e| e.depth()).try_collect().await?;
    /// assert_eq!(depths, [0, 1, 2]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The entry's file type, without following symlinks, unless the walk
    /// [follows links](super::Walk::follow_links) (then the target's type): `cap-std`'s
    /// [`FileType`], which has the methods of std's. For the path given itself, its target's
    /// type when it is a symlink that stays inside the `Dir`, either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::os::unix::fs::symlink("/etc", tmp.path().join("link"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let entry = root.walk(".").min_depth(1).next().await.unwrap()?;
    /// assert!(entry.file_type().is_symlink()); // and nothing of /etc is walked
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    /// Whether the entry itself is a symlink, even when the walk
    /// [follows links](super::Walk::follow_links) and [`file_type`](WalkEntry::file_type) is the
    /// target's. For the path given, whether its last component is a symlink.
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("target"), "")?;
    /// std::os::unix::fs::symlink("target", tmp.path().join("link"))?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let found: Vec<_> = root
    ///     .walk(".")
    ///     .min_depth(1)
    ///     .follow_links(true)
    ///     .sort_by_file_name()
    ///     .map_ok(|e| (e.file_name().to_owned(), e.file_type().is_file(), e.path_is_symlink()))
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(found, [("link".into(), true, true), ("target".into(), true, false)]);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn path_is_symlink(&self) -> bool {
        self.path_is_symlink
    }

    /// The entry's bare name: the last component of its [`path`](WalkEntry::path), or the
    /// whole path when it has none (`.`).
    ///
    /// # Examples
    ///
    /// ```
    /// use aiofiles::Dir;
    /// use futures::StreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let tmp = tempfile::tempdir()?;
    /// std::fs::write(tmp.path().join("name.txt"), "")?;
    /// let root = Dir::open_ambient(tmp.path()).await?;
    /// let mut walk = root.walk(".");
    /// assert_eq!(walk.next().await.unwrap()?.file_name(), ".");
    /// assert_eq!(walk.next().await.unwrap()?.file_name(), "name.txt");
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn file_name(&self) -> &OsStr {
        self.path
            .file_name()
            .unwrap_or_else(|| self.path.as_os_str())
    }
}
