use std::sync::Mutex;

use super::TokenStore;
use crate::{Result, Token};

/// Keeps the token in memory only (lost when the process ends).
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<Option<Token>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `token` (for example one obtained elsewhere).
    pub fn with_token(token: Token) -> Self {
        Self(Mutex::new(Some(token)))
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<Token>> {
        Ok(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    fn save(&self, token: &Token) -> Result<()> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }
}
