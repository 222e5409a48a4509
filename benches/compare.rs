//! Run with: cargo bench --bench compare [-- --quick] [-- --save]
//!
//! Every implementation runs in this one process, interleaved round by round (A B C D A B C D
//! ...), on data created once in a temporary directory (page cache warm). Per workload it
//! prints the median and minimum time of each implementation and its ratio to synchronous
//! `std::fs` in the same run (median / std's median; lower is better). Every run checks the
//! bytes it read or wrote, so no row can skip work.
//!
//! The `aiofiles-tokio` row needs the crate's `tokio` feature:
//! `cargo bench --bench compare --features tokio`.
//!
//! Every row also reports the CPU time (user and system, all threads of the process) each
//! sample used, as a median and as a ratio to std's: a pool that spins to save wake-ups shows
//! its cost there. The `idle-cpu` workload reports the CPU the process burns while it sleeps
//! 100 ms right after 2,000 hand-offs (what a pool's threads do once the work stops).
//!
//! `--quick` runs fewer rounds on smaller data. `--save` also writes `docs/benchmark.md` and
//! the chart `docs/benchmark.svg`. `--only NAME` runs one workload; `--row NAME` only std's row and that one (for profiles).

// One body serves every executor row; some executors are `Copy`, some only `Clone`.
#![allow(clippy::clone_on_copy)]

use std::fmt::Write as _;
use std::future::Future;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "tokio")]
use aiofiles::Tokio;
use aiofiles::{Blocking, Inline, Linger};
use futures::{StreamExt, TryStreamExt};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Sizes of one run.
struct Sizes {
    rounds: usize,
    small_files: usize,
    big: usize,
    small_writes: usize,
    lines: usize,
    stats: usize,
    preads: usize,
    hops: usize,
    tree: usize,
}

const FULL: Sizes = Sizes {
    rounds: 7,
    small_files: 2_000,
    big: 256 * MIB,
    small_writes: 1_000_000,
    lines: 1_000_000,
    stats: 10_000,
    preads: 10_000,
    hops: 20_000,
    tree: 100_000,
};

const QUICK: Sizes = Sizes {
    rounds: 3,
    small_files: 1_000,
    big: 64 * MIB,
    small_writes: 250_000,
    lines: 250_000,
    stats: 5_000,
    preads: 5_000,
    hops: 5_000,
    tree: 20_000,
};

struct Ctx {
    sizes: Sizes,
    dir: tempfile::TempDir,
    small: Vec<PathBuf>,
    big: PathBuf,
    text: PathBuf,
    text_len: usize,
    mem: Vec<PathBuf>,
    /// A tree of `sizes.tree` entries: 100 per directory, three levels deep.
    tree: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Ctx {
    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("out-{name}"))
    }
}

/// One implementation's run: the time it took and what it checked.
type Run = Box<dyn Fn(&Ctx) -> (Duration, u64)>;

/// What the duration slot of a sample holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// Wall-clock time.
    Time,
    /// Resident memory growth, bytes as nanoseconds; reported in MiB.
    Memory,
    /// CPU time burnt while the process sleeps after the work.
    IdleCpu,
}

struct Workload {
    name: &'static str,
    what: String,
    /// What `check` must be for every run.
    expect: u64,
    /// What a sample measures.
    measure: Measure,
    impls: Vec<(&'static str, Run)>,
}

const IMPLS: [&str; 8] = [
    "std",
    "aiofiles",
    "aiofiles-tokio",
    "aiofiles-inline",
    "aiofiles-linger",
    "tokio::fs",
    "async-fs",
    "async-std::fs",
];

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

/// Runs `fut` the way the implementation's users would: tokio rows on the tokio runtime,
/// async-std's on its own; the rows on the `blocking` pool (aiofiles' default executor and
/// async-fs) on smol's `block_on`, the runtime that pool belongs to.
fn drive<F: Future>(imp: &str, ctx: &Ctx, fut: F) -> F::Output {
    match imp {
        "aiofiles-tokio" | "tokio::fs" => ctx.rt.block_on(fut),
        "async-fs" | "aiofiles" | "aiofiles-inline" | "aiofiles-linger" => smol::block_on(fut),
        "async-std::fs" => async_std::task::block_on(fut),
        _ => futures::executor::block_on(fut),
    }
}

/// A sample of the bytes at every 4093rd offset, and the length: the same however the data
/// is cut into reads.
#[derive(Default)]
struct Check {
    offset: u64,
    sum: u64,
}

impl Check {
    const STEP: u64 = 4093;

    fn feed(&mut self, data: &[u8]) {
        let first = (Self::STEP - self.offset % Self::STEP) % Self::STEP;
        self.sum += data
            .iter()
            .skip(first as usize)
            .step_by(Self::STEP as usize)
            .map(|&b| b as u64)
            .sum::<u64>();
        self.offset += data.len() as u64;
    }

