//! The 64-byte ZMTP 3.x greeting, written and read in libzmq's three stages.
//!
//! libzmq does not send its greeting in one piece. It sends the 10-byte signature, waits for the
//! peer's signature, then sends the major version byte, waits for the peer's, and only then the
//! remaining 53 bytes (or, to a ZMTP 1.0/2.0 peer, a legacy greeting). This lets it recognise an
//! old peer before sending it bytes it would not understand. [`GreetingDecoder`] reports each stage
//! as it is reached so that the connection can answer in the same order.

use std::fmt;

use crate::error::GreetingError;

/// Length of the signature: `FF`, 8 padding bytes, `7F`.
pub const SIGNATURE_LEN: usize = 10;
/// Length of a whole ZMTP 3.x greeting.
pub const GREETING_LEN: usize = 64;
/// The major version this crate speaks.
pub const VERSION_MAJOR: u8 = 3;
/// The minor version this crate announces (ZMTP 3.1).
pub const VERSION_MINOR: u8 = 1;

const MAJOR_POS: usize = 10;
const MINOR_POS: usize = 11;
const MECHANISM_POS: usize = 12;
const MECHANISM_LEN: usize = 20;
const AS_SERVER_POS: usize = 32;

// What GreetingDecoder has reported so far.
const STAGE_SIGNATURE: u8 = 1;
const STAGE_MAJOR: u8 = 2;
const STAGE_DONE: u8 = 3;

/// A security mechanism name as carried in the greeting: ASCII, NUL-padded to 20 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MechanismName([u8; MECHANISM_LEN]);

impl MechanismName {
    /// `NULL`: no security (RFC 23).
    pub const NULL: MechanismName = MechanismName::from_static("NULL");
    /// `PLAIN`: clear-text user name and password (RFC 24).
    pub const PLAIN: MechanismName = MechanismName::from_static("PLAIN");
    /// `CURVE`: CurveZMQ (RFC 25/26).
    pub const CURVE: MechanismName = MechanismName::from_static("CURVE");
    /// `GSSAPI`: Kerberos through GSS-API (RFC 38, libzmq's wire format).
    pub const GSSAPI: MechanismName = MechanismName::from_static("GSSAPI");

    const fn from_static(name: &str) -> MechanismName {
        let bytes = name.as_bytes();
        let mut out = [0u8; MECHANISM_LEN];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        MechanismName(out)
    }

    /// A mechanism name from its text; `None` if it is longer than 20 bytes or not printable
    /// ASCII.
    pub fn new(name: &str) -> Option<MechanismName> {
        if name.is_empty()
            || name.len() > MECHANISM_LEN
            || !name.bytes().all(|b| b.is_ascii_graphic())
        {
            return None;
        }
        Some(MechanismName::from_static(name))
    }

    /// The 20 bytes as they appear in the greeting.
    pub const fn as_padded(&self) -> &[u8; MECHANISM_LEN] {
        &self.0
    }

    /// The name without its NUL padding.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(MECHANISM_LEN);
        &self.0[..end]
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MechanismName({self})")
    }
}

/// A peer's ZMTP 3.x greeting, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeting {
    /// Major version (3 for every ZMTP 3.x peer; libzmq treats 2 and anything above 3 alike).
    pub major: u8,
    /// Minor version: 0 means ZMTP 3.0 (subscriptions travel as messages, no heartbeats), 1 or
    /// more means ZMTP 3.1.
    pub minor: u8,
    /// The security mechanism the peer wants.
    pub mechanism: MechanismName,
    /// The peer's as-server flag (libzmq always sends 0 and never reads it).
    pub as_server: bool,
}

impl Greeting {
    /// Whether the peer speaks ZMTP 3.1 or later (SUBSCRIBE/CANCEL commands, PING/PONG).
    pub fn is_v31(&self) -> bool {
        self.minor >= 1
    }
}

/// Writes our side of the greeting in libzmq's layout.
#[derive(Debug, Clone, Copy)]
pub struct GreetingWriter {
    bytes: [u8; GREETING_LEN],
}

impl GreetingWriter {
    /// Our greeting for `mechanism`. `identity_len` is the length of our routing id: libzmq puts
    /// `identity_len + 1` into the padding so that a ZMTP 1.0 peer reads the signature as the
    /// start of an identity frame. `as_server` is written as libzmq writes it: always 0, since
    /// libzmq decides roles from its own options and ignores the byte.
    pub fn new(mechanism: MechanismName, identity_len: usize) -> GreetingWriter {
        let mut bytes = [0u8; GREETING_LEN];
        bytes[0] = 0xFF;
        bytes[1..9].copy_from_slice(&(identity_len as u64 + 1).to_be_bytes());
        bytes[9] = 0x7F;
        bytes[MAJOR_POS] = VERSION_MAJOR;
        bytes[MINOR_POS] = VERSION_MINOR;
        bytes[MECHANISM_POS..MECHANISM_POS + MECHANISM_LEN].copy_from_slice(mechanism.as_padded());
        GreetingWriter { bytes }
    }

