//! Run with: cargo run --example static_server --features tokio,cap-std -- DIR [PORT]
//!
//! Serves DIR over HTTP/1.1 on 127.0.0.1 (PORT 0, the default, picks a free port; the first
//! line printed is the address). Every request path is percent-decoded and resolved through an
//! `aiofiles::Dir`, so no path can lead out of DIR: `/../etc/passwd`, `/%2e%2e/secret` or a
//! symlink planted inside DIR that points out all get `403 Forbidden`, never a byte from
//! outside.
//!
//! Files are never read whole: a whole file is streamed with `File::into_chunks` (each chunk
//! read by the pool straight into the `Bytes` handed to hyper, one copy per byte), a range with
//! positional reads (`File::read_exact_at`) of that range and nothing beyond it. What one
//! download holds is bounded by the chunk size (see [`CHUNK`]), whatever the file's size.
//!
//! | request | response |
//! |---|---|
//! | `GET /path/file` | `200` with the file's bytes, `Content-Type` from the extension |
//! | `HEAD /path/file` | `200` with the headers `GET` would send, no body |
//! | `GET` with `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` | `206` with those bytes and `Content-Range: bytes a-b/len` |
//! | a range that starts past the end (or `bytes=-0`) | `416` with `Content-Range: bytes */len` |
//! | a malformed `Range`, several ranges, or an `If-Range` | `200` with the whole file (RFC 9110 §14.2 lets a server ignore `Range`) |
//! | `GET /` or `GET /dir/` | `dir/index.html`, or `404` |
//! | a missing file | `404 Not Found` |
//! | a path that would leave DIR | `403 Forbidden` |
//! | anything but `GET` and `HEAD` | `405 Method Not Allowed` |
//!
//! `Range` is honoured on `GET` only: RFC 9110 §14.2 defines range handling for `GET` alone, so
//! a `HEAD` with a `Range` is answered as a plain `HEAD`. Needs a Unix (positional reads).

use std::convert::Infallible;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiofiles::{Dir, File, OpenOptions, Tokio};
use futures::{StreamExt, TryStreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_RANGES, ALLOW, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    IF_RANGE, RANGE,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// How much of a file each chunk of a response body carries.
///
/// One download holds at most 3 chunks: the one hyper is writing to the socket and the 2 read
/// ahead (`into_chunks` keeps 2 in flight, and so do range bodies, see [`AHEAD`]). 64 KiB
/// makes that 192 KiB per download, 37.5 MiB for 200 at once; 256 KiB would be 150 MiB for
/// those 200, for no gain: a read of 64 KiB from the page cache costs far more than its hop to
/// the pool, and the socket takes bytes in smaller bites anyway.
const CHUNK: usize = 64 * 1024;

/// How many reads of a range run ahead of the chunk hyper is writing, as `into_chunks` does.
const AHEAD: usize = 2;

/// hyper's per-connection buffer limit (the least it takes is 8 KiB). hyper keeps taking body
/// chunks while less than this is waiting to be written: at its default (about 400 KiB) it
/// would queue several chunks per connection on top of the 3 above; at 16 KiB it takes the
/// next chunk only once the one it has is nearly written. The same limit bounds a request's
/// head, and 16 KiB of headers is plenty.
const HYPER_BUFFER: usize = 16 * 1024;

type Body = UnsyncBoxBody<Bytes, io::Error>;

#[tokio::main]
async fn main() -> io::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), port) = (args.next(), args.next()) else {
        eprintln!("usage: static_server DIR [PORT]");
        std::process::exit(2);
    };
    let port: u16 = match port.map(|p| p.to_string_lossy().parse()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("PORT must be a number from 0 to 65535");
            std::process::exit(2);
        }
    };

    // The one ambient path: everything served is resolved beneath this handle.
    let root = Dir::open_ambient(&dir).on(Tokio::current()).await?;
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("listening on http://{}", listener.local_addr()?);

    loop {
        let (stream, _) = listener.accept().await?;
        let root = root.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| respond(root.clone(), request));
            if let Err(err) = http1::Builder::new()
                .max_buf_size(HYPER_BUFFER)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection: {err}");
            }
        });
    }
}

