//! Replays every saved input in `fuzz/regressions/<target>/` through its target's body, so a fixed
//! crash stays fixed: `cargo test` in `fuzz/` (stable is enough, no libFuzzer run).

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths.iter().filter(|p| p.is_file()) {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = fs::read(path).expect("readable regression input");
        eprintln!("replaying {}", path.display());
        run(&data);
    }
}

#[test]
fn connection_server() {
    replay("connection_server", |d| {
        zmtp_fuzz::connection(d, zmtp_fuzz::Side::Accepting)
    });
}

#[test]
fn connection_client() {
    replay("connection_client", |d| {
        zmtp_fuzz::connection(d, zmtp_fuzz::Side::Connecting)
    });
}

#[test]
fn frame_decoder() {
    replay("frame_decoder", zmtp_fuzz::frame_decoder);
}

#[test]
fn legacy_decoder() {
    replay("legacy_decoder", zmtp_fuzz::legacy_decoder);
    for mode in 0..=255u8 {
        let mut input = vec![mode, 7];
        // RFC 13 frames: short with MORE, empty, long form, a 0xFF-escaped 300-byte body.
        input.extend_from_slice(b"\x04\x01abc\x01\x00\xff\x00\x00\x00\x00\x00\x00\x00\x03\x00xy");
        input.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0x01, 0x2D, 0x00]);
        input.extend_from_slice(&[0x42; 300]);
        zmtp_fuzz::legacy_decoder(&input);
        // A zero length, a length above 2^63, a truncated long header.
        zmtp_fuzz::legacy_decoder(&[mode, 3, 0x02, 0x00, b'z', 0x00]);
        zmtp_fuzz::legacy_decoder(&[mode, 3, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x00]);
        zmtp_fuzz::legacy_decoder(&[mode, 3, 0xFF, 0, 0, 0]);
    }
}

/// The connection targets with legacy peers: ZMTP 2.0, versioned and unversioned 1.0 (short and
/// long identity headers), each followed by messages, junk and a command bit.
#[test]
fn legacy_connection_smoke() {
    let v2: &[u8] = b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x01\x05\x00\x02id\x01\x01a\x00\x02bc\x02\x00\x00\x00\x00\x00\x00\x00\x01z\x04\x05\x04PING";
    let v1_versioned: &[u8] =
        b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x00\x06\x01\x00\x02\x01a\x03\x00bc\x00";
    let v1: &[u8] =
        b"\x03\x00id\x02\x01a\x01\x00\x06\x00hello\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    let v1_long: &[u8] = b"\xff\x00\x00\x00\x00\x00\x00\x00\x03\x00id\x02\x00q\x01";
    for side in [zmtp_fuzz::Side::Accepting, zmtp_fuzz::Side::Connecting] {
        // Odd modes: no valid 3.x prefix, so the peer bytes are the legacy greeting.
        for mode in (1..=255u8).step_by(2) {
            for pattern in [[0x00; 4], [0xC3, 0x81, 0x45, 0xE0], [0xBF; 4], [0x80; 4]] {
                for peer in [v2, v1_versioned, v1, v1_long] {
                    let mut input = vec![mode];
                    input.extend_from_slice(&pattern);
                    input.extend_from_slice(peer);
                    zmtp_fuzz::connection(&input, side);
                }
            }
        }
    }
}

#[test]
fn command_parse() {
    replay("command_parse", zmtp_fuzz::command_parse);
}

/// Hand-made inputs through every target, so the harness itself is known to run clean: valid
/// prefixes with and without READY, an incompatible peer, heartbeats, sends.
#[test]
fn smoke() {
    for side in [zmtp_fuzz::Side::Accepting, zmtp_fuzz::Side::Connecting] {
        for mode in 0..=255u8 {
            for pattern in [
                [0x00, 0x00, 0x00, 0x00],
                [0xC3, 0x81, 0x45, 0xE0],
                [0xFF; 4],
            ] {
                let mut input = vec![mode];
                input.extend_from_slice(&pattern);
                // A message, a PING with a TTL, a SUBSCRIBE, a multipart message, junk.
                input.extend_from_slice(b"\x00\x05hello\x04\x08\x04PING\x00\x0aHI");
                input.extend_from_slice(b"\x04\x0a\x09SUBSCRIBEa\x01\x01a\x00\x00");
                input.extend_from_slice(b"\x02\x00\x00\x00\x00\x00\x00\x00\x03xyz\xff\xff");
                zmtp_fuzz::connection(&input, side);
            }
        }
    }
    for mode in 0..=255u8 {
        let mut input = vec![mode, 7];
        input.extend_from_slice(b"\x01\x03abc\x00\x00\x06\x00\x00\x00\x00\x00\x00\x01\x00");
        input.extend_from_slice(&[0x42; 300]);
        zmtp_fuzz::frame_decoder(&input);
    }
    for body in [
        &b"\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER"[..],
        b"\x04PING\x00\x01abcdefghijklmnopqrstuvwxyz",
        b"\x04PONGabcdefghijklmnopqrstuvwxyz",
        b"\x05ERROR\x03abcdef",
        b"\x09SUBSCRIBEtopic",
        b"\x06CANCEL",
        b"\x05HELLO\x05admin",
        b"\x0bSocket-Type\x00\x00\x00\x03PUB",
        b"",
        b"\x00",
    ] {
        zmtp_fuzz::command_parse(body);
    }
}

