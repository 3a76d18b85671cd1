//! Our PUSH and PULL against libzmq 4.3.4's over `ipc://`, both directions, either side
//! binding (a file path, our `ipc://*`, a Linux abstract name): every message byte-exact and in
//! order.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use support::{libzmq_recv_traffic, libzmq_send_traffic, millis, Traffic};
use tokio::sync::oneshot;
use zmtp::socket::{Pull, Push};

const STALL: Duration = Duration::from_secs(30);
const COUNT: usize = 10_000;

/// Who binds, and where.
#[derive(Debug, Clone, Copy)]
enum Binder {
    /// Our socket binds `ipc://*` and libzmq connects to the path it reports.
    UsWildcard,
    /// libzmq binds a file path in the temporary directory.
    LibzmqPath,
    /// libzmq binds a Linux abstract name.
    LibzmqAbstract,
}

/// A fresh endpoint for libzmq to bind.
fn libzmq_endpoint(binder: Binder) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    match binder {
        Binder::LibzmqAbstract => format!("ipc://@zmtp-libzmq-ipc-{pid}-{n}"),
        _ => {
            let path = std::env::temp_dir().join(format!("zmtp-libzmq-ipc-{pid}-{n}.sock"));
            format!("ipc://{}", path.display())
        }
    }
}

async fn join<T>(what: &str, handle: tokio::task::JoinHandle<T>) -> T {
    match tokio::time::timeout(Duration::from_secs(120), handle).await {
        Err(_) => panic!("{what} did not finish in time"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Ok(Ok(v)) => v,
    }
}

/// libzmq's side: binds or connects `socket` at `endpoint`, then tells the test it is bound.
fn libzmq_attach(socket: &zmq::Socket, binder: Binder, endpoint: &str, bound: oneshot::Sender<()>) {
    match binder {
        Binder::UsWildcard => socket.connect(endpoint).expect("libzmq connect"),
        _ => socket.bind(endpoint).expect("libzmq bind"),
    }
    bound.send(()).expect("the test waits");
}

/// libzmq PUSH sends, our PULL receives.
async fn libzmq_push_to_our_pull(binder: Binder, seed: u64) {
    let pull = Pull::new();
    let endpoint = match binder {
        Binder::UsWildcard => pull.bind("ipc://*").await.expect("bind"),
        _ => libzmq_endpoint(binder),
    };
    let (bound_tx, bound_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let ep = endpoint.clone();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).expect("PUSH");
        push.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        push.set_linger(0).expect("ZMQ_LINGER");
        libzmq_attach(&push, binder, &ep, bound_tx);
        libzmq_send_traffic(&push, &mut Traffic::new(seed), COUNT, None);
        done_rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the test finishes");
    });
    tokio::time::timeout(STALL, bound_rx)
        .await
        .expect("libzmq is ready")
        .expect("sent");
    if !matches!(binder, Binder::UsWildcard) {
        pull.connect(&endpoint).await.expect("connect");
    }
    let mut traffic = Traffic::new(seed);
    let mut scratch = Vec::new();
    for i in 0..COUNT {
        let msg = tokio::time::timeout(STALL, pull.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {COUNT} did not come within {STALL:?}"))
            .expect("message");
        let spec = traffic.next_spec();
        if let Err(e) = support::check_message(i, &spec, &msg, &mut scratch) {
            panic!("our PULL got a wrong message: {e}");
        }
    }
    done_tx.send(()).expect("libzmq waits");
    join("the libzmq PUSH", libzmq).await;
}

/// Our PUSH sends, libzmq PULL receives.
async fn our_push_to_libzmq_pull(binder: Binder, seed: u64) {
    let push = Push::new();
    let endpoint = match binder {
        Binder::UsWildcard => push.bind("ipc://*").await.expect("bind"),
        _ => libzmq_endpoint(binder),
    };
    let (bound_tx, bound_rx) = oneshot::channel::<()>();
    let ep = endpoint.clone();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).expect("PULL");
        pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        pull.set_linger(0).expect("ZMQ_LINGER");
        libzmq_attach(&pull, binder, &ep, bound_tx);
        libzmq_recv_traffic(&pull, &mut Traffic::new(seed), COUNT, false);
        let mut extra = zmq::Message::new();
        assert_eq!(
            pull.recv(&mut extra, zmq::DONTWAIT),
            Err(zmq::Error::EAGAIN)
        );
    });
    tokio::time::timeout(STALL, bound_rx)
        .await
        .expect("libzmq is ready")
        .expect("sent");
    if !matches!(binder, Binder::UsWildcard) {
        push.connect(&endpoint).await.expect("connect");
    }
    let mut traffic = Traffic::new(seed);
    let sending = async {
        for _ in 0..COUNT {
            push.send(traffic.next_message()).await.expect("send");
        }
    };
    tokio::time::timeout(Duration::from_secs(120), sending)
        .await
        .expect("every message queued");
    // Our socket stays (and its connection runs) until libzmq has everything.
    join("the libzmq PULL", libzmq).await;
}

#[tokio::test]
async fn libzmq_push_to_our_pull_bound_at_a_wildcard() {
    libzmq_push_to_our_pull(Binder::UsWildcard, 21).await;
}

#[tokio::test]
async fn libzmq_push_bound_at_a_path_to_our_pull() {
    libzmq_push_to_our_pull(Binder::LibzmqPath, 22).await;
}

#[tokio::test]
async fn our_push_bound_at_a_wildcard_to_libzmq_pull() {
    our_push_to_libzmq_pull(Binder::UsWildcard, 23).await;
}

#[tokio::test]
async fn our_push_to_libzmq_pull_bound_at_a_path() {
    our_push_to_libzmq_pull(Binder::LibzmqPath, 24).await;
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn abstract_names_both_directions() {
    libzmq_push_to_our_pull(Binder::LibzmqAbstract, 25).await;
    our_push_to_libzmq_pull(Binder::LibzmqAbstract, 26).await;
}
