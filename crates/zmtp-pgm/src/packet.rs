//! PGM packets (RFC 3208 section 8 and 9): the common header, the types ODATA, RDATA, SPM,
//! NAK, N-NAK, NCF and SPMR, and the options OpenPGM emits or reads for libzmq's traffic.
//!
//! Layout of the common header (16 bytes, network byte order):
//!
//! ```text
//!  0      2      4    5       6        8          14     16
//!  | sport | dport | type | options | checksum | GSI (6) | TSDU length |
//! ```
//!
//! Downstream packets (SPM, ODATA, RDATA, NCF) carry the source's port in `sport` and the
//! data-destination port in `dport`; upstream ones (NAK, N-NAK, SPMR) swap them. The transport
//! session identifier (TSI) is the GSI and the source's port.
//!
//! Options (section 9) follow the type-specific part when the header's `OPT_PRESENT` bit is set:
//! first `OPT_LENGTH` (type 0x00, length 4, the total length of all options as a 16-bit
//! number), then options of at least four bytes each (type with the `OPT_END` bit 0x80 on the
//! last, length, a flags byte with the OPX and U bits, a reserved byte, the value). OpenPGM
//! leaves the flags byte of an NCF's `OPT_NAK_LIST` uninitialised (captures show `0x1f`), so it
//! is read and never checked.
//!
//! Decoding never panics: every malformed input is a [`PacketError`].

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes, BytesMut};

use crate::checksum::pgm_checksum;

/// Length of the common PGM header.
pub const HEADER_LEN: usize = 16;
/// Length of the ODATA/RDATA part after the header (sequence number, trail).
pub const DATA_HEADER_LEN: usize = 8;
/// Most sequence numbers one `OPT_NAK_LIST` carries (RFC 3208 section 9.2).
pub const MAX_NAK_LIST: usize = 62;

/// Header option bit: options follow (`OPT_PRESENT`).
pub const OPT_PRESENT: u8 = 0x01;
/// Header option bit: network-significant options (`OPT_NETWORK`).
pub const OPT_NETWORK: u8 = 0x02;
/// Header option bit: variable-length parity packets (`OPT_VAR_PKTLEN`).
pub const OPT_VAR_PKTLEN: u8 = 0x40;
/// Header option bit: parity packet (`OPT_PARITY`).
pub const OPT_PARITY: u8 = 0x80;

const OPTION_LENGTH: u8 = 0x00;
const OPTION_FRAGMENT: u8 = 0x01;
const OPTION_NAK_LIST: u8 = 0x02;
const OPTION_JOIN: u8 = 0x03;
const OPTION_SYN: u8 = 0x0d;
const OPTION_FIN: u8 = 0x0e;
const OPTION_RST: u8 = 0x0f;
const OPTION_END: u8 = 0x80;
const OPTION_MASK: u8 = 0x7f;

/// A malformed or unusable PGM packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// Fewer bytes than the header or the type's fixed part needs.
    #[error("truncated PGM packet: {needed} bytes needed, {got} present")]
    Truncated {
        /// Bytes the layout needs.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// The checksum does not match the packet's contents.
    #[error("PGM checksum mismatch: packet says {found:#06x}, contents give {computed:#06x}")]
    Checksum {
        /// The checksum field.
        found: u16,
        /// The checksum of the contents.
        computed: u16,
    },
    /// ODATA and RDATA must carry a checksum (OpenPGM refuses them without one).
    #[error("data packet without a checksum")]
    MissingChecksum,
    /// A network-layer address family other than IPv4 (1) or IPv6 (2).
    #[error("unknown NLA address family {0}")]
    UnknownAfi(u16),
    /// The header's TSDU length does not match the data present.
    #[error("TSDU length {declared} but {present} data bytes")]
    TsduLength {
        /// The header's TSDU length.
        declared: u16,
        /// Data bytes in the packet.
        present: usize,
    },
    /// The options are malformed (first not `OPT_LENGTH`, lengths out of bounds, no
    /// `OPT_END`, a known option of the wrong size).
    #[error("malformed PGM options: {0}")]
    Options(&'static str),
    /// The IP header around a raw PGM packet is malformed or not PGM.
    #[error("bad IP header: {0}")]
    Ip(&'static str),
}

/// The types of PGM packet (the low nibble of the header's type byte; the high nibble is the
/// version, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// Source path message (8.1).
    Spm = 0x00,
    /// Poll request (14.7.1).
    Poll = 0x01,
    /// Poll response (14.7.2).
    Polr = 0x02,
    /// Original data (8.2).
    Odata = 0x04,
    /// Repair data (8.2).
    Rdata = 0x05,
    /// Negative acknowledgement (8.3).
    Nak = 0x08,
    /// Null NAK (8.3).
    Nnak = 0x09,
    /// NAK confirmation (8.3).
    Ncf = 0x0a,
    /// SPM request (13.6).
    Spmr = 0x0c,
    /// PGMCC acknowledgement.
    Ack = 0x0d,
}

impl PacketType {
    /// The type for a type byte, if known.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0x00 => Self::Spm,
            0x01 => Self::Poll,
            0x02 => Self::Polr,
            0x04 => Self::Odata,
            0x05 => Self::Rdata,
            0x08 => Self::Nak,
            0x09 => Self::Nnak,
            0x0a => Self::Ncf,
            0x0c => Self::Spmr,
            0x0d => Self::Ack,
            _ => return None,
        })
    }
}

