//! libzmq's GSSAPI framing: tokens in INITIATE commands, frames wrapped into MESSAGE commands
//! behind a flags byte. No GSS-API here: a [`Wrapping`] (the security context, or a stand-in in
//! the unit tests) does the cryptography.

use std::ops::Deref;

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_codec::frame::{header_len, put_header};
use zmtp_codec::{CommandError, Frame, HandshakeContext, MechanismError, RawCommand};

/// The command carrying a context token.
pub(crate) const INITIATE: &str = "INITIATE";
/// The command carrying a wrapped frame.
pub(crate) const MESSAGE: &str = "MESSAGE";

/// Flags byte: more frames follow.
const FLAG_MORE: u8 = 0x01;
/// Flags byte: the frame is a command.
const FLAG_COMMAND: u8 = 0x02;
/// Flags byte (libzmq 4.3.5 on): a subscription, the body is the bare topic.
const FLAG_SUBSCRIBE: u8 = 0x04;
/// Flags byte (libzmq 4.3.5 on): a cancellation, the body is the bare topic.
const FLAG_CANCEL: u8 = 0x08;

const MESSAGE_NAME: &[u8] = b"\x07MESSAGE";
const SUBSCRIBE_NAME: &[u8] = b"\x09SUBSCRIBE";
const CANCEL_NAME: &[u8] = b"\x06CANCEL";

/// Above this, the plaintext scratch buffer is released after use rather than kept.
const SCRATCH_KEEP: usize = 64 * 1024;

/// What wraps and unwraps tokens: an established security context.
pub(crate) trait Wrapping {
    /// A wrapped or unwrapped token, as the library hands it out.
    type Token: Deref<Target = [u8]> + Send + 'static;

    /// `gss_wrap` with confidentiality requested.
    fn wrap(&mut self, plaintext: &[u8]) -> Result<Self::Token, MechanismError>;

    /// `gss_unwrap`, which checks integrity (and order, with replay detection).
    fn unwrap(&mut self, token: &[u8]) -> Result<Self::Token, MechanismError>;
}

fn malformed(command: &'static str, reason: &'static str) -> MechanismError {
    MechanismError::Command(CommandError::Malformed { command, reason })
}

/// The token length field.
fn length_field(len: usize) -> Result<[u8; 4], MechanismError> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| MechanismError::Gssapi(format!("a token of {len} bytes exceeds 2^32 - 1")))
}

/// Queues a context token as INITIATE, or, when a step yields none, an empty command frame (what
/// libzmq sends then, and what its peer waits for).
pub(crate) fn send_token(
    cx: &mut HandshakeContext<'_>,
    token: Option<&[u8]>,
) -> Result<(), MechanismError> {
    match token {
        Some(token) if !token.is_empty() => {
            let mut data = BytesMut::with_capacity(4 + token.len());
            data.put_slice(&length_field(token.len())?);
            data.put_slice(token);
            cx.send_raw(INITIATE, data.freeze());
        }
        _ => cx.send_empty_command(),
    }
    Ok(())
}

/// The token of an INITIATE command (already known to be one): exactly `token_len` bytes must
/// follow the length, as libzmq checks.
pub(crate) fn parse_initiate(command: &RawCommand) -> Result<Bytes, MechanismError> {
    length_prefixed("INITIATE", &command.data)
}

fn length_prefixed(command: &'static str, data: &Bytes) -> Result<Bytes, MechanismError> {
    let Some(&[a, b, c, d]) = data.get(..4) else {
        return Err(malformed(command, "no token length"));
    };
    let len = u32::from_be_bytes([a, b, c, d]) as usize;
    let rest = data.len() - 4;
    if rest < len {
        return Err(malformed(command, "the token is shorter than its length"));
    }
    if rest > len {
        return Err(malformed(command, "bytes follow the token"));
    }
    Ok(data.slice(4..))
}

/// Wraps `[flags][body]`; `scratch` is reused between calls.
fn wrap_frame<W: Wrapping>(
    context: &mut W,
    scratch: &mut Vec<u8>,
    flags: u8,
    body: &[u8],
) -> Result<W::Token, MechanismError> {
    scratch.clear();
    scratch.reserve(1 + body.len());
    scratch.push(flags);
    scratch.extend_from_slice(body);
    let token = context.wrap(scratch);
    scratch.clear();
    if scratch.capacity() > SCRATCH_KEEP {
        *scratch = Vec::new();
    }
    token
}

