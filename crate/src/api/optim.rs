//! wasm-bindgen surface for optim.rs: to be written.
