//! The one token mechanism every flow feeds: the current token, refreshed shortly before
//! expiry and once on a 401, by exactly one task at a time (single flight), with the new pair
//! persisted before the new access token is used, and a refresh token never sent twice.

use std::sync::Arc;

use tokio::sync::Mutex;
use tracing::{debug, warn};

use super::grant::AppAuth;
use crate::config::Config;
use crate::store::TokenStore;
use crate::token::TokenKind;
use crate::{Error, Result, Secret, Token};

pub(crate) struct Tokens {
    store: Arc<dyn TokenStore>,
    current: Mutex<Option<Token>>,
    pub(crate) app: AppAuth,
    margin: i64,
}

impl Tokens {
    pub fn new(
        store: Arc<dyn TokenStore>,
        secret: Option<Secret>,
        config: &Config,
        http: reqwest::Client,
    ) -> Self {
        let token_url = config
            .auth_base
            .join("oauth/token")
            .unwrap_or_else(|_| config.auth_base.clone());
        Self {
            store,
            current: Mutex::new(None),
            app: AppAuth {
                client_id: config.client_id.clone(),
                client_secret: secret,
                token_url,
                http,
            },
            margin: config.refresh_margin.as_secs() as i64,
        }
    }

    /// A valid access token: the cached one, else the store's, else a refreshed or new one.
    pub async fn access_token(&self) -> Result<Secret> {
        let mut cur = self.current.lock().await;
        if let Some(t) = cur.as_ref().filter(|t| t.is_fresh(self.margin)) {
            return Ok(t.access_token.clone());
        }
        self.renew(&mut cur, None).await
    }

    /// The API answered 401 to `used`: refresh once, unless someone already did.
    pub async fn rejected(&self, used: &Secret) -> Result<()> {
        let mut cur = self.current.lock().await;
        if cur
            .as_ref()
            .is_some_and(|t| &t.access_token != used && t.is_fresh(self.margin))
        {
            return Ok(());
        }
        self.renew(&mut cur, Some(used)).await.map(drop)
    }

    /// Stores a token obtained by a flow (persisted before it is used).
    pub async fn install(&self, token: Token) -> Result<()> {
        let mut cur = self.current.lock().await;
        let _lock = self.cross_process_lock().await?;
        self.store.save(&token)?;
        *cur = Some(token);
        Ok(())
    }

    /// The current token, if any (from memory or the store).
    pub async fn current(&self) -> Result<Option<Token>> {
        let mut cur = self.current.lock().await;
        if cur.is_none() {
            *cur = self.stored()?;
        }
        Ok(cur.clone())
    }

    /// Forgets the token everywhere.
    pub async fn forget(&self) -> Result<()> {
        let mut cur = self.current.lock().await;
        let _lock = self.cross_process_lock().await?;
        self.store.clear()?;
        *cur = None;
        Ok(())
    }

    async fn cross_process_lock(&self) -> Result<crate::store::StoreLock> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.lock())
            .await
            .map_err(|e| {
                Error::io(
                    "waiting for the token store lock",
                    std::io::Error::other(e.to_string()),
                )
            })?
    }

    /// The store's token if it belongs to this app.
    fn stored(&self) -> Result<Option<Token>> {
        Ok(self
            .store
            .load()?
            .filter(|t| t.client_id == self.app.client_id))
    }

    /// Slow path, with the in-process lock held: take the cross-process lock, reuse a token
    /// another process refreshed meanwhile, else refresh or fetch one and persist it first.
    async fn renew(&self, cur: &mut Option<Token>, rejected: Option<&Secret>) -> Result<Secret> {
        let _lock = self.cross_process_lock().await?;
        let stored = self.stored()?;
        if let Some(t) = stored.as_ref() {
            let was_rejected = rejected.is_some_and(|r| r == &t.access_token);
            if t.is_fresh(self.margin) && !was_rejected {
                debug!("reusing the stored token");
                *cur = stored.clone();
                return Ok(t.access_token.clone());
            }
        }
        let base = stored.or_else(|| cur.clone());
        let new = self.obtain(base.as_ref()).await?;
        // Persist before use: a crash now still leaves a usable token on disk.
        self.store.save(&new)?;
        let access = new.access_token.clone();
        *cur = Some(new);
        Ok(access)
    }

    async fn obtain(&self, old: Option<&Token>) -> Result<Token> {
        let kind = old.map_or(TokenKind::App, |t| t.kind);
        if let Some(rt) = old.and_then(|t| t.refresh_token.clone()) {
            debug!(?kind, "refreshing the access token");
            match self.app.refresh(&rt, kind).await {
                Ok(t) => return Ok(t),
                Err(Error::Network {
                    retryable: true,
                    url,
                    message,
                }) => {
                    // Not sent: the refresh token is still good for a later try.
                    return Err(Error::Network {
                        url,
                        message,
                        retryable: true,
                    });
                }
                Err(e) => {
                    // invalid_grant, or an answer we cannot trust (the token may have been
                    // consumed): never send this refresh token again.
                    warn!(error = %e, "refresh failed; the refresh token is dropped");
                    if let Some(old) = old {
                        let mut spent = old.clone();
                        spent.refresh_token = None;
                        spent.expires_at = 0;
                        self.store.save(&spent)?;
                    }
                    if kind == TokenKind::User {
                        return Err(match e {
                            Error::OAuth { .. } => {
                                Error::NotSignedIn("the saved sign-in was revoked or expired")
                            }
                            other => other,
                        });
                    }
                }
            }
        } else if kind == TokenKind::User && old.is_some() {
            return Err(Error::NotSignedIn(
                "the user token expired and came without a refresh token",
            ));
        }
        if self.app.client_secret.is_none() {
            return Err(Error::NotSignedIn(
                "no token is stored and no client secret is configured",
            ));
        }
        debug!("requesting a client-credentials token");
        self.app.client_credentials().await
    }
}