/// Seals one frame into `out` as a whole wire frame: a MESSAGE command holding the wrapped
/// `[flags][body]`, in an ordinary frame (flags 00, or 02 when long) as libzmq sends it: its
/// encoder replaces the message with the MESSAGE command and its empty flags. (libzmq reads a
/// MESSAGE in a command frame just as well; so does [`open`].)
pub(crate) fn seal<W: Wrapping>(
    context: &mut W,
    scratch: &mut Vec<u8>,
    more: bool,
    command: bool,
    body: &[u8],
    out: &mut BytesMut,
) -> Result<(), MechanismError> {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    let token = wrap_frame(context, scratch, flags, body)?;
    let length = length_field(token.len())?;
    let body_len = MESSAGE_NAME.len() + length.len() + token.len();
    out.reserve(header_len(body_len) + body_len);
    put_header(out, 0, body_len);
    out.put_slice(MESSAGE_NAME);
    out.put_slice(&length);
    out.put_slice(&token);
    Ok(())
}

/// Queues a handshake command (READY) wrapped into a MESSAGE command. Its flags byte is 0, as
/// libzmq's: it wraps the READY before the frame is marked a command.
pub(crate) fn send_wrapped<W: Wrapping>(
    cx: &mut HandshakeContext<'_>,
    context: &mut W,
    scratch: &mut Vec<u8>,
    command_body: &[u8],
) -> Result<(), MechanismError> {
    let token = wrap_frame(context, scratch, 0, command_body)?;
    let mut data = BytesMut::with_capacity(4 + token.len());
    data.put_slice(&length_field(token.len())?);
    data.put_slice(&token);
    cx.send_raw(MESSAGE, data.freeze());
    Ok(())
}

/// A token as the owner of a [`Bytes`], so unwrapped bodies are handed out without a copy.
struct Owned<T>(T);

