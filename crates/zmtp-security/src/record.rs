//! The record layer CURVE and GSSAPI share, written once: after the handshake every frame,
//! message or command, travels as one MESSAGE command whose data seals the frame behind a flags
//! byte.
//!
//! ```text
//! frame   = ordinary frame header (flags 00, or 02 when long) + 07 "MESSAGE" + data
//! data    = what the cipher makes of [flags:u8][body]
//!           CURVE:  short-nonce:u64 Box[flags body](C'<->S')
//!           GSSAPI: wrapped-len:u32be gss_wrap([flags body])
//! flags   = bit 0 MORE, bit 1 COMMAND (libzmq's extension: PING, PONG, SUBSCRIBE, CANCEL)
//! ```
//! The outer frame is an ordinary frame, as libzmq sends it, although its body is a command:
//! libzmq 4.3 (and master) never sets the COMMAND flag on it and reads either kind, and the
//! connection reads either kind too.
//!
//! [`Records`] does the framing, the flags byte and the MESSAGE name; a [`MessageCipher`]
//! (CURVE's box and counters, GSSAPI's security context) seals and opens the data. The
//! handshake hands the connection a `Records` as its [`Sealer`] and is dropped.

use std::fmt;

use bytes::{Bytes, BytesMut};
use zmtp_codec::frame::{header_len, put_header};
use zmtp_codec::{Frame, MechanismError, RawCommand, Sealer};

/// The MESSAGE command's name with its length byte.
pub(crate) const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
/// The command carrying a sealed frame.
pub(crate) const MESSAGE: &str = "MESSAGE";
/// Inner flag: more frames follow.
pub(crate) const INNER_MORE: u8 = 0x01;
/// Inner flag: the frame is a command.
pub(crate) const INNER_COMMAND: u8 = 0x02;

/// The inner flags byte for a frame.
pub(crate) fn inner_flags(more: bool, command: bool) -> u8 {
    (if more { INNER_MORE } else { 0 }) | if command { INNER_COMMAND } else { 0 }
}

/// What seals and opens the data of a MESSAGE command: the one part CURVE and GSSAPI do
/// differently.
pub(crate) trait MessageCipher: Send + fmt::Debug {
    /// What [`MessageCipher::prepare`] hands to [`MessageCipher::write`]: CURVE's nonce,
    /// GSSAPI's wrapped token.
    type Prepared;

    /// Does what must come before the data's length is known (GSSAPI wraps here); returns it
    /// with the length of the data [`MessageCipher::write`] will append.
    fn prepare(
        &mut self,
        flags: u8,
        body: &[u8],
    ) -> Result<(Self::Prepared, usize), MechanismError>;

    /// Appends the command's data (everything after its name), exactly the length `prepare`
    /// said. On an error `out` may hold part of it; the caller drops the whole frame.
    fn write(
        &mut self,
        prepared: Self::Prepared,
        flags: u8,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError>;

    /// Opens a MESSAGE command's data (the name is checked) into its flags byte and body.
    fn open(&mut self, command: &RawCommand) -> Result<(u8, Bytes), MechanismError>;

    /// The frame an opened flags byte and body stand for: MORE and COMMAND as the flags say,
    /// other bits ignored (CURVE, as libzmq reads it). GSSAPI reads more of them.
    fn frame(flags: u8, body: Bytes) -> Result<Frame, MechanismError> {
        Ok(Frame {
            more: flags & INNER_MORE != 0,
            command: flags & INNER_COMMAND != 0,
            body,
        })
    }
}

/// The record layer of an established CURVE or GSSAPI connection: MESSAGE commands sealed and
/// opened by `C`.
pub(crate) struct Records<C>(pub(crate) C);

impl<C: MessageCipher> Records<C> {
    /// Appends `[flags][body]` sealed, as a MESSAGE command's data, to `out` (what a handshake
    /// command carrying a sealed frame needs: GSSAPI's READY).
    #[cfg(feature = "gssapi")]
    pub(crate) fn seal_data(
        &mut self,
        flags: u8,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        let (prepared, len) = self.0.prepare(flags, body)?;
        out.reserve(len);
        self.0.write(prepared, flags, body, out)
    }
}

impl<C: MessageCipher> fmt::Debug for Records<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Records").field(&self.0).finish()
    }
}