    fn value(&self) -> u64 {
        self.sum + self.offset
    }
}

fn checksum(data: &[u8]) -> u64 {
    let mut check = Check::default();
    check.feed(data);
    check.value()
}

/// A run of an aiofiles implementation on its executor.
fn with_exec<F>(imp: &'static str, f: F) -> (&'static str, Run)
where
    F: Fn(&Ctx, AnyExec) -> (Duration, u64) + 'static,
{
    (
        imp,
        Box::new(move |ctx: &Ctx| f(ctx, AnyExec::new(imp, ctx))),
    )
}

/// The executor of an aiofiles row.
#[derive(Clone)]
enum AnyExec {
    Blocking(Blocking),
    #[cfg(feature = "tokio")]
    Tokio(Tokio),
    Inline(Inline),
    Linger(Linger),
}

impl AnyExec {
    fn new(imp: &str, ctx: &Ctx) -> Self {
        let _ = ctx;
        match imp {
            #[cfg(feature = "tokio")]
            "aiofiles-tokio" => AnyExec::Tokio(Tokio::new(ctx.rt.handle().clone())),
            "aiofiles-inline" => AnyExec::Inline(Inline),
            "aiofiles-linger" => AnyExec::Linger(Linger),
            _ => AnyExec::Blocking(Blocking),
        }
    }
}

/// Calls `$body` with `$e` bound to the row's concrete executor.
macro_rules! on_exec {
    ($exec:expr, |$e:ident| $body:expr) => {
        match $exec {
            AnyExec::Blocking($e) => $body,
            #[cfg(feature = "tokio")]
            AnyExec::Tokio($e) => $body,
            AnyExec::Inline($e) => $body,
            AnyExec::Linger($e) => $body,
        }
    };
}

fn aiofiles_rows<F>(f: F) -> Vec<(&'static str, Run)>
where
    F: Fn(&Ctx, AnyExec, &'static str) -> (Duration, u64) + Clone + 'static,
{
    [
        "aiofiles",
        "aiofiles-tokio",
        "aiofiles-inline",
        "aiofiles-linger",
    ]
    .into_iter()
    .filter(|imp| cfg!(feature = "tokio") || *imp != "aiofiles-tokio")
    .map(|imp| {
        let f = f.clone();
        with_exec(imp, move |ctx, exec| f(ctx, exec, imp))
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Workloads

/// Each crate's whole-file read of every small file, one after another: one hop a file.
fn small_files_fsread(sizes: &Sizes) -> Workload {
    let n = sizes.small_files;
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                ctx.small
                    .iter()
                    .map(|p| std::fs::read(p).unwrap().len() as u64)
                    .sum::<u64>()
            })
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                let mut total = 0;
                for p in &ctx.small {
                    total += aiofiles::fs::read(p).on(e.clone()).await.unwrap().len() as u64;
                }
                total
            })
            .await
        }))
    }));
    impls.push((
        "tokio::fs",
        Box::new(move |ctx: &Ctx| {
            drive("tokio::fs", ctx, async {
                timed_async(sum_stream(&ctx.small, 1, |p| async move {
                    Ok(tokio::fs::read(p).await?.len() as u64)
                }))
                .await
            })
        }),
    ));
    impls.push((
        "async-fs",
        Box::new(move |ctx: &Ctx| {
            drive("async-fs", ctx, async {
                timed_async(sum_stream(&ctx.small, 1, |p| async move {
                    Ok(async_fs::read(p).await?.len() as u64)
                }))
                .await
            })
        }),
    ));
    impls.push((
        "async-std::fs",
        Box::new(move |ctx: &Ctx| {
            drive("async-std::fs", ctx, async {
                timed_async(sum_stream(&ctx.small, 1, |p| async move {
                    Ok(async_std::fs::read(p).await?.len() as u64)
                }))
                .await
            })
        }),
    ));
    Workload {
        name: "small-files-fsread",
        what: format!("{n} × 4 KiB, each with the crate's `fs::read`; one after another"),
        expect: (n * 4 * KIB) as u64,
        measure: Measure::Time,
        impls,
    }
}

fn small_files(sizes: &Sizes, concurrent: bool) -> Workload {
    let n = sizes.small_files;
    let limit = if concurrent { 64 } else { 1 };
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                let mut total = 0;
                for p in &ctx.small {
                    let mut buf = Vec::new();
                    std::fs::File::open(p)
                        .unwrap()
                        .read_to_end(&mut buf)
                        .unwrap();
                    total += buf.len() as u64;
                }
                total
            })
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                futures::stream::iter(&ctx.small)
                    .map(|p| {
                        let e = e.clone();
                        async move {
                            let mut f = aiofiles::open(p, "rb").on(e).await?;
                            let mut buf = Vec::new();
                            f.read_to_end(&mut buf).await?;
                            f.close().await?;
                            std::io::Result::Ok(buf.len() as u64)
                        }
                    })
                    .buffer_unordered(limit)
                    .try_fold(0, |a, b| async move { Ok(a + b) })
                    .await
                    .unwrap()
            })
            .await
        }))
    }));
    impls.push((
        "tokio::fs",
        Box::new(move |ctx: &Ctx| {
            drive("tokio::fs", ctx, async {
                use tokio::io::AsyncReadExt;
                timed_async(async {
                    sum_stream(&ctx.small, limit, |p| async move {
                        let mut f = tokio::fs::File::open(p).await?;
                        let mut buf = Vec::new();
                        f.read_to_end(&mut buf).await?;
                        Ok(buf.len() as u64)
                    })
                    .await
                })
                .await
            })
        }),
    ));
    impls.push((
        "async-fs",
        Box::new(move |ctx: &Ctx| {
            drive("async-fs", ctx, async {
                use futures::AsyncReadExt;
                timed_async(async {
                    sum_stream(&ctx.small, limit, |p| async move {
                        let mut f = async_fs::File::open(p).await?;
                        let mut buf = Vec::new();
                        f.read_to_end(&mut buf).await?;
                        Ok(buf.len() as u64)
                    })
                    .await
                })
                .await
            })
        }),
    ));
    impls.push((
        "async-std::fs",
        Box::new(move |ctx: &Ctx| {
            drive("async-std::fs", ctx, async {
                use async_std::io::ReadExt;
                timed_async(async {
                    sum_stream(&ctx.small, limit, |p| async move {
                        let mut f = async_std::fs::File::open(p).await?;
                        let mut buf = Vec::new();
                        f.read_to_end(&mut buf).await?;
                        Ok(buf.len() as u64)
                    })
                    .await
                })
                .await
            })
        }),
    ));
    Workload {
        name: if concurrent {
            "small-files-conc"
        } else {
            "small-files-seq"
        },
        what: format!(
            "{n} × 4 KiB: open, read to end, close; {}",
            if concurrent {
                "64 in flight (std: one after another)"
            } else {
                "one after another"
            }
        ),
        expect: (n * 4 * KIB) as u64,
        measure: Measure::Time,
        impls,
    }
}

async fn timed_async<T>(fut: impl Future<Output = T>) -> (Duration, T) {
    let start = Instant::now();
    let out = fut.await;
    (start.elapsed(), out)
}

