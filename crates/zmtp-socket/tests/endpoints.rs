//! Endpoints: what bind returns (libzmq's test_last_endpoint), unbind and disconnect
//! (test_term_endpoint), and inproc's connect-before-bind cases (test_inproc_connect).
//!
//! - bind returns the endpoint actually bound: the port the OS chose for `tcp://...:*` and
//!   `:0` (connectable as returned), `0.0.0.0` for `tcp://*`, the path made for `ipc://*`, the
//!   name for inproc, and `last_endpoint()` (`ZMQ_LAST_ENDPOINT`) says the same; an interface
//!   name binds the interface's address (`tcp://lo:*` is 127.0.0.1);
//! - after unbind a new connect cannot reach the endpoint; an inproc unbind only frees the name
//!   (libzmq keeps inproc pipes); over tcp and ipc the connections accepted through the
//!   endpoint end with it, as in libzmq; unbinding a wildcard form,
//!   or anything not bound, is `NotFound` (`ENOENT`), as is disconnecting what is not connected;
//! - disconnect takes the peer away at once (a send would block); over tcp and ipc what was
//!   queued for it before still goes out for `ZMQ_LINGER`, to a peer that binds there later
//!   (libzmq's session lingers so), and is dropped with `ZMQ_LINGER` 0; the connection of a
//!   disconnected endpoint ends once it has nothing left to write;
//! - inproc: several sockets connecting before the bind, a pending connect served by whichever
//!   socket binds the name next, a link kept across unbind.
//!
//! Every wait is bounded; conditions are awaited, not slept for.

mod common;

use std::time::Duration;

use zmtp_socket::{Error, Message, OptionName, Pull, Push, SocketOptions};

use common::{bind_endpoint, eventually, msg, unbound_endpoint, within};

on_every_transport!(
    a_new_connect_cannot_reach_an_unbound_endpoint,
    unbind_and_disconnect_of_unknown_endpoints_are_not_found,
    send_after_disconnect_would_block,
    disconnect_with_linger_zero_drops_what_was_queued,
);

/// The tests for what only tcp and ipc do (inproc has no connection that lingers).
macro_rules! on_tcp_and_ipc {
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
        }
    )*};
}

on_tcp_and_ipc!(
    disconnect_lingers_what_was_queued,
    disconnect_ends_an_idle_connection,
);

/// A PUSH and a PULL connected to it, with one message through (the connection is up).
async fn bound_push(transport: &str) -> (Push, Pull, String) {
    let push = Push::new();
    let ep = push.bind(&bind_endpoint(transport)).await.expect("bind");
    let pull = Pull::new();
    pull.connect(&ep).await.expect("connect");
    push.send("ABC").await.expect("send");
    assert_eq!(
        within("the first message", pull.recv())
            .await
            .expect("recv"),
        msg(&["ABC"])
    );
    (push, pull, ep)
}

/// libzmq's inproc unbind frees the name only: a link made before it stays.
#[tokio::test]
async fn send_after_unbind_inproc_keeps_the_link() {
    let (push, pull, ep) = bound_push("inproc").await;
    push.unbind(&ep).expect("unbind");
    push.send("still linked").await.expect("send");
    assert_eq!(
        within("over the kept link", pull.recv())
            .await
            .expect("recv"),
        msg(&["still linked"])
    );
}

/// libzmq's test_send_after_unbind_fails: over tcp and ipc the connections accepted through an
/// endpoint go with its unbind (the listener owns its sessions), so the bound PUSH has no peer
/// left.
async fn send_after_unbind_fails(transport: &str) {
    let (push, _pull, ep) = bound_push(transport).await;
    push.unbind(&ep).expect("unbind");
    eventually("the accepted connection to go with the unbind", || {
        matches!(push.try_send("x"), Err(Error::WouldBlock))
    })
    .await;
}

#[tokio::test]
async fn send_after_unbind_fails_tcp() {
    send_after_unbind_fails("tcp").await;
}

#[tokio::test]
async fn send_after_unbind_fails_ipc() {
    send_after_unbind_fails("ipc").await;
}

