//! Client addresses behind trusted proxies.
//!
//! Behind a load balancer every request comes from the proxy's address, so a per-IP login
//! limit would throttle everyone at once. `X-Forwarded-For` says who the client is, but anyone
//! can send that header: it is believed only from a configured trusted proxy, and then read
//! from the right (each proxy appends), skipping the trusted ones, so a client cannot choose
//! its own address by prepending entries.

use std::{net::IpAddr, str::FromStr};

/// An IP address or CIDR range (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix) == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    let keep = u32::from(prefix.min(width));
    if keep == 0 {
        0
    } else {
        bits >> (u32::from(width) - keep)
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= width).ok_or_else(|| format!("bad prefix in {s:?}"))?,
            None => width,
        };
        Ok(Self { addr, prefix })
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy and `forwarded_for`
/// (the `X-Forwarded-For` values, in header order) names someone behind it.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim).collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => client = ip,
            Ok(ip) => return ip,
            // An unreadable entry: nothing left of it can be believed.
            Err(_) => return client,
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
    fn ranges_parse_and_match() {
        let r: IpRange = "10.1.0.0/16".parse().unwrap();
        assert!(r.contains(ip("10.1.200.3")));
        assert!(!r.contains(ip("10.2.0.1")));
        assert!(!r.contains(ip("::1")));
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert!("::1/128".parse::<IpRange>().unwrap().contains(ip("::1")));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("proxy".parse::<IpRange>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpRange> = vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        // Not from a proxy: the header is ignored, whatever it says.
        assert_eq!(client_ip(ip("203.0.113.9"), &["1.2.3.4"], &trusted), ip("203.0.113.9"));
        // From the proxy: the right-most untrusted hop.
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.7"], &trusted), ip("198.51.100.7"));
        // A client prepending a fake address gains nothing: the proxy appended the real one.
        assert_eq!(client_ip(ip("127.0.0.1"), &["6.6.6.6, 198.51.100.7"], &trusted), ip("198.51.100.7"));
        // Through two proxies, in two headers.
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.7", "10.0.0.5"], &trusted), ip("198.51.100.7"));
        // No header: the proxy itself.
        assert_eq!(client_ip(ip("127.0.0.1"), &[], &trusted), ip("127.0.0.1"));
        // Nothing trusted: never believed.
        assert_eq!(client_ip(ip("127.0.0.1"), &["198.51.100.7"], &[]), ip("127.0.0.1"));
    }
}
