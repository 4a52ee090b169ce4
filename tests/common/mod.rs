//! Helpers shared by the tests that spawn the examples.

pub mod play;
pub mod remote;
