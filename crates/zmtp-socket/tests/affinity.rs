//! `ZMQ_AFFINITY`: which of a context's I/O threads run a socket's connections.
//!
//! libzmq gives each I/O thread a bit of the mask: a bind or connect runs its listener or
//! session on the least loaded thread among those the mask allows (0: all), each accepted
//! connection chooses again, and a mask naming no thread of the context is `EMTHREAD`. Here an
//! I/O thread is a `current_thread` runtime named `zmtp-io-<i>`; which thread a connection runs
//! on is observed through a ZAP handler, which the connection's task calls on its own thread.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use zmtp_codec::{ZapReply, ZapRequest};
use zmtp_socket::{Context, Dealer, Error, Router, SocketOptions};

use common::{bind_endpoint, within};

/// The names of the threads a ZAP handler was called on, one per handshake.
#[derive(Clone, Default)]
struct Threads(Arc<Mutex<Vec<String>>>);

impl Threads {
    fn handler(&self) -> impl Fn(ZapRequest) -> std::future::Ready<ZapReply> + Send + Sync {
        let seen = self.0.clone();
        move |_| {
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            seen.lock().expect("lock").push(name);
            std::future::ready(ZapReply::accept("anyone"))
        }
    }

    fn names(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

/// A ROUTER authenticating with a ZAP domain and `threads`' handler, bound on `transport`.
async fn router(
    ctx: &Context,
    affinity: u64,
    transport: &str,
    threads: &Threads,
) -> (Router, String) {
    let options = SocketOptions::new()
        .affinity(affinity)
        .zap_domain("affinity");
    let router = Router::with_options_in(ctx, options).expect("router");
    router.set_zap_handler(threads.handler());
    let ep = router.bind(&bind_endpoint(transport)).await.expect("bind");
    (router, ep)
}

/// A DEALER of its own one-thread context, connected to `ep`, that has done a round trip
/// through `router` (so its handshake, and the ZAP request, are complete).
async fn client(router: &mut Router, ep: &str, n: usize) -> Dealer {
    let dealer = Dealer::new_in(&Context::new().expect("context")).expect("dealer");
    dealer.connect(ep).await.expect("connect");
    dealer.send(format!("hello {n}")).await.expect("send");
    let msg = within("the hello", router.recv()).await.expect("recv");
    router.send(msg).await.expect("reply");
    within("the reply", dealer.recv()).await.expect("reply");
    dealer
}

#[tokio::test]
async fn accepted_connections_run_on_the_thread_the_mask_names() {
    for transport in ["tcp", "ipc"] {
        let ctx = Context::with_io_threads(3).expect("context");
        let threads = Threads::default();
        let (mut router, ep) = router(&ctx, 0b100, transport, &threads).await;
        let _clients = [
            client(&mut router, &ep, 0).await,
            client(&mut router, &ep, 1).await,
        ];
        assert_eq!(
            threads.names(),
            ["zmtp-io-2", "zmtp-io-2"],
            "{transport}: ZMQ_AFFINITY 0b100 keeps every connection on I/O thread 2"
        );
    }
}

#[tokio::test]
async fn a_connecting_socket_runs_on_the_thread_the_mask_names() {
    for transport in ["tcp", "ipc"] {
        // The connecting side is the PLAIN server here, so its own handshake asks its handler.
        let server_ctx = Context::with_io_threads(3).expect("context");
        let threads = Threads::default();
        let connecting = Dealer::with_options_in(
            &server_ctx,
            SocketOptions::new().affinity(0b010).plain_server(true),
        )
        .expect("dealer");
        connecting.set_zap_handler(threads.handler());
        let bound = Router::with_options_in(
            &Context::new().expect("context"),
            SocketOptions::new().plain_username("u").plain_password("p"),
        )
        .expect("router");
        let ep = bound.bind(&bind_endpoint(transport)).await.expect("bind");
        connecting.connect(&ep).await.expect("connect");
        connecting.send("hello").await.expect("send");
        within("the hello", bound.recv()).await.expect("recv");
        assert_eq!(
            threads.names(),
            ["zmtp-io-1"],
            "{transport}: ZMQ_AFFINITY 0b010"
        );
    }
}

#[tokio::test]
async fn without_a_mask_accepted_connections_spread_over_the_threads() {
    let ctx = Context::with_io_threads(2).expect("context");
    let threads = Threads::default();
    let (mut router, ep) = router(&ctx, 0, "tcp", &threads).await;
    let mut clients = Vec::new();
    for n in 0..4 {
        clients.push(client(&mut router, &ep, n).await);
    }
    // The least loaded thread takes each new connection; the listener and the connections
    // that live on count as load, so both threads get some.
    let used: BTreeSet<String> = threads.names().into_iter().collect();
    assert_eq!(
        used,
        BTreeSet::from(["zmtp-io-0".to_owned(), "zmtp-io-1".to_owned()]),
        "connections on both I/O threads: {:?}",
        threads.names()
    );
}

#[tokio::test]
async fn a_mask_naming_no_thread_of_the_context_is_emthread() {
    let ctx = Context::with_io_threads(2).expect("context");
    let options = SocketOptions::new().affinity(0b100);
    for transport in ["tcp", "ipc"] {
        let router = Router::with_options_in(&ctx, options.clone()).expect("router");
        let e = router
            .bind(&bind_endpoint(transport))
            .await
            .expect_err("no I/O thread 2");
        assert!(
            matches!(
                e,
                Error::NoIoThread {
                    affinity: 0b100,
                    io_threads: 2
                }
            ),
            "{transport} bind: {e}"
        );
        assert!(e.to_string().contains("EMTHREAD"), "{e}");
        let dealer = Dealer::with_options_in(&ctx, options.clone()).expect("dealer");
        let e = dealer
            .connect(&common::unbound_endpoint(transport))
            .await
            .expect_err("no I/O thread 2");
        assert!(
            matches!(e, Error::NoIoThread { .. }),
            "{transport} connect: {e}"
        );
    }
    // inproc uses no I/O thread (libzmq), so the mask does not matter there.
    let router = Router::with_options_in(&ctx, options.clone()).expect("router");
    router
        .bind("inproc://affinity-any")
        .await
        .expect("inproc bind");
    let dealer = Dealer::with_options_in(&ctx, options).expect("dealer");
    dealer
        .connect("inproc://affinity-any")
        .await
        .expect("inproc connect");
    dealer.send("x").await.expect("send");
    within("inproc message", router.recv()).await.expect("recv");
}

#[tokio::test]
async fn the_callers_runtime_has_no_threads_to_choose_from() {
    let ctx = Context::on_caller_runtime();
    let threads = Threads::default();
    let (mut router, ep) = router(&ctx, 0b1000, "tcp", &threads).await;
    let _client = client(&mut router, &ep, 0).await;
    assert_eq!(threads.names().len(), 1, "served whatever the mask");
}
