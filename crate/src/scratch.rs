//! Reusable work buffers, so kernels allocate nothing in steady state.
//!
//! Declare a slot with `static MY_BUF: Slot<f32> = Slot::new();` and borrow a buffer from it with
//! [`lend`]. A slot is shared by all threads: it keeps the buffers that are not lent, each with
//! its capacity, and a caller takes one (or a new, empty one when all are lent, e.g. to tasks
//! running in parallel or to a nested call) and gives it back when done. So a slot holds as many
//! buffers as were ever lent at the same time, not one per thread: a convolution's 75 MB of
//! transformed kernels exists once, whichever pool thread ran the call.

use std::sync::Mutex;

#[derive(Default)]
pub struct Slot<T>(Mutex<Vec<Vec<T>>>);

impl<T> Slot<T> {
    pub const fn new() -> Self {
        Slot(Mutex::new(Vec::new()))
    }

    fn buffers(&self) -> std::sync::MutexGuard<'_, Vec<Vec<T>>> {
        // A panic while the lock is held cannot leave the list half-changed: take it anyway.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lends a buffer of `slot` to `f` (its contents are whatever the last borrower left), and takes
/// it back afterwards, keeping its capacity.
pub fn lend<T, R>(slot: &Slot<T>, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
    let mut buf = slot.buffers().pop().unwrap_or_default();
    let result = f(&mut buf);
    slot.buffers().push(buf);
    result
}
