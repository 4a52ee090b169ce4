//! Shared helpers for the emulator's HTTP tests.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, Response, StatusCode};
use scplay_emulator::{Emulator, catalog};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use scplay_testkit::{emulator as start, emulator_with as start_with};

/// A client that never follows redirects, so tests see every 302.
pub fn client() -> Client {
    // reqwest brings no crypto provider of its own (the workspace's one is rustls' ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn json(r: Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A client-credentials access token.
pub async fn app_token(emu: &Emulator) -> String {
    let r = client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .basic_auth(catalog::CLIENT_ID, Some(catalog::CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    json(r).await["access_token"].as_str().unwrap().to_string()
}

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123456789";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Runs `/authorize` and returns the code from the redirect.
pub async fn authorize(emu: &Emulator) -> String {
    let r = client()
        .get(format!("{}/authorize", emu.auth_base()))
        .query(&[
            ("client_id", catalog::CLIENT_ID),
            ("redirect_uri", catalog::REDIRECT_URI),
            ("response_type", "code"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
            ("state", "xyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(catalog::REDIRECT_URI), "{loc}");
    assert!(loc.ends_with("&state=xyz"), "{loc}");
    let code = loc
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    code.to_string()
}

/// A user (authorization code + PKCE) token pair: (access, refresh).
pub async fn user_tokens(emu: &Emulator) -> (String, String) {
    let code = authorize(emu).await;
    let r = exchange(emu, &code, VERIFIER, catalog::REDIRECT_URI).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = json(r).await;
    (
        v["access_token"].as_str().unwrap().to_string(),
        v["refresh_token"].as_str().unwrap().to_string(),
    )
}

pub async fn exchange(emu: &Emulator, code: &str, verifier: &str, redirect: &str) -> Response {
    client()
        .post(format!("{}/oauth/token", emu.auth_base()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", catalog::CLIENT_ID),
            ("client_secret", catalog::CLIENT_SECRET),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
            ("code", code),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn user_token(emu: &Emulator) -> String {
    user_tokens(emu).await.0
}

/// GET on the API with a token.
pub async fn get(emu: &Emulator, token: &str, path_and_query: &str) -> Response {
    client()
        .get(format!("{}{path_and_query}", emu.api_base()))
        .header("Authorization", format!("OAuth {token}"))
        .send()
        .await
        .unwrap()
}

/// Follows a stream hop (`/tracks/{urn}/streams/{kind}`) to its signed CDN URL.
pub async fn stream_location(emu: &Emulator, token: &str, track: u64, kind: &str) -> String {
    let r = get(
        emu,
        token,
        &format!("/tracks/soundcloud:tracks:{track}/streams/{kind}"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND, "{kind} of {track}");
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with(emu.cdn_base()), "{loc}");
    loc
}

/// GET without credentials (the CDN).
pub async fn fetch(url: &str) -> Response {
    client().get(url).send().await.unwrap()
}

pub async fn bytes(url: &str) -> Vec<u8> {
    let r = fetch(url).await;
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.bytes().await.unwrap().to_vec()
}

/// The URIs of a media playlist (after parsing it with `hls_m3u8`): (init, segments, durations).
pub fn parse_playlist(text: &str) -> (Option<String>, Vec<String>, Vec<f64>) {
    let pl = hls_m3u8::MediaPlaylist::try_from(text).expect("playlist parses with hls_m3u8");
    let mut init = None;
    let mut segs = Vec::new();
    let mut durs = Vec::new();
    for seg in pl.segments.values() {
        if let Some(map) = &seg.map {
            init.get_or_insert_with(|| map.uri().to_string());
        }
        segs.push(seg.uri().to_string());
        durs.push(seg.duration.duration().as_secs_f64());
    }
    (init, segs, durs)
}

/// Downloads a whole HLS rendition (init segment first) as one byte stream.
pub async fn download_hls(playlist_url: &str) -> (Vec<u8>, usize) {
    let text = String::from_utf8(bytes(playlist_url).await).unwrap();
    let (init, segs, _) = parse_playlist(&text);
    let mut out = Vec::new();
    if let Some(init) = init {
        out.extend(bytes(&init).await);
    }
    for s in &segs {
        out.extend(bytes(s).await);
    }
    (out, segs.len())
}

/// Decodes a whole stream with symphonia: (sample rate, channels, frames decoded, bad packets).
pub fn decode(data: Vec<u8>, ext: &str) -> (u32, usize, u64, u64) {
    let d = scplay_testkit::reference_decode(data, ext);
    (d.rate, usize::from(d.channels), d.frames(), d.bad_packets)
}
