//! A raw ZMTP peer's bytes and reads, for tests that play a misbehaving peer over a plain
//! stream (the wire format of `zmtp-essentials.md`).

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncReadExt};
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{Command, MechanismName, Metadata, SendBuffer};

use super::within;

/// A ZMTP 3.1 greeting for `mechanism` (64 bytes, as-server 0).
pub(crate) fn greeting(mechanism: MechanismName) -> Vec<u8> {
    GreetingWriter::new(mechanism, 0).as_bytes().to_vec()
}

/// A NULL greeting and a READY announcing `socket_type`: the start of a well-behaved peer.
pub(crate) fn greeting_and_ready(socket_type: &str) -> Vec<u8> {
    greeting_and_ready_with(&[("Socket-Type", socket_type)])
}

/// A NULL greeting and a READY with these properties.
pub(crate) fn greeting_and_ready_with(properties: &[(&str, &str)]) -> Vec<u8> {
    let mut md = Metadata::new();
    for &(name, value) in properties {
        md.insert(name, value.to_owned()).expect("valid");
    }
    let mut out = SendBuffer::new();
    out.put_raw(GreetingWriter::new(MechanismName::NULL, 0).as_bytes());
    out.put_command(&Command::Ready(md));
    out.copy_to_bytes(out.remaining()).to_vec()
}

/// One frame: `flags`, then the short or long size, then `body`.
pub(crate) fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        out.extend_from_slice(&[flags, body.len() as u8]);
    } else {
        out.push(flags | 0x02);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// A command frame named `name` carrying `data`.
pub(crate) fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1 + name.len() + data.len());
    body.push(name.len() as u8);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    frame(0x04, &body)
}

/// Reads (a small buffer, so thousands of readers stay cheap) until the other side closes the
/// stream (a read of 0 or an error); how many bytes came before that.
pub(crate) async fn until_closed(stream: &mut (impl AsyncRead + Unpin), what: &str) -> usize {
    within(what, async {
        let mut buf = [0u8; 512];
        let mut total = 0;
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await
}

/// Deterministic noise (xorshift), never starting with the 0xFF of a ZMTP signature.
pub(crate) fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    if let Some(first) = out.first_mut() {
        *first = 0x42;
    }
    out
}
