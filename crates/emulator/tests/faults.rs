//! Each fault kind, and the request log.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use scplay_emulator::{Fault, FaultKind, Origin, catalog};

async fn progressive_url(emu: &scplay_emulator::Emulator) -> String {
    let token = app_token(emu).await;
    stream_location(emu, &token, catalog::TRACK_MP3_ONLY, "http_mp3_128").await
}

#[tokio::test]
async fn latency_and_bandwidth() {
    let emu = start().await;
    let url = progressive_url(&emu).await;
    emu.add_fault(
        Fault::on(".128.mp3", FaultKind::Latency(Duration::from_millis(300)))
            .at(Origin::Cdn)
            .times(1),
    );
    let t = Instant::now();
    assert_eq!(fetch(&url).await.status(), StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    fetch(&url).await;
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "times(1) is used up"
    );
    emu.add_fault(Fault::on(".128.mp3", FaultKind::Bandwidth(200_000)).times(1));
    let t = Instant::now();
    let r = client()
        .get(&url)
        .header("Range", "bytes=0-99999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_length(), Some(100_000));
    assert_eq!(r.bytes().await.unwrap().len(), 100_000);
    // A slow link does not change the headers: a media segment still says its length.
    let token = app_token(&emu).await;
    let playlist = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_aac_160").await;
    let (_, segments, _) = parse_playlist(&fetch(&playlist).await.text().await.unwrap());
    emu.add_fault(Fault::on(".m4s", FaultKind::Bandwidth(50_000_000)).times(1));
    let r = fetch(&segments[0]).await;
    let said = r.content_length();
    assert_eq!(said, Some(r.bytes().await.unwrap().len() as u64));
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn statuses_and_retry_after() {
    let emu = start().await;
    let token = app_token(&emu).await;
    emu.add_fault(
        Fault::on("/tracks/2001", FaultKind::Status(503))
            .at(Origin::Api)
            .times(1),
    );
    assert_eq!(
        get(&emu, &token, "/tracks/2001").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get(&emu, &token, "/tracks/2001").await.status(),
        StatusCode::OK
    );
    emu.add_fault(
        Fault::on(
            "/tracks/2001",
            FaultKind::TooManyRequests {
                retry_after_secs: 7,
            },
        )
        .times(1),
    );
    let r = get(&emu, &token, "/tracks/2001").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "7");
    emu.add_fault(
        Fault::on("/oauth/token", FaultKind::Status(500))
            .at(Origin::Auth)
            .times(1),
    );
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn dropped_connection_mid_body() {
    let emu = start().await;
    let url = progressive_url(&emu).await;
    emu.add_fault(Fault::on(".128.mp3", FaultKind::DropAfter(50_000)).times(1));
    let r = fetch(&url).await;
    assert_eq!(r.status(), StatusCode::OK);
    let total: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut r = r;
    let mut got = 0;
    let err = loop {
        match r.chunk().await {
            Ok(Some(c)) => got += c.len(),
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    assert!(
        err.is_some(),
        "the body must fail, got {got} of {total} bytes"
    );
    assert_eq!(got, 50_000);
    assert_eq!(bytes(&url).await.len(), total, "the next request is whole");
}

#[tokio::test]
async fn stall_then_resume() {
    let emu = start().await;
    let url = progressive_url(&emu).await;
    let whole = bytes(&url).await;
    emu.add_fault(
        Fault::on(
            ".128.mp3",
            FaultKind::Stall {
                after_bytes: 10_000,
                pause: Duration::from_millis(400),
            },
        )
        .times(1),
    );
    let t = Instant::now();
    let mut r = fetch(&url).await;
    let first = r.chunk().await.unwrap().unwrap();
    assert!(first.len() <= 10_000);
    let mut all = first.to_vec();
    while let Some(c) = r.chunk().await.unwrap() {
        all.extend_from_slice(&c);
    }
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert_eq!(all, whole, "a stall delays but never changes the bytes");
}

#[tokio::test]
async fn corrupted_bytes() {
    let emu = start().await;
    let url = progressive_url(&emu).await;
    let whole = bytes(&url).await;
    emu.add_fault(
        Fault::on(
            ".128.mp3",
            FaultKind::Corrupt {
                offset: 20_000,
                len: 100,
            },
        )
        .times(1),
    );
    let bad = bytes(&url).await;
    assert_eq!(bad.len(), whole.len());
    let diff: Vec<usize> = (0..whole.len()).filter(|&i| whole[i] != bad[i]).collect();
    assert_eq!(diff.first(), Some(&20_000));
    assert_eq!(diff.last(), Some(&20_099));
    assert_eq!(diff.len(), 100);
}

#[tokio::test]
async fn request_log_sees_every_origin_and_connection() {
    let emu = start().await;
    let token = app_token(&emu).await;
    emu.clear_requests();
    let c = client();
    for _ in 0..3 {
        c.get(format!("{}/tracks/2001", emu.api_base()))
            .header("Authorization", format!("OAuth {token}"))
            .send()
            .await
            .unwrap();
    }
    let log = emu.requests();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|r| r.origin == Origin::Api
        && r.method == "GET"
        && r.path == "/tracks/2001"
        && r.status == 200
        && r.authorization));
    assert_eq!(
        log.iter()
            .map(|r| r.connection)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        1,
        "one kept-alive connection"
    );
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    emu.add_fault(Fault::on("/tracks", FaultKind::Status(502)));
    assert_eq!(
        get(&emu, &token, "/tracks/2002").await.status(),
        StatusCode::BAD_GATEWAY
    );
    emu.clear_faults();
    assert_eq!(
        get(&emu, &token, "/tracks/2002").await.status(),
        StatusCode::OK
    );
    let ranged = client()
        .get(progressive_url(&emu).await)
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.origin == Origin::Cdn && r.range.as_deref() == Some("bytes=0-9"))
    );
}
