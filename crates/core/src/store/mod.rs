//! Token stores: where tokens live between requests and between runs.

mod file;
mod memory;

pub use file::FileStore;
pub use memory::MemoryStore;

use crate::{Result, Token};

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
}
