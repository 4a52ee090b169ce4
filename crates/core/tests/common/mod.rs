//! Helpers for scplay-core's tests against the emulator.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::sync::Arc;

use scplay_core::{Client, TokenStore};
use scplay_emulator::{App, Emulator, EmulatorConfig, catalog};
pub use scplay_testkit::{
    app_client, client_builder as builder, emulator, emulator_with, free_port,
};

/// An emulator whose app's redirect URI is a free loopback port; returns it too.
pub async fn emulator_with_redirect() -> (Emulator, String) {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let config = EmulatorConfig {
        apps: vec![App {
            client_id: catalog::CLIENT_ID.into(),
            client_secret: catalog::CLIENT_SECRET.into(),
            redirect_uri: redirect.clone(),
        }],
        ..EmulatorConfig::default()
    };
    (emulator_with(config).await, redirect)
}

pub fn client_with_store(emu: &Emulator, store: Arc<dyn TokenStore>) -> Client {
    builder(emu).shared_token_store(store).build().unwrap()
}

/// Acts as the browser: opens the authorize URL and returns where it was sent back to.
pub async fn browser(authorize_url: &str) -> String {
    let c = scplay_core::tls::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(authorize_url).send().await.unwrap();
    assert_eq!(r.status(), 302, "authorize should redirect");
    r.headers()["location"].to_str().unwrap().to_string()
}

/// A client signed in as the emulator's user through the paste-the-URL path.
pub async fn user_client(emu: &Emulator) -> Client {
    let client = app_client(emu);
    let req = client.authorization_request(false).unwrap();
    let back = browser(req.url().as_str()).await;
    req.finish_with_redirect(&client, &back).await.unwrap();
    client
}
