//! Faults on `/oauth/token`: an endpoint that never answers, one that carries a grant out and
//! drops (or delays) the answer, and refusals with `Retry-After`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use scplay_emulator::{Emulator, Fault, FaultKind, Origin, catalog};

fn refresh_request(emu: &Emulator, token: &str, timeout: Duration) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .timeout(timeout)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", catalog::CLIENT_SECRET),
            ("refresh_token", token),
        ])
}

#[tokio::test]
async fn a_dropped_answer_still_rotates_the_refresh_token() {
    let emu = start().await;
    let (_, rt) = user_tokens(&emu).await;
    emu.add_fault(
        Fault::on("/oauth/token", FaultKind::DropResponse)
            .at(Origin::Auth)
            .times(1),
    );
    let lost = refresh_request(&emu, &rt, Duration::from_secs(5))
        .send()
        .await;
    // Not even a status line arrives: the connection closes before the answer.
    let err = lost.expect_err("the answer must be lost");
    assert!(!err.is_timeout(), "closed, not stalled: {err}");
    assert_eq!(emu.grants().refresh_token, 1, "the grant was carried out");
    let again = refresh_request(&emu, &rt, Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "rotated: now spent"
    );
    assert_eq!(json(again).await["error"], "invalid_grant");
    assert_eq!(emu.grants().refresh_token_reused, 1);
}

#[tokio::test]
async fn a_delayed_answer_is_carried_out_before_it_is_sent() {
    let emu = start().await;
    let (_, rt) = user_tokens(&emu).await;
    emu.add_fault(
        Fault::on(
            "/oauth/token",
            FaultKind::ResponseLatency(Duration::from_millis(400)),
        )
        .at(Origin::Auth)
        .times(1),
    );
    // The caller gives up while the answer waits; the rotation has happened anyway.
    let early = refresh_request(&emu, &rt, Duration::from_millis(150))
        .send()
        .await;
    assert!(early.is_err_and(|e| e.is_timeout()));
    scplay_testkit::eventually(
        "the grant to be carried out",
        Duration::from_secs(5),
        async || emu.grants().refresh_token > 0,
    )
    .await;
    assert_eq!(
        refresh_request(&emu, &rt, Duration::from_secs(5))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    // And a patient caller gets the answer after the latency.
    let (_, rt) = user_tokens(&emu).await;
    emu.add_fault(
        Fault::on(
            "/oauth/token",
            FaultKind::ResponseLatency(Duration::from_millis(300)),
        )
        .times(1),
    );
    let t = Instant::now();
    let r = refresh_request(&emu, &rt, Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_stalled_token_endpoint_never_answers_and_spends_nothing() {
    let emu = start().await;
    let (_, rt) = user_tokens(&emu).await;
    emu.add_fault(
        Fault::on(
            "/oauth/token",
            FaultKind::Latency(Duration::from_secs(3600)),
        )
        .at(Origin::Auth)
        .times(1),
    );
    let t = Instant::now();
    let r = refresh_request(&emu, &rt, Duration::from_millis(300))
        .send()
        .await;
    assert!(r.is_err_and(|e| e.is_timeout()));
    assert!(t.elapsed() < Duration::from_secs(3));
    assert_eq!(emu.grants().refresh_token, 0, "not handled");
    let r = refresh_request(&emu, &rt, Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the refresh token was not spent"
    );
}

#[tokio::test]
async fn refusals_carry_retry_after_and_spend_nothing() {
    let emu = start().await;
    let (_, rt) = user_tokens(&emu).await;
    for (kind, status) in [
        (
            FaultKind::TooManyRequests {
                retry_after_secs: 60,
            },
            StatusCode::TOO_MANY_REQUESTS,
        ),
        (
            FaultKind::Unavailable {
                retry_after_secs: 2,
            },
            StatusCode::SERVICE_UNAVAILABLE,
        ),
    ] {
        emu.add_fault(Fault::on("/oauth/token", kind).at(Origin::Auth).times(1));
        let r = refresh_request(&emu, &rt, Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
        assert!(r.headers().contains_key("retry-after"));
    }
    assert_eq!(emu.grants().refresh_token, 0);
    let r = refresh_request(&emu, &rt, Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
