//! wasm-bindgen surface for linear.rs: to be written.
