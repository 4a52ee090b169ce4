//! # scplay-remote
//!
//! The remote control of an scplay [`Player`]: an HTTP API, Server-Sent Events, Prometheus
//! metrics and a page for a phone, served on tokio with axum. `play --control` uses it;
//! any application embedding the player can too.
//!
//! ```no_run
//! use std::sync::Arc;
//! use scplay_player::{Player, PlayerOptions, Sink};
//! use scplay_remote::{Remote, RemoteOptions};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let player = Arc::new(Player::new(None, Sink::Null, PlayerOptions::default())?);
//! let remote = Remote::start(player.clone(), None, RemoteOptions::default()).await?;
//! eprintln!("remote control on {}", remote.url());
//! remote.quit_requested().await; // POST /api/quit
//! remote.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /` | the remote page (HTML, CSS and script inline; no external assets) |
//! | `GET /api/status` | `{"state", "position", "duration", "volume", "track", "queue": {"index", "length"}, "repeat", "shuffle"}` ([`json::status`]) |
//! | `POST /api/play` `{"target": T}` | replaces the queue with `T` (URL, URN, id or media URL) |
//! | `POST /api/enqueue` `{"target": T}` | adds `T` at the end (an idle player starts) |
//! | `POST /api/pause`, `/resume`, `/stop`, `/next`, `/previous` | the command |
//! | `POST /api/seek` `{"position": seconds}` | seeks (0 to 86400) |
//! | `POST /api/volume` `{"volume": v}` | volume, 0 to 1 |
//! | `POST /api/repeat` `{"mode": "off" \| "one" \| "all"}` | repeat mode |
//! | `POST /api/quit` | [`Remote::quit_requested`] completes |
//! | `GET /api/events` | Server-Sent Events: one `data:` line per player event, in `play --json`'s shape ([`json::event`]), keep-alive comments between |
//! | `GET /metrics` | Prometheus text format 0.0.4, every name `scplay_*` ([`metrics`]) |
//!
//! Commands answer `{"ok": true}` at once; the engine applies them within milliseconds.
//! Errors are JSON, `{"error": "...", "field": "volume"}`: 400 for bad JSON or a bad value
//! (naming the field, or `body`), 401 without the bearer token when one is set, 404 for an
//! unknown path, 408 for a request slower than [`RemoteOptions::request_timeout`], 413 for a
//! body over [`RemoteOptions::max_body_bytes`], 503 past
//! [`RemoteOptions::max_event_streams`]. An error answer to a request with a body says
//! `Connection: close` (the body may be left unread), so the client opens a new connection.
//!
//! Security: without a [`BearerToken`] the remote listens on loopback only ([`Remote::start`]
//! refuses any other address). With one, every request except `GET /` needs
//! `Authorization: Bearer TOKEN`; the page holds no data and asks for the token itself (or
//! takes it from its address's fragment, `/#token=…`, which browsers never send).

mod api;
mod error;
mod hub;
pub mod json;
mod listener;
pub mod metrics;
mod options;
mod server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use scplay_core::Client;
use scplay_player::Player;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

pub use error::RemoteError;
pub use options::{BearerToken, RemoteOptions};

/// A running remote. Dropping it stops serving (see [`Remote::shutdown`] to wait for it).
pub struct Remote {
    addr: SocketAddr,
    quit: Arc<watch::Sender<bool>>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    grace: Duration,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// Serves `player` on `opts.addr` (on the current tokio runtime) until shut down.
    /// `client`, when given, is the one the player uses: its token renewals are counted in
    /// the metrics. Fails at once when the address is not loopback and no token is set, or
    /// cannot be bound.
    pub async fn start(
        player: Arc<Player>,
        client: Option<Client>,
        opts: RemoteOptions,
    ) -> Result<Self, RemoteError> {
        if opts.token.is_none() && !opts.addr.ip().is_loopback() {
            return Err(RemoteError::TokenRequired(opts.addr));
        }
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .map_err(|source| RemoteError::Bind {
                addr: opts.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| RemoteError::Bind {
            addr: opts.addr,
            source,
        })?;
        let hub = hub::Hub::start(&player)?;
        let (quit, _) = watch::channel(false);
        let quit = Arc::new(quit);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let app = server::App {
            player,
            client,
            hub,
            quit: quit.clone(),
            shutdown: shutdown_rx.clone(),
            streams: Arc::new(Semaphore::new(opts.max_event_streams)),
            opts_streams: opts.max_event_streams,
            keep_alive: opts.keep_alive,
            token: opts.token.clone(),
            request_timeout: opts.request_timeout,
        };
        let router = server::router(app, opts.max_body_bytes);
        let bounded = listener::Bounded {
            inner: listener,
            slots: Arc::new(Semaphore::new(opts.max_connections.max(1))),
            idle: opts.idle_timeout,
        };
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            let served = axum::serve(bounded, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the remote control stopped serving");
            }
        });
        Ok(Self {
            addr,
            quit,
            shutdown,
            task: Some(task),
            grace: opts.request_timeout,
        })
    }

    /// The address it listens on (with the port picked when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL, `http://ADDR:PORT/` (an unspecified address shows as loopback).
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}/")
    }

    /// Completes when a client has asked to quit (`POST /api/quit`). The remote goes on
    /// serving: ending is the caller's decision.
    pub fn quit_requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.quit.subscribe();
        async move {
            let _ = rx.wait_for(|q| *q).await;
        }
    }

    /// Stops serving: event streams end, requests under way finish (for at most the
    /// request timeout), then the server is gone and no longer holds the player.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(self.grace, &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
