//! What the tests of every scplay crate share, so each is written once: an emulator and a
//! client pointed at it, a reference decoder, free ports, waiting for an event or a
//! condition with a deadline (tests never sleep and then assert), and capturing logs.
//!
//! A dev-dependency of `scplay-core`, `scplay-player`, `scplay-emulator` and the root package:
//! their integration tests link the same `scplay-core` this crate does, so its `Client` is
//! theirs. Not published.
#![allow(clippy::unwrap_used)] // A test helper that cannot do its job fails the test.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use scplay_core::{Client, ClientBuilder, RetryPolicy};
use scplay_emulator::{Emulator, EmulatorConfig, catalog};

mod decode;
pub mod logs;

pub use decode::{Decoded, reference_decode};

/// The emulator with its default catalogue, on loopback.
pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

/// The emulator with `config`, on loopback.
pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("the emulator starts")
}

/// A builder for a client of the emulator's app: its credentials, redirect URI and origins,
/// and retries 20 ms apart (tests go through many).
pub fn client_builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .redirect_uri(catalog::REDIRECT_URI)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .web_base(emu.web_base())
        .retry(RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
}

/// A client of the emulator's app (an app token, obtained on first use).
pub fn app_client(emu: &Emulator) -> Client {
    client_builder(emu).build().expect("the client builds")
}

/// A plain HTTP client for tests, on the process's shared TLS set-up (the tree has no crypto
/// provider of reqwest's own).
pub fn http() -> reqwest::Client {
    scplay_core::tls::client_builder()
        .build()
        .expect("the HTTP client builds")
}

/// `GET url` with [`http`].
pub async fn get(url: &str) -> reqwest::Response {
    http().get(url).send().await.expect("the GET is answered")
}

/// A loopback port nobody listens on now, below the kernel's ephemeral range (Linux:
/// 32768–60999): a port taken from that range and released can be handed to any outgoing
/// connection (or another test's port 0) before the server binds it. Tried at random, so
/// tests running side by side rarely pick the same one.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..200 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let port = 20_000 + (h.finish() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range");
}

/// Waits (up to `limit`) for an item of `rx` matching `pred`; when it came, or `None` when
/// the deadline passed (or the sender went away) first.
pub fn wait_event<T>(
    rx: &Receiver<T>,
    limit: Duration,
    pred: impl Fn(&T) -> bool,
) -> Option<Instant> {
    let end = Instant::now() + limit;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return Some(Instant::now()),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Waits (up to `limit`, looking every 10 ms) until `cond` holds; whether it did. To show
/// that something does *not* happen, assert that this returns `false` over a short window.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// [`wait_until`] for async conditions (looking every 20 ms); panics naming `what` when
/// `limit` passes first.
pub async fn eventually(what: &str, limit: Duration, mut cond: impl AsyncFnMut() -> bool) {
    eventually_some(what, limit, async || cond().await.then_some(())).await;
}

/// [`eventually`] for a condition that finds something: the first `Some` it gives.
pub async fn eventually_some<T>(
    what: &str,
    limit: Duration,
    mut find: impl AsyncFnMut() -> Option<T>,
) -> T {
    let end = Instant::now() + limit;
    loop {
        if let Some(found) = find().await {
            return found;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_sees_what_comes_and_gives_up_at_the_deadline() {
        let (tx, rx) = std::sync::mpsc::channel();
        let sender = std::thread::spawn(move || {
            for i in 0..5 {
                tx.send(i).unwrap();
            }
            // The channel stays open (nothing more comes) until the test is done with it.
            tx
        });
        assert!(wait_event(&rx, Duration::from_secs(5), |i| *i == 3).is_some());
        let tx = sender.join().unwrap();
        let start = Instant::now();
        assert!(wait_event(&rx, Duration::from_millis(50), |i| *i == 9).is_none());
        assert!(start.elapsed() >= Duration::from_millis(50));
        drop(tx);
        assert!(!wait_until(Duration::from_millis(30), || false));
        assert!(wait_until(Duration::from_secs(1), || true));
    }
}
