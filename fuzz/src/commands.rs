//! `command_parse`: command and metadata bodies from arbitrary bytes, and their round trips.

use bytes::{Bytes, BytesMut};
use zmtp_codec::command::MAX_PING_CONTEXT;
use zmtp_codec::{Command, Metadata, RawCommand};

/// Parses `data` as a command body and as a metadata list. Whatever parses must re-encode to
/// something that parses back to the same value; metadata must re-encode to the very bytes read.
pub fn command_parse(data: &[u8]) {
    let body = Bytes::copy_from_slice(data);

    let raw = RawCommand::parse(body.clone());
    if let Ok(raw) = &raw {
        if data.len() < 95 && data.starts_with(b"\x5eRROR") {
            // libzmq 4.3's malformed PLAIN ERROR (`5E "RROR"`), read as ERROR on purpose.
            assert_eq!(&raw.name[..], b"ERROR");
            assert_eq!(&raw.data[..], &data[5..]);
        } else {
            assert_eq!(1 + raw.name.len() + raw.data.len(), data.len());
            assert_eq!(usize::from(data[0]), raw.name.len());
            assert_eq!(&raw.name[..], &data[1..1 + raw.name.len()]);
        }
    }

    match Command::parse(body.clone()) {
        Ok(cmd) => {
            assert!(raw.is_ok(), "Command parsed what RawCommand refused");
            check_command_round_trip(cmd);
        }
        Err(_) => {
            // Only the typed layer may refuse what splits fine (a malformed READY, PING, ERROR).
        }
    }

    check_metadata(body.clone(), data);

    // The same bytes as the metadata of a READY command, so metadata is also reached through
    // the command layer.
    let mut ready = BytesMut::with_capacity(6 + data.len());
    ready.extend_from_slice(b"\x05READY");
    ready.extend_from_slice(data);
    match Command::parse(ready.freeze()) {
        Ok(Command::Ready(md)) => {
            assert_eq!(Metadata::parse(body), Ok(md.clone()));
            check_command_round_trip(Command::Ready(md));
        }
        Ok(other) => panic!("a READY body parsed as {other:?}"),
        Err(_) => assert!(Metadata::parse(body).is_err()),
    }
}

fn check_command_round_trip(cmd: Command) {
    let mut encoded = BytesMut::new();
    cmd.encode_body(&mut encoded);
    assert_eq!(
        encoded.len(),
        cmd.body_len(),
        "body_len disagrees with encode_body"
    );
    let again = Command::parse(encoded.freeze()).expect("a re-encoded command parses");
    assert_eq!(again, written_form(cmd));
}

/// What a command becomes once written: PING and PONG contexts are cut to 16 bytes on write
/// (as libzmq echoes at most 16), the only documented lossy step.
fn written_form(cmd: Command) -> Command {
    let cut = |c: Bytes| c.slice(..c.len().min(MAX_PING_CONTEXT));
    match cmd {
        Command::Ping { ttl, context } => Command::Ping {
            ttl,
            context: cut(context),
        },
        Command::Pong { context } => Command::Pong {
            context: cut(context),
        },
        other => other,
    }
}

fn check_metadata(body: Bytes, data: &[u8]) {
    let Ok(md) = Metadata::parse(body) else {
        return;
    };
    assert_eq!(md.encoded_len(), data.len());
    let mut encoded = BytesMut::new();
    md.encode(&mut encoded);
    assert_eq!(&encoded[..], data, "metadata re-encodes to other bytes");
    assert_eq!(Metadata::parse(encoded.freeze()), Ok(md.clone()));
    assert_eq!(md.len(), md.iter().count());
    for (name, _) in md.iter() {
        assert!(!name.is_empty() && name.len() <= 255);
    }
    let _ = md.socket_type();
    let _ = md.identity();
}
