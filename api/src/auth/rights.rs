//! Rights checks on every authenticated request: an access token carries the session
//! generations of its user and company at issue (`ugen`, `cgen`); a deactivation, erasure, role or
//! password change of the user, or a deactivation of their company, bumps the stored generation
//! in the same transaction as the event (a trigger on the event store). A token older than the
//! stored generation answers `AUTH_008`, so the change bites on the next request; the client
//! refreshes (which re-checks the account) or signs in again.
//!
//! The API stays stateless: the generations live in Postgres, each instance caches what it read
//! for at most [`CACHE_TTL`] (one indexed query per user per second at most). The instance that
//! runs a rights-changing command forgets its cache at once ([`RightsCache::forget_all`]), so the
//! change is immediate there and at most [`CACHE_TTL`] late on other instances.

use crate::error::ApiError;
use hireledger_commands::sessions::{self, SessionGenerations};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an instance trusts the generations it read.
pub const CACHE_TTL: Duration = Duration::from_secs(1);

/// Entries kept before the cache is cleared wholesale (bounds memory under many users).
const MAX_ENTRIES: usize = 100_000;

/// A user and their company.
type Subject = (Uuid, Option<Uuid>);

/// Generations read recently, per user (and their company), with when they were read.
#[derive(Debug, Default)]
pub struct RightsCache {
    entries: Mutex<HashMap<Subject, (SessionGenerations, Instant)>>,
    /// Bumped by [`RightsCache::forget_all`]: a read that started before it is not cached.
    epoch: std::sync::atomic::AtomicU64,
}

impl RightsCache {
    fn cached(&self, key: Subject) -> Option<SessionGenerations> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(g, _)| *g)
    }

    fn remember(&self, key: Subject, generations: SessionGenerations, read_in_epoch: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            // Checked under the lock that `forget_all` takes: a read from before a change of
            // rights never lands in the cache after it.
            if self.epoch.load(std::sync::atomic::Ordering::SeqCst) != read_in_epoch {
                return;
            }
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (generations, Instant::now()));
        }
    }

    /// Forgets every cached generation (after this instance changed someone's rights).
    pub fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            entries.clear();
        }
    }

    /// `AUTH_008` unless the token's generations are still current.
    pub async fn check(
        &self,
        pool: &PgPool,
        user_id: Uuid,
        company_id: Option<Uuid>,
        token: SessionGenerations,
    ) -> Result<(), ApiError> {
        let key = (user_id, company_id);
        let current = match self.cached(key) {
            Some(g) => g,
            None => {
                let epoch = self.epoch.load(std::sync::atomic::Ordering::SeqCst);
                let g = sessions::generations(pool, user_id, company_id).await?;
                self.remember(key, g, epoch);
                g
            }
        };
        if token.user < current.user || token.company < current.company {
            return Err(ApiError::SessionRevoked);
        }
        Ok(())
    }
}
