//! Small pieces every mechanism's handshake uses.

use bytes::Bytes;
use zmtp_codec::{Command, CommandError, MechanismError, Metadata, RawCommand};

/// The peer's ERROR command as a [`MechanismError::PeerError`] (or why it does not parse).
pub(crate) fn peer_error(command: RawCommand) -> MechanismError {
    match Command::from_raw(command) {
        Ok(Command::Error { reason }) => MechanismError::PeerError {
            reason: String::from_utf8_lossy(&reason).into_owned(),
        },
        Ok(other) => MechanismError::UnexpectedCommand {
            expected: "ERROR",
            got: String::from_utf8_lossy(other.name()).into_owned(),
        },
        Err(e) => e.into(),
    }
}

/// Parses the metadata a handshake command carries (READY, INITIATE).
pub(crate) fn parse_metadata(
    command: &'static str,
    data: Bytes,
) -> Result<Metadata, MechanismError> {
    Metadata::parse(data)
        .map_err(|source| MechanismError::Command(CommandError::Metadata { command, source }))
}
