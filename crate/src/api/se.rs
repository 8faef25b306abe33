//! wasm-bindgen surface for se.rs: to be written.
