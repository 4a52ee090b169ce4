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

use crate::config::EmulatorConfig;
use crate::faults::{self, Fault, Faults};
use crate::log::{LoggedRequest, Origin, RequestLog};
use crate::model::Store;
use crate::oauth::{GrantCounts, OAuthState};
use crate::render::Origins;
use crate::signing::{CdnClock, Signer};

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
    pub cdn_clock: CdnClock,
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

/// A running emulator. Dropping it stops every origin and closes every connection.
pub struct Emulator {
    shared: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
    shared.log.arrived(origin, &path);
    let kinds = shared.faults.take(origin, &path);
    let resp = match faults::before(&kinds).await {
        Some(r) => r,
        None => {
            let resp = next.run(req).await;
            faults::handled(&kinds).await;
            resp
        }
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

fn app(router: Router<AppState>, shared: AppState, origin: Origin) -> Router {
    router
        .layer(middleware::from_fn_with_state(
            (shared.clone(), origin),
            record,
        ))
        .with_state(shared)
}

fn bind(port: u16) -> std::io::Result<(std::net::TcpListener, String)> {
    let l = std::net::TcpListener::bind(("127.0.0.1", port))?;
    l.set_nonblocking(true)?;
    let base = format!("http://{}", l.local_addr()?);
    Ok((l, base))
}

impl Emulator {
    /// Starts every origin on `127.0.0.1` with a freshly seeded catalog. The servers run on
    /// their own threads; dropping the emulator closes every connection at once, as a service
    /// that went away would.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let (api, api_base) = bind(config.api_port)?;
        let (auth, auth_base) = bind(0)?;
        let (cdn, cdn_base) = bind(0)?;
        let (web, web_base) = bind(0)?;
        let shared = Arc::new(Shared {
            origins: Origins {
                api: api_base,
                cdn: cdn_base,
            },
            auth_base,
            web_base,
            store: Mutex::new(crate::seed::seed()),
            oauth: Mutex::new(OAuthState::default()),
            faults: Faults::default(),
            log: RequestLog::default(),
            signer: Signer::new(random_key()),
            cdn_clock: CdnClock::default(),
            started: Instant::now(),
            config: Mutex::new(config),
        });
        let apps = vec![
            (api, app(crate::api::router(), shared.clone(), Origin::Api)),
            (
                auth,
                app(crate::oauth::router(), shared.clone(), Origin::Auth),
            ),
            (cdn, app(crate::cdn::router(), shared.clone(), Origin::Cdn)),
            (
                web,
                app(crate::api::web_router(), shared.clone(), Origin::Web),
            ),
        ];
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("scplay-emulator")
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("scplay-emulator".into())
            .spawn(move || {
                rt.block_on(async move {
                    for (listener, app) in apps {
                        let listener = match TcpListener::from_std(listener) {
                            Ok(l) => l,
                            Err(e) => {
                                let _ = ready_tx.send(Err(e));
                                return;
                            }
                        };
                        tokio::spawn(async move {
                            let svc = app.into_make_service_with_connect_info::<SocketAddr>();
                            let _ = axum::serve(listener, svc).await;
                        });
                    }
                    let _ = ready_tx.send(Ok(()));
                    let _ = stop_rx.await;
                });
                // Dropping the runtime ends every task: listeners and open connections alike.
                drop(rt);
            })?;
        ready_rx
            .await
            .map_err(|_| std::io::Error::other("the emulator thread ended early"))??;
        Ok(Self {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
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

    /// The origin and path of every request so far, as they arrived (before any fault held
    /// them back or they completed).
    pub fn arrivals(&self) -> Vec<(Origin, String)> {
        self.shared.log.arrivals()
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

    /// Makes every CDN URL signed so far expire now (as if their lifetime had passed); URLs
    /// signed afterwards are valid.
    pub fn expire_cdn_urls(&self) {
        self.shared.cdn_clock.expire_all();
    }

    /// Signs a CDN path the way the `/streams` hop does, valid for `ttl`.
    pub fn sign_cdn_path(&self, path: &str, ttl: Duration) -> String {
        let expires = self.shared.cdn_clock.expiry(ttl);
        format!(
            "{}{path}?{}",
            self.cdn_base(),
            self.shared.signer.query(path, expires)
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
