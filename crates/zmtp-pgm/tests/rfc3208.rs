//! The packet layouts of RFC 3208 sections 8 and 9, assembled by hand field by field, against
//! the encoder and the decoder; malformed packets refused with their error.
#![allow(clippy::unwrap_used)] // in a test, a failed unwrap is the test failing

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use common::hex;
use proptest::prelude::*;
use zmtp_pgm::packet::{OPT_NETWORK, OPT_PARITY};
use zmtp_pgm::{
    ipv4_header, strip_ipv4_header, Body, Data, Fragment, Nak, Nla, Options, Packet, PacketError,
    Spm,
};

/// RFC 1071, written out here independently of the crate: the one's complement of the one's
/// complement sum, 0 sent as 0xffff.
fn rfc1071(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for (i, b) in bytes.iter().enumerate() {
        sum += if i % 2 == 0 {
            u32::from(*b) << 8
        } else {
            u32::from(*b)
        };
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    if c == 0 {
        0xffff
    } else {
        c
    }
}

/// Sets bytes 6..8 of a hand-made packet to its checksum.
fn with_checksum(mut b: Vec<u8>) -> Vec<u8> {
    b[6] = 0;
    b[7] = 0;
    let c = rfc1071(&b);
    b[6..8].copy_from_slice(&c.to_be_bytes());
    b
}

const GSI: [u8; 6] = [1, 2, 3, 4, 5, 6];

fn packet(sport: u16, dport: u16, body: Body, options: Options) -> Packet {
    Packet {
        sport,
        dport,
        gsi: GSI,
        flags: 0,
        options,
        body,
    }
}

fn check(p: &Packet, wire: &[u8]) {
    assert_eq!(p.encode().to_vec(), wire, "encoding of {p:?}");
    assert_eq!(&Packet::decode(wire).unwrap(), p);
}

#[test]
fn odata_section_8_2() {
    // sport, dport, type 0x04, options 0, checksum, GSI, TSDU length 3; sqn, trail; data.
    let wire = with_checksum(hex(
        "1234 5678 04 00 0000 010203040506 0003  0a0b0c0d 01020304  616263",
    ));
    let p = packet(
        0x1234,
        0x5678,
        Body::Odata(Data {
            sqn: 0x0a0b_0c0d,
            trail: 0x0102_0304,
            payload: Bytes::from_static(b"abc"),
        }),
        Options::default(),
    );
    check(&p, &wire);
    // RDATA is the same with type 0x05.
    let mut r = wire.clone();
    r[4] = 0x05;
    let r = with_checksum(r);
    let Body::Odata(d) = p.body.clone() else {
        unreachable!()
    };
    check(
        &packet(0x1234, 0x5678, Body::Rdata(d), Options::default()),
        &r,
    );
}

#[test]
fn spm_section_8_1_ipv4_and_ipv6() {
    let wire = with_checksum(hex(
        "1234 5678 00 00 0000 010203040506 0000  00000007 00000010 00000020  0001 0000 c0a80001",
    ));
    let spm = Spm {
        spm_sqn: 7,
        trail: 0x10,
        lead: 0x20,
        path_nla: Nla::V4(Ipv4Addr::new(192, 168, 0, 1)),
    };
    check(
        &packet(0x1234, 0x5678, Body::Spm(spm.clone()), Options::default()),
        &wire,
    );
    let wire6 = with_checksum(hex(
        "1234 5678 00 00 0000 010203040506 0000  00000007 00000010 00000020  0002 0000 \
         fe800000000000000000000000000001",
    ));
    let spm6 = Spm {
        path_nla: Nla::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
        ..spm
    };
    check(
        &packet(0x1234, 0x5678, Body::Spm(spm6), Options::default()),
        &wire6,
    );
}

#[test]
fn nak_ncf_nnak_section_8_3_with_a_nak_list_section_9_2() {
    // NAK upstream: sport is the data-destination port, dport the source's port.
    let plain = with_checksum(hex(
        "5678 1234 08 00 0000 010203040506 0000  00000005  0001 0000 0a000001  0001 0000 efc00101",
    ));
    let nak = Nak {
        sqn: 5,
        source_nla: Nla::V4(Ipv4Addr::new(10, 0, 0, 1)),
        group_nla: Nla::V4(Ipv4Addr::new(239, 192, 1, 1)),
    };
    let p = packet(0x5678, 0x1234, Body::Nak(nak.clone()), Options::default());
    check(&p, &plain);
    assert_eq!(
        p.tsi().sport,
        0x1234,
        "an upstream packet names its source in dport"
    );

    // With OPT_PRESENT | OPT_NETWORK, OPT_LENGTH (type 0, length 4, total 16), then
    // OPT_NAK_LIST with OPT_END (0x82), length 12, flags and reserved, two sequence numbers.
    let listed = with_checksum(hex(
        "5678 1234 08 03 0000 010203040506 0000  00000005  0001 0000 0a000001  0001 0000 efc00101 \
         00 04 0010  82 0c 00 00 00000007 00000009",
    ));
    let mut p = packet(
        0x5678,
        0x1234,
        Body::Nak(nak.clone()),
        Options {
            nak_list: vec![7, 9],
            ..Options::default()
        },
    );
    p.flags = OPT_NETWORK;
    check(&p, &listed);

    for (ty, body) in [
        (0x09, Body::Nnak(nak.clone())),
        (0x0a, Body::Ncf(nak.clone())),
    ] {
        let mut w = plain.clone();
        w[4] = ty;
        let w = with_checksum(w);
        check(&packet(0x5678, 0x1234, body, Options::default()), &w);
    }
}

#[test]
fn spmr_section_13_6_and_fin_and_fragment_options() {
    let spmr = with_checksum(hex("5678 1234 0c 00 0000 010203040506 0000"));
    check(
        &packet(0x5678, 0x1234, Body::Spmr, Options::default()),
        &spmr,
    );

    // OPT_FRAGMENT (9.3): type 0x01 (with OPT_END 0x81), length 16, flags, reserved, first
    // sequence number, offset, APDU length.
    let frag = with_checksum(hex(
        "1234 5678 04 01 0000 010203040506 0002  00000009 00000001 \
         00 04 0014  81 10 00 00 00000008 000005a0 00000bb8  6869",
    ));
    let p = packet(
        0x1234,
        0x5678,
        Body::Odata(Data {
            sqn: 9,
            trail: 1,
            payload: Bytes::from_static(b"hi"),
        }),
        Options {
            fragment: Some(Fragment {
                first_sqn: 8,
                offset: 1440,
                apdu_len: 3000,
            }),
            ..Options::default()
        },
    );
    check(&p, &frag);

    // OPT_FIN (9.8) on an SPM, as OpenPGM closes a session.
    let fin = with_checksum(hex(
        "1234 5678 00 01 0000 010203040506 0000  00000001 00000000 ffffffff  0001 0000 7f000001 \
         00 04 0008  8e 04 00 00",
    ));
    let p = packet(
        0x1234,
        0x5678,
        Body::Spm(Spm {
            spm_sqn: 1,
            trail: 0,
            lead: u32::MAX,
            path_nla: Nla::V4(Ipv4Addr::LOCALHOST),
        }),
        Options {
            fin: true,
            ..Options::default()
        },
    );
    check(&p, &fin);
}

#[test]
fn unknown_options_are_skipped_and_flags_kept() {
    // OPT_PARITY_PRM (0x08) then OPT_FIN: the first is skipped.
    let wire = with_checksum(hex(
        "1234 5678 00 81 0000 010203040506 0000  00000001 00000000 ffffffff  0001 0000 7f000001 \
         00 04 0010  08 08 00 00 00000004  8e 04 00 00",
    ));
    let p = Packet::decode(&wire).unwrap();
    assert!(p.options.fin);
    assert_eq!(p.options.skipped, 1);
    assert_eq!(p.flags, OPT_PARITY);
}

#[test]
fn a_zero_checksum_means_none_except_on_data() {
    let spmr = hex("5678 1234 0c 00 0000 010203040506 0000");
    assert_eq!(Packet::decode(&spmr).unwrap().body, Body::Spmr);
    let odata = hex("1234 5678 04 00 0000 010203040506 0000  00000001 00000000");
    assert_eq!(Packet::decode(&odata), Err(PacketError::MissingChecksum));
    assert!(Packet::decode_unchecked(&odata).is_ok());
}

#[test]
fn malformed_packets_are_refused_with_their_reason() {
    let spm =
        "1234 5678 00 00 0000 010203040506 0000  00000007 00000010 00000020  0001 0000 c0a80001";
    let full = with_checksum(hex(spm));
    for n in 0..full.len() {
        let cut = with_checksum_if_long(&full[..n]);
        assert!(
            matches!(
                Packet::decode(&cut),
                Err(PacketError::Truncated { .. }) | Err(PacketError::Checksum { .. })
            ),
            "{n} bytes"
        );
        assert!(matches!(
            Packet::decode_unchecked(&full[..n]),
            Err(PacketError::Truncated { .. })
        ));
    }
    let bad_afi = with_checksum(hex(
        "1234 5678 00 00 0000 010203040506 0000  00000007 00000010 00000020  0003 0000 c0a80001",
    ));
    assert_eq!(Packet::decode(&bad_afi), Err(PacketError::UnknownAfi(3)));

    let tsdu = with_checksum(hex(
        "1234 5678 04 00 0000 010203040506 0004  00000001 00000000 616263",
    ));
    assert_eq!(
        Packet::decode(&tsdu),
        Err(PacketError::TsduLength {
            declared: 4,
            present: 3
        })
    );

    let spmr_opts = |opts: &str| {
        with_checksum(hex(&format!(
            "5678 1234 0c 01 0000 010203040506 0000 {opts}"
        )))
    };
    for (opts, why) in [
        ("01 04 0004", "first option is not OPT_LENGTH"),
        ("00 05 0004", "first option is not OPT_LENGTH"),
        ("00 04 0003", "OPT_LENGTH below 4"),
        ("00 04 0010 8e 04 00 00", "options run past the packet"),
        ("00 04 0008 0e 04 00 00", "no OPT_END within OPT_LENGTH"),
        ("00 04 0008 8e 00 00 00", "option length out of bounds"),
        ("00 04 0008 8e 09 00 00", "option length out of bounds"),
        ("00 04 000c 8e 04 00 00 00000000", "bytes after OPT_END"),
        ("00 04 0008 80 04 00 00", "second OPT_LENGTH"),
        ("00 04 0008 82 04 00 00", "OPT_NAK_LIST length"),
        (
            "00 04 000c 81 08 00 00 00000000",
            "OPT_FRAGMENT is not 16 bytes",
        ),
    ] {
        assert_eq!(
            Packet::decode(&spmr_opts(opts)),
            Err(PacketError::Options(why)),
            "{opts}"
        );
    }
    // 62 sequence numbers fill the option's one-byte length (4 + 62 * 4 = 252): the most
    // RFC 3208 allows, accepted; a length that is not whole sequence numbers is not.
    let list: String = (0..62).map(|i| format!("{i:08x}")).collect();
    let wire = spmr_opts(&format!("00 04 0100 82 fc 00 00 {list}"));
    assert_eq!(Packet::decode(&wire).unwrap().options.nak_list.len(), 62);
    assert_eq!(
        Packet::decode(&spmr_opts("00 04 000d 82 09 00 00 00000001 02")),
        Err(PacketError::Options("OPT_NAK_LIST length"))
    );
}

fn with_checksum_if_long(b: &[u8]) -> Vec<u8> {
    if b.len() >= 8 {
        with_checksum(b.to_vec())
    } else {
        b.to_vec()
    }
}

#[test]
fn raw_ip_datagrams() {
    let pgm = hex("5678 1234 0c 00 0000 010203040506 0000");
    let src = Ipv4Addr::new(10, 0, 0, 1);
    let dst = Ipv4Addr::new(239, 192, 1, 7);
    let mut d = ipv4_header(src, dst, 1, pgm.len()).to_vec();
    assert_eq!(
        rfc1071(&d[..20]),
        0xffff,
        "a valid IPv4 header sums to zero"
    );
    d.extend_from_slice(&pgm);
    let (ip, inner) = strip_ipv4_header(&d).unwrap();
    assert_eq!((ip.source, ip.destination), (src, dst));
    assert_eq!(inner, &pgm[..]);

    // Trailing bytes beyond the total length are cut; a BSD-style length without the header
    // is accepted.
    let mut padded = d.clone();
    padded.extend_from_slice(&[0; 6]);
    assert_eq!(strip_ipv4_header(&padded).unwrap().1, &pgm[..]);
    let mut bsd = d.clone();
    bsd[2..4].copy_from_slice(&(pgm.len() as u16).to_be_bytes());
    assert_eq!(strip_ipv4_header(&bsd).unwrap().1, &pgm[..]);

    // A header with options (Router Alert: IHL 6).
    let mut ra = d[..20].to_vec();
    ra[0] = 0x46;
    ra[2..4].copy_from_slice(&((24 + pgm.len()) as u16).to_be_bytes());
    ra.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
    ra.extend_from_slice(&pgm);
    assert_eq!(strip_ipv4_header(&ra).unwrap().1, &pgm[..]);

    let mut udp = d.clone();
    udp[9] = 17;
    assert!(strip_ipv4_header(&udp).is_err());
    let mut frag = d.clone();
    frag[7] = 1;
    assert!(strip_ipv4_header(&frag).is_err());
    let mut v6 = d.clone();
    v6[0] = 0x65;
    assert!(strip_ipv4_header(&v6).is_err());
    let mut long = d.clone();
    long[2..4].copy_from_slice(&2000u16.to_be_bytes());
    assert!(strip_ipv4_header(&long).is_err());
    for n in 0..20 {
        assert!(strip_ipv4_header(&d[..n]).is_err());
    }
}

fn nla() -> impl Strategy<Value = Nla> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| Nla::V4(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| Nla::V6(Ipv6Addr::from(a))),
    ]
}

