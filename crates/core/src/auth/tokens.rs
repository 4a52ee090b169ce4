//! The one token mechanism every flow feeds: the current token, refreshed shortly before
//! expiry and once on a 401, by exactly one task at a time (single flight), with the new pair
//! persisted before the new access token is used, and a refresh token never sent twice.
//!
//! The rules for a token endpoint that misbehaves:
//!
//! - **Renewals run in a task of their own.** The task holds the in-process mutex and the
//!   store's cross-process lock, obtains the pair and saves it. A caller whose future is
//!   dropped (a timeout, `select!`) only stops waiting: a rotation the server carried out is
//!   still saved, and the next caller gets the new pair.
//! - **A refusal is not a spend.** A 429, a 503 or a connection never made leaves the refresh
//!   token unspent: it is kept for a later try and the error returned (or, while the access
//!   token has not expired yet, that token is used). Only an answer that may mean the token
//!   was consumed (`invalid_grant`, a lost or late answer, a 5xx other than 503) retires it.
//! - **A pair that cannot be saved is kept.** When saving a new pair fails (a read-only or
//!   full card), the pair stays in memory and is used; a `warn!` (without secrets) says so,
//!   and the save is tried again (at most every [`TokenStore::retry_interval`], and before
//!   the next renewal, which then spends the new refresh token, not the stale one on disk). Only
//!   [`Tokens::install`] (an explicit sign-in or `set_token`) also returns the save's error.
//! - **Every grant attempt is bounded** by the client's timeout and retry policy, so the locks
//!   are released within [`crate::Config::give_up_time`].
//! - **An unreachable shared store is not an outage** ([`Error::StoreUnavailable`]): the
//!   token held is used until it expires while the store is tried again with a doubling
//!   wait; then, at most once per token lifetime, a client-credentials token is fetched
//!   locally (logged, counted) and saved when the store is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OwnedMutexGuard};
use tracing::{debug, info, warn};

use super::grant::{AppAuth, refused_unprocessed};
use crate::config::Config;
use crate::store::{FleetEvent, TokenStore};
use crate::token::{TokenKind, now_unix};
use crate::{Error, Result, Secret, Token};

/// An access token to send, and whom it acts for.
pub(crate) struct Access {
    pub secret: Secret,
    pub kind: TokenKind,
}

impl Access {
    fn of(t: &Token) -> Self {
        Self {
            secret: t.access_token.clone(),
            kind: t.kind,
        }
    }
}

/// What the in-process mutex guards.
#[derive(Default)]
struct Held {
    token: Option<Token>,
    /// `token` could not be saved: memory is ahead of the store.
    unsaved: bool,
    /// When the fast path may try that save again.
    next_save_try: Option<Instant>,
    /// The shared store was unreachable: when to try it again, and the wait after that.
    store_retry_at: Option<Instant>,
    store_backoff: Duration,
    /// The expiry of the token last fetched locally while the store was unreachable (no
    /// second local grant before it).
    local_grant_until: Option<i64>,
    /// A local grant not yet counted in the store (it is, once the store answers again).
    local_uncounted: bool,
}

