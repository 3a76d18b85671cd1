//! Commands: `name_len:u8 name data`, in frames with the COMMAND flag.
//!
//! [`RawCommand`] splits any command into its name and data; [`Command`] gives the commands the
//! connection itself handles (READY, ERROR, PING, PONG, SUBSCRIBE, CANCEL) their typed form and
//! passes everything else (HELLO, WELCOME, INITIATE, MESSAGE, unknown names) through by name.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::CommandError;
use crate::metadata::Metadata;

/// libzmq 4.3's PLAIN ERROR prefix: `"\x05ERROR"` compiled as the bytes `5E 52 52 4F 52`.
const LIBZMQ_PLAIN_ERROR: &[u8] = b"\x5eRROR";

/// Longest PING context a peer may send; longer ones are truncated when echoed (as libzmq).
pub const MAX_PING_CONTEXT: usize = 16;

/// A command split into name and data, both sharing the frame's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommand {
    /// The command name, e.g. `READY`.
    pub name: Bytes,
    /// Everything after the name.
    pub data: Bytes,
}

impl RawCommand {
    /// Splits a command frame's body.
    ///
    /// Reads libzmq's malformed PLAIN ERROR as an ERROR: libzmq 4.3 spells that command's prefix
    /// `"\x05ERROR"` in C, where the hex escape swallows the `E`, so it sends `5E "RROR"`, a
    /// name length of 94 in a frame too short to hold it.
    pub fn parse(mut body: Bytes) -> Result<RawCommand, CommandError> {
        if body.len() < 95 && body.starts_with(LIBZMQ_PLAIN_ERROR) {
            return Ok(RawCommand {
                name: Bytes::from_static(b"ERROR"),
                data: body.split_off(LIBZMQ_PLAIN_ERROR.len()),
            });
        }
        let Some(&name_len) = body.first() else {
            return Err(CommandError::Empty);
        };
        let name_len = usize::from(name_len);
        if body.len() < 1 + name_len {
            return Err(CommandError::NameTruncated {
                len: name_len,
                frame_len: body.len(),
            });
        }
        let mut name = body.split_to(1 + name_len);
        let _ = name.split_to(1);
        Ok(RawCommand { name, data: body })
    }

    /// Whether the name is `name` (byte-exact, as libzmq compares).
    pub fn is(&self, name: &str) -> bool {
        self.name == name.as_bytes()
    }

    /// The name as text, for errors and logs.
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// A ZMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `READY` with metadata (NULL and PLAIN; CURVE's READY is boxed and reaches its mechanism as
    /// [`Command::Other`]).
    Ready(Metadata),
    /// `ERROR` with a reason of up to 255 bytes.
    Error {
        /// The reason text.
        reason: Bytes,
    },
    /// `PING` (ZMTP 3.1) with a TTL in deciseconds and up to 16 bytes of context.
    Ping {
        /// Time to live in deciseconds (0 = none).
        ttl: u16,
        /// Context to echo in the PONG.
        context: Bytes,
    },
    /// `PONG` (ZMTP 3.1) echoing a PING's context.
    Pong {
        /// The echoed context.
        context: Bytes,
    },
    /// `SUBSCRIBE` (ZMTP 3.1) with a topic prefix.
    Subscribe(Bytes),
    /// `CANCEL` (ZMTP 3.1) with a topic prefix.
    Cancel(Bytes),
    /// Any other command: mechanism commands (HELLO, WELCOME, INITIATE, MESSAGE) and unknown
    /// names, by name and data.
    Other(RawCommand),
}

impl Command {
    /// Parses a command frame's body.
    pub fn parse(body: Bytes) -> Result<Command, CommandError> {
        Command::from_raw(RawCommand::parse(body)?)
    }

    /// Gives a split command its typed form.
    pub fn from_raw(raw: RawCommand) -> Result<Command, CommandError> {
        let RawCommand { name, data } = raw;
        Ok(match &name[..] {
            b"READY" => {
                Command::Ready(
                    Metadata::parse(data).map_err(|source| CommandError::Metadata {
                        command: "READY",
                        source,
                    })?,
                )
            }
            b"ERROR" => {
                let Some(&len) = data.first() else {
                    return Err(CommandError::Malformed {
                        command: "ERROR",
                        reason: "no reason length",
                    });
                };
                let len = usize::from(len);
                if data.len() < 1 + len {
                    return Err(CommandError::Malformed {
                        command: "ERROR",
                        reason: "reason longer than the command",
                    });
                }
                Command::Error {
                    reason: data.slice(1..1 + len),
                }
            }
            b"PING" => {
                if data.len() < 2 {
                    return Err(CommandError::Malformed {
                        command: "PING",
                        reason: "no TTL",
                    });
                }
                Command::Ping {
                    ttl: u16::from_be_bytes([data[0], data[1]]),
                    context: data.slice(2..),
                }
            }
            b"PONG" => Command::Pong { context: data },
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            _ => Command::Other(RawCommand { name, data }),
        })
    }

