//! libzmq's GSSAPI framing: tokens in INITIATE commands, and GSSAPI's part of the record layer
//! (`crate::record`, whose MESSAGE framing CURVE shares): frames wrapped behind a flags byte. No
//! GSS-API here: a [`Wrapping`] (the security context, or a stand-in in the unit tests) does the
//! cryptography.

use std::ops::Deref;

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_codec::{CommandError, Frame, HandshakeContext, MechanismError, RawCommand};

use crate::record::{MessageCipher, Records, INNER_COMMAND, INNER_MORE, MESSAGE};

/// The command carrying a context token.
pub(crate) const INITIATE: &str = "INITIATE";
/// Flags byte: more frames follow.
const FLAG_MORE: u8 = INNER_MORE;
/// Flags byte: the frame is a command.
const FLAG_COMMAND: u8 = INNER_COMMAND;
/// Flags byte (libzmq 4.3.5 on): a subscription, the body is the bare topic.
const FLAG_SUBSCRIBE: u8 = 0x04;
/// Flags byte (libzmq 4.3.5 on): a cancellation, the body is the bare topic.
const FLAG_CANCEL: u8 = 0x08;

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

/// GSSAPI's part of the record layer (`crate::record`): an established security context, which
/// wraps `[flags][body]` into the MESSAGE data `wrapped_len:u32be token` and unwraps it.
#[derive(Debug)]
pub(crate) struct GssCipher<W> {
    context: W,
    /// Reused for the plaintext of each frame wrapped.
    scratch: Vec<u8>,
}

impl<W: Wrapping> GssCipher<W> {
    /// The record layer's cipher over an established `context`.
    pub(crate) fn new(context: W) -> GssCipher<W> {
        GssCipher {
            context,
            scratch: Vec::new(),
        }
    }
}

impl<W: Wrapping + Send + std::fmt::Debug> MessageCipher for GssCipher<W> {
    /// The wrapped token and its length field.
    type Prepared = (W::Token, [u8; 4]);

    /// Wraps `[flags][body]` (the token's length is the data's).
    fn prepare(
        &mut self,
        flags: u8,
        body: &[u8],
    ) -> Result<(Self::Prepared, usize), MechanismError> {
        let scratch = &mut self.scratch;
        scratch.clear();
        scratch.reserve(1 + body.len());
        scratch.push(flags);
        scratch.extend_from_slice(body);
        let token = self.context.wrap(scratch);
        scratch.clear();
        if scratch.capacity() > SCRATCH_KEEP {
            *scratch = Vec::new();
        }
        let token = token?;
        let length = length_field(token.len())?;
        let len = length.len() + token.len();
        Ok(((token, length), len))
    }

    fn write(
        &mut self,
        (token, length): Self::Prepared,
        _flags: u8,
        _body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        out.put_slice(&length);
        out.put_slice(&token);
        Ok(())
    }

    fn open(&mut self, command: &RawCommand) -> Result<(u8, Bytes), MechanismError> {
        let token = length_prefixed("MESSAGE", &command.data)?;
        let plaintext = self.context.unwrap(&token)?;
        let Some(&flags) = plaintext.first() else {
            return Err(malformed(
                "MESSAGE",
                "the unwrapped message has no flags byte",
            ));
        };
        Ok((flags, Bytes::from_owner(Owned(plaintext)).slice(1..)))
    }

    /// MORE and COMMAND, and libzmq 4.3.5's subscriptions (SUBSCRIBE or CANCEL flag, bare
    /// topic), which come out as the SUBSCRIBE or CANCEL command frame they stand for. A
    /// command with MORE is refused.
    fn frame(flags: u8, body: Bytes) -> Result<Frame, MechanismError> {
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
                let mut command = BytesMut::with_capacity(name.len() + body.len());
                command.put_slice(name);
                command.put_slice(&body);
                command.freeze()
            }
            None => body,
        };
        Ok(Frame {
            more,
            command: is_command || subscription.is_some(),
            body,
        })
    }
}

/// Queues a handshake command (READY) sealed into a MESSAGE command, in a command frame. Its
/// flags byte is 0, as libzmq's: it wraps the READY before the frame is marked a command.
pub(crate) fn send_wrapped<W: Wrapping + Send + std::fmt::Debug>(
    cx: &mut HandshakeContext<'_>,
    records: &mut Records<GssCipher<W>>,
    command_body: &[u8],
) -> Result<(), MechanismError> {
    let mut data = BytesMut::new();
    records.seal_data(0, command_body, &mut data)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use zmtp_codec::Sealer;

    fn records() -> Records<GssCipher<Fake>> {
        Records(GssCipher::new(Fake::default()))
    }

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
        records()
            .seal(more, command, body, &mut out)
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
            let opened = records().open(frame).expect("opens");
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
            let frame = records().open(cmd).expect("opens");
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
        let mut f = records();
        assert_eq!(
            f.open(message_with(b"\x00\x00")),
            Err(malformed("MESSAGE", "no token length"))
        );
        assert_eq!(
            f.open(message_with(b"\x00\x00\x00\x05TOK")),
            Err(malformed("MESSAGE", "the token is shorter than its length"))
        );
        assert_eq!(
            f.open(message_with(b"\x00\x00\x00\x03TOKextra")),
            Err(malformed("MESSAGE", "bytes follow the token"))
        );
        assert_eq!(
            f.open(message_with(b"\x00\x00\x00\x03TOK")),
            Err(malformed(
                "MESSAGE",
                "the unwrapped message has no flags byte"
            ))
        );
        assert_eq!(
            f.open(message_with(b"\x00\x00\x00\x04NOPE")),
            Err(MechanismError::Gssapi("bad token".into()))
        );
        let more_command = [
            &b"\x00\x00\x00\x04TOK"[..],
            &[(FLAG_MORE | FLAG_COMMAND) ^ 0x5a],
        ]
        .concat();
        assert_eq!(
            f.open(message_with(&more_command)),
            Err(malformed("MESSAGE", "a wrapped command has the MORE flag"))
        );
        assert_eq!(
            f.open(RawCommand {
                name: Bytes::from_static(b"READY"),
                data: Bytes::new()
            }),
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
