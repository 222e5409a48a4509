//! The walk itself, synchronous: what a [`Walk`](super::Walk) moves to its executor for each
//! batch.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use cap_std::fs::{FileType, Metadata};

use super::{WalkEntry, BATCH};
use crate::error::{self, Operation};
use crate::executor::batch::Source;

/// The walk itself, synchronous: moved to the executor for each batch and back.
pub(super) struct Walker {
    root: Arc<cap_std::fs::Dir>,
    /// The path given.
    rel: PathBuf,
    pub(super) min_depth: usize,
    pub(super) max_depth: usize,
    pub(super) sort: bool,
    pub(super) follow_links: bool,
    /// Whether the path given has been looked at.
    started: bool,
    /// The open directories of the current path, the path given first: the entries of
    /// `stack[i]` are at depth `i + 1`.
    stack: Vec<Frame>,
    /// The error of a directory whose entry was just yielded: the next item.
    pending: Option<io::Error>,
}

/// An open directory of the current path.
struct Frame {
    dir: cap_std::fs::Dir,
    /// Its path relative to the root, as its entries' paths start.
    path: PathBuf,
    /// Whether its entries' paths start with `path` (not when it is the path given and that
    /// is `.`).
    prefixed: bool,
    /// What tells it from the other directories on the current path, when following links.
    id: Option<Identity>,
    listing: Listing,
}

/// What tells directories apart, to find loops: their device and inode numbers, as `walkdir`
/// compares them.
#[cfg(unix)]
type Identity = (u64, u64);

/// What tells directories apart, to find loops: their canonical path relative to the root,
/// where `cap-std` gives no file index.
#[cfg(not(unix))]
type Identity = PathBuf;

/// The identity of the directory at `path` beneath `root`, of which `meta` is the metadata.
#[cfg(unix)]
fn identity(_root: &cap_std::fs::Dir, _path: &Path, meta: &Metadata) -> io::Result<Identity> {
    use cap_std::fs::MetadataExt as _;

    Ok((meta.dev(), meta.ino()))
}

/// The identity of the directory at `path` beneath `root`.
#[cfg(not(unix))]
fn identity(root: &cap_std::fs::Dir, path: &Path, _meta: &Metadata) -> io::Result<Identity> {
    root.canonicalize(path)
}

/// The identity of `dir`, opened from `path` beneath `root`: from the handle itself on Unix,
/// so that it is the directory walked, whatever happened to `path` since.
fn dir_identity(
    root: &cap_std::fs::Dir,
    path: &Path,
    dir: &cap_std::fs::Dir,
) -> io::Result<Identity> {
    identity(root, path, &dir.dir_metadata()?)
}

/// What is left of a directory's entries.
enum Listing {
    /// In the order the OS gives, read as the walk goes.
    Os(cap_std::fs::ReadDir),
    /// Read at once and sorted by name.
    Sorted(std::vec::IntoIter<Listed>),
    /// The listing failed; nothing more is read from it.
    Failed,
}

/// An entry as listed: its name and type, or an error already naming its path.
type Listed = io::Result<(OsString, FileType)>;