    /// The command's name.
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => b"READY",
            Command::Error { .. } => b"ERROR",
            Command::Ping { .. } => b"PING",
            Command::Pong { .. } => b"PONG",
            Command::Subscribe(_) => b"SUBSCRIBE",
            Command::Cancel(_) => b"CANCEL",
            Command::Other(raw) => &raw.name,
        }
    }

    /// Length of the body [`Command::encode_body`] writes.
    pub fn body_len(&self) -> usize {
        1 + self.name().len()
            + match self {
                Command::Ready(m) => m.encoded_len(),
                Command::Error { reason } => 1 + reason.len().min(255),
                Command::Ping { context, .. } => 2 + context.len().min(MAX_PING_CONTEXT),
                Command::Pong { context } => context.len().min(MAX_PING_CONTEXT),
                Command::Subscribe(t) | Command::Cancel(t) => t.len(),
                Command::Other(raw) => raw.data.len(),
            }
    }

    /// Writes the command body (without the frame header). ERROR reasons are cut at 255 bytes
    /// and PING/PONG contexts at 16.
    pub fn encode_body(&self, dst: &mut BytesMut) {
        dst.reserve(self.body_len());
        let name = self.name();
        // A command name is at most 255 bytes: ours are constants, a peer's was read with a
        // one-byte length.
        #[allow(clippy::cast_possible_truncation)]
        let name_len = name.len() as u8;
        dst.put_u8(name_len);
        dst.put_slice(name);
        match self {
            Command::Ready(m) => m.encode(dst),
            Command::Error { reason } => {
                let reason = &reason[..reason.len().min(255)];
                // Cut at 255 bytes just above.
                #[allow(clippy::cast_possible_truncation)]
                let reason_len = reason.len() as u8;
                dst.put_u8(reason_len);
                dst.put_slice(reason);
            }
            Command::Ping { ttl, context } => {
                dst.put_u16(*ttl);
                dst.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
            }
            Command::Pong { context } => {
                dst.put_slice(&context[..context.len().min(MAX_PING_CONTEXT)]);
            }
            Command::Subscribe(t) | Command::Cancel(t) => dst.put_slice(t),
            Command::Other(raw) => dst.put_slice(&raw.data),
        }
    }
}

/// ZMTP 3.0 subscription forms: subscriptions travel as ordinary one-frame messages whose first
/// byte is `01` (subscribe) or `00` (cancel), followed by the topic.
pub mod legacy_subscription {
    use bytes::{BufMut, Bytes, BytesMut};

