//! The `static_server` example, run as a process and spoken to over raw HTTP/1.1: it serves
//! what is inside its directory, streams large files exactly, answers `HEAD` and single byte
//! ranges, names media types, and answers every attempt to leave the directory with an error
//! status, never with the bytes of a file outside. Two tests measure the server's peak memory
//! (`VmHWM`) while it streams: 200 concurrent downloads of 20 MB, and one of 100 MiB.

#![cfg(all(feature = "cap-std", feature = "tokio"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

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
        self.request_with(method, target, &[])
    }

    /// [`request`](Server::request) with more header lines (`"Name: value"`).
    fn request_with(&self, method: &str, target: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for line in extra {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
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

    /// The server's peak resident set so far (`VmHWM`), in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read the server's /proc/<pid>/status");
        let line = status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))
            .unwrap_or_else(|| panic!("no VmHWM in {status}"));
        let kib: u64 = line
            .trim_start_matches("VmHWM:")
            .trim()
            .strip_suffix(" kB")
            .and_then(|kib| kib.parse().ok())
            .unwrap_or_else(|| panic!("unexpected {line:?}"));
        kib * 1024
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

    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let (status, head, _) = server.request(method, "/hello.txt");
        assert_eq!(status, 405, "{method}");
        assert_eq!(
            header(&head, "allow").as_deref(),
            Some("GET, HEAD"),
            "{head}"
        );
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

const MIB: u64 = 1024 * 1024;

/// The one value of the header field `name` in a response head (`None` when it is absent);
/// a field sent twice fails the test.
fn header(head: &str, name: &str) -> Option<String> {
    let mut values = head.lines().skip(1).filter_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    });
    let value = values.next();
    assert_eq!(values.next(), None, "{name} sent twice in {head}");
    value
}

/// A response head's status line and header fields (names lowercased, sorted), `Date` left
/// out: what two responses sent a moment apart should have in common.
fn fields(head: &str) -> Vec<String> {
    let mut lines = head.lines();
    let status = lines.next().expect("a status line").to_owned();
    let mut fields: Vec<String> = lines
        .map(|line| {
            let (field, value) = line.split_once(':').expect("a header field");
            format!("{}: {}", field.to_ascii_lowercase(), value.trim())
        })
        .filter(|field| !field.starts_with("date: "))
        .collect();
    fields.sort();
    fields.insert(0, status);
    fields
}

/// `len` bytes in which every 8-byte word is different (its index times an odd constant).
fn pattern(len: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(len + 8);
    for word in 0..len.div_ceil(8) as u64 {
        data.extend_from_slice(&word.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    }
    data.truncate(len);
    data
}

/// A GET of `target` on a connection of its own, read up to the end of the response's head:
/// the connection, and what came after the head. Fails unless the head has status 200 and a
/// `Content-Length` of `len`.
fn begin_download(
    addr: SocketAddr,
    target: &str,
    len: usize,
) -> Result<(TcpStream, Vec<u8>), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(PATIENCE))
        .map_err(|e| format!("set a timeout: {e}"))?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send the request: {e}"))?;
    let mut buf = vec![0; 16 * 1024];
    let mut head = Vec::new();
    let body = loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("read the head: {e}"))?;
        if n == 0 {
            return Err(format!(
                "closed before the end of the head: {:?}",
                String::from_utf8_lossy(&head)
            ));
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break head.split_off(end + 4);
        }
    };
    let head = String::from_utf8_lossy(&head).into_owned();
    if !head.starts_with("HTTP/1.1 200 ") {
        return Err(format!("not a 200: {head}"));
    }
    if header(&head, "content-length") != Some(len.to_string()) {
        return Err(format!("not a Content-Length of {len}: {head}"));
    }
    Ok((stream, body))
}

/// Reads the rest of a download begun with [`begin_download`] (`body`: what came with the head)
/// and checks it against `expected` as it arrives, so that nothing the size of the file is
/// held: every byte, and nothing more.
fn finish_download(
    mut stream: TcpStream,
    mut body: Vec<u8>,
    expected: &[u8],
) -> Result<(), String> {
    let mut got = 0;
    loop {
        let end = got + body.len();
        if end > expected.len() {
            return Err(format!("more than {} bytes", expected.len()));
        }
        if body[..] != expected[got..end] {
            return Err(format!(
                "the bytes from {got} to {end} differ from the file"
            ));
        }
        got = end;
        body.resize(64 * 1024, 0);
        let n = stream
            .read(&mut body)
            .map_err(|e| format!("read the body after {got} bytes: {e}"))?;
        if n == 0 {
            break;
        }
        body.truncate(n);
    }
    match got == expected.len() {
        true => Ok(()),
        false => Err(format!("{got} bytes of {}", expected.len())),
    }
}

