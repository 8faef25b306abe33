//! wasm-bindgen surface for batchnorm.rs: to be written.
