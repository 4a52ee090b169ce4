//! [`RedisStore`]: one token, and one renewer at a time, for a whole fleet of players.

mod bridge;
mod scripts;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use self::bridge::{Bridge, unavailable};
use super::{FleetEvent, FleetStats, StoreLock, TokenStore};
use crate::token::now_unix;
use crate::{Error, Result, Secret, Token};

/// How a [`RedisStore`] behaves. Durations are wall-clock time.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Whose token this store keeps besides the app (a user's account, a shop): tokens are
    /// keyed by client id and this. Default `app`, the app's own client-credentials token.
    pub account: String,
    /// Prefix of every key. Default `scplay`.
    pub prefix: String,
    /// How long the renewal lock lives if its holder dies without releasing it. Default 30 s
    /// (longer than a renewal within the client's retry budget).
    pub lock_ttl: Duration,
    /// How long a process waits for another's renewal before giving up. Default 45 s.
    pub lock_wait: Duration,
    /// Connect and per-command timeout. Default 2 s.
    pub timeout: Duration,
    /// First wait before trying an unreachable Redis (or a failed save) again; it doubles
    /// after each failure. Default 1 s.
    pub retry: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            account: "app".into(),
            prefix: "scplay".into(),
            lock_ttl: Duration::from_secs(30),
            lock_wait: Duration::from_secs(45),
            timeout: Duration::from_secs(2),
            retry: Duration::from_secs(1),
        }
    }
}

/// Keeps the token in Redis so that every player of a fleet uses one app token (SoundCloud
/// allows 50 client-credentials grants per app per 12 hours). Renewals take a lock key with
/// a TTL and a random owner value, released only by its owner (a Lua script); the new pair
/// is written, with a version that only grows, before the lock is released and before it is
/// used; the others wait and read it. A refresh token about to be sent is marked first, so
/// when its renewer dies the next one never sends it again. Plays and renewals are counted
/// per app ([`TokenStore::fleet_stats`]).
///
/// URLs: `redis://[user:pass@]HOST:PORT/DB`, `rediss://…` for TLS (rustls, the platform's
/// roots); `?account=NAME` sets [`RedisOptions::account`]. Neither `Debug` nor errors show the
/// password. See `docs/fleet.md`.
///
/// ```no_run
/// use scplay_core::store::{RedisOptions, RedisStore};
/// let url = "redis://:pw@10.0.0.2:6379/0";
/// let store = RedisStore::open(url, "my-client-id", RedisOptions::default())?;
/// # Ok::<(), scplay_core::Error>(())
/// ```
pub struct RedisStore {
    shared: Arc<Shared>,
}

struct Shared {
    bridge: Bridge,
    keys: Keys,
    options: RedisOptions,
    /// Host, port and database: what `Debug` and logs may show.
    target: String,
    /// The owner value of the lock this store holds, if any.
    owner: Mutex<Option<String>>,
    /// The version of the pair last read or written (a save of an older read is dropped).
    seen: Mutex<Option<u64>>,
}

struct Keys {
    pair: String,
    lock: String,
    spending: String,
    grants: String,
    refreshes: String,
    local_grants: String,
    plays: String,
    last_renewal: String,
}

const WINDOW_12H: u64 = 12 * 3600 * 1000;
const WINDOW_24H: u64 = 24 * 3600 * 1000;

impl RedisStore {
    /// A store at `url` for the app `client_id`. Nothing is sent until first use, so a
    /// Redis that is down at start is no error here.
    pub fn open(url: &str, client_id: &str, mut options: RedisOptions) -> Result<Self> {
        let mut parsed =
            url::Url::parse(url).map_err(|e| Error::Config(format!("token store URL: {e}")))?;
        if !matches!(parsed.scheme(), "redis" | "rediss") {
            return Err(Error::Config(
                "token store URL: the scheme must be redis:// or rediss://".into(),
            ));
        }
        let mut rest = Vec::new();
        for (k, v) in parsed.query_pairs() {
            if k == "account" {
                options.account = v.into_owned();
            } else {
                rest.push((k.into_owned(), v.into_owned()));
            }
        }
        parsed.query_pairs_mut().clear().extend_pairs(rest);
        if parsed.query() == Some("") {
            parsed.set_query(None);
        }
        let target = format!(
            "{}://{}:{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or(""),
            parsed.port().unwrap_or(6379),
            parsed.path()
        );
        let client = redis::Client::open(parsed.as_str())
            .map_err(|e| Error::Config(format!("token store URL {target}: {e}")))?;
        let app = format!("{}:{client_id}", options.prefix);
        let pair = format!("{app}:token:{}", options.account);
        let keys = Keys {
            lock: format!("{pair}:lock"),
            spending: format!("{pair}:spending"),
            pair,
            grants: format!("{app}:grants"),
            refreshes: format!("{app}:refreshes"),
            local_grants: format!("{app}:local-grants"),
            plays: format!("{app}:plays"),
            last_renewal: format!("{app}:last-renewal"),
        };
        Ok(Self {
            shared: Arc::new(Shared {
                bridge: Bridge::new(client, options.timeout)?,
                keys,
                options,
                target,
                owner: Mutex::new(None),
                seen: Mutex::new(None),
            }),
        })
    }

