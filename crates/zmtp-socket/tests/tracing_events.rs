//! What sockets say through `tracing`: the listener and connection spans with their fields
//! (socket type, endpoint, peer, mechanism), and the lifecycle events (listening, accepted,
//! handshake succeeded, handshake failed with its reason, no reconnect after it, reconnect
//! scheduled after a failed connect). The connections
//! run on the context's I/O thread, so the subscriber is the process-wide default: this file
//! holds one test.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zmtp_codec::ZapReply;
use zmtp_socket::{Message, Pull, Push, SocketOptions};

/// The formatted output, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }

    /// Waits (bounded) until the output has a line containing every one of `parts`.
    async fn wait_for_line(&self, parts: &[&str]) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(line) = self
                .text()
                .lines()
                .find(|l| parts.iter().all(|p| l.contains(p)))
            {
                return line.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no line with {parts:?} in:\n{}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn lifecycle_events_in_their_spans() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .expect("the only subscriber of this test binary");

    let pull = Pull::with_options(SocketOptions::new().plain_server(true)).expect("server");
    pull.set_zap_handler(|req: zmtp_codec::ZapRequest| async move {
        if req.credentials.first().is_some_and(|u| u == "admin") {
            ZapReply::accept("admin")
        } else {
            ZapReply::refuse("unknown user")
        }
    });
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let listening = captured
        .wait_for_line(&["zmtp::listener", "listening"])
        .await;
    assert!(
        listening.contains("socket=\"PULL\"") || listening.contains("socket=PULL"),
        "{listening}"
    );
    assert!(listening.contains(&ep), "{listening}");

    let good = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password("x"),
    )
    .expect("client");
    good.connect(&ep).await.expect("connect");
    good.send(Message::single("hello")).await.expect("send");
    tokio::time::timeout(Duration::from_secs(30), pull.recv())
        .await
        .expect("in time")
        .expect("recv");
    let ok = captured
        .wait_for_line(&["zmtp::conn", "handshake succeeded", "mechanism=\"PLAIN\""])
        .await;
    captured
        .wait_for_line(&["zmtp::conn", &format!("endpoint=\"{ep}\""), "connected"])
        .await;
    assert!(
        ok.contains("peer_socket=\"PUSH\"") || ok.contains("peer_socket=PUSH"),
        "{ok}"
    );

    let bad = Push::with_options(
        SocketOptions::new()
            .plain_username("mallory")
            .plain_password("x"),
    )
    .expect("client");
    bad.connect(&ep).await.expect("connect");
    let failed = captured
        .wait_for_line(&["zmtp::conn", "handshake failed", "INFO"])
        .await;
    assert!(
        failed.contains("400") || failed.contains("unknown user"),
        "{failed}"
    );
    // Refused: a protocol error, after which the client does not reconnect (as libzmq).
    captured
        .wait_for_line(&["protocol error: no reconnect", &ep])
        .await;
    // A connect nobody answers is retried.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let nobody = format!("tcp://{}", probe.local_addr().expect("address"));
    drop(probe);
    let lonely = Push::new();
    lonely.connect(&nobody).await.expect("connect");
    captured
        .wait_for_line(&["reconnect scheduled", &nobody])
        .await;
    assert!(
        !captured.text().contains("hello"),
        "message bodies are never logged"
    );
}