async fn a_new_connect_cannot_reach_an_unbound_endpoint(transport: &str) {
    let pull = Pull::new();
    let ep = pull.bind(&bind_endpoint(transport)).await.expect("bind");
    pull.unbind(&ep).expect("unbind");
    let timeo = Duration::from_millis(300);
    let push = Push::with_options(SocketOptions::new().immediate(true).sndtimeo(Some(timeo)))
        .expect("options");
    push.connect(&ep).await.expect("connect");
    // With ZMQ_IMMEDIATE a message waits for a completed connection, and none comes.
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

async fn unbind_and_disconnect_of_unknown_endpoints_are_not_found(transport: &str) {
    let pull = Pull::new();
    let wildcard = bind_endpoint(transport);
    let ep = pull.bind(&wildcard).await.expect("bind");
    if transport != "inproc" {
        assert_ne!(ep, wildcard, "the real endpoint is returned");
        assert!(
            matches!(pull.unbind(&wildcard), Err(Error::NotFound(_))),
            "a wildcard form is not what was bound (libzmq: ENOENT)"
        );
    }
    let other = unbound_endpoint(transport);
    assert!(matches!(pull.unbind(&other), Err(Error::NotFound(_))));
    assert!(
        matches!(pull.disconnect(&ep), Err(Error::NotFound(_))),
        "a bound endpoint is not a connected one"
    );
    pull.unbind(&ep).expect("unbind via the returned endpoint");
    assert!(matches!(pull.unbind(&ep), Err(Error::NotFound(_))), "twice");
    let push = Push::new();
    push.connect(&other).await.expect("connect");
    assert!(
        matches!(push.unbind(&other), Err(Error::NotFound(_))),
        "a connected endpoint is not a bound one"
    );
    push.disconnect(&other).expect("disconnect");
    assert!(matches!(push.disconnect(&other), Err(Error::NotFound(_))));
}

async fn send_after_disconnect_would_block(transport: &str) {
    let pull = Pull::new();
    let ep = pull.bind(&bind_endpoint(transport)).await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    push.send("ABC").await.expect("send");
    assert_eq!(
        within("the first message", pull.recv())
            .await
            .expect("recv"),
        msg(&["ABC"])
    );
    push.disconnect(&ep).expect("disconnect");
    assert!(
        matches!(push.try_send("ABC"), Err(Error::WouldBlock)),
        "no peer is left after the disconnect"
    );
}

/// libzmq's `zmq_disconnect` with `ZMQ_LINGER`: the messages queued for an endpoint that was
/// never reached go out after the disconnect, to a PULL that binds there only then (libzmq 4.3
/// delivers them so with LINGER 5 s), while the socket itself has no peer left at once.
async fn disconnect_lingers_what_was_queued(transport: &str) {
    let ep = unbound_endpoint(transport);
    let push = Push::with_options(
        SocketOptions::new()
            .linger(Some(Duration::from_secs(5)))
            .reconnect_ivl(Some(Duration::from_millis(10))),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}"))
            .await
            .expect("queued for the connection to come");
    }
    push.disconnect(&ep).expect("disconnect");
    assert!(
        matches!(push.try_send("after"), Err(Error::WouldBlock)),
        "the socket has no peer left after the disconnect"
    );
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    for i in 0..3 {
        assert_eq!(
            within("a message queued before the disconnect", pull.recv())
                .await
                .expect("recv"),
            Message::single(format!("queued {i}")),
        );
    }
    assert!(
        matches!(pull.try_recv(), Err(Error::WouldBlock)),
        "nothing sent after the disconnect went there"
    );
}

/// A disconnected endpoint whose connection has nothing left to write ends it: the bound peer
/// loses it (its send would block), as it would lose a closed peer.
async fn disconnect_ends_an_idle_connection(transport: &str) {
    let push = Push::new();
    let ep = push.bind(&bind_endpoint(transport)).await.expect("bind");
    let pull = Pull::new();
    pull.connect(&ep).await.expect("connect");
    push.send("up").await.expect("send");
    assert_eq!(
        within("the first message", pull.recv())
            .await
            .expect("recv"),
        msg(&["up"])
    );
    pull.disconnect(&ep).expect("disconnect");
    eventually("the bound PUSH to lose the disconnected peer", || {
        matches!(push.try_send("x"), Err(Error::WouldBlock))
    })
    .await;
}

