//! What the client logs: token grants and renewals, and retries with their attempt and
//! delay, at levels an operator can filter on, and never a secret or a query string.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use scplay_core::{MemoryStore, TokenStore};
use scplay_emulator::{Fault, FaultKind, Origin, catalog};
use scplay_testkit::logs::{capture, line, query_in};

#[tokio::test]
async fn grants_renewals_and_retries_are_logged_without_secrets() {
    let (logs, _guard) = capture();
    let emu = emulator().await;
    let store = Arc::new(MemoryStore::new());
    let client = client_with_store(&emu, store.clone());

    // The token endpoint refuses once, then the API fails once: both are tried again.
    emu.add_fault(
        Fault::on(
            "/oauth/token",
            FaultKind::Unavailable {
                retry_after_secs: 0,
            },
        )
        .at(Origin::Auth)
        .times(1),
    );
    emu.add_fault(
        Fault::on("/tracks/", FaultKind::Status(503))
            .at(Origin::Api)
            .times(1),
    );
    client.track(catalog::TRACK_PLAYABLE).await.unwrap();
    let app_token = store.load().unwrap().unwrap();

    // A signed-in user whose access token expires: the refresh token renews it.
    let user = user_client(&emu).await;
    let signed_in = user.token().await.unwrap().unwrap();
    emu.expire_access_tokens();
    user.me().await.unwrap();
    let renewed = user.token().await.unwrap().unwrap();
    assert_ne!(
        signed_in.access_token.expose(),
        renewed.access_token.expose()
    );

    let text = logs.text();
    let token_retry = line(&text, &["WARN", "token request failed", "attempt=1"]);
    assert!(token_retry.contains("delay_ms="), "{token_retry}");
    assert!(
        token_retry.contains("grant=client_credentials"),
        "{token_retry}"
    );
    line(&text, &["INFO", "app token granted", "expires_in_s="]);
    let api_retry = line(
        &text,
        &["WARN", "API request failed; retrying", "attempt=1"],
    );
    assert!(api_retry.contains("delay_ms="), "{api_retry}");
    assert!(api_retry.contains("/tracks/"), "{api_retry}");
    line(&text, &["INFO", "signed in"]);
    line(&text, &["INFO", "refused the access token (401)"]);
    line(&text, &["INFO", "access token renewed", "kind=User"]);

    let mut secrets = vec![catalog::CLIENT_SECRET.to_string()];
    for t in [&app_token, &signed_in, &renewed] {
        secrets.push(t.access_token.expose().to_string());
        if let Some(r) = &t.refresh_token {
            secrets.push(r.expose().to_string());
        }
    }
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret leaked into the logs:\n{text}"
        );
    }
    assert_eq!(query_in(&text), None, "a query string in the logs:\n{text}");
}
