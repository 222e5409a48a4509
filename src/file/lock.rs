//! Advisory whole-file locks on [`File`]: std's `lock` family, `flock(2)` semantics, waited
//! for without holding an executor thread.
//!
//! # Implementation
//!
//! **Attempts.** Every attempt is one `flock(LOCK_NB)` call, run on the `File`'s executor as
//! one short hand-off. The call never waits for the lock, but it is not always a cheap
//! syscall: on NFS it is a lock request to the server (NLM), on FUSE a request to the
//! filesystem's daemon, and either can stall for as long as the server does. The polling
//! thread (an async runtime's worker) must never stall, so the attempt goes where the rest of
//! the `File`'s I/O goes, and the executor the caller chose ([`Limit`](crate::Limit),
//! [`Inline`](crate::Inline), a test executor) is honoured. An attempt holds an executor
//! thread for that one call and nothing else: 1,000 waiters behind a `Limit` of 4 take a place
//! each for a few microseconds, then wait off the pool.
//!
//! **Waiting.** Between attempts a waiter sleeps on an [`async_io::Timer`]. async-io is the
//! reactor of smol and async-std: it needs no runtime (it drives its timers from its own
//! "async-io" thread, or from `async_io::block_on` when a smol program runs one), works under
//! tokio and `futures::executor` alike, is shared with any smol or async-std code in the
//! process, and its dependencies are mostly the ones `blocking`, our default pool, already
//! brings. The sleep is an exponential backoff from 1 ms, doubling up to 10 ms: a lock
//! released by another process is seen within 10 ms plus one hand-off, inside the 20 ms this
//! crate promises, and a waiter that waits for minutes costs 100 short attempts a second.
//!
//! **Waking at once.** Waiters of this process are queued per file, keyed by device and inode
//! (from `fstat`, read in the first attempt's hand-off): only the first in the queue polls,
//! the others wait for their turn without any timer or attempt, so 1,000 waiters cost what
//! one does. Every `File` that gets a lock through these methods is noted as a holder of
//! that file. When a `File` of this process releases a lock ([`unlock`](File::unlock), or a
//! dropped `lock()` future whose attempt had succeeded), the first waiter is woken and tries
//! at once. A `File` dropped or closed while it holds a lock closes its descriptor, which
//! releases the lock; the first waiter, while a noted holder is alive, checks every
//! millisecond whether it still is (a reference count, no system call and no hand-off) and
//! tries at once when it is gone. When the first waiter gets the lock or gives up, the next
//! one becomes first and tries at once (a shared lock then passes along a queue of shared
//! waiters without delay). The queue is only a hint for when to try: the OS decides every
//! time, so a lock taken by other means, or released without this process knowing, is still
//! seen by the next attempt.
//!
//! **Cancellation.** An attempt records its success in a slot shared with its future, under
//! the slot's mutex, and only if the future was not dropped first. A future dropped while its
//! attempt runs waits for that one `flock` call to return (it never waits for an executor's
//! queue) and releases the lock if the attempt got it: once the drop returns, no lock of the
//! call is held and no later attempt of it can happen, so a next `lock()` on the same `File`
//! can never be undone by a stale one.

#![cfg(unix)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use rustix::fs::FlockOperation;

use super::job::Shared;
use super::File;

mod registry;

use self::registry::{enqueue, held, key_of, leave, released, turn, Key};
use crate::error::{retry, Operation};
use crate::executor::{Executor, Op, Private, Work};

/// The first sleep between two attempts of the first waiter.
const FIRST_BACKOFF: Duration = Duration::from_millis(1);
/// The longest sleep between two attempts: a release by another process is seen within it.
const MAX_BACKOFF: Duration = Duration::from_millis(10);
/// How often the first waiter looks whether the holders it knows of in this process are
/// still alive.
const WATCH: Duration = Duration::from_millis(1);

