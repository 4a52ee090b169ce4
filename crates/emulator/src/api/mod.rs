//! The public API origin: auth, query helpers, pagination, CORS/JSONP, and the routes.

mod me;
mod playlists;
mod resolve;
mod social;
mod streams;
mod tracks;
mod upload;
mod users;

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult, ErrorShape, json_errors, json_response};
use crate::model::{Access, Track};
use crate::server::{AppState, Shared, lock};

/// The API routes (every operation of the spec, plus `/resolve` and the stream hop).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(me::routes())
        .merge(users::routes())
        .merge(tracks::routes())
        .merge(playlists::routes())
        .merge(social::routes())
        .merge(streams::routes())
        .route("/resolve", get(resolve::resolve))
        .route("/sign-out", post(crate::oauth::api_sign_out))
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(ErrorShape::Api, json_errors))
        .layer(middleware::from_fn(cors_jsonp))
}

/// The public site's routes (`/oembed`).
pub fn web_router() -> Router<AppState> {
    Router::new()
        .route("/oembed", get(resolve::oembed))
        .layer(middleware::from_fn_with_state(ErrorShape::Api, json_errors))
}

/// Query parameters in order (repeated keys kept).
#[derive(Debug, Default)]
pub struct Q(pub Vec<(String, String)>);

impl Q {
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut out = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = crate::oauth::percent_decode(k);
            let v = crate::oauth::percent_decode(v);
            match (k, v) {
                (Some(k), Some(v)) => out.push((k, v)),
                _ => return Err(ApiError::bad_request("malformed query string")),
            }
        }
        Ok(Self(out))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter (`true`/`false`/`1`/`0`), `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(_) => Err(ApiError::bad_request(format!(
                "{key} must be true or false"
            ))),
        }
    }

    /// A comma-separated list parameter.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The signed-in user, for authorization-code tokens; `None` for client credentials.
    pub user: Option<u64>,
}

impl Viewer {
    /// The user, or 401 for an app-only (client-credentials) token.
    pub fn require_user(&self) -> Result<u64, ApiError> {
        self.user.ok_or_else(ApiError::unauthorized)
    }
}

/// Checks `Authorization: OAuth …` (or `Bearer …`).
pub fn viewer(s: &Shared, headers: &HeaderMap) -> Result<Viewer, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::unauthorized)?;
    let token = value
        .strip_prefix("OAuth ")
        .or_else(|| value.strip_prefix("Bearer "))
        .ok_or_else(ApiError::unauthorized)?;
    let t = lock(&s.oauth)
        .validate(token.trim(), Instant::now())
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Viewer { user: t.user })
}

/// Parses a URN (`soundcloud:tracks:123`) or a bare numeric id of `kind`.
pub fn parse_id(raw: &str, kind: &str) -> Option<u64> {
    let raw = raw.trim();
    let num = match raw.strip_prefix("soundcloud:") {
        Some(rest) => rest.strip_prefix(kind)?.strip_prefix(':')?,
        None => raw,
    };
    num.parse().ok()
}

/// Like [`parse_id`], answering 404 for anything else.
pub fn id_or_404(raw: &str, kind: &str) -> Result<u64, ApiError> {
    parse_id(raw, kind).ok_or_else(ApiError::not_found)
}

/// The `access` filter: which access levels to include.
pub fn access_filter(q: &Q, default_all: bool) -> Result<Vec<Access>, ApiError> {
    match q.list("access") {
        None => Ok(if default_all {
            vec![Access::Playable, Access::Preview, Access::Blocked]
        } else {
            vec![Access::Playable, Access::Preview]
        }),
        Some(list) => list
            .iter()
            .map(|a| {
                Access::parse(a).ok_or_else(|| {
                    ApiError::bad_request("access must be a list of playable, preview, blocked")
                })
            })
            .collect(),
    }
}

/// Tracks passing an access filter.
pub fn with_access<'a>(
    tracks: impl IntoIterator<Item = &'a Track>,
    access: &[Access],
) -> Vec<&'a Track> {
    tracks
        .into_iter()
        .filter(|t| access.contains(&t.access))
        .collect()
}

/// Reads `limit` (default 50, at most 200) and the cursor (`cursor`, or deprecated `offset`).
fn page_window(q: &Q) -> Result<(usize, usize), ApiError> {
    let limit = match q.get("limit").or_else(|| q.get("page_size")) {
        None => 50,
        Some(v) => match v.parse::<usize>() {
            Ok(0) | Err(_) => {
                return Err(ApiError::bad_request(
                    "limit must be an integer from 1 to 200",
                ));
            }
            Ok(n) => n.min(200),
        },
    };
    let start = match q.get("cursor").or_else(|| q.get("offset")) {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request("invalid cursor"))?,
    };
    Ok((limit, start))
}

/// How a collection answers without `linked_partitioning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// The spec's `Tracks`/`Playlists`: a bare array (deprecated, as the live service still
    /// serves it) unless `linked_partitioning` asks for the object.
    ArrayUnlessLinked,
    /// The spec's `Users`/`Comments`: always `{collection, next_href}`.
    Object,
}

