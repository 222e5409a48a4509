//! Checks of panics and errors: a panic's message, an error's source, an error of this crate
//! against std's for the same call.

use std::any::Any;
use std::error::Error as _;
use std::io;
use std::path::Path;

/// `ENOENT` on Linux.
#[cfg(target_os = "linux")]
pub const ENOENT: i32 = 2;

/// The message of a panic payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        panic!("the panic payload is neither a &str nor a String")
    }
}

/// The original error behind one of this crate's errors.
pub fn source_of(err: &io::Error) -> &io::Error {
    err.source()
        .unwrap_or_else(|| panic!("no source in `{err}`"))
        .downcast_ref::<io::Error>()
        .unwrap_or_else(|| panic!("the source of `{err}` is not an io::Error"))
}

/// Checks `ours`, an error of this crate, against `theirs`, std's error for the same call on
/// the same input: same kind, message ``failed to <op> `<path>`: <std's message>`` (two paths:
/// ``failed to <op> `<a>` to `<b>`: ...``), and std's error as the source, OS code included.
#[track_caller]
pub fn assert_same_error(ours: &io::Error, theirs: &io::Error, op: &str, paths: &[&Path]) {
    assert_eq!(ours.kind(), theirs.kind(), "kind of `{ours}`");
    let expected = match paths {
        [path] => format!("failed to {op} `{}`: {theirs}", path.display()),
        [from, to] => format!(
            "failed to {op} `{}` to `{}`: {theirs}",
            from.display(),
            to.display()
        ),
        _ => panic!("one or two paths"),
    };
    assert_eq!(ours.to_string(), expected);
    let source = source_of(ours);
    assert_eq!(source.kind(), theirs.kind());
    assert_eq!(source.raw_os_error(), theirs.raw_os_error());
    assert_eq!(source.to_string(), theirs.to_string());
}
