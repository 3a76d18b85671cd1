//! Accept filters: `ZMQ_TCP_ACCEPT_FILTER` (CIDR) and `ZMQ_IPC_FILTER_UID/GID/PID` (the peer's
//! SO_PEERCRED credentials). A refused peer is closed before the socket sends any ZMTP byte: a
//! raw client reads end-of-stream with nothing read; an admitted one reads the greeting.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use zmtp_socket::{Pull, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

/// What a raw client reads first: `None` when the server closes without a byte.
async fn first_bytes(mut stream: impl tokio::io::AsyncRead + Unpin) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 10];
    let n = tokio::time::timeout(LIMIT, stream.read(&mut buf))
        .await
        .expect("the server answers or closes within the limit")
        .unwrap_or(0);
    (n > 0).then(|| buf[..n].to_vec())
}

async fn tcp_client_of(filter: &str) -> Option<Vec<u8>> {
    let pull = Pull::with_options(SocketOptions::new().tcp_accept_filter(filter)).expect("filter");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.trim_start_matches("tcp://");
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    first_bytes(stream).await
}

#[tokio::test]
async fn tcp_peers_outside_the_filters_are_closed_before_the_greeting() {
    assert_eq!(
        tcp_client_of("10.0.0.0/8").await,
        None,
        "127.0.0.1 is not in 10/8"
    );
    let greeting = tcp_client_of("127.0.0.0/8").await.expect("admitted");
    assert_eq!(greeting[0], 0xff, "the greeting's signature starts");
    assert!(
        tcp_client_of("127.0.0.1").await.is_some(),
        "a single address"
    );
}

/// Our own user id (the owner of a file we create).
fn my_uid() -> u32 {
    let dir = std::env::temp_dir().join(format!("zmtp-uid-{}", std::process::id()));
    std::fs::write(&dir, b"").expect("a temporary file");
    let uid = std::fs::metadata(&dir).expect("metadata").uid();
    let _ = std::fs::remove_file(&dir);
    uid
}

async fn ipc_client_of(options: SocketOptions) -> Option<Vec<u8>> {
    let pull = Pull::with_options(options).expect("filter");
    let ep = pull.bind("ipc://*").await.expect("bind");
    let path = ep.trim_start_matches("ipc://");
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .expect("connect");
    first_bytes(stream).await
}

#[tokio::test]
async fn ipc_peers_are_admitted_by_uid_gid_or_pid() {
    let uid = my_uid();
    let other = uid.wrapping_add(4242);
    assert_eq!(
        ipc_client_of(SocketOptions::new().ipc_filter_uid(other)).await,
        None,
        "another user only"
    );
    assert!(ipc_client_of(SocketOptions::new().ipc_filter_uid(uid))
        .await
        .is_some());
    let pid = i32::try_from(std::process::id()).expect("a pid");
    assert!(ipc_client_of(SocketOptions::new().ipc_filter_pid(pid))
        .await
        .is_some());
    assert_eq!(
        ipc_client_of(SocketOptions::new().ipc_filter_pid(pid + 1)).await,
        None,
        "another process only"
    );
    // Any one set matching is enough (libzmq's rule).
    assert!(ipc_client_of(
        SocketOptions::new()
            .ipc_filter_uid(other)
            .ipc_filter_pid(pid)
    )
    .await
    .is_some());
}
