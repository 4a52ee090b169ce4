//! The HTTP API: `GET /api/status` and the `POST /api/…` commands. Commands are sent to
//! the player and answered at once (the engine applies them within milliseconds); bad JSON
//! or values get 400 with a JSON error naming the field.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use scplay_player::{Repeat, Target};

use crate::server::App;

/// An answer with a JSON error: `{"error": message, "field": field}` (`field` null when
/// the request as a whole is wrong).
pub(crate) fn error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    (status, Json(json!({"error": message, "field": field}))).into_response()
}

/// `{"ok": true}`: the command was sent.
fn ok() -> Response {
    Json(json!({"ok": true})).into_response()
}

/// A 400 naming the field at fault (`body` for the body as a whole).
pub(crate) struct Bad {
    field: String,
    message: String,
}

impl IntoResponse for Bad {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, Some(&self.field), &self.message)
    }
}

fn bad(field: &str, message: impl Into<String>) -> Bad {
    Bad {
        field: field.to_string(),
        message: message.into(),
    }
}

/// The body as a JSON object (an empty body is an empty object).
fn object(body: &Bytes) -> Result<Map<String, Value>, Bad> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("body", "the body must be a JSON object")),
        Err(e) => Err(bad("body", format!("the body is not JSON: {e}"))),
    }
}

/// The field `name` of the body, which must be there.
fn field(body: &Bytes, name: &str) -> Result<Value, Bad> {
    object(body)?
        .remove(name)
        .ok_or_else(|| bad(name, format!("missing field {name:?}")))
}

/// `target`: a track or playlist URL, URN or id, or a media URL.
fn target(body: &Bytes) -> Result<Target, Bad> {
    let v = field(body, "target")?;
    let Some(text) = v.as_str() else {
        return Err(bad("target", "target must be a string"));
    };
    text.parse::<Target>()
        .map_err(|e| bad("target", e.to_string()))
}

/// A number field within `range`.
fn number(body: &Bytes, name: &str, range: std::ops::RangeInclusive<f64>) -> Result<f64, Bad> {
    match field(body, name)?.as_f64() {
        Some(x) if x.is_finite() && range.contains(&x) => Ok(x),
        _ => Err(bad(
            name,
            format!(
                "{name} must be a number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// `GET /api/status`.
pub(crate) async fn status(State(app): State<App>) -> Response {
    let stopped = app.hub.stopped.load(Ordering::Acquire);
    Json(crate::json::status(&app.player.status(), stopped)).into_response()
}

/// `POST /api/play` `{"target": …}`: replaces the queue.
pub(crate) async fn play(State(app): State<App>, body: Bytes) -> Result<Response, Bad> {
    app.player.play_target(target(&body)?);
    Ok(ok())
}

/// `POST /api/enqueue` `{"target": …}`: adds at the end (an idle player starts).
pub(crate) async fn enqueue(State(app): State<App>, body: Bytes) -> Result<Response, Bad> {
    app.player.enqueue_all(vec![target(&body)?]);
    Ok(ok())
}

/// `POST /api/seek` `{"position": seconds}`.
pub(crate) async fn seek(State(app): State<App>, body: Bytes) -> Result<Response, Bad> {
    // Up to a day: no track is longer.
    let s = number(&body, "position", 0.0..=86_400.0)?;
    app.player.seek(Duration::from_secs_f64(s));
    Ok(ok())
}

/// `POST /api/volume` `{"volume": 0..1}`.
pub(crate) async fn volume(State(app): State<App>, body: Bytes) -> Result<Response, Bad> {
    let v = number(&body, "volume", 0.0..=1.0)?;
    app.player
        .set_volume(v as f32)
        .map_err(|e| bad("volume", e.to_string()))?;
    Ok(ok())
}

/// `POST /api/repeat` `{"mode": "off" | "one" | "all"}`.
pub(crate) async fn repeat(State(app): State<App>, body: Bytes) -> Result<Response, Bad> {
    let r = match field(&body, "mode")?.as_str() {
        Some("off") => Repeat::Off,
        Some("one") => Repeat::One,
        Some("all") => Repeat::All,
        _ => return Err(bad("mode", "mode must be \"off\", \"one\" or \"all\"")),
    };
    app.player.set_repeat(r);
    Ok(ok())
}

/// The commands without a body: pause, resume, stop, next, previous.
pub(crate) async fn pause(State(app): State<App>) -> Response {
    app.player.pause();
    ok()
}

/// `POST /api/resume`.
pub(crate) async fn resume(State(app): State<App>) -> Response {
    app.player.resume();
    ok()
}

/// `POST /api/stop`.
pub(crate) async fn stop(State(app): State<App>) -> Response {
    app.player.stop();
    ok()
}

/// `POST /api/next`.
pub(crate) async fn next(State(app): State<App>) -> Response {
    app.player.next();
    ok()
}

/// `POST /api/previous`.
pub(crate) async fn previous(State(app): State<App>) -> Response {
    app.player.previous();
    ok()
}

/// `POST /api/quit`: asks whoever runs the remote to end (see [`crate::Remote::quit_requested`]).
pub(crate) async fn quit(State(app): State<App>) -> Response {
    app.quit.send_replace(true);
    ok()
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(app): State<App>) -> Response {
    let stopped = app.hub.stopped.load(Ordering::Acquire);
    let streams = app.opts_streams - app.streams.available_permits();
    let body = app
        .hub
        .metrics
        .render(&app.player, app.client.as_ref(), stopped, streams);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        body,
    )
        .into_response()
}

/// Anything else: 404 with a JSON error.
pub(crate) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, None, "no such path")
}
