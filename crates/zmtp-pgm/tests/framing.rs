//! libzmq's framing of messages in APDUs: the offset rules byte by byte, round trips, late
//! joins and loss.
#![allow(clippy::unwrap_used)] // in a test, a failed unwrap is the test failing

use bytes::Bytes;
use proptest::prelude::*;
use zmtp_pgm::{ApduDecoder, ApduEncoder, FramingError};

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

fn apdus(size: usize, msgs: &[Vec<Bytes>]) -> Vec<Bytes> {
    let mut e = ApduEncoder::new(size);
    for m in msgs {
        e.push_message(m);
    }
    std::iter::from_fn(|| e.next_apdu()).collect()
}

#[test]
fn the_offset_skips_the_tail_of_a_frame_from_the_previous_apdu() {
    // Frames: 07 01 "abcdef" (MORE), 03 00 "gh", 03 00 "ij"; 10 data bytes an APDU.
    let out = apdus(12, &[vec![b(b"abcdef"), b(b"gh")], vec![b(b"ij")]]);
    assert_eq!(
        out,
        vec![
            b(b"\x00\x00\x07\x01abcdef\x03\x00"),
            b(b"\x00\x02gh\x03\x00ij"),
        ]
    );
}

#[test]
fn continuation_frames_are_not_message_starts_and_the_offset_may_point_at_the_end() {
    // Frames 02 01 "a", 02 01 "b", 02 00 "c"; 4 data bytes an APDU. The second APDU starts
    // with the rest of "a"'s message ("b" with MORE, then "c"): no message starts in it. The
    // third holds the last byte of "c" and then nothing: libzmq sets the offset to the end.
    let out = apdus(6, &[vec![b(b"a"), b(b"b"), b(b"c")]]);
    assert_eq!(
        out,
        vec![
            b(b"\x00\x00\x02\x01a\x02"),
            b(b"\xff\xff\x01b\x02\x00"),
            b(b"\x00\x01c"),
        ]
    );
    // A receiver joining at the second or third APDU gets nothing of that message, and joins
    // at the next one.
    for start in 1..3 {
        let mut d = ApduDecoder::new(None);
        let mut msgs = Vec::new();
        for a in &out[start..] {
            d.feed(a, &mut msgs).unwrap();
        }
        assert!(msgs.is_empty());
        d.feed(b"\x00\x00\x02\x00z", &mut msgs).unwrap();
        assert_eq!(msgs, vec![vec![b(b"z")]], "joined at {start}");
    }
}

#[test]
fn long_frames_use_the_eight_byte_length() {
    let body = vec![7u8; 300];
    let out = apdus(1000, &[vec![Bytes::from(body.clone())]]);
    let mut want = b"\x00\x00\xff\x00\x00\x00\x00\x00\x00\x01\x2d\x00".to_vec();
    want.extend_from_slice(&body);
    assert_eq!(out, vec![Bytes::from(want)]);
}

#[test]
fn malformed_apdus_unjoin_the_decoder() {
    let mut d = ApduDecoder::new(Some(10));
    let mut out = Vec::new();
    assert_eq!(d.feed(b"\x00", &mut out), Err(FramingError::NoOffset));
    assert_eq!(
        d.feed(b"\x00\x05ab", &mut out),
        Err(FramingError::OffsetOutOfRange { offset: 5, len: 2 })
    );
    assert_eq!(
        d.feed(b"\x00\x00\x02\x00a\x00", &mut out),
        Err(FramingError::ZeroLength)
    );
    assert!(!d.is_joined());
    // The message before the error was delivered.
    assert_eq!(out, vec![vec![b(b"a")]]);
    // Above the size limit, in the short and the long form.
    assert_eq!(
        d.feed(b"\x00\x00\x0c\x00", &mut out),
        Err(FramingError::TooLarge(11))
    );
    assert_eq!(
        d.feed(b"\x00\x00\xff\x80\x00\x00\x00\x00\x00\x00\x00", &mut out),
        Err(FramingError::TooLarge(0x7fff_ffff_ffff_ffff))
    );
    // Rejoins at the next offset.
    d.feed(b"\xff\xffjunk", &mut out).unwrap();
    d.feed(b"\x00\x01x\x02\x00q", &mut out).unwrap();
    assert_eq!(out.last(), Some(&vec![b(b"q")]));
    // A reset drops a message in progress.
    d.feed(b"\x00\x00\x02\x01p", &mut out).unwrap();
    d.reset();
    d.feed(b"\x00\x00\x02\x00r", &mut out).unwrap();
    assert_eq!(out.last(), Some(&vec![b(b"r")]));
    assert!(!out.contains(&vec![b(b"p"), b(b"r")]));
}

fn messages() -> impl Strategy<Value = Vec<Vec<Bytes>>> {
    proptest::collection::vec(
        proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..20),
                proptest::collection::vec(any::<u8>(), 250..600),
            ]
            .prop_map(Bytes::from),
            1..4,
        ),
        0..16,
    )
}

proptest! {
    #[test]
    fn apdus_round_trip(msgs in messages(), size in 3usize..1500) {
        let out = apdus(size, &msgs);
        let mut d = ApduDecoder::new(None);
        let mut back = Vec::new();
        for a in &out {
            prop_assert!(a.len() <= size);
            d.feed(a, &mut back).unwrap();
        }
        prop_assert_eq!(back, msgs);
    }

    #[test]
    fn a_late_joiner_gets_the_last_messages_whole(msgs in messages(), size in 3usize..300, start in 0usize..64) {
        let out = apdus(size, &msgs);
        let start = start % (out.len() + 1);
        let mut d = ApduDecoder::new(None);
        let mut back = Vec::new();
        for a in &out[start..] {
            d.feed(a, &mut back).unwrap();
        }
        prop_assert!(msgs.ends_with(&back));
    }

    #[test]
    fn after_a_lost_apdu_only_whole_messages_come(msgs in messages(), size in 3usize..300, lost in 0usize..64) {
        let out = apdus(size, &msgs);
        prop_assume!(!out.is_empty());
        let lost = lost % out.len();
        let mut d = ApduDecoder::new(None);
        let mut back = Vec::new();
        for (i, a) in out.iter().enumerate() {
            if i == lost {
                d.reset();
                continue;
            }
            d.feed(a, &mut back).unwrap();
        }
        // What comes is the messages in order with some left out: a subsequence.
        let mut it = msgs.iter();
        for m in &back {
            prop_assert!(it.any(|x| x == m), "{:?} out of order or invented", m);
        }
    }
}
