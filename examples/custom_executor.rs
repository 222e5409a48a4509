//! Run with: cargo run --example custom_executor
//!
//! Implementing `Executor` for a pool of your own: a few threads fed by a channel. The pool
//! runs a `Completer`; the awaiting side gets the matching `RemoteTask`.

use std::io;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use aiofiles::executor::{self, Executor, RemoteTask};
use aiofiles::fs;

type Job = Box<dyn FnOnce() + Send>;

/// `threads` std threads taking jobs from one channel. Clones share the pool; it shuts down
/// when the last clone is dropped.
#[derive(Clone, Debug)]
struct Pool {
    jobs: Sender<Job>,
}

impl Pool {
    fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = Arc::clone(&queue);
            thread::Builder::new()
                .name(format!("pool-{i}"))
                .spawn(move || loop {
                    // Hold the lock only while taking a job, not while running it.
                    let job = queue.lock().unwrap().recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => break, // every sender is gone: the pool was dropped
                    }
                })
                .expect("failed to start a pool thread");
        }
        Pool { jobs }
    }
}

impl Executor for Pool {
    type Task<T: Send + 'static> = RemoteTask<T>;

    fn spawn_blocking<F, T>(&self, work: F) -> RemoteTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (completer, task) = executor::remote_task();
        // If the pool is gone the job (and its completer) is dropped: the task then resolves
        // to an error saying the work was lost, instead of hanging.
        let _ = self.jobs.send(Box::new(move || completer.complete(work)));
        task
    }
}

fn main() -> io::Result<()> {
    let pool = Pool::new(3);
    futures::executor::block_on(async {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("pool.txt");

        fs::write(&path, "written on my pool")
            .on(pool.clone())
            .await?;
        let text = fs::read_to_string(&path).on(pool.clone()).await?;
        assert_eq!(text, "written on my pool");
        println!("wrote and read {}: {text:?}", path.display());

        fs::rename(&path, dir.path().join("moved.txt"))
            .on(pool.clone())
            .await?;
        let len = fs::metadata(dir.path().join("moved.txt"))
            .on(pool.clone())
            .await?
            .len();
        assert_eq!(len, 18);
        println!("renamed to moved.txt ({len} bytes)");

        // Which thread ran the work?
        let name = aiofiles::unblock(|| thread::current().name().map(str::to_owned))
            .on(pool.clone())
            .await?;
        let name = name.unwrap_or_default();
        assert!(name.starts_with("pool-"));
        println!("work ran on thread {name}");

        // Listings carry the executor: every batch is fetched on the pool.
        let mut entries = fs::read_dir(dir.path()).on(pool.clone()).await?;
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            names.push(entry.file_name());
        }
        assert_eq!(names, ["moved.txt"]);
        println!("listed {names:?}");
        io::Result::Ok(())
    })?;

    // Work handed to a pool whose threads are gone is an error, never a hang.
    let (dead, queue) = mpsc::channel::<Job>();
    drop(queue);
    let err =
        futures::executor::block_on(aiofiles::unblock(|| 1).on(Pool { jobs: dead })).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    println!("a shut-down pool gives an error: {err}");
    Ok(())
}
