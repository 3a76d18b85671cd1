//! `ipc://` between our sockets: file paths, Linux abstract names and `ipc://*`; PUSH/PULL,
//! DEALER/DEALER and PAIR; connect before bind; the socket file's lifetime; named errors.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zmtp_socket::endpoint::{EndpointErrorKind, IPC_ADDRESS_MAX};
use zmtp_socket::{Dealer, Error, Message, Pair, Pull, Push};

const LIMIT: Duration = Duration::from_secs(30);
const COUNT: u32 = 2_000;

/// A path of our own in the temporary directory (removed again by the socket).
fn fresh_path() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "zmtp-ipc-test-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn fresh_abstract() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "ipc://@zmtp-ipc-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Message `i` of a run: its number, then a body whose size and bytes depend on it.
fn message(i: u32) -> Message {
    Message::from([
        i.to_be_bytes().to_vec(),
        vec![(i % 251) as u8; (i % 700) as usize],
    ])
}

fn check(i: u32, msg: &Message) {
    assert_eq!(msg, &message(i), "message {i} byte-exact and in order");
}

/// `COUNT` messages from `$tx` to `$rx`, every one checked.
macro_rules! flow {
    ($tx:expr, $rx:expr) => {{
        let tx = $tx;
        let sender = tokio::spawn(async move {
            for i in 0..COUNT {
                tx.send(message(i)).await.expect("send");
            }
            tx
        });
        for i in 0..COUNT {
            let msg = tokio::time::timeout(LIMIT, $rx.recv())
                .await
                .unwrap_or_else(|_| panic!("message {i} within {LIMIT:?}"))
                .expect("message");
            check(i, &msg);
        }
        tokio::time::timeout(LIMIT, sender)
            .await
            .expect("sender done")
            .expect("sender")
    }};
}

async fn push_pull(bind_at: &str) -> String {
    let pull = Pull::new();
    let ep = pull.bind(bind_at).await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    drop(flow!(push, pull));
    ep
}

#[tokio::test]
async fn push_pull_over_a_path() {
    let path = fresh_path();
    let ep = format!("ipc://{}", path.display());
    assert_eq!(
        push_pull(&ep).await,
        ep,
        "the bound endpoint is the one given"
    );
    assert!(!path.exists(), "closing the socket removes its file");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn push_pull_over_an_abstract_name() {
    let ep = fresh_abstract();
    assert_eq!(push_pull(&ep).await, ep);
}

#[tokio::test]
async fn push_pull_over_a_wildcard_path_and_the_file_goes_with_the_socket() {
    let pull = Pull::new();
    let ep = pull.bind("ipc://*").await.expect("bind");
    let path = PathBuf::from(ep.strip_prefix("ipc://").expect("an ipc endpoint"));
    assert_eq!(path.file_name().and_then(|n| n.to_str()), Some("socket"));
    let dir = path.parent().expect("a directory").to_owned();
    let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert!(
        dir_name.starts_with("tmp") && dir_name.len() == 9,
        "libzmq's tmpXXXXXX: {ep}"
    );
    assert!(path.exists(), "{ep} is bound");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    drop(flow!(push, pull));
    drop(pull);
    assert!(
        !path.exists() && !dir.exists(),
        "file and directory removed"
    );
}

#[tokio::test]
async fn dealer_to_dealer_both_ways() {
    let a = Dealer::new();
    let ep = a.bind("ipc://*").await.expect("bind");
    let b = Dealer::new();
    b.connect(&ep).await.expect("connect");
    let b = flow!(b, a);
    let _a = flow!(a, b);
}

#[tokio::test]
async fn pair_both_ways() {
    let path = fresh_path();
    let ep = format!("ipc://{}", path.display());
    let a = Pair::new();
    a.connect(&ep).await.expect("connect first");
    let b = Pair::new();
    b.bind(&ep).await.expect("bind");
    let b = flow!(b, a);
    let _a = flow!(a, b);
}

#[tokio::test]
async fn connect_before_bind_delivers_what_was_queued() {
    for ep in [
        format!("ipc://{}", fresh_path().display()),
        #[cfg(target_os = "linux")]
        fresh_abstract(),
    ] {
        let push = Push::new();
        push.connect(&ep).await.expect("connect to nothing yet");
        push.send("early").await.expect("queued for the connection");
        let pull = Pull::new();
        pull.bind(&ep).await.expect("bind");
        let msg = tokio::time::timeout(LIMIT, pull.recv())
            .await
            .expect("the reconnect delivers it")
            .expect("message");
        assert_eq!(msg, Message::from(["early"]));
    }
}

#[tokio::test]
async fn unbind_removes_the_file_and_a_stale_file_is_replaced() {
    let path = fresh_path();
    std::fs::write(&path, b"left behind").expect("a stale file");
    let ep = format!("ipc://{}", path.display());
    let pull = Pull::new();
    // libzmq unlinks whatever is at the path before binding.
    pull.bind(&ep).await.expect("bind over a stale file");
    assert!(path.exists());
    pull.unbind(&ep).expect("unbind");
    assert!(!path.exists(), "unbind removes the socket file");
    assert!(matches!(pull.unbind(&ep), Err(Error::NotFound(_))));
    // The path can be bound again, and works.
    assert_eq!(push_pull(&ep).await, ep);
}

#[tokio::test]
async fn bad_ipc_endpoints_are_named() {
    let long = format!("ipc:///{}", "x".repeat(IPC_ADDRESS_MAX));
    let push = Push::new();
    for result in [push.bind(&long).await.map(drop), push.connect(&long).await] {
        match result {
            Err(Error::Endpoint(e)) => assert_eq!(
                e.kind,
                EndpointErrorKind::IpcPathTooLong {
                    len: IPC_ADDRESS_MAX + 1,
                    max: IPC_ADDRESS_MAX
                }
            ),
            other => panic!("a too-long path must be refused: {other:?}"),
        }
    }
    match push.connect("ipc://*").await {
        Err(Error::Endpoint(e)) => assert_eq!(e.kind, EndpointErrorKind::WildcardConnect),
        other => panic!("connect to ipc://* must be refused: {other:?}"),
    }
    let missing = std::env::temp_dir().join("zmtp-no-such-dir").join("x.sock");
    let err = push
        .bind(&format!("ipc://{}", missing.display()))
        .await
        .expect_err("no such directory");
    assert!(matches!(err, Error::Io { op: "bind", .. }), "{err}");
}
