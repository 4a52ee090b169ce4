//! OAuth 2.1 as SoundCloud runs it: `/authorize` (PKCE S256 only), `/oauth/token`
//! (authorization_code, client_credentials by HTTP Basic only, single-use refresh tokens),
//! `/sign-out`, grant rate limits.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{App, RateLimit};
use crate::errors::{ErrorShape, json_errors, json_response};
use crate::server::{AppState, lock};

/// How many tokens each grant has issued, and refusals worth asserting on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrantCounts {
    /// Tokens issued for an authorization code.
    pub authorization_code: u32,
    /// Tokens issued for client credentials.
    pub client_credentials: u32,
    /// Tokens issued for a refresh token.
    pub refresh_token: u32,
    /// Refresh attempts with an already-used refresh token.
    pub refresh_token_reused: u32,
}

struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user: u64,
    expires: Instant,
}

/// An issued access token.
#[derive(Clone)]
pub struct AccessToken {
    pub user: Option<u64>,
    pub expires: Instant,
    pub session: u64,
}

struct RefreshToken {
    client_id: String,
    user: Option<u64>,
    session: u64,
    used: bool,
}

/// Tokens, codes and grant windows.
#[derive(Default)]
pub struct OAuthState {
    codes: HashMap<String, CodeGrant>,
    used_codes: HashMap<String, u64>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    revoked: HashSet<u64>,
    cc_app: HashMap<String, VecDeque<Instant>>,
    cc_ip: HashMap<IpAddr, VecDeque<Instant>>,
    serial: u64,
    pub counts: GrantCounts,
}

impl OAuthState {
    pub fn expire_all(&mut self, now: Instant) {
        for t in self.access.values_mut() {
            t.expires = now;
        }
    }

    /// The live token behind `token`, if it is valid now.
    pub fn validate(&self, token: &str, now: Instant) -> Option<AccessToken> {
        let t = self.access.get(token)?;
        (t.expires > now && !self.revoked.contains(&t.session)).then(|| t.clone())
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/sign-out", post(sign_out))
        .layer(middleware::from_fn_with_state(
            ErrorShape::OAuth,
            json_errors,
        ))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn find_app<'a>(apps: &'a [App], client_id: &str) -> Option<&'a App> {
    apps.iter().find(|a| a.client_id == client_id)
}

async fn authorize(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let cfg = s.config();
    let get = |k: &str| q.get(k).map(String::as_str);
    let Some(app) = get("client_id").and_then(|c| find_app(&cfg.apps, c)) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    };
    let Some(redirect_uri) = get("redirect_uri").filter(|r| *r == app.redirect_uri) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri does not match the registered one",
        );
    };
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let state = get("state")
        .map(|st| format!("&state={}", enc(st)))
        .unwrap_or_default();
    let refuse = |error: &str, description: &str| {
        redirect(&format!(
            "{redirect_uri}{sep}error={error}&error_description={}{state}",
            enc(description)
        ))
    };
    if get("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = get("code_challenge").filter(|c| !c.is_empty()) else {
        return refuse(
            "invalid_request",
            "PKCE is required: code_challenge is missing",
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return refuse("invalid_request", "code_challenge_method must be S256");
    }
    let Some(user) = cfg.signed_in_user else {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Sign in</title><p>Sign in to SoundCloud to connect this app.</p>",
        )
            .into_response();
    };
    let code = {
        let mut o = lock(&s.oauth);
        o.serial += 1;
        let code = s.signer.tag(&format!("code:{}", o.serial))[..40].to_string();
        o.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: app.client_id.clone(),
                redirect_uri: redirect_uri.to_string(),
                challenge: challenge.to_string(),
                user,
                expires: Instant::now() + cfg.code_ttl,
            },
        );
        code
    };
    redirect(&format!("{redirect_uri}{sep}code={code}{state}"))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v.strip_prefix("Basic ")?;
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

fn within(limit: RateLimit, log: &mut VecDeque<Instant>, now: Instant) -> Result<(), Duration> {
    while log
        .front()
        .is_some_and(|t| now.duration_since(*t) >= limit.window)
    {
        log.pop_front();
    }
    if log.len() >= limit.max as usize {
        let oldest = log.front().copied().unwrap_or(now);
        return Err(limit.window.saturating_sub(now.duration_since(oldest)));
    }
    Ok(())
}

fn verifier_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