/// A transport session identifier: the global source identifier and the source port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tsi {
    /// Global source identifier (6 bytes; OpenPGM makes it from random data under libzmq).
    pub gsi: [u8; 6],
    /// The source's port (the `sport` of its downstream packets).
    pub sport: u16,
}

/// A network-layer address (NLA), with its address family indicator (AFI 1 = IPv4,
/// 2 = IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nla {
    /// AFI 1.
    V4(Ipv4Addr),
    /// AFI 2.
    V6(Ipv6Addr),
}

impl Nla {
    fn encoded_len(&self) -> usize {
        match self {
            Nla::V4(_) => 8,
            Nla::V6(_) => 20,
        }
    }

    fn put(&self, out: &mut BytesMut) {
        match self {
            Nla::V4(a) => {
                out.put_u16(1);
                out.put_u16(0);
                out.put_slice(&a.octets());
            }
            Nla::V6(a) => {
                out.put_u16(2);
                out.put_u16(0);
                out.put_slice(&a.octets());
            }
        }
    }

    /// Reads an AFI, a reserved field and an address at `at`; returns it and the offset after.
    fn read(buf: &[u8], at: usize) -> Result<(Nla, usize), PacketError> {
        need(buf, at + 4)?;
        let afi = u16::from_be_bytes([buf[at], buf[at + 1]]);
        match afi {
            1 => {
                need(buf, at + 8)?;
                let mut o = [0u8; 4];
                o.copy_from_slice(&buf[at + 4..at + 8]);
                Ok((Nla::V4(Ipv4Addr::from(o)), at + 8))
            }
            2 => {
                need(buf, at + 20)?;
                let mut o = [0u8; 16];
                o.copy_from_slice(&buf[at + 4..at + 20]);
                Ok((Nla::V6(Ipv6Addr::from(o)), at + 20))
            }
            other => Err(PacketError::UnknownAfi(other)),
        }
    }
}

fn need(buf: &[u8], n: usize) -> Result<(), PacketError> {
    if buf.len() < n {
        Err(PacketError::Truncated {
            needed: n,
            got: buf.len(),
        })
    } else {
        Ok(())
    }
}

fn be32(buf: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// `OPT_FRAGMENT`: where this TPDU's data sits in an APDU that OpenPGM cut into fragments.
/// libzmq never sends an APDU above the maximum TSDU, so its traffic has none; the option is
/// decoded (and encoded) so that a fragmented APDU is recognised and refused by the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Sequence number of the APDU's first fragment.
    pub first_sqn: u32,
    /// Offset of this fragment's data in the APDU.
    pub offset: u32,
    /// Length of the whole APDU.
    pub apdu_len: u32,
}

/// The options of a packet that this crate reads or writes. Others (parity, congestion
/// control, redirect, ...) are skipped over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `OPT_FRAGMENT`.
    pub fragment: Option<Fragment>,
    /// `OPT_NAK_LIST`: sequence numbers after the packet's own (at most [`MAX_NAK_LIST`]).
    pub nak_list: Vec<u32>,
    /// `OPT_JOIN`: the minimum sequence number a late joiner may ask for.
    pub join: Option<u32>,
    /// `OPT_SYN`: the first packet of a session.
    pub syn: bool,
    /// `OPT_FIN`: the session ends (OpenPGM sends it on SPMs when the socket closes).
    pub fin: bool,
    /// `OPT_RST`: the session was reset.
    pub rst: bool,
    /// How many options were skipped as unknown to this crate.
    pub skipped: u8,
}

