//! A forwarder between publishers and subscribers (ZeroMQ's XSUB/XPUB proxy): publishers connect
//! to its XSUB side, subscribers to its XPUB side; messages flow down, subscriptions flow up,
//! so each publisher still filters at the source for subscribers it never sees.
//!
//! Run with `cargo run --example xpub_xsub_proxy`.

use std::time::Duration;

use futures::StreamExt;
use zmtp::{Message, Pub, Sub, XPub, XSub};

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    // The proxy.
    let mut frontend = XSub::new();
    let for_publishers = frontend.bind("tcp://127.0.0.1:*").await?;
    let mut backend = XPub::new();
    let for_subscribers = backend.bind("tcp://127.0.0.1:*").await?;
    let proxy = tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(msg) = frontend.next() => backend.send(msg?).await?,
                Some(subscription) = backend.next() => frontend.send(subscription?).await?,
                else => return Ok::<_, zmtp::Error>(()),
            }
        }
    });

    // A subscriber on the far side, interested in alerts only.
    let mut alerts = Sub::new();
    alerts.connect(&for_subscribers).await?;
    alerts.subscribe("alert.")?;

    // A publisher on the near side, publishing until the subscriber has seen three alerts.
    let publisher = Pub::new();
    publisher.connect(&for_publishers).await?;
    let listener = tokio::spawn(async move {
        for _ in 0..3 {
            let msg = alerts.next().await.expect("the proxy runs")?;
            let frames: Vec<_> = msg
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            println!("subscriber got {}", frames.join(" "));
        }
        Ok::<_, zmtp::Error>(())
    });
    let mut n = 0u32;
    while !listener.is_finished() {
        n += 1;
        publisher
            .send(Message::from(["status.ok".to_owned(), n.to_string()]))
            .await?;
        if n.is_multiple_of(5) {
            publisher
                .send(Message::from(["alert.disk".to_owned(), n.to_string()]))
                .await?;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    listener.await.expect("the subscriber task")?;
    proxy.abort();
    Ok(())
}
