//! A 500 MB upload streams from disk: peak memory does not grow with the file.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::*;
use scplay_core::{TrackFields, TrackUpload};
use scplay_emulator::EmulatorConfig;

/// Peak resident memory (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_mb_upload_keeps_memory_flat() {
    const SIZE: u64 = 500_000_000;
    let emu = emulator_with(EmulatorConfig {
        upload_limit: 600_000_000,
        ..EmulatorConfig::default()
    })
    .await;
    let client = user_client(&emu).await;
    let dir = std::env::temp_dir().join(format!("scplay-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.wav");
    {
        let mut f = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut f, b"RIFF\0\0\0\0WAVEfmt ").unwrap();
        f.set_len(SIZE).unwrap(); // sparse: no disk space, no memory
    }
    let before = peak_rss_kib();
    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let track = client
        .upload_track(&TrackUpload {
            audio: path.clone(),
            fields: TrackFields {
                title: Some("Big".into()),
                ..TrackFields::default()
            },
            artwork: None,
            progress: Some(Arc::new(move |done, total| {
                assert_eq!(total, SIZE);
                seen.store(done, Ordering::Relaxed);
            })),
        })
        .await
        .unwrap();
    let growth_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert_eq!(track.title.as_deref(), Some("Big"));
    assert_eq!(
        sent.load(Ordering::Relaxed),
        SIZE,
        "progress reached the end"
    );
    assert!(
        growth_mib < 48,
        "peak RSS grew by {growth_mib} MiB for a 500 MB upload"
    );
    let _ = std::fs::remove_dir_all(dir);
}
