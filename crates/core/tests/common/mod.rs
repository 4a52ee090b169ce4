//! Helpers for scplay-core's tests against the emulator.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use scplay_core::{Client, ClientBuilder, RetryPolicy, TokenStore};
use scplay_emulator::{App, Emulator, EmulatorConfig, catalog};

pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

/// A free loopback port (bound, then released).
/// A free port below the ephemeral range (Linux: 32768–60999), so an emulator starting at the
/// same moment in another test (its origins bind port 0) cannot be handed it first.
pub fn free_port() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (0..10_000u16)
        .map(|i| 20_000 + (start - 20_000 + i) % 12_000)
        .find(|&p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        .unwrap()
}

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

pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .redirect_uri(catalog::REDIRECT_URI)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .web_base(emu.web_base())
        .retry(RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
}

/// An app-token client.
pub fn app_client(emu: &Emulator) -> Client {
    builder(emu).build().unwrap()
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
