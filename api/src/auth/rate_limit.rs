//! Rate limits: `governor` keyed limiters per client address and per e-mail.
//!
//! Limits are per API instance (in memory): with N instances behind a load balancer a client gets
//! up to N times the quota. E-mails are keyed by a SHA-256 digest, so no address is held in memory.
//! The client address comes from [`super::client`] (trusted proxies, IPv6 by /64).
//!
//! Login is limited per client, per (e-mail, client) and, much more loosely
//! ([`EMAIL_SLACK`] times), per e-mail: an attacker guessing one account's password from one
//! place is slowed to the per-(e-mail, client) rate, while the owner signing in from elsewhere
//! is not locked out unless the account is attacked from very many places at once. The
//! anonymous endpoints that reveal or create something (company registration, applying, interview
//! tokens, e-mail verification) share one per-client limit.

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
    login_per_email_ip: DefaultKeyedRateLimiter<([u8; 32], IpAddr)>,
    login_per_email: DefaultKeyedRateLimiter<[u8; 32]>,
    refresh_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    public_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

/// How much looser the per-e-mail login limit is than the per-(e-mail, client) one.
pub const EMAIL_SLACK: u32 = 10;

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
    pub fn new(per_ip_per_minute: u32, per_email_per_minute: u32, public_per_minute: u32) -> Self {
        Self {
            login_per_ip: RateLimiter::keyed(per_minute(per_ip_per_minute)),
            login_per_email_ip: RateLimiter::keyed(per_minute(per_email_per_minute)),
            login_per_email: RateLimiter::keyed(per_minute(
                per_email_per_minute.saturating_mul(EMAIL_SLACK),
            )),
            refresh_per_ip: RateLimiter::keyed(per_minute(per_ip_per_minute)),
            public_per_ip: RateLimiter::keyed(per_minute(public_per_minute)),
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

    /// One login attempt from `ip` (a client key) for `email`; `RATE_001` when the client, the
    /// pair or (loosely) the e-mail is over its quota.
    pub fn check_login(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        let email = email_key(email);
        self.check(&self.login_per_ip, &ip)?;
        self.check(&self.login_per_email_ip, &(email, ip))?;
        self.check(&self.login_per_email, &email)
    }

    /// One request from `ip` to an anonymous endpoint that reveals or creates something.
    pub fn check_public(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.public_per_ip, &ip)
    }

    /// One refresh attempt from `ip`.
    pub fn check_refresh(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.refresh_per_ip, &ip)
    }

    /// Forgets keys whose buckets are full again (call periodically to bound memory).
    pub fn retain_recent(&self) {
        self.login_per_ip.retain_recent();
        self.login_per_email_ip.retain_recent();
        self.login_per_email.retain_recent();
        self.refresh_per_ip.retain_recent();
        self.public_per_ip.retain_recent();
        self.login_per_ip.shrink_to_fit();
        self.login_per_email_ip.shrink_to_fit();
        self.login_per_email.shrink_to_fit();
        self.refresh_per_ip.shrink_to_fit();
        self.public_per_ip.shrink_to_fit();
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
        let l = LoginLimiter::new(5, 100, 5);
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
    fn per_email_slows_one_place_without_locking_the_owner_out() {
        let l = LoginLimiter::new(1000, 5, 5);
        // One attacker: five tries per minute at this account, in any spelling of the address.
        for i in 0..5 {
            l.check_login(A, if i % 2 == 0 { "Ana@X.io" } else { " ana@x.io " })
                .unwrap();
        }
        assert_eq!(l.check_login(A, "ANA@x.IO").unwrap_err().code(), "RATE_001");
        // The owner, elsewhere, still signs in; other accounts are untouched.
        l.check_login(B, "ana@x.io").unwrap();
        l.check_login(A, "bob@x.io").unwrap();
    }

    #[test]
    fn per_email_limit_bites_across_many_places() {
        let l = LoginLimiter::new(1000, 1, 5);
        for i in 0..EMAIL_SLACK {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, i as u8));
            l.check_login(ip, "ana@x.io").unwrap();
        }
        assert!(l.check_login(B, "ana@x.io").is_err());
        l.check_login(B, "bob@x.io").unwrap();
    }

    #[test]
    fn public_endpoints_share_a_per_client_limit() {
        let l = LoginLimiter::new(5, 5, 3);
        for _ in 0..3 {
            l.check_public(A).unwrap();
        }
        assert_eq!(l.check_public(A).unwrap_err().code(), "RATE_001");
        l.check_public(B).unwrap();
    }
}