#[test]
fn mechanism_plain_server() {
    replay("mechanism_plain_server", zmtp_fuzz::plain_server);
}

#[test]
fn mechanism_curve_server() {
    replay("mechanism_curve_server", zmtp_fuzz::curve_server);
}

#[test]
fn z85_decode() {
    replay("z85_decode", zmtp_fuzz::z85_decode);
}

/// The mechanism targets on hand-made inputs: a clean CURVE transcript (with and without ZAP,
/// every verdict, a wrong server key), single corruptions at many offsets, and PLAIN commands.
#[test]
fn mechanism_smoke() {
    for flags in 0..4u8 {
        for verdict in 0..5u8 {
            zmtp_fuzz::curve_server(&[flags, verdict, 0]);
            zmtp_fuzz::curve_server(&[flags, verdict, 0, 0x00, 0x05, b'x']);
        }
    }
    for round in 0..4u8 {
        for offset in (0u16..400).step_by(13) {
            for op in [0x01u8, 0x40, 0x80, 0xC0] {
                let [hi, lo] = offset.to_be_bytes();
                zmtp_fuzz::curve_server(&[1, 0, 1, round, hi, lo, op]);
            }
        }
    }
    for verdict in 0..5u8 {
        zmtp_fuzz::plain_server(&[
            verdict, 0, 0x04, 0x0b, 0x05, b'H', b'E', b'L', b'L', b'O', 1, b'u', 2, b'p', b'w',
        ]);
        zmtp_fuzz::plain_server(&[
            verdict, 3, 0x04, 0x09, 0x08, b'I', b'N', b'I', b'T', b'I', b'A', b'T', b'E',
        ]);
    }
    zmtp_fuzz::z85_decode(b"HelloWorld");
    zmtp_fuzz::z85_decode(b"%%%%%");
}

#[test]
fn endpoint_parse() {
    replay("endpoint_parse", zmtp_fuzz::endpoint_parse);
    for text in [
        "tcp://127.0.0.1:5555",
        "tcp://[::1]:*",
        "tcp://*:0",
        "tcp://host.example:80",
        "ipc:///tmp/x",
        "ipc://@abstract",
        "ipc://*",
        "inproc://name",
        "tcp://[::1",
        "tcp://:",
        "pgm://x",
        "",
        "\u{feff}tcp://a:1",
    ] {
        zmtp_fuzz::endpoint_parse(text.as_bytes());
    }
}

#[test]
fn option_set() {
    replay("option_set", zmtp_fuzz::option_set);
    for pick in 0..=255u8 {
        for kind in 0..6u8 {
            zmtp_fuzz::option_set(&[pick, kind, 0xff, 0xff, 0xff, 0xff]);
            zmtp_fuzz::option_set(&[pick, kind, 1, 0, 0, 0]);
            zmtp_fuzz::option_set(&[pick, kind, b'1', b'0', b'.', b'0', b'/', b'8']);
        }
    }
}

#[test]
fn greeting_decoder() {
    replay("greeting_decoder", zmtp_fuzz::greeting_decoder);
    let mut v31 = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    v31.extend_from_slice(b"NULL");
    v31.resize(64, 0);
    for seed in 0..=255u8 {
        for input in [
            &v31[..],
            &v31[..11],
            b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x01\x05",
            b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x00",
            b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7e",
            b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x00",
            b"\x05\x00abcd",
            b"\x05\x01",
            b"\x00",
            b"",
        ] {
            let mut data = vec![seed];
            data.extend_from_slice(input);
            zmtp_fuzz::greeting_decoder(&data);
        }
    }
}

