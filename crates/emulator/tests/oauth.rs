//! Every OAuth 2.1 rule of the emulator, over HTTP.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use scplay_emulator::{EmulatorConfig, RateLimit, catalog};

async fn authorize_with(
    emu: &scplay_emulator::Emulator,
    params: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .get(format!("{}/authorize", emu.auth_base()))
        .query(params)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn authorize_refuses_bad_client_redirect_and_pkce() {
    let emu = start().await;
    let ch = challenge(VERIFIER);
    let good = [
        ("client_id", catalog::CLIENT_ID),
        ("redirect_uri", catalog::REDIRECT_URI),
        ("response_type", "code"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "s1"),
    ];
    let with = |k: &str, v: &'static str| -> Vec<(String, String)> {
        good.iter()
            .map(|(a, b)| {
                (
                    a.to_string(),
                    if *a == k {
                        v.to_string()
                    } else {
                        b.to_string()
                    },
                )
            })
            .collect()
    };
    let r = client()
        .get(format!("{}/authorize", emu.auth_base()))
        .query(&with("client_id", "nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(format!("{}/authorize", emu.auth_base()))
        .query(&with("redirect_uri", "http://127.0.0.1:8765/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "redirect URI must match exactly"
    );
    // PKCE refusals go back to the (valid) redirect URI with an error.
    for (k, v) in [
        ("code_challenge_method", "plain"),
        ("code_challenge", ""),
        ("response_type", "token"),
    ] {
        let r = client()
            .get(format!("{}/authorize", emu.auth_base()))
            .query(&with(k, v))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        let loc = r.headers()["location"].to_str().unwrap();
        assert!(
            loc.contains("error=") && !loc.contains("code="),
            "{k}={v}: {loc}"
        );
    }
    let no_pkce: Vec<_> = good
        .iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .copied()
        .collect();
    let r = authorize_with(&emu, &no_pkce).await;
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=invalid_request")
    );
    // display=popup is accepted.
    let mut popup = good.to_vec();
    popup.push(("display", "popup"));
    let r = authorize_with(&emu, &popup).await;
    assert!(r.headers()["location"].to_str().unwrap().contains("code="));
}

#[tokio::test]
async fn signed_out_browser_sees_a_sign_in_page() {
    let emu = start_with(EmulatorConfig {
        signed_in_user: None,
        ..EmulatorConfig::default()
    })
    .await;
    let ch = challenge(VERIFIER);
    let r = authorize_with(
        &emu,
        &[
            ("client_id", catalog::CLIENT_ID),
            ("redirect_uri", catalog::REDIRECT_URI),
            ("response_type", "code"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign in"));
}

#[tokio::test]
async fn code_exchange_checks_verifier_redirect_and_single_use() {
    let emu = start().await;
    let code = authorize(&emu).await;
    let wrong = "x".repeat(50);
    assert_eq!(
        exchange(&emu, &code, &wrong, catalog::REDIRECT_URI)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // A failed attempt consumed nothing but the code itself: get a fresh one.
    let code = authorize(&emu).await;
    let r = exchange(&emu, &code, VERIFIER, "http://127.0.0.1:8765/callback/").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await["error"], "invalid_grant");
    let code = authorize(&emu).await;
    let r = exchange(&emu, &code, &VERIFIER[..42], catalog::REDIRECT_URI).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "verifier shorter than 43 characters"
    );
    let code = authorize(&emu).await;
    let r = exchange(&emu, &code, VERIFIER, catalog::REDIRECT_URI).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = json(r).await;
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(
        v["access_token"].as_str().unwrap().split('.').count(),
        3,
        "JWT-shaped"
    );
    let access = v["access_token"].as_str().unwrap();
    assert_eq!(get(&emu, access, "/me").await.status(), StatusCode::OK);
    // Replaying the code fails and revokes what it issued.
    let r = exchange(&emu, &code, VERIFIER, catalog::REDIRECT_URI).await;
    assert_eq!(json(r).await["error"], "invalid_grant");
    assert_eq!(
        get(&emu, access, "/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A wrong client secret is invalid_client.
    let code = authorize(&emu).await;
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", "wrong"),
            ("redirect_uri", catalog::REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(r).await["error"], "invalid_client");
}

#[tokio::test]
async fn client_credentials_only_by_basic_auth() {
    let emu = start().await;
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", catalog::CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(r).await["error"], "invalid_client");
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .basic_auth(catalog::CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let token = app_token(&emu).await;
    // An app token reads public resources but has no user.
    assert_eq!(
        get(&emu, &token, "/tracks/2001").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&emu, &token, "/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(emu.grants().client_credentials, 1);
}

#[tokio::test]
async fn client_credentials_grants_are_rate_limited() {
    let limit = RateLimit {
        max: 3,
        window: Duration::from_secs(3600),
    };
    let emu = start_with(EmulatorConfig {
        client_credentials_per_app: limit,
        ..EmulatorConfig::default()
    })
    .await;
    for _ in 0..3 {
        app_token(&emu).await;
    }
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let per_ip = RateLimit {
        max: 2,
        window: Duration::from_secs(3600),
    };
    let emu = start_with(EmulatorConfig {
        client_credentials_per_ip: per_ip,
        ..EmulatorConfig::default()
    })
    .await;
    app_token(&emu).await;
    app_token(&emu).await;
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(emu.grants().client_credentials, 2);
}

async fn refresh(emu: &scplay_emulator::Emulator, token: &str) -> reqwest::Response {
    client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", catalog::CLIENT_SECRET),
            ("refresh_token", token),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_tokens_are_single_use_and_tokens_expire() {
    let emu = start().await;
    let (access, rt) = user_tokens(&emu).await;
    emu.expire_access_tokens();
    assert_eq!(
        get(&emu, &access, "/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = refresh(&emu, &rt).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = json(r).await;
    let (access2, rt2) = (
        v["access_token"].as_str().unwrap(),
        v["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(rt2, rt);
    assert_eq!(
        get(&emu, access2, "/me").await.status(),
        StatusCode::OK,
        "refreshed token keeps the user"
    );
    let r = refresh(&emu, &rt).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await["error"], "invalid_grant");
    assert_eq!(emu.grants().refresh_token, 1);
    assert_eq!(emu.grants().refresh_token_reused, 1);
    // Short lifetimes come from the configuration.
    emu.update_config(|c| c.token_ttl = Duration::from_millis(1));
    let r = refresh(&emu, rt2).await;
    let short = json(r).await["access_token"].as_str().unwrap().to_string();
    scplay_testkit::eventually(
        "the 1 ms token to expire",
        Duration::from_secs(5),
        async || get(&emu, &short, "/me").await.status() == StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(
        get(&emu, &short, "/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unknown_grant_and_missing_grant() {
    let emu = start().await;
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .form(&[
            ("grant_type", "password"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", catalog::CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["error"], "unsupported_grant_type");
}

/// Sends a sign-out request and checks that it answered 200 and `access` no longer works.
async fn signs_out(emu: &scplay_emulator::Emulator, req: reqwest::RequestBuilder, access: &str) {
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get(emu, access, "/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sign_out_answers_the_guides_bodies() {
    let emu = start().await;
    let access = user_token(&emu).await;
    let url = format!("{}/sign-out", emu.auth_base());
    let r = client()
        .post(&url)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await, serde_json::json!({"error": "bad_request"}));
    let by_body = client()
        .post(&url)
        .json(&serde_json::json!({"access_token": access}));
    signs_out(&emu, by_body, &access).await;
    let r = client()
        .post(&url)
        .json(&serde_json::json!({"access_token": access}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(r).await, serde_json::json!({"error": "unauthorized"}));
}

#[tokio::test]
async fn api_requires_a_token_in_the_documented_shape() {
    let emu = start().await;
    let r = client()
        .get(format!("{}/tracks/2001", emu.api_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v = json(r).await;
    assert_eq!(v["code"], 401);
    assert_eq!(v["status"], "401 - Unauthorized");
    let token = app_token(&emu).await;
    let r = client()
        .get(format!("{}/tracks/2001", emu.api_base()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "Bearer is accepted too");
    let r = client()
        .get(format!(
            "{}/tracks/2001?oauth_token={token}",
            emu.api_base()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "query tokens no longer work"
    );
}

/// `POST /sign-out` on the API origin ends the session of the token in the body, or else of
/// the one the request is authorized with.
#[tokio::test]
async fn api_sign_out_takes_the_authorization_header_or_the_body() {
    let emu = start().await;
    let url = format!("{}/sign-out", emu.api_base());
    let access = user_token(&emu).await;
    let by_header = client()
        .post(&url)
        .header("Authorization", format!("OAuth {access}"));
    signs_out(&emu, by_header, &access).await;
    let access = user_token(&emu).await;
    let by_body = client()
        .post(&url)
        .json(&serde_json::json!({"access_token": access}));
    signs_out(&emu, by_body, &access).await;
    let r = client().post(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await, serde_json::json!({"error": "bad_request"}));
}

/// The OAuth origin answers JSON errors even where axum would answer text: a form body that
/// is not UTF-8, a sign-out body that is not UTF-8, a wrong method.
#[tokio::test]
async fn oauth_errors_are_json_even_for_bodies_that_are_not_utf8() {
    let emu = start().await;
    let auth = emu.auth_base().to_string();
    let r = client()
        .post(format!("{auth}/oauth/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(&b"grant_type=client_credentials&client_id=\xff"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await["error"], "invalid_request");
    let r = client()
        .post(format!("{auth}/sign-out"))
        .body(&b"\xff\xfe"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await, serde_json::json!({"error": "bad_request"}));
    let r = client()
        .get(format!("{auth}/oauth/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let v = json(r).await;
    assert_eq!(v["error"], "invalid_request");
    assert!(v["error_description"].is_string());
}
