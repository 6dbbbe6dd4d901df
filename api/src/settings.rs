//! HTTP API settings: flags or `HIRELEDGER_*` environment variables, with safe local defaults.

use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::time::Duration;

/// Development JWT signing secret. Used only when none is configured; `serve` and `up` refuse to
/// start with it unless bound to loopback or in development mode (see
/// [`ApiSettings::refuse_insecure_defaults`]). Production must set `HIRELEDGER_JWT_SECRET`.
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

    /// Mark the refresh-token cookie `Secure` even in development mode (it always is outside it).
    #[arg(long, env = "HIRELEDGER_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// Development mode: allows the built-in development JWT secret and master key on any bind
    /// address and drops `Secure` from the refresh cookie (plain-HTTP local use). Never in
    /// production.
    #[arg(long = "dev", env = "HIRELEDGER_DEV_MODE", default_value_t = false)]
    pub dev_mode: bool,

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

    /// Whether the refresh cookie carries `Secure`: always, except in development mode where
    /// `--cookie-secure` decides.
    pub fn refresh_cookie_secure(&self) -> bool {
        self.cookie_secure || !self.dev_mode
    }

    /// Refuses to serve on `bind` with a development secret (the JWT secret, or the master key
    /// when `master_key_is_dev` says so) unless `bind` is a loopback address or `--dev` /
    /// `HIRELEDGER_DEV_MODE=1` was given. Anyone can read those secrets in the source: with the
    /// JWT one they mint a SYSTEM_ADMIN token, with the master key a database dump decrypts
    /// every person's data. The error names the variable to set.
    pub fn refuse_insecure_defaults(
        &self,
        bind: SocketAddr,
        master_key_is_dev: bool,
    ) -> Result<(), InsecureDefault> {
        if self.dev_mode || bind.ip().is_loopback() {
            return Ok(());
        }
        if self.jwt_secret_is_dev_default() {
            return Err(InsecureDefault {
                variable: "HIRELEDGER_JWT_SECRET",
                bind,
            });
        }
        if master_key_is_dev {
            return Err(InsecureDefault {
                variable: "HIRELEDGER_MASTER_KEY",
                bind,
            });
        }
        Ok(())
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

/// A development secret is in effect on a non-loopback address outside development mode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "refusing to serve on {bind} with the development value of {variable}, which is public: set \
     {variable} (see README, Security), bind to a loopback address, or pass --dev \
     (HIRELEDGER_DEV_MODE=1) for local development only"
)]
pub struct InsecureDefault {
    /// The environment variable that must be set.
    pub variable: &'static str,
    pub bind: SocketAddr,
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
            dev_mode: false,
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
        assert!(!parsed.dev_mode);
        assert!(parsed.refresh_cookie_secure());
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

    fn check(s: &ApiSettings, master_key_is_dev: bool) -> Result<(), InsecureDefault> {
        s.refuse_insecure_defaults(s.bind, master_key_is_dev)
    }

    fn public(bind: &str) -> ApiSettings {
        ApiSettings {
            bind: bind.parse().expect("address"),
            ..ApiSettings::default()
        }
    }

    #[test]
    fn dev_jwt_secret_is_refused_on_a_public_address() {
        let err = check(&public("0.0.0.0:8080"), false).expect_err("refused");
        assert_eq!(err.variable, "HIRELEDGER_JWT_SECRET");
        assert!(err.to_string().contains("HIRELEDGER_JWT_SECRET"));
        let err = check(&public("[::]:8080"), false).expect_err("refused on IPv6 too");
        assert_eq!(err.variable, "HIRELEDGER_JWT_SECRET");
    }

    #[test]
    fn dev_master_key_is_refused_on_a_public_address() {
        let s = ApiSettings {
            jwt_secret: SecretString::from("a-production-secret-of-at-least-32-bytes"),
            ..public("10.0.0.5:8080")
        };
        let err = check(&s, true).expect_err("refused");
        assert_eq!(err.variable, "HIRELEDGER_MASTER_KEY");
        assert!(check(&s, false).is_ok());
    }

    #[test]
    fn loopback_or_dev_mode_allows_the_development_secrets() {
        assert!(check(&public("127.0.0.1:8080"), true).is_ok());
        assert!(check(&public("[::1]:8080"), true).is_ok());
        let dev = ApiSettings {
            dev_mode: true,
            ..public("0.0.0.0:8080")
        };
        assert!(check(&dev, true).is_ok());
    }

    #[test]
    fn refresh_cookie_is_secure_outside_dev_mode() {
        assert!(ApiSettings::default().refresh_cookie_secure());
        let dev = ApiSettings {
            dev_mode: true,
            ..ApiSettings::default()
        };
        assert!(!dev.refresh_cookie_secure());
        let forced = ApiSettings {
            cookie_secure: true,
            ..dev
        };
        assert!(forced.refresh_cookie_secure());
    }
}
