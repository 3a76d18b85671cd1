//! CURVE keys: libzmq's documented key pairs, the option table's three input forms, Z85
//! printing, and secrets that `Debug` does not show.
#![cfg(feature = "curve")]

use zmtp_security::z85::Z85Error;
use zmtp_security::{CurveKeyPair, CurvePublicKey, CurveSecretKey, KeyError};

mod curve_support;
mod harness;
use curve_support::{CLIENT_PUBLIC, CLIENT_SECRET, SERVER_PUBLIC, SERVER_SECRET};

#[test]
fn public_from_secret_matches_libzmq_documented_pairs() {
    for (public, secret) in [
        (CLIENT_PUBLIC, CLIENT_SECRET),
        (SERVER_PUBLIC, SERVER_SECRET),
    ] {
        let secret = CurveSecretKey::from_z85(secret).expect("valid");
        let public: CurvePublicKey = public.parse().expect("valid");
        assert_eq!(secret.public_key(), public);
        assert_eq!(CurveKeyPair::from_secret(secret).public(), &public);
    }
}

#[test]
fn three_input_forms() {
    let public = CurvePublicKey::from_z85(SERVER_PUBLIC).expect("valid");
    let raw = *public.as_bytes();
    assert_eq!(CurvePublicKey::parse(raw), Ok(public));
    assert_eq!(CurvePublicKey::parse(SERVER_PUBLIC), Ok(public));
    let mut c_string = SERVER_PUBLIC.as_bytes().to_vec();
    c_string.push(0);
    assert_eq!(CurvePublicKey::parse(&c_string), Ok(public));
    assert_eq!(CurvePublicKey::try_from(&raw[..]), Ok(public));

    let secret = CurveSecretKey::parse(&c_string[..0]);
    assert_eq!(secret.err(), Some(KeyError::InvalidLength { len: 0 }));
    let mut c_string = SERVER_SECRET.as_bytes().to_vec();
    c_string.push(0);
    let secret = CurveSecretKey::parse(&c_string).expect("valid");
    assert_eq!(*secret.to_z85(), SERVER_SECRET);
    let again = CurveSecretKey::parse(secret.as_bytes()).expect("valid");
    assert_eq!(again.as_bytes(), secret.as_bytes());
}

#[test]
fn bad_keys_say_why() {
    for len in [0, 31, 33, 39, 42, 80] {
        assert_eq!(
            CurvePublicKey::parse(vec![b'0'; len]),
            Err(KeyError::InvalidLength { len })
        );
    }
    let mut no_nul = SERVER_PUBLIC.as_bytes().to_vec();
    no_nul.push(b'0');
    assert_eq!(CurvePublicKey::parse(&no_nul), Err(KeyError::MissingNul));
    let mut bad = SERVER_PUBLIC.as_bytes().to_vec();
    bad[7] = b'~';
    assert_eq!(
        CurvePublicKey::parse(&bad),
        Err(KeyError::Z85(Z85Error::InvalidChar {
            byte: b'~',
            offset: 7
        }))
    );
    assert_eq!(
        "#####0000000000000000000000000000000000".parse::<CurvePublicKey>(),
        Err(KeyError::InvalidLength { len: 39 })
    );
    assert_eq!(
        CurveSecretKey::from_z85("#####00000000000000000000000000000000000").err(),
        Some(KeyError::Z85(Z85Error::Overflow { offset: 0 }))
    );
    // from_z85 takes text only: 32 characters are not a raw key there.
    assert_eq!(
        CurvePublicKey::from_z85(&"0".repeat(32)),
        Err(KeyError::InvalidLength { len: 32 })
    );
}

#[test]
fn display_is_z85_and_debug_hides_secrets() {
    let keys = CurveKeyPair::from_secret(CurveSecretKey::from_z85(CLIENT_SECRET).expect("valid"));
    assert_eq!(keys.public().to_string(), CLIENT_PUBLIC);
    assert_eq!(keys.public().to_z85(), CLIENT_PUBLIC);
    assert_eq!(keys.secret().to_string(), CLIENT_SECRET);
    for shown in [format!("{:?}", keys.secret()), format!("{keys:?}")] {
        assert!(!shown.contains(CLIENT_SECRET), "{shown}");
        assert!(shown.contains(CLIENT_PUBLIC), "{shown}");
    }
}

/// A mechanism's `Debug` says where its handshake is and which server it talks to, never a
/// secret key.
#[test]
fn mechanisms_debug_their_state_not_their_secrets() {
    let client_keys =
        CurveKeyPair::from_secret(CurveSecretKey::from_z85(CLIENT_SECRET).expect("valid"));
    let server_keys =
        CurveKeyPair::from_secret(CurveSecretKey::from_z85(SERVER_SECRET).expect("valid"));
    let client = zmtp_security::CurveClient::new(client_keys, *server_keys.public());
    let shown = format!("{client:?}");
    assert!(shown.starts_with("CurveClient"), "{shown}");
    assert!(shown.contains("state: \"Start\""), "{shown}");
    assert!(shown.contains(SERVER_PUBLIC), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    let server = zmtp_security::CurveServer::new(server_keys);
    let shown = format!("{server:?}");
    assert!(shown.starts_with("CurveServer"), "{shown}");
    assert!(shown.contains("state: \"ExpectHello\""), "{shown}");
    assert!(shown.contains(SERVER_PUBLIC), "{shown}");
    assert!(!shown.contains(SERVER_SECRET), "{shown}");
}

#[test]
fn generated_pairs_are_fresh_and_consistent() {
    let a = CurveKeyPair::generate();
    let b = CurveKeyPair::generate();
    assert_ne!(a.public(), b.public());
    assert_eq!(a.secret().public_key(), *a.public());
    let text = a.secret().to_z85();
    assert_eq!(text.len(), 40);
    let back = CurveSecretKey::from_z85(&text).expect("valid");
    assert_eq!(back.public_key(), *a.public());
}
