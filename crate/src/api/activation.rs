//! wasm-bindgen surface for activation.rs: to be written.