impl Options {
    fn is_empty(&self) -> bool {
        self.fragment.is_none()
            && self.nak_list.is_empty()
            && self.join.is_none()
            && !self.syn
            && !self.fin
            && !self.rst
    }

    /// Encoded length, `OPT_LENGTH` included (0 when there is nothing to send).
    fn encoded_len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        let mut n = 4;
        if self.fragment.is_some() {
            n += 16;
        }
        if !self.nak_list.is_empty() {
            n += 4 + 4 * self.nak_list.len().min(MAX_NAK_LIST);
        }
        if self.join.is_some() {
            n += 8;
        }
        n += 4 * (usize::from(self.syn) + usize::from(self.fin) + usize::from(self.rst));
        n
    }

    fn put(&self, out: &mut BytesMut) {
        let total = self.encoded_len();
        if total == 0 {
            return;
        }
        out.put_u8(OPTION_LENGTH);
        out.put_u8(4);
        // Options are a few dozen bytes (62 NAK list entries at the most).
        out.put_u16(u16::try_from(total).unwrap_or(u16::MAX));
        // (type, body) pairs; the last gets OPT_END.
        let mut opts: Vec<(u8, Vec<u8>)> = Vec::new();
        if let Some(f) = self.fragment {
            let mut b = Vec::with_capacity(12);
            b.extend_from_slice(&f.first_sqn.to_be_bytes());
            b.extend_from_slice(&f.offset.to_be_bytes());
            b.extend_from_slice(&f.apdu_len.to_be_bytes());
            opts.push((OPTION_FRAGMENT, b));
        }
        if !self.nak_list.is_empty() {
            let b = self.nak_list[..self.nak_list.len().min(MAX_NAK_LIST)]
                .iter()
                .flat_map(|s| s.to_be_bytes())
                .collect();
            opts.push((OPTION_NAK_LIST, b));
        }
        if let Some(j) = self.join {
            opts.push((OPTION_JOIN, j.to_be_bytes().to_vec()));
        }
        for (on, t) in [
            (self.syn, OPTION_SYN),
            (self.fin, OPTION_FIN),
            (self.rst, OPTION_RST),
        ] {
            if on {
                opts.push((t, Vec::new()));
            }
        }
        let last = opts.len() - 1;
        for (i, (t, body)) in opts.iter().enumerate() {
            out.put_u8(if i == last { t | OPTION_END } else { *t });
            // An option's body is at most 248 bytes (OPT_NAK_LIST's 62 entries).
            out.put_u8(u8::try_from(4 + body.len()).unwrap_or(u8::MAX));
            out.put_u8(0); // flags: OPX ignore, U and F clear
            out.put_u8(0); // reserved
            out.put_slice(body);
        }
    }

    /// Parses the options starting at `at`; returns them and the offset after them.
    fn read(buf: &[u8], at: usize) -> Result<(Options, usize), PacketError> {
        need(buf, at + 4)?;
        if buf[at] & OPTION_MASK != OPTION_LENGTH || buf[at + 1] != 4 {
            return Err(PacketError::Options("first option is not OPT_LENGTH"));
        }
        let total = usize::from(u16::from_be_bytes([buf[at + 2], buf[at + 3]]));
        if total < 4 {
            return Err(PacketError::Options("OPT_LENGTH below 4"));
        }
        let end = at + total;
        if end > buf.len() {
            return Err(PacketError::Options("options run past the packet"));
        }
        let mut opts = Options::default();
        let mut pos = at + 4;
        if buf[at] & OPTION_END != 0 {
            return if pos == end {
                Ok((opts, end))
            } else {
                Err(PacketError::Options("bytes after OPT_END"))
            };
        }
        loop {
            if pos + 4 > end {
                return Err(PacketError::Options("no OPT_END within OPT_LENGTH"));
            }
            let ty = buf[pos];
            let len = usize::from(buf[pos + 1]);
            if len < 4 || pos + len > end {
                return Err(PacketError::Options("option length out of bounds"));
            }
            let body = &buf[pos + 4..pos + len];
            match ty & OPTION_MASK {
                OPTION_LENGTH => return Err(PacketError::Options("second OPT_LENGTH")),
                OPTION_FRAGMENT => {
                    if body.len() != 12 {
                        return Err(PacketError::Options("OPT_FRAGMENT is not 16 bytes"));
                    }
                    opts.fragment = Some(Fragment {
                        first_sqn: be32(body, 0),
                        offset: be32(body, 4),
                        apdu_len: be32(body, 8),
                    });
                }
                OPTION_NAK_LIST => {
                    if body.is_empty()
                        || !body.len().is_multiple_of(4)
                        || body.len() / 4 > MAX_NAK_LIST
                    {
                        return Err(PacketError::Options("OPT_NAK_LIST length"));
                    }
                    opts.nak_list = body.chunks_exact(4).map(|c| be32(c, 0)).collect();
                }
                OPTION_JOIN => {
                    if body.len() != 4 {
                        return Err(PacketError::Options("OPT_JOIN is not 8 bytes"));
                    }
                    opts.join = Some(be32(body, 0));
                }
                OPTION_SYN => opts.syn = true,
                OPTION_FIN => opts.fin = true,
                OPTION_RST => opts.rst = true,
                _ => opts.skipped = opts.skipped.saturating_add(1),
            }
            pos += len;
            if ty & OPTION_END != 0 {
                if pos != end {
                    return Err(PacketError::Options("bytes after OPT_END"));
                }
                return Ok((opts, end));
            }
        }
    }
}

