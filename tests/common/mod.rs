//! Helpers shared by the integration tests, one module per concern, every name re-exported
//! here so that call sites say `common::name`:
//!
//! - [`executors`]: user-written executors (`ThreadPerJob`, `Lossy`, `Closable`, `Counting`)
//!   and the executor matrix (`matrix!`, `on_each_executor!`);
//! - [`runtimes`]: the runtimes the suites run under (`run`, the `*_block_on`s), the watchdog
//!   (`within`, `TIMEOUT`), and driving futures by hand (`poll_once`, `drive`);
//! - [`errors`]: panic and error checks against std (`panic_message`, `source_of`,
//!   `assert_same_error`);
//! - [`processes`]: privileges and child processes (`privileged`, `unprivileged`, `in_child`,
//!   `rerun_alone`, `assert_child_passed`, `thread_count`);
//! - [`files`]: temporary directories (`tempdir`, `tempdir_path`, `tempdir_for_tree`),
//!   contents (`pattern`, `wait_for_content`) and FIFOs (`mkfifo`);
//! - [`skips`]: visible skips (`skip`).

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

pub mod errors;
pub mod executors;
pub mod files;
pub mod processes;
pub mod runtimes;
pub mod skips;

pub use errors::*;
pub use executors::*;
pub use files::*;
pub use processes::*;
pub use runtimes::*;
pub use skips::*;
