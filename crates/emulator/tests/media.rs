//! Streams like the live service: the 302 hop to a signed CDN URL, expiry, Range, and every
//! rendition parsing with hls_m3u8 and decoding with symphonia end to end.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use scplay_emulator::{Origin, catalog};

#[tokio::test]
async fn stream_hop_is_signed_expiring_and_token_free() {
    let emu = start().await;
    let token = app_token(&emu).await;
    let r = get(
        &emu,
        &token,
        &format!("/tracks/{}/streams", catalog::TRACK_PLAYABLE),
    )
    .await;
    let v = json(r).await;
    for k in [
        "hls_aac_160_url",
        "hls_aac_96_url",
        "hls_mp3_128_url",
        "http_mp3_128_url",
        "preview_mp3_128_url",
    ] {
        assert!(
            v[k].as_str().unwrap().starts_with(emu.api_base()),
            "{k} is an API URL"
        );
    }
    // The stream URL itself needs the token.
    let hop = v["hls_aac_160_url"].as_str().unwrap();
    assert_eq!(fetch(hop).await.status(), StatusCode::UNAUTHORIZED);
    let loc = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_aac_160").await;
    assert_eq!(fetch(&loc).await.status(), StatusCode::OK);
    // Tampered or missing signatures: a short non-JSON 403.
    let tampered = loc.replace("Signature=", "Signature=0");
    let r = fetch(&tampered).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(body.len() < 64 && serde_json::from_str::<serde_json::Value>(&body).is_err());
    assert_eq!(
        fetch(loc.split('?').next().unwrap()).await.status(),
        StatusCode::FORBIDDEN
    );
    // Expiry: the lifetime comes from the configuration, and an expired URL is refused (the
    // CDN's clock moves past it instead of the test waiting for it).
    emu.update_config(|c| c.cdn_url_ttl = Duration::from_secs(1));
    let short = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_mp3_128").await;
    let expires: i64 = short
        .split("expires=")
        .nth(1)
        .and_then(|v| v.split('&').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now..=now + 2).contains(&expires), "{expires} vs {now}");
    assert_eq!(fetch(&short).await.status(), StatusCode::OK);
    emu.expire_cdn_urls();
    assert_eq!(fetch(&short).await.status(), StatusCode::FORBIDDEN);
    let fresh = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_mp3_128").await;
    assert_eq!(fetch(&fresh).await.status(), StatusCode::OK);
    // The log tells whether a CDN request carried credentials: none did here.
    let cdn: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.origin == Origin::Cdn)
        .collect();
    assert!(!cdn.is_empty() && cdn.iter().all(|r| !r.authorization));
    let _ = client()
        .get(&loc)
        .header("Authorization", "OAuth leak")
        .send()
        .await
        .unwrap();
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.origin == Origin::Cdn && r.authorization)
    );
}

