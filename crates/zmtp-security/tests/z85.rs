//! Z85 (RFC 32): the RFC's vector, every case of libzmq's test_base85, and a round-trip property.

use proptest::prelude::*;
use zmtp_security::z85::{decode, encode, Z85Error, ALPHABET};

const HELLO_WORLD: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

#[test]
fn rfc_32_vector() {
    assert_eq!(encode(&HELLO_WORLD).as_deref(), Ok("HelloWorld"));
    assert_eq!(decode("HelloWorld"), Ok(HELLO_WORLD.to_vec()));
    assert_eq!(decode(b"HelloWorld"), Ok(HELLO_WORLD.to_vec()));
}

#[test]
fn empty_is_empty() {
    assert_eq!(encode(&[]).as_deref(), Ok(""));
    assert_eq!(decode(""), Ok(vec![]));
}

#[test]
fn encode_refuses_partial_groups() {
    // test_base85: zmq_z85_encode with sizes 1 and 42 fails with EINVAL.
    for len in [1, 2, 3, 5, 42] {
        assert_eq!(encode(&vec![0; len]), Err(Z85Error::EncodeLength { len }));
    }
}

#[test]
fn decode_refuses_partial_groups() {
    // test_base85: "indivisble_by_5_multiple_chars" and "indivisble_by_5_one_char".
    assert_eq!(decode("01234567"), Err(Z85Error::DecodeLength { len: 8 }));
    assert_eq!(decode("0"), Err(Z85Error::DecodeLength { len: 1 }));
}

#[test]
fn decode_refuses_values_above_u32() {
    // test_base85 "max": the largest representable group.
    assert_eq!(decode("#####"), Err(Z85Error::Overflow { offset: 0 }));
    // test_base85 "above_limit": "%nSc0" is 0xffffffff, "%nSc1" one more.
    assert_eq!(decode("%nSc0"), Ok(vec![0xFF; 4]));
    assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { offset: 0 }));
    assert_eq!(decode("%%%%%"), Err(Z85Error::Overflow { offset: 0 }));
    assert_eq!(
        decode("HelloWorld%nSc1"),
        Err(Z85Error::Overflow { offset: 10 })
    );
    // The z85 crate reads a final group starting with '#' as padding; RFC 32 has none.
    assert_eq!(decode("Hello#0000"), Err(Z85Error::Overflow { offset: 5 }));
    assert_eq!(decode("Hello##"), Err(Z85Error::DecodeLength { len: 7 }));
}

#[test]
fn libzmq_char_cases_as_written() {
    // test_base85's three character cases are C strings whose octal escapes take three digits,
    // so each is 6 bytes long and libzmq refuses them for their length.
    assert_eq!(decode(b"####\x047"), Err(Z85Error::DecodeLength { len: 6 }));
    assert_eq!(decode(b"####\x100"), Err(Z85Error::DecodeLength { len: 6 }));
    assert_eq!(decode(b"####\x037"), Err(Z85Error::DecodeLength { len: 6 }));
}

#[test]
fn decode_refuses_characters_outside_the_alphabet() {
    // What those cases mean to test: a byte below the range (' ' is 0x20, '!' 0x21 is the
    // lowest character), above it ('}' 0x7D is the highest), and holes within it.
    for (text, byte, offset) in [
        (&b"0000 "[..], b' ', 4),
        (b"\x000000", 0x00, 0),
        (b"00~00", b'~', 2),
        (b"0000\x7f", 0x7F, 4),
        (b"0000\x80", 0x80, 4),
        (b"\xff0000", 0xFF, 0),
        (b"\"0000", b'"', 0),
        (b"0'000", b'\'', 1),
        (b"00,00", b',', 2),
        (b"000;0", b';', 3),
        (b"0000\\", b'\\', 4),
        (b"_0000", b'_', 0),
        (b"0`000", b'`', 1),
        (b"00|00", b'|', 2),
        (b"HelloWor|d", b'|', 8),
    ] {
        assert_eq!(
            decode(text),
            Err(Z85Error::InvalidChar { byte, offset }),
            "{text:?}"
        );
    }
    // A bad character after a leading '#' in the last group is named too.
    assert_eq!(
        decode("Hello#00|0"),
        Err(Z85Error::InvalidChar {
            byte: b'|',
            offset: 8
        })
    );
    // Non-ASCII text: 'é' is two bytes, the first is named.
    assert_eq!(
        decode("000é"),
        Err(Z85Error::InvalidChar {
            byte: 0xC3,
            offset: 3
        })
    );
}

#[test]
fn every_alphabet_character_decodes_to_its_digit() {
    for (digit, &c) in ALPHABET.iter().enumerate() {
        let text = [b'0', b'0', b'0', b'0', c];
        let value = u32::from_be_bytes(decode(text).expect("valid").try_into().expect("4 bytes"));
        assert_eq!(value, digit as u32);
    }
}

#[test]
fn libzmq_round_trips() {
    // test_base85: min and max groups, and a decode-encode round trip of a real key.
    for data in [[0u8; 4], [0xFF; 4]] {
        let text = encode(&data).expect("4 bytes");
        assert_eq!(decode(&text), Ok(data.to_vec()));
    }
    let key = "r^/rM9M=rMToK)63O8dCvd9D<PY<7iGlC+{BiSnG";
    let bytes = decode(key).expect("valid");
    assert_eq!(bytes.len(), 32);
    assert_eq!(encode(&bytes).as_deref(), Ok(key));
}

proptest! {
    #[test]
    fn round_trip(groups in proptest::collection::vec(any::<[u8; 4]>(), 0..64)) {
        let data: Vec<u8> = groups.concat();
        let text = encode(&data).expect("whole groups");
        prop_assert_eq!(text.len(), data.len() / 4 * 5);
        prop_assert!(text.bytes().all(|c| ALPHABET.contains(&c)));
        prop_assert_eq!(decode(&text), Ok(data));
    }

    #[test]
    fn decode_never_panics(text in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(data) = decode(&text) {
            let again = encode(&data).expect("whole groups");
            prop_assert_eq!(again.as_bytes(), &text[..]);
        }
    }
}
