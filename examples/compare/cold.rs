//! Cold start: from spawning the `play` binary to the first PCM byte on its stdout (`--sink
//! pipe`), for a direct playlist URL (beside ffmpeg, spawned the same way), a track URN and a
//! soundcloud.com URL through the API with a stored token (the URL also with a page cache
//! that has seen it: no `/resolve`), at 0 and 50 ms per answer.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, catalog};

/// From spawning `cmd` to the first byte on its stdout (the child is killed then); `None` if
/// it could not start or wrote nothing.
pub fn first_byte(mut cmd: Command) -> Option<Duration> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let mut b = [0u8; 1];
    let t = out.read_exact(&mut b).ok().map(|_| start.elapsed());
    let _ = child.kill();
    let _ = child.wait();
    t
}

/// The `play` example beside this binary (`cargo build --release --example play`).
fn play_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe
        .parent()?
        .join(format!("play{}", std::env::consts::EXE_SUFFIX));
    bin.exists().then_some(bin)
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

/// Prints the cold-start table: `runs` alternating runs per row, medians.
pub fn table(
    emu: &Emulator,
    runs: usize,
    have_ffmpeg: bool,
    median: fn(Vec<Duration>) -> Option<Duration>,
    ffmpeg: fn(&str) -> Command,
) {
    println!();
    let Some(play) = play_bin() else {
        println!("cold start: build the play example first (cargo build --release --example play)");
        return;
    };
    let token = std::env::temp_dir().join(format!("scplay-compare-{}.json", std::process::id()));
    let pages = std::env::temp_dir().join(format!("scplay-compare-{}.pages", std::process::id()));
    // `remembered`: with a page cache that has seen the page; otherwise none.
    let run = |target: &str, remembered: bool| {
        let mut c = Command::new(&play);
        c.arg("--page-cache");
        if remembered {
            c.arg(&pages);
        } else {
            c.arg("off");
        }
        c.args(["--api-base", emu.api_base(), "--auth-base", emu.auth_base()])
            .args(["--client-id", catalog::CLIENT_ID])
            .args(["--client-secret", catalog::CLIENT_SECRET])
            .arg("--token-file")
            .arg(&token)
            .args(["--sink", "pipe", target]);
        first_byte(c)
    };
    let urn = format!("soundcloud:tracks:{}", catalog::TRACK_PLAYABLE);
    let page = "https://soundcloud.com/scplay-demo/first-light";
    // The app's token is fetched once and stored, as on a player that has run before.
    emu.clear_faults();
    let _ = run(&urn, false);
    // The page is seen once, as on a player that played it before a restart.
    let _ = run(page, true);
    println!(
        "cold start: spawn `play --sink pipe TARGET` -> first PCM byte on stdout (ffmpeg: `-i URL -f f32le -`); {runs} alternating runs, medians"
    );
    println!(
        "{:<10} {:<36} {:>12} {:>12} {:>8}",
        "latency", "target", "play", "ffmpeg", "ratio"
    );
    for latency in [0u64, 50] {
        super::every_answer_late(emu, latency);
        let direct = emu.sign_cdn_path(
            &format!("/aac/{}/160/playlist.m3u8", catalog::TRACK_PLAYABLE),
            Duration::from_secs(600),
        );
        let rows: [(&str, &str, bool, bool); 4] = [
            ("direct AAC HLS playlist URL", &direct, true, false),
            ("track URN (API, stored token)", &urn, false, false),
            ("soundcloud.com URL (API)", page, false, false),
            ("soundcloud.com URL, played before", page, false, true),
        ];
        for (name, target, with_ffmpeg, remembered) in rows {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                ours.extend(run(target, remembered));
                if with_ffmpeg && have_ffmpeg {
                    theirs.extend(first_byte(ffmpeg(target)));
                }
            }
            let (a, b) = (median(ours), median(theirs));
            let ratio = match (a, b) {
                (Some(a), Some(b)) => format!("{:.2}", a.as_secs_f64() / b.as_secs_f64()),
                _ => "n/a".into(),
            };
            println!(
                "{:<10} {:<36} {:>12} {:>12} {:>8}",
                format!("{latency} ms"),
                name,
                ms(a),
                ms(b),
                ratio
            );
        }
    }
    emu.clear_faults();
    let _ = std::fs::remove_file(&token);
    let _ = std::fs::remove_file(&pages);
}
