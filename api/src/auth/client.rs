//! The client's address, as rate limits see it.
//!
//! The TCP peer is the client unless it is a configured trusted proxy
//! (`HIRELEDGER_TRUSTED_PROXIES`, CIDR blocks): then `X-Forwarded-For` is read from the right,
//! skipping further trusted proxies, and the first address that is not one is the client. A
//! forwarded header from anyone else is ignored (it can be forged). IPv6 clients are keyed by
//! their /64 (one host usually owns a whole /64, so per-address limits would not bite).

use actix_web::HttpRequest;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address block, e.g. `10.0.0.0/8`, `fd00::/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("not an IP address block: {s}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("bad prefix length in {s}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The rate-limit key of an address: IPv4 as is, IPv6 by its /64.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// The client's address (see the module docs), as a rate-limit key.
pub fn client_key(req: &HttpRequest, trusted: &[Cidr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    limit_key(resolve(peer, forwarded_for(req), trusted))
}

/// Every hop of `X-Forwarded-For`, left to right; `None` for one that is not an address (kept in
/// place: the walk from the right must stop there, never skip it).
fn forwarded_for(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse().ok())
        .collect()
}

fn resolve(peer: IpAddr, forwarded: Vec<Option<IpAddr>>, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.into_iter().rev() {
        // An entry that is no address ends the chain: whatever stands left of it is unverifiable.
        let Some(hop) = hop else { break };
        client = hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains(ip("10.1.2.3")) && !c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.9.9.9")));
        let one: Cidr = "192.168.1.7".parse().unwrap();
        assert!(one.contains(ip("192.168.1.7")) && !one.contains(ip("192.168.1.8")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope".parse::<Cidr>().is_err());
    }

    #[test]
    fn ipv6_is_keyed_by_its_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            limit_key(ip("2001:db8:1:2:ffff::9")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:3::1")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(limit_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(limit_key(ip("1.2.3.4")), ip("1.2.3.4"));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let hop = |s: &str| Some(ip(s));
        let xff = vec![hop("6.6.6.6"), hop("7.7.7.7"), hop("10.0.0.2")];
        // A direct client cannot pick its address.
        assert_eq!(resolve(ip("5.5.5.5"), xff.clone(), &trusted), ip("5.5.5.5"));
        // Through the proxies: the rightmost address that is not a trusted proxy.
        assert_eq!(resolve(ip("10.0.0.1"), xff, &trusted), ip("7.7.7.7"));
        // A trusted proxy without the header is itself the client.
        assert_eq!(resolve(ip("10.0.0.1"), vec![], &trusted), ip("10.0.0.1"));
        // Nothing trusted: the header is ignored.
        assert_eq!(
            resolve(ip("10.0.0.1"), vec![hop("7.7.7.7")], &[]),
            ip("10.0.0.1")
        );
        // A hop the proxy wrote that is no address (`1.2.3.4:80`, `unknown`) ends the walk: the
        // forged entry left of it never becomes the key.
        assert_eq!(
            resolve(
                ip("10.0.0.1"),
                vec![hop("9.9.9.9"), None, hop("10.0.0.2")],
                &trusted
            ),
            ip("10.0.0.2")
        );
    }
}