async fn sum_stream<'a, F, Fut>(paths: &'a [PathBuf], limit: usize, f: F) -> u64
where
    F: Fn(&'a Path) -> Fut,
    Fut: Future<Output = std::io::Result<u64>>,
{
    futures::stream::iter(paths)
        .map(|p| f(p))
        .buffer_unordered(limit)
        .try_fold(0, |a, b| async move { Ok(a + b) })
        .await
        .unwrap()
}

fn seq_read(sizes: &Sizes) -> Workload {
    const CHUNK: usize = 64 * KIB;
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                let mut f = std::fs::File::open(&ctx.big).unwrap();
                let mut buf = vec![0; CHUNK];
                let mut check = Check::default();
                loop {
                    let n = f.read(&mut buf).unwrap();
                    if n == 0 {
                        break check.value();
                    }
                    check.feed(&buf[..n]);
                }
            })
        }),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            use futures::AsyncReadExt;
            timed_async(async {
                let mut f = aiofiles::open(&ctx.big, "rb").on(e).await.unwrap();
                let mut buf = vec![0; CHUNK];
                let mut check = Check::default();
                loop {
                    let n = f.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break check.value();
                    }
                    check.feed(&buf[..n]);
                }
            })
            .await
        }))
    }));
    macro_rules! peer {
        ($name:literal, $open:path, $ext:path) => {
            impls.push((
                $name,
                Box::new(|ctx: &Ctx| {
                    drive($name, ctx, async {
                        use $ext;
                        timed_async(async {
                            let mut f = $open(&ctx.big).await.unwrap();
                            let mut buf = vec![0; CHUNK];
                            let mut check = Check::default();
                            loop {
                                let n = f.read(&mut buf).await.unwrap();
                                if n == 0 {
                                    break check.value();
                                }
                                check.feed(&buf[..n]);
                            }
                        })
                        .await
                    })
                }),
            ))
        };
    }
    peer!("tokio::fs", tokio::fs::File::open, tokio::io::AsyncReadExt);
    peer!("async-fs", async_fs::File::open, futures::AsyncReadExt);
    peer!(
        "async-std::fs",
        async_std::fs::File::open,
        async_std::io::ReadExt
    );
    Workload {
        name: "seq-read-64k",
        what: format!("{} MiB file in 64 KiB reads", sizes.big / MIB),
        expect: 0, // set from the data
        measure: Measure::Time,
        impls,
    }
}

fn read_to_end(sizes: &Sizes) -> Workload {
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| timed(|| checksum(&std::fs::read(&ctx.big).unwrap()))),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async { checksum(&aiofiles::fs::read(&ctx.big).on(e).await.unwrap()) })
                .await
        }))
    }));
    macro_rules! peer {
        ($name:literal, $read:path) => {
            impls.push((
                $name,
                Box::new(|ctx: &Ctx| {
                    drive($name, ctx, async {
                        timed_async(async { checksum(&$read(&ctx.big).await.unwrap()) }).await
                    })
                }),
            ))
        };
    }
    peer!("tokio::fs", tokio::fs::read);
    peer!("async-fs", async_fs::read);
    peer!("async-std::fs", async_std::fs::read);
    Workload {
        name: "read-to-end",
        what: format!(
            "{} MiB file with each crate's read-whole-file call",
            sizes.big / MIB
        ),
        expect: 0,
        measure: Measure::Time,
        impls,
    }
}

/// The big file as 1 MiB owned buffers: each row gets a fresh buffer per chunk, as a consumer
/// that keeps or sends its chunks would.
fn seq_read_chunks(sizes: &Sizes) -> Workload {
    const CHUNK: usize = MIB;
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                let mut f = std::fs::File::open(&ctx.big).unwrap();
                let mut check = Check::default();
                loop {
                    let mut buf = vec![0; CHUNK];
                    let n = f.read(&mut buf).unwrap();
                    if n == 0 {
                        break check.value();
                    }
                    buf.truncate(n);
                    check.feed(&std::hint::black_box(buf));
                }
            })
        }),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                let mut f = aiofiles::open(&ctx.big, "rb").on(e).await.unwrap();
                let mut chunks = f.chunks(CHUNK);
                let mut check = Check::default();
                while let Some(chunk) = chunks.next().await {
                    check.feed(&std::hint::black_box(chunk.unwrap()));
                }
                check.value()
            })
            .await
        }))
    }));
    impls.push((
        "tokio::fs",
        Box::new(|ctx: &Ctx| {
            drive("tokio::fs", ctx, async {
                timed_async(async {
                    let f = tokio::fs::File::open(&ctx.big).await.unwrap();
                    let mut chunks = tokio_util::io::ReaderStream::with_capacity(f, CHUNK);
                    let mut check = Check::default();
                    while let Some(chunk) = chunks.next().await {
                        check.feed(&std::hint::black_box(chunk.unwrap()));
                    }
                    check.value()
                })
                .await
            })
        }),
    ));
    impls.push((
        "async-fs",
        Box::new(|ctx: &Ctx| {
            drive("async-fs", ctx, async {
                use futures::AsyncReadExt;
                timed_async(async {
                    let mut f = async_fs::File::open(&ctx.big).await.unwrap();
                    let mut check = Check::default();
                    loop {
                        let mut buf = vec![0; CHUNK];
                        let n = f.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break check.value();
                        }
                        buf.truncate(n);
                        check.feed(&std::hint::black_box(buf));
                    }
                })
                .await
            })
        }),
    ));
    Workload {
        name: "seq-read-chunks",
        what: format!(
            "{} MiB file as 1 MiB owned chunks (std and async-fs: a read into a fresh buffer per \
             chunk; tokio: `ReaderStream::with_capacity`; aiofiles: `File::chunks`)",
            sizes.big / MIB
        ),
        expect: 0,
        measure: Measure::Time,
        impls,
    }
}

/// The big file written as 1 MiB owned buffers, then closed: `write_owned` hands each buffer
/// to the pool as it is; the others write from it.
fn seq_write_owned(sizes: &Sizes) -> Workload {
    const CHUNK: usize = MIB;
    let total = sizes.big;
    let chunk = bytes::Bytes::from(pattern(CHUNK));
    let mut impls: Vec<(&'static str, Run)> = Vec::new();
    let data = chunk.clone();
    impls.push((
        "std",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("std-owned");
            let (t, ()) = timed(|| {
                let mut f = std::fs::File::create(&out).unwrap();
                for _ in 0..total / CHUNK {
                    f.write_all(&data.clone()).unwrap();
                }
                drop(f);
            });
            (t, verify_written(&out, total))
        }),
    ));
    let data = chunk.clone();
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        let out = ctx.out(&format!("{imp}-owned"));
        let (t, ()) = on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                let mut f = aiofiles::open(&out, "wb").on(e).await.unwrap();
                for _ in 0..total / CHUNK {
                    f.write_owned(data.clone()).await.unwrap();
                }
                f.close().await.unwrap();
            })
            .await
        }));
        (t, verify_written(&out, total))
    }));
    macro_rules! peer {
        ($name:literal, $create:path, $ext:path, $close:ident) => {{
            let data = chunk.clone();
            impls.push((
                $name,
                Box::new(move |ctx: &Ctx| {
                    let out = ctx.out(concat!($name, "-owned"));
                    let (t, ()) = drive($name, ctx, async {
                        use $ext;
                        timed_async(async {
                            let mut f = $create(&out).await.unwrap();
                            for _ in 0..total / CHUNK {
                                f.write_all(&data.clone()).await.unwrap();
                            }
                            f.$close().await.unwrap();
                        })
                        .await
                    });
                    (t, verify_written(&out, total))
                }),
            ))
        }};
    }
    peer!(
        "tokio::fs",
        tokio::fs::File::create,
        tokio::io::AsyncWriteExt,
        shutdown
    );
    peer!(
        "async-fs",
        async_fs::File::create,
        futures::AsyncWriteExt,
        close
    );
    Workload {
        name: "seq-write-owned",
        what: format!(
            "{} MiB as 1 MiB owned buffers, then close (aiofiles: `File::write_owned`; the \
             others: `write_all` of each buffer)",
            sizes.big / MIB
        ),
        expect: total as u64,
        measure: Measure::Time,
        impls,
    }
}