impl<T: Deref<Target = [u8]>> AsRef<[u8]> for Owned<T> {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Opens a MESSAGE command into the frame it carries. Subscriptions in libzmq 4.3.5's form
/// (SUBSCRIBE or CANCEL flag, bare topic) come out as the SUBSCRIBE or CANCEL command frame they
/// stand for.
pub(crate) fn open<W: Wrapping>(
    context: &mut W,
    command: RawCommand,
) -> Result<Frame, MechanismError> {
    if !command.is(MESSAGE) {
        return Err(MechanismError::UnexpectedCommand {
            expected: "MESSAGE",
            got: command.name_lossy(),
        });
    }
    let token = length_prefixed("MESSAGE", &command.data)?;
    let plaintext = context.unwrap(&token)?;
    let Some(&flags) = plaintext.first() else {
        return Err(malformed(
            "MESSAGE",
            "the unwrapped message has no flags byte",
        ));
    };
    let more = flags & FLAG_MORE != 0;
    let is_command = flags & FLAG_COMMAND != 0;
    let subscription = if is_command {
        None
    } else if flags & FLAG_SUBSCRIBE != 0 {
        Some(SUBSCRIBE_NAME)
    } else if flags & FLAG_CANCEL != 0 {
        Some(CANCEL_NAME)
    } else {
        None
    };
    if more && (is_command || subscription.is_some()) {
        return Err(malformed("MESSAGE", "a wrapped command has the MORE flag"));
    }
    let body = match subscription {
        Some(name) => {
            let topic = &plaintext[1..];
            let mut body = BytesMut::with_capacity(name.len() + topic.len());
            body.put_slice(name);
            body.put_slice(topic);
            body.freeze()
        }
        None => Bytes::from_owner(Owned(plaintext)).slice(1..),
    };
    Ok(Frame {
        more,
        command: is_command || subscription.is_some(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in context: "wraps" by prefixing a tag and XOR-ing with a key; unwrap checks the
    /// tag.
    #[derive(Debug, Default)]
    struct Fake {
        wrapped: usize,
    }

    const TAG: &[u8] = b"TOK";

    impl Wrapping for Fake {
        type Token = Vec<u8>;

        fn wrap(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, MechanismError> {
            self.wrapped += 1;
            let mut t = TAG.to_vec();
            t.extend(plaintext.iter().map(|b| b ^ 0x5a));
            Ok(t)
        }

        fn unwrap(&mut self, token: &[u8]) -> Result<Vec<u8>, MechanismError> {
            match token.strip_prefix(TAG) {
                Some(rest) => Ok(rest.iter().map(|b| b ^ 0x5a).collect()),
                None => Err(MechanismError::Gssapi("bad token".into())),
            }
        }
    }

    fn sealed(more: bool, command: bool, body: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        seal(
            &mut Fake::default(),
            &mut Vec::new(),
            more,
            command,
            body,
            &mut out,
        )
        .expect("seals");
        out
    }

    /// The frame's body as a RawCommand, after checking the frame header.
    fn as_command(frame: &[u8]) -> RawCommand {
        assert_eq!(
            frame[0], 0,
            "a short ordinary frame, as libzmq sends MESSAGE"
        );
        assert_eq!(usize::from(frame[1]), frame.len() - 2);
        RawCommand::parse(Bytes::copy_from_slice(&frame[2..])).expect("parses")
    }

    #[test]
    fn seal_layout_matches_libzmq() {
        let out = sealed(true, false, b"hello");
        // 00 size | 07 MESSAGE | len:u32be | token
        let token_len = TAG.len() + 1 + 5;
        assert_eq!(out.len(), 2 + 8 + 4 + token_len);
        assert_eq!(&out[..2], &[0x00, (8 + 4 + token_len) as u8]);
        assert_eq!(&out[2..10], b"\x07MESSAGE");
        assert_eq!(&out[10..14], &(token_len as u32).to_be_bytes());
        assert_eq!(&out[14..17], TAG);
        assert_eq!(out[17] ^ 0x5a, FLAG_MORE);
    }

    #[test]
    fn round_trips_with_flags() {
        for (more, command, body) in [
            (false, false, &b""[..]),
            (true, false, b"part"),
            (false, true, b"\x04PING\x00\x00"),
            (false, false, &[7u8; 300][..]),
        ] {
            let out = sealed(more, command, body);
            let frame = if out[0] & 0x02 != 0 {
                // Long frame header: flags, 8-byte size.
                RawCommand::parse(Bytes::copy_from_slice(&out[9..])).expect("parses")
            } else {
                as_command(&out)
            };
            let opened = open(&mut Fake::default(), frame).expect("opens");
            assert_eq!((opened.more, opened.command), (more, command));
            assert_eq!(&opened.body[..], body);
        }
    }

    #[test]
    fn libzmq_435_subscriptions_become_commands() {
        for (flags, name) in [(FLAG_SUBSCRIBE, SUBSCRIBE_NAME), (FLAG_CANCEL, CANCEL_NAME)] {
            let token = Fake::default()
                .wrap(&[&[flags][..], b"topic"].concat())
                .expect("wraps");
            let mut data = (token.len() as u32).to_be_bytes().to_vec();
            data.extend_from_slice(&token);
            let cmd = RawCommand {
                name: Bytes::from_static(b"MESSAGE"),
                data: Bytes::from(data),
            };
            let frame = open(&mut Fake::default(), cmd).expect("opens");
            assert!(frame.command && !frame.more);
            assert_eq!(&frame.body[..], &[name, b"topic"].concat()[..]);
        }
    }

    fn message_with(data: &[u8]) -> RawCommand {
        RawCommand {
            name: Bytes::from_static(b"MESSAGE"),
            data: Bytes::copy_from_slice(data),
        }
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        let mut f = Fake::default();
        assert_eq!(
            open(&mut f, message_with(b"\x00\x00")),
            Err(malformed("MESSAGE", "no token length"))
        );
        assert_eq!(
            open(&mut f, message_with(b"\x00\x00\x00\x05TOK")),
            Err(malformed("MESSAGE", "the token is shorter than its length"))
        );
        assert_eq!(
            open(&mut f, message_with(b"\x00\x00\x00\x03TOKextra")),
            Err(malformed("MESSAGE", "bytes follow the token"))
        );
        assert_eq!(
            open(&mut f, message_with(b"\x00\x00\x00\x03TOK")),
            Err(malformed(
                "MESSAGE",
                "the unwrapped message has no flags byte"
            ))
        );
        assert_eq!(
            open(&mut f, message_with(b"\x00\x00\x00\x04NOPE")),
            Err(MechanismError::Gssapi("bad token".into()))
        );
        let more_command = [
            &b"\x00\x00\x00\x04TOK"[..],
            &[(FLAG_MORE | FLAG_COMMAND) ^ 0x5a],
        ]
        .concat();
        assert_eq!(
            open(&mut f, message_with(&more_command)),
            Err(malformed("MESSAGE", "a wrapped command has the MORE flag"))
        );
        assert_eq!(
            open(
                &mut f,
                RawCommand {
                    name: Bytes::from_static(b"READY"),
                    data: Bytes::new()
                }
            ),
            Err(MechanismError::UnexpectedCommand {
                expected: "MESSAGE",
                got: "READY".into()
            })
        );
    }

    #[test]
    fn initiate_tokens() {
        let cmd = |data: &'static [u8]| RawCommand {
            name: Bytes::from_static(b"INITIATE"),
            data: Bytes::from_static(data),
        };
        assert_eq!(
            parse_initiate(&cmd(b"\x00\x00\x00\x02ab")),
            Ok(Bytes::from_static(b"ab"))
        );
        assert_eq!(parse_initiate(&cmd(b"\x00\x00\x00\x00")), Ok(Bytes::new()));
        assert_eq!(
            parse_initiate(&cmd(b"\x00\x00\x00\x03ab")),
            Err(malformed(
                "INITIATE",
                "the token is shorter than its length"
            ))
        );
        assert_eq!(
            parse_initiate(&cmd(b"\x00\x00\x01")),
            Err(malformed("INITIATE", "no token length"))
        );
    }
}
