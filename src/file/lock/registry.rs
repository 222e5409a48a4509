//! The process's lock waiters and holders, per file: who waits for a lock on a file, in
//! order, and which of this process's descriptors hold one (see the parent module's docs).

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::Waker;

use super::super::job::Shared;

/// Which file a lock is on: its device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    pub(super) dev: u64,
    pub(super) ino: u64,
}

/// The key of the file behind `shared`'s descriptor (`fstat`).
pub(super) fn key_of(shared: &Shared) -> io::Result<Key> {
    let meta = shared.file.metadata()?;
    Ok(Key {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

// ---------------------------------------------------------------------------------------------
// The process's waiters and holders, per file

/// The waiters of this process and the holders it knows of, per locked file.
pub(super) struct Registry {
    pub(super) files: BTreeMap<Key, Entry>,
    pub(super) next_ticket: u64,
    /// Holders noted since the last sweep of dead ones over all files.
    pub(super) noted: usize,
}

/// One file's waiters, in arrival order, and its holders in this process.
#[derive(Default)]
pub(super) struct Entry {
    pub(super) queue: VecDeque<Ticket>,
    /// `File`s of this process that got a lock on the file through these methods and have not
    /// unlocked it; they may be gone (dropped) since.
    pub(super) holders: Vec<Weak<Shared>>,
}

/// A waiter's place in its file's queue.
pub(super) struct Ticket {
    pub(super) id: u64,
    pub(super) waker: Option<Waker>,
    /// Told to try at once.
    pub(super) kicked: bool,
}

/// What a waiter learns when it looks at its place.
pub(super) struct Turn {
    /// It is first and was told to try at once.
    pub(super) kicked: bool,
    /// It is first: it polls.
    pub(super) first: bool,
    /// A holder of this process is known to be alive: watch it.
    pub(super) watched: bool,
}

pub(super) static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    files: BTreeMap::new(),
    next_ticket: 0,
    noted: 0,
});

pub(super) fn registry() -> MutexGuard<'static, Registry> {
    // Every update leaves the registry consistent: a panic elsewhere cannot half-do one.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Entry {
    /// Forgets the holders that are gone; whether any was.
    fn prune(&mut self) -> bool {
        let before = self.holders.len();
        self.holders.retain(|holder| holder.strong_count() > 0);
        self.holders.len() != before
    }

    /// Tells the first waiter to try at once; its waker, to wake once the registry is
    /// unlocked.
    fn kick(&mut self) -> Option<Waker> {
        let first = self.queue.front_mut()?;
        first.kicked = true;
        first.waker.take()
    }

    fn is_unused(&self) -> bool {
        self.queue.is_empty() && self.holders.is_empty()
    }
}

impl Registry {
    /// Drops `key`'s entry when nobody waits and no holder is known.
    fn tidy(&mut self, key: Key) {
        if self.files.get(&key).is_some_and(Entry::is_unused) {
            self.files.remove(&key);
        }
    }
}

pub(super) fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Notes that `shared` holds a lock on `key`.
pub(super) fn held(key: Key, shared: &Arc<Shared>) {
    let mut registry = registry();
    let entry = registry.files.entry(key).or_default();
    entry.prune();
    if !entry
        .holders
        .iter()
        .any(|holder| std::ptr::eq(holder.as_ptr(), Arc::as_ptr(shared)))
    {
        entry.holders.push(Arc::downgrade(shared));
    }
    // Files locked once and dropped without `unlock` leave dead notes behind; sweep them all
    // from time to time, so that the registry stays as small as what is locked now.
    registry.noted += 1;
    if registry.noted > 64.max(registry.files.len()) {
        registry.noted = 0;
        registry.files.retain(|_, entry| {
            entry.prune();
            !entry.is_unused()
        });
    }
}

/// `shared` released its lock on `key`: the first waiter tries at once.
pub(super) fn released(key: Key, shared: &Shared) {
    let mut registry = registry();
    let Some(entry) = registry.files.get_mut(&key) else {
        return;
    };
    entry
        .holders
        .retain(|holder| holder.strong_count() > 0 && !std::ptr::eq(holder.as_ptr(), shared));
    let waker = entry.kick();
    registry.tidy(key);
    drop(registry);
    wake(waker);
}

/// A new waiter at the end of `key`'s queue.
pub(super) fn enqueue(key: Key, waker: &Waker) -> u64 {
    let mut registry = registry();
    let id = registry.next_ticket;
    registry.next_ticket += 1;
    registry
        .files
        .entry(key)
        .or_default()
        .queue
        .push_back(Ticket {
            id,
            waker: Some(waker.clone()),
            // A waiter that comes first polls from its backoff: nothing was released since its
            // attempt failed, as far as this process knows.
            kicked: false,
        });
    id
}

/// Where waiter `id` of `key` stands; registers `waker` to be told when it changes.
pub(super) fn turn(key: Key, id: u64, waker: &Waker) -> Turn {
    let mut registry = registry();
    let entry = registry.files.entry(key).or_default();
    if entry.prune() {
        // A holder of this process was dropped: its descriptor is closed, the lock free.
        if let Some(first) = entry.queue.front_mut() {
            first.kicked = true;
        }
    }
    let watched = !entry.holders.is_empty();
    let Some(place) = entry.queue.iter().position(|ticket| ticket.id == id) else {
        unreachable!("a waiter leaves its queue only when it is done or dropped")
    };
    let ticket = &mut entry.queue[place];
    match &mut ticket.waker {
        Some(old) if old.will_wake(waker) => {}
        slot => *slot = Some(waker.clone()),
    }
    let first = place == 0;
    Turn {
        kicked: first && std::mem::take(&mut ticket.kicked),
        first,
        watched,
    }
}

/// Waiter `id` leaves `key`'s queue; if it was first, the next one tries at once.
pub(super) fn leave(key: Key, id: u64) {
    let mut registry = registry();
    let Some(entry) = registry.files.get_mut(&key) else {
        return;
    };
    let Some(place) = entry.queue.iter().position(|ticket| ticket.id == id) else {
        return;
    };
    entry.queue.remove(place);
    let waker = if place == 0 { entry.kick() } else { None };
    registry.tidy(key);
    drop(registry);
    wake(waker);
}
