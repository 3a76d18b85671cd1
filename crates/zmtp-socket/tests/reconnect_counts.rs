//! Reconnect attempts counted where they arrive, at the listener, not timed:
//!
//! - `ZMQ_RECONNECT_IVL` is the wait between attempts: with an interval of an hour, a client
//!   whose first connection was dropped makes no second attempt while another client, with an
//!   interval of 10 ms, makes ten (its ten attempts are the clock: they prove that at least nine
//!   of its intervals have passed);
//! - a client refused by its server stops reconnecting, as libzmq 4.3's session does on a
//!   protocol error (libzmq 4.3.5 made one attempt, where we used to retry every interval for
//!   ever): refused by ZAP (wrong PLAIN credentials: the server's ERROR command), or speaking
//!   another mechanism than the server; sends then find no peer instead of queueing on the
//!   refused pipe.
//!
//! Every wait is bounded by `common::LIMIT`; nothing sleeps to let something happen.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use zmtp_codec::{ZapReply, ZapRequest};
use zmtp_socket::{Dealer, Error, Monitor, MonitorEvent, Pull, Push, SocketOptions};

use common::within;

/// A tcp listener that accepts connections and drops each at once, counting them.
struct DroppingListener {
    endpoint: String,
    accepted: watch::Receiver<usize>,
    task: tokio::task::JoinHandle<()>,
}

impl DroppingListener {
    async fn start() -> DroppingListener {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("tcp://{}", listener.local_addr().expect("address"));
        let (count, accepted) = watch::channel(0usize);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(stream);
                count.send_modify(|n| *n += 1);
            }
        });
        DroppingListener {
            endpoint,
            accepted,
            task,
        }
    }

    /// How many connections it has accepted so far.
    fn count(&self) -> usize {
        *self.accepted.borrow()
    }

    /// Waits until it has accepted `n` connections.
    async fn until(&mut self, n: usize, what: &str) {
        within(what, self.accepted.wait_for(|&count| count >= n))
            .await
            .expect("the listener runs");
    }
}

impl Drop for DroppingListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Attempts of the clock client: enough that a client retrying at its own interval of 10 ms
/// (or any fixed interval of the same order) would have made several meanwhile.
const CLOCK_ATTEMPTS: usize = 10;

/// Returns once a client with `ZMQ_RECONNECT_IVL` 10 ms has connected `CLOCK_ATTEMPTS` times to
/// a listener that drops it: a point at least nine such intervals after the call, measured by
/// the same kind of reconnect loop as the client under test.
async fn nine_short_intervals_later() {
    let mut listener = DroppingListener::start().await;
    let clock =
        Dealer::with_options(SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(10))))
            .expect("options");
    clock.connect(&listener.endpoint).await.expect("connect");
    listener
        .until(CLOCK_ATTEMPTS, "the clock client's attempts")
        .await;
}

/// The events the monitor has now, without waiting.
fn drain(monitor: &mut Monitor) -> Vec<MonitorEvent> {
    std::iter::from_fn(|| monitor.try_recv()).collect()
}

/// Waits for the first event `pick` takes, returning what it makes of it.
async fn event<T>(
    monitor: &mut Monitor,
    what: &str,
    mut pick: impl FnMut(&MonitorEvent) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let event = monitor.next().await.expect("the monitor runs");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await
}

/// ZMQ_RECONNECT_IVL is what a client waits between attempts: an hour holds back its second
/// attempt while a client with 10 ms makes ten.
#[tokio::test]
async fn a_long_reconnect_ivl_holds_back_the_next_attempt() {
    let mut slow_listener = DroppingListener::start().await;
    let slow =
        Dealer::with_options(SocketOptions::new().reconnect_ivl(Some(Duration::from_secs(3600))))
            .expect("options");
    slow.connect(&slow_listener.endpoint)
        .await
        .expect("connect");
    slow_listener.until(1, "the first attempt").await;

    nine_short_intervals_later().await;
    assert_eq!(
        slow_listener.count(),
        1,
        "with ZMQ_RECONNECT_IVL 1 h, a second attempt came while a 10 ms client made {CLOCK_ATTEMPTS}"
    );
}

/// A PLAIN client whose credentials the server's ZAP handler refuses: the server's ERROR
/// command ends the session for good. One ZAP request, one accepted connection, no retry, and
/// the refused pipe takes no more messages.
#[tokio::test]
async fn a_client_refused_by_zap_stops_reconnecting() {
    let server = Pull::with_options(SocketOptions::new().plain_server(true)).expect("options");
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    server.set_zap_handler(move |_: ZapRequest| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { ZapReply::refuse("no such user") }
    });
    let mut server_monitor = server.monitor();
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");

    let client = Push::with_options(
        SocketOptions::new()
            .plain_username("mallory")
            .plain_password("guess")
            .reconnect_ivl(Some(Duration::from_millis(10))),
    )
    .expect("options");
    let mut client_monitor = client.monitor();
    client.connect(&endpoint).await.expect("connect");
    // Queued if the handshake is still under way (a send that waited might wait for ever: the
    // refusal may come first).
    let _ = client.try_send("queued before the refusal");

    let text = event(&mut server_monitor, "the server's refusal", |e| match e {
        MonitorEvent::HandshakeFailedAuth { status, text, .. } => Some((*status, text.clone())),
        _ => None,
    })
    .await;
    assert_eq!(
        text,
        (400, "no such user".to_owned()),
        "the ZAP status text"
    );
    event(&mut client_monitor, "the client's refusal", |e| {
        matches!(e, MonitorEvent::HandshakeFailedAuth { status: 400, .. }).then_some(())
    })
    .await;

    nine_short_intervals_later().await;
    assert_eq!(requests.load(Ordering::SeqCst), 1, "ZAP requests");
    let accepted = drain(&mut server_monitor)
        .iter()
        .filter(|e| matches!(e, MonitorEvent::Accepted { .. }))
        .count();
    assert_eq!(accepted, 0, "no connection after the refused one");
    let retries: Vec<_> = drain(&mut client_monitor)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                MonitorEvent::ConnectRetried { .. } | MonitorEvent::Connected { .. }
            )
        })
        .collect();
    assert!(
        retries.is_empty(),
        "the refused client retried: {retries:?}"
    );
    assert!(
        matches!(client.try_send("after the refusal"), Err(Error::WouldBlock)),
        "the refused pipe still takes messages"
    );
}

/// A PLAIN client of a NULL server: the greetings name different mechanisms, a protocol error
/// for libzmq, which does not reconnect after it.
#[tokio::test]
async fn a_client_of_another_mechanism_stops_reconnecting() {
    let server = Pull::new();
    let mut server_monitor = server.monitor();
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password("secret")
            .reconnect_ivl(Some(Duration::from_millis(10))),
    )
    .expect("options");
    let mut client_monitor = client.monitor();
    client.connect(&endpoint).await.expect("connect");
    event(&mut client_monitor, "the mechanism mismatch", |e| {
        matches!(e, MonitorEvent::HandshakeFailedProtocol { .. }).then_some(())
    })
    .await;

    nine_short_intervals_later().await;
    let accepted = drain(&mut server_monitor)
        .iter()
        .filter(|e| matches!(e, MonitorEvent::Accepted { .. }))
        .count();
    assert_eq!(
        accepted, 1,
        "connections accepted from the mismatched client"
    );
    assert!(
        matches!(client.try_send("x"), Err(Error::WouldBlock)),
        "the refused pipe still takes messages"
    );
}