#[tokio::test]
async fn access_levels_shape_the_streams() {
    let emu = start().await;
    let token = app_token(&emu).await;
    let r = get(
        &emu,
        &token,
        &format!("/tracks/{}/streams", catalog::TRACK_BLOCKED),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let v = json(
        get(
            &emu,
            &token,
            &format!("/tracks/{}/streams", catalog::TRACK_PREVIEW),
        )
        .await,
    )
    .await;
    assert!(v.get("hls_aac_160_url").is_none() && v["preview_mp3_128_url"].is_string());
    let v = json(
        get(
            &emu,
            &token,
            &format!("/tracks/{}/streams", catalog::TRACK_MP3_ONLY),
        )
        .await,
    )
    .await;
    assert!(v.get("hls_aac_160_url").is_none() && v["hls_mp3_128_url"].is_string());
    // Private: 404 without the secret token, streams with it.
    let r = get(
        &emu,
        &token,
        &format!("/tracks/{}/streams", catalog::TRACK_PRIVATE),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = get(
        &emu,
        &token,
        &format!(
            "/tracks/{}/streams?secret_token={}",
            catalog::TRACK_PRIVATE,
            catalog::SECRET_TOKEN_TRACK
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = get(
        &emu,
        &token,
        &format!("/tracks/{}/preview", catalog::TRACK_PLAYABLE),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn every_rendition_parses_and_decodes() {
    let emu = start().await;
    let token = app_token(&emu).await;
    for (track, kind, ext, min_secs, max_secs) in [
        (catalog::TRACK_PLAYABLE, "hls_aac_160", "mp4", 35.9, 36.2),
        (catalog::TRACK_PLAYABLE, "hls_aac_96", "mp4", 35.9, 36.2),
        (catalog::TRACK_PLAYABLE, "hls_mp3_128", "mp3", 35.9, 36.2),
        (catalog::TRACK_DEMO_1, "hls_aac_160", "mp4", 5.9, 6.2),
        (catalog::TRACK_DEMO_2, "hls_mp3_128", "mp3", 7.9, 8.2),
    ] {
        let loc = stream_location(&emu, &token, track, kind).await;
        let (data, segments) = download_hls(&loc).await;
        assert!(segments >= 1);
        let (rate, channels, frames, bad) = decode(data, ext);
        let secs = frames as f64 / f64::from(rate);
        assert_eq!((rate, channels, bad), (44_100, 2, 0), "{track} {kind}");
        assert!(
            (min_secs..max_secs).contains(&secs),
            "{track} {kind}: {secs} s"
        );
    }
    // Progressive (full for MP3-only tracks) and the 30 s preview.
    for (track, kind, min, max) in [
        (catalog::TRACK_MP3_ONLY, "http_mp3_128", 35.9, 36.2),
        (catalog::TRACK_PLAYABLE, "preview_mp3_128", 29.9, 30.2),
        (catalog::TRACK_PLAYABLE, "http_mp3_128", 29.9, 30.2),
    ] {
        let loc = stream_location(&emu, &token, track, kind).await;
        let (rate, _, frames, bad) = decode(bytes(&loc).await, "mp3");
        let secs = frames as f64 / f64::from(rate);
        assert!(
            bad == 0 && (min..max).contains(&secs),
            "{track} {kind}: {secs} s"
        );
    }
}

#[tokio::test]
async fn mp3_hls_segments_grow_like_the_service() {
    let emu = start().await;
    let token = app_token(&emu).await;
    let loc = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_mp3_128").await;
    let text = String::from_utf8(bytes(&loc).await).unwrap();
    assert!(text.contains("#EXT-X-VERSION:6") && !text.contains("EXT-X-MAP"));
    let (_, segs, durs) = parse_playlist(&text);
    assert!(
        (durs[0] - 2.0).abs() < 0.1 && (durs[1] - 3.0).abs() < 0.1 && (durs[2] - 10.0).abs() < 0.1,
        "{durs:?}"
    );
    assert!(segs[1].contains("/media/"));
    let aac = stream_location(&emu, &token, catalog::TRACK_PLAYABLE, "hls_aac_160").await;
    let text = String::from_utf8(bytes(&aac).await).unwrap();
    assert!(text.contains("#EXT-X-VERSION:7") && text.contains("#EXT-X-MAP:URI="));
    let (_, _, durs) = parse_playlist(&text);
    assert!((durs[0] - 10.0078).abs() < 0.001, "{durs:?}");
}

#[tokio::test]
async fn the_hour_long_track_is_one_continuous_stream() {
    let emu = start().await;
    let token = app_token(&emu).await;
    let meta = json(get(&emu, &token, &format!("/tracks/{}", catalog::TRACK_HOUR)).await).await;
    let ms = meta["duration"].as_u64().unwrap();
    assert!((3_590_000..3_610_000).contains(&ms), "{ms}");
    let loc = stream_location(&emu, &token, catalog::TRACK_HOUR, "hls_aac_160").await;
    let (data, segments) = download_hls(&loc).await;
    assert_eq!(segments, 360);
    let (rate, _, frames, bad) = decode(data, "mp4");
    assert_eq!(bad, 0);
    let secs = frames as f64 / f64::from(rate);
    assert!(
        (secs * 1000.0 - ms as f64).abs() < 50.0,
        "decoded {secs} s, metadata {ms} ms"
    );
    // The MP3 rendition is a 57 MB file served as byte ranges.
    let loc = stream_location(&emu, &token, catalog::TRACK_HOUR, "hls_mp3_128").await;
    let text = String::from_utf8(bytes(&loc).await).unwrap();
    let (_, segs, durs) = parse_playlist(&text);
    let last = segs.last().unwrap();
    let end: u64 = last
        .split("/media/")
        .nth(1)
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(end > 50_000_000, "{end}");
    assert!((durs.iter().sum::<f64>() * 1000.0 - ms as f64).abs() < 2_000.0);
    let (rate, _, frames, bad) = decode(bytes(last).await, "mp3");
    assert!(bad == 0 && frames as f64 / f64::from(rate) > 1.0);
}

#[tokio::test]
async fn progressive_supports_range() {
    let emu = start().await;
    let token = app_token(&emu).await;
    let loc = stream_location(&emu, &token, catalog::TRACK_MP3_ONLY, "http_mp3_128").await;
    let whole = bytes(&loc).await;
    let r = client()
        .get(&loc)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 1000-1999/{}", whole.len()).as_str()
    );
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        whole[1000..2000].to_vec()
    );
    let r = client()
        .get(&loc)
        .header("Range", format!("bytes={}-", whole.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let r = client()
        .get(&loc)
        .header("Range", "bytes=-100")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        whole[whole.len() - 100..].to_vec()
    );
}
