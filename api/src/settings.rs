//! HTTP API settings: flags or `HIRELEDGER_*` environment variables, with safe local defaults.

use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::time::Duration;

/// Development JWT signing secret. Used only when none is configured; [`crate::serve`] logs a
/// warning when it is in effect. Production must set `HIRELEDGER_JWT_SECRET`.
pub const DEV_JWT_SECRET: &str = "hireledger-development-jwt-secret-do-not-use-in-production";

/// Shortest accepted JWT secret, in bytes (HS256 wants at least the hash size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Settings of the HTTP API (`serve`).
#[derive(clap::Args, Clone, Debug)]
pub struct ApiSettings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "HIRELEDGER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HS256 secret that signs access tokens (at least 32 bytes).
    #[arg(long, env = "HIRELEDGER_JWT_SECRET", default_value = DEV_JWT_SECRET, hide_default_value = true)]
    pub jwt_secret: SecretString,

    /// Lifetime of an access token, in seconds (15 minutes).
    #[arg(long, env = "HIRELEDGER_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token, in seconds (7 days).
    #[arg(
        long,
        env = "HIRELEDGER_REFRESH_TOKEN_TTL_SECS",
        default_value_t = 604_800
    )]
    pub refresh_token_ttl_secs: u64,

    /// Mark the refresh-token cookie `Secure` (set in production, behind HTTPS).
    #[arg(long, env = "HIRELEDGER_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// Longest wait, in milliseconds, for a read model to reach `min_version`.
    #[arg(long, env = "HIRELEDGER_READ_WAIT_MS", default_value_t = 2000)]
    pub read_wait_ms: u64,

    /// Login and refresh attempts allowed per client IP per minute (per instance).
    #[arg(long, env = "HIRELEDGER_LOGIN_PER_IP_PER_MINUTE", default_value_t = 5)]
    pub login_per_ip_per_minute: u32,

    /// Login attempts allowed per e-mail address per minute (per instance).
    #[arg(
        long,
        env = "HIRELEDGER_LOGIN_PER_EMAIL_PER_MINUTE",
        default_value_t = 5
    )]
    pub login_per_email_per_minute: u32,

    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "HIRELEDGER_HTTP_WORKERS", default_value_t = 0)]
    pub http_workers: usize,

    /// Requests per client per minute to the anonymous endpoints that reveal or create something
    /// (company registration, applying, interview tokens, e-mail verification), per instance.
    #[arg(
        long,
        env = "HIRELEDGER_PUBLIC_PER_IP_PER_MINUTE",
        default_value_t = 20
    )]
    pub public_per_ip_per_minute: u32,

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses or CIDR
    /// blocks). Empty: the TCP peer is the client.
    #[arg(long, env = "HIRELEDGER_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
}

impl ApiSettings {
    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }

    pub fn read_wait(&self) -> Duration {
        Duration::from_millis(self.read_wait_ms)
    }

    /// Whether the built-in development JWT secret is in effect.
    pub fn jwt_secret_is_dev_default(&self) -> bool {
        self.jwt_secret.expose_secret() == DEV_JWT_SECRET
    }

    /// Refuses settings the server cannot run with.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.jwt_secret.expose_secret().len() >= MIN_JWT_SECRET_BYTES,
            "the JWT secret must be at least {MIN_JWT_SECRET_BYTES} bytes"
        );
        anyhow::ensure!(
            self.access_token_ttl_secs > 0 && self.refresh_token_ttl_secs > 0,
            "token lifetimes must be positive"
        );
        anyhow::ensure!(
            self.login_per_ip_per_minute > 0 && self.login_per_email_per_minute > 0,
            "login rate limits must be positive"
        );
        anyhow::ensure!(
            self.public_per_ip_per_minute > 0,
            "the public rate limit must be positive"
        );
        self.trusted_proxy_blocks()?;
        Ok(())
    }

    /// The parsed `trusted_proxies`.
    pub fn trusted_proxy_blocks(&self) -> anyhow::Result<Vec<crate::auth::client::Cidr>> {
        self.trusted_proxies
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.parse().map_err(anyhow::Error::msg))
            .collect()
    }
}

impl Default for ApiSettings {
    /// The same values as the flags' defaults.
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: SecretString::from(DEV_JWT_SECRET),
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 604_800,
            cookie_secure: false,
            read_wait_ms: 2000,
            login_per_ip_per_minute: 5,
            login_per_email_per_minute: 5,
            http_workers: 0,
            public_per_ip_per_minute: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        api: ApiSettings,
    }

    #[test]
    fn flag_defaults_match_default_impl() {
        let parsed = Cli::try_parse_from(["x"]).expect("defaults parse").api;
        let default = ApiSettings::default();
        assert_eq!(parsed.bind, default.bind);
        assert_eq!(parsed.access_token_ttl(), Duration::from_secs(15 * 60));
        assert_eq!(
            parsed.refresh_token_ttl(),
            Duration::from_secs(7 * 24 * 3600)
        );
        assert!(!parsed.cookie_secure);
        assert_eq!(parsed.read_wait_ms, 2000);
        assert!(parsed.jwt_secret_is_dev_default());
        assert!(parsed.validate().is_ok());
    }

    #[test]
    fn short_secret_is_refused() {
        let s = ApiSettings {
            jwt_secret: SecretString::from("short"),
            ..ApiSettings::default()
        };
        assert!(s.validate().is_err());
    }
}