impl<C: MessageCipher> Sealer for Records<C> {
    #[inline]
    fn seal(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        let flags = inner_flags(more, command);
        let (prepared, len) = self.0.prepare(flags, body)?;
        let size = MESSAGE_NAME.len() + len;
        out.reserve(header_len(size) + size);
        // No flag: an ordinary frame, as libzmq sends MESSAGE (the inner flags say the rest).
        put_header(out, 0, size);
        out.extend_from_slice(MESSAGE_NAME);
        self.0.write(prepared, flags, body, out)
    }

    fn open(&mut self, command: RawCommand) -> Result<Frame, MechanismError> {
        if !command.is(MESSAGE) {
            return Err(MechanismError::UnexpectedCommand {
                expected: MESSAGE,
                got: command.name_lossy(),
            });
        }
        let (flags, body) = self.0.open(&command)?;
        C::frame(flags, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in cipher: the data is a 2-byte length, then `[flags][body]` with every byte
    /// XOR-ed with 0x5a.
    #[derive(Debug, Default)]
    struct Xor;

    impl MessageCipher for Xor {
        type Prepared = ();

        fn prepare(&mut self, _: u8, body: &[u8]) -> Result<((), usize), MechanismError> {
            Ok(((), 2 + 1 + body.len()))
        }

        fn write(
            &mut self,
            (): (),
            flags: u8,
            body: &[u8],
            out: &mut BytesMut,
        ) -> Result<(), MechanismError> {
            let len =
                u16::try_from(1 + body.len()).map_err(|_| MechanismError::Gssapi("long".into()))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&[flags ^ 0x5a]);
            out.extend(body.iter().map(|b| b ^ 0x5a));
            Ok(())
        }

        fn open(&mut self, command: &RawCommand) -> Result<(u8, Bytes), MechanismError> {
            let data: Vec<u8> = command.data[2..].iter().map(|b| b ^ 0x5a).collect();
            Ok((data[0], Bytes::from(data).slice(1..)))
        }
    }

    #[test]
    fn frames_a_message_command_around_the_ciphers_data() {
        let mut records = Records(Xor);
        // Debug shows the cipher's own Debug (CURVE's: its counters, never its key).
        assert_eq!(format!("{records:?}"), "Records(Xor)");
        let mut out = BytesMut::new();
        records.seal(true, false, b"hi", &mut out).expect("seals");
        // Ordinary short frame, 07 MESSAGE, then the cipher's data, exactly as long as it said.
        assert_eq!(
            &out[..],
            &[
                &[0x00, 8 + 2 + 3][..],
                b"\x07MESSAGE",
                &[0, 3, INNER_MORE ^ 0x5a, b'h' ^ 0x5a, b'i' ^ 0x5a]
            ]
            .concat()[..]
        );
        let mut long = BytesMut::new();
        records
            .seal(false, true, &[1u8; 300], &mut long)
            .expect("seals");
        assert_eq!(long[0], 0x02, "a long ordinary frame");
        let frame = records
            .open(RawCommand::parse(Bytes::copy_from_slice(&long[9..])).expect("parses"))
            .expect("opens");
        assert_eq!((frame.more, frame.command), (false, true));
        assert_eq!(&frame.body[..], &[1u8; 300][..]);
        assert_eq!(
            records.open(RawCommand {
                name: Bytes::from_static(b"READY"),
                data: Bytes::new()
            }),
            Err(MechanismError::UnexpectedCommand {
                expected: "MESSAGE",
                got: "READY".into()
            })
        );
    }
}