/// `downloads` GETs of `target` at once, each checked against `expected` byte for byte; returns
/// how long they took. All of them are in flight together: no client reads a byte of its body
/// before every one has its response's head, so the server holds every response open at once.
fn download_concurrently(
    server: &Server,
    target: &str,
    expected: &Arc<Vec<u8>>,
    downloads: usize,
) -> Duration {
    let start = Instant::now();
    let barrier = Arc::new(Barrier::new(downloads));
    let clients: Vec<_> = (0..downloads)
        .map(|_| {
            let (addr, target) = (server.addr, target.to_owned());
            let (expected, barrier) = (Arc::clone(expected), Arc::clone(&barrier));
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let begun = begin_download(addr, &target, expected.len());
                    // Waited for even by a client that failed, so that none waits forever.
                    barrier.wait();
                    let (stream, body) = begun?;
                    finish_download(stream, body, &expected)
                })
                .expect("spawn a client thread")
        })
        .collect();
    let failures: Vec<String> = clients
        .into_iter()
        .enumerate()
        .filter_map(|(i, client)| {
            let result = client.join().expect("a client thread panicked");
            result.err().map(|err| format!("download {i}: {err}"))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    start.elapsed()
}

#[test]
fn head_sends_the_headers_of_get_and_no_body() {
    let (_tmp, www, _canary) = site();
    let server = Server::start(&www);

    for target in ["/hello.txt", "/", "/sub/"] {
        let (get_status, get_head, get_body) = server.request("GET", target);
        let (status, head, body) = server.request("HEAD", target);
        assert_eq!((get_status, status), (200, 200), "{target}");
        assert_eq!(fields(&head), fields(&get_head), "{target}");
        assert_eq!(body, b"", "{target}");
        assert_eq!(
            header(&head, "content-length"),
            Some(get_body.len().to_string()),
            "{target}"
        );
    }
    let (status, head, body) = server.request("HEAD", "/hello.txt");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "content-length").as_deref(), Some("13"));
    assert_eq!(
        header(&head, "content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&head, "accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(body, b"");

    // A large file: the headers only, at once.
    std::fs::write(www.join("big.bin"), pattern(3_000_001)).unwrap();
    let (status, head, body) = server.request("HEAD", "/big.bin");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "content-length").as_deref(), Some("3000001"));
    assert_eq!(body, b"");

    // Range is defined for GET only (RFC 9110 §14.2): a HEAD with one is a plain HEAD.
    let (status, head, body) = server.request_with("HEAD", "/big.bin", &["Range: bytes=0-9"]);
    assert_eq!(status, 200);
    assert_eq!(header(&head, "content-length").as_deref(), Some("3000001"));
    assert_eq!(header(&head, "content-range"), None);
    assert_eq!(body, b"");

    // Errors stay errors, without their bodies; escapes stay refused.
    let (status, _, body) = server.request("HEAD", "/missing");
    assert_eq!((status, body), (404, Vec::new()));
    let (status, _, body) = server.request("HEAD", "/../canary");
    assert_eq!((status, body), (403, Vec::new()));
    let (status, _, body) = server.request("HEAD", "/evil");
    assert_eq!((status, body), (403, Vec::new()));
}

