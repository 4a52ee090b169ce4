//! What a fleet sharing one token store ([`crate::store::RedisStore`]) needs from a client:
//! counting plays, and reading the fleet's counters.

use crate::store::{FleetEvent, FleetStats};
use crate::{Client, Error, Result};

impl Client {
    /// Counts a play that started (a track heard, not a request) in the token store, for
    /// the fleet's 24-hour play count. Stores private to one machine ignore it; a count that
    /// cannot be written is logged at debug level and dropped, never an error for playback.
    pub async fn note_play_started(&self) {
        let store = self.inner.tokens.store().clone();
        let done = tokio::task::spawn_blocking(move || store.record(FleetEvent::PlayStarted)).await;
        if let Ok(Err(e)) = done {
            tracing::debug!(error = %e, "the play could not be counted");
        }
    }

    /// The fleet's counters (grants and refreshes in 12 h, plays in 24 h, the last renewal),
    /// when the token store keeps them; `None` for a file or memory store.
    pub async fn fleet_stats(&self) -> Result<Option<FleetStats>> {
        let store = self.inner.tokens.store().clone();
        tokio::task::spawn_blocking(move || store.fleet_stats())
            .await
            .map_err(|e| {
                Error::io(
                    "reading the fleet counters",
                    std::io::Error::other(e.to_string()),
                )
            })?
    }

    /// How many tokens this process fetched on its own because the shared token store was
    /// unreachable (at most one per token lifetime).
    pub fn local_grants(&self) -> u64 {
        self.inner.tokens.local_grants()
    }

    /// How many new access tokens this process got from the token endpoint: refreshes and
    /// client-credentials grants (local grants included). A token another process renewed and
    /// this one read from a shared store is not counted. For metrics
    /// (`scplay_token_renewals_total`).
    pub fn token_renewals(&self) -> u64 {
        self.inner.tokens.renewals()
    }
}
