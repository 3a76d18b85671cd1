//! Messages to lines and lines to messages.

use std::fmt::Write as _;

use bytes::Bytes;
use zmtp_codec::Message;

/// The frame separator printed when `--frames` is not given.
pub(crate) const DEFAULT_SEPARATOR: &str = "\t";

/// How received messages are printed.
#[derive(Debug, Clone)]
pub(crate) struct Printer {
    /// Every frame in hex.
    pub(crate) hex: bool,
    /// Between frames.
    pub(crate) separator: String,
}

impl Printer {
    /// One frame: text when it is printable UTF-8 without the separator, else `0x` and hex.
    pub(crate) fn frame(&self, frame: &[u8], out: &mut String) {
        match std::str::from_utf8(frame) {
            Ok(text) if !self.hex && printable(text) && !text.contains(&self.separator) => {
                out.push_str(text)
            }
            _ => push_hex(frame, out),
        }
    }

    /// A message on one line (without the line end). With `hex_first`, the first frame is
    /// always in hex (a ROUTER's routing id).
    pub(crate) fn message(&self, msg: &Message, hex_first: bool) -> String {
        let mut line = String::new();
        for (i, frame) in msg.iter().enumerate() {
            if i > 0 {
                line.push_str(&self.separator);
            }
            if i == 0 && hex_first {
                push_hex(frame, &mut line);
            } else {
                self.frame(frame, &mut line);
            }
        }
        line
    }

    /// What an XPUB receives: `subscribe PREFIX` / `unsubscribe PREFIX` for subscription
    /// messages (unless every frame is to be shown in hex), else the message.
    pub(crate) fn xpub_message(&self, msg: &Message) -> String {
        if !self.hex && msg.len() == 1 {
            if let Some(frame) = msg.first() {
                let verb = match frame.first() {
                    Some(1) => Some("subscribe "),
                    Some(0) => Some("unsubscribe "),
                    _ => None,
                };
                if let Some(verb) = verb {
                    let mut line = verb.to_owned();
                    self.frame(&frame[1..], &mut line);
                    return line;
                }
            }
        }
        self.message(msg, false)
    }
}

/// Text a terminal shows as it is, on one line: no control characters.
fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// `0x` and lowercase hex.
fn push_hex(bytes: &[u8], out: &mut String) {
    out.push_str("0x");
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
}

/// `0x` followed by an even number of hex digits, decoded; `None` for anything else.
pub(crate) fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.len() % 2 != 0 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

/// An input line (without its line end) as a message: one frame, or the frames between
/// `separator`s.
pub(crate) fn line_to_message(line: &[u8], separator: Option<&str>) -> Message {
    match separator {
        None => Message::single(Bytes::copy_from_slice(line)),
        Some(sep) => split(line, sep.as_bytes())
            .into_iter()
            .map(Bytes::copy_from_slice)
            .collect(),
    }
}

/// A ROUTER's input line: the routing id (`0x` and hex, or text), then the message, either
/// after the first space or tab, or, with a separator, as the frames after the first.
pub(crate) fn router_line_to_message(
    line: &[u8],
    separator: Option<&str>,
) -> Result<Message, &'static str> {
    let (id, rest): (&[u8], Vec<&[u8]>) = match separator {
        Some(sep) => {
            let mut frames = split(line, sep.as_bytes());
            if frames.len() < 2 {
                return Err(
                    "a ROUTER line is ROUTING-ID, the --frames separator, then the message",
                );
            }
            let id = frames.remove(0);
            (id, frames)
        }
        None => match line.iter().position(|&b| b == b' ' || b == b'\t') {
            Some(at) => (&line[..at], vec![&line[at + 1..]]),
            None => return Err("a ROUTER line is ROUTING-ID, a space or tab, then the message"),
        },
    };
    if id.is_empty() {
        return Err("the routing id is empty");
    }
    let id = match std::str::from_utf8(id).ok().and_then(parse_hex) {
        Some(bytes) if !bytes.is_empty() => Bytes::from(bytes),
        _ => Bytes::copy_from_slice(id),
    };
    let mut msg = Message::single(id);
    for frame in rest {
        msg.push_back(Bytes::copy_from_slice(frame));
    }
    Ok(msg)
}

/// `line` cut at every `sep`.
fn split<'a>(line: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while !sep.is_empty() && i + sep.len() <= line.len() {
        if &line[i..i + sep.len()] == sep {
            parts.push(&line[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&line[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer(hex: bool) -> Printer {
        Printer {
            hex,
            separator: DEFAULT_SEPARATOR.to_owned(),
        }
    }

    #[test]
    fn frames_as_text_or_hex() {
        let msg = Message::from(vec![
            Bytes::from_static(b"hello"),
            Bytes::from_static(b"\x00\xff"),
            Bytes::from_static(b"a\tb"),
            Bytes::new(),
        ]);
        assert_eq!(
            printer(false).message(&msg, false),
            "hello\t0x00ff\t0x610962\t"
        );
        assert_eq!(
            printer(true).message(&msg, false),
            "0x68656c6c6f\t0x00ff\t0x610962\t0x"
        );
        let routed = Message::from(["AB", "x"]);
        assert_eq!(printer(false).message(&routed, true), "0x4142\tx");
    }

    #[test]
    fn xpub_subscriptions() {
        let p = printer(false);
        assert_eq!(
            p.xpub_message(&Message::from([&b"\x01news"[..]])),
            "subscribe news"
        );
        assert_eq!(
            p.xpub_message(&Message::from([&b"\x00"[..]])),
            "unsubscribe "
        );
        assert_eq!(p.xpub_message(&Message::from(["text"])), "text");
    }

    #[test]
    fn lines_to_messages() {
        assert_eq!(line_to_message(b"a|b", None).len(), 1);
        let msg = line_to_message(b"a||b|", Some("|"));
        let frames: Vec<&[u8]> = msg.iter().map(|f| &f[..]).collect();
        assert_eq!(frames, [&b"a"[..], b"", b"b", b""]);
        let msg = line_to_message(b"a::b", Some("::"));
        assert_eq!(msg.len(), 2);
    }

    #[test]
    fn router_lines() {
        let msg = router_line_to_message(b"0x00ab hello world", None).expect("parses");
        let frames: Vec<&[u8]> = msg.iter().map(|f| &f[..]).collect();
        assert_eq!(frames, [&b"\x00\xab"[..], b"hello world"]);
        let msg = router_line_to_message(b"peer|a|b", Some("|")).expect("parses");
        let frames: Vec<&[u8]> = msg.iter().map(|f| &f[..]).collect();
        assert_eq!(frames, [&b"peer"[..], b"a", b"b"]);
        assert!(router_line_to_message(b"lonely", None).is_err());
        assert!(router_line_to_message(b" x", None).is_err());
        assert_eq!(parse_hex("0x0"), None);
        assert_eq!(parse_hex("0xzz"), None);
        assert_eq!(parse_hex("0x"), Some(vec![]));
    }
}
