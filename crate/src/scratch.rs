//! Reusable per-thread work buffers, so kernels allocate nothing in steady state.
//!
//! Declare a slot with `thread_local! { static MY_BUF: Cell<Vec<f32>> = const { Cell::new(Vec::new()) }; }`
//! and borrow it with [`lend`]. The buffer keeps its capacity between calls.

use std::cell::Cell;
use std::thread::LocalKey;

/// Lends this thread's buffer in `slot` to `f`. The buffer is taken out while lent, so a nested
/// call on the same thread (rayon may run another task while this one waits) gets a fresh one
/// instead of aliasing it.
pub fn lend<T, R>(slot: &'static LocalKey<Cell<Vec<T>>>, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
    let mut buf = slot.with(|s| s.take());
    let result = f(&mut buf);
    slot.with(|s| s.set(buf));
    result
}
