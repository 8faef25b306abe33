//! The rayon thread pool, on WebAssembly threads or native threads.
//!
//! Kernels never name a pool: they call [`run`], which installs the current pool (if one was
//! started) around their rayon code. Without a pool, rayon runs everything on the calling thread:
//! on wasm32 `std::thread::spawn` is unsupported, so rayon's global registry falls back to the
//! current thread alone (rayon-core's `default_global_registry`); natively, tests always start a
//! pool of the size they want.
//!
//! On WebAssembly a pool thread is a Web Worker or a Node `worker_thread` that instantiated the
//! same module with the same shared memory and then called [`run_pool_worker`]. The pool's spawn
//! handler only queues rayon's `ThreadBuilder`s; each worker takes one from the queue and runs
//! it. Dropping the pool ([`stop_pool`]) ends each worker's loop, so `run_pool_worker` returns
//! and the JS side can free the thread's stack and let the worker exit.

use rayon::{ThreadBuilder, ThreadPool, ThreadPoolBuilder};
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, RwLock};

static POOL: RwLock<Option<ThreadPool>> = RwLock::new(None);

thread_local! {
    /// Set on the pool's own threads, where the pool is already installed.
    static ON_POOL_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Thread builders waiting for a worker to run them.
static PENDING: Mutex<VecDeque<ThreadBuilder>> = Mutex::new(VecDeque::new());
static PENDING_READY: Condvar = Condvar::new();

/// Runs `op` inside the current pool (all its threads take part), or on the calling thread alone
/// when no pool was started. Kernels nest (a conv calls gemm inside its own `run`): on a pool
/// thread the pool is already installed, so a nested call runs `op` directly and never takes
/// the pool lock a second time (a queued writer would otherwise deadlock it).
pub fn run<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    if ON_POOL_THREAD.with(Cell::get) {
        return op();
    }
    let pool = POOL.read().unwrap_or_else(|e| e.into_inner());
    match pool.as_ref() {
        Some(pool) => pool.install(op),
        None => op(),
    }
}

/// Number of threads kernels run on: the pool's size, or 1 without a pool.
pub fn num_threads() -> usize {
    let pool = POOL.read().unwrap_or_else(|e| e.into_inner());
    pool.as_ref().map_or(1, |p| p.current_num_threads())
}

fn replace_pool(pool: Option<ThreadPool>) {
    let mut slot = POOL.write().unwrap_or_else(|e| e.into_inner());
    // The old pool (if any) is dropped here, which tells its threads to finish.
    *slot = pool;
}

/// Starts a pool of `num_threads` native threads (for `cargo test` and native benchmarks).
#[cfg(not(target_arch = "wasm32"))]
pub fn start_native_pool(num_threads: usize) -> Result<(), String> {
    let pool = ThreadPoolBuilder::new()
        .num_threads(num_threads)
        .start_handler(|_| ON_POOL_THREAD.with(|f| f.set(true)))
        .build()
        .map_err(|e| format!("start_thread_pool({num_threads}): {e}"))?;
    replace_pool(Some(pool));
    Ok(())
}

/// Starts a pool of `num_threads` threads whose `ThreadBuilder`s wait in a queue until workers
/// created by the host (JS) call [`run_pool_worker`]. The host must start exactly `num_threads`
/// such workers; they may call in before or after this function.
pub fn start_queued_pool(num_threads: usize) -> Result<(), String> {
    if num_threads == 0 {
        return Err("start_thread_pool: num_threads must be at least 1, got 0".into());
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(num_threads)
        .start_handler(|_| ON_POOL_THREAD.with(|f| f.set(true)))
        .spawn_handler(|thread| {
            PENDING.lock().unwrap_or_else(|e| e.into_inner()).push_back(thread);
            PENDING_READY.notify_one();
            Ok(())
        })
        .build()
        .map_err(|e| format!("start_thread_pool({num_threads}): {e}"))?;
    replace_pool(Some(pool));
    Ok(())
}

/// The body of a pool worker: waits for a queued thread builder and runs rayon's worker loop
/// until the pool is stopped.
pub fn run_pool_worker() {
    let thread = {
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(thread) = pending.pop_front() {
                break thread;
            }
            pending = PENDING_READY.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
    };
    thread.run();
}

/// Stops the pool: its threads leave their loops once idle; later kernels run on the caller.
pub fn stop_pool() {
    replace_pool(None);
}

/// A raw pointer that may be shared across pool threads. Users guarantee that concurrent
/// accesses through it touch disjoint memory.
#[derive(Clone, Copy)]
pub struct SharedMut<T>(pub *mut T);
unsafe impl<T> Send for SharedMut<T> {}
unsafe impl<T> Sync for SharedMut<T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn run_uses_every_pool_thread_and_stop_falls_back_to_caller() {
        let _guard = crate::test_support::POOL_LOCK.lock().unwrap();
        start_native_pool(3).unwrap();
        assert_eq!(num_threads(), 3);
        let sum: u64 = run(|| (0..10_000u64).into_par_iter().sum());
        assert_eq!(sum, 10_000 * 9_999 / 2);
        stop_pool();
        assert_eq!(num_threads(), 1);
        assert_eq!(run(|| 7), 7);
    }

    #[test]
    fn queued_pool_runs_on_host_started_workers() {
        let _guard = crate::test_support::POOL_LOCK.lock().unwrap();
        // Workers may start before the pool exists: they wait for a queued builder.
        let workers: Vec<_> = (0..2).map(|_| std::thread::spawn(run_pool_worker)).collect();
        start_queued_pool(2).unwrap();
        let ids: std::collections::HashSet<usize> = run(|| {
            (0..64)
                .into_par_iter()
                .map(|_| {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    rayon::current_thread_index().unwrap()
                })
                .collect()
        });
        assert!(ids.len() >= 1 && ids.iter().all(|&i| i < 2));
        stop_pool();
        for w in workers {
            w.join().expect("pool worker exits once the pool is stopped");
        }
        assert!(start_queued_pool(0).is_err());
    }
}
