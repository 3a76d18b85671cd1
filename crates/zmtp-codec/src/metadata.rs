//! Metadata properties as carried by READY, INITIATE and ZAP replies:
//! `name_len:u8 name value_len:u32 value`, repeated.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::MetadataError;
use crate::socket_type::SocketType;

/// The `Socket-Type` property name.
pub const SOCKET_TYPE: &str = "Socket-Type";
/// The `Identity` property name (the routing id a ROUTER peer should use for us).
pub const IDENTITY: &str = "Identity";
/// The `User-Id` property a ZAP handler can attach to a peer.
pub const USER_ID: &str = "User-Id";

const MAX_VALUE_LEN: usize = i32::MAX as usize;

/// An ordered list of metadata properties. Every property the peer sent is kept, known or not.
/// Lookups by name ignore ASCII case, as the RFC says names do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    props: Vec<(Bytes, Bytes)>,
}

impl Metadata {
    /// An empty property list.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Appends a property. Names are 1-255 bytes of `A-Z a-z 0-9 - _ . +` (RFC 37); values are
    /// at most 2^31 - 1 bytes.
    pub fn insert(
        &mut self,
        name: impl AsRef<str>,
        value: impl Into<Bytes>,
    ) -> Result<(), MetadataError> {
        let name = name.as_ref();
        let valid_char =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+');
        if name.is_empty() || name.len() > 255 || !name.bytes().all(valid_char) {
            return Err(MetadataError::InvalidName {
                name: name.to_owned(),
            });
        }
        let value = value.into();
        if value.len() > MAX_VALUE_LEN {
            return Err(MetadataError::ValueTooLong {
                name: name.to_owned(),
                len: value.len(),
            });
        }
        self.props
            .push((Bytes::copy_from_slice(name.as_bytes()), value));
        Ok(())
    }

    /// The first property named `name` (ASCII case ignored).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The `Socket-Type` property as a socket type: `None` if absent, `Some(Err(value))` if it
    /// names no socket type libzmq knows.
    pub fn socket_type(&self) -> Option<Result<SocketType, Bytes>> {
        self.get(SOCKET_TYPE)
            .map(|v| SocketType::from_bytes(v).ok_or_else(|| v.clone()))
    }

    /// The `Identity` property.
    pub fn identity(&self) -> Option<&Bytes> {
        self.get(IDENTITY)
    }

    /// Iterates over `(name, value)` pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Bytes)> {
        self.props.iter().map(|(n, v)| (&n[..], v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.props.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    /// Bytes [`Metadata::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        self.props
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the wire encoding to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(self.encoded_len());
        for (name, value) in &self.props {
            // Both lengths were checked when the property was inserted (a name of 1 to 255
            // bytes, a value under 2^31 bytes).
            #[allow(clippy::cast_possible_truncation)]
            let (name_len, value_len) = (name.len() as u8, value.len() as u32);
            dst.put_u8(name_len);
            dst.put_slice(name);
            dst.put_u32(value_len);
            dst.put_slice(value);
        }
    }

    /// Parses a property list. Names and values share one copy of `data`, not `data`'s own
    /// memory: properties live as long as the connection, and `data` is usually a slice of a
    /// read buffer, which they would otherwise keep from being reused or freed (an idle
    /// connection holds no read buffer). Lenient as libzmq: names are not checked against the
    /// grammar, but truncation and empty names are errors.
    pub fn parse(data: Bytes) -> Result<Metadata, MetadataError> {
        let mut data = Bytes::copy_from_slice(&data);
        let total = data.len();
        let mut props = Vec::new();
        while data.has_remaining() {
            let offset = total - data.len();
            let name_len = usize::from(data[0]);
            if name_len == 0 {
                return Err(MetadataError::EmptyName { offset });
            }
            if data.len() < 1 + name_len + 4 {
                return Err(MetadataError::Truncated { offset });
            }
            data.advance(1);
            let name = data.split_to(name_len);
            let value_len = data.get_u32() as usize;
            if data.len() < value_len {
                return Err(MetadataError::Truncated { offset });
            }
            let value = data.split_to(value_len);
            props.push((name, value));
        }
        Ok(Metadata { props })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_rfc_worked_example() {
        let mut m = Metadata::new();
        m.insert(SOCKET_TYPE, "DEALER").expect("valid");
        m.insert(IDENTITY, Bytes::new()).expect("valid");
        let mut out = BytesMut::new();
        m.encode(&mut out);
        let expected: &[u8] = b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";
        assert_eq!(&out[..], expected);
        assert_eq!(m.encoded_len(), expected.len());
        let parsed = Metadata::parse(out.freeze()).expect("round trip");
        assert_eq!(parsed, m);
        assert_eq!(parsed.socket_type(), Some(Ok(SocketType::Dealer)));
        assert_eq!(parsed.identity(), Some(&Bytes::new()));
    }

    #[test]
    fn keeps_unknown_properties_and_ignores_name_case() {
        let wire =
            Bytes::from_static(b"\x06X-Team\x00\x00\x00\x03ops\x0bsocket-type\x00\x00\x00\x03PUB");
        let m = Metadata::parse(wire).expect("valid");
        assert_eq!(m.len(), 2);
        assert_eq!(m.get("x-team"), Some(&Bytes::from_static(b"ops")));
        assert_eq!(m.socket_type(), Some(Ok(SocketType::Pub)));
    }

    #[test]
    fn unknown_socket_type_is_reported_with_its_value() {
        let wire = Bytes::from_static(b"\x0bSocket-Type\x00\x00\x00\x05DGRAM");
        let m = Metadata::parse(wire).expect("valid");
        assert_eq!(m.socket_type(), Some(Err(Bytes::from_static(b"DGRAM"))));
    }

    #[test]
    fn malformed_lists() {
        assert_eq!(
            Metadata::parse(Bytes::from_static(b"\x00")),
            Err(MetadataError::EmptyName { offset: 0 })
        );
        assert_eq!(
            Metadata::parse(Bytes::from_static(b"\x05Ident")),
            Err(MetadataError::Truncated { offset: 0 })
        );
        assert_eq!(
            Metadata::parse(Bytes::from_static(
                b"\x01A\x00\x00\x00\x00\x01B\x00\x00\x00\x05abc"
            )),
            Err(MetadataError::Truncated { offset: 6 })
        );
        assert_eq!(
            Metadata::parse(Bytes::from_static(b"\x01A\x00\x00")),
            Err(MetadataError::Truncated { offset: 0 })
        );
    }

    #[test]
    fn refuses_bad_names_on_insert() {
        let mut m = Metadata::new();
        assert!(matches!(
            m.insert("", "x"),
            Err(MetadataError::InvalidName { .. })
        ));
        assert!(matches!(
            m.insert("has space", "x"),
            Err(MetadataError::InvalidName { .. })
        ));
        assert!(matches!(
            m.insert("a".repeat(256), "x"),
            Err(MetadataError::InvalidName { .. })
        ));
        assert!(m.insert("X-ok_1.2+3", "x").is_ok());
    }
}
