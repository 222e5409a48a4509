//! Async file I/O for any runtime: files, filesystem operations and temporary files as futures
//! that run on an executor you choose. A Rust counterpart of Python's
//! [aiofiles](https://github.com/Tinche/aiofiles).
//!
//! Operating systems offer no portable non-blocking file I/O, so every async file library runs
//! the blocking `std` calls on a thread pool. `tokio::fs` only works inside tokio and `async-fs`
//! cannot choose where its work runs. Here every operation is a future generic over an
//! [`Executor`]: awaited as it is, it runs on [`Blocking`] (smol's own pool, which needs no
//! runtime); [`.on(executor)`](executor::Op::on) binds it to tokio's pool, async-std's, a
//! concurrency [`Limit`], the calling thread ([`Inline`]) or a pool of your own.
//!
//! # Examples
//!
//! ```
//! use aiofiles::{fs, Inline};
//! use futures::TryStreamExt;
//!
//! # futures::executor::block_on(async {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("hello.txt");
//!
//! fs::write(&path, "hello").await?;                          // the default pool
//! assert_eq!(fs::read_to_string(&path).on(Inline).await?, "hello"); // this thread
//!
//! let names: Vec<_> = fs::read_dir(dir.path()).map_ok(|e| e.file_name()).try_collect().await?;
//! assert_eq!(names, ["hello.txt"]);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
//!
//! # Implementation
//!
//! An operation hands its blocking work to the executor once, when first polled, and wakes the
//! awaiting task when the work is done: one thread hand-off per operation, whatever it does on
//! the pool thread. To batch several calls into one hand-off, use [`unblock`]: it runs any
//! closure the same way (Python aiofiles' `wrap`).
//!
//! # Cancellation
//!
//! Dropping an operation's future before its first poll does nothing. After that, the work
//! has been handed over and runs to completion on its executor; its result is discarded. A
//! dropped `fs::write` has either not started or written everything.
//!
//! # Errors
//!
//! Every operation returns [`std::io::Result`]. Errors keep std's
//! [`kind`](std::io::Error::kind), name the operation and the path(s)
//! (``failed to read `data/x.txt`: No such file or directory (os error 2)``), and give the
//! original error as [`source`](std::error::Error::source). An error of kind
//! [`Other`](std::io::ErrorKind::Other) saying so is returned when an executor dropped the
//! work (a shut-down tokio runtime). A panic inside the work is re-raised in the awaiting task.
//!
//! # Feature flags
//!
//! | feature | adds |
//! |---|---|
//! | `tokio` | `Tokio`, the executor on a tokio runtime's blocking pool |
//! | `async-std` | `AsyncStd`, the executor on async-std's blocking pool |
//! | `cap-std` | `Dir`, a directory no path can escape |
//!
//! Features only add; [`Blocking`], [`Inline`] and [`Limit`] are always there.
//!
//! ## Tuning
//!
//! - [`Limit`] bounds how many operations run at once (a slow FIFO or network mount then
//!   cannot take every pool thread).
//! - [`Inline`] removes the hand-off entirely where blocking the current thread is fine.
//! - The default pool's size is set by the `BLOCKING_MAX_THREADS` environment variable
//!   (default 500).

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(no_crate_inject, attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "cap-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "cap-std")))]
pub mod dir;
mod error;
pub mod executor;
mod file;
pub mod fs;
pub mod os;
mod stdio;
pub mod tempfile;
pub mod testing;
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
pub mod unix;

pub use crate::executor::{unblock, Blocking, Executor, Inline, Limit, Linger};
pub use crate::file::{open, Chunks, File, IntoChunks, Open, OpenOptions};
pub use crate::stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};

#[cfg(feature = "cap-std")]
pub use crate::dir::Dir;
#[cfg(feature = "async-std")]
pub use crate::executor::AsyncStd;
#[cfg(feature = "tokio")]
pub use crate::executor::Tokio;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
