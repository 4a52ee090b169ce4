//! [`Client`] and its [`ClientBuilder`].

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::auth::tokens::Tokens;
use crate::config::{Config, RetryPolicy};
use crate::origin::check_base;
use crate::store::{MemoryStore, TokenStore};
use crate::{Error, Result, Secret};

/// The SoundCloud API client: cheap to clone (an `Arc` inside), safe to share across tasks.
///
/// ```no_run
/// # async fn run() -> scplay_core::Result<()> {
/// use scplay_core::{Client, FileStore};
/// let client = Client::builder()
///     .client_id("my-client-id")
///     .client_secret("my-client-secret")
///     .token_store(FileStore::new("soundcloud-token.json"))
///     .build()?;
/// // With no user token stored, public calls use a client-credentials token, fetched once
/// // and reused (and refreshed) across runs.
/// let track = client.track(308946187).await?;
/// println!("{}", track.title.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub config: Config,
    pub http: reqwest::Client,
    pub tokens: Tokens,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.inner.config.client_id)
            .field("api_base", &self.inner.config.api_base.as_str())
            .field("auth_base", &self.inner.config.auth_base.as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Setters never fail; [`ClientBuilder::build`] reports the first problem.
#[must_use]
#[derive(Debug)]
pub struct ClientBuilder {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    redirect_uri: Option<String>,
    api_base: String,
    auth_base: String,
    web_base: String,
    user_agent: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    refresh_margin: Duration,
    max_response_bytes: usize,
    store: Option<Arc<dyn TokenStore>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            redirect_uri: None,
            api_base: "https://api.soundcloud.com".into(),
            auth_base: "https://secure.soundcloud.com".into(),
            web_base: "https://soundcloud.com".into(),
            user_agent: concat!("scplay/", env!("CARGO_PKG_VERSION")).into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(60),
            max_response_bytes: 16 << 20,
            store: None,
        }
    }
}

impl ClientBuilder {
    /// The app's client id (required).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The app's client secret (needed for every grant: all apps are confidential).
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The registered redirect URI, for the authorization-code flow.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The API origin (default `https://api.soundcloud.com`).
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into();
        self
    }

    /// The OAuth origin (default `https://secure.soundcloud.com`).
    pub fn auth_base(mut self, base: impl Into<String>) -> Self {
        self.auth_base = base.into();
        self
    }

    /// The public site, for oEmbed (default `https://soundcloud.com`).
    pub fn web_base(mut self, base: impl Into<String>) -> Self {
        self.web_base = base.into();
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Whole-request timeout (default 30 s; uploads are not limited by it).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long before expiry the access token is refreshed (default 60 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The largest JSON response accepted, in bytes (default 16 MiB).
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Where tokens are kept (default: in memory only).
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`ClientBuilder::token_store`], for a store shared with other code.
    pub fn shared_token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let client_id = self
            .client_id
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::Config("client_id is required".into()))?;
        let parse = |name: &str, s: &str| -> Result<Url> {
            let mut u = Url::parse(s).map_err(|e| Error::Config(format!("{name}: {e}")))?;
            check_base(name, &u)?;
            // Bases are origins: paths are appended to them.
            u.set_query(None);
            u.set_fragment(None);
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
            Ok(u)
        };
        let config = Config {
            api_base: parse("api_base", &self.api_base)?,
            auth_base: parse("auth_base", &self.auth_base)?,
            web_base: parse("web_base", &self.web_base)?,
            client_id,
            redirect_uri: self.redirect_uri,
            user_agent: self.user_agent,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            retry: self.retry,
            refresh_margin: self.refresh_margin,
            max_response_bytes: self.max_response_bytes,
        };
        if [&config.api_base, &config.auth_base]
            .iter()
            .any(|u| u.scheme() == "https")
        {
            // Read while the caller goes on; the first request's handshake would wait for them.
            crate::tls::preload_roots();
        }
        let http = crate::tls::client_builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            // Redirects are followed by hand, so credentials never follow them off-origin.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        let tokens = Tokens::new(store, self.client_secret, &config, http.clone());
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                tokens,
            }),
        })
    }
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// `api_base` joined with `path` (which starts with `/`).
    pub(crate) fn api_url(&self, path: &str) -> Result<Url> {
        self.inner
            .config
            .api_base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::InvalidArgument(format!("bad path {path}: {e}")))
    }
}
