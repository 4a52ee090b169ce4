//! A fleet's cold start through Redis: N clients, each with its own `RedisStore` (its own
//! connection, as separate processes would have), ask for a token at the same moment. One
//! grant is made; the others wait on the renewal lock and read the pair. Prints the time to
//! a first answer (token + one API call) p50/p99/max, against a second call by all of them
//! at once with the token held (what the API call alone costs under that load). Starts its
//! own redis-server (Debian's `redis-server`) on a loopback port, and the emulator. See
//! BENCHMARKS.md.
//!
//! ```text
//! cargo run --example fleet_bench                                # 100 clients, 10 rounds
//! cargo run --example fleet_bench -- --clients 100 --rounds 20
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use scplay::core::store::{RedisOptions, RedisStore};
use scplay::core::{Client, TokenStore};
use scplay_emulator::{Emulator, EmulatorConfig, catalog};

#[path = "../crates/core/tests/common/redis_server.rs"]
mod redis_server;

/// Time to a token for a fleet starting at once, through Redis.
#[derive(Debug, Parser)]
struct Args {
    /// Clients starting at the same moment.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Rounds, each with fresh keys and fresh clients.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
}

fn client(emu: &Emulator, store: Arc<dyn TokenStore>) -> Result<Client, String> {
    Client::builder()
        .client_id(catalog::CLIENT_ID)
        .client_secret(catalog::CLIENT_SECRET)
        .api_base(emu.api_base())
        .auth_base(emu.auth_base())
        .shared_token_store(store)
        .build()
        .map_err(|e| e.to_string())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One round: `n` clients start together; returns each one's time to its first answer, and
/// to a second answer asked for by all of them together again, the token now held.
async fn round(
    emu: &Emulator,
    url: &str,
    prefix: &str,
    n: usize,
) -> Result<(Vec<Duration>, Vec<Duration>), String> {
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let options = RedisOptions {
            prefix: prefix.to_string(),
            ..RedisOptions::default()
        };
        let store =
            RedisStore::open(url, catalog::CLIENT_ID, options).map_err(|e| e.to_string())?;
        let c = client(emu, Arc::new(store))?;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let t = Instant::now();
            c.track(2001).await?;
            let cold = t.elapsed();
            barrier.wait().await;
            let t = Instant::now();
            c.track(2001).await?;
            Ok::<_, scplay::core::Error>((cold, t.elapsed()))
        }));
    }
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for t in tasks {
        let (c, w) = t
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        cold.push(c);
        warm.push(w);
    }
    Ok((cold, warm))
}

async fn run(args: Args) -> Result<(), String> {
    let redis = redis_server::RedisServer::start();
    // The bench makes one grant per round; a failure shows as more than one, not as a 429.
    let mut config = EmulatorConfig::default();
    config.client_credentials_per_ip.max = 10_000;
    config.client_credentials_per_app.max = 10_000;
    let emu = Emulator::start(config).await.map_err(|e| e.to_string())?;
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for r in 0..args.rounds {
        let before = emu.grants().client_credentials;
        let (c, w) = round(&emu, &redis.url(), &format!("bench{r}"), args.clients).await?;
        cold.extend(c);
        warm.extend(w);
        let grants = emu.grants().client_credentials - before;
        if grants != 1 {
            return Err(format!(
                "round {r}: {grants} grants for {} clients",
                args.clients
            ));
        }
    }
    cold.sort();
    warm.sort();
    println!(
        "{} clients at once x {} rounds: 1 grant per round ({} grants in all)",
        args.clients,
        args.rounds,
        emu.grants().client_credentials
    );
    println!(
        "time to first answer (token + API call): p50 {}  p99 {}  max {}",
        ms(percentile(&cold, 0.5)),
        ms(percentile(&cold, 0.99)),
        ms(cold.last().copied().unwrap_or_default())
    );
    println!(
        "the same, all again, token held:          p50 {}  p99 {}",
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99))
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fleet_bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet_bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
