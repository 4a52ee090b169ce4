//! Every auth flow against the emulator.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use scplay_core::{Error, TokenKind};

#[tokio::test]
async fn client_credentials_are_fetched_once_and_reused() {
    let emu = emulator().await;
    let client = app_client(&emu);
    for _ in 0..5 {
        client.track(2001).await.unwrap();
    }
    assert_eq!(emu.grants().client_credentials, 1);
    assert_eq!(client.token_renewals(), 1, "one grant, reused four times");
    let token = client.token().await.unwrap().unwrap();
    assert_eq!(token.kind, TokenKind::App);
    // Client-credentials tokens have no user: a typed error, no refresh spent on it.
    assert!(matches!(client.me().await, Err(Error::NeedsUser { .. })));
    // The secret went by HTTP Basic: the token endpoint saw an Authorization header.
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path == "/oauth/token" && r.authorization)
    );
}

#[tokio::test]
async fn authorization_code_with_the_loopback_listener() {
    let (emu, redirect) = emulator_with_redirect().await;
    let client = builder(&emu)
        .redirect_uri(redirect.clone())
        .build()
        .unwrap();
    let req = client.authorization_request(true).unwrap();
    let url = req.url().to_string();
    for part in [
        "code_challenge_method=S256",
        "response_type=code",
        "display=popup",
        "state=",
        "code_challenge=",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    let listening = {
        let client = client.clone();
        let req = req.clone();
        tokio::spawn(async move { req.listen(&client, Duration::from_secs(10)).await })
    };
    // The listener is up once it takes connections (the browser is sent there next).
    let addr = redirect
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    scplay_testkit::eventually("the listener", Duration::from_secs(10), async || {
        tokio::net::TcpStream::connect(&addr).await.is_ok()
    })
    .await;
    let back = browser(&url).await;
    assert!(back.starts_with(&redirect));
    let page = scplay_testkit::get(&back).await.text().await.unwrap();
    let outcome = listening.await.unwrap();
    assert!(
        page.contains("You can close this tab"),
        "{page} ({:?})",
        outcome.as_ref().err()
    );
    let token = outcome.unwrap();
    assert_eq!(token.kind, TokenKind::User);
    let me = client.me().await.unwrap();
    assert_eq!(me.user.username.as_deref(), Some("lena-tide"));
    assert_eq!(emu.grants().authorization_code, 1);
}

#[tokio::test]
async fn listener_times_out_and_rejects_a_foreign_state() {
    let (emu, redirect) = emulator_with_redirect().await;
    let client = builder(&emu)
        .redirect_uri(redirect.clone())
        .build()
        .unwrap();
    let req = client.authorization_request(false).unwrap();
    let err = req
        .listen(&client, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SignIn(_)), "{err}");
    // A redirect carrying another sign-in's state is refused, and no code is exchanged.
    let other = client.authorization_request(false).unwrap();
    let back = browser(other.url().as_str()).await;
    let err = req.finish_with_redirect(&client, &back).await.unwrap_err();
    assert!(err.to_string().contains("state"), "{err}");
    assert_eq!(emu.grants().authorization_code, 0);
}

#[tokio::test]
async fn pasted_redirect_url_signs_in() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    assert!(client.me().await.is_ok());
    assert!(matches!(
        client
            .authorization_request(false)
            .unwrap()
            .finish_with_redirect(&client, "not a url")
            .await,
        Err(Error::SignIn(_))
    ));
}

#[tokio::test]
async fn expired_tokens_refresh_and_persist_before_use() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    let before = client.token().await.unwrap().unwrap();
    assert_eq!(client.token_renewals(), 0, "signing in is not a renewal");
    emu.expire_access_tokens();
    assert!(client.me().await.is_ok(), "a 401 triggers one refresh");
    assert_eq!(emu.grants().refresh_token, 1);
    assert_eq!(client.token_renewals(), 1);
    let after = client.token().await.unwrap().unwrap();
    assert_ne!(after.access_token, before.access_token);
    assert_ne!(after.refresh_token, before.refresh_token);
    // Refresh shortly before expiry, without waiting for a 401.
    emu.update_config(|c| c.token_ttl = Duration::from_secs(30));
    emu.expire_access_tokens();
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 2);
    client.me().await.unwrap();
    client.me().await.unwrap();
    // A 30 s token is refreshed at half its life, not on every call.
    assert_eq!(emu.grants().refresh_token, 2);
    assert_eq!(emu.grants().refresh_token_reused, 0);
    // Nudge it into the refresh window: the next call refreshes ahead, before any 401.
    let mut t = client.token().await.unwrap().unwrap();
    t.expires_at = t.issued_at + 30;
    t.issued_at -= 3600;
    client.set_token(t).await.unwrap();
    let before = emu.requests().iter().filter(|r| r.status == 401).count();
    client.me().await.unwrap();
    assert_eq!(emu.grants().refresh_token, 3);
    assert_eq!(client.token_renewals(), 3);
    assert_eq!(
        emu.requests().iter().filter(|r| r.status == 401).count(),
        before
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_means_sign_in_again() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    let token = client.token().await.unwrap().unwrap();
    // Another program spends the refresh token first.
    let other = app_client(&emu);
    other.set_token(token.clone()).await.unwrap();
    emu.expire_access_tokens();
    other.me().await.unwrap();
    let err = client.me().await.unwrap_err();
    assert!(matches!(err, Error::NotSignedIn(_)), "{err}");
    assert!(err.is_auth());
    // It never retries with that token.
    assert!(client.me().await.is_err());
    assert_eq!(emu.grants().refresh_token_reused, 1);
}

#[tokio::test]
async fn wrong_secret_is_an_oauth_error() {
    let emu = emulator().await;
    let client = builder(&emu).client_secret("wrong").build().unwrap();
    let err = client.track(2001).await.unwrap_err();
    assert!(
        matches!(&err, Error::OAuth { error, .. } if error == "invalid_client"),
        "{err}"
    );
}

#[tokio::test]
async fn sign_out_invalidates_and_forgets() {
    let emu = emulator().await;
    let client = user_client(&emu).await;
    let token = client.token().await.unwrap().unwrap();
    client.sign_out().await.unwrap();
    assert!(client.token().await.unwrap().is_none());
    let again = app_client(&emu);
    again.set_token(token).await.unwrap();
    assert!(
        again.me().await.is_err(),
        "the session is gone at SoundCloud too"
    );
}