/// Answers one request; errors become status codes.
async fn respond(
    root: Dir<Tokio>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let head = match *request.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut response = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD are served\n",
            );
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(response);
        }
    };
    let Some(path) = percent_decode(request.uri().path()) else {
        return Ok(text(StatusCode::BAD_REQUEST, "malformed path\n"));
    };
    let rel = PathBuf::from(path.strip_prefix('/').unwrap_or(&path));
    let range = match head {
        true => None,
        false => range_header(request.headers()),
    };
    Ok(match serve(&root, &rel, head, range).await {
        Ok(response) => response,
        Err(err) => {
            eprintln!("{} {}: {err}", request.method(), request.uri().path());
            let status = match err.kind() {
                ErrorKind::NotFound | ErrorKind::NotADirectory => StatusCode::NOT_FOUND,
                ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
                ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let reason = status.canonical_reason().unwrap_or("error");
            text(status, &format!("{reason}\n"))
        }
    })
}

/// The file at `rel` beneath `root` (or the `index.html` of the directory there): its headers,
/// and unless `head`, its bytes (those of `range`, when that names a part of the file).
async fn serve(
    root: &Dir<Tokio>,
    rel: &Path,
    head: bool,
    range: Option<&str>,
) -> io::Result<Response<Body>> {
    let (file, path) = match open_file(root, rel).await? {
        Some(file) => (file, rel.to_owned()),
        None => {
            let index = rel.join("index.html");
            match open_file(root, &index).await? {
                Some(file) => (file, index),
                None => return Err(io::Error::new(ErrorKind::NotFound, "not a file")),
            }
        }
    };
    let len = file.metadata().await?.len();
    let selection = select(range, len);
    let (status, body, sent) = match selection {
        Selection::Whole => (StatusCode::OK, whole_body(file, len, head), len),
        Selection::Part { first, last } => (
            StatusCode::PARTIAL_CONTENT,
            range_body(file, first, last),
            last - first + 1,
        ),
        Selection::Unsatisfiable => {
            let mut response = text(StatusCode::RANGE_NOT_SATISFIABLE, "Range Not Satisfiable\n");
            let headers = response.headers_mut();
            headers.insert(CONTENT_RANGE, header(format!("bytes */{len}")));
            headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            return Ok(response);
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(sent));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Selection::Part { first, last } = selection {
        headers.insert(CONTENT_RANGE, header(format!("bytes {first}-{last}/{len}")));
    }
    Ok(response)
}

/// Opens `rel` for reading; `None` when it is a directory. The empty path is the root.
async fn open_file(root: &Dir<Tokio>, rel: &Path) -> io::Result<Option<File<Tokio>>> {
    let rel = match rel.as_os_str().is_empty() {
        true => Path::new("."),
        false => rel,
    };
    // Unbuffered: the chunks stream and the positional reads bring their own buffers, so the
    // `File`'s read-ahead would never be used (and the open reads no head of the file).
    let mut options = OpenOptions::new();
    options.read(true);
    options.buffer_size(0);
    let file = root.open_with(rel, &options).await?;
    // Asked of the open file, not of the path again: what is served is what was checked.
    match file.metadata().await?.is_dir() {
        true => Ok(None),
        false => Ok(Some(file)),
    }
}

/// The whole file through `into_chunks`, cut at the `len` bytes `Content-Length` promised (a
/// file that grew since is not sent past it); no body at all for `HEAD`.
fn whole_body(file: File<Tokio>, len: u64, head: bool) -> Body {
    if head {
        return Empty::new().map_err(|never| match never {}).boxed_unsync();
    }
    let chunks = file.into_chunks(CHUNK);
    let frames = futures::stream::unfold((chunks, len), |(mut chunks, left)| async move {
        if left == 0 {
            return None;
        }
        let chunk = chunks.next().await?.map(|mut chunk| {
            chunk.truncate(usize::try_from(left).unwrap_or(usize::MAX));
            chunk
        });
        let sent = chunk.as_ref().map_or(0, |chunk| chunk.len() as u64);
        Some((chunk.map(Frame::data), (chunks, left - sent)))
    });
    StreamBody::new(frames).boxed_unsync()
}

/// Bytes `first..=last` of the file, read in chunks at their offsets (`pread`), `AHEAD` of them
/// in flight: nothing outside the range is read, and the file's position is not used.
fn range_body(file: File<Tokio>, first: u64, last: u64) -> Body {
    let reads = futures::stream::iter((first..=last).step_by(CHUNK))
        .map(move |at| {
            let len = (last - at + 1).min(CHUNK as u64) as usize;
            file.read_exact_at(at, len)
        })
        .buffered(AHEAD);
    StreamBody::new(reads.map_ok(|chunk| Frame::data(Bytes::from(chunk)))).boxed_unsync()
}

/// What a request's `Range` asks of a file of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selection {
    /// No (usable) `Range`: the whole file, `200`.
    Whole,
    /// Bytes `first..=last`, both inside the file: `206`.
    Part { first: u64, last: u64 },
    /// A range that selects nothing of the file: `416`.
    Unsatisfiable,
}

