//! [`RemoteOptions`] and the [`BearerToken`] they may carry.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// How the remote serves. Plain data with defaults: `RemoteOptions { addr, ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Where to listen. Port 0 picks a free one ([`crate::Remote::local_addr`] says which).
    /// Default `127.0.0.1:0`. An address other than loopback needs a [`Self::token`]
    /// ([`crate::Remote::start`] refuses it otherwise).
    pub addr: SocketAddr,
    /// With a token, every request but the page itself (`GET /`, which holds no data) needs
    /// `Authorization: Bearer TOKEN`; without one, the remote must listen on loopback.
    pub token: Option<BearerToken>,
    /// The largest request body accepted, in bytes (a larger one gets 413). Default 16 KiB.
    pub max_body_bytes: usize,
    /// How long one request (its body included) may take before it gets 408. Event
    /// streams are exempt. Default 10 s.
    pub request_timeout: Duration,
    /// A connection on which nothing moves either way for this long is closed (slow or
    /// stuck clients). Event streams stay open through their keep-alives. Default 60 s.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted. Default 64.
    pub max_connections: usize,
    /// Event streams (`GET /api/events`) open at once; more get 503. Default 16.
    pub max_event_streams: usize,
    /// The interval between keep-alive comments on an event stream. Default 15 s.
    pub keep_alive: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: None,
            max_body_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 64,
            max_event_streams: 16,
            keep_alive: Duration::from_secs(15),
        }
    }
}

/// The secret a client must present as `Authorization: Bearer …`. It never shows in
/// `Debug` output, logs or errors, and is compared in constant time (through its SHA-256, so
/// its length does not show either).
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

impl BearerToken {
    /// A token. Empty or all-whitespace tokens are refused (`None`): they would protect
    /// nothing.
    pub fn new(token: &str) -> Option<Self> {
        if token.trim().is_empty() {
            return None;
        }
        Some(Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let diff = self
            .digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        // Keeps the fold from being turned into an early exit.
        std::hint::black_box(diff) == 0
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_matches_itself_only_and_never_shows() {
        let t = BearerToken::new("s3cret-token").unwrap();
        assert!(t.matches("s3cret-token"));
        assert!(!t.matches("s3cret-tokem"));
        assert!(!t.matches(""));
        assert!(!format!("{t:?}").contains("s3cret"));
        let o = RemoteOptions {
            token: Some(t),
            ..RemoteOptions::default()
        };
        assert!(!format!("{o:?}").contains("s3cret"));
        assert!(BearerToken::new("  ").is_none());
    }
}