/// A collection response: `{collection, next_href}`, or for [`Listing::ArrayUnlessLinked`]
/// without `linked_partitioning` a bare array.
pub fn page(s: &Shared, path: &str, q: &Q, items: Vec<Value>, listing: Listing) -> ApiResult {
    let (limit, start) = page_window(q)?;
    let linked = q.flag("linked_partitioning", false)?;
    let total = items.len();
    let end = (start + limit).min(total);
    let slice: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    if !linked && listing == Listing::ArrayUnlessLinked {
        return Ok(json_response(StatusCode::OK, &Value::Array(slice)));
    }
    let mut body = json!({ "collection": slice });
    // As the guide says: no `next_href` on the last page.
    if end < total {
        body["next_href"] = json!(next_href(s, path, q, limit, end));
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// The cursor link to the page starting at `next`.
pub fn next_href(s: &Shared, path: &str, q: &Q, limit: usize, next: usize) -> String {
    let cfg = s.config();
    let origin = cfg
        .next_href_origin
        .unwrap_or_else(|| s.origins.api.clone());
    let next = if cfg.repeat_next_href { limit } else { next };
    let mut href = format!("{origin}{path}?");
    for (k, v) in &q.0 {
        if ![
            "limit",
            "page_size",
            "cursor",
            "offset",
            "linked_partitioning",
            "callback",
        ]
        .contains(&k.as_str())
        {
            href.push_str(&format!("{}={}&", enc(k), enc(v)));
        }
    }
    href.push_str(&format!(
        "page_size={limit}&linked_partitioning=true&cursor={next}"
    ));
    href
}

/// Percent-encodes a query component.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A JSON 200.
pub fn ok(v: &Value) -> ApiResult {
    Ok(json_response(StatusCode::OK, v))
}

/// A JSON 201.
pub fn created(v: &Value) -> ApiResult {
    Ok(json_response(StatusCode::CREATED, v))
}

/// A 302 with `Location` and the live service's `{"status":"302 - Found","location":…}` body.
pub fn found(location: &str) -> ApiResult {
    let mut r = json_response(
        StatusCode::FOUND,
        &json!({"status": "302 - Found", "location": location}),
    );
    let v = HeaderValue::from_str(location).map_err(|_| ApiError::not_found())?;
    r.headers_mut().insert(header::LOCATION, v);
    Ok(r)
}

fn valid_callback(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
}

/// CORS on every response, preflight answers, and JSONP wrapping for `callback=`.
async fn cors_jsonp(req: Request, next: Next) -> Response {
    let callback = Q::parse(req.uri().query())
        .ok()
        .and_then(|q| q.get("callback").map(str::to_string))
        .filter(|c| valid_callback(c));
    let mut resp = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    if let Some(cb) = callback {
        let is_json = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, 64 << 20)
                .await
                .unwrap_or_default();
            let wrapped = format!("/**/{cb}({});", String::from_utf8_lossy(&bytes));
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            resp = Response::from_parts(parts, Body::from(wrapped));
        }
    }
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type, Accept"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Location, Retry-After"),
    );
    resp
}

/// An authenticated API call: the state, the caller, the parsed query and the request path.
/// Extracting it answers 401 (no or bad token) or 400 (malformed query) before the handler runs.
pub struct Call {
    pub s: AppState,
    pub v: Viewer,
    pub q: Q,
    pub path: String,
}

impl axum::extract::FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let v = viewer(state, &parts.headers)?;
        let q = Q::parse(parts.uri.query())?;
        Ok(Call {
            s: state.clone(),
            v,
            q,
            path: parts.uri.path().to_string(),
        })
    }
}
