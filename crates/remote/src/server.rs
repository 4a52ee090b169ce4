//! The router: routes, the bearer check, limits, the event stream and the page.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use scplay_core::Client;
use scplay_player::Player;
use tokio::sync::{Semaphore, broadcast, watch};

use crate::api::{self, error};
use crate::hub::Hub;
use crate::options::BearerToken;

/// The page: one HTML file with its CSS and script inline, no external assets.
const PAGE: &str = include_str!("page.html");

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    pub player: Arc<Player>,
    pub client: Option<Client>,
    pub hub: Arc<Hub>,
    pub quit: Arc<watch::Sender<bool>>,
    /// Ends event streams when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Open event streams hold a permit.
    pub streams: Arc<Semaphore>,
    pub opts_streams: usize,
    pub keep_alive: Duration,
    pub token: Option<BearerToken>,
    pub request_timeout: Duration,
}

/// The whole service.
pub(crate) fn router(app: App, max_body: usize) -> Router {
    let bounded = Router::new()
        .route("/api/status", get(api::status))
        .route("/api/play", post(api::play))
        .route("/api/enqueue", post(api::enqueue))
        .route("/api/pause", post(api::pause))
        .route("/api/resume", post(api::resume))
        .route("/api/stop", post(api::stop))
        .route("/api/next", post(api::next))
        .route("/api/previous", post(api::previous))
        .route("/api/seek", post(api::seek))
        .route("/api/volume", post(api::volume))
        .route("/api/repeat", post(api::repeat))
        .route("/api/quit", post(api::quit))
        .route("/metrics", get(api::metrics))
        .route_layer(middleware::from_fn_with_state(app.clone(), within_time));
    Router::new()
        .merge(bounded)
        .route("/api/events", get(events))
        .route("/", get(page))
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), authorized))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn(close_after_refused_body))
        .with_state(app)
}

/// A request whose body is refused (too large, unauthorised, a wrong path or method) may
/// leave that body unread, and the server then closes the connection: the answer says so
/// (`Connection: close`), or the client would send its next request on a connection that
/// is closing and see it fail.
async fn close_after_refused_body(req: Request, next: Next) -> Response {
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let mut r = next.run(req).await;
    if has_body && (r.status().is_client_error() || r.status().is_server_error()) {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// `GET /`.
async fn page() -> Response {
    let mut r = Html(PAGE).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src * data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        ),
    );
    r
}

/// Answers are live: nothing is cached.
async fn no_store(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// With a token, every request but `GET /` must carry `Authorization: Bearer TOKEN`
/// (else 401, unknown paths included: nothing shows what is served).
async fn authorized(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(token) = &app.token else {
        return next.run(req).await;
    };
    // The page holds no data: it asks for the token itself (see page.html).
    if req.uri().path() == "/" && req.method() == axum::http::Method::GET {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(p) if token.matches(p.trim()) => next.run(req).await,
        _ => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                None,
                "a valid Authorization: Bearer token is needed",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scplay\""),
            );
            r
        }
    }
}

/// A request (its body included) that takes longer than `request_timeout` gets 408.
async fn within_time(State(app): State<App>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(app.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            None,
            "the request took too long",
        ),
    }
}

/// `GET /api/events`: one `data:` JSON line per player event, keep-alive comments between.
async fn events(State(app): State<App>) -> Response {
    let Ok(permit) = app.streams.clone().try_acquire_owned() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "too many event streams are open",
        );
    };
    let rx = app.hub.lines.subscribe();
    let stream = lines(rx, app.shutdown.clone(), permit);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(app.keep_alive))
        .into_response()
}

/// The stream of one client: ends when the server shuts down (or the player is gone).
fn lines(
    rx: broadcast::Receiver<Arc<str>>,
    shutdown: watch::Receiver<bool>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(
        (rx, shutdown, permit),
        |(mut rx, mut shutdown, permit)| async move {
            loop {
                if *shutdown.borrow() {
                    return None;
                }
                tokio::select! {
                    got = rx.recv() => match got {
                        Ok(line) => {
                            let e = Event::default().data(&*line);
                            return Some((Ok(e), (rx, shutdown, permit)));
                        }
                        // Too far behind: the oldest were dropped; go on with the rest.
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    changed = shutdown.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                }
            }
        },
    )
}
