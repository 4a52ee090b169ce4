//! Helpers for tests that spawn the `play` example against the emulator.
#![allow(dead_code, unused_imports, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use scplay_emulator::{Emulator, catalog};

/// The built example (cargo test builds examples next to the test binaries).
pub fn play_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir
        .join("examples")
        .join(format!("play{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "build the example first: {}", bin.display());
    bin
}

/// The flags that point `play` at the emulator with the app's client id.
pub fn api_args(emu: &Emulator) -> [&str; 6] {
    [
        "--api-base",
        emu.api_base(),
        "--auth-base",
        emu.auth_base(),
        "--client-id",
        catalog::CLIENT_ID,
    ]
}

/// The config folder the tests give `play` (its cached token lives there): one per emulator.
/// Every `play` of an app shares one SoundCloud, but tests run side by side, each with its own
/// emulator, which refuses the tokens the others granted.
pub fn config_home(emu: &Emulator) -> PathBuf {
    let port = emu.api_base().rsplit(':').next().unwrap_or("0");
    std::env::temp_dir().join(format!("scplay-cli-{}-{port}", std::process::id()))
}

/// `play` pointed at the emulator, with the app's secret, then `args`.
pub fn command(emu: &Emulator, args: &[&str]) -> Command {
    let mut c = Command::new(play_bin());
    c.args(api_args(emu))
        .args(args)
        .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET)
        .env("XDG_CONFIG_HOME", config_home(emu));
    c
}

/// Runs `play` to its end.
pub fn play(emu: &Emulator, args: &[&str]) -> Output {
    command(emu, args).output().unwrap()
}

/// `play … args` on a pseudo-terminal (util-linux `script`), its standard streams unset.
pub fn on_terminal_command(emu: &Emulator, args: &[&str]) -> Command {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let mut line = vec![quote(&play_bin().display().to_string())];
    line.extend(api_args(emu).iter().chain(args).map(|a| quote(a)));
    let mut c = Command::new("script");
    c.args(["-qefc", &line.join(" "), "/dev/null"])
        .env("SOUNDCLOUD_CLIENT_SECRET", catalog::CLIENT_SECRET)
        .env("XDG_CONFIG_HOME", config_home(emu));
    c
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub use scplay_testkit::emulator;

/// Seconds of audio in a WAV file.
pub fn wav_secs(path: &Path) -> f64 {
    let (f, s) = scplay::player::read_wav(&std::fs::read(path).unwrap()).unwrap();
    s.len() as f64 / f64::from(f.channels) / f64::from(f.rate)
}

/// Waits (up to `limit`) for the process to exit; its status code, or `None` (then killed).
pub fn exit_within(child: &mut Child, limit: Duration) -> Option<Option<i32>> {
    let mut code = None;
    if scplay_testkit::wait_until(limit, || {
        code = child.try_wait().unwrap().map(|s| s.code());
        code.is_some()
    }) {
        return code;
    }
    let _ = child.kill();
    None
}

/// Reads stdout lines until one contains `needle` (up to 20 s).
pub fn read_until(lines: &mut impl Iterator<Item = std::io::Result<String>>, needle: &str) {
    let end = Instant::now() + Duration::from_secs(20);
    for l in lines.by_ref() {
        if l.unwrap().contains(needle) {
            return;
        }
        assert!(Instant::now() < end, "no {needle} within 20 s");
    }
    panic!("stdout ended before {needle}");
}

/// Sends `signal` (a name: TERM, INT, HUP) to the process.
pub fn kill(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}
