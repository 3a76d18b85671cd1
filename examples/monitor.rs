//! Socket monitors: a REP server and a REQ client over tcp, each with a monitor printing its
//! lifecycle events (libzmq's `ZMQ_EVENT_*`): listening, connect, accept, handshakes, then the
//! server going away and the client retrying, and each monitor's end when its socket closes.
//!
//! Run with `cargo run --example monitor`.

use std::time::Duration;

use futures::StreamExt;
use zmtp::{Monitor, MonitorEvent, Rep, Req, SocketOptions};

/// One event as a line: libzmq's name, the endpoint, the detail, the event number and value.
fn show(who: &str, event: &MonitorEvent) {
    println!(
        "{who:>6}: {event}  [ZMQ_EVENT {:#06x}, value {}]",
        event.code(),
        event.value()
    );
}

/// Prints a monitor's events until it ends (after MONITOR_STOPPED, when its socket closes).
async fn print_events(who: &'static str, mut monitor: Monitor) {
    while let Some(event) = monitor.next().await {
        show(who, &event);
    }
}

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    let server = Rep::new();
    let server_events = tokio::spawn(print_events("server", server.monitor()));
    let endpoint = server.bind("tcp://127.0.0.1:*").await?;

    let options = SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(100)));
    let client = Req::with_options(options)?;
    let mut client_monitor = client.monitor();
    client.connect(&endpoint).await?;

    client.send("hello").await?;
    let request = server.recv().await?;
    server.send(request).await?;
    let reply = client.recv().await?;
    println!("  reply: {}", String::from_utf8_lossy(&reply.frames()[0]));
    // What the client reported so far (its handshake completed before the reply came).
    while let Some(event) = client_monitor.try_recv() {
        show("client", &event);
    }

    // The server goes: its listener closes and its monitor stops. The client loses the
    // connection and schedules its next attempt.
    drop(server);
    server_events.await.expect("the server's monitor task");
    while let Some(event) = client_monitor.next().await {
        show("client", &event);
        if matches!(event, MonitorEvent::ConnectRetried { .. }) {
            break;
        }
    }

    // The client closes: its monitor gets MONITOR_STOPPED and ends.
    drop(client);
    print_events("client", client_monitor).await;
    Ok(())
}
