//! Helpers for the player's end-to-end tests.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

pub mod ffmpeg;

use std::path::PathBuf;

use scplay_core::Client;
use scplay_emulator::catalog;
use scplay_player::{Player, PlayerOptions, Sink, fetch, hls, read_wav};

pub use scplay_testkit::{app_client as client, emulator, wait_event, wait_until};

/// Reads a WAV file the player wrote and removes it (tests write hundreds of MB a run).
pub fn take_wav(path: &std::path::Path) -> (scplay_player::Format, Vec<f32>) {
    let wav = read_wav(&std::fs::read(path).unwrap()).unwrap();
    let _ = std::fs::remove_file(path);
    wav
}

pub fn temp_wav(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scplay-player-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.wav"))
}

/// Plays `target` to a WAV file and returns (rate, channels, samples).
pub fn play_to_wav(
    client: Option<Client>,
    target: &str,
    name: &str,
    opts: PlayerOptions,
) -> (u32, u16, Vec<f32>) {
    let path = temp_wav(name);
    let player = Player::new(client, Sink::Wav(path.clone()), opts).unwrap();
    player.play(target).unwrap();
    player.wait().unwrap_or_else(|e| panic!("{target}: {e}"));
    drop(player);
    let (f, s) = take_wav(&path);
    (f.rate, f.channels, s)
}

/// Downloads a whole rendition (HLS: init then every segment; else the file).
pub async fn download(url: &str) -> (Vec<u8>, u64, &'static str) {
    let http = scplay_core::tls::client_builder().build().unwrap();
    let u = url::Url::parse(url).unwrap();
    if u.path().ends_with(".m3u8") {
        let pl = fetch::playlist(&http, &u, Default::default())
            .await
            .unwrap();
        let mut out = Vec::new();
        let mut priming = 0;
        let mut last_init = None;
        for s in &pl.segments {
            if s.init != last_init {
                if let Some(i) = &s.init {
                    let b = http
                        .get((**i).clone())
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap();
                    priming = scplay_player::fmp4::priming(&b);
                    out.extend_from_slice(&b);
                }
                last_init = s.init.clone();
            }
            out.extend_from_slice(
                &http
                    .get(s.url.clone())
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap(),
            );
        }
        let ext = if last_init.is_some() { "mp4" } else { "mp3" };
        let _ = hls::MAX_PLAYLIST_BYTES;
        (out, priming, ext)
    } else {
        (
            http.get(u)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec(),
            0,
            "mp3",
        )
    }
}

/// The reference: the whole file decoded by symphonia in one go, priming trimmed.
pub fn reference_decode(data: Vec<u8>, ext: &str, priming: u64) -> (u32, u16, Vec<f32>) {
    let d = scplay_testkit::reference_decode(data, ext);
    (d.rate, d.channels, d.without_priming(priming))
}

/// Signal-to-noise ratio of `got` against `want` over their common length, in dB.
pub fn snr_db(want: &[f32], got: &[f32]) -> f64 {
    let n = want.len().min(got.len());
    let (mut sig, mut noise) = (0f64, 0f64);
    for i in 0..n {
        sig += f64::from(want[i]).powi(2);
        noise += f64::from(want[i] - got[i]).powi(2);
    }
    if noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (sig / noise).log10()
    }
}

/// A writer that wants 48 kHz mono, as some USB DACs do.
pub struct Wants48kMono(pub std::sync::Arc<std::sync::Mutex<Vec<f32>>>);
impl scplay_player::SampleWriter for Wants48kMono {
    fn format_for(&self, _: scplay_player::Format) -> scplay_player::Format {
        scplay_player::Format {
            rate: 48_000,
            channels: 1,
        }
    }
    fn begin(&mut self, f: scplay_player::Format) -> std::io::Result<()> {
        assert_eq!((f.rate, f.channels), (48_000, 1));
        Ok(())
    }
    fn write(&mut self, s: &[f32]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(s);
        Ok(())
    }
    fn end(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 44.1 kHz stereo `want` mixed to mono and taken to 48 kHz by linear interpolation
/// (`frames` long): what a resampled output should roughly be.
pub fn to_48k_mono(want: &[f32], frames: usize) -> Vec<f32> {
    let mono: Vec<f32> = want.chunks(2).map(|f| (f[0] + f[1]) / 2.0).collect();
    (0..frames)
        .map(|i| {
            let x = i as f64 * 44_100.0 / 48_000.0;
            let (k, frac) = (x as usize, (x - x.floor()) as f32);
            let a = mono[k.min(mono.len() - 1)];
            let b = mono[(k + 1).min(mono.len() - 1)];
            a + (b - a) * frac
        })
        .collect()
}

/// Plays `targets` into a [`Wants48kMono`] sink and returns what it got.
pub fn play_to_48k_mono(client: Option<Client>, targets: Vec<scplay_player::Target>) -> Vec<f32> {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let player = Player::new(
        client,
        Sink::Writer(Box::new(Wants48kMono(buf.clone()))),
        PlayerOptions::default(),
    )
    .unwrap();
    player.play_all(targets);
    player.wait().unwrap();
    drop(player);
    std::sync::Arc::try_unwrap(buf)
        .unwrap()
        .into_inner()
        .unwrap()
}

/// Serves `files` (path → body, 200 with Content-Length, Range ignored) on a loopback port
/// until the test ends; the base URL (`http://127.0.0.1:PORT`). Unknown paths get 404.
pub async fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let files = std::sync::Arc::new(files);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let files = files.clone();
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&req);
                let path = line.split_whitespace().nth(1).unwrap_or("/");
                let path = path.split('?').next().unwrap_or(path);
                let body = files.iter().find(|(p, _)| p == path).map(|(_, b)| b);
                let head = match body {
                    Some(b) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        b.len()
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .into()
                    }
                };
                let _ = conn.write_all(head.as_bytes()).await;
                if let Some(b) = body {
                    let _ = conn.write_all(b).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

/// `samples` (interleaved, in `format`) as a 32-bit float WAV file's bytes.
pub fn wav_bytes(name: &str, format: scplay_player::Format, samples: &[f32]) -> Vec<u8> {
    use scplay_player::SampleWriter;
    let path = temp_wav(name);
    let mut w = scplay_player::WavWriter::new(path.clone());
    w.begin(format).unwrap();
    w.write(samples).unwrap();
    w.end().unwrap();
    std::fs::read(path).unwrap()
}

/// The emulator's continuous set, [`catalog::TRACK_SET_1`] to 3, as queue items.
pub fn set_targets() -> Vec<scplay_player::Target> {
    [
        catalog::TRACK_SET_1,
        catalog::TRACK_SET_2,
        catalog::TRACK_SET_3,
    ]
    .into_iter()
    .map(|id| scplay_player::Target::Track(id.into()))
    .collect()
}

/// A signed URL of a progressive MP3 that sends about a second of audio, then nothing for
/// 3 s (once), then the rest: an underrun mid-track for a real-time output.
pub fn stalled_mp3(emu: &scplay_emulator::Emulator) -> String {
    use scplay_emulator::{Fault, FaultKind, Origin};
    let url = emu.sign_cdn_path(
        &format!("/{}.128.mp3", catalog::TRACK_DEMO_1),
        std::time::Duration::from_secs(300),
    );
    emu.add_fault(
        Fault::on(
            ".128.mp3",
            FaultKind::Stall {
                after_bytes: 20_000,
                pause: std::time::Duration::from_secs(3),
            },
        )
        .at(Origin::Cdn)
        .times(1),
    );
    url
}
