//! Secrets never appear in `Debug` output, errors or logs.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::*;
use scplay_core::auth::pkce::Pkce;
use scplay_core::{Client, MemoryStore, TokenStore};
use scplay_emulator::catalog;
use scplay_testkit::logs::capture;

#[tokio::test]
async fn secrets_stay_out_of_debug_errors_and_logs() {
    let (logs, _guard) = capture();

    let emu = emulator().await;
    let store = Arc::new(MemoryStore::new());
    let client = client_with_store(&emu, store.clone());
    let request = client.authorization_request(false).unwrap();
    let back = browser(request.url().as_str()).await;
    let code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let state = back.split("state=").nth(1).unwrap().to_string();
    request.finish_with_redirect(&client, &back).await.unwrap();
    let first = client.token().await.unwrap().unwrap();
    emu.expire_access_tokens();
    client.me().await.unwrap();
    let second = client.token().await.unwrap().unwrap();
    let errors = vec![
        client.track(999_999).await.unwrap_err(),
        Client::builder()
            .client_id(catalog::CLIENT_ID)
            .client_secret("wrong-secret")
            .api_base(emu.api_base())
            .auth_base(emu.auth_base())
            .build()
            .unwrap()
            .track(1)
            .await
            .unwrap_err(),
    ];

    let mut secrets: Vec<String> = vec![
        catalog::CLIENT_SECRET.into(),
        code,
        state,
        "wrong-secret".into(),
    ];
    for t in [&first, &second] {
        secrets.push(t.access_token.expose().to_string());
        secrets.push(t.refresh_token.as_ref().unwrap().expose().to_string());
    }
    let pkce = Pkce::new().unwrap();
    secrets.push(pkce.verifier.expose().to_string());

    let mut shown = vec![
        format!("{client:?}"),
        format!("{request:?}"),
        format!("{first:?}"),
        format!("{second:?}"),
        format!("{store:?}"),
        format!("{:?}", store.load().unwrap()),
        format!("{pkce:?}"),
        format!("{:?}", builder(&emu)),
        format!("{:?}", client.config()),
    ];
    for e in &errors {
        shown.push(format!("{e:?}"));
        shown.push(e.to_string());
    }
    shown.push(logs.text());
    assert!(
        shown.last().unwrap().contains("request"),
        "logs were captured"
    );
    for text in &shown {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret leaked into: {text}");
        }
    }
}
