//! The READY exchange that ends a GSSAPI handshake (both sides send one), wrapped unless
//! `ZMQ_GSSAPI_PLAINTEXT`, and the ERROR a peer may send instead.

use std::fmt::Debug;

use bytes::BytesMut;
use zmtp_codec::{
    Command, CommandError, HandshakeContext, MechanismError, Metadata, RawCommand, Sealer,
};

use super::wire::{self, GssCipher, Wrapping};
use crate::record::Records;

/// Queues our READY: sealed by `records` (the record layer the handshake is about to hand
/// over), or in the clear when it is `None` (plaintext).
pub(crate) fn send_ready<W: Wrapping + Send + Debug>(
    cx: &mut HandshakeContext<'_>,
    records: Option<&mut Records<GssCipher<W>>>,
) -> Result<(), MechanismError> {
    let ready = Command::Ready(cx.local_metadata().clone());
    match records {
        None => cx.send_command(&ready),
        Some(records) => {
            let mut body = BytesMut::with_capacity(ready.body_len());
            ready.encode_body(&mut body);
            wire::send_wrapped(cx, records, &body)?;
        }
    }
    Ok(())
}

/// Reads the peer's READY (opening it with `records` first unless plaintext) and returns its
/// metadata.
pub(crate) fn recv_ready<W: Wrapping + Send + Debug>(
    command: RawCommand,
    records: Option<&mut Records<GssCipher<W>>>,
) -> Result<Metadata, MechanismError> {
    let command = match records {
        None => command,
        Some(records) => RawCommand::parse(records.open(command)?.body)?,
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
