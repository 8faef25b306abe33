//! wasm-bindgen surface for conv.rs: to be written.
