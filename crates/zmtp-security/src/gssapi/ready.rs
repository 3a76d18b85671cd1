//! The READY exchange that ends a GSSAPI handshake (both sides send one), wrapped unless
//! `ZMQ_GSSAPI_PLAINTEXT`, and the ERROR a peer may send instead.

use bytes::BytesMut;
use zmtp_codec::{Command, CommandError, HandshakeContext, MechanismError, Metadata, RawCommand};

use super::wire::{self, Wrapping};

/// Queues our READY: wrapped by `wrapping` (the context and a scratch buffer), or in the clear
/// when it is `None` (plaintext).
pub(crate) fn send_ready<W: Wrapping>(
    cx: &mut HandshakeContext<'_>,
    wrapping: Option<(&mut W, &mut Vec<u8>)>,
) -> Result<(), MechanismError> {
    let ready = Command::Ready(cx.local_metadata().clone());
    match wrapping {
        None => cx.send_command(&ready),
        Some((context, scratch)) => {
            let mut body = BytesMut::with_capacity(ready.body_len());
            ready.encode_body(&mut body);
            wire::send_wrapped(cx, context, scratch, &body)?;
        }
    }
    Ok(())
}

/// Reads the peer's READY (unwrapping it first unless plaintext) and returns its metadata.
pub(crate) fn recv_ready<W: Wrapping>(
    command: RawCommand,
    wrapping: Option<&mut W>,
) -> Result<Metadata, MechanismError> {
    let command = match wrapping {
        None => command,
        Some(context) => RawCommand::parse(wire::open(context, command)?.body)?,
    };
    if !command.is("READY") {
        return Err(MechanismError::UnexpectedCommand {
            expected: "READY",
            got: command.name_lossy(),
        });
    }
    Metadata::parse(command.data).map_err(|source| {
        MechanismError::Command(CommandError::Metadata {
            command: "READY",
            source,
        })
    })
}
