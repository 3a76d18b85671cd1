//! Helpers shared by the spec tests: one fresh endpoint per transport, bounded waits that say
//! what they waited for, and a small trait over the socket types so one test body can run
//! against PUSH/PULL, DEALER, PAIR, ... alike.
//!
//! Every wait here is bounded by [`LIMIT`] and fails naming what it waited for; nothing sleeps to
//! let something happen.

#![allow(dead_code, async_fn_in_trait)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub(crate) mod option_values;

use zmtp_socket::{Dealer, Message, Pair, Pull, Push, Rep, Req, Result, Router};

pub(crate) mod heap;
pub(crate) mod raw;

/// How long any one condition may take before the test fails (generous: the machine is shared).
pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// The three transports every socket test runs over.
pub(crate) const TRANSPORTS: [&str; 3] = ["tcp", "ipc", "inproc"];

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn next() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// An endpoint to bind for `transport`, fresh for each call: the bind returns the real one
/// (the port or the directory the OS chose).
pub(crate) fn bind_endpoint(transport: &str) -> String {
    match transport {
        "tcp" => "tcp://127.0.0.1:*".to_owned(),
        "ipc" => "ipc://*".to_owned(),
        "inproc" => format!("inproc://spec-{}-{}", std::process::id(), next()),
        other => panic!("unknown transport {other}"),
    }
}

/// A concrete endpoint of `transport` where nothing listens now, and that can be bound later
/// (the same tcp port, the same ipc path, the same inproc name).
pub(crate) fn unbound_endpoint(transport: &str) -> String {
    match transport {
        "tcp" => {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            let port = probe.local_addr().expect("address").port();
            format!("tcp://127.0.0.1:{port}")
        }
        "ipc" => format!("ipc://{}", fresh_ipc_path().display()),
        "inproc" => format!("inproc://unbound-{}-{}", std::process::id(), next()),
        other => panic!("unknown transport {other}"),
    }
}

/// A socket path of our own in the temporary directory.
pub(crate) fn fresh_ipc_path() -> PathBuf {
    std::env::temp_dir().join(format!("zmtp-spec-{}-{}.sock", std::process::id(), next()))
}

/// `fut` within [`LIMIT`], or a failure naming `what` was awaited.
pub(crate) async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

/// Polls `check` (a non-blocking probe) until it holds, for at most [`LIMIT`].
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// A message of `&'static str` frames.
pub(crate) fn msg(frames: &[&'static str]) -> Message {
    frames.iter().copied().collect()
}

/// The frames of `m` as text, for comparisons and failure messages.
pub(crate) fn text(m: &Message) -> Vec<String> {
    m.iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// Asserts that at least `min` passed since `start` (timers tick in whole milliseconds, so one
/// is allowed for rounding). Only a lower bound: a loaded machine may take any longer.
pub(crate) fn assert_waited(start: Instant, min: Duration, what: &str) {
    let waited = start.elapsed();
    assert!(
        waited + Duration::from_millis(1) >= min,
        "{what}: gave up after {waited:?}, before {min:?}"
    );
}

/// What the generic tests need of a socket: bind, connect, disconnect.
pub(crate) trait Sock: Sized {
    fn make() -> Self;
    async fn bind_to(&mut self, ep: &str) -> Result<String>;
    async fn connect_to(&mut self, ep: &str) -> Result<()>;
    fn disconnect_from(&mut self, ep: &str) -> Result<()>;
}

/// A socket that sends (PUSH, DEALER, PAIR, ...).
pub(crate) trait Tx {
    async fn tx(&mut self, m: Message) -> Result<()>;
    fn try_tx(&mut self, m: Message) -> Result<()>;
}

/// A socket that receives (PULL, DEALER, PAIR, ...).
pub(crate) trait Rx {
    async fn rx(&mut self) -> Result<Message>;
    fn try_rx(&mut self) -> Result<Message>;
}

macro_rules! impl_sock {
    ($($t:ident),*) => {$(
        impl Sock for $t {
            fn make() -> Self { $t::new() }
            async fn bind_to(&mut self, ep: &str) -> Result<String> { self.bind(ep).await }
            async fn connect_to(&mut self, ep: &str) -> Result<()> { self.connect(ep).await }
            fn disconnect_from(&mut self, ep: &str) -> Result<()> { self.disconnect(ep) }
        }
    )*};
}
impl_sock!(Push, Pull, Dealer, Pair, Router, Req, Rep);

macro_rules! impl_tx {
    ($($t:ident),*) => {$(
        impl Tx for $t {
            async fn tx(&mut self, m: Message) -> Result<()> { self.send(m).await }
            fn try_tx(&mut self, m: Message) -> Result<()> { self.try_send(m) }
        }
    )*};
}
impl_tx!(Push, Dealer, Pair);

macro_rules! impl_rx {
    ($($t:ident),*) => {$(
        impl Rx for $t {
            async fn rx(&mut self) -> Result<Message> { self.recv().await }
            fn try_rx(&mut self) -> Result<Message> { self.try_recv() }
        }
    )*};
}
impl_rx!(Pull, Dealer, Pair);

/// The probe [`connected`] sends; [`recv_data`] skips it.
pub(crate) const PROBE: &str = "probe";

/// Waits until `tx` has a live connection to `rx`: sends probes (they go round robin to
/// whatever peers `tx` has) until one reaches `rx`. Peers that got probes skip them with
/// [`recv_data`].
pub(crate) async fn connected(tx: &mut impl Tx, rx: &mut impl Rx, what: &str) {
    within(what, async {
        loop {
            tx.tx(msg(&[PROBE])).await.expect("send a probe");
            match tokio::time::timeout(Duration::from_millis(50), rx.rx()).await {
                Ok(Ok(m)) if m == msg(&[PROBE]) => return,
                Ok(Ok(m)) => panic!("{what}: a probe expected, got {:?}", text(&m)),
                Ok(Err(e)) => panic!("{what}: {e}"),
                Err(_) => continue,
            }
        }
    })
    .await;
}

/// The next message that is not a probe, within [`LIMIT`].
pub(crate) async fn recv_data(rx: &mut impl Rx, what: &str) -> Message {
    within(what, async {
        loop {
            let m = rx.rx().await.unwrap_or_else(|e| panic!("{what}: {e}"));
            if m != msg(&[PROBE]) {
                return m;
            }
        }
    })
    .await
}

/// One `#[tokio::test]` per transport for each listed `async fn name(transport: &str)`: the
/// tests are `name::tcp`, `name::ipc` and `name::inproc`.
#[macro_export]
macro_rules! on_every_transport {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn tcp() {
                super::$name("tcp").await
            }
            #[tokio::test]
            async fn ipc() {
                super::$name("ipc").await
            }
            #[tokio::test]
            async fn inproc() {
                super::$name("inproc").await
            }
        }
    )*};
}
