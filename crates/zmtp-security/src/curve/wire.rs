//! The sizes CurveZMQ's commands must have (whole command bodies, name included, as libzmq
//! counts them) and small helpers shared by the client and the server.

use zmtp_codec::{MechanismError, RawCommand};

/// HELLO: name, version, 72 bytes of padding, C', short nonce, Box[64 zeros] (exact).
pub(crate) const HELLO_LEN: usize = 200;
/// WELCOME: name, long nonce, Box[S' + cookie] (exact).
pub(crate) const WELCOME_LEN: usize = 168;
/// INITIATE: name, cookie, short nonce, Box[C + vouch + metadata] (at least).
pub(crate) const INITIATE_MIN: usize = 257;
/// READY: name, short nonce, Box[metadata] (at least).
pub(crate) const READY_MIN: usize = 30;
/// MESSAGE: name, short nonce, Box[flags + payload] (at least).
pub(crate) const MESSAGE_MIN: usize = 33;
/// The cookie: 16-byte nonce and secretbox[C' + s'].
pub(crate) const COOKIE_LEN: usize = 96;
/// The vouch: 16-byte nonce and Box[C' + S].
pub(crate) const VOUCH_LEN: usize = 96;
/// HELLO's anti-amplification padding (RFC 26's prose says 70; the 200-byte total needs 72).
pub(crate) const HELLO_PADDING: usize = 72;

/// The length of the whole command body: name length byte, name, data.
pub(crate) fn command_len(command: &RawCommand) -> usize {
    1 + command.name.len() + command.data.len()
}

/// A `WrongSize` error for `command`.
pub(crate) fn wrong_size(
    name: &'static str,
    expected: usize,
    command: &RawCommand,
) -> MechanismError {
    MechanismError::WrongSize {
        command: name,
        expected,
        got: command_len(command),
    }
}

/// An `UnexpectedCommand` error.
pub(crate) fn unexpected(expected: &'static str, command: &RawCommand) -> MechanismError {
    MechanismError::UnexpectedCommand {
        expected,
        got: command.name_lossy(),
    }
}

/// The `N` bytes of `data` at offset `at`, if there are that many.
pub(crate) fn take<const N: usize>(data: &[u8], at: usize) -> Option<&[u8; N]> {
    data.get(at..at + N)?.try_into().ok()
}
