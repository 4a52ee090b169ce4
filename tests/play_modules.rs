//! The unit tests of `play`'s own modules: the `RUST_LOG` filter and log format
//! (`examples/play/logs.rs`) and the event hook (`examples/play/hook.rs`). They live in the
//! example's files and run here, so `cargo test` still builds the `play` binary the CLI tests
//! run.
#![allow(dead_code, clippy::unwrap_used)]

#[path = "../examples/play/hook.rs"]
mod hook;
#[path = "../examples/play/logs.rs"]
mod logs;
