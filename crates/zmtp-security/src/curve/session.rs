//! The connection after the handshake: every frame, message or command, travels as a MESSAGE
//! command sealed with the transient keys' shared key.
//!
//! ```text
//! MESSAGE = 07 "MESSAGE" short-nonce:u64 Box[flags:u8 payload](C'<->S')
//! flags   = bit 0 MORE, bit 1 COMMAND (libzmq's extension: PING, PONG, SUBSCRIBE, CANCEL)
//! ```
//! The outer frame is an ordinary frame (flags `00`, or `02` when long), as libzmq sends it,
//! although the body is a command: libzmq 4.3 (and master) never sets the COMMAND flag on it and
//! reads either kind, and the connection reads either kind too. (The notes and RFC 25 suggest a
//! command frame; what libzmq puts on the wire wins.)

use bytes::{Buf, BytesMut};
use zmtp_codec::frame::{header_len, put_header};
use zmtp_codec::{Frame, MechanismError, RawCommand};

use super::boxes::{BoxKey, TAG_LEN};
use super::nonce::{self, Counter, PeerNonce};
use super::wire;

/// The MESSAGE command's name with its length byte.
const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
/// Inner flag: more frames follow.
const INNER_MORE: u8 = 0x01;
/// Inner flag: the frame is a command.
const INNER_COMMAND: u8 = 0x02;

/// One side's keys and counters once the handshake is done.
pub(crate) struct Session {
    key: BoxKey,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    next: Counter,
    peer: PeerNonce,
}

impl Session {
    /// The client's session: seals with `CurveZMQMESSAGEC`, opens `CurveZMQMESSAGES`.
    pub(crate) fn client(key: BoxKey, next: Counter, peer: PeerNonce) -> Session {
        Session {
            key,
            send_prefix: nonce::MESSAGE_C,
            recv_prefix: nonce::MESSAGE_S,
            next,
            peer,
        }
    }

    /// The server's session: seals with `CurveZMQMESSAGES`, opens `CurveZMQMESSAGEC`.
    pub(crate) fn server(key: BoxKey, next: Counter, peer: PeerNonce) -> Session {
        Session {
            key,
            send_prefix: nonce::MESSAGE_S,
            recv_prefix: nonce::MESSAGE_C,
            next,
            peer,
        }
    }

    /// The shared key, for the handshake command sealed with it (the server's READY).
    pub(crate) fn key(&self) -> &BoxKey {
        &self.key
    }

    /// Our next short nonce, for the handshake command that uses one (the server's READY).
    pub(crate) fn next_nonce(&mut self, command: &'static str) -> Result<u64, MechanismError> {
        self.next.next(command)
    }

    /// Writes one frame as a whole MESSAGE frame into `out`, sealing it in place.
    pub(crate) fn seal(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        let n = self.next.next("MESSAGE")?;
        let size = MESSAGE_NAME.len() + 8 + TAG_LEN + 1 + body.len();
        out.reserve(header_len(size) + size);
        // No flag: an ordinary frame, as libzmq sends MESSAGE (the inner flags say the rest).
        put_header(out, 0, size);
        out.extend_from_slice(MESSAGE_NAME);
        out.extend_from_slice(&n.to_be_bytes());
        let boxed = out.len();
        out.extend_from_slice(&[0u8; TAG_LEN]);
        let flags = if more { INNER_MORE } else { 0 } | if command { INNER_COMMAND } else { 0 };
        out.extend_from_slice(&[flags]);
        out.extend_from_slice(body);
        self.key
            .seal_in_place(&nonce::short(self.send_prefix, n), &mut out[boxed..])
            .map_err(|e| e.sealing("MESSAGE"))
    }

    /// Opens a MESSAGE command into the frame it carries.
    pub(crate) fn open(&mut self, command: RawCommand) -> Result<Frame, MechanismError> {
        if !command.is("MESSAGE") {
            return Err(wire::unexpected("MESSAGE", &command));
        }
        if wire::command_len(&command) < wire::MESSAGE_MIN {
            return Err(wire::wrong_size("MESSAGE", wire::MESSAGE_MIN, &command));
        }
        let data = &command.data;
        let n = wire::take::<8>(data, 0)
            .map(nonce::read_u64)
            .ok_or_else(|| wire::wrong_size("MESSAGE", wire::MESSAGE_MIN, &command))?;
        self.peer.check("MESSAGE", n)?;
        // The frame's memory is shared with the read buffer, so the plaintext needs its own.
        let mut buf = BytesMut::from(&data[8..]);
        self.key
            .open_in_place(&nonce::short(self.recv_prefix, n), &mut buf)
            .map_err(|_| MechanismError::DecryptFailed { what: "MESSAGE" })?;
        self.peer.accept(n);
        let flags = buf[TAG_LEN];
        buf.advance(TAG_LEN + 1);
        Ok(Frame {
            more: flags & INNER_MORE != 0,
            command: flags & INNER_COMMAND != 0,
            body: buf.freeze(),
        })
    }
}