/// Source path message: the source's sequence state and its address, multicast regularly
/// (ambient and heartbeat SPMs) so receivers learn where to send NAKs and notice tail loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spm {
    /// The SPM's own sequence number (its own space, one per SPM sent).
    pub spm_sqn: u32,
    /// Trailing edge of the transmit window: the oldest sequence number still repairable.
    pub trail: u32,
    /// Leading edge: the last data sequence number sent (`trail - 1` when none was).
    pub lead: u32,
    /// The path NLA: the source's (or last PGM router's) unicast address, where NAKs go.
    pub path_nla: Nla,
}

/// ODATA or RDATA: one TSDU of an APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    /// The data packet's sequence number.
    pub sqn: u32,
    /// Trailing edge of the source's transmit window when sent.
    pub trail: u32,
    /// The TSDU (for libzmq, an APDU: a 2-byte offset then v1-framed messages).
    pub payload: Bytes,
}

/// NAK, N-NAK or NCF: one sequence number (plus any in `OPT_NAK_LIST`), the source's NLA and
/// the multicast group's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nak {
    /// The requested (or confirmed) sequence number.
    pub sqn: u32,
    /// The source's unicast NLA (from its SPMs).
    pub source_nla: Nla,
    /// The multicast group's NLA.
    pub group_nla: Nla,
}

/// The type-specific part of a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// SPM.
    Spm(Spm),
    /// ODATA.
    Odata(Data),
    /// RDATA.
    Rdata(Data),
    /// NAK.
    Nak(Nak),
    /// N-NAK.
    Nnak(Nak),
    /// NCF.
    Ncf(Nak),
    /// SPMR (no type-specific part).
    Spmr,
    /// POLL, POLR, ACK or an unknown type: not interpreted, the bytes after the header kept.
    Other {
        /// The type byte.
        ty: u8,
        /// Everything after the common header.
        rest: Bytes,
    },
}

/// A decoded PGM packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Source port field.
    pub sport: u16,
    /// Destination port field.
    pub dport: u16,
    /// GSI field.
    pub gsi: [u8; 6],
    /// The header's option bits other than `OPT_PRESENT` (which follows from `options`):
    /// `OPT_NETWORK`, `OPT_VAR_PKTLEN`, `OPT_PARITY`.
    pub flags: u8,
    /// The options read or to write.
    pub options: Options,
    /// The type-specific part.
    pub body: Body,
}

impl Packet {
    /// The TSI of the source this packet is from (downstream) or for (upstream: NAK, N-NAK,
    /// SPMR carry the source's port in `dport`).
    pub fn tsi(&self) -> Tsi {
        let sport = match self.body {
            Body::Nak(_) | Body::Nnak(_) | Body::Spmr => self.dport,
            _ => self.sport,
        };
        Tsi {
            gsi: self.gsi,
            sport,
        }
    }

