//! Helpers for tests that talk to a remote control (`play --control`, `scplay::remote`).
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use serde_json::Value;

/// `GET {url}api/status` (with the bearer token, if any), which must answer 200.
pub async fn status(http: &reqwest::Client, url: &str, token: Option<&str>) -> Value {
    let mut req = http.get(format!("{url}api/status"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Asks for the status until `cond` holds (up to 15 s); that status.
pub async fn status_until(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    cond: impl Fn(&Value) -> bool,
) -> Value {
    scplay_testkit::eventually_some("the status to match", Duration::from_secs(15), async || {
        Some(status(http, url, token).await).filter(|s| cond(s))
    })
    .await
}
