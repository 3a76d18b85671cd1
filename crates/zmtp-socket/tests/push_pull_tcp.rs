//! PUSH and PULL over tcp, ours on both ends.

use std::time::Duration;

use futures::StreamExt;
use zmtp_socket::{Error, Message, Pull, Push};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn messages_flow_in_order_both_bind_directions() {
    for push_binds in [true, false] {
        let push = Push::new();
        let mut pull = Pull::new();
        if push_binds {
            let ep = push.bind("tcp://127.0.0.1:*").await.expect("bind");
            pull.connect(&ep).await.expect("connect");
        } else {
            let ep = pull.bind("tcp://127.0.0.1:0").await.expect("bind");
            push.connect(&ep).await.expect("connect");
        }
        let sender = tokio::spawn(async move {
            for i in 0..10_000u32 {
                push.send(Message::from([
                    i.to_be_bytes().to_vec(),
                    vec![7; (i % 300) as usize],
                ]))
                .await
                .expect("send");
            }
            push
        });
        for i in 0..10_000u32 {
            let msg = tokio::time::timeout(LIMIT, pull.next())
                .await
                .expect("a message within the limit")
                .expect("the stream goes on")
                .expect("no error");
            assert_eq!(msg.len(), 2);
            assert_eq!(&msg.frames()[0][..], &i.to_be_bytes());
            assert_eq!(msg.frames()[1].len(), (i % 300) as usize);
        }
        drop(sender.await.expect("sender"));
    }
}

#[tokio::test]
async fn messages_sent_before_the_peer_exists_wait_for_it() {
    // A connecting PUSH queues for the connection to come (no ZMQ_IMMEDIATE), as in libzmq.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("probe a free port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let ep = format!("tcp://127.0.0.1:{port}");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    push.send("early")
        .await
        .expect("queued while the peer is away");
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    let msg = tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("the reconnect delivers it")
        .expect("message");
    assert_eq!(msg, Message::from(["early"]));
}

#[tokio::test]
async fn try_send_without_peers_would_block_and_try_recv_too() {
    let push = Push::new();
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    assert!(matches!(
        push.try_send(Message::new()),
        Err(Error::EmptyMessage)
    ));
    let pull = Pull::new();
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn bad_endpoints_are_named() {
    let push = Push::new();
    let err = push.bind("tcp://127.0.0.1").await.expect_err("no port");
    assert_eq!(
        err.to_string(),
        "invalid endpoint \"tcp://127.0.0.1\": no port: expected host:port"
    );
    let err = push
        .connect("pgm://eth0;239.1.1.1:5555")
        .await
        .expect_err("pgm");
    assert!(err.to_string().contains("ENOCOMPATPROTO"), "{err}");
    let err = push
        .connect("norm://eth0;239.1.1.1:5555")
        .await
        .expect_err("norm");
    assert!(err.to_string().contains("not supported yet"), "{err}");
    let taken = push.bind("tcp://127.0.0.1:*").await.expect("bind");
    let other = Push::new();
    let err = other.bind(&taken).await.expect_err("address in use");
    assert!(matches!(err, Error::Io { op: "bind", .. }), "{err}");
    assert!(matches!(
        push.unbind("tcp://127.0.0.1:1"),
        Err(Error::NotFound(_))
    ));
    push.unbind(&taken).expect("unbind what was bound");
}

#[tokio::test]
async fn large_messages_take_the_zero_copy_path() {
    let push = Push::new();
    let pull = Pull::new();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    push.connect(&ep).await.expect("connect");
    let body = bytes::Bytes::from(vec![0xAB; 70_000]);
    let sender = tokio::spawn(async move {
        for _ in 0..200 {
            push.send(body.clone()).await.expect("send");
        }
        push
    });
    for i in 0..200 {
        let msg = tokio::time::timeout(LIMIT, pull.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} within the limit"))
            .expect("message");
        assert_eq!(msg.byte_len(), 70_000);
    }
    drop(sender.await.expect("sender"));
}

#[tokio::test]
async fn a_zero_receive_timeout_still_takes_what_is_there() {
    use zmtp_socket::OptionName;
    let mut pull = Pull::new();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    push.send("a").await.expect("send");
    push.send("b").await.expect("send");
    assert_eq!(recv_within(&mut pull).await, Message::from(["a"]));
    pull.set_option(OptionName::RcvTimeo, 0)
        .expect("ZMQ_RCVTIMEO");
    // "b" arrives sooner or later; a receive with a zero timeout must then return it.
    let b = tokio::time::timeout(LIMIT, async {
        loop {
            match pull.recv().await {
                Ok(msg) => return msg,
                Err(Error::WouldBlock) => tokio::time::sleep(Duration::from_millis(1)).await,
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await
    .expect("the second message within the limit");
    assert_eq!(b, Message::from(["b"]));
}

async fn recv_within(pull: &mut Pull) -> Message {
    tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("a message within the limit")
        .expect("message")
}
