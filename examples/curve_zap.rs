//! A CURVE-secured REQ/REP pair with a ZAP handler that lets in one client key only: the known
//! client gets its reply over an encrypted connection; an unknown client (valid CURVE, wrong
//! key) is refused, which its socket monitor reports.
//!
//! Run with `cargo run --example curve_zap`.

use futures::StreamExt;

use zmtp::{CurveKeyPair, MonitorEvent, Rep, Req, SocketOptions, ZapReply, ZapRequest};

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    let server_keys = CurveKeyPair::generate();
    let known = CurveKeyPair::generate();
    println!("server public key {}", server_keys.public().to_z85());

    // The server: CURVE server keys, and a ZAP handler checking the client's long-term key.
    let server = Rep::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server_keys.secret().clone()),
    )?;
    let allowed = *known.public();
    server.set_zap_handler(move |req: ZapRequest| async move {
        if req
            .credentials
            .first()
            .is_some_and(|key| key[..] == allowed.as_bytes()[..])
        {
            ZapReply::accept("known-client")
        } else {
            ZapReply::refuse("unknown key")
        }
    });
    let endpoint = server.bind("tcp://127.0.0.1:*").await?;
    tokio::spawn(async move {
        while let Ok(request) = server.recv().await {
            server.send(request).await?;
        }
        Ok::<_, zmtp::Error>(())
    });

    // A client whose key the handler knows.
    let client_options = |keys: &CurveKeyPair| {
        SocketOptions::new()
            .curve_server_key(*server_keys.public())
            .curve_public_key(*keys.public())
            .curve_secret_key(keys.secret().clone())
    };
    let client = Req::with_options(client_options(&known))?;
    client.connect(&endpoint).await?;
    client.send("hello over CURVE").await?;
    let reply = client.recv().await?;
    println!(
        "known client got {:?}",
        String::from_utf8_lossy(&reply.frames()[0])
    );

    // A client with a key of its own: the handshake is refused (ZAP status 400).
    let stranger = CurveKeyPair::generate();
    let intruder = Req::with_options(client_options(&stranger))?;
    let mut events = intruder.monitor();
    intruder.connect(&endpoint).await?;
    while let Some(event) = events.next().await {
        if let MonitorEvent::HandshakeFailedAuth { status, .. } = event {
            println!("unknown client refused: ZAP status {status}");
            break;
        }
    }
    Ok(())
}
