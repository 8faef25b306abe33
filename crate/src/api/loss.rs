//! wasm-bindgen surface for loss.rs: to be written.