/// With `ZMQ_LINGER` 0, a disconnect drops what was queued for the endpoint: a new connect's
/// first message is the first one the peer gets.
async fn disconnect_with_linger_zero_drops_what_was_queued(transport: &str) {
    let ep = unbound_endpoint(transport);
    let push =
        Push::with_options(SocketOptions::new().linger(Some(Duration::ZERO))).expect("options");
    push.connect(&ep).await.expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}"))
            .await
            .expect("queued for the connection to come");
    }
    push.disconnect(&ep).expect("disconnect");
    push.connect(&ep).await.expect("connect again");
    push.send("fresh").await.expect("send");
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    assert_eq!(
        within("the first message", pull.recv())
            .await
            .expect("recv"),
        msg(&["fresh"]),
        "what was queued before the disconnect is gone"
    );
}

// ---------------------------------------------------------------------------------------------
// test_last_endpoint

/// An interface name binds that interface's address, as in libzmq (which looks up the name
/// among the interfaces before resolving it as a host name): `tcp://lo:*` and `tcp://lo:PORT`
/// bind 127.0.0.1 (the first IPv4 address of `lo`, present in every network namespace).
#[tokio::test]
async fn an_interface_name_binds_its_address() {
    let mut pull = Pull::new();
    let ep = pull.bind("tcp://lo:*").await.expect("bind tcp://lo:*");
    let port = ep
        .strip_prefix("tcp://127.0.0.1:")
        .unwrap_or_else(|| panic!("lo's address, 127.0.0.1, expected: {ep}"));
    assert_ne!(port, "0", "the port the OS chose");
    assert_eq!(pull.last_endpoint().as_deref(), Some(ep.as_str()));
    reachable(&mut pull, &ep).await;

    let free = unbound_endpoint("tcp");
    let port = free.rsplit(':').next().expect("a port");
    let mut pull = Pull::new();
    let ep = pull
        .bind(&format!("tcp://lo:{port}"))
        .await
        .expect("bind tcp://lo:PORT");
    assert_eq!(ep, free, "lo's address with the port given");
    reachable(&mut pull, &ep).await;

    // Neither an interface nor a host: the bind fails, naming the endpoint.
    let err = Pull::new()
        .bind("tcp://no-such-interface.invalid:*")
        .await
        .expect_err("an unknown name");
    assert!(
        err.to_string().contains("no-such-interface.invalid"),
        "{err}"
    );
}

/// A message from a new PUSH connected to `ep` reaches `pull`.
async fn reachable(pull: &mut Pull, ep: &str) {
    let push = Push::new();
    push.connect(ep).await.expect("connect");
    push.send(ep.to_owned()).await.expect("send");
    assert_eq!(
        within(&format!("a message via {ep}"), pull.recv())
            .await
            .expect("recv"),
        Message::from([ep.to_owned()])
    );
}

