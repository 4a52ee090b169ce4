//! The running emulator: four loopback origins sharing one state.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::faults::{self, Fault, Faults};
use crate::log::{LoggedRequest, Origin, RequestLog};
use crate::model::Store;
use crate::oauth::{GrantCounts, OAuthState};
use crate::render::Origins;
use crate::signing::Signer;

/// State every handler shares.
pub struct Shared {
    pub config: Mutex<EmulatorConfig>,
    pub origins: Origins,
    pub auth_base: String,
    pub web_base: String,
    pub store: Mutex<Store>,
    pub oauth: Mutex<OAuthState>,
    pub faults: Faults,
    pub log: RequestLog,
    pub signer: Signer,
    pub started: Instant,
}

/// Locks a mutex, recovering the data if a handler panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn config(&self) -> EmulatorConfig {
        lock(&self.config).clone()
    }
}

pub type AppState = Arc<Shared>;

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(Instant::now().elapsed().as_nanos());
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    key
}

/// A running emulator. Dropping it stops every origin.
pub struct Emulator {
    shared: AppState,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("api_base", &self.api_base())
            .field("auth_base", &self.auth_base())
            .field("cdn_base", &self.cdn_base())
            .field("web_base", &self.web_base())
            .finish()
    }
}

async fn record(
    State((shared, origin)): State<(AppState, Origin)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let at = shared.started.elapsed();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let authorization = req.headers().contains_key(header::AUTHORIZATION);
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let kinds = shared.faults.take(origin, &path);
    let resp = match faults::before(&kinds).await {
        Some(r) => r,
        None => next.run(req).await,
    };
    shared.log.push(LoggedRequest {
        origin,
        method,
        path,
        query,
        status: resp.status().as_u16(),
        at,
        connection: peer,
        authorization,
        range,
    });
    faults::after(&kinds, resp)
}

async fn serve(
    listener: TcpListener,
    router: Router<AppState>,
    shared: AppState,
    origin: Origin,
) -> JoinHandle<()> {
    let app = router
        .layer(middleware::from_fn_with_state(
            (shared.clone(), origin),
            record,
        ))
        .with_state(shared);
    tokio::spawn(async move {
        let svc = app.into_make_service_with_connect_info::<SocketAddr>();
        // The server only ends when the emulator is dropped (its task is aborted).
        let _ = axum::serve(listener, svc).await;
    })
}

fn base(listener: &TcpListener) -> std::io::Result<String> {
    Ok(format!("http://{}", listener.local_addr()?))
}

impl Emulator {
    /// Starts every origin on `127.0.0.1` with a freshly seeded catalog.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let api = TcpListener::bind(("127.0.0.1", config.api_port)).await?;
        let auth = TcpListener::bind(("127.0.0.1", 0)).await?;
        let cdn = TcpListener::bind(("127.0.0.1", 0)).await?;
        let web = TcpListener::bind(("127.0.0.1", 0)).await?;
        let shared = Arc::new(Shared {
            origins: Origins {
                api: base(&api)?,
                cdn: base(&cdn)?,
            },
            auth_base: base(&auth)?,
            web_base: base(&web)?,
            store: Mutex::new(crate::seed::seed()),
            oauth: Mutex::new(OAuthState::default()),
            faults: Faults::default(),
            log: RequestLog::default(),
            signer: Signer::new(random_key()),
            started: Instant::now(),
            config: Mutex::new(config),
        });
        let tasks = vec![
            serve(api, crate::api::router(), shared.clone(), Origin::Api).await,
            serve(auth, crate::oauth::router(), shared.clone(), Origin::Auth).await,
            serve(cdn, crate::cdn::router(), shared.clone(), Origin::Cdn).await,
            serve(web, crate::api::web_router(), shared.clone(), Origin::Web).await,
        ];
        Ok(Self { shared, tasks })
    }

    /// The API origin, e.g. `http://127.0.0.1:40123` (stands for `https://api.soundcloud.com`).
    pub fn api_base(&self) -> &str {
        &self.shared.origins.api
    }

    /// The OAuth origin (stands for `https://secure.soundcloud.com`).
    pub fn auth_base(&self) -> &str {
        &self.shared.auth_base
    }

    /// The media CDN origin; reachable only through signed URLs.
    pub fn cdn_base(&self) -> &str {
        &self.shared.origins.cdn
    }

    /// The public site's origin (stands for `https://soundcloud.com`; serves `/oembed`).
    pub fn web_base(&self) -> &str {
        &self.shared.web_base
    }

    /// The current configuration.
    pub fn config(&self) -> EmulatorConfig {
        self.shared.config()
    }

    /// Changes the configuration of the running emulator (token lifetimes, limits, …).
    pub fn update_config(&self, f: impl FnOnce(&mut EmulatorConfig)) {
        f(&mut lock(&self.shared.config));
    }

    /// Adds a fault.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults.add(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every request served so far, in arrival order of their completion.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// How many tokens each grant type has issued (and refusals tests care about).
    pub fn grants(&self) -> GrantCounts {
        lock(&self.shared.oauth).counts
    }

    /// Makes every access token issued so far expire now (refresh tokens stay valid).
    pub fn expire_access_tokens(&self) {
        lock(&self.shared.oauth).expire_all(Instant::now());
    }

    /// Signs a CDN path the way the `/streams` hop does, valid for `ttl`.
    pub fn sign_cdn_path(&self, path: &str, ttl: Duration) -> String {
        let expires = crate::time::unix_now() + ttl.as_secs() as i64;
        format!(
            "{}{path}?{}",
            self.cdn_base(),
            self.shared.signer.query(path, expires)
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