    /// Where the store is (scheme, host, port, database; never the password).
    pub fn target(&self) -> &str {
        &self.shared.target
    }

    /// The options in force.
    pub fn options(&self) -> &RedisOptions {
        &self.shared.options
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("target", &self.shared.target)
            .field("key", &self.shared.keys.pair)
            .finish()
    }
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A refresh token's fingerprint (the token itself never goes to the mark).
fn fingerprint(s: &Secret) -> String {
    Sha256::digest(s.expose().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_owner() -> Result<String> {
    let a = getrandom::u64()
        .map_err(|e| Error::io("random lock owner", std::io::Error::other(e.to_string())))?;
    let b = getrandom::u64()
        .map_err(|e| Error::io("random lock owner", std::io::Error::other(e.to_string())))?;
    Ok(format!("{a:016x}{b:016x}"))
}

/// Releases the lock (owner-checked) when dropped.
struct LockGuard {
    shared: Arc<Shared>,
    owner: String,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        {
            let mut held = guard(&self.shared.owner);
            if held.as_deref() == Some(self.owner.as_str()) {
                *held = None;
            }
        }
        let mut release = redis::cmd("EVAL");
        release
            .arg(scripts::RELEASE)
            .arg(1)
            .arg(&self.shared.keys.lock)
            .arg(&self.owner);
        // Waited for (bounded by the timeout): a release sent in the background could be
        // lost with the store, leaving the fleet waiting out the lock's TTL.
        // Tried twice (owner-checked, so a repeat is harmless): a lock left behind holds the
        // fleet's renewals up for the rest of its TTL.
        let mut failed = None;
        for _ in 0..2 {
            match self
                .shared
                .bridge
                .run::<i64>("releasing the renewal lock", release.clone())
            {
                Ok(_) => return,
                Err(e) => failed = Some(e),
            }
        }
        if let Some(e) = failed {
            warn!(error = %e, "the renewal lock was not released; it expires by itself");
        }
    }
}

impl TokenStore for RedisStore {
    fn load(&self) -> Result<Option<Token>> {
        let k = &self.shared.keys;
        let mut read = redis::pipe();
        read.hget(&k.pair, "pair")
            .hget(&k.pair, "version")
            .get(&k.spending);
        let (json, version, mark): (Option<String>, Option<u64>, Option<String>) =
            self.shared.bridge.run("reading the token", read)?;
        *guard(&self.shared.seen) = Some(version.unwrap_or(0));
        let Some(json) = json else { return Ok(None) };
        let mut token: Token = serde_json::from_str(&json).map_err(|e| {
            Error::io(
                format!("the token in {} is not a token", self.shared.target),
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })?;
        if let (Some(mark), Some(rt)) = (mark, token.refresh_token.as_ref())
            && mark == fingerprint(rt)
        {
            // A renewer sent this refresh token and died before saving the answer: it may
            // be spent, so it is never sent again.
            debug!("the stored refresh token was sent by a renewer that did not finish");
            token.refresh_token = None;
        }
        Ok(Some(token))
    }

    fn save(&self, token: &Token) -> Result<()> {
        let json = serde_json::to_string(token)
            .map_err(|e| Error::io("encoding the token", std::io::Error::other(e.to_string())))?;
        let owner = guard(&self.shared.owner).clone().unwrap_or_default();
        let read = guard(&self.shared.seen)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let k = &self.shared.keys;
        let mut save = redis::cmd("EVAL");
        save.arg(scripts::SAVE)
            .arg(3)
            .arg(&k.pair)
            .arg(&k.lock)
            .arg(&k.spending)
            .arg(owner)
            .arg(json)
            .arg(read)
            .arg(now_unix());
        let v: i64 = self.shared.bridge.run("saving the token", save)?;
        match v {
            -1 => Err(unavailable(
                "saving the token",
                std::io::ErrorKind::Interrupted,
                "the renewal lock expired before the save (or Redis restarted); saved later",
            )),
            -2 => {
                // Another renewer wrote a newer pair: ours is valid, but theirs is current.
                debug!("a newer pair is stored; this one is not written");
                Ok(())
            }
            v => {
                *guard(&self.shared.seen) = u64::try_from(v).ok();
                Ok(())
            }
        }
    }

    fn clear(&self) -> Result<()> {
        let k = &self.shared.keys;
        let mut del = redis::cmd("DEL");
        del.arg(&k.pair).arg(&k.spending);
        self.shared.bridge.run("clearing the token", del)
    }

    fn lock(&self) -> Result<StoreLock> {
        let owner = random_owner()?;
        let ttl = self.shared.options.lock_ttl.as_millis().max(1) as u64;
        let deadline = Instant::now() + self.shared.options.lock_wait;
        let mut nap = Duration::from_millis(2);
        loop {
            let mut set = redis::cmd("SET");
            set.arg(&self.shared.keys.lock)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(ttl);
            let taken: Option<String> = self.shared.bridge.run("taking the renewal lock", set)?;
            if taken.is_some() {
                *guard(&self.shared.owner) = Some(owner.clone());
                return Ok(StoreLock::holding(Box::new(LockGuard {
                    shared: self.shared.clone(),
                    owner,
                })));
            }
            if Instant::now() >= deadline {
                return Err(unavailable(
                    "taking the renewal lock",
                    std::io::ErrorKind::WouldBlock,
                    "another process held it for longer than lock_wait",
                ));
            }
            // Jittered, growing to 25 ms: waiters spread out instead of polling in step.
            let jitter = getrandom::u32().unwrap_or(0) % 5;
            std::thread::sleep(nap + Duration::from_millis(u64::from(jitter)));
            nap = (nap * 2).min(Duration::from_millis(20));
        }
    }

    fn refreshing(&self, refresh_token: &Secret) -> Result<()> {
        // Kept a day: long after the pair it marks has been replaced.
        let mut set = redis::cmd("SET");
        set.arg(&self.shared.keys.spending)
            .arg(fingerprint(refresh_token))
            .arg("EX")
            .arg(24 * 3600);
        self.shared.bridge.run("marking the refresh", set)
    }

    fn refresh_kept(&self) -> Result<()> {
        let mut del = redis::cmd("DEL");
        del.arg(&self.shared.keys.spending);
        self.shared.bridge.run("unmarking the refresh", del)
    }

    fn record(&self, event: FleetEvent) -> Result<()> {
        let k = &self.shared.keys;
        let (counter, window, how) = match event {
            FleetEvent::Grant => (&k.grants, WINDOW_12H, "grant"),
            FleetEvent::Refresh => (&k.refreshes, WINDOW_12H, "refresh"),
            FleetEvent::LocalGrant => (&k.local_grants, WINDOW_12H, "local grant"),
            FleetEvent::PlayStarted => (&k.plays, WINDOW_24H, ""),
        };
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let member = format!("{now_ms}-{}", random_owner()?);
        let last = if how.is_empty() {
            String::new()
        } else {
            format!("{} {how}", now_unix())
        };
        let mut count = redis::cmd("EVAL");
        count
            .arg(scripts::RECORD)
            .arg(2)
            .arg(counter)
            .arg(&k.last_renewal)
            .arg(now_ms)
            .arg(member)
            .arg(window)
            .arg(last);
        self.shared.bridge.run("counting for the fleet", count)
    }

    fn fleet_stats(&self) -> Result<Option<FleetStats>> {
        let k = &self.shared.keys;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let since12 = now_ms.saturating_sub(WINDOW_12H);
        let since24 = now_ms.saturating_sub(WINDOW_24H);
        let mut read = redis::pipe();
        read.zcount(&k.grants, since12, "+inf")
            .zcount(&k.refreshes, since12, "+inf")
            .zcount(&k.local_grants, since12, "+inf")
            .zcount(&k.plays, since24, "+inf")
            .get(&k.last_renewal)
            .hget(&k.pair, "version");
        type Row = (u64, u64, u64, u64, Option<String>, Option<u64>);
        let (grants, refreshes, local, plays, last, version): Row =
            self.shared.bridge.run("reading the fleet counters", read)?;
        let last_renewal = last.and_then(|l| {
            let (at, how) = l.split_once(' ')?;
            Some((at.parse().ok()?, how.to_string()))
        });
        Ok(Some(FleetStats {
            grants_12h: grants,
            refreshes_12h: refreshes,
            local_grants_12h: local,
            plays_24h: plays,
            last_renewal,
            version,
        }))
    }

    fn retry_interval(&self) -> Duration {
        self.shared.options.retry
    }
}
