//! What every handler shares: services, stores, keys, limits and settings. Cheap to clone.

use crate::auth::client::Cidr;
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::auth::rights::RightsCache;
use crate::settings::ApiSettings;
use anyhow::Context as _;
use hireledger_commands::idempotency::IdempotencyStore;
use hireledger_commands::identity::Identity;
use hireledger_commands::pipeline::Pipeline;
use hireledger_commands::sessions::Sessions;
use hireledger_infra::CommonSettings;
use hireledger_infra::vault::Vault;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub identity: Identity,
    pub pipeline: Pipeline,
    pub sessions: Sessions,
    pub idempotency: IdempotencyStore,
    pub jwt: JwtKeys,
    pub limiter: Arc<LoginLimiter>,
    pub rights: Arc<RightsCache>,
    pub trusted_proxies: Arc<Vec<Cidr>>,
    pub kafka_brokers: String,
    pub cookie_secure: bool,
    pub refresh_ttl: Duration,
    pub read_wait: Duration,
}

impl AppState {
    pub fn new(
        pool: PgPool,
        common: &CommonSettings,
        settings: &ApiSettings,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        let vault = Vault::new(pool.clone(), &common.master_key).context("opening the vault")?;
        Ok(Self {
            identity: Identity::new(pool.clone(), vault.clone()),
            pipeline: Pipeline::new(pool.clone(), vault.clone()),
            sessions: Sessions::new(pool.clone(), settings.refresh_token_ttl()),
            idempotency: IdempotencyStore::new(pool.clone(), vault),
            jwt: JwtKeys::new(&settings.jwt_secret, settings.access_token_ttl()),
            limiter: Arc::new(LoginLimiter::new(
                settings.login_per_ip_per_minute,
                settings.login_per_email_per_minute,
                settings.public_per_ip_per_minute,
            )),
            trusted_proxies: Arc::new(settings.trusted_proxy_blocks()?),
            rights: Arc::new(RightsCache::default()),
            kafka_brokers: common.kafka_brokers.clone(),
            cookie_secure: settings.refresh_cookie_secure(),
            refresh_ttl: settings.refresh_token_ttl(),
            read_wait: settings.read_wait(),
            pool,
        })
    }
}
