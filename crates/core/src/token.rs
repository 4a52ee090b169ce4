//! [`Token`]: an access token, its refresh token and when it expires.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::Secret;

/// Who a token acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A user, from the authorization-code flow.
    User,
    /// The app alone, from client credentials (public resources only).
    App,
}

/// A token pair as stored. Its `Debug` shows neither token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// The access token (a JWT of variable length).
    pub access_token: Secret,
    /// The single-use refresh token, if the service sent one.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in Unix seconds.
    pub expires_at: i64,
    /// When it was issued, in Unix seconds (0 when unknown).
    #[serde(default)]
    pub issued_at: i64,
    /// Granted scope (usually empty).
    #[serde(default)]
    pub scope: String,
    /// User or app token.
    pub kind: TokenKind,
    /// The client id it was issued to (a store shared by two apps must not mix tokens).
    pub client_id: String,
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Token {
    /// Whether the access token is still good for at least `margin_secs` (or half its
    /// lifetime, for tokens that live shorter than twice the margin).
    pub fn is_fresh(&self, margin_secs: i64) -> bool {
        let lifetime = self.expires_at - self.issued_at;
        let margin = if self.issued_at > 0 {
            margin_secs.min(lifetime / 2)
        } else {
            margin_secs
        };
        self.expires_at - margin > now_unix()
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenResponse {
    pub fn into_token(self, kind: TokenKind, client_id: &str) -> Token {
        let now = now_unix();
        Token {
            access_token: self.access_token,
            refresh_token: self.refresh_token.filter(|r| !r.is_empty()),
            // The live service says 3599; assume an hour when it says nothing.
            expires_at: now + self.expires_in.unwrap_or(3600).max(0),
            issued_at: now,
            scope: self.scope.unwrap_or_default(),
            kind,
            client_id: client_id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The token answer parses the spec's own example (`components.examples.ExpiringToken`).
    #[test]
    fn token_response_parses_the_specs_example() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../emulator/spec/soundcloud-openapi.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let spec: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let spec = serde_json::to_value(spec).unwrap();
        let example = &spec["components"]["examples"]["ExpiringToken"]["value"];
        let r: TokenResponse = serde_json::from_value(example.clone()).unwrap();
        assert_eq!(r.expires_in, Some(3599));
        let t = r.into_token(TokenKind::User, "id");
        assert_eq!(t.access_token.expose(), "some string");
        assert_eq!(
            t.refresh_token.as_ref().map(Secret::expose),
            Some("some string")
        );
        assert!(t.expires_at - t.issued_at == 3599);
    }
}
