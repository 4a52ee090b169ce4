//! The authorization-code flow with PKCE: the authorize URL, a loopback redirect listener
//! for desktop and kiosk apps, a paste-the-redirect-URL fallback, and the code exchange.
//!
//! ```no_run
//! # async fn run(client: scplay_core::Client) -> scplay_core::Result<()> {
//! use std::time::Duration;
//! let request = client.authorization_request(false)?;
//! println!("Open this URL to sign in: {}", request.url());
//! // Waits for the browser to come back to the registered http://127.0.0.1:PORT/… URI.
//! let token = request.listen(&client, Duration::from_secs(300)).await?;
//! # let _ = token; Ok(()) }
//! ```

use reqwest::Url;

use super::pkce::{Pkce, random_string};
use crate::{Client, Error, Result, Secret, Token};

/// One sign-in attempt: the URL to open, and the secrets to finish it with. Its `Debug`
/// shows neither the verifier nor the state.
#[derive(Clone)]
pub struct AuthorizationRequest {
    url: Url,
    pub(super) state: Secret,
    verifier: Secret,
    pub(super) redirect_uri: String,
}

impl std::fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("url", &crate::error::strip_query(self.url.as_str()))
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a sign-in: a fresh PKCE verifier, an S256 challenge and a random `state`.
    /// `popup` adds `display=popup` (the mobile-optimised consent screen).
    pub fn authorization_request(&self, popup: bool) -> Result<AuthorizationRequest> {
        let cfg = self.config();
        let redirect_uri = cfg.redirect_uri.clone().ok_or_else(|| {
            Error::Config("redirect_uri is required for the authorization-code flow".into())
        })?;
        let pkce = Pkce::new()?;
        let state = random_string(32)?;
        let mut url = cfg
            .auth_base
            .join("authorize")
            .map_err(|e| Error::Config(format!("auth_base: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &cfg.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("response_type", "code")
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", state.expose());
            if popup {
                q.append_pair("display", "popup");
            }
        }
        Ok(AuthorizationRequest {
            url,
            state,
            verifier: pkce.verifier,
            redirect_uri,
        })
    }
}

impl AuthorizationRequest {
    /// The URL to open in a browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Finishes with the URL the browser was redirected to (for when the redirect URI is not
    /// a loopback one: the user pastes the address bar). Checks `state`, exchanges the code,
    /// stores the token.
    pub async fn finish_with_redirect(
        &self,
        client: &Client,
        redirected_to: &str,
    ) -> Result<Token> {
        let url = Url::parse(redirected_to.trim()).map_err(|_| {
            Error::SignIn("that is not the URL the browser was sent back to".into())
        })?;
        self.finish(client, &url).await
    }

    /// Whether a redirect `url` carries this sign-in's `state` (anything else is not ours).
    pub(super) fn is_for_me(&self, url: &Url) -> bool {
        url.query_pairs()
            .any(|(k, v)| k == "state" && v.as_ref() == self.state.expose())
    }

    pub(super) async fn finish(&self, client: &Client, url: &Url) -> Result<Token> {
        let mut code = None;
        let mut state = None;
        let mut error = None;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "code" => code = Some(Secret::new(v.into_owned())),
                "state" => state = Some(Secret::new(v.into_owned())),
                "error" => error = Some(v.into_owned()),
                _ => {}
            }
        }
        if let Some(e) = error {
            return Err(Error::SignIn(format!(
                "SoundCloud refused the sign-in: {e}"
            )));
        }
        if state.as_ref() != Some(&self.state) {
            return Err(Error::SignIn(
                "the state did not match: the redirect was not for this sign-in".into(),
            ));
        }
        let code = code.ok_or_else(|| Error::SignIn("the redirect carried no code".into()))?;
        let token = client
            .inner
            .tokens
            .app()
            .exchange(&code, &self.verifier, &self.redirect_uri)
            .await?;
        tracing::info!(
            expires_in_s = token.expires_at - crate::token::now_unix(),
            "signed in: user token granted (authorization code)"
        );
        client.inner.tokens.install(token.clone()).await?;
        Ok(token)
    }
}

impl Client {
    /// Signs out: invalidates the session of the current token at SoundCloud and forgets the
    /// token locally (even if SoundCloud says the session was already invalid). The request is
    /// bounded by [`Config::timeout`](crate::Config::timeout); when it fails, the token is kept.
    pub async fn sign_out(&self) -> Result<()> {
        let Some(token) = self.inner.tokens.current().await? else {
            return Ok(());
        };
        let url = self
            .config()
            .auth_base
            .join("sign-out")
            .map_err(|e| Error::Config(format!("auth_base: {e}")))?;
        let resp = self
            .inner
            .http
            .post(url.clone())
            .timeout(self.config().timeout)
            .json(&serde_json::json!({ "access_token": token.access_token.expose() }))
            .send()
            .await
            .map_err(|e| crate::http::network(url.as_str(), &e))?;
        let status = resp.status();
        self.inner.tokens.forget().await?;
        if status.is_success() || status.as_u16() == 401 {
            Ok(())
        } else {
            let text = crate::http::read_limited(resp, 64 * 1024)
                .await
                .unwrap_or_default();
            Err(Error::from_status(
                status,
                url.as_str(),
                &String::from_utf8_lossy(&text),
                None,
            ))
        }
    }

    /// Uses a token obtained elsewhere (persisted to the token store first).
    pub async fn set_token(&self, token: Token) -> Result<()> {
        self.inner.tokens.install(token).await
    }

    /// The current token, if one is held or stored (its secrets stay hidden in `Debug`).
    pub async fn token(&self) -> Result<Option<Token>> {
        self.inner.tokens.current().await
    }
}
