//! The `static_server` example, run as a process and spoken to over raw HTTP/1.1: it serves
//! what is inside its directory, streams large files exactly, and answers every attempt to
//! leave the directory with an error status, never with the bytes of a file outside.

#![cfg(all(feature = "cap-std", feature = "tokio"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::Duration;

/// What the canary outside the served directory holds.
const SECRET: &[u8] = b"CANARY: this file lives outside the served directory";

/// How long the server may take to start or to answer.
const PATIENCE: Duration = Duration::from_secs(60);

/// The example's binary, built once per test run with this test's features (cargo leaves
/// examples out when only `--test static_server` is asked for).
fn example_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        // This test runs from `<target>/<profile>/deps/`; examples land in
        // `<target>/<profile>/examples/`.
        let exe = std::env::current_exe().expect("the test's own path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from <target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("<target>/<profile>");
        let mut features = vec!["tokio", "cap-std"];
        if cfg!(feature = "async-std") {
            features.push("async-std");
        }
        let mut build = Command::new(env!("CARGO"));
        build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--example", "static_server", "--features"])
            .arg(features.join(","))
            .arg("--target-dir")
            .arg(target_dir);
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(
            status.success(),
            "cargo build --example static_server failed"
        );
        let binary = profile_dir
            .join("examples")
            .join(format!("static_server{}", std::env::consts::EXE_SUFFIX));
        assert!(
            binary.is_file(),
            "no example binary at {}",
            binary.display()
        );
        binary
    })
}

/// The example serving a directory; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(example_binary())
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        // Kill the child even if the first line never comes.
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the server printed its address in time");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        server.addr = addr.parse().expect("an address");
        assert!(server.addr.ip().is_loopback());
        assert_ne!(server.addr.port(), 0);
        server
    }

    /// Sends one raw request and returns the status code, the headers and the body.
    fn request(&self, method: &str, target: &str) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .expect("read the response");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&response)));
        let head = String::from_utf8(response[..split].to_vec()).unwrap();
        let body = response[split + 4..].to_vec();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        (status, head, body)
    }

    fn get(&self, target: &str) -> (u16, Vec<u8>) {
        let (status, _, body) = self.request("GET", target);
        (status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A served directory `base/www` next to `base/canary`, with planted symlinks pointing out.
fn site() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().canonicalize().unwrap();
    let www = base.join("www");
    let canary = base.join("canary");
    std::fs::write(&canary, SECRET).unwrap();
    std::fs::create_dir_all(www.join("sub")).unwrap();
    std::fs::write(www.join("index.html"), "<h1>home</h1>").unwrap();
    std::fs::write(www.join("hello.txt"), "hello, world\n").unwrap();
    std::fs::write(www.join("sub/index.html"), "sub home").unwrap();
    std::fs::write(www.join("with space.txt"), "spaced").unwrap();
    symlink("../canary", www.join("evil")).unwrap();
    symlink(&canary, www.join("evil_abs")).unwrap();
    symlink("..", www.join("evil_dir")).unwrap();
    symlink("hello.txt", www.join("alias.txt")).unwrap();
    (tmp, www, canary)
}

#[test]
fn serves_files_inside_the_directory() {
    let (_tmp, www, _canary) = site();
    let server = Server::start(&www);

    assert_eq!(server.get("/hello.txt"), (200, b"hello, world\n".to_vec()));
    assert_eq!(server.get("/"), (200, b"<h1>home</h1>".to_vec()));
    assert_eq!(server.get("/sub/"), (200, b"sub home".to_vec()));
    assert_eq!(server.get("/with%20space.txt"), (200, b"spaced".to_vec()));
    assert_eq!(
        server.get("/%68ello.txt"),
        (200, b"hello, world\n".to_vec())
    );
    assert_eq!(server.get("/sub/../hello.txt").0, 200);
    // A symlink that stays inside is served.
    assert_eq!(server.get("/alias.txt"), (200, b"hello, world\n".to_vec()));

    let (status, head, _) = server.request("GET", "/hello.txt");
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-length: 13"), "{head}");
    assert!(head.contains("content-type: text/plain"), "{head}");
}

#[test]
fn missing_files_are_404_and_other_methods_405() {
    let (_tmp, www, _canary) = site();
    let server = Server::start(&www);

    assert_eq!(server.get("/missing").0, 404);
    assert_eq!(server.get("/sub/missing.txt").0, 404);
    assert_eq!(server.get("/hello.txt/x").0, 404);
    std::fs::remove_file(www.join("index.html")).unwrap();
    assert_eq!(server.get("/").0, 404);

    for method in ["POST", "PUT", "DELETE", "HEAD"] {
        let (status, head, _) = server.request(method, "/hello.txt");
        assert_eq!(status, 405, "{method}");
        assert!(head.to_ascii_lowercase().contains("allow: get"), "{head}");
    }
    assert_eq!(
        std::fs::read(www.join("hello.txt")).unwrap(),
        b"hello, world\n"
    );
}

#[test]
fn large_files_are_streamed_exactly() {
    let (_tmp, www, _canary) = site();
    // Not a multiple of any chunk size, and every byte position distinguishable.
    let big: Vec<u8> = (0..5 * 1024 * 1024 + 12_345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(www.join("big.bin"), &big).unwrap();
    let server = Server::start(&www);

    let (status, head, body) = server.request("GET", "/big.bin");
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}", big.len())),
        "{head}"
    );
    assert_eq!(body.len(), big.len());
    assert!(body == big, "the body differs from the file");
}

#[test]
fn escapes_are_refused_and_never_leak_the_canary() {
    let (_tmp, www, canary) = site();
    let server = Server::start(&www);
    let absolute = format!("/{}", canary.display());

    for target in [
        "/../canary",
        "/%2e%2e/canary",
        "/%2E%2E/canary",
        "/..%2fcanary",
        "/..%2Fcanary",
        "/%2e%2e%2fcanary",
        "/sub/../../canary",
        "/sub/%2e%2e/%2e%2e/canary",
        "/evil",
        "/evil_abs",
        "/evil_dir/canary",
        "/evil_dir/www/hello.txt",
        "/%2fetc/passwd",
        &absolute,
    ] {
        let (status, body) = server.get(target);
        assert!(
            matches!(status, 403 | 404 | 400),
            "{target}: status {status}"
        );
        assert!(
            !body.windows(SECRET.len()).any(|w| w == SECRET),
            "{target}: the canary leaked"
        );
    }
    // The obvious ones are refused as such.
    for target in [
        "/../canary",
        "/%2e%2e/canary",
        "/..%2fcanary",
        "/evil",
        "/evil_abs",
    ] {
        assert_eq!(server.get(target).0, 403, "{target}");
    }
    assert_eq!(std::fs::read(&canary).unwrap(), SECRET);
}
