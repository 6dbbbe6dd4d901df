//! Login and refresh rate limits: `governor` keyed limiters per client IP and per e-mail.
//!
//! Limits are per API instance (in memory): with N instances behind a load balancer a client gets
//! up to N times the quota. E-mails are keyed by a SHA-256 digest, so no address is held in memory.
//! The client IP is the TCP peer address; behind a reverse proxy that is the proxy's address, so
//! put the limit at the proxy too (forwarded headers are not trusted because they can be forged).

use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hireledger_domain::EmailAddress;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// The limiters shared by every worker of one API instance.
#[derive(Debug)]
pub struct LoginLimiter {
    login_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_per_email: DefaultKeyedRateLimiter<[u8; 32]>,
    refresh_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

/// The key of an e-mail: the digest of its normalized form (or of the trimmed, lower-cased input
/// when it does not parse, so malformed variants of one string share a bucket).
fn email_key(email: &str) -> [u8; 32] {
    let normalized = EmailAddress::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    Sha256::digest(normalized.as_bytes()).into()
}

impl LoginLimiter {
    pub fn new(per_ip_per_minute: u32, per_email_per_minute: u32) -> Self {
        Self {
            login_per_ip: RateLimiter::keyed(per_minute(per_ip_per_minute)),
            login_per_email: RateLimiter::keyed(per_minute(per_email_per_minute)),
            refresh_per_ip: RateLimiter::keyed(per_minute(per_ip_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    fn check<K>(&self, limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), ApiError>
    where
        K: std::hash::Hash + Eq + Clone,
    {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// One login attempt from `ip` for `email`; `RATE_001` when either is over its quota.
    pub fn check_login(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        self.check(&self.login_per_ip, &ip)?;
        self.check(&self.login_per_email, &email_key(email))
    }

    /// One refresh attempt from `ip`.
    pub fn check_refresh(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.refresh_per_ip, &ip)
    }

    /// Forgets keys whose buckets are full again (call periodically to bound memory).
    pub fn retain_recent(&self) {
        self.login_per_ip.retain_recent();
        self.login_per_email.retain_recent();
        self.refresh_per_ip.retain_recent();
        self.login_per_ip.shrink_to_fit();
        self.login_per_email.shrink_to_fit();
        self.refresh_per_ip.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn five_per_ip_then_429_with_retry_after() {
        let l = LoginLimiter::new(5, 100);
        for i in 0..5 {
            l.check_login(A, &format!("u{i}@x.io")).unwrap();
        }
        let err = l.check_login(A, "other@x.io").unwrap_err();
        assert_eq!(err.code(), "RATE_001");
        match err {
            ApiError::RateLimited { retry_after_secs } => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            _ => unreachable!(),
        }
        l.check_login(B, "other@x.io").unwrap();
    }

    #[test]
    fn five_per_normalized_email_across_ips() {
        let l = LoginLimiter::new(100, 5);
        for i in 0..5u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, i));
            l.check_login(ip, if i % 2 == 0 { "Ana@X.io" } else { " ana@x.io " })
                .unwrap();
        }
        assert!(l.check_login(B, "ANA@x.IO").is_err());
        l.check_login(B, "bob@x.io").unwrap();
    }
}