#[tokio::test]
async fn last_endpoint_tcp() {
    for (given, host) in [
        ("tcp://127.0.0.1:*", "127.0.0.1"),
        ("tcp://127.0.0.1:0", "127.0.0.1"),
        ("tcp://*:*", "0.0.0.0"),
        ("tcp://localhost:*", "127.0.0.1"),
    ] {
        let mut pull = Pull::new();
        assert_eq!(pull.last_endpoint(), None, "nothing bound yet");
        let ep = pull.bind(given).await.expect("bind");
        assert_eq!(
            pull.last_endpoint().as_deref(),
            Some(ep.as_str()),
            "ZMQ_LAST_ENDPOINT"
        );
        let (bound_host, port) = ep
            .strip_prefix("tcp://")
            .and_then(|rest| rest.rsplit_once(':'))
            .unwrap_or_else(|| panic!("tcp://host:port expected for {given}, got {ep}"));
        assert_eq!(bound_host, host, "{given} -> {ep}");
        let port: u16 = port.parse().expect("a port number");
        assert_ne!(port, 0, "{given}: the port the OS chose");
        let connect_to = format!("tcp://127.0.0.1:{port}");
        reachable(&mut pull, &connect_to).await;
        // An explicit port comes back as given. The dropped socket's listener closes on the
        // I/O thread, shortly after the drop: the port is free once it has.
        drop(pull);
        let explicit = format!("tcp://127.0.0.1:{port}");
        let again = Pull::new();
        let bound = within("the port to be free again", async {
            loop {
                match again.bind(&explicit).await {
                    Ok(bound) => return bound,
                    Err(Error::Io { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
                    Err(e) => panic!("bind {explicit}: {e}"),
                }
            }
        })
        .await;
        assert_eq!(bound, explicit);
    }
}

#[tokio::test]
async fn last_endpoint_ipc_and_inproc() {
    let mut pull = Pull::new();
    let ep = pull.bind("ipc://*").await.expect("bind");
    assert_eq!(
        pull.last_endpoint().as_deref(),
        Some(ep.as_str()),
        "ZMQ_LAST_ENDPOINT"
    );
    let path = ep.strip_prefix("ipc://").expect("an ipc endpoint");
    assert!(path.starts_with('/'), "an absolute path: {ep}");
    assert!(std::path::Path::new(path).exists(), "{ep} exists");
    reachable(&mut pull, &ep).await;

    let explicit = format!("ipc://{}", common::fresh_ipc_path().display());
    let mut pull = Pull::new();
    assert_eq!(pull.bind(&explicit).await.expect("bind"), explicit);
    reachable(&mut pull, &explicit).await;

    let name = bind_endpoint("inproc");
    let mut pull = Pull::new();
    assert_eq!(pull.bind(&name).await.expect("bind"), name);
    reachable(&mut pull, &name).await;
}

// ---------------------------------------------------------------------------------------------
// test_inproc_connect

#[tokio::test]
async fn inproc_several_connects_before_the_bind() {
    let ep = bind_endpoint("inproc");
    let mut pushes = Vec::new();
    for i in 0..3 {
        let push = Push::new();
        push.connect(&ep).await.expect("connect before bind");
        push.send(Message::from([format!("{i}"), "a".to_string()]))
            .await
            .expect("queued");
        push.send(Message::from([format!("{i}"), "b".to_string()]))
            .await
            .expect("queued");
        pushes.push(push);
    }
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(common::text(
            &within("the queued messages", pull.recv())
                .await
                .expect("recv"),
        ));
    }
    for i in 0..3 {
        let mine: Vec<&Vec<String>> = got.iter().filter(|m| m[0] == i.to_string()).collect();
        assert_eq!(mine.len(), 2, "both of {i}'s messages: {got:?}");
        assert_eq!((mine[0][1].as_str(), mine[1][1].as_str()), ("a", "b"));
    }
}

#[tokio::test]
async fn inproc_a_pending_connect_is_served_by_the_next_bind() {
    let ep = bind_endpoint("inproc");
    let first = Pull::new();
    first.bind(&ep).await.expect("bind");
    let linked = Push::new();
    linked.connect(&ep).await.expect("connect");
    linked.send("one").await.expect("send");
    assert_eq!(
        within("first", first.recv()).await.expect("recv"),
        msg(&["one"])
    );
    first.unbind(&ep).expect("unbind");

    // A connect now waits for the name to be bound again...
    let pending = Push::new();
    pending
        .connect(&ep)
        .await
        .expect("connect to an unbound name");
    pending.send("for the next binder").await.expect("queued");
    // ...while the link made before the unbind still works.
    linked.send("two").await.expect("send");
    assert_eq!(
        within("over the old link", first.recv())
            .await
            .expect("recv"),
        msg(&["two"])
    );
    let second = Pull::new();
    second.bind(&ep).await.expect("the name is free again");
    assert_eq!(
        within("the pending connect served", second.recv())
            .await
            .expect("recv"),
        msg(&["for the next binder"])
    );
    assert!(matches!(first.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn inproc_connect_with_immediate_waits_for_the_bind() {
    let ep = bind_endpoint("inproc");
    let push = Push::with_options(SocketOptions::new().immediate(true)).expect("options");
    push.connect(&ep).await.expect("connect before bind");
    assert!(
        matches!(push.try_send("x"), Err(Error::WouldBlock)),
        "nothing is queued before the bind with ZMQ_IMMEDIATE"
    );
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    push.set_option(OptionName::SndTimeo, -1).expect("option");
    within("the send once bound", push.send("y"))
        .await
        .expect("send");
    assert_eq!(
        within("recv", pull.recv()).await.expect("recv"),
        msg(&["y"])
    );
}
