//! A ROUTER service shared by many tasks: each request is handled in a task of its own, which
//! replies through its clone of the socket, while the receiving loop goes on taking requests.
//! DEALER clients send requests concurrently; a cancellation token shuts the service down
//! gracefully: the loop stops taking requests, the handlers in flight finish and reply, and the
//! socket closes once its replies are out (within `ZMQ_LINGER`).
//!
//! Run with `cargo run --example router_service`.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use zmtp::{Dealer, Message, Router};

/// The work a request stands for: here, an upper-cased echo after a short pause, so that many
/// requests are in flight at once and their replies overtake one another.
async fn handle(body: &[u8]) -> Vec<u8> {
    tokio::time::sleep(Duration::from_millis((body.len() % 7) as u64 * 5)).await;
    body.to_ascii_uppercase()
}

/// Receives requests until `shutdown` is cancelled, handling each in a task of its own.
async fn serve(router: Router, shutdown: CancellationToken) -> zmtp::Result<usize> {
    let mut handlers = JoinSet::new();
    let mut served = 0;
    loop {
        let request = tokio::select! {
            request = router.recv() => request?,
            () = shutdown.cancelled() => break,
        };
        served += 1;
        // A clone is a reference count: the handler replies through the same socket.
        let replies = router.clone();
        handlers.spawn(async move {
            // [routing id, body]: the routing id goes first in the reply too.
            let frames = request.frames();
            let (Some(id), Some(body)) = (frames.first(), frames.get(1)) else {
                return;
            };
            let reply = Message::from(vec![id.clone(), handle(body).await.into()]);
            if let Err(e) = replies.send(reply).await {
                eprintln!("reply failed: {e}");
            }
        });
    }
    // Graceful: the handlers in flight finish and reply before the socket closes.
    while handlers.join_next().await.is_some() {}
    router.close().await;
    Ok(served)
}

#[tokio::main]
async fn main() -> zmtp::Result<()> {
    let router = Router::new();
    let endpoint = router.bind("tcp://127.0.0.1:*").await?;
    let shutdown = CancellationToken::new();
    let service = tokio::spawn(serve(router, shutdown.clone()));

    let mut clients: JoinSet<zmtp::Result<(u32, Vec<String>)>> = JoinSet::new();
    for c in 0..4u32 {
        let endpoint = endpoint.clone();
        clients.spawn(async move {
            let dealer = Dealer::new();
            dealer.connect(&endpoint).await?;
            for i in 0..25 {
                dealer.send(format!("client {c} request {i}")).await?;
            }
            let mut replies = Vec::new();
            for _ in 0..25 {
                let reply = dealer.recv().await?;
                replies.push(String::from_utf8_lossy(&reply.frames()[0]).into_owned());
            }
            Ok((c, replies))
        });
    }
    while let Some(done) = clients.join_next().await {
        let (c, replies) = done.expect("client task")?;
        println!(
            "client {c}: {} replies, e.g. {:?}",
            replies.len(),
            replies[0]
        );
    }
    shutdown.cancel();
    let served = service.await.expect("service task")?;
    println!("served {served} requests; shut down");
    Ok(())
}
