//! This process and its children: privileges, re-running one test alone (as another user),
//! the thread count.

use std::io;

/// The environment variable that marks a test process started by [`rerun_alone`].
pub const CHILD_ENV: &str = "AIOFILES_TEST_CHILD";

/// Whether this process ignores permission bits (root, or a process with `CAP_DAC_OVERRIDE`):
/// `id -u` says 0, or a file with mode 0o000 can be opened.
#[cfg(unix)]
pub fn privileged() -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        return true;
    }
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let probe = dir.path().join("probe");
    std::fs::write(&probe, "x").expect("write the probe");
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000))
        .expect("chmod the probe");
    std::fs::File::open(&probe).is_ok()
}

/// Runs the test `name`'s `body` as an unprivileged user (root ignores permission bits):
/// here if this process is one; otherwise in a new process of this test binary running as
/// `nobody`, whose success is checked. Fails when neither is possible, rather than passing
/// unchecked.
#[cfg(unix)]
pub fn unprivileged(name: &str, body: impl FnOnce()) {
    if !privileged() {
        body();
        return;
    }
    assert!(
        !in_child(),
        "`{name}`: still privileged as user nobody, permissions cannot be tested"
    );
    let output = rerun_alone(name, Some(65534))
        .unwrap_or_else(|err| panic!("`{name}`: privileged, and cannot run as nobody: {err}"));
    let stdout = assert_child_passed(name, &output);
    eprintln!("`{name}` ran as user nobody in a child process: {stdout}");
}

/// Whether this process was started by [`rerun_alone`].
pub fn in_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the test `name` of this test binary alone, in a new process (as user and group `uid`
/// when given; that needs root), with [`CHILD_ENV`] set. Returns the child's output; `Err`
/// when it could not be started.
#[cfg(unix)]
pub fn rerun_alone(name: &str, uid: Option<u32>) -> io::Result<std::process::Output> {
    use std::os::unix::process::CommandExt as _;
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdin(std::process::Stdio::null());
    if let Some(uid) = uid {
        // Somewhere the other user can write its temporary files.
        command.uid(uid).gid(uid).env("TMPDIR", "/tmp");
    }
    command.output()
}

/// Checks that a child started by [`rerun_alone`] ran its one test and passed; returns its
/// standard output.
#[track_caller]
pub fn assert_child_passed(name: &str, output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child running `{name}` failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    stdout
}

/// The number of threads of this process (`Threads:` of `/proc/self/status`); `None` where
/// there is no such file.
pub fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}