fn verify_written(path: &Path, len: usize) -> u64 {
    let meta = std::fs::metadata(path).unwrap();
    assert_eq!(
        meta.len() as usize,
        len,
        "{} not fully written",
        path.display()
    );
    meta.len()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn seq_write(sizes: &Sizes) -> Workload {
    const CHUNK: usize = 64 * KIB;
    let total = sizes.big;
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("std");
            let chunk = pattern(CHUNK);
            let (t, ()) = timed(|| {
                let mut f = std::fs::File::create(&out).unwrap();
                for _ in 0..total / CHUNK {
                    f.write_all(&chunk).unwrap();
                }
                f.flush().unwrap();
            });
            (t, verify_written(&out, total))
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        let out = ctx.out(imp);
        let chunk = pattern(CHUNK);
        let (t, ()) = on_exec!(exec, |e| drive(imp, ctx, async {
            use futures::AsyncWriteExt;
            timed_async(async {
                let mut f = aiofiles::open(&out, "wb").on(e).await.unwrap();
                for _ in 0..total / CHUNK {
                    f.write_all(&chunk).await.unwrap();
                }
                f.close().await.unwrap();
            })
            .await
        }));
        (t, verify_written(&out, total))
    }));
    macro_rules! peer {
        ($name:literal, $create:path, $ext:path) => {
            impls.push((
                $name,
                Box::new(move |ctx: &Ctx| {
                    let out = ctx.out($name);
                    let chunk = pattern(CHUNK);
                    let (t, ()) = drive($name, ctx, async {
                        use $ext;
                        timed_async(async {
                            let mut f = $create(&out).await.unwrap();
                            for _ in 0..total / CHUNK {
                                f.write_all(&chunk).await.unwrap();
                            }
                            f.flush().await.unwrap();
                        })
                        .await
                    });
                    (t, verify_written(&out, total))
                }),
            ))
        };
    }
    peer!(
        "tokio::fs",
        tokio::fs::File::create,
        tokio::io::AsyncWriteExt
    );
    peer!("async-fs", async_fs::File::create, futures::AsyncWriteExt);
    peer!(
        "async-std::fs",
        async_std::fs::File::create,
        async_std::io::WriteExt
    );
    Workload {
        name: "seq-write-64k",
        what: format!(
            "{} MiB in 64 KiB writes, then flush and close",
            sizes.big / MIB
        ),
        expect: total as u64,
        measure: Measure::Time,
        impls,
    }
}

fn small_writes(sizes: &Sizes) -> Workload {
    let n = sizes.small_writes;
    let record = *b"0123456789abcde\n";
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("std");
            let (t, ()) = timed(|| {
                let mut f = BufWriter::new(std::fs::File::create(&out).unwrap());
                for _ in 0..n {
                    f.write_all(&record).unwrap();
                }
                f.flush().unwrap();
            });
            (t, verify_written(&out, n * 16))
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        let out = ctx.out(imp);
        let (t, ()) = on_exec!(exec, |e| drive(imp, ctx, async {
            use futures::AsyncWriteExt;
            timed_async(async {
                let mut f = aiofiles::open(&out, "wb").on(e).await.unwrap();
                for _ in 0..n {
                    f.write_all(&record).await.unwrap();
                }
                f.flush().await.unwrap();
            })
            .await
        }));
        (t, verify_written(&out, n * 16))
    }));
    impls.push((
        "tokio::fs",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("tokio");
            let (t, ()) = drive("tokio::fs", ctx, async {
                use tokio::io::AsyncWriteExt;
                timed_async(async {
                    let f = tokio::fs::File::create(&out).await.unwrap();
                    let mut f = tokio::io::BufWriter::new(f);
                    for _ in 0..n {
                        f.write_all(&record).await.unwrap();
                    }
                    f.flush().await.unwrap();
                })
                .await
            });
            (t, verify_written(&out, n * 16))
        }),
    ));
    impls.push((
        "async-fs",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("async-fs");
            let (t, ()) = drive("async-fs", ctx, async {
                use futures::AsyncWriteExt;
                timed_async(async {
                    let f = async_fs::File::create(&out).await.unwrap();
                    let mut f = futures::io::BufWriter::new(f);
                    for _ in 0..n {
                        f.write_all(&record).await.unwrap();
                    }
                    f.flush().await.unwrap();
                })
                .await
            });
            (t, verify_written(&out, n * 16))
        }),
    ));
    impls.push((
        "async-std::fs",
        Box::new(move |ctx: &Ctx| {
            let out = ctx.out("async-std");
            let (t, ()) = drive("async-std::fs", ctx, async {
                use async_std::io::WriteExt;
                timed_async(async {
                    let f = async_std::fs::File::create(&out).await.unwrap();
                    let mut f = async_std::io::BufWriter::new(f);
                    for _ in 0..n {
                        f.write_all(&record).await.unwrap();
                    }
                    f.flush().await.unwrap();
                })
                .await
            });
            (t, verify_written(&out, n * 16))
        }),
    ));
    Workload {
        name: "small-writes",
        what: format!("{n} × 16-byte writes, then flush (peers and std through BufWriter)"),
        expect: (n * 16) as u64,
        measure: Measure::Time,
        impls,
    }
}