    /// Stage 1: the 10-byte signature.
    pub fn signature(&self) -> &[u8] {
        &self.bytes[..SIGNATURE_LEN]
    }

    /// Stage 2: the major version byte.
    pub fn major(&self) -> &[u8] {
        &self.bytes[MAJOR_POS..MINOR_POS]
    }

    /// Stage 3: minor version, mechanism, as-server and filler (53 bytes).
    pub fn rest(&self) -> &[u8] {
        &self.bytes[MINOR_POS..]
    }

    /// The whole greeting, for peers that do not need the staged exchange (tests, fixtures).
    pub fn as_bytes(&self) -> &[u8; GREETING_LEN] {
        &self.bytes
    }
}

/// An old protocol version detected from the first bytes of a peer's greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyVersion {
    /// ZMTP 1.0 (RFC 13): no greeting at all, the peer starts with an identity frame (or a
    /// versioned signature with revision 0).
    V1,
    /// ZMTP 2.0 (RFC 15): signature, revision 1, socket type byte, identity frame.
    V2,
}

impl fmt::Display for LegacyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LegacyVersion::V1 => "ZMTP 1.0",
            LegacyVersion::V2 => "ZMTP 2.0",
        })
    }
}

/// How far a peer's greeting has been read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreetingStage {
    /// More bytes are needed before anything new can be said.
    NeedMore,
    /// The peer's 10-byte signature is in and says "versioned": send our major version now.
    Signature,
    /// The peer's major version is in and is 3.x (or what libzmq treats as such): send the
    /// rest of our greeting now.
    Major(u8),
    /// The whole 64-byte greeting is in.
    Complete(Greeting),
    /// The peer speaks ZMTP 1.0 or 2.0 (libzmq's detection rules). The bytes read so far are
    /// kept in the decoder.
    Legacy(LegacyVersion),
}

/// Reads a peer's greeting incrementally, never consuming more bytes than the greeting has.
#[derive(Debug, Clone)]
pub struct GreetingDecoder {
    buf: [u8; GREETING_LEN],
    len: usize,
    reported: u8,
}

impl Default for GreetingDecoder {
    fn default() -> Self {
        GreetingDecoder::new()
    }
}

impl GreetingDecoder {
    /// A decoder that has seen nothing yet.
    pub fn new() -> GreetingDecoder {
        GreetingDecoder {
            buf: [0; GREETING_LEN],
            len: 0,
            reported: 0,
        }
    }

    /// The peer's bytes consumed so far.
    pub fn bytes_read(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Consumes bytes from `input` (advancing it past what was used) and reports the next stage
    /// reached, if any. Call again while it returns something other than `NeedMore` and input
    /// remains: each stage is reported once, in order.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<GreetingStage, GreetingError> {
        loop {
            if let Some(stage) = self.next_stage()? {
                return Ok(stage);
            }
            let want = self.bytes_wanted();
            if input.is_empty() || want == 0 {
                return Ok(GreetingStage::NeedMore);
            }
            let n = want.min(input.len());
            self.buf[self.len..self.len + n].copy_from_slice(&input[..n]);
            self.len += n;
            *input = &input[n..];
        }
    }

    /// Bytes needed to reach the next decision point.
    fn bytes_wanted(&self) -> usize {
        if self.reported == STAGE_DONE {
            return 0;
        }
        match self.len {
            0 => 1,
            // A non-FF first byte is a ZMTP 1.0 identity frame length; its flags byte decides.
            1 if self.buf[0] != 0xFF => 1,
            n if n < SIGNATURE_LEN && self.buf[0] != 0xFF => 0,
            n if n < SIGNATURE_LEN => SIGNATURE_LEN - n,
            n if n <= MAJOR_POS => MAJOR_POS + 1 - n,
            n => GREETING_LEN - n,
        }
    }

