//! The loopback sign-in listener against hostile or careless peers: idle connections, callbacks
//! for another sign-in, and the host the redirect URI names.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use scplay_core::auth::loopback::CONNECTION_READ_TIMEOUT;
use scplay_core::{Client, Result, Token};
use scplay_emulator::{App, Emulator, EmulatorConfig, catalog};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// One test at a time: `free_port` may hand two tests the same port, and a listener on
/// `[::1]` does not collide with one on `127.0.0.1`.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An emulator whose app is registered with `redirect`, a client for it, and a sign-in
/// listening on it.
async fn listening(redirect: &str) -> (Emulator, Client, String, JoinHandle<Result<Token>>) {
    let emu = emulator_with(EmulatorConfig {
        apps: vec![App {
            client_id: catalog::CLIENT_ID.into(),
            client_secret: catalog::CLIENT_SECRET.into(),
            redirect_uri: redirect.into(),
        }],
        ..EmulatorConfig::default()
    })
    .await;
    let client = builder(&emu).redirect_uri(redirect).build().unwrap();
    let req = client.authorization_request(false).unwrap();
    let url = req.url().to_string();
    let task = {
        let client = client.clone();
        tokio::spawn(async move { req.listen(&client, Duration::from_secs(20)).await })
    };
    (emu, client, url, task)
}

/// Connects to `addr` once the listener is up (within a deadline).
async fn connect(addr: &str) -> TcpStream {
    let what = format!("{addr} to listen");
    scplay_testkit::eventually_some(&what, Duration::from_secs(5), async || {
        TcpStream::connect(addr).await.ok()
    })
    .await
}

/// Sends a raw GET and returns the whole answer.
async fn raw_get(addr: &str, target: &str) -> String {
    let mut s = connect(addr).await;
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn an_idle_connection_does_not_block_the_sign_in() {
    let _serial = SERIAL.lock().await;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (emu, client, url, task) = listening(&redirect).await;
    let addr = format!("127.0.0.1:{port}");
    // Connections that never send a request (a browser's speculative preconnects, or worse),
    // and one that sends half a request head.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connect(&addr).await);
    }
    let mut slow = connect(&addr).await;
    slow.write_all(b"GET /callback?code=").await.unwrap();
    let t = Instant::now();
    let back = browser(&url).await;
    let page = scplay_testkit::get(&back).await.text().await.unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    task.await.unwrap().unwrap();
    assert!(
        t.elapsed() < CONNECTION_READ_TIMEOUT / 2,
        "served while others idled: {:?}",
        t.elapsed()
    );
    assert!(client.me().await.is_ok());
    assert_eq!(emu.grants().authorization_code, 1);
    drop((idle, slow));
}

#[tokio::test]
async fn a_callback_with_a_wrong_state_is_ignored() {
    let _serial = SERIAL.lock().await;
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let (emu, client, url, task) = listening(&redirect).await;
    let addr = format!("127.0.0.1:{port}");
    // Any web page can make the browser open these.
    for target in [
        "/callback?code=forged&state=not-yours",
        "/callback?error=access_denied&state=not-yours",
        "/callback?code=forged",
    ] {
        let answer = raw_get(&addr, target).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{target}: {answer}");
        assert!(answer.contains("Not this sign-in"), "{answer}");
        assert!(!task.is_finished(), "{target} ended the sign-in");
    }
    let back = browser(&url).await;
    let page = scplay_testkit::get(&back).await.text().await.unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    task.await.unwrap().unwrap();
    assert!(client.me().await.is_ok());
    assert_eq!(
        emu.grants().authorization_code,
        1,
        "no forged code exchanged"
    );
}

#[tokio::test]
async fn the_listener_binds_the_host_of_the_redirect_uri() {
    let _serial = SERIAL.lock().await;
    // [::1]: the browser goes to the IPv6 loopback, so that is what must be bound.
    let port = free_port();
    let redirect = format!("http://[::1]:{port}/callback");
    let (_emu, client, url, task) = listening(&redirect).await;
    let back = browser(&url).await;
    assert!(back.starts_with(&redirect));
    let page = scplay_testkit::get(&back).await.text().await.unwrap();
    assert!(page.contains("You can close this tab"), "{page}");
    task.await.unwrap().unwrap();
    assert!(client.me().await.is_ok());
    // localhost: a browser may resolve it to either loopback address; both are bound.
    for ip in ["127.0.0.1", "[::1]"] {
        let port = free_port();
        let redirect = format!("http://localhost:{port}/callback");
        let (_emu, _client, url, task) = listening(&redirect).await;
        let back = browser(&url).await;
        let direct = back.replace("localhost", ip);
        let page = scplay_testkit::get(&direct).await.text().await.unwrap();
        assert!(page.contains("You can close this tab"), "{ip}: {page}");
        task.await.unwrap().unwrap();
    }
}
