//! Run with: cargo run --example static_server --features tokio,cap-std -- DIR [PORT]
//!
//! Serves DIR over HTTP/1.1 on 127.0.0.1 (PORT 0, the default, picks a free port; the first
//! line printed is the address). Every request path is percent-decoded and resolved through an
//! `aiofiles::Dir`, so no path can lead out of DIR: `/../etc/passwd`, `/%2e%2e/secret` or a
//! symlink planted inside DIR that points out all get `403 Forbidden`, never a byte from
//! outside. Files are streamed in chunks from an `aiofiles::File`, not read whole.
//!
//! | request | response |
//! |---|---|
//! | `GET /path/file` | `200` with the file's bytes |
//! | `GET /` or `GET /dir/` | `dir/index.html`, or `404` |
//! | a missing file | `404 Not Found` |
//! | a path that would leave DIR | `403 Forbidden` |
//! | anything but `GET` | `405 Method Not Allowed` |

use std::convert::Infallible;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aiofiles::{Dir, File, Tokio};
use futures::AsyncReadExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// How much of a file each chunk of a response body carries.
const CHUNK: usize = 64 * 1024;

type Body = BoxBody<Bytes, io::Error>;

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
    if request.method() != Method::GET {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET is served\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return Ok(response);
    }
    let Some(path) = percent_decode(request.uri().path()) else {
        return Ok(text(StatusCode::BAD_REQUEST, "malformed path\n"));
    };
    let rel = PathBuf::from(path.strip_prefix('/').unwrap_or(&path));
    Ok(match serve(&root, &rel).await {
        Ok(response) => response,
        Err(err) => {
            eprintln!("GET {}: {err}", request.uri().path());
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

/// The file at `rel` beneath `root` (or the `index.html` of the directory there), streamed.
async fn serve(root: &Dir<Tokio>, rel: &Path) -> io::Result<Response<Body>> {
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
    let chunks = futures::stream::try_unfold(file, |mut file| async move {
        let mut chunk = vec![0; CHUNK];
        let n = file.read(&mut chunk).await?;
        if n == 0 {
            return Ok::<_, io::Error>(None);
        }
        chunk.truncate(n);
        Ok(Some((Frame::data(Bytes::from(chunk)), file)))
    });
    let mut response = Response::new(StreamBody::new(chunks).boxed());
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    Ok(response)
}

/// Opens `rel` for reading; `None` when it is a directory. The empty path is the root.
async fn open_file(root: &Dir<Tokio>, rel: &Path) -> io::Result<Option<File<Tokio>>> {
    let rel = match rel.as_os_str().is_empty() {
        true => Path::new("."),
        false => rel,
    };
    let file = root.open(rel, "rb").await?;
    // Asked of the open file, not of the path again: what is served is what was checked.
    match file.metadata().await?.is_dir() {
        true => Ok(None),
        false => Ok(Some(file)),
    }
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(body.to_owned()))
        .map_err(|never| match never {})
        .boxed();
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

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}
