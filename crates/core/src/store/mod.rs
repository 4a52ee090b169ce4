//! Token stores: where tokens live between requests and between runs.

mod file;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStore};

use std::time::Duration;

use crate::{Result, Secret, Token};

/// Something a shared store counts for the fleet ([`TokenStore::record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetEvent {
    /// A client-credentials token was granted (through the store's lock).
    Grant,
    /// A token was refreshed.
    Refresh,
    /// The store was unreachable and a process fetched a token on its own.
    LocalGrant,
    /// A track started playing.
    PlayStarted,
}

/// What a shared store knows about the fleet ([`TokenStore::fleet_stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetStats {
    /// Client-credentials grants in the last 12 hours (SoundCloud allows 50 per app).
    pub grants_12h: u64,
    /// Refreshes in the last 12 hours.
    pub refreshes_12h: u64,
    /// Local grants (store unreachable) reported in the last 12 hours.
    pub local_grants_12h: u64,
    /// Plays started in the last 24 hours (the play quota is 15,000 per app).
    pub plays_24h: u64,
    /// The last renewal: when (Unix seconds) and how (`grant`, `refresh`).
    pub last_renewal: Option<(i64, String)>,
    /// The stored pair's version (it grows by one with every save).
    pub version: Option<u64>,
}

/// Held while a process refreshes a token, so others sharing the store wait and then reuse
/// the fresh token instead of refreshing (and spending a single-use refresh token) again.
pub struct StoreLock(#[allow(dead_code)] Option<Box<dyn Send + Sync>>);

impl StoreLock {
    /// A lock that excludes nothing (for stores private to one process).
    pub fn none() -> Self {
        Self(None)
    }

    /// A lock held as long as `guard` lives.
    pub fn holding(guard: Box<dyn Send + Sync>) -> Self {
        Self(Some(guard))
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Where tokens are kept. Implementations must make `save` atomic: after a crash at any
/// point, `load` returns either the old token or the new one, never a torn file.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The stored token, if any.
    fn load(&self) -> Result<Option<Token>>;
    /// Replaces the stored token.
    fn save(&self, token: &Token) -> Result<()>;
    /// Forgets the token (after sign-out).
    fn clear(&self) -> Result<()>;
    /// An exclusive lock across everything sharing this store (blocking until held).
    fn lock(&self) -> Result<StoreLock> {
        Ok(StoreLock::none())
    }
    /// Called with the lock held just before `refresh_token` is sent: a store shared across
    /// machines notes it, so that if this process dies before saving the answer, the next
    /// renewer knows the token may be spent and never sends it again.
    fn refreshing(&self, refresh_token: &Secret) -> Result<()> {
        let _ = refresh_token;
        Ok(())
    }
    /// The refresh noted by [`TokenStore::refreshing`] was refused without being carried
    /// out: its refresh token is still good.
    fn refresh_kept(&self) -> Result<()> {
        Ok(())
    }
    /// Counts an event for the fleet (a no-op for stores private to one machine).
    fn record(&self, event: FleetEvent) -> Result<()> {
        let _ = event;
        Ok(())
    }
    /// The fleet's counters, for stores that keep them.
    fn fleet_stats(&self) -> Result<Option<FleetStats>> {
        Ok(None)
    }
    /// How long to wait before saving again after a failed save, and before trying an
    /// unreachable store again (the first wait; it doubles after each failure). Default 30 s.
    fn retry_interval(&self) -> Duration {
        Duration::from_secs(30)
    }
}
