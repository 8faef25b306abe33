//! wasm-bindgen surface for pooling.rs: to be written.
