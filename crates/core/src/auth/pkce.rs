//! PKCE (RFC 7636): a random verifier, its S256 challenge, and a random `state`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{Error, Result, Secret};

const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// `len` characters drawn uniformly from the unreserved set, from the OS's CSPRNG.
pub fn random_string(len: usize) -> Result<Secret> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)
            .map_err(|e| Error::SignIn(format!("no randomness available: {e}")))?;
        // 66 symbols: reject bytes >= 198 (3 * 66) to keep the draw uniform.
        for b in buf.iter().filter(|b| **b < 198) {
            if out.len() == len {
                break;
            }
            out.push(UNRESERVED[usize::from(*b) % UNRESERVED.len()] as char);
        }
    }
    Ok(Secret::new(out))
}

/// A PKCE verifier and its challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// The verifier: 64 unreserved characters (43–128 allowed), kept secret until the exchange.
    pub verifier: Secret,
    /// `BASE64URL(SHA256(verifier))`, sent in the authorize URL.
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier and challenge.
    pub fn new() -> Result<Self> {
        let verifier = random_string(64)?;
        let challenge = challenge(verifier.expose());
        Ok(Self {
            verifier,
            challenge,
        })
    }
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_and_challenge_follow_rfc7636() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let a = Pkce::new().ok().map(|p| p.verifier);
        let b = Pkce::new().ok().map(|p| p.verifier);
        let a = a
            .as_ref()
            .map(Secret::expose)
            .unwrap_or_default()
            .to_string();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| UNRESERVED.contains(&c)));
        assert_ne!(Some(a.as_str()), b.as_ref().map(Secret::expose));
    }
}