fn any_packet() -> impl Strategy<Value = Packet> {
    let nak = || {
        (any::<u32>(), nla(), nla()).prop_map(|(sqn, source_nla, group_nla)| Nak {
            sqn,
            source_nla,
            group_nla,
        })
    };
    let data = (
        any::<u32>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(sqn, trail, p)| Data {
            sqn,
            trail,
            payload: Bytes::from(p),
        });
    let body = prop_oneof![
        (any::<u32>(), any::<u32>(), any::<u32>(), nla()).prop_map(|(a, b, c, n)| Body::Spm(Spm {
            spm_sqn: a,
            trail: b,
            lead: c,
            path_nla: n
        })),
        data.clone().prop_map(Body::Odata),
        data.prop_map(Body::Rdata),
        nak().prop_map(Body::Nak),
        nak().prop_map(Body::Nnak),
        nak().prop_map(Body::Ncf),
        Just(Body::Spmr),
    ];
    let options = (
        proptest::option::of((any::<u32>(), any::<u32>(), any::<u32>())),
        proptest::collection::vec(any::<u32>(), 0..=62),
        proptest::option::of(any::<u32>()),
        any::<(bool, bool, bool)>(),
    )
        .prop_map(|(f, nak_list, join, (syn, fin, rst))| Options {
            fragment: f.map(|(a, b, c)| Fragment {
                first_sqn: a,
                offset: b,
                apdu_len: c,
            }),
            nak_list,
            join,
            syn,
            fin,
            rst,
            skipped: 0,
        });
    (
        any::<u16>(),
        any::<u16>(),
        any::<[u8; 6]>(),
        prop_oneof![Just(0u8), Just(OPT_NETWORK), Just(OPT_PARITY)],
        options,
        body,
    )
        .prop_map(|(sport, dport, gsi, flags, options, body)| Packet {
            sport,
            dport,
            gsi,
            flags,
            options,
            body,
        })
}

proptest! {
    #[test]
    fn every_packet_round_trips(p in any_packet()) {
        let wire = p.encode();
        prop_assert_eq!(Packet::decode(&wire).unwrap(), p);
    }

    #[test]
    fn any_bytes_decode_or_fail_without_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Packet::decode(&b);
        if let Ok(p) = Packet::decode_unchecked(&b) {
            // Whatever decodes re-encodes to something that decodes to the same packet.
            let again = Packet::decode(&p.encode()).unwrap();
            prop_assert_eq!(again.body, p.body);
        }
        let _ = strip_ipv4_header(&b);
    }
}
