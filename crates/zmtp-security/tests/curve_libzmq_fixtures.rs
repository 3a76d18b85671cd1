//! The raw malformed HELLO and INITIATE commands of libzmq's tests/test_security_curve.cpp, sent
//! to our server byte for byte as that test sends them to libzmq's (HELLO with short nonce 0,
//! INITIATE with nonce 1 and no metadata, as its `curve_client_tools_t` calls go).
#![cfg(feature = "curve")]

use std::time::Instant;

use zmtp_codec::{ConnectionError, MechanismError, Metadata};

mod curve_support;
mod harness;
use curve_support::*;
use harness::{closed_reason, take_transmit};

fn mech(e: MechanismError) -> Option<ConnectionError> {
    Some(ConnectionError::Mechanism(e))
}

#[test]
fn invalid_hello_wrong_length() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    s.feed(now, b"\x04\x06\x05HELLO");
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::WrongSize {
            command: "HELLO",
            expected: 200,
            got: 6
        })
    );
    assert!(take_transmit(&mut s).is_empty());
}

#[test]
fn invalid_hello_command_name() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = RawClient::new(&client_keys(), server_keys().public());
    let mut hello = raw.hello(0);
    hello[5] = b'X';
    s.feed(now, &command_frame(&hello));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "HELLO",
            got: "HELLX".into()
        })
    );
}

#[test]
fn invalid_hello_version() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = RawClient::new(&client_keys(), server_keys().public());
    let mut hello = raw.hello(0);
    hello[6] = 2;
    s.feed(now, &command_frame(&hello));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnsupportedVersion {
            command: "HELLO",
            major: 2,
            minor: 0
        })
    );
}

#[test]
fn valid_hello_gets_welcome() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 0);
    assert!(raw.server_transient.is_some());
    assert!(!s.is_closed());
}

#[test]
fn invalid_initiate_wrong_length() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let _raw = raw_client_after_welcome(now, &mut s, 0);
    s.feed(now, b"\x04\x09\x08INITIATE");
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::WrongSize {
            command: "INITIATE",
            expected: 257,
            got: 9
        })
    );
}

/// The 257-byte INITIATE of libzmq's test: no metadata.
fn libzmq_initiate(raw: &RawClient) -> Vec<u8> {
    let initiate = raw.initiate(1, &raw.vouch(), &Metadata::new());
    assert_eq!(initiate.len(), 257);
    initiate
}

#[test]
fn invalid_initiate_command_name() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 0);
    let mut initiate = libzmq_initiate(&raw);
    initiate[5] = b'X';
    s.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "INITIATE",
            got: "INITXATE".into()
        })
    );
}

#[test]
fn invalid_initiate_command_encrypted_cookie() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 0);
    let mut initiate = libzmq_initiate(&raw);
    initiate[30] = u8::from(initiate[30] == 0);
    s.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "cookie" })
    );
}

#[test]
fn invalid_initiate_command_encrypted_content() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 0);
    let mut initiate = libzmq_initiate(&raw);
    initiate[150] = u8::from(initiate[150] == 0);
    s.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "INITIATE" })
    );
}

#[test]
fn untampered_initiate_without_metadata_lacks_a_socket_type() {
    // Everything opens; what is left to refuse is the missing Socket-Type.
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 0);
    s.feed(now, &command_frame(&libzmq_initiate(&raw)));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::MissingSocketType)
    );
    assert!(take_transmit(&mut s).is_empty(), "no READY");
}