/// The one `Range` value worth honouring: `None` when there is none, several, one that is not
/// text, or an `If-Range` (this server sends no validators, so no `If-Range` can match one, and
/// RFC 9110 §13.1.5 then asks for the whole file).
fn range_header(headers: &HeaderMap) -> Option<&str> {
    if headers.contains_key(IF_RANGE) {
        return None;
    }
    let mut ranges = headers.get_all(RANGE).iter();
    match (ranges.next(), ranges.next()) {
        (Some(range), None) => range.to_str().ok(),
        _ => None,
    }
}

/// RFC 9110 §14.1.2 applied to one `bytes=` range: `bytes=a-b` (`b` past the end means the
/// end), `bytes=a-`, `bytes=-n` (the last `n` bytes, all of them when the file is shorter).
/// Anything else (another unit, a syntax error, `b < a`, a list of ranges) is ignored.
fn select(range: Option<&str>, len: u64) -> Selection {
    let Some(spec) = range.and_then(parse_range) else {
        return Selection::Whole;
    };
    match spec {
        (Some(first), _) if first >= len => Selection::Unsatisfiable,
        (Some(first), last) => Selection::Part {
            first,
            last: last.map_or(len - 1, |last| last.min(len - 1)),
        },
        (None, Some(0)) => Selection::Unsatisfiable,
        // The last bytes of an empty file are the whole of it, which no `Content-Range` can
        // name: served as the whole (empty) file.
        (None, Some(_)) if len == 0 => Selection::Whole,
        (None, Some(suffix)) => Selection::Part {
            first: len - suffix.min(len),
            last: len - 1,
        },
        (None, None) => unreachable!("parse_range never gives `-`"),
    }
}

/// `bytes=a-b` as `(Some(a), Some(b))`, `bytes=a-` as `(Some(a), None)`, `bytes=-n` as
/// `(None, Some(n))`; `None` for anything else.
fn parse_range(value: &str) -> Option<(Option<u64>, Option<u64>)> {
    let (unit, set) = value.split_once('=')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    // One range only: a list (even with an empty element) is served whole.
    let spec = set.trim_matches([' ', '\t']);
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let number =
        |digits: &str| match !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            true => digits.parse::<u64>().ok(),
            false => None,
        };
    match (first.is_empty(), last.is_empty()) {
        (true, true) => None,
        (true, false) => Some((None, Some(number(last)?))),
        (false, true) => Some((Some(number(first)?), None)),
        (false, false) => {
            let (first, last) = (number(first)?, number(last)?);
            (first <= last).then_some((Some(first), Some(last)))
        }
    }
}

fn header(value: String) -> HeaderValue {
    HeaderValue::try_from(value).expect("digits, spaces, `*`, `-` and `/` make a header value")
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(body.to_owned()))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `%XX` sequences decoded; `None` when one is malformed or the result is not UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(path.len());
    let mut rest = path.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail
                .get(..2)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The media type for a file name's extension (compared without case); text types in UTF-8.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}
