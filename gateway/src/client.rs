//! Who a request comes from. Behind a load balancer every connection comes from the
//! balancer, so per-address login limits and the audit trail would see one address for the
//! whole province; the deployment names its trusted proxies (`REG_TRUSTED_PROXIES`,
//! addresses or CIDR prefixes), and only when the connection comes from one of them is the
//! client taken from `X-Forwarded-For`: the rightmost address that is not itself a trusted
//! proxy (what the nearest untrusted hop said). A client cannot choose its own address by
//! sending the header: from anywhere else the header is ignored.

use std::net::IpAddr;

/// Trusted proxies: addresses with a prefix length.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8,192.168.1.7,fd00::/8` (empty: none).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut prefixes = Vec::new();
        for item in text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let (address, length) = match item.split_once('/') {
                Some((address, length)) => (address, Some(length)),
                None => (item, None),
            };
            let address: IpAddr = address
                .parse()
                .map_err(|_| format!("'{item}' is not an address or CIDR prefix"))?;
            let full = if address.is_ipv4() { 32 } else { 128 };
            let length = match length {
                Some(length) => length
                    .parse::<u8>()
                    .ok()
                    .filter(|length| *length <= full)
                    .ok_or_else(|| format!("'{item}': the prefix length is 0–{full}"))?,
                None => full,
            };
            prefixes.push((address, length));
        }
        Ok(TrustedProxies(prefixes))
    }

    /// Whether `address` is one of them.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(prefix, length)| within(address, *prefix, *length))
    }

    /// The client of a connection from `peer` that forwarded `forwarded_for`.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let hops: Vec<IpAddr> = header
            .split(',')
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        hops.into_iter()
            .rev()
            .find(|hop| !self.contains(*hop))
            .unwrap_or(peer)
    }
}

fn bits(address: IpAddr) -> (u128, u8) {
    match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn within(address: IpAddr, prefix: IpAddr, length: u8) -> bool {
    let ((address, width), (prefix, prefix_width)) = (bits(address), bits(prefix));
    if width != prefix_width {
        return false;
    }
    if length == 0 {
        return true;
    }
    let shift = u32::from(width - length);
    address >> shift == prefix >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_forwarded_client_counts_only_behind_a_trusted_proxy() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").expect("parses");
        let header = Some("203.0.113.9, 10.1.2.3");
        // From the balancer: the rightmost untrusted hop.
        assert_eq!(trusted.client(ip("10.0.0.2"), header), ip("203.0.113.9"));
        assert_eq!(
            trusted.client(ip("192.168.1.7"), Some("198.51.100.4")),
            ip("198.51.100.4")
        );
        // From anywhere else the header is ignored: nobody picks their own address.
        assert_eq!(
            trusted.client(ip("198.51.100.1"), header),
            ip("198.51.100.1")
        );
        // A forged leftmost entry does not win over what the proxy saw.
        assert_eq!(
            trusted.client(ip("10.0.0.2"), Some("1.2.3.4, 203.0.113.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.2"), Some("garbage")),
            ip("10.0.0.2")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.2"), header),
            ip("10.0.0.2")
        );
        for bad in ["10.0.0.0/33", "nonsense", "::1/129"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        assert!(
            TrustedProxies::parse("::1")
                .expect("v6")
                .contains(ip("::1"))
        );
    }
}