    /// The type byte.
    pub fn type_byte(&self) -> u8 {
        match &self.body {
            Body::Spm(_) => PacketType::Spm as u8,
            Body::Odata(_) => PacketType::Odata as u8,
            Body::Rdata(_) => PacketType::Rdata as u8,
            Body::Nak(_) => PacketType::Nak as u8,
            Body::Nnak(_) => PacketType::Nnak as u8,
            Body::Ncf(_) => PacketType::Ncf as u8,
            Body::Spmr => PacketType::Spmr as u8,
            Body::Other { ty, .. } => *ty,
        }
    }

    /// Decodes a PGM packet as it arrives over UDP (`epgm://`: the datagram's payload is the
    /// PGM packet). For raw IP (`pgm://`) use [`strip_ipv4_header`] first.
    ///
    /// A non-zero checksum is verified; ODATA and RDATA must have one.
    pub fn decode(buf: &[u8]) -> Result<Packet, PacketError> {
        need(buf, HEADER_LEN)?;
        let found = u16::from_be_bytes([buf[6], buf[7]]);
        let ty = buf[4];
        if found != 0 {
            let computed = pgm_checksum(buf);
            if computed != found {
                return Err(PacketError::Checksum { found, computed });
            }
        } else if ty == PacketType::Odata as u8 || ty == PacketType::Rdata as u8 {
            return Err(PacketError::MissingChecksum);
        }
        Self::decode_unchecked(buf)
    }

    /// Decodes without looking at the checksum (for callers that verified it already, or for
    /// reading packets whose checksum was cleared).
    pub fn decode_unchecked(buf: &[u8]) -> Result<Packet, PacketError> {
        need(buf, HEADER_LEN)?;
        let sport = u16::from_be_bytes([buf[0], buf[1]]);
        let dport = u16::from_be_bytes([buf[2], buf[3]]);
        let ty = buf[4];
        let hdr_opts = buf[5];
        let mut gsi = [0u8; 6];
        gsi.copy_from_slice(&buf[8..14]);
        let tsdu_length = u16::from_be_bytes([buf[14], buf[15]]);
        let has_options = hdr_opts & OPT_PRESENT != 0;
        let read_opts = |at: usize| -> Result<(Options, usize), PacketError> {
            if has_options {
                Options::read(buf, at)
            } else {
                Ok((Options::default(), at))
            }
        };
        let (options, body) = match PacketType::from_byte(ty) {
            Some(PacketType::Spm) => {
                need(buf, HEADER_LEN + 12)?;
                let spm_sqn = be32(buf, 16);
                let trail = be32(buf, 20);
                let lead = be32(buf, 24);
                let (path_nla, at) = Nla::read(buf, 28)?;
                let (options, _) = read_opts(at)?;
                (
                    options,
                    Body::Spm(Spm {
                        spm_sqn,
                        trail,
                        lead,
                        path_nla,
                    }),
                )
            }
            Some(t @ (PacketType::Odata | PacketType::Rdata)) => {
                need(buf, HEADER_LEN + DATA_HEADER_LEN)?;
                let sqn = be32(buf, 16);
                let trail = be32(buf, 20);
                let (options, at) = read_opts(HEADER_LEN + DATA_HEADER_LEN)?;
                let present = buf.len() - at;
                if present != usize::from(tsdu_length) {
                    return Err(PacketError::TsduLength {
                        declared: tsdu_length,
                        present,
                    });
                }
                let d = Data {
                    sqn,
                    trail,
                    payload: Bytes::copy_from_slice(&buf[at..]),
                };
                (
                    options,
                    if t == PacketType::Odata {
                        Body::Odata(d)
                    } else {
                        Body::Rdata(d)
                    },
                )
            }
            Some(t @ (PacketType::Nak | PacketType::Nnak | PacketType::Ncf)) => {
                need(buf, HEADER_LEN + 4)?;
                let sqn = be32(buf, 16);
                let (source_nla, at) = Nla::read(buf, 20)?;
                let (group_nla, at) = Nla::read(buf, at)?;
                let (options, _) = read_opts(at)?;
                let n = Nak {
                    sqn,
                    source_nla,
                    group_nla,
                };
                (
                    options,
                    match t {
                        PacketType::Nak => Body::Nak(n),
                        PacketType::Nnak => Body::Nnak(n),
                        _ => Body::Ncf(n),
                    },
                )
            }
            Some(PacketType::Spmr) => {
                let (options, _) = read_opts(HEADER_LEN)?;
                (options, Body::Spmr)
            }
            _ => (
                Options::default(),
                Body::Other {
                    ty,
                    rest: Bytes::copy_from_slice(&buf[HEADER_LEN..]),
                },
            ),
        };
        Ok(Packet {
            sport,
            dport,
            gsi,
            flags: hdr_opts & !OPT_PRESENT,
            options,
            body,
        })
    }

