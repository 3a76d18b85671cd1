//! `ZMQ_USE_FD`: a socket binds on a listening socket the application made (as with systemd
//! socket activation), over tcp and ipc; a descriptor that is not a listening socket of the
//! endpoint's kind is refused with an error naming the option.

use std::os::fd::AsRawFd;
use std::time::Duration;

use zmtp_socket::{Message, Pull, Push, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

async fn exchange(pull: &mut Pull, connect_to: &str) {
    let push = Push::new();
    push.connect(connect_to).await.expect("connect");
    push.send(Message::single("through the inherited socket"))
        .await
        .expect("send");
    let got = tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("within the limit")
        .expect("recv");
    assert_eq!(got, Message::single("through the inherited socket"));
}

#[tokio::test]
async fn tcp_binds_on_the_applications_listener() {
    let inherited = std::net::TcpListener::bind("127.0.0.1:0").expect("the application's listener");
    let addr = inherited.local_addr().expect("address");
    let mut pull = Pull::with_options(SocketOptions::new().use_fd(Some(inherited.as_raw_fd())))
        .expect("option");
    let ep = format!("tcp://{addr}");
    pull.bind(&ep).await.expect("bind on the descriptor");
    exchange(&mut pull, &ep).await;
}

#[tokio::test]
async fn ipc_binds_on_the_applications_listener() {
    let dir = std::env::temp_dir().join(format!("zmtp-use-fd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("directory");
    let path = dir.join("socket");
    let _ = std::fs::remove_file(&path);
    let inherited =
        std::os::unix::net::UnixListener::bind(&path).expect("the application's listener");
    let mut pull = Pull::with_options(SocketOptions::new().use_fd(Some(inherited.as_raw_fd())))
        .expect("option");
    let ep = format!("ipc://{}", path.display());
    pull.bind(&ep).await.expect("bind on the descriptor");
    exchange(&mut pull, &ep).await;
    drop(pull);
    drop(inherited);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
}

#[tokio::test]
async fn a_descriptor_that_does_not_fit_is_refused() {
    // A connected (not listening) socket.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let stream =
        std::net::TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let pull =
        Pull::with_options(SocketOptions::new().use_fd(Some(stream.as_raw_fd()))).expect("option");
    let err = pull
        .bind("tcp://127.0.0.1:1")
        .await
        .expect_err("not listening");
    assert!(err.to_string().contains("ZMQ_USE_FD"), "{err}");
    // A TCP listener for an ipc endpoint.
    let pull = Pull::with_options(SocketOptions::new().use_fd(Some(listener.as_raw_fd())))
        .expect("option");
    let err = pull
        .bind("ipc://@zmtp-use-fd-wrong-kind")
        .await
        .expect_err("wrong kind");
    assert!(
        err.to_string().contains("not a Unix-domain socket"),
        "{err}"
    );
    // A descriptor that is not open.
    let pull = Pull::with_options(SocketOptions::new().use_fd(Some(1_000_000))).expect("option");
    let err = pull.bind("tcp://127.0.0.1:1").await.expect_err("not open");
    assert!(
        err.to_string().contains("not an open file descriptor"),
        "{err}"
    );
    // The application's descriptors stay open and usable.
    assert!(listener.local_addr().is_ok());
}