#[test]
fn single_ranges_get_206_with_exactly_their_bytes() {
    let (_tmp, www, _canary) = site();
    // Several chunks long, and not a multiple of any chunk size.
    const LEN: usize = 300_007;
    let data = pattern(LEN);
    std::fs::write(www.join("data.bin"), &data).unwrap();
    let server = Server::start(&www);

    for (range, first, last) in [
        ("bytes=0-0", 0, 0),
        ("bytes=10-19", 10, 19),
        ("bytes=0-299999", 0, 299_999),
        ("bytes=65530-200000", 65_530, 200_000),
        ("bytes=131071-131072", 131_071, 131_072),
        ("bytes=300006-300006", 300_006, 300_006),
        // A last position past the end means the end.
        ("bytes=100-999999999", 100, LEN - 1),
        ("bytes=299990-", 299_990, LEN - 1),
        ("bytes=0-", 0, LEN - 1),
        ("bytes=-10", LEN - 10, LEN - 1),
        ("bytes=-1", LEN - 1, LEN - 1),
        ("bytes=-70000", LEN - 70_000, LEN - 1),
        // A suffix longer than the file is all of it.
        ("bytes=-400000", 0, LEN - 1),
        // The unit is case-insensitive.
        ("Bytes=5-9", 5, 9),
    ] {
        let (status, head, body) =
            server.request_with("GET", "/data.bin", &[&format!("Range: {range}")]);
        assert_eq!(status, 206, "{range}: {head}");
        assert_eq!(
            header(&head, "content-range"),
            Some(format!("bytes {first}-{last}/{LEN}")),
            "{range}"
        );
        assert_eq!(
            header(&head, "content-length"),
            Some((last - first + 1).to_string()),
            "{range}"
        );
        assert_eq!(
            header(&head, "content-type").as_deref(),
            Some("application/octet-stream"),
            "{range}"
        );
        assert_eq!(header(&head, "accept-ranges").as_deref(), Some("bytes"));
        assert_eq!(body.len(), last - first + 1, "{range}");
        assert!(body == data[first..=last], "{range}: the bytes differ");
    }

    // Ranges of a small text file.
    let (status, head, body) = server.request_with("GET", "/hello.txt", &["Range: bytes=7-11"]);
    assert_eq!((status, body), (206, b"world".to_vec()));
    assert_eq!(
        header(&head, "content-range").as_deref(),
        Some("bytes 7-11/13")
    );
    assert_eq!(
        header(&head, "content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn unsatisfiable_ranges_get_416_and_malformed_ones_the_whole_file() {
    let (_tmp, www, _canary) = site();
    const LEN: usize = 100_003;
    let data = pattern(LEN);
    std::fs::write(www.join("data.bin"), &data).unwrap();
    std::fs::write(www.join("empty.bin"), b"").unwrap();
    let server = Server::start(&www);

    for (target, range, len) in [
        ("/data.bin", "bytes=100003-", LEN),
        ("/data.bin", "bytes=100003-100010", LEN),
        ("/data.bin", "bytes=999999999-", LEN),
        ("/data.bin", "bytes=-0", LEN),
        ("/empty.bin", "bytes=0-", 0),
        ("/empty.bin", "bytes=0-0", 0),
        ("/empty.bin", "bytes=-0", 0),
    ] {
        let (status, head, body) =
            server.request_with("GET", target, &[&format!("Range: {range}")]);
        assert_eq!(status, 416, "{target} {range}: {head}");
        assert_eq!(
            header(&head, "content-range"),
            Some(format!("bytes */{len}")),
            "{target} {range}"
        );
        assert_eq!(body, b"Range Not Satisfiable\n", "{target} {range}");
    }

    // Ignored (RFC 9110 §14.2): the whole file, 200, no Content-Range.
    for extra in [
        &["Range: bytes=5-2"][..],
        &["Range: bytes=abc"],
        &["Range: bytes="],
        &["Range: bytes=-"],
        &["Range: bytes=1-2-3"],
        &["Range: bytes=+1-2"],
        &["Range: bytes=1 -2"],
        &["Range: bytes=0x10-0x20"],
        &["Range: bytes=99999999999999999999999-"],
        &["Range: items=0-1"],
        &["Range: 0-1"],
        &["Range: bytes 0-1"],
        // Several ranges, or one in an improper list.
        &["Range: bytes=0-1,5-6"],
        &["Range: bytes=0-1, 5-6"],
        &["Range: bytes=0-1,"],
        &["Range: bytes=0-1", "Range: bytes=5-6"],
        // No validator is ever sent, so no If-Range can match one.
        &["Range: bytes=0-1", "If-Range: \"some-etag\""],
        &[
            "Range: bytes=0-1",
            "If-Range: Wed, 21 Oct 2015 07:28:00 GMT",
        ],
    ] {
        let (status, head, body) = server.request_with("GET", "/data.bin", extra);
        assert_eq!(status, 200, "{extra:?}: {head}");
        assert_eq!(header(&head, "content-range"), None, "{extra:?}");
        assert_eq!(
            header(&head, "content-length"),
            Some(LEN.to_string()),
            "{extra:?}"
        );
        assert!(body == data, "{extra:?}: the body differs from the file");
    }

    // The last bytes of an empty file are all of it: the (empty) whole file.
    let (status, head, body) = server.request_with("GET", "/empty.bin", &["Range: bytes=-5"]);
    assert_eq!((status, body), (200, Vec::new()));
    assert_eq!(header(&head, "content-length").as_deref(), Some("0"));
    // An empty file without a Range.
    let (status, head, body) = server.request("GET", "/empty.bin");
    assert_eq!((status, body), (200, Vec::new()));
    assert_eq!(header(&head, "content-length").as_deref(), Some("0"));

    // Ranges do not open a way out.
    let (status, _, body) = server.request_with("GET", "/evil", &["Range: bytes=0-5"]);
    assert_eq!(status, 403);
    assert!(!body.windows(SECRET.len()).any(|w| w == SECRET));
}

#[test]
fn content_type_follows_the_extension() {
    let (_tmp, www, _canary) = site();
    let cases = [
        ("page.html", "text/html; charset=utf-8"),
        ("page.htm", "text/html; charset=utf-8"),
        ("PAGE.HTML", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("data.json", "application/json"),
        ("image.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
        ("photo.JPEG", "image/jpeg"),
        ("anim.gif", "image/gif"),
        ("logo.svg", "image/svg+xml"),
        ("module.wasm", "application/wasm"),
        ("paper.pdf", "application/pdf"),
        ("blob.bin", "application/octet-stream"),
        ("archive.tar.gz", "application/octet-stream"),
        ("strange.xyz", "application/octet-stream"),
        ("no_extension", "application/octet-stream"),
        (".hidden", "application/octet-stream"),
    ];
    for (name, _) in cases {
        std::fs::write(www.join(name), name).unwrap();
    }
    let server = Server::start(&www);

    for (name, content_type) in cases {
        for method in ["GET", "HEAD"] {
            let (status, head, body) = server.request(method, &format!("/{name}"));
            assert_eq!(status, 200, "{method} {name}");
            assert_eq!(
                header(&head, "content-type").as_deref(),
                Some(content_type),
                "{method} {name}"
            );
            let expected: &[u8] = if method == "GET" {
                name.as_bytes()
            } else {
                b""
            };
            assert_eq!(body, expected, "{method} {name}");
        }
    }
    // The index of a directory is HTML.
    let (_, head, _) = server.request("GET", "/sub/");
    assert_eq!(
        header(&head, "content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
}

#[test]
fn two_hundred_concurrent_downloads_of_20_mb_stay_under_96_mib() {
    const DOWNLOADS: usize = 200;
    const LEN: usize = 20_000_000;
    let (_tmp, www, _canary) = site();
    let data = Arc::new(pattern(LEN));
    std::fs::write(www.join("big.bin"), &*data).unwrap();
    let server = Server::start(&www);

    let elapsed = download_concurrently(&server, "/big.bin", &data, DOWNLOADS);
    let peak = server.peak_rss();
    eprintln!(
        "static_server: {DOWNLOADS} concurrent downloads of {LEN} bytes in {elapsed:.2?}: \
         server VmHWM {:.1} MiB",
        peak as f64 / MIB as f64
    );
    assert!(
        peak < 96 * MIB,
        "the server's peak RSS was {:.1} MiB",
        peak as f64 / MIB as f64
    );
}

#[test]
fn one_download_of_100_mib_stays_under_32_mib() {
    const LEN: usize = 100 * MIB as usize;
    let (_tmp, www, _canary) = site();
    let data = Arc::new(pattern(LEN));
    std::fs::write(www.join("huge.bin"), &*data).unwrap();
    // A server of its own, so that its peak is this download's.
    let server = Server::start(&www);

    let elapsed = download_concurrently(&server, "/huge.bin", &data, 1);
    let peak = server.peak_rss();
    eprintln!(
        "static_server: one download of {LEN} bytes in {elapsed:.2?}: server VmHWM {:.1} MiB",
        peak as f64 / MIB as f64
    );
    assert!(
        peak < 32 * MIB,
        "the server's peak RSS was {:.1} MiB",
        peak as f64 / MIB as f64
    );
}
