//! `ZMQ_TCP_ACCEPT_FILTER` values: an IPv4 or IPv6 address with an optional CIDR prefix length,
//! read as libzmq's `tcp_address_mask_t` reads them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::error::OptionError;
use super::name::OptionName;

/// One `ZMQ_TCP_ACCEPT_FILTER` entry: peers whose address shares the first
/// [`prefix_len`](TcpAcceptFilter::prefix_len) bits with [`address`](TcpAcceptFilter::address)
/// may connect to a listening socket.
///
/// As in libzmq: `"192.168.1.0/24"`, `"10.0.0.1"` (a whole address: /32, or /128 for IPv6),
/// `"::1/128"`; a prefix length of 0 matches every peer of that family; an empty prefix (`"a/"`)
/// or one too long for the family is refused. Unlike libzmq, host names are not resolved (that
/// would be I/O); give addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpAcceptFilter {
    address: IpAddr,
    prefix_len: u8,
}

impl TcpAcceptFilter {
    /// A filter for `address`/`prefix_len`; `None` if the length is too long for the family.
    pub fn new(address: IpAddr, prefix_len: u8) -> Option<TcpAcceptFilter> {
        (prefix_len <= max_prefix(address)).then_some(TcpAcceptFilter {
            address,
            prefix_len,
        })
    }

    /// Parses `address[/prefix]`. The error names `ZMQ_TCP_ACCEPT_FILTER`.
    pub fn parse(text: &str) -> Result<TcpAcceptFilter, OptionError> {
        let invalid = |reason: String| OptionError::Invalid {
            option: OptionName::TcpAcceptFilter,
            reason,
        };
        let (addr_text, prefix_text) = match text.rsplit_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = addr_text.parse().map_err(|_| {
            invalid(format!(
                "{text:?} is not an IPv4 or IPv6 address with an optional /prefix length \
                 (host names are not resolved)"
            ))
        })?;
        let max = max_prefix(address);
        let prefix_len = match prefix_text {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|len| p.bytes().all(|b| b.is_ascii_digit()) && *len <= max)
                .ok_or_else(|| {
                    invalid(format!(
                        "the prefix length in {text:?} must be a number from 0 to {max}"
                    ))
                })?,
        };
        Ok(TcpAcceptFilter {
            address,
            prefix_len,
        })
    }

    /// The address.
    pub fn address(&self) -> IpAddr {
        self.address
    }

    /// How many leading bits of a peer's address must equal the filter's.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether a peer at `peer` passes this filter. An IPv4 peer seen on an IPv6 socket
    /// (`::ffff:a.b.c.d`) is compared as IPv4.
    pub fn matches(&self, peer: IpAddr) -> bool {
        let peer = match peer {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .filter(|_| self.address.is_ipv4())
                .map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        match (self.address, peer) {
            (IpAddr::V4(a), IpAddr::V4(p)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u32::from(a) & mask == u32::from(p) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(p)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(p) & mask
            }
            _ => false,
        }
    }
}

fn max_prefix(address: IpAddr) -> u8 {
    if address.is_ipv4() {
        32
    } else {
        128
    }
}

impl FromStr for TcpAcceptFilter {
    type Err = OptionError;

    fn from_str(text: &str) -> Result<TcpAcceptFilter, OptionError> {
        TcpAcceptFilter::parse(text)
    }
}

impl fmt::Display for TcpAcceptFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn parses_like_libzmq() -> Result<(), OptionError> {
        let f = TcpAcceptFilter::parse("192.168.1.0/24")?;
        assert_eq!((f.address(), f.prefix_len()), (ip("192.168.1.0"), 24));
        assert_eq!(f.to_string(), "192.168.1.0/24");
        assert_eq!(TcpAcceptFilter::parse("10.0.0.1")?.prefix_len(), 32);
        assert_eq!(TcpAcceptFilter::parse("::1")?.prefix_len(), 128);
        assert_eq!(TcpAcceptFilter::parse("0.0.0.0/0")?.prefix_len(), 0);
        assert_eq!(TcpAcceptFilter::parse("fe80::/10")?.prefix_len(), 10);
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "localhost",
            "10.0.0/8",
            "/8",
        ] {
            let e = TcpAcceptFilter::parse(bad);
            assert!(
                matches!(
                    e,
                    Err(OptionError::Invalid {
                        option: OptionName::TcpAcceptFilter,
                        ..
                    })
                ),
                "{bad:?}: {e:?}"
            );
        }
        assert_eq!(TcpAcceptFilter::new(ip("10.0.0.0"), 33), None);
        Ok(())
    }

    #[test]
    fn matching() -> Result<(), OptionError> {
        let net = TcpAcceptFilter::parse("192.168.1.0/24")?;
        assert!(net.matches(ip("192.168.1.77")));
        assert!(!net.matches(ip("192.168.2.1")));
        assert!(net.matches(ip("::ffff:192.168.1.9")));
        assert!(!net.matches(ip("::1")));
        assert!(TcpAcceptFilter::parse("0.0.0.0/0")?.matches(ip("8.8.8.8")));
        let v6 = TcpAcceptFilter::parse("fe80::/10")?;
        assert!(v6.matches(ip("fe80::1")));
        assert!(!v6.matches(ip("2001:db8::1")));
        assert!(!v6.matches(ip("10.0.0.1")));
        let host = TcpAcceptFilter::parse("::1")?;
        assert!(host.matches(ip("::1")) && !host.matches(ip("::2")));
        Ok(())
    }
}