    /// Encodes the packet with its checksum, as it goes in a UDP datagram (`epgm://`) or after
    /// the IP header the kernel adds on a raw socket (`pgm://`).
    ///
    /// The header's `OPT_PRESENT` bit is set when options are written; OpenPGM also sets
    /// `OPT_NETWORK` on NAKs and NCFs that carry a list, which [`Packet::flags`] holds.
    pub fn encode(&self) -> Bytes {
        let opts_len = self.options.encoded_len();
        let (fixed, payload): (usize, &[u8]) = match &self.body {
            Body::Spm(s) => (12 + s.path_nla.encoded_len(), &[]),
            Body::Odata(d) | Body::Rdata(d) => (DATA_HEADER_LEN, &d.payload[..]),
            Body::Nak(n) | Body::Nnak(n) | Body::Ncf(n) => (
                4 + n.source_nla.encoded_len() + n.group_nla.encoded_len(),
                &[],
            ),
            Body::Spmr => (0, &[]),
            Body::Other { rest, .. } => (0, &rest[..]),
        };
        let mut out = BytesMut::with_capacity(HEADER_LEN + fixed + opts_len + payload.len());
        out.put_u16(self.sport);
        out.put_u16(self.dport);
        out.put_u8(self.type_byte());
        let present = if opts_len > 0 && !matches!(self.body, Body::Other { .. }) {
            OPT_PRESENT
        } else {
            0
        };
        out.put_u8((self.flags & !OPT_PRESENT) | present);
        out.put_u16(0);
        out.put_slice(&self.gsi);
        let tsdu = match &self.body {
            Body::Odata(d) | Body::Rdata(d) => u16::try_from(d.payload.len()).unwrap_or(u16::MAX),
            _ => 0,
        };
        out.put_u16(tsdu);
        match &self.body {
            Body::Spm(s) => {
                out.put_u32(s.spm_sqn);
                out.put_u32(s.trail);
                out.put_u32(s.lead);
                s.path_nla.put(&mut out);
            }
            Body::Odata(d) | Body::Rdata(d) => {
                out.put_u32(d.sqn);
                out.put_u32(d.trail);
            }
            Body::Nak(n) | Body::Nnak(n) | Body::Ncf(n) => {
                out.put_u32(n.sqn);
                n.source_nla.put(&mut out);
                n.group_nla.put(&mut out);
            }
            Body::Spmr | Body::Other { .. } => {}
        }
        if present != 0 {
            self.options.put(&mut out);
        }
        out.put_slice(payload);
        let sum = pgm_checksum(&out);
        out[6..8].copy_from_slice(&sum.to_be_bytes());
        out.freeze()
    }
}

/// The two ways PGM travels, which differ only around the PGM packet:
///
/// - [`Encapsulation::Udp`] (`epgm://`): each PGM packet is a UDP datagram's payload, sent to
///   the group and the endpoint's port (libzmq sets OpenPGM's UDP encapsulation ports, unicast
///   and multicast, both to the endpoint's port, which is also the PGM data-destination port).
///   NAKs go by unicast UDP to the source's NLA on that port.
/// - [`Encapsulation::RawIp`] (`pgm://`): IP protocol 113. Sent on a raw socket, the kernel
///   adds the IP header; received on one, the IPv4 header comes first ([`strip_ipv4_header`]).
///   OpenPGM adds the IP Router Alert option to SPMs, NCFs, NAKs and RDATA.
///
/// The PGM bytes are the same; so is the checksum (no pseudo-header either way). The usable
/// TSDU differs by the UDP header: see [`max_tsdu`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encapsulation {
    /// PGM in UDP (`epgm://`).
    Udp,
    /// PGM directly in IP (`pgm://`).
    RawIp,
}