fn lines(sizes: &Sizes) -> Workload {
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                let f = BufReader::new(std::fs::File::open(&ctx.text).unwrap());
                f.lines().map(|l| l.unwrap().len() as u64 + 1).sum()
            })
        }),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            use futures::AsyncBufReadExt;
            timed_async(async {
                let f = aiofiles::open(&ctx.text, "r").on(e).await.unwrap();
                f.lines()
                    .map(|l| l.unwrap().len() as u64 + 1)
                    .fold(0, |a, b| async move { a + b })
                    .await
            })
            .await
        }))
    }));
    impls.push((
        "tokio::fs",
        Box::new(|ctx: &Ctx| {
            drive("tokio::fs", ctx, async {
                use tokio::io::AsyncBufReadExt;
                timed_async(async {
                    let f = tokio::fs::File::open(&ctx.text).await.unwrap();
                    let mut lines = tokio::io::BufReader::new(f).lines();
                    let mut sum = 0;
                    while let Some(l) = lines.next_line().await.unwrap() {
                        sum += l.len() as u64 + 1;
                    }
                    sum
                })
                .await
            })
        }),
    ));
    impls.push((
        "async-fs",
        Box::new(|ctx: &Ctx| {
            drive("async-fs", ctx, async {
                use futures::AsyncBufReadExt;
                timed_async(async {
                    let f = async_fs::File::open(&ctx.text).await.unwrap();
                    futures::io::BufReader::new(f)
                        .lines()
                        .map(|l| l.unwrap().len() as u64 + 1)
                        .fold(0, |a, b| async move { a + b })
                        .await
                })
                .await
            })
        }),
    ));
    impls.push((
        "async-std::fs",
        Box::new(|ctx: &Ctx| {
            drive("async-std::fs", ctx, async {
                use async_std::io::BufReadExt;
                timed_async(async {
                    let f = async_std::fs::File::open(&ctx.text).await.unwrap();
                    async_std::io::BufReader::new(f)
                        .lines()
                        .map(|l| l.unwrap().len() as u64 + 1)
                        .fold(0, |a, b| async move { a + b })
                        .await
                })
                .await
            })
        }),
    ));
    Workload {
        name: "lines",
        what: format!(
            "{}-line text file, line by line (peers and std through BufReader)",
            sizes.lines
        ),
        expect: 0,
        measure: Measure::Time,
        impls,
    }
}

fn stat(sizes: &Sizes) -> Workload {
    let n = sizes.stats;
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(move |ctx: &Ctx| {
            timed(|| {
                (0..n)
                    .map(|i| {
                        std::fs::metadata(&ctx.small[i % ctx.small.len()])
                            .unwrap()
                            .len()
                    })
                    .sum()
            })
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                let mut sum = 0;
                for i in 0..n {
                    let p = &ctx.small[i % ctx.small.len()];
                    sum += aiofiles::fs::metadata(p).on(e.clone()).await.unwrap().len();
                }
                sum
            })
            .await
        }))
    }));
    macro_rules! peer {
        ($name:literal, $metadata:path) => {
            impls.push((
                $name,
                Box::new(move |ctx: &Ctx| {
                    drive($name, ctx, async {
                        timed_async(async {
                            let mut sum = 0;
                            for i in 0..n {
                                let p = &ctx.small[i % ctx.small.len()];
                                sum += $metadata(p).await.unwrap().len();
                            }
                            sum
                        })
                        .await
                    })
                }),
            ))
        };
    }
    peer!("tokio::fs", tokio::fs::metadata);
    peer!("async-fs", async_fs::metadata);
    peer!("async-std::fs", async_std::fs::metadata);
    Workload {
        name: "stat",
        what: format!("{n} metadata calls, one after another"),
        expect: (n * 4 * KIB) as u64,
        measure: Measure::Time,
        impls,
    }
}

fn offsets(sizes: &Sizes) -> Arc<Vec<u64>> {
    let mut rng = fastrand::Rng::with_seed(7);
    let blocks = (sizes.big / (4 * KIB)) as u64;
    Arc::new(
        (0..sizes.preads)
            .map(|_| rng.u64(0..blocks) * 4096)
            .collect(),
    )
}

fn pread_random(sizes: &Sizes) -> Workload {
    const IN_FLIGHT: usize = 32;
    let offs = offsets(sizes);
    let mut impls: Vec<(&'static str, Run)> = Vec::new();
    {
        let offs = offs.clone();
        impls.push((
            "std",
            Box::new(move |ctx: &Ctx| {
                let f = std::fs::File::open(&ctx.big).unwrap();
                timed(|| {
                    let mut buf = vec![0; 4096];
                    offs.iter()
                        .map(|&o| {
                            f.read_exact_at(&mut buf, o).unwrap();
                            checksum(&buf)
                        })
                        .sum()
                })
            }),
        ));
    }
    {
        let offs = offs.clone();
        impls.extend(aiofiles_rows(move |ctx, exec, imp| {
            let offs = offs.clone();
            on_exec!(exec, |e| drive(imp, ctx, async {
                let f = aiofiles::open(&ctx.big, "rb").on(e).await.unwrap();
                timed_async(async {
                    futures::stream::iter(offs.iter())
                        .map(|&o| f.read_exact_at(o, 4096))
                        .buffer_unordered(IN_FLIGHT)
                        .map(|b| checksum(&b.unwrap()))
                        .fold(0, |a, b| async move { a + b })
                        .await
                })
                .await
            }))
        }));
    }
    // Peers have no positional reads: their users hand `pread` to the pool themselves, and get
    // the bytes back as the aiofiles rows do.
    macro_rules! peer {
        ($name:literal, $spawn:expr) => {{
            let offs = offs.clone();
            impls.push((
                $name,
                Box::new(move |ctx: &Ctx| {
                    let f = Arc::new(std::fs::File::open(&ctx.big).unwrap());
                    let offs = offs.clone();
                    drive($name, ctx, async {
                        timed_async(async {
                            futures::stream::iter(offs.iter())
                                .map(|&o| {
                                    let f = f.clone();
                                    $spawn(move || {
                                        let mut buf = vec![0; 4096];
                                        f.read_exact_at(&mut buf, o).unwrap();
                                        buf
                                    })
                                })
                                .buffer_unordered(IN_FLIGHT)
                                .map(|buf| checksum(&buf))
                                .fold(0, |a, b| async move { a + b })
                                .await
                        })
                        .await
                    })
                }),
            ));
        }};
    }
    peer!("tokio::fs", |w| async move {
        tokio::task::spawn_blocking(w).await.unwrap()
    });
    peer!("async-fs", blocking::unblock);
    peer!("async-std::fs", async_std::task::spawn_blocking);
    Workload {
        name: "pread-random",
        what: format!(
            "{} × 4 KiB at random offsets, {IN_FLIGHT} in flight (std: one after another; peers: pread through their pool)",
            sizes.preads
        ),
        expect: 0,
        measure: Measure::Time,
        impls,
    }
}

/// The rows of a workload of `n` no-op hand-offs to each implementation's pool, one after
/// another; each run returns what `after` makes of the time they took and their count.
fn hop_rows(n: usize, after: fn(Duration, u64) -> (Duration, u64)) -> Vec<(&'static str, Run)> {
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(move |_: &Ctx| {
            let (t, count) =
                timed(|| (0..n).filter(|&i| std::hint::black_box(i) < n).count() as u64);
            after(t, count)
        }),
    )];
    impls.extend(aiofiles_rows(move |ctx, exec, imp| {
        let (t, count) = on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                let mut count = 0;
                for _ in 0..n {
                    aiofiles::unblock(|| ()).on(e.clone()).await.unwrap();
                    count += 1;
                }
                count
            })
            .await
        }));
        after(t, count)
    }));
    macro_rules! peer {
        ($name:literal, $spawn:expr) => {
            impls.push((
                $name,
                Box::new(move |ctx: &Ctx| {
                    let (t, count) = drive($name, ctx, async {
                        timed_async(async {
                            let mut count = 0;
                            for _ in 0..n {
                                $spawn(|| ()).await;
                                count += 1;
                            }
                            count
                        })
                        .await
                    });
                    after(t, count)
                }),
            ))
        };
    }
    peer!("tokio::fs", |w| async {
        tokio::task::spawn_blocking(w).await.unwrap()
    });
    peer!("async-fs", blocking::unblock);
    peer!("async-std::fs", async_std::task::spawn_blocking);
    impls
}

