//! `zap_reply`: ZAP (RFC 27) messages from a handler, as multipart messages of fuzzed frames.
//!
//! Input: frames, each a length byte then that many bytes (the last one cut short by the input's
//! end). The frames go to `zap::decode_reply` (libzmq's checks on a reply), to the socket layer's
//! check of an inproc handler's reply (an empty delimiter, then the same checks), and to
//! `zap::decode_request` (what a handler reads).
//!
//! Properties: no panic; a refused reply is a `ZapMalformed` error; an accepted reply re-encodes
//! to the very frames it came from and its status is one of the four codes; the socket layer
//! accepts exactly what has an empty first frame and a valid reply after it; a request that
//! parses re-encodes to the same frames (the request id aside: a mechanism always sends `1`).

use bytes::Bytes;
use zmtp_codec::{MechanismError, Message};
use zmtp_security::zap::{decode_reply, decode_request, encode_reply, encode_request};
use zmtp_socket::fuzzing::check_inproc_zap_reply;

/// Splits the input into length-prefixed frames.
fn frames(mut data: &[u8]) -> Message {
    let mut msg = Message::new();
    while let [len, rest @ ..] = data {
        let n = usize::from(*len).min(rest.len());
        msg.push_back(Bytes::copy_from_slice(&rest[..n]));
        data = &rest[n..];
    }
    msg
}

/// Runs one fuzz input.
pub fn zap_reply(data: &[u8]) {
    let msg = frames(data);

    let decoded = decode_reply(&msg);
    match &decoded {
        Ok(reply) => {
            assert!(matches!(reply.status_code, 200 | 300 | 400 | 500));
            let again = encode_reply(&msg.frames()[1], reply);
            assert_eq!(again, msg, "a valid reply does not re-encode to itself");
        }
        Err(e) => assert!(
            matches!(e, MechanismError::ZapMalformed { .. }),
            "a bad reply gave {e:?}"
        ),
    }

    // The socket layer's check: the delimiter, then the same verdict on the rest.
    let inproc = check_inproc_zap_reply(msg.clone());
    let mut rest = msg.clone();
    match rest.pop_front() {
        Some(first) if first.is_empty() => {
            assert_eq!(
                inproc,
                decode_reply(&rest),
                "delimited reply judged differently"
            );
        }
        _ => assert!(inproc.is_err(), "a reply without a delimiter accepted"),
    }
    let mut delimited = Message::single(Bytes::new());
    delimited.extend(msg.iter().cloned());
    assert_eq!(
        check_inproc_zap_reply(delimited),
        decoded,
        "the delimiter changed the verdict"
    );

    if let Some((request_id, request)) = decode_request(&msg) {
        let mut again = encode_request(&request);
        let frames = again.frames_mut();
        frames[1] = request_id;
        assert_eq!(again, msg, "a request does not re-encode to itself");
    }
}