async fn token(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = std::str::from_utf8(&body)
        .ok()
        .and_then(serde_urlencoded_pairs);
    let form: HashMap<String, String> = match form {
        Some(f) => f,
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "malformed form body",
            );
        }
    };
    let cfg = s.config();
    let f = |k: &str| form.get(k).map(String::as_str);
    let basic = basic_credentials(&headers);
    let grant = f("grant_type").unwrap_or("");
    let invalid_client = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    };
    // Client authentication: HTTP Basic, or (not for client_credentials) the form body.
    let creds = match (&basic, grant) {
        (Some(c), _) => Some(c.clone()),
        (None, "client_credentials") => {
            if f("client_id").is_some() || f("client_secret").is_some() {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client_credentials needs HTTP Basic authentication; credentials in the body are not supported",
                );
            }
            None
        }
        (None, _) => f("client_id")
            .zip(f("client_secret"))
            .map(|(a, b)| (a.to_string(), b.to_string())),
    };
    let Some((client_id, secret)) = creds else {
        return invalid_client();
    };
    let Some(app) = find_app(&cfg.apps, &client_id).filter(|a| a.client_secret == secret) else {
        return invalid_client();
    };
    let now = Instant::now();
    let mut o = lock(&s.oauth);
    match grant {
        "client_credentials" => {
            let app_log = o.cc_app.entry(app.client_id.clone()).or_default();
            if let Err(wait) = within(cfg.client_credentials_per_app, app_log, now) {
                return rate_limited(wait);
            }
            let ip_log = o.cc_ip.entry(peer.ip()).or_default();
            if let Err(wait) = within(cfg.client_credentials_per_ip, ip_log, now) {
                return rate_limited(wait);
            }
            o.cc_app
                .entry(app.client_id.clone())
                .or_default()
                .push_back(now);
            o.cc_ip.entry(peer.ip()).or_default().push_back(now);
            o.counts.client_credentials += 1;
            issue(&s, &mut o, &app.client_id, None, None, cfg.token_ttl)
        }
        "authorization_code" => {
            let code = f("code").unwrap_or("");
            if let Some(session) = o.used_codes.get(code).copied() {
                // A replayed code revokes what it issued (OAuth 2.1 §4.1.3).
                o.revoked.insert(session);
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "authorization code already used",
                );
            }
            let Some(g) = o.codes.remove(code) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown authorization code",
                );
            };
            let fail = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
            if g.expires <= now {
                return fail("authorization code expired");
            }
            if g.client_id != app.client_id {
                return fail("authorization code was issued to another client");
            }
            if f("redirect_uri") != Some(g.redirect_uri.as_str()) {
                return fail("redirect_uri does not match the authorization request");
            }
            let verifier = f("code_verifier").unwrap_or("");
            if !verifier_ok(verifier) {
                return fail("code_verifier must be 43-128 unreserved characters");
            }
            if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != g.challenge {
                return fail("code_verifier does not match code_challenge");
            }
            o.counts.authorization_code += 1;
            let session = o.serial + 1;
            o.used_codes.insert(code.to_string(), session);
            issue(
                &s,
                &mut o,
                &app.client_id,
                Some(g.user),
                None,
                cfg.token_ttl,
            )
        }
        "refresh_token" => {
            let rt = f("refresh_token").unwrap_or("");
            let Some(r) = o.refresh.get_mut(rt) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown refresh token",
                );
            };
            if r.used {
                o.counts.refresh_token_reused += 1;
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh token already used",
                );
            }
            if r.client_id != app.client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "refresh token belongs to another client",
                );
            }
            r.used = true;
            let (user, session) = (r.user, r.session);
            if o.revoked.contains(&session) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "session was signed out",
                );
            }
            o.counts.refresh_token += 1;
            issue(
                &s,
                &mut o,
                &app.client_id,
                user,
                Some(session),
                cfg.token_ttl,
            )
        }
        "" => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant_type",
        ),
    }
}

fn serde_urlencoded_pairs(body: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k)?, percent_decode(v)?);
    }
    Some(out)
}

/// Decodes `application/x-www-form-urlencoded` text.
pub fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn rate_limited(wait: Duration) -> Response {
    let mut r = json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({
            "code": 429,
            "message": "Too many client_credentials token requests. Reuse your token and refresh it.",
            "link": "https://developers.soundcloud.com/docs/api/rate-limits#errors",
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn issue(
    s: &AppState,
    o: &mut OAuthState,
    client_id: &str,
    user: Option<u64>,
    session: Option<u64>,
    ttl: Duration,
) -> Response {
    o.serial += 1;
    let serial = o.serial;
    let session = session.unwrap_or(serial);
    // JWT-shaped and of variable length, like the live service's tokens.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let sub = user.map_or_else(
        || format!("app:{client_id}"),
        |u| format!("soundcloud:users:{u}"),
    );
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"sub": sub, "jti": serial, "sid": session, "iat": crate::time::unix_now()})
            .to_string(),
    );
    let body = format!("{header}.{payload}");
    let access = format!("{body}.{}", URL_SAFE_NO_PAD.encode(s.signer.tag(&body)));
    let refresh = s.signer.tag(&format!("refresh:{serial}"))[..48].to_string();
    o.access.insert(
        access.clone(),
        AccessToken {
            user,
            expires: Instant::now() + ttl,
            session,
        },
    );
    o.refresh.insert(
        refresh.clone(),
        RefreshToken {
            client_id: client_id.to_string(),
            user,
            session,
            used: false,
        },
    );
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl.as_secs(),
            "refresh_token": refresh,
            "scope": "",
        }),
    )
}

/// `POST /sign-out` with `{"access_token": …}`.
/// The access token of a sign-out request's JSON body (`{"access_token": …}`), if any.
fn body_token(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get("access_token")?
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The token of an `Authorization: OAuth …` (or `Bearer …`) header, if any.
fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("OAuth ")
        .or_else(|| value.strip_prefix("Bearer "))?
        .trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// `POST /sign-out` on the OAuth origin, as the guide shows it: the token in the JSON body.
pub async fn sign_out(State(s): State<AppState>, body: Bytes) -> Response {
    end_session(&s, body_token(&body))
}

/// `POST /sign-out` on the API origin ("invalidates session associated with current
/// token"): the token in the body, or else the one the request is authorized with.
pub async fn api_sign_out(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    end_session(&s, body_token(&body).or_else(|| header_token(&headers)))
}

fn end_session(s: &AppState, token: Option<String>) -> Response {
    let Some(token) = token else {
        return json_response(StatusCode::BAD_REQUEST, &json!({"error": "bad_request"}));
    };
    let mut o = lock(&s.oauth);
    let Some(t) = o
        .access
        .get(&token)
        .filter(|t| !o.revoked.contains(&t.session))
    else {
        return json_response(StatusCode::UNAUTHORIZED, &json!({"error": "unauthorized"}));
    };
    let session = t.session;
    o.revoked.insert(session);
    json_response(StatusCode::OK, &json!({}))
}
