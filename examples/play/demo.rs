//! `play --demo`: the built-in SoundCloud emulator and a client on it. Only in builds with
//! the `demo` feature (on by default); a kiosk build leaves the emulator out and says so.

use scplay::core::Client;

use crate::fail::Fail;

/// The running demo service (dropped after playback).
#[cfg(feature = "demo")]
pub type Demo = scplay_emulator::Emulator;

/// Nothing: this build has no demo.
#[cfg(not(feature = "demo"))]
pub struct Demo;

/// What `--demo` says in a build without the emulator.
const NO_DEMO: &str =
    "--demo needs the `demo` feature, which this build leaves out (build with --features demo).";

/// Whether `--demo` can run in this build (checked with the other flags, before any work).
pub fn available() -> Result<(), Fail> {
    if cfg!(feature = "demo") {
        Ok(())
    } else {
        Err(Fail::usage(NO_DEMO))
    }
}

/// Starts the emulator on loopback and a client for its demo app: no credentials, no network.
#[cfg(feature = "demo")]
pub fn start(rt: &tokio::runtime::Runtime) -> Result<(Demo, Client), Fail> {
    use scplay::core::MemoryStore;
    use scplay_emulator::{Emulator, catalog};
    let emu = rt
        .block_on(Emulator::start(Default::default()))
        .map_err(|e| Fail::other("demo", format!("cannot start the demo emulator: {e}.")))?;
    let client = Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .web_base(emu.web_base())
        .token_store(MemoryStore::new())
        .build()
        .map_err(|e| Fail::other("config", format!("{e}.")))?;
    Ok((emu, client))
}

/// Without the `demo` feature: refused (as [`available`] says).
#[cfg(not(feature = "demo"))]
pub fn start(_: &tokio::runtime::Runtime) -> Result<(Demo, Client), Fail> {
    Err(Fail::usage(NO_DEMO))
}