/// The largest TSDU of one packet for a maximum TPDU of `max_tpdu` bytes (ZMQ_MULTICAST_MAXTPDU,
/// 1500 by default), as OpenPGM computes it for libzmq and libzmq then uses as its APDU size:
/// `max_tpdu`, less 40 for the IP header (OpenPGM under libzmq reserves an IPv6 header's size:
/// captures show TSDUs of 1428 bytes over UDP and 1436 over raw IP for 1500), less 8 for UDP
/// when encapsulated, less the PGM header and the data header (24). Zero when `max_tpdu` is too
/// small.
pub fn max_tsdu(max_tpdu: u16, encapsulation: Encapsulation) -> usize {
    usize::from(max_tpdu).saturating_sub(ip_overhead(encapsulation) + HEADER_LEN + DATA_HEADER_LEN)
}

/// The bytes OpenPGM (as libzmq runs it) counts below the PGM packet: 40 for the IP header
/// and 8 more for UDP when encapsulated. [`max_tsdu`] leaves room for them, and the rate
/// limiter charges them on every packet, as OpenPGM's does.
pub fn ip_overhead(encapsulation: Encapsulation) -> usize {
    match encapsulation {
        Encapsulation::Udp => 48,
        Encapsulation::RawIp => 40,
    }
}

/// What the IPv4 header around a raw PGM packet said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Info {
    /// Source address: for downstream packets, where a unicast SPMR can go before any SPM.
    pub source: Ipv4Addr,
    /// Destination address (the group, or this host for unicast NAKs).
    pub destination: Ipv4Addr,
}

/// Splits a datagram read from a raw IPv4 socket (protocol 113) into its IP header's addresses
/// and the PGM packet, as OpenPGM's raw parser does: version 4, a header of at least 20 bytes,
/// protocol 113, not a fragment, and a total length within the datagram (a total length that
/// leaves out the header, as BSD kernels give, is accepted too). Bytes after the total length
/// are dropped.
pub fn strip_ipv4_header(datagram: &[u8]) -> Result<(Ipv4Info, &[u8]), PacketError> {
    if datagram.len() < 20 {
        return Err(PacketError::Ip("shorter than an IPv4 header"));
    }
    if datagram[0] >> 4 != 4 {
        return Err(PacketError::Ip("not IPv4"));
    }
    let ihl = usize::from(datagram[0] & 0x0f) * 4;
    if ihl < 20 || ihl > datagram.len() {
        return Err(PacketError::Ip("header length out of bounds"));
    }
    if datagram[9] != 113 {
        return Err(PacketError::Ip("protocol is not PGM (113)"));
    }
    let frag = u16::from_be_bytes([datagram[6], datagram[7]]);
    if frag & 0x1fff != 0 {
        return Err(PacketError::Ip("a fragment"));
    }
    let mut total = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    if datagram.len() == total + ihl {
        total += ihl;
    }
    if total < ihl || total > datagram.len() {
        return Err(PacketError::Ip("total length out of bounds"));
    }
    let mut s = [0u8; 4];
    s.copy_from_slice(&datagram[12..16]);
    let mut d = [0u8; 4];
    d.copy_from_slice(&datagram[16..20]);
    Ok((
        Ipv4Info {
            source: Ipv4Addr::from(s),
            destination: Ipv4Addr::from(d),
        },
        &datagram[ihl..total],
    ))
}

/// Builds an IPv4 header (20 bytes, no options, TTL `ttl`, protocol 113) for `payload_len`
/// bytes of PGM, for callers that send with `IP_HDRINCL` or build test datagrams.
pub fn ipv4_header(
    source: Ipv4Addr,
    destination: Ipv4Addr,
    ttl: u8,
    payload_len: usize,
) -> [u8; 20] {
    let total = u16::try_from(20 + payload_len).unwrap_or(u16::MAX);
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[6] = 0x40; // don't fragment
    h[8] = ttl;
    h[9] = 113;
    h[12..16].copy_from_slice(&source.octets());
    h[16..20].copy_from_slice(&destination.octets());
    let sum = crate::checksum::internet_checksum(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}