impl<E: Executor> File<E> {
    /// Locks the file exclusively, waiting until no other lock is held on it. Async version
    /// of [`std::fs::File::lock`].
    ///
    /// An advisory lock on the whole file (`flock(2)`): it keeps out other `lock` and
    /// `lock_shared` calls, of this process or another, on any descriptor that is not this
    /// one's, but not reads or writes. It is released by [`unlock`](File::unlock), or when
    /// the file's descriptor is closed (the `File` dropped or [`close`](File::close)d).
    /// Locks belong to the open file description, as `flock`'s do: a
    /// [`try_clone`](File::try_clone) shares this `File`'s lock (its lock calls and
    /// `unlock` act on the same lock, and the lock lasts until both are closed), while a
    /// second [`open`](crate::open) of the same path is another holder that waits.
    ///
    /// Locking a `File` that already holds a lock converts it (shared to exclusive here).
    /// As with `flock`, the conversion is not atomic: the old lock may be lost while the new
    /// one is waited for.
    ///
    /// # Implementation
    ///
    /// Each attempt is one `flock(LOCK_EX | LOCK_NB)` hand-off to the executor; between
    /// attempts the caller's task sleeps on a timer (backoff from 1 ms up to 10 ms), so
    /// waiting holds no executor thread: a thousand waiters behind a
    /// [`Limit`](crate::Limit) leave it free for other work. Waiters of this process on the
    /// same file queue up, and only the first attempts; it is woken at once when a `File` of
    /// this process unlocks, and within a millisecond when one holding the lock is dropped. A
    /// release by another process is seen within 10 ms.
    ///
    /// # Errors
    ///
    /// `flock`'s errors other than "held elsewhere", with the path in the message (e.g. on a
    /// filesystem without locks), and the executor's error if it lost an attempt.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it resolves leaves no lock of it held once the drop
    /// returns: an attempt that got the lock is undone, and no attempt runs later. (If the
    /// `File` held a lock before the call, it may have been converted, and is then released
    /// too.) The drop waits at most for one `flock` call already running on an executor
    /// thread, never for an executor's queue.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.lock");
    /// let holder = aiofiles::open(&path, "w").await?;
    /// let waiter = aiofiles::open(&path, "w").await?;
    ///
    /// holder.lock().await?;
    /// let ((), ()) = futures::try_join!(waiter.lock(), async {
    ///     assert!(!waiter.try_lock().await?); // held by `holder` meanwhile
    ///     holder.unlock().await
    /// })?;
    /// assert!(!holder.try_lock_shared().await?); // now `waiter` holds it
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn lock(&self) -> impl Future<Output = io::Result<()>> + Send + 'static {
        let acquire = self.acquire(FlockOperation::NonBlockingLockExclusive, true);
        async move { acquire.await.map(drop) }
    }

    /// Locks the file for shared use, waiting until no exclusive lock is held on it. Async
    /// version of [`std::fs::File::lock_shared`].
    ///
    /// Any number of shared locks can be held at once; an exclusive one waits for all of
    /// them. Otherwise as [`lock`](File::lock): advisory, whole file, `flock` semantics.
    ///
    /// # Errors
    ///
    /// As [`lock`](File::lock).
    ///
    /// # Cancel safety
    ///
    /// As [`lock`](File::lock): a dropped future leaves no lock of it held.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data.lock");
    /// let a = aiofiles::open(&path, "w").await?;
    /// let b = aiofiles::open(&path, "w").await?;
    /// a.lock_shared().await?;
    /// b.lock_shared().await?; // shared locks go together
    /// let c = aiofiles::open(&path, "w").await?;
    /// assert!(!c.try_lock().await?); // an exclusive one does not
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn lock_shared(&self) -> impl Future<Output = io::Result<()>> + Send + 'static {
        let acquire = self.acquire(FlockOperation::NonBlockingLockShared, true);
        async move { acquire.await.map(drop) }
    }

    /// Tries once to lock the file exclusively: `true` if it is now locked, `false` if a lock
    /// is held elsewhere. Async version of [`std::fs::File::try_lock`], which returns an
    /// error in that case.
    ///
    /// One hand-off to the executor (`flock(LOCK_EX | LOCK_NB)`).
    ///
    /// # Errors
    ///
    /// As [`lock`](File::lock); a lock held elsewhere is `Ok(false)`, not an error.
    ///
    /// # Cancel safety
    ///
    /// As [`lock`](File::lock): a dropped future leaves no lock of it held.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.lock");
    /// let a = aiofiles::open(&path, "w").await?;
    /// let b = aiofiles::open(&path, "w").await?;
    /// assert!(a.try_lock().await?);
    /// assert!(!b.try_lock().await?);
    /// drop(a); // closing the descriptor releases the lock
    /// assert!(b.try_lock().await?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_lock(&self) -> impl Future<Output = io::Result<bool>> + Send + 'static {
        self.acquire(FlockOperation::NonBlockingLockExclusive, false)
    }

    /// Tries once to lock the file for shared use: `true` if it is now locked, `false` if an
    /// exclusive lock is held elsewhere. Async version of
    /// [`std::fs::File::try_lock_shared`].
    ///
    /// One hand-off to the executor (`flock(LOCK_SH | LOCK_NB)`).
    ///
    /// # Errors
    ///
    /// As [`lock`](File::lock); a lock held elsewhere is `Ok(false)`, not an error.
    ///
    /// # Cancel safety
    ///
    /// As [`lock`](File::lock): a dropped future leaves no lock of it held.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.lock");
    /// let a = aiofiles::open(&path, "w").await?;
    /// let b = aiofiles::open(&path, "w").await?;
    /// assert!(a.try_lock_shared().await?);
    /// assert!(b.try_lock_shared().await?);
    /// assert!(!aiofiles::open(&path, "w").await?.try_lock().await?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn try_lock_shared(&self) -> impl Future<Output = io::Result<bool>> + Send + 'static {
        self.acquire(FlockOperation::NonBlockingLockShared, false)
    }

    /// Releases this file's lock (`flock(LOCK_UN)`), shared or exclusive. Async version of
    /// [`std::fs::File::unlock`].
    ///
    /// Unlocking a file that holds no lock does nothing. Waiters of this process on the same
    /// file are woken at once. Since locks belong to the open file description, this also
    /// releases the lock of a [`try_clone`](File::try_clone) of this `File`.
    ///
    /// # Errors
    ///
    /// `flock`'s or `fstat`'s error, with the path in the message, and the executor's error
    /// if it lost the work.
    ///
    /// # Cancel safety
    ///
    /// Once polled, the unlock happens even if the future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.lock");
    /// let a = aiofiles::open(&path, "w").await?;
    /// let b = aiofiles::open(&path, "w").await?;
    /// a.lock().await?;
    /// assert!(!b.try_lock().await?);
    /// a.unlock().await?;
    /// assert!(b.try_lock().await?);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn unlock(&self) -> impl std::future::Future<Output = io::Result<()>> + Send + 'static {
        self.on_file(|shared| {
            retry(|| rustix::fs::flock(&shared.file, FlockOperation::Unlock).map_err(Into::into))
                .map_err(|e| shared.error(Operation::Unlock, e))?;
            let key = key_of(shared).map_err(|e| shared.error(Operation::Unlock, e))?;
            released(key, shared);
            Ok(())
        })
    }

    fn acquire(&self, op: FlockOperation, wait: bool) -> Acquire<E> {
        Acquire {
            shared: Arc::clone(&self.core.shared),
            exec: self.core.exec.clone(),
            op,
            wait,
            key: None,
            ticket: None,
            backoff: FIRST_BACKOFF,
            next_attempt: Instant::now(),
            state: State::Start,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One attempt, on the executor

/// What an attempt and its future share: whether the future is gone, and whether the
/// attempt got the lock.
#[derive(Default)]
struct Slot {
    abandoned: bool,
    /// The attempt got the lock on this file.
    acquired: Option<Key>,
}

fn lock_slot(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One `flock(LOCK_NB)`, and the file's key when it is not known yet.
struct Attempt {
    shared: Arc<Shared>,
    op: FlockOperation,
    key: Option<Key>,
    slot: Arc<Mutex<Slot>>,
}

/// An attempt's answer.
struct Tried {
    key: Key,
    acquired: bool,
}

impl Work for Attempt {
    type Output = Tried;

    fn run(self, _: Private) -> io::Result<Tried> {
        let Attempt {
            shared,
            op,
            key,
            slot,
        } = self;
        let key = match key {
            Some(key) => key,
            None => key_of(&shared).map_err(|e| shared.error(Operation::Lock, e))?,
        };
        // Held across the call: a future dropped meanwhile waits for it and undoes a success;
        // one dropped before makes the attempt do nothing.
        let mut slot = lock_slot(&slot);
        if slot.abandoned {
            return Err(io::Error::other("the lock attempt was abandoned"));
        }
        let acquired = match retry(|| rustix::fs::flock(&shared.file, op).map_err(Into::into)) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) => return Err(shared.error(Operation::Lock, e)),
        };
        if acquired {
            slot.acquired = Some(key);
            held(key, &shared);
        }
        Ok(Tried { key, acquired })
    }
}

// ---------------------------------------------------------------------------------------------
// The future of `lock`, `lock_shared`, `try_lock` and `try_lock_shared`

/// Gets a lock: attempts until one succeeds (`wait`), or once.
struct Acquire<E: Executor> {
    shared: Arc<Shared>,
    exec: E,
    op: FlockOperation,
    wait: bool,
    /// The file's key, once the first attempt read it.
    key: Option<Key>,
    /// The place in the file's queue, while waiting.
    ticket: Option<u64>,
    /// The next sleep of the first waiter.
    backoff: Duration,
    /// When the first waiter attempts next.
    next_attempt: Instant,
    state: State<E>,
}

enum State<E: Executor> {
    /// The first attempt is to start.
    Start,
    /// An attempt in flight.
    Trying {
        op: Pin<Box<Op<Attempt, E>>>,
        slot: Arc<Mutex<Slot>>,
    },
    /// In the queue: first, it sleeps until its next attempt; else until it is first.
    Waiting {
        timer: Option<Timer>,
    },
    Done,
}

// `E` is never pinned: the future only hands out clones of it.
impl<E: Executor> Unpin for Acquire<E> {}

impl<E: Executor> Acquire<E> {
    fn launch(&mut self) {
        let slot = Arc::default();
        let attempt = Attempt {
            shared: Arc::clone(&self.shared),
            op: self.op,
            key: self.key,
            slot: Arc::clone(&slot),
        };
        self.state = State::Trying {
            op: Box::pin(Op::new(attempt).on(self.exec.clone())),
            slot,
        };
    }

    /// Done, with or without the lock: leave the queue.
    fn finish(&mut self) {
        self.state = State::Done;
        if let (Some(key), Some(id)) = (self.key, self.ticket.take()) {
            leave(key, id);
        }
    }
}

impl<E: Executor> Future for Acquire<E> {
    type Output = io::Result<bool>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Start => this.launch(),
                State::Trying { op, .. } => {
                    let outcome = ready!(op.as_mut().poll(cx));
                    let tried = match outcome {
                        Ok(tried) => tried,
                        Err(e) => {
                            this.finish();
                            return Poll::Ready(Err(e));
                        }
                    };
                    this.key = Some(tried.key);
                    if tried.acquired || !this.wait {
                        this.finish();
                        return Poll::Ready(Ok(tried.acquired));
                    }
                    if this.ticket.is_none() {
                        this.ticket = Some(enqueue(tried.key, cx.waker()));
                    }
                    this.next_attempt = Instant::now() + this.backoff;
                    this.backoff = (this.backoff * 2).min(MAX_BACKOFF);
                    this.state = State::Waiting { timer: None };
                }
                State::Waiting { timer } => {
                    let (Some(key), Some(id)) = (this.key, this.ticket) else {
                        unreachable!("a waiter has its key and its place")
                    };
                    let turn = turn(key, id, cx.waker());
                    if turn.kicked {
                        this.backoff = FIRST_BACKOFF;
                        this.launch();
                        continue;
                    }
                    if !turn.first {
                        // Told through the registered waker when it becomes first.
                        *timer = None;
                        return Poll::Pending;
                    }
                    let now = Instant::now();
                    if now >= this.next_attempt {
                        this.launch();
                        continue;
                    }
                    let wake_at = if turn.watched {
                        this.next_attempt.min(now + WATCH)
                    } else {
                        this.next_attempt
                    };
                    let timer = match timer {
                        Some(timer) => {
                            timer.set_at(wake_at);
                            timer
                        }
                        None => timer.insert(Timer::at(wake_at)),
                    };
                    ready!(Pin::new(timer).poll(cx));
                    // Due, or time to look at the holders again: the loop tells which.
                }
                State::Done => panic!("a lock future polled after completion"),
            }
        }
    }
}

impl<E: Executor> Drop for Acquire<E> {
    fn drop(&mut self) {
        if let State::Trying { slot, .. } = &self.state {
            // Waits for an attempt that is inside its `flock` call.
            let mut slot = lock_slot(slot);
            slot.abandoned = true;
            if let Some(key) = slot.acquired.take() {
                // The attempt got the lock for nobody: give it back now, on this thread, so
                // that no later call of this `File` can be undone by it.
                let _ = retry(|| {
                    rustix::fs::flock(&self.shared.file, FlockOperation::Unlock).map_err(Into::into)
                });
                drop(slot);
                released(key, &self.shared);
            }
        }
        if let (Some(key), Some(id)) = (self.key, self.ticket.take()) {
            leave(key, id);
        }
    }
}
