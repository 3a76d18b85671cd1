//! A peer that stops answering heartbeats is dropped, and the connecting socket reconnects.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{Command, MechanismName, Metadata, SendBuffer};
use zmtp_socket::{Push, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

/// A PULL that completes the NULL handshake and then never says another word (no PONG).
async fn mute_pull(stream: &mut tokio::net::TcpStream) {
    use bytes::Buf;
    let mut md = Metadata::new();
    md.insert("Socket-Type", "PULL").expect("valid");
    let mut out = SendBuffer::new();
    out.put_raw(GreetingWriter::new(MechanismName::NULL, 0).as_bytes());
    out.put_command(&Command::Ready(md));
    let bytes = out.copy_to_bytes(out.remaining());
    stream
        .write_all(&bytes)
        .await
        .expect("write greeting and READY");
}

#[tokio::test]
async fn a_silent_peer_is_dropped_and_the_socket_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ep = format!("tcp://{}", listener.local_addr().expect("addr"));
    let push = Push::with_options(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(50)))
            .heartbeat_timeout(Some(Duration::from_millis(200))),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");

    let (mut first, _) = tokio::time::timeout(LIMIT, listener.accept())
        .await
        .expect("first connection")
        .expect("accept");
    mute_pull(&mut first).await;
    // Our socket PINGs, hears nothing, gives up: the peer sees its stream end...
    let mut sink = vec![0u8; 4096];
    let mut pings = 0usize;
    let ended = tokio::time::timeout(LIMIT, async {
        loop {
            match first.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pings += sink[..n].windows(5).filter(|w| w == b"\x04PING").count(),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the silent peer is dropped");
    assert!(pings >= 1, "PINGs were sent before giving up");
    // ...and the socket comes back on its own.
    let second = tokio::time::timeout(LIMIT, listener.accept()).await;
    assert!(matches!(second, Ok(Ok(_))), "the socket reconnects");
}