fn hop_latency(sizes: &Sizes) -> Workload {
    let n = sizes.hops;
    Workload {
        name: "hop-latency",
        what: format!("{n} no-op hand-offs to the pool, one after another (µs per hop)"),
        expect: n as u64,
        measure: Measure::Time,
        impls: hop_rows(n, |t, count| (t, count)),
    }
}

/// How long `idle-cpu` watches the process sleep.
const IDLE_WATCH: Duration = Duration::from_millis(100);

fn idle_cpu() -> Workload {
    const HOPS: usize = 2_000;
    Workload {
        name: "idle-cpu",
        what: format!(
            "CPU time the process burns in the {} ms after {HOPS} no-op hand-offs (what the pool's threads do once the work stops)",
            IDLE_WATCH.as_millis()
        ),
        expect: HOPS as u64,
        measure: Measure::IdleCpu,
        impls: hop_rows(HOPS, |_, count| {
            let before = process_cpu();
            std::thread::sleep(IDLE_WATCH);
            (process_cpu() - before, count)
        }),
    }
}

/// The CPU time (user and system, all threads) this process has used so far.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Walks `root` with a crate's `read_dir`, the way its users must: a stack of directories,
/// each entry's file type asked for, directories pushed.
macro_rules! walk_peer {
    ($name:literal, $read_dir:path, |$rd:ident| $next:expr) => {
        (
            $name,
            Box::new(|ctx: &Ctx| {
                drive($name, ctx, async {
                    timed_async(async {
                        let mut count: u64 = 1; // the root, as walkdir counts it
                        let mut stack = vec![ctx.tree.clone()];
                        while let Some(dir) = stack.pop() {
                            let mut $rd = $read_dir(&dir).await.unwrap();
                            while let Some(entry) = $next {
                                let entry = entry.unwrap();
                                count += 1;
                                if entry.file_type().await.unwrap().is_dir() {
                                    stack.push(entry.path().into());
                                }
                            }
                        }
                        count
                    })
                    .await
                })
            }) as Run,
        )
    };
}

fn walk(sizes: &Sizes) -> Workload {
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            timed(|| {
                walkdir::WalkDir::new(&ctx.tree)
                    .into_iter()
                    .map(|e| e.map(|_| 1).unwrap())
                    .sum()
            })
        }),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            timed_async(async {
                aiofiles::fs::walk(&ctx.tree)
                    .on(e)
                    .map(|entry| entry.map(|_| 1).unwrap())
                    .fold(0, |a, b| async move { a + b })
                    .await
            })
            .await
        }))
    }));
    impls.push(walk_peer!("tokio::fs", tokio::fs::read_dir, |rd| rd
        .next_entry()
        .await
        .transpose()));
    impls.push(walk_peer!("async-fs", async_fs::read_dir, |rd| rd
        .next()
        .await));
    impls.push(walk_peer!("async-std::fs", async_std::fs::read_dir, |rd| {
        rd.next().await
    }));
    Workload {
        name: "walk",
        what: format!(
            "a tree of {} entries (std: walkdir; aiofiles: fs::walk; peers: read_dir recursively)",
            sizes.tree
        ),
        expect: 0,
        measure: Measure::Time,
        impls,
    }
}

/// Copies of the big file: each crate's one-call copy, and aiofiles' chunked copy drained.
fn copy(sizes: &Sizes) -> Workload {
    /// Times `copy` of the big file to a fresh path named after `row`, checks the copy and
    /// removes it (untimed).
    fn copy_row(
        row: &'static str,
        copy: impl Fn(&Ctx, PathBuf) -> (Duration, u64) + 'static,
    ) -> (&'static str, Run) {
        (
            row,
            Box::new(move |ctx: &Ctx| {
                let out = ctx.out(&format!("copy-{}", row.replace([' ', ':', '(', ')'], "_")));
                let (t, copied) = copy(ctx, out.clone());
                let len = verify_written(&out, ctx.sizes.big);
                assert_eq!(copied, len, "{row}: reported {copied} bytes copied");
                std::fs::remove_file(&out).unwrap();
                (t, len)
            }),
        )
    }
    let impls = vec![
        copy_row("std", |ctx, out| {
            timed(|| std::fs::copy(&ctx.big, out).unwrap())
        }),
        copy_row("aiofiles", |ctx, out| {
            drive("aiofiles", ctx, async {
                timed_async(async { aiofiles::fs::copy(&ctx.big, out).await.unwrap() }).await
            })
        }),
        copy_row("aiofiles copy_with_progress", |ctx, out| {
            drive("aiofiles", ctx, async {
                timed_async(async {
                    let mut last = 0;
                    let mut copy = aiofiles::fs::copy_with_progress(&ctx.big, out);
                    while let Some(copied) = copy.next().await {
                        last = copied.unwrap();
                    }
                    last
                })
                .await
            })
        }),
        copy_row("tokio::fs", |ctx, out| {
            drive("tokio::fs", ctx, async {
                timed_async(async { tokio::fs::copy(&ctx.big, out).await.unwrap() }).await
            })
        }),
        copy_row("async-fs", |ctx, out| {
            drive("async-fs", ctx, async {
                timed_async(async { async_fs::copy(&ctx.big, out).await.unwrap() }).await
            })
        }),
    ];
    Workload {
        name: "copy",
        what: format!(
            "copy of a {} MiB file (page cache warm), each crate's copy call; \
             `copy_with_progress` drained, 8 MiB per hand-off",
            sizes.big / MIB
        ),
        expect: sizes.big as u64,
        measure: Measure::Time,
        impls,
    }
}

