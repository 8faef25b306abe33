//! Kernel: to be written.