#[test]
fn connection_pair() {
    replay("connection_pair", zmtp_fuzz::connection_pair);
    for mech in 0..3u8 {
        for flags in 0..16u8 {
            for verdict in 0..5u8 {
                // Untouched, then one corruption per direction and round.
                zmtp_fuzz::connection_pair(&[mech, flags, verdict, 0]);
                zmtp_fuzz::connection_pair(&[mech, flags, verdict, 0, b'\x04', b'x']);
                for target in [0x00u8, 0x03, 0x05, 0x10, 0x13, 0x16] {
                    for op in [0x01u8, 0x50, 0x90, 0xD0] {
                        zmtp_fuzz::connection_pair(&[mech, flags, verdict, 1, target, 0, 7, op]);
                    }
                }
            }
        }
    }
}

#[test]
fn mechanism_curve_client() {
    replay("mechanism_curve_client", zmtp_fuzz::curve_client);
    for flags in 0..8u8 {
        zmtp_fuzz::curve_client(&[flags, 0, 0]);
        zmtp_fuzz::curve_client(&[flags, 0, 0, 0x04, 0x0a, 0x05]);
    }
    for round in 0..8u8 {
        for offset in (0u16..300).step_by(11) {
            for op in [0x01u8, 0x40, 0x80, 0xC0] {
                let [hi, lo] = offset.to_be_bytes();
                zmtp_fuzz::curve_client(&[1, 0, 1, round, hi, lo, op]);
            }
        }
    }
}

#[test]
fn mechanism_plain_client() {
    replay("mechanism_plain_client", zmtp_fuzz::plain_client);
    for mode in 0..4u8 {
        for seed in [0u8, 7, 200] {
            let mut input = vec![mode, seed];
            input.extend_from_slice(b"\x04\x08\x07WELCOME");
            input.extend_from_slice(b"\x04\x06\x05ERROR\x00");
            input.extend_from_slice(b"\x04\x0a\x05READYxyzw");
            input.extend_from_slice(b"\x00\x05hello\x04\x08\x04PING\x00\x0aHI\xff");
            zmtp_fuzz::plain_client(&input);
        }
    }
}

#[test]
fn zap_reply() {
    replay("zap_reply", zmtp_fuzz::zap_reply);
    let frames = |parts: &[&[u8]]| {
        let mut out = Vec::new();
        for p in parts {
            out.push(p.len() as u8);
            out.extend_from_slice(p);
        }
        out
    };
    for parts in [
        &[&b"1.0"[..], b"1", b"200", b"OK", b"alice", b""][..],
        &[b"", b"1.0", b"1", b"200", b"OK", b"", b""],
        &[
            b"1.0",
            b"1",
            b"300",
            b"later",
            b"",
            b"\x05Hello\x00\x00\x00\x05World",
        ],
        &[b"1.0", b"1", b"201", b"OK", b"", b""],
        &[b"1.0", b"1", b"200", b"OK", b"", b"\x05Hel"],
        &[
            b"1.0",
            b"1",
            b"global",
            b"127.0.0.1",
            b"",
            b"PLAIN",
            b"admin",
            b"pw",
        ],
        &[b"1.0", b"7", b"", b"", b"", b"CURVE", &[0u8; 32]],
        &[b"1.0", b"1", b"", b"", b"", b"bad name"],
        &[],
    ] {
        zmtp_fuzz::zap_reply(&frames(parts));
    }
}

#[test]
fn subscription_trie() {
    replay("subscription_trie", zmtp_fuzz::subscription_trie);
    // Subscribe overlapping prefixes from several pipes, match, cancel, drop pipes, in both modes.
    let mut ops = Vec::new();
    for i in 0..64u8 {
        ops.extend_from_slice(&[i % 8, i / 3, i % 5]);
        ops.extend(std::iter::repeat_n(i, usize::from(i % 5)));
    }
    for mode in 0..2u8 {
        let mut input = vec![mode];
        input.extend_from_slice(&ops);
        zmtp_fuzz::subscription_trie(&input);
        zmtp_fuzz::subscription_trie(&[
            mode, 0, 1, 0x83, 1, 2, 3, 0, 1, 0x83, 1, 2, 3, 2, 1, 0x83, 1, 2, 3,
        ]);
    }
}

#[test]
fn z85_round_trip() {
    replay("z85_round_trip", zmtp_fuzz::z85_round_trip);
    for len in 0..12 {
        zmtp_fuzz::z85_round_trip(&vec![0xFF; len]);
        zmtp_fuzz::z85_round_trip(&vec![0x00; len]);
    }
}

#[test]
fn pgm_packet() {
    replay("pgm_packet", zmtp_fuzz::pgm_packet);
}

#[test]
fn pgm_receiver() {
    replay("pgm_receiver", zmtp_fuzz::pgm_receiver);
}