fn mem_open() -> Workload {
    let mut impls: Vec<(&'static str, Run)> = vec![(
        "std",
        Box::new(|ctx: &Ctx| {
            let before = resident_bytes();
            let mut files: Vec<_> = ctx
                .mem
                .iter()
                .map(|p| BufReader::new(std::fs::File::open(p).unwrap()))
                .collect();
            let n = files
                .iter_mut()
                .map(|f| f.read(&mut [0]).unwrap() as u64)
                .sum();
            // The growth travels in the duration slot, in bytes as nanoseconds.
            let grown = resident_bytes().saturating_sub(before);
            (Duration::from_nanos(grown), n)
        }),
    )];
    impls.extend(aiofiles_rows(|ctx, exec, imp| {
        on_exec!(exec, |e| drive(imp, ctx, async {
            use futures::AsyncReadExt;
            let before = resident_bytes();
            let mut files = Vec::new();
            for p in &ctx.mem {
                files.push(aiofiles::open(p, "rb").on(e.clone()).await.unwrap());
            }
            let mut n = 0;
            for f in &mut files {
                n += f.read(&mut [0]).await.unwrap() as u64;
            }
            let grown = resident_bytes().saturating_sub(before);
            assert_eq!(n, 20);
            (Duration::from_nanos(grown), n)
        }))
    }));
    macro_rules! peer {
        ($name:literal, $open:path, $ext:path) => {
            impls.push((
                $name,
                Box::new(|ctx: &Ctx| {
                    drive($name, ctx, async {
                        use $ext;
                        let before = resident_bytes();
                        let mut files = Vec::new();
                        for p in &ctx.mem {
                            files.push($open(p).await.unwrap());
                        }
                        let mut n = 0;
                        for f in &mut files {
                            n += f.read(&mut [0]).await.unwrap() as u64;
                        }
                        let grown = resident_bytes().saturating_sub(before);
                        assert_eq!(n, 20);
                        (Duration::from_nanos(grown), n)
                    })
                }),
            ))
        };
    }
    peer!("tokio::fs", tokio::fs::File::open, tokio::io::AsyncReadExt);
    peer!("async-fs", async_fs::File::open, futures::AsyncReadExt);
    peer!(
        "async-std::fs",
        async_std::fs::File::open,
        async_std::io::ReadExt
    );
    Workload {
        name: "mem-open-20",
        what: "resident memory growth (MiB) reading 1 byte from each of 20 open 16 MiB files"
            .to_owned(),
        expect: 20,
        measure: Measure::Memory,
        impls,
    }
}

// ---------------------------------------------------------------------------------------------
// Data, running, reporting

fn setup(sizes: Sizes) -> Ctx {
    let dir = tempfile::tempdir().unwrap();
    let small: Vec<PathBuf> = (0..sizes.small_files)
        .map(|i| {
            let p = dir.path().join(format!("small-{i:05}"));
            std::fs::write(&p, pattern(4 * KIB)).unwrap();
            p
        })
        .collect();
    let big = dir.path().join("big");
    {
        let mut f = BufWriter::with_capacity(MIB, std::fs::File::create(&big).unwrap());
        let chunk = pattern(MIB);
        for _ in 0..sizes.big / MIB {
            f.write_all(&chunk).unwrap();
        }
    }
    let text = dir.path().join("lines.txt");
    let text_len = {
        let mut f = BufWriter::new(std::fs::File::create(&text).unwrap());
        let mut len = 0;
        for i in 0..sizes.lines {
            let line = format!("line {i:07} of the benchmark text, some words\n");
            len += line.len();
            f.write_all(line.as_bytes()).unwrap();
        }
        len
    };
    let mem = (0..20)
        .map(|i| {
            let p = dir.path().join(format!("mem-{i:02}"));
            let f = std::fs::File::create(&p).unwrap();
            f.set_len(16 * MIB as u64).unwrap();
            f.write_all_at(b"x", 0).unwrap();
            p
        })
        .collect();
    let tree = dir.path().join("tree");
    let per_dir = 100;
    let mut made = 0;
    'top: for a in 0.. {
        for b in 0..per_dir {
            let leaf = tree.join(format!("d{a}/d{b}"));
            std::fs::create_dir_all(&leaf).unwrap();
            made += if b == 0 { 2 } else { 1 };
            for f in 0..per_dir - 2 {
                if made >= sizes.tree {
                    break 'top;
                }
                std::fs::write(leaf.join(format!("f{f}")), b"").unwrap();
                made += 1;
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    Ctx {
        sizes,
        dir,
        small,
        big,
        text,
        text_len,
        mem,
        tree,
        rt,
    }
}

struct Row {
    imp: &'static str,
    median: f64,
    min: f64,
    ratio: f64,
    /// Median CPU time of a sample, seconds.
    cpu: f64,
    /// `cpu` / std's `cpu`; NaN when std's is too small to divide by.
    cpu_ratio: f64,
}

/// Below this (seconds), std's CPU time is noise: no CPU ratio is given.
const MIN_STD_CPU: f64 = 1e-4;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn run(ctx: &Ctx, w: &Workload) -> Vec<Row> {
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); w.impls.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); w.impls.len()];
    let mut expect = (w.expect != 0).then_some(w.expect);
    for _ in 0..ctx.sizes.rounds {
        for (i, (imp, f)) in w.impls.iter().enumerate() {
            let cpu_before = process_cpu();
            let (t, check) = f(ctx);
            cpu[i].push((process_cpu() - cpu_before).as_secs_f64());
            match expect {
                Some(e) => assert_eq!(check, e, "{}: {imp} checked {check}, expected {e}", w.name),
                None => expect = Some(check),
            }
            samples[i].push(match w.measure {
                Measure::Memory => t.as_nanos() as f64 / MIB as f64,
                Measure::Time | Measure::IdleCpu => t.as_secs_f64(),
            });
        }
    }
    let rows: Vec<(&'static str, f64, f64, f64)> = w
        .impls
        .iter()
        .zip(samples.iter_mut().zip(cpu.iter_mut()))
        .map(|((imp, _), (s, c))| {
            let min = s.iter().copied().fold(f64::INFINITY, f64::min);
            (*imp, median(s), min, median(c))
        })
        .collect();
    let std_median = rows[0].1;
    let std_cpu = rows[0].3;
    rows.into_iter()
        .map(|(imp, median, min, cpu)| Row {
            imp,
            median,
            min,
            ratio: if std_median > 0.0 {
                median / std_median
            } else {
                f64::NAN
            },
            cpu,
            cpu_ratio: if std_cpu >= MIN_STD_CPU {
                cpu / std_cpu
            } else {
                f64::NAN
            },
        })
        .collect()
}

