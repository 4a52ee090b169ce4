//! Signed, expiring CDN URLs (`?expires=…&Signature=…`), like the live CDN's.

use std::sync::atomic::{AtomicI64, Ordering};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks CDN URLs with the emulator's private key.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CDN's clock (Unix seconds): the wall clock, moved ahead by [`CdnClock::expire_all`] so
/// every URL signed so far expires at once, while URLs signed afterwards are valid.
#[derive(Default)]
pub struct CdnClock {
    ahead: AtomicI64,
    latest: AtomicI64,
}

impl CdnClock {
    /// Now, on the CDN's clock.
    pub fn now(&self) -> i64 {
        crate::time::unix_now() + self.ahead.load(Ordering::Acquire)
    }

    /// When a URL signed now for `ttl` expires.
    pub fn expiry(&self, ttl: std::time::Duration) -> i64 {
        let expires = self.now() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        self.latest.fetch_max(expires, Ordering::AcqRel);
        expires
    }

    /// Moves the clock past the expiry of every URL signed so far.
    pub fn expire_all(&self) {
        let behind = self.latest.load(Ordering::Acquire) - self.now() + 1;
        if behind > 0 {
            self.ahead.fetch_add(behind, Ordering::AcqRel);
        }
    }
}

/// Why a CDN URL was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Invalid,
    Expired,
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, path: &str, expires: i64) -> String {
        // HMAC accepts keys of any length; this cannot fail.
        let mut m = match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        m.update(path.as_bytes());
        m.update(b"\n");
        m.update(expires.to_string().as_bytes());
        hex(&m.finalize().into_bytes())
    }

    /// The query string that makes `path` valid until `expires` (Unix seconds).
    pub fn query(&self, path: &str, expires: i64) -> String {
        format!("expires={expires}&Signature={}", self.mac(path, expires))
    }

    /// A signed URL token the HMAC of arbitrary bytes (for JWT-like access tokens).
    pub fn tag(&self, data: &str) -> String {
        self.mac(data, 0)
    }

    /// Checks `expires` and `Signature` from a request's query against `path` at `now`.
    pub fn verify(&self, path: &str, query: Option<&str>, now: i64) -> Result<(), SignatureError> {
        let mut expires = None;
        let mut sig = None;
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("expires", v)) => expires = v.parse::<i64>().ok(),
                Some(("Signature", v)) => sig = Some(v),
                _ => {}
            }
        }
        let (Some(expires), Some(sig)) = (expires, sig) else {
            return Err(SignatureError::Missing);
        };
        if self.mac(path, expires) != sig {
            return Err(SignatureError::Invalid);
        }
        if now >= expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_path_and_expiry() {
        let s = Signer::new([7; 32]);
        let q = s.query("/a.mp3", 100);
        assert_eq!(s.verify("/a.mp3", Some(&q), 99), Ok(()));
        assert_eq!(
            s.verify("/a.mp3", Some(&q), 100),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            s.verify("/b.mp3", Some(&q), 99),
            Err(SignatureError::Invalid)
        );
        let tampered = q.replace("expires=100", "expires=999");
        assert_eq!(
            s.verify("/a.mp3", Some(&tampered), 99),
            Err(SignatureError::Invalid)
        );
        assert_eq!(s.verify("/a.mp3", None, 99), Err(SignatureError::Missing));
    }
}