pub(crate) struct Tokens {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn TokenStore>,
    held: Arc<Mutex<Held>>,
    app: AppAuth,
    margin: i64,
    /// Tokens fetched locally because the shared store was unreachable.
    local_grants: AtomicU64,
    /// New access tokens this process got from the token endpoint (refreshes and grants).
    renewals: AtomicU64,
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
            inner: Arc::new(Inner {
                store,
                held: Arc::new(Mutex::new(Held::default())),
                app: AppAuth {
                    client_id: config.client_id.clone(),
                    client_secret: secret,
                    token_url,
                    http,
                    timeout: config.timeout,
                    retry: config.retry.clone(),
                },
                margin: config.refresh_margin.as_secs() as i64,
                local_grants: AtomicU64::new(0),
                renewals: AtomicU64::new(0),
            }),
        }
    }

    /// The token endpoint's calls.
    pub fn app(&self) -> &AppAuth {
        &self.inner.app
    }

    /// The token store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.inner.store
    }

    /// How many tokens this process fetched locally because the shared store was down.
    pub fn local_grants(&self) -> u64 {
        self.inner.local_grants.load(Ordering::Relaxed)
    }

    /// How many new access tokens this process got from the token endpoint (refreshes and
    /// grants, local grants included; a token reused from the store is not one).
    pub fn renewals(&self) -> u64 {
        self.inner.renewals.load(Ordering::Relaxed)
    }

    /// A valid access token: the cached one, else the store's, else a refreshed or new one.
    pub async fn access_token(&self) -> Result<Access> {
        let mut held = self.inner.held.clone().lock_owned().await;
        if let Some(access) = held
            .token
            .as_ref()
            .filter(|t| t.is_fresh(self.inner.margin))
            .map(Access::of)
        {
            let now = Instant::now();
            if held.unsaved
                && held.next_save_try.is_none_or(|t| now >= t)
                && held.store_retry_at.is_none_or(|t| now >= t)
            {
                match self.inner.cross_process_lock().await {
                    Ok(_lock) => {
                        held.store_retry_at = None;
                        self.inner.save_again(&mut held);
                    }
                    Err(e) if e.is_store_unavailable() => {
                        self.inner.store_down(&mut held, &e);
                        held.next_save_try = held.store_retry_at;
                    }
                    Err(_) => held.next_save_try = Some(now + self.inner.store.retry_interval()),
                }
            }
            return Ok(access);
        }
        self.renew_detached(held, None).await
    }

    /// The API answered 401 to `used`: refresh once, unless someone already did.
    pub async fn rejected(&self, used: &Secret) -> Result<()> {
        let held = self.inner.held.clone().lock_owned().await;
        if held
            .token
            .as_ref()
            .is_some_and(|t| &t.access_token != used && t.is_fresh(self.inner.margin))
        {
            return Ok(());
        }
        info!("the API refused the access token (401); renewing it");
        self.renew_detached(held, Some(used.clone()))
            .await
            .map(drop)
    }

    /// Stores a token obtained by a flow (persisted before it is used). When the save fails
    /// the token is still kept in memory and used, and the error is returned.
    pub async fn install(&self, token: Token) -> Result<()> {
        let mut held = self.inner.held.lock().await;
        let _lock = self.inner.cross_process_lock().await?;
        let saved = self.inner.store.save(&token);
        held.token = Some(token);
        held.unsaved = saved.is_err();
        held.next_save_try = held
            .unsaved
            .then(|| Instant::now() + self.inner.store.retry_interval());
        saved
    }

    /// The current token, if any (from memory or the store).
    pub async fn current(&self) -> Result<Option<Token>> {
        let mut held = self.inner.held.lock().await;
        if held.token.is_none() {
            held.token = self.inner.stored()?;
        }
        Ok(held.token.clone())
    }

    /// Forgets the token everywhere.
    pub async fn forget(&self) -> Result<()> {
        let mut held = self.inner.held.lock().await;
        let _lock = self.inner.cross_process_lock().await?;
        self.inner.store.clear()?;
        *held = Held::default();
        Ok(())
    }

    /// Runs the renewal in a task that owns the in-process lock (and takes the cross-process
    /// one): if this caller is dropped, the task still finishes and saves what it obtained.
    async fn renew_detached(
        &self,
        held: OwnedMutexGuard<Held>,
        rejected: Option<Secret>,
    ) -> Result<Access> {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let mut held = held;
            inner.renew(&mut held, rejected.as_ref()).await
        });
        task.await.map_err(|e| {
            Error::io(
                "renewing the access token",
                std::io::Error::other(e.to_string()),
            )
        })?
    }
}

impl Inner {
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

    /// Saves `token` and makes it the current one; if the save fails it is current anyway,
    /// marked unsaved (and the failure logged).
    fn adopt(&self, held: &mut Held, token: Token) {
        held.token = Some(token);
        held.unsaved = true;
        held.next_save_try = None;
        self.save_again(held);
    }

    /// Tries to save the held token (the caller holds the cross-process lock).
    fn save_again(&self, held: &mut Held) {
        let Some(token) = held.token.as_ref() else {
            held.unsaved = false;
            return;
        };
        match self.store.save(token) {
            Ok(()) => {
                held.unsaved = false;
                held.next_save_try = None;
                if std::mem::take(&mut held.local_uncounted) {
                    self.record(FleetEvent::LocalGrant);
                }
            }
            Err(e) => {
                warn!(
                    error = %e,
                    "the token could not be saved; it is kept in memory and saved again later"
                );
                held.next_save_try = Some(Instant::now() + self.store.retry_interval());
            }
        }
    }

    /// Counts a renewal in a shared store (best effort: a count is not worth a failure).
    fn record(&self, event: FleetEvent) {
        if let Err(e) = self.store.record(event) {
            debug!(error = %e, ?event, "the renewal could not be counted");
        }
    }

    /// Notes that the shared store failed to answer: it is tried again after a wait that
    /// starts at the store's retry interval and doubles (up to 32 times that) while it fails.
    fn store_down(&self, held: &mut Held, error: &Error) {
        let now = Instant::now();
        if held.store_retry_at.is_some_and(|t| now < t) {
            return;
        }
        let first = self.store.retry_interval();
        held.store_backoff = if held.store_retry_at.is_none() {
            first
        } else {
            (held.store_backoff * 2).clamp(first, first * 32)
        };
        held.store_retry_at = Some(now + held.store_backoff);
        warn!(
            error = %error,
            retry_in_ms = held.store_backoff.as_millis() as u64,
            "the token store is unavailable; the held token is used meanwhile"
        );
    }