    /// A subscription or cancellation decoded from a message body.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Subscription {
        /// `01` + topic.
        Subscribe(Bytes),
        /// `00` + topic.
        Cancel(Bytes),
    }

    /// The message body subscribing to `topic` (`01` + topic).
    pub fn subscribe(topic: &[u8]) -> Bytes {
        with_prefix(1, topic)
    }

    /// The message body cancelling `topic` (`00` + topic).
    pub fn cancel(topic: &[u8]) -> Bytes {
        with_prefix(0, topic)
    }

    fn with_prefix(prefix: u8, topic: &[u8]) -> Bytes {
        let mut b = BytesMut::with_capacity(1 + topic.len());
        b.put_u8(prefix);
        b.put_slice(topic);
        b.freeze()
    }

    /// Reads a message body as a subscription (`None` if its first byte is neither 0 nor 1,
    /// or it is empty). The topic shares `body`'s memory.
    pub fn parse(body: &Bytes) -> Option<Subscription> {
        match body.first() {
            Some(1) => Some(Subscription::Subscribe(body.slice(1..))),
            Some(0) => Some(Subscription::Cancel(body.slice(1..))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::SOCKET_TYPE;

    fn round_trip(cmd: Command) {
        let mut b = BytesMut::new();
        cmd.encode_body(&mut b);
        assert_eq!(b.len(), cmd.body_len());
        assert_eq!(Command::parse(b.freeze()), Ok(cmd));
    }

    #[test]
    fn every_command_round_trips() {
        let mut md = Metadata::new();
        md.insert(SOCKET_TYPE, "ROUTER").expect("valid");
        round_trip(Command::Ready(md));
        round_trip(Command::Ready(Metadata::new()));
        round_trip(Command::Error {
            reason: Bytes::from_static(b"400"),
        });
        round_trip(Command::Error {
            reason: Bytes::new(),
        });
        round_trip(Command::Ping {
            ttl: 0,
            context: Bytes::new(),
        });
        round_trip(Command::Ping {
            ttl: 650,
            context: Bytes::from_static(b"HI"),
        });
        round_trip(Command::Pong {
            context: Bytes::from_static(b"HI"),
        });
        round_trip(Command::Subscribe(Bytes::from_static(b"weather.")));
        round_trip(Command::Subscribe(Bytes::new()));
        round_trip(Command::Cancel(Bytes::from_static(b"weather.")));
        round_trip(Command::Other(RawCommand {
            name: Bytes::from_static(b"HELLO"),
            data: Bytes::from_static(b"\x05admin\x06secret"),
        }));
    }

    #[test]
    fn rfc_and_netmq_byte_vectors() {
        // Smallest PING on the wire, body only: 04 PING 00 00.
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x04PING\x00\x00")),
            Ok(Command::Ping {
                ttl: 0,
                context: Bytes::new()
            })
        );
        // NetMQ: PONG with context "HI".
        let mut b = BytesMut::new();
        Command::Pong {
            context: Bytes::from_static(b"HI"),
        }
        .encode_body(&mut b);
        assert_eq!(&b[..], b"\x04PONGHI");
        // ROUTER's READY from the RFC 37 example.
        let ready = Bytes::from_static(b"\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER");
        assert!(matches!(Command::parse(ready), Ok(Command::Ready(m)) if m.len() == 1));
    }

    #[test]
    fn long_contexts_and_reasons_are_cut_on_write() {
        let mut b = BytesMut::new();
        Command::Pong {
            context: Bytes::from(vec![7u8; 40]),
        }
        .encode_body(&mut b);
        assert_eq!(b.len(), 5 + MAX_PING_CONTEXT);
        let mut b = BytesMut::new();
        Command::Error {
            reason: Bytes::from(vec![b'x'; 300]),
        }
        .encode_body(&mut b);
        assert_eq!(b[6], 255);
        assert_eq!(b.len(), 7 + 255);
    }

    #[test]
    fn malformed_commands() {
        assert_eq!(Command::parse(Bytes::new()), Err(CommandError::Empty));
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x09SUBSCR")),
            Err(CommandError::NameTruncated {
                len: 9,
                frame_len: 7
            })
        );
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x04PING\x00")),
            Err(CommandError::Malformed {
                command: "PING",
                reason: "no TTL"
            })
        );
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x05ERROR")),
            Err(CommandError::Malformed {
                command: "ERROR",
                reason: "no reason length"
            })
        );
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x05ERROR\x05abc")),
            Err(CommandError::Malformed {
                command: "ERROR",
                reason: "reason longer than the command"
            })
        );
        assert!(matches!(
            Command::parse(Bytes::from_static(b"\x05READY\x00")),
            Err(CommandError::Metadata {
                command: "READY",
                ..
            })
        ));
    }

    #[test]
    fn libzmq_plain_error_quirk_reads_as_error() {
        // What libzmq 4.3.4's PLAIN server sends when its ZAP handler answers 400.
        let wire = Bytes::from_static(b"\x5eRROR\x03400");
        assert_eq!(
            Command::parse(wire),
            Ok(Command::Error {
                reason: Bytes::from_static(b"400")
            })
        );
    }

    #[test]
    fn empty_name_is_an_unknown_command() {
        assert_eq!(
            Command::parse(Bytes::from_static(b"\x00abc")),
            Ok(Command::Other(RawCommand {
                name: Bytes::new(),
                data: Bytes::from_static(b"abc")
            }))
        );
    }

    #[test]
    fn legacy_subscription_forms() {
        use legacy_subscription::*;
        assert_eq!(&subscribe(b"A")[..], b"\x01A");
        assert_eq!(&cancel(b"")[..], b"\x00");
        assert_eq!(
            parse(&subscribe(b"topic")),
            Some(Subscription::Subscribe(Bytes::from_static(b"topic")))
        );
        assert_eq!(
            parse(&cancel(b"t")),
            Some(Subscription::Cancel(Bytes::from_static(b"t")))
        );
        assert_eq!(parse(&Bytes::from_static(b"\x02x")), None);
        assert_eq!(parse(&Bytes::new()), None);
    }
}