    fn next_stage(&mut self) -> Result<Option<GreetingStage>, GreetingError> {
        if self.len == 0 || self.reported == STAGE_DONE {
            return Ok(None);
        }
        if self.buf[0] != 0xFF {
            // Unversioned ZMTP 1.0: `length flags body`, length counting the flags byte.
            if self.buf[0] == 0 {
                return Err(GreetingError::NotZmtp { offset: 0, byte: 0 });
            }
            if self.len < 2 {
                return Ok(None);
            }
            let flags = self.buf[1];
            if flags != 0 {
                return Err(GreetingError::NotZmtp {
                    offset: 1,
                    byte: flags,
                });
            }
            self.reported = STAGE_DONE;
            return Ok(Some(GreetingStage::Legacy(LegacyVersion::V1)));
        }
        if self.len < SIGNATURE_LEN {
            return Ok(None);
        }
        if self.reported < STAGE_SIGNATURE {
            let end = self.buf[9];
            if end & 0x01 == 0 {
                // libzmq: bit 0 clear means a ZMTP 1.0 identity frame with a long length, whose
                // flags byte this is; an identity frame has no flags set.
                if end != 0 {
                    return Err(GreetingError::NotZmtp {
                        offset: 9,
                        byte: end,
                    });
                }
                self.reported = STAGE_DONE;
                return Ok(Some(GreetingStage::Legacy(LegacyVersion::V1)));
            }
            self.reported = STAGE_SIGNATURE;
            return Ok(Some(GreetingStage::Signature));
        }
        if self.len <= MAJOR_POS {
            return Ok(None);
        }
        if self.reported < STAGE_MAJOR {
            let major = self.buf[MAJOR_POS];
            return Ok(Some(match major {
                0 => {
                    self.reported = STAGE_DONE;
                    GreetingStage::Legacy(LegacyVersion::V1)
                }
                1 => {
                    self.reported = STAGE_DONE;
                    GreetingStage::Legacy(LegacyVersion::V2)
                }
                _ => {
                    self.reported = STAGE_MAJOR;
                    GreetingStage::Major(major)
                }
            }));
        }
        if self.len < GREETING_LEN {
            return Ok(None);
        }
        self.reported = STAGE_DONE;
        let mut mechanism = [0u8; MECHANISM_LEN];
        mechanism.copy_from_slice(&self.buf[MECHANISM_POS..MECHANISM_POS + MECHANISM_LEN]);
        Ok(Some(GreetingStage::Complete(Greeting {
            major: self.buf[MAJOR_POS],
            minor: self.buf[MINOR_POS],
            mechanism: MechanismName(mechanism),
            as_server: self.buf[AS_SERVER_POS] != 0,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libzmq's `zmtp_greeting_null` test fixture (tests/testutil.hpp): minor 0, as-server 0.
    const LIBZMQ_NULL_FIXTURE: [u8; 64] = {
        let mut g = [0u8; 64];
        g[0] = 0xFF;
        g[9] = 0x7F;
        g[10] = 3;
        g[12] = b'N';
        g[13] = b'U';
        g[14] = b'L';
        g[15] = b'L';
        g
    };

    fn decode_all(bytes: &[u8]) -> Vec<GreetingStage> {
        let mut d = GreetingDecoder::new();
        let mut input = bytes;
        let mut stages = Vec::new();
        loop {
            let stage = d.decode(&mut input).expect("valid greeting");
            if stage == GreetingStage::NeedMore {
                break;
            }
            stages.push(stage);
        }
        stages
    }

    #[test]
    fn writes_libzmq_layout() {
        let w = GreetingWriter::new(MechanismName::NULL, 0);
        let mut expected = [0u8; 64];
        expected[..10].copy_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]);
        expected[10] = 3;
        expected[11] = 1;
        expected[12..16].copy_from_slice(b"NULL");
        assert_eq!(w.as_bytes(), &expected);
        assert_eq!(w.signature().len() + w.major().len() + w.rest().len(), 64);
        let with_id = GreetingWriter::new(MechanismName::CURVE, 5);
        assert_eq!(&with_id.signature()[1..9], &6u64.to_be_bytes());
        assert_eq!(&with_id.as_bytes()[12..17], b"CURVE");
    }

    #[test]
    fn reads_libzmq_fixture_in_stages() {
        let stages = decode_all(&LIBZMQ_NULL_FIXTURE);
        assert_eq!(
            stages,
            vec![
                GreetingStage::Signature,
                GreetingStage::Major(3),
                GreetingStage::Complete(Greeting {
                    major: 3,
                    minor: 0,
                    mechanism: MechanismName::NULL,
                    as_server: false,
                })
            ]
        );
    }

    #[test]
    fn byte_by_byte_gives_the_same_stages() {
        let w = GreetingWriter::new(MechanismName::PLAIN, 3);
        let mut d = GreetingDecoder::new();
        let mut stages = Vec::new();
        for b in w.as_bytes() {
            let mut input: &[u8] = std::slice::from_ref(b);
            loop {
                match d.decode(&mut input).expect("valid") {
                    GreetingStage::NeedMore => break,
                    s => stages.push(s),
                }
            }
            assert!(input.is_empty());
        }
        assert_eq!(stages.len(), 3);
        assert!(
            matches!(stages[2], GreetingStage::Complete(g) if g.minor == 1 && g.mechanism == MechanismName::PLAIN)
        );
    }

    #[test]
    fn does_not_consume_past_the_greeting() {
        let mut bytes = LIBZMQ_NULL_FIXTURE.to_vec();
        bytes.extend_from_slice(&[0x04, 0x06]);
        let mut d = GreetingDecoder::new();
        let mut input = &bytes[..];
        while !matches!(
            d.decode(&mut input).expect("valid"),
            GreetingStage::Complete(_)
        ) {}
        assert_eq!(input, &[0x04, 0x06]);
    }

    #[test]
    fn detects_legacy_peers_like_libzmq() {
        // ZMTP 1.0: short identity frame `01 00` (length 1 = flags only, empty identity).
        assert_eq!(
            decode_all(&[0x01, 0x00]),
            vec![GreetingStage::Legacy(LegacyVersion::V1)]
        );
        // ZMTP 1.0 with a long identity length: FF + u64 + flags 0.
        let long = [0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00];
        assert_eq!(
            decode_all(&long),
            vec![GreetingStage::Legacy(LegacyVersion::V1)]
        );
        // ZMTP 2.0 (RFC 15): signature then revision 1, socket type 5.
        let v2 = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01, 0x05];
        assert_eq!(
            decode_all(&v2),
            vec![
                GreetingStage::Signature,
                GreetingStage::Legacy(LegacyVersion::V2)
            ]
        );
        // Versioned signature with revision 0: libzmq's ZMTP_1_0.
        let v10 = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x00];
        assert_eq!(
            decode_all(&v10),
            vec![
                GreetingStage::Signature,
                GreetingStage::Legacy(LegacyVersion::V1)
            ]
        );
    }

    #[test]
    fn treats_other_majors_as_3x_like_libzmq() {
        let mut g = LIBZMQ_NULL_FIXTURE;
        g[10] = 2;
        assert!(matches!(decode_all(&g).last(), Some(GreetingStage::Complete(c)) if c.major == 2));
        g[10] = 4;
        assert!(matches!(decode_all(&g).last(), Some(GreetingStage::Complete(c)) if c.major == 4));
    }

    #[test]
    fn rejects_garbage_early() {
        // An HTTP request: 'G' would be a ZMTP 1.0 length, but 'E' is no valid flags byte.
        let mut d = GreetingDecoder::new();
        let mut input: &[u8] = b"GET / HTTP/1.1\r\n";
        assert_eq!(
            d.decode(&mut input),
            Err(GreetingError::NotZmtp {
                offset: 1,
                byte: b'E'
            })
        );
        assert_eq!(input.len(), 14, "only two bytes were needed");
        let mut d = GreetingDecoder::new();
        assert_eq!(
            d.decode(&mut &[0x00u8][..]),
            Err(GreetingError::NotZmtp { offset: 0, byte: 0 })
        );
        let mut d = GreetingDecoder::new();
        let bad_end = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x42];
        assert_eq!(
            d.decode(&mut &bad_end[..]),
            Err(GreetingError::NotZmtp {
                offset: 9,
                byte: 0x42
            })
        );
    }

    #[test]
    fn reads_as_server_and_padding_leniently() {
        let mut g = LIBZMQ_NULL_FIXTURE;
        g[1..9].copy_from_slice(&[9, 9, 9, 9, 9, 9, 9, 9]);
        g[9] = 0x01; // only bit 0 matters, as in libzmq
        g[32] = 1;
        g[40] = 0xAA; // filler is ignored
        let last = *decode_all(&g).last().expect("stages");
        assert!(matches!(last, GreetingStage::Complete(c) if c.as_server));
    }

    #[test]
    fn mechanism_names() {
        assert_eq!(MechanismName::CURVE.as_bytes(), b"CURVE");
        assert_eq!(MechanismName::new("GSSAPI"), Some(MechanismName::GSSAPI));
        assert_eq!(MechanismName::new(""), None);
        assert_eq!(MechanismName::new("ABCDEFGHIJKLMNOPQRSTU"), None);
        assert_eq!(MechanismName::new("NU LL"), None);
        assert_eq!(MechanismName::GSSAPI.to_string(), "GSSAPI");
    }
}