    /// The shared store is unreachable: use the held token until it expires (the store is
    /// tried again after a doubling wait), then fetch one locally, at most once per lifetime.
    async fn without_store(
        &self,
        held: &mut Held,
        rejected: Option<&Secret>,
        error: Error,
    ) -> Result<Access> {
        self.store_down(held, &error);
        if let Some(t) = held
            .token
            .as_ref()
            .filter(|t| t.expires_at > now_unix() && rejected.is_none_or(|r| r != &t.access_token))
        {
            return Ok(Access::of(t));
        }
        let kind = held.token.as_ref().map_or(TokenKind::App, |t| t.kind);
        if kind == TokenKind::User
            || self.app.client_secret.is_none()
            || held.local_grant_until.is_some_and(|u| now_unix() < u)
        {
            return Err(error);
        }
        let new = self.app.client_credentials().await?;
        self.renewals.fetch_add(1, Ordering::Relaxed);
        let n = self.local_grants.fetch_add(1, Ordering::Relaxed) + 1;
        warn!(
            local_grants = n,
            "the token store is unavailable and the held token expired: fetched a token locally \
             (at most one per token lifetime; it is saved when the store is back)"
        );
        held.local_grant_until = Some(new.expires_at);
        held.local_uncounted = true;
        let access = Access::of(&new);
        held.token = Some(new);
        held.unsaved = true;
        held.next_save_try = held.store_retry_at;
        Ok(access)
    }

    /// Slow path, with the in-process lock held: take the cross-process lock, reuse a token
    /// another process refreshed meanwhile, else refresh or fetch one and persist it first.
    async fn renew(&self, held: &mut Held, rejected: Option<&Secret>) -> Result<Access> {
        if let Some(retry_at) = held.store_retry_at
            && Instant::now() < retry_at
        {
            let error = crate::Error::StoreUnavailable {
                context: "waiting to try the token store again".into(),
                source: std::io::Error::other("it was unreachable moments ago"),
            };
            return self.without_store(held, rejected, error).await;
        }
        let _lock = match self.cross_process_lock().await {
            Ok(lock) => lock,
            Err(e) if e.is_store_unavailable() => {
                return self.without_store(held, rejected, e).await;
            }
            Err(e) => return Err(e),
        };
        held.store_retry_at = None;
        if held.unsaved {
            self.save_again(held);
        }
        let base = if held.unsaved {
            // The store holds an older pair (its refresh token possibly spent): memory rules.
            held.token.clone()
        } else {
            let stored = match self.stored() {
                Ok(stored) => stored,
                Err(e) if e.is_store_unavailable() => {
                    return self.without_store(held, rejected, e).await;
                }
                Err(e) => return Err(e),
            };
            if let Some(t) = stored.as_ref() {
                let was_rejected = rejected.is_some_and(|r| r == &t.access_token);
                if t.is_fresh(self.margin) && !was_rejected {
                    debug!("reusing the stored token");
                    held.token = stored.clone();
                    return Ok(Access::of(t));
                }
            }
            stored.or_else(|| held.token.clone())
        };
        let kind = base.as_ref().map_or(TokenKind::App, |t| t.kind);
        if let Some(old) = base.as_ref()
            && let Some(rt) = old.refresh_token.clone()
        {
            info!(?kind, "renewing the access token with the refresh token");
            if let Err(e) = self.store.refreshing(&rt) {
                warn!(
                    error = %e,
                    "the refresh could not be marked in the store; refreshing anyway"
                );
            }
            match self.app.refresh(&rt, kind).await {
                Ok(new) => {
                    info!(
                        ?kind,
                        expires_in_s = new.expires_at - now_unix(),
                        "access token renewed"
                    );
                    let access = Access::of(&new);
                    self.renewals.fetch_add(1, Ordering::Relaxed);
                    self.adopt(held, new);
                    self.record(FleetEvent::Refresh);
                    return Ok(access);
                }
                Err(e) if refused_unprocessed(&e) => {
                    // Refused, not spent: keep the pair for a later try. An access token that
                    // has not expired (a refresh ahead of expiry) is still good to use.
                    warn!(error = %e, "the refresh was refused for now; the refresh token is kept");
                    if let Err(e) = self.store.refresh_kept() {
                        debug!(error = %e, "the refresh mark could not be removed");
                    }
                    let usable = old.expires_at > now_unix()
                        && rejected.is_none_or(|r| r != &old.access_token);
                    held.token = base.clone();
                    return if usable { Ok(Access::of(old)) } else { Err(e) };
                }
                Err(e) => {
                    // invalid_grant, or an answer we cannot trust (the token may have been
                    // consumed): never send this refresh token again.
                    warn!(error = %e, "refresh failed; the refresh token is dropped");
                    let mut spent = old.clone();
                    spent.refresh_token = None;
                    spent.expires_at = 0;
                    self.adopt(held, spent);
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
        } else if kind == TokenKind::User && base.is_some() {
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
        let new = self.app.client_credentials().await?;
        info!(
            expires_in_s = new.expires_at - now_unix(),
            "app token granted (client credentials)"
        );
        let access = Access::of(&new);
        self.renewals.fetch_add(1, Ordering::Relaxed);
        self.adopt(held, new);
        self.record(FleetEvent::Grant);
        Ok(access)
    }
}