impl Frame {
    /// Lists `dir`, whose path is `path` and identity `id`.
    fn new(
        dir: cap_std::fs::Dir,
        path: PathBuf,
        prefixed: bool,
        sort: bool,
        id: Option<Identity>,
    ) -> io::Result<Self> {
        let entries = dir.entries()?;
        let mut frame = Frame {
            dir,
            path,
            prefixed,
            id,
            listing: Listing::Os(entries),
        };
        if sort {
            let mut all = Vec::new();
            while let Some(listed) = frame.next() {
                all.push(listed);
            }
            // As walkdir does: errors first, then names in byte order.
            all.sort_by(|a, b| match (a, b) {
                (Ok(a), Ok(b)) => a.0.cmp(&b.0),
                (Err(_), Err(_)) => std::cmp::Ordering::Equal,
                (Err(_), Ok(_)) => std::cmp::Ordering::Less,
                (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
            });
            frame.listing = Listing::Sorted(all.into_iter());
        }
        Ok(frame)
    }

    /// The path of the entry `name` of this directory.
    fn child(&self, name: &OsStr) -> PathBuf {
        match self.prefixed {
            true => self.path.join(name),
            false => PathBuf::from(name),
        }
    }

    /// The next entry, `None` at the end.
    fn next(&mut self) -> Option<Listed> {
        let entries = match &mut self.listing {
            Listing::Os(entries) => entries,
            Listing::Sorted(listed) => return listed.next(),
            Listing::Failed => return None,
        };
        let entry = match entries.next()? {
            Ok(entry) => entry,
            Err(e) => {
                self.listing = Listing::Failed;
                return Some(Err(error::path(Operation::Walk, &self.path, e)));
            }
        };
        let name = entry.file_name();
        // The type comes with the listing where the OS gives it; `lstat` where it does not.
        let file_type = match entry.file_type() {
            Ok(file_type) if file_type != FileType::unknown() => Ok(file_type),
            _ => entry.metadata().map(|meta| meta.file_type()),
        };
        Some(match file_type {
            Ok(file_type) => Ok((name, file_type)),
            Err(e) => Err(error::path(Operation::Walk, &self.child(&name), e)),
        })
    }
}

impl Source for Walker {
    type Item = io::Result<WalkEntry>;

    fn fill(mut self, buf: &mut VecDeque<Self::Item>) -> io::Result<Option<Self>> {
        while buf.len() < BATCH {
            match self.next() {
                Some(item) => buf.push_back(item),
                None => return Ok(None),
            }
        }
        Ok(Some(self))
    }
}

impl Walker {
    /// The walk of `rel` beneath `root`, with `walkdir`'s defaults: every depth, directory
    /// order, links not followed.
    pub(super) fn new(root: Arc<cap_std::fs::Dir>, rel: &Path) -> Self {
        Walker {
            root,
            rel: rel.to_owned(),
            min_depth: 0,
            max_depth: usize::MAX,
            sort: false,
            follow_links: false,
            started: false,
            stack: Vec::new(),
            pending: None,
        }
    }

    /// The next item, whatever its depth; `None` when the walk is over.
    fn next(&mut self) -> Option<io::Result<WalkEntry>> {
        loop {
            if let Some(err) = self.pending.take() {
                return Some(Err(err));
            }
            if !self.started {
                self.started = true;
                match self.start() {
                    Some(item) => return Some(item),
                    None => continue,
                }
            }
            let depth = self.stack.len();
            let frame = self.stack.last_mut()?;
            let (name, listed) = match frame.next() {
                None => {
                    self.stack.pop();
                    continue;
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(listed)) => listed,
            };
            let path = frame.child(&name);
            let path_is_symlink = listed.is_symlink();
            let (file_type, opened) = if path_is_symlink && self.follow_links {
                match self.follow(&path, depth) {
                    Ok(followed) => followed,
                    Err(e) => return Some(Err(e)),
                }
            } else if listed.is_dir() && depth < self.max_depth {
                let opened = open_child(&frame.dir, &name).and_then(|dir| {
                    let id = match self.follow_links {
                        true => Some(dir_identity(&self.root, &path, &dir)?),
                        false => None,
                    };
                    Ok((dir, id))
                });
                (listed, Some(opened))
            } else {
                (listed, None)
            };
            if let Some(opened) = opened {
                let child =
                    opened.and_then(|(dir, id)| Frame::new(dir, path.clone(), true, self.sort, id));
                match child {
                    Ok(child) => self.stack.push(child),
                    Err(e) => self.pending = Some(error::path(Operation::Walk, &path, e)),
                }
            }
            if depth >= self.min_depth {
                return Some(Ok(WalkEntry {
                    path,
                    depth,
                    file_type,
                    path_is_symlink,
                }));
            }
        }
    }

