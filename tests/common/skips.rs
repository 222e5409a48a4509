//! Visible skips: a test that cannot run here says so, rather than passing silently.

use std::io::Write as _;

/// The environment variable naming the file each skip is appended to (`.ci/run` sets it and
/// reports the skips of each row).
pub const SKIP_LOG_ENV: &str = "AIOFILES_SKIP_LOG";

/// Reports that the test `test` is skipped here, because of `why`: prints
/// `SKIP <test>: <why>` to stderr and, when [`SKIP_LOG_ENV`] names a file, appends that line
/// to it. The caller then returns.
pub fn skip(test: &str, why: &str) {
    let line = format!("SKIP {test}: {why}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV) {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut log| log.write_all(format!("{line}\n").as_bytes()));
        if let Err(err) = appended {
            // Not a failure of the test: the skip is still on stderr.
            eprintln!(
                "SKIP {test}: could not be logged to {}: {err}",
                path.to_string_lossy()
            );
        }
    }
}
