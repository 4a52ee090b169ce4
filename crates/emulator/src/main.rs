//! `scplay-emulator`: runs the loopback SoundCloud until Ctrl-C and prints one JSON line with
//! its origins and the seeded app's credentials.
//!
//! ```text
//! cargo run -p scplay-emulator -- --port 8080
//! cargo run -p scplay-emulator -- --latency 50    # every answer 50 ms late
//! cargo run -p scplay-emulator -- --bandwidth 1000000   # bodies at 1 MB/s (about 8 Mbit/s)
//! ```

use clap::Parser;
use scplay_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, catalog};

/// A faithful SoundCloud (API, OAuth 2.1, signed CDN, real media) on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Port for the API origin (0 picks a free one). OAuth, CDN and web origins take free ports.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Lifetime of signed CDN URLs, in seconds (the live service: about 300).
    #[arg(long, default_value_t = 300)]
    url_ttl: u64,
    /// Access-token lifetime, in seconds (the live service: 3599).
    #[arg(long, default_value_t = 3599)]
    token_ttl: u64,
    /// Delay every answer (API, OAuth, CDN, web) by this many milliseconds, to try a client
    /// over a slow network.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency: u64,
    /// Send every answer's body (media included) at most this many bytes a second, to try a
    /// client on a slow link (0: as fast as loopback goes).
    #[arg(long, default_value_t = 0, value_name = "BYTES_PER_SEC")]
    bandwidth: u64,
    /// Also print, on stderr, a short tour: curl commands that sign in and walk the demo
    /// playlist down to its signed media URLs.
    #[arg(long)]
    demo: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = EmulatorConfig {
        api_port: args.port,
        cdn_url_ttl: std::time::Duration::from_secs(args.url_ttl),
        token_ttl: std::time::Duration::from_secs(args.token_ttl),
        ..EmulatorConfig::default()
    };
    let emu = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "scplay-emulator: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            std::process::exit(1);
        }
    };
    if args.latency > 0 {
        let d = std::time::Duration::from_millis(args.latency);
        emu.add_fault(Fault::on("/", FaultKind::Latency(d)));
    }
    if args.bandwidth > 0 {
        emu.add_fault(Fault::on("/", FaultKind::Bandwidth(args.bandwidth)));
    }
    let line = serde_json::json!({
        "api_base": emu.api_base(),
        "auth_base": emu.auth_base(),
        "cdn_base": emu.cdn_base(),
        "web_base": emu.web_base(),
        "client_id": catalog::CLIENT_ID,
        "client_secret": catalog::CLIENT_SECRET,
        "redirect_uri": catalog::REDIRECT_URI,
        "demo_playlist": "https://soundcloud.com/scplay-demo/sets/scplay-demo",
    });
    println!("{line}");
    if args.demo {
        let api = emu.api_base();
        let auth = emu.auth_base();
        eprintln!(
            "\nscplay demo: a SoundCloud emulator is running on loopback. `cargo run --example play --\n\
             --demo` plays its demo playlist; to walk the API by hand, in another terminal:\n\n\
             TOKEN=$(curl -s -u {id}:{secret} -d grant_type=client_credentials {auth}/oauth/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')\n\
             curl -si -H \"Authorization: OAuth $TOKEN\" '{api}/resolve?url=https://soundcloud.com/scplay-demo/sets/scplay-demo'\n\
             curl -s  -H \"Authorization: OAuth $TOKEN\" {api}/tracks/soundcloud:tracks:{t}/streams\n\
             curl -si -H \"Authorization: OAuth $TOKEN\" {api}/tracks/soundcloud:tracks:{t}/streams/hls_aac_160   # 302 to the signed CDN playlist\n\n\
             Press Ctrl-C to stop.",
            id = catalog::CLIENT_ID,
            secret = catalog::CLIENT_SECRET,
            t = catalog::TRACK_DEMO_1,
        );
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