fn format_time(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.2} s")
    } else if v >= 1e-3 {
        format!("{:.1} ms", v * 1e3)
    } else {
        format!("{:.3} ms", v * 1e3)
    }
}

fn format_value(w: &Workload, v: f64, hops: usize) -> String {
    match w.measure {
        Measure::Memory => format!("{v:.2} MiB"),
        Measure::IdleCpu => format!("{} CPU", format_time(v)),
        Measure::Time if w.name == "hop-latency" => {
            format!("{:.2} µs/hop", v * 1e6 / hops as f64)
        }
        Measure::Time => format_time(v),
    }
}

/// Whether the workload's rows have a time ratio to std (and a place in the chart).
fn has_time_ratio(w: &Workload) -> bool {
    w.measure == Measure::Time && w.name != "hop-latency"
}

fn ratio_cell(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}")
    } else {
        "–".to_owned()
    }
}

fn table(ctx: &Ctx, w: &Workload, rows: &[Row]) -> String {
    let mut out = format!("### {}\n\n{}\n\n", w.name, w.what);
    out.push_str(
        "| implementation | median | min | ratio to std | CPU | CPU ratio to std |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = if has_time_ratio(w) {
            ratio_cell(r.ratio)
        } else {
            "–".to_owned()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.imp,
            format_value(w, r.median, ctx.sizes.hops),
            format_value(w, r.min, ctx.sizes.hops),
            ratio,
            format_time(r.cpu),
            ratio_cell(r.cpu_ratio),
        );
    }
    out
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}")
}

fn chart(results: &[(&Workload, Vec<Row>)], path: &Path) {
    use plotters::prelude::*;
    let rows: Vec<_> = results
        .iter()
        .filter(|(w, _)| has_time_ratio(w))
        .filter(|(_, rows)| rows.iter().all(|r| r.ratio.is_finite()))
        .collect();
    let root = SVGBackend::new(path, (960, 80 + 56 * rows.len() as u32)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Time relative to std::fs (log scale, lower is better)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(150)
        .build_cartesian_2d(
            (0.1f64..200f64).log_scale(),
            (0..rows.len()).into_segmented(),
        )
        .unwrap();
    chart
        .configure_mesh()
        .y_labels(rows.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => rows.get(*i).map_or("", |(w, _)| w.name).to_owned(),
            _ => String::new(),
        })
        .x_desc("median time / std's median time")
        .draw()
        .unwrap();
    let colors = [
        BLACK,
        RGBColor(214, 39, 40),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(31, 119, 180),
        RGBColor(44, 160, 44),
        RGBColor(140, 86, 75),
        RGBColor(23, 190, 207),
    ];
    for (k, imp) in IMPLS.iter().enumerate() {
        let color = colors[k];
        let points: Vec<(f64, SegmentValue<usize>)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, (_, rs))| {
                rs.iter()
                    .find(|r| r.imp == *imp)
                    .map(|r| (r.ratio.clamp(0.1, 200.0), SegmentValue::CenterOf(i)))
            })
            .collect();
        chart
            .draw_series(points.into_iter().map(|(x, y)| {
                let size = if k == 1 { 7 } else { 5 };
                Circle::new((x, y), size, color.filled())
            }))
            .unwrap()
            .label(*imp)
            .legend(move |(x, y)| Circle::new((x, y), 5, color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .unwrap();
    root.present().unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let save = args.iter().any(|a| a == "--save");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let row = args
        .iter()
        .position(|a| a == "--row")
        .and_then(|i| args.get(i + 1).cloned());
    let sizes = if quick { QUICK } else { FULL };

    eprintln!("creating the data...");
    let ctx = setup(sizes);
    let s = &ctx.sizes;
    let mut workloads = vec![
        small_files(s, false),
        small_files(s, true),
        small_files_fsread(s),
        seq_read(s),
        read_to_end(s),
        seq_write(s),
        seq_read_chunks(s),
        seq_write_owned(s),
        small_writes(s),
        lines(s),
        stat(s),
        pread_random(s),
        hop_latency(s),
        idle_cpu(),
        walk(s),
        mem_open(),
        copy(s),
    ];
    for w in &mut workloads {
        if w.name == "lines" {
            w.expect = ctx.text_len as u64;
        }
    }
    workloads.retain(|w| only.as_deref().is_none_or(|o| o == w.name));
    if let Some(row) = &row {
        for w in &mut workloads {
            w.impls.retain(|(name, _)| *name == "std" || name == row);
        }
    }

    let mut report = format!(
        "Machine: {}. Mode: {}. {} rounds, interleaved.\n\n",
        machine(),
        if quick { "--quick" } else { "full" },
        s.rounds
    );
    let mut results = Vec::new();
    for w in &workloads {
        eprintln!("running {}...", w.name);
        let rows = run(&ctx, w);
        let t = table(&ctx, w, &rows);
        println!("{t}");
        report.push_str(&t);
        report.push('\n');
        results.push((w, rows));
    }
    if save {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("benchmark.md"), &report).unwrap();
        chart(&results, &docs.join("benchmark.svg"));
        eprintln!("wrote docs/benchmark.md and docs/benchmark.svg");
    }
}