    /// Follows the symlink at `path`, an entry at `depth`, beneath the root: its target's
    /// type, and, when that is a directory to descend into, the directory opened (or the
    /// error opening it, which comes after the entry).
    ///
    /// `Err` is the item that takes the link's place: a target outside the root
    /// (`PermissionDenied`, from `cap-std`, which stops at the first step out and so reads
    /// nothing there), missing, a loop of links, or one of the directories on the current
    /// path.
    fn follow(&self, path: &Path, depth: usize) -> io::Result<(FileType, Option<Opened>)> {
        let meta = self
            .root
            .metadata(path)
            .map_err(|e| error::path(Operation::Walk, path, e))?;
        let file_type = meta.file_type();
        if !file_type.is_dir() {
            return Ok((file_type, None));
        }
        let id =
            identity(&self.root, path, &meta).map_err(|e| error::path(Operation::Walk, path, e))?;
        self.check_loop(path, &id)?;
        if depth >= self.max_depth {
            return Ok((file_type, None));
        }
        let opened = self.root.open_dir(path).and_then(|dir| {
            let id = dir_identity(&self.root, path, &dir)?;
            Ok((dir, Some(id)))
        });
        // The directory opened is the one walked: checked again, in case `path` changed.
        if let Ok((_, Some(id))) = &opened {
            self.check_loop(path, id)?;
        }
        Ok((file_type, Some(opened)))
    }

    /// An error item for the link at `path` if `id` is a directory on the current path.
    fn check_loop(&self, path: &Path, id: &Identity) -> io::Result<()> {
        let ancestor = self
            .stack
            .iter()
            .rev()
            .find(|frame| frame.id.as_ref() == Some(id));
        match ancestor {
            None => Ok(()),
            Some(ancestor) => Err(error::path(
                Operation::Walk,
                path,
                loop_error(&ancestor.path),
            )),
        }
    }

    /// Looks at the path given: its entry, if yielded, and its directory opened.
    fn start(&mut self) -> Option<io::Result<WalkEntry>> {
        let file_type = match self.root.metadata(&self.rel) {
            Ok(meta) => meta.file_type(),
            Err(e) => return Some(Err(error::path(Operation::Walk, &self.rel, e))),
        };
        let path_is_symlink = match self.root.symlink_metadata(&self.rel) {
            Ok(meta) => meta.file_type().is_symlink(),
            Err(e) => return Some(Err(error::path(Operation::Walk, &self.rel, e))),
        };
        if file_type.is_dir() && self.max_depth > 0 {
            let prefixed = !self.rel.components().all(|c| c == Component::CurDir);
            let opened = self.root.open_dir(&self.rel).and_then(|dir| {
                let id = match self.follow_links {
                    true => Some(dir_identity(&self.root, &self.rel, &dir)?),
                    false => None,
                };
                Frame::new(dir, self.rel.clone(), prefixed, self.sort, id)
            });
            match opened {
                Ok(frame) => self.stack.push(frame),
                Err(e) => self.pending = Some(error::path(Operation::Walk, &self.rel, e)),
            }
        }
        (self.min_depth == 0).then(|| {
            Ok(WalkEntry {
                path: self.rel.clone(),
                depth: 0,
                file_type,
                path_is_symlink,
            })
        })
    }
}

/// A directory to descend into, opened, with its identity when following links.
type Opened = io::Result<(cap_std::fs::Dir, Option<Identity>)>;

/// The error of a link to the directory at `ancestor`, one of its own ancestors: `Other`, as
/// `fs::walk`'s loops; it names the ancestor (inside the root), never the link's target.
#[cold]
fn loop_error(ancestor: &Path) -> io::Error {
    io::Error::other(format!(
        "a symlink loop: it points to its ancestor `{}`",
        ancestor.display()
    ))
}

/// Opens the subdirectory `name` of `parent` without following a symlink: a name read from
/// `parent`'s listing, a single component, so the one `openat` cannot leave `parent`; with
/// `O_NOFOLLOW`, a symlink put in the directory's place fails instead of being followed.
#[cfg(unix)]
fn open_child(parent: &cap_std::fs::Dir, name: &OsStr) -> io::Result<cap_std::fs::Dir> {
    use rustix::fs::{Mode, OFlags};

    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(parent, name, flags, Mode::empty())?;
    Ok(cap_std::fs::Dir::from_std_file(std::fs::File::from(fd)))
}

/// Opens the subdirectory `name` of `parent`, beneath `parent`: elsewhere than on Unix, the
/// listing's type (not a symlink) is what keeps the walk from following links.
#[cfg(not(unix))]
fn open_child(parent: &cap_std::fs::Dir, name: &OsStr) -> io::Result<cap_std::fs::Dir> {
    parent.open_dir(name)
}
