//! The independent loudness meter of the tests: ffmpeg's `ebur128` filter (`make deps`
//! installs ffmpeg). Also used by the root crate's `tests/play_cli.rs`.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

/// Integrated loudness (LUFS) and true peak (dBTP) of an audio file, as ffmpeg reads them.
pub fn ebur128(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is needed for this test (make deps installs it)");
    let text = String::from_utf8_lossy(&out.stderr);
    // The summary comes last: "I: -14.0 LUFS" and, under "True peak:", "Peak: -1.2 dBFS".
    let summary = &text[text.rfind("Summary:").unwrap()..];
    let value = |key: &str| -> f64 {
        let at = summary.find(key).unwrap() + key.len();
        summary[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (value("I:"), value("Peak:"))
}
