//! ØMQ (ZeroMQ) in pure Rust, native to Tokio, wire-compatible with libzmq.
//!
//! zmtp gives you ZeroMQ's sockets (REQ, REP, DEALER, ROUTER, PUB, SUB, XPUB, XSUB, PUSH, PULL,
//! PAIR) as `async` Rust types. They speak ZMTP 3.x over `tcp://`, `ipc://` and `inproc://`, so
//! they talk to libzmq 4.x sockets (and the bindings built on it, such as pyzmq), and they can
//! be secured with NULL, PLAIN, CURVE or GSSAPI, with ZAP authentication. There is no C library
//! underneath: the protocol is a sans-IO state machine, and Tokio does the I/O.
//!
//! # Overview
//!
//! This crate is a facade over the project's three crates:
//!
//! - [`socket`] (`zmtp-socket`): the Tokio sockets, contexts, options, monitors and proxies.
//!   Most of what you need is re-exported here, at the top level ([`Req`], [`Router`],
//!   [`SocketOptions`], [`proxy()`], ...).
//! - [`security`] (`zmtp-security`): the security mechanisms, ZAP and CURVE keys (what an
//!   application names, [`CurveKeyPair`], [`ZapRequest`], [`ZapReply`], is also here).
//! - [`codec`] (`zmtp-codec`): the wire protocol with no I/O at all (greeting, frames, commands,
//!   the [`codec::Connection`] state machine), for when you drive the bytes yourself.
//!
//! **Messages** are whole: a [`Message`] holds every frame of a multipart message, and is sent
//! and received in one call (`Message::from(["key", "value"])`; anything that converts into
//! one, such as `"text"`, a `String` or a `Vec<u8>`, is accepted by `send`).
//!
//! **Sending and receiving.** `send(..).await` and `recv().await` wait (bounded by
//! `ZMQ_SNDTIMEO` and `ZMQ_RCVTIMEO`); `try_send` and `try_recv` never wait and return
//! [`Error::WouldBlock`] instead (libzmq's `ZMQ_DONTWAIT`). Receiving sockets are also
//! `futures::Stream`s, sending ones `futures::Sink`s. To wait on several sockets at once
//! (libzmq's `zmq_poll`), use `tokio::select!`.
//!
//! **Sharing a socket.** A socket is a handle, as Tokio's own sockets and channels are: its
//! methods take `&self`, it is `Clone + Send + Sync`, and a clone is a reference count. Many
//! tasks may send and receive on one socket at once: each message is received once and whole,
//! sent whole (never interleaved with another task's frames), and REQ and REP keep their strict
//! alternation for the socket as a whole. A ROUTER server can answer each request from a task
//! of its own:
//!
//! ```
//! use zmtp::{Dealer, Router};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let router = Router::new();
//! let endpoint = router.bind("tcp://127.0.0.1:*").await?;
//! let server = router.clone();
//! tokio::spawn(async move {
//!     while let Ok(request) = server.recv().await {
//!         let replies = server.clone();
//!         tokio::spawn(async move {
//!             let mut reply = request; // [routing id, body]
//!             reply.push_back("done");
//!             let _ = replies.send(reply).await;
//!         });
//!     }
//! });
//! let client = Dealer::new();
//! client.connect(&endpoint).await?;
//! client.send("job").await?;
//! assert_eq!(client.recv().await?.frames()[1], "done");
//! router.close().await; // every handle: the server loop ends
//! # Ok(())
//! # }
//! ```
//!
//! The socket closes (with `ZMQ_LINGER`) when its last handle is dropped, or at
//! [`Socket::close`] on any handle. Every async method says in its documentation whether it is
//! cancel-safe: `send`, `recv` and a stream's `next` are (a dropped `recv` took nothing, a
//! dropped `send` sent nothing).
//!
//! **Contexts and the I/O thread.** Every socket belongs to a [`Context`]. `X::new()` uses the
//! process-wide [`Context::global`]; `X::new_in(&ctx)` uses one you made. Like libzmq's I/O
//! thread, a context runs its sockets' connections (connecting, reconnecting, accepting,
//! handshakes, reading and writing) on a Tokio runtime of its own, on its own thread
//! ([`Context::with_io_threads`] for more; [`Context::on_caller_runtime`] to use your runtime
//! instead). Each context also has its own `inproc://` names.
//!
//! **Linger.** Dropping a socket's last handle closes it, but what it had queued still goes out for up to
//! `ZMQ_LINGER` (30 s by default), even if your own runtime has ended in the meantime.
//! [`Context::term`] waits for that, as `zmq_ctx_term` does:
//!
//! ```
//! use std::time::Duration;
//! use zmtp::{Context, Push, SocketOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let ctx = Context::new()?;
//! let linger = SocketOptions::new().linger(Some(Duration::from_millis(100)));
//! let push = Push::with_options_in(&ctx, linger)?;
//! push.connect("tcp://127.0.0.1:5555").await?; // connects in the background
//! push.send("goodbye").await?; // queued until a peer is there
//! drop(push); // closed, but the message is still sent if a peer turns up within 100 ms
//! ctx.term().await; // returns once every socket has flushed or its linger ran out
//! # Ok(())
//! # }
//! ```
//!
//! # Quick start, pattern by pattern
//!
//! Every example below runs as it is (they are tested). Binding to `tcp://127.0.0.1:*` lets the
//! OS choose a port; `bind` returns the endpoint actually bound, ready to `connect` to.
//!
//! ## Request-reply: REQ and REP
//!
//! A REQ sends a request and must take the reply before its next request; a REP answers each
//! request in turn. The envelope that routes the reply back is handled by the sockets.
//!
//! ```
//! use zmtp::{Rep, Req};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let server = Rep::new();
//! let endpoint = server.bind("tcp://127.0.0.1:*").await?;
//! tokio::spawn(async move {
//!     while let Ok(request) = server.recv().await {
//!         let name = String::from_utf8_lossy(&request.frames()[0]).into_owned();
//!         if server.send(format!("hello, {name}")).await.is_err() {
//!             break;
//!         }
//!     }
//! });
//!
//! let client = Req::new();
//! client.connect(&endpoint).await?;
//! client.send("world").await?;
//! let reply = client.recv().await?;
//! assert_eq!(reply.frames()[0], "hello, world");
//! # Ok(())
//! # }
//! ```
//!
//! ## Publish-subscribe: PUB and SUB
//!
//! A PUB sends each message to every SUB with a subscription that is a prefix of its first
//! frame; the filtering happens at the publisher. A subscription takes a moment to reach the
//! publisher, and what is published before then is not delivered to that subscriber (ZeroMQ's
//! "slow joiner"). Here the publisher simply publishes until the subscriber hears something;
//! [XPUB](#xpub-xsub-and-the-proxies) can instead wait for the subscription itself.
//!
//! ```
//! use std::time::Duration;
//! use zmtp::{Pub, Sub};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let publisher = Pub::new();
//! let endpoint = publisher.bind("tcp://127.0.0.1:*").await?;
//! let subscriber = Sub::new();
//! subscriber.connect(&endpoint).await?;
//! subscriber.subscribe("weather.")?;
//!
//! let reading = loop {
//!     publisher.send(["sports.ski", "gold"]).await?; // nobody subscribed: never sent
//!     publisher.send(["weather.oslo", "-3C"]).await?;
//!     let wait = Duration::from_millis(10);
//!     if let Ok(reading) = tokio::time::timeout(wait, subscriber.recv()).await {
//!         break reading?;
//!     }
//! };
//! assert_eq!(reading.frames()[0], "weather.oslo");
//! # Ok(())
//! # }
//! ```
//!
//! ## Pipeline: PUSH and PULL
//!
//! A PUSH hands each message to one of its connected PULLs in turn (round-robin); a PULL takes
//! from all its PUSHes fairly. Here two producers send results to one sink; each producer is
//! dropped right after sending, and linger still delivers its message.
//!
//! ```
//! use zmtp::{Pull, Push};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let sink = Pull::new();
//! let endpoint = sink.bind("tcp://127.0.0.1:*").await?;
//! for name in ["a", "b"] {
//!     let producer = Push::new();
//!     producer.connect(&endpoint).await?;
//!     producer.send(format!("result from {name}")).await?;
//! }
//! for _ in 0..2 {
//!     let result = sink.recv().await?;
//!     println!("{}", String::from_utf8_lossy(&result.frames()[0]));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Routing: ROUTER and DEALER
//!
//! A DEALER is an asynchronous REQ: it sends and receives freely, spreading what it sends over
//! its peers. A ROUTER knows its peers by routing id: every message it receives starts with the
//! sender's id, and every message it sends must start with the id of the peer to send it to.
//! A peer's id is the `ZMQ_ROUTING_ID` it chose (below, with the `identity` option), or one the
//! ROUTER makes up.
//!
//! ```
//! use zmtp::{Dealer, Message, Router, SocketOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let broker = Router::new();
//! let endpoint = broker.bind("tcp://127.0.0.1:*").await?;
//! let worker = Dealer::with_options(SocketOptions::new().identity("worker-1"))?;
//! worker.connect(&endpoint).await?;
//! worker.send("ready").await?;
//!
//! let msg = broker.recv().await?; // [routing id, body]
//! assert_eq!(msg.frames()[0], "worker-1");
//! assert_eq!(msg.frames()[1], "ready");
//! let who = msg.frames()[0].clone();
//! broker.send(Message::from([who, "task 1".into()])).await?;
//!
//! let task = worker.recv().await?; // the routing id was taken off
//! assert_eq!(task.frames()[0], "task 1");
//! # Ok(())
//! # }
//! ```
//!
//! ## Exclusive pair: PAIR
//!
//! A PAIR talks to exactly one other PAIR, both ways; it is typically used between tasks over
//! `inproc://`, which needs both sockets in the same context. Like every socket it is a
//! handle: a clone, here a `Stream` read by another task, shares it.
//!
//! ```
//! use futures::StreamExt;
//! use zmtp::{Context, Pair};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ctx = Context::new()?;
//! let left = Pair::new_in(&ctx)?;
//! left.bind("inproc://pair-example").await?;
//! let right = Pair::new_in(&ctx)?;
//! right.connect("inproc://pair-example").await?;
//!
//! let reader = tokio::spawn(right.clone().take(3).collect::<Vec<_>>());
//! for word in ["one", "two", "three"] {
//!     left.send(word).await?;
//! }
//! right.send("got them").await?;
//! assert_eq!(reader.await?.len(), 3);
//! assert_eq!(left.recv().await?.frames()[0], "got them");
//! # Ok(())
//! # }
//! ```
//!
//! ## XPUB, XSUB and the proxies
//!
//! An XPUB is a PUB that also receives its subscribers' subscriptions (a frame of byte 1 then
//! the prefix; byte 0 for a cancel), and an XSUB is a SUB whose subscriptions are messages the
//! application sends. Together they make forwarders; an XPUB also lets a publisher wait until
//! someone listens:
//!
//! ```
//! use zmtp::{Sub, XPub};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let publisher = XPub::new();
//! let endpoint = publisher.bind("tcp://127.0.0.1:*").await?;
//! let subscriber = Sub::new();
//! subscriber.connect(&endpoint).await?;
//! subscriber.subscribe("alerts")?;
//!
//! let subscription = publisher.recv().await?;
//! assert_eq!(subscription.frames()[0][..], b"\x01alerts"[..]);
//! publisher.send(["alerts", "disk full"]).await?; // the subscriber is known now
//! assert_eq!(subscriber.recv().await?.frames()[1], "disk full");
//! # Ok(())
//! # }
//! ```
//!
//! [`proxy()`] (libzmq's `zmq_proxy`) moves messages between two sockets until one is closed:
//! `proxy(xsub, xpub, None::<&mut Pub>)` is a forwarder between publishers and subscribers,
//! `proxy(router, dealer, ..)` a queue between clients and workers, and the optional third
//! socket gets a copy of everything. [`proxy_steerable`] takes PAUSE, RESUME, TERMINATE and
//! STATISTICS on a control socket; [`proxy_with_handle`] takes them from Rust. A streamer
//! between PUSH producers and PULL consumers:
//!
//! ```
//! use zmtp::{proxy_with_handle, Pub, Pull, Push};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let frontend = Pull::new();
//! let for_producers = frontend.bind("tcp://127.0.0.1:*").await?;
//! let backend = Push::new();
//! let for_consumers = backend.bind("tcp://127.0.0.1:*").await?;
//! let (control, streamer) = proxy_with_handle(frontend, backend, None::<&mut Pub>);
//! let streamer = tokio::spawn(streamer);
//!
//! let producer = Push::new();
//! producer.connect(&for_producers).await?;
//! let consumer = Pull::new();
//! consumer.connect(&for_consumers).await?;
//! producer.send("job 1").await?;
//! assert_eq!(consumer.recv().await?.frames()[0], "job 1");
//!
//! assert_eq!(control.statistics().await?.backend.messages_sent, 1);
//! control.terminate().await?;
//! streamer.await??;
//! # Ok(())
//! # }
//! ```
//!
//! # Security
//!
//! Sockets use NULL (no security) unless told otherwise. A server authenticates clients with a
//! ZAP handler: a closure given to `set_zap_handler`, called with each client's
//! [`ZapRequest`] during its handshake, returning a
//! [`ZapReply`] (`accept` with a user id, or `refuse`). As in libzmq, a REP
//! bound at `inproc://zeromq.zap.01` in the socket's context works too.
//!
//! ## CURVE with a ZAP handler
//!
//! CURVE encrypts the connection and authenticates both ends by their key pairs; the client
//! must know the server's public key, and the ZAP handler sees the client's:
//!
//! ```
//! use zmtp::{CurveKeyPair, Rep, Req, SocketOptions, ZapReply, ZapRequest};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let (server_keys, client_keys) = (CurveKeyPair::generate(), CurveKeyPair::generate());
//! let server_options = SocketOptions::new()
//!     .curve_server(true)
//!     .curve_secret_key(server_keys.secret().clone());
//! let server = Rep::with_options(server_options)?;
//! let allowed = *client_keys.public();
//! server.set_zap_handler(move |req: ZapRequest| async move {
//!     match req.credentials.first() {
//!         Some(key) if key[..] == allowed.as_bytes()[..] => ZapReply::accept("client-1"),
//!         _ => ZapReply::refuse("unknown key"),
//!     }
//! });
//! let endpoint = server.bind("tcp://127.0.0.1:*").await?;
//!
//! let client = Req::with_options(
//!     SocketOptions::new()
//!         .curve_server_key(*server_keys.public())
//!         .curve_public_key(*client_keys.public())
//!         .curve_secret_key(client_keys.secret().clone()),
//! )?;
//! client.connect(&endpoint).await?;
//! client.send("over an encrypted connection").await?;
//! let request = server.recv().await?;
//! server.send(request).await?;
//! assert_eq!(client.recv().await?.frames()[0], "over an encrypted connection");
//! # Ok(())
//! # }
//! ```
//!
//! Keys are kept and exchanged as Z85 text, as libzmq's are:
//! `CurveKeyPair::generate().public().to_z85()`, and `CurvePublicKey::from_z85(..)` back.
//!
//! ## PLAIN
//!
//! PLAIN sends a user name and password in clear (use it on trusted networks only); the ZAP
//! handler gets them as the request's two credentials:
//!
//! ```
//! # use zmtp::SocketOptions;
//! let server = SocketOptions::new().plain_server(true);
//! let client = SocketOptions::new().plain_username("admin").plain_password("secret");
//! # let _ = (server, client);
//! ```
//!
//! GSSAPI (Kerberos) is behind the `gssapi` feature (`gssapi_server`, `gssapi_principal`, ...).
//!
//! # Socket options
//!
//! Every option of libzmq's `zmq_setsockopt` table exists, with libzmq's defaults and checks.
//! Give them to a new socket with the [`SocketOptions`] builder (an invalid value fails
//! `with_options`, naming the option), or set them on a live socket with `set_option`, by
//! [`OptionName`] and libzmq's raw value ([`OptionValue`]). Read them back with `options()`.
//!
//! ```
//! use std::time::Duration;
//! use zmtp::{Dealer, Error, OptionName, SocketOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let dealer = Dealer::with_options(
//!     SocketOptions::new()
//!         .sndhwm(10_000)
//!         .linger(Some(Duration::from_secs(1)))
//!         .identity("worker-1"),
//! )?;
//! assert!(Dealer::with_options(SocketOptions::new().sndhwm(-1)).is_err());
//!
//! dealer.set_option(OptionName::RcvTimeo, 50)?; // milliseconds, as in libzmq
//! assert_eq!(dealer.options().get_rcvtimeo(), Some(Duration::from_millis(50)));
//! assert!(matches!(dealer.recv().await, Err(Error::Timeout(_)))); // nothing came
//! # Ok(())
//! # }
//! ```
//!
//! [`OptionName::in_effect`] tells which options act today (a few rows, such as the multicast
//! ones, are accepted and kept but do nothing yet).
//!
//! # Monitoring
//!
//! `socket.monitor()` gives a `Stream` of the socket's [`MonitorEvent`]s, libzmq's
//! `ZMQ_EVENT_*`: listening, connected, accepted, handshake succeeded or failed (and why),
//! disconnected, retried... It ends after `MonitorStopped`, when the socket closes.
//! (`monitor_to` publishes them on an `inproc://` PAIR in libzmq's two-frame form instead.)
//!
//! ```
//! use futures::StreamExt;
//! use zmtp::{MonitorEvent, Rep, Req};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zmtp::Result<()> {
//! let server = Rep::new();
//! let mut events = server.monitor(); // before bind, to see LISTENING too
//! let endpoint = server.bind("tcp://127.0.0.1:*").await?;
//! let client = Req::new();
//! client.connect(&endpoint).await?;
//! while let Some(event) = events.next().await {
//!     println!("{event}"); // "LISTENING tcp://127.0.0.1:40123", "ACCEPTED ...", ...
//!     if let MonitorEvent::HandshakeSucceeded { .. } = event {
//!         break;
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Connections also log through `tracing` (a span per listener and per connection, nothing per
//! message).
//!
//! # Cargo features
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `curve` | on | the CURVE mechanism (`ZMQ_CURVE_*`) and key generation, on RustCrypto's `salsa20` and `poly1305`, `subtle` and `x25519-dalek` (no C library) |
//! | `curve-sodium` | off | CURVE's boxes on the system's libsodium (libzmq's own), through `libsodium-sys-stable` and pkg-config: 2-4x faster boxes, a C library to link; the same bytes on the wire |
//! | `socks` | on | `ZMQ_SOCKS_PROXY`: tcp connects through a SOCKS5 proxy, with `tokio-socks` |
//! | `gssapi` | off | the GSSAPI (Kerberos) mechanism; links the system's GSS-API (MIT krb5) and needs clang to build |
//!
//! `default-features = false` gives a NULL/PLAIN build without any cryptography crate. In such a
//! build the options of a missing feature are refused when set, naming the feature
//! ([`OptionError::FeatureDisabled`]): a socket never
//! silently runs without the security or the proxy it was asked for.
//!
//! **CURVE in debug builds.** Unoptimized, XSalsa20-Poly1305 is several times slower than the
//! rest of a connection. To keep your own code in debug but the cryptography optimized, add
//! this to *your* `Cargo.toml` (profiles are the top-level package's to set; a dependency's
//! are ignored):
//!
//! ```toml
//! [profile.dev.package.salsa20]
//! opt-level = 3
//! [profile.dev.package.poly1305]
//! opt-level = 3
//! [profile.dev.package.curve25519-dalek]
//! opt-level = 3
//! ```
//!
//! # Coming from libzmq
//!
//! The behaviour and the option table are libzmq's; the API is shaped for Rust: typed sockets
//! instead of `zmq_socket(ctx, type)`, whole messages instead of `ZMQ_SNDMORE`, `Result`s
//! instead of `errno`, `async` instead of blocking. The [`coming_from_libzmq`] page maps
//! libzmq's calls, errors and pyzmq's idioms onto zmtp (in the repository:
//! docs/coming-from-libzmq.md).
#![forbid(unsafe_code)]
// Library code handles every failure (no `expect`; `unwrap` is warned workspace-wide), and each
// narrowing cast says why it cannot truncate or lose a sign (tests may do either).
#![cfg_attr(
    not(test),
    warn(
        clippy::expect_used,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )
)]

pub use zmtp_codec as codec;
pub use zmtp_security as security;
pub use zmtp_socket as socket;

pub use zmtp_codec::{Message, SocketType};
// Authentication and keys: the ZAP request and reply a handler sees and answers
// (`set_zap_handler`), the handler trait, and the CURVE keys options take. One import path:
// `zmtp::ZapRequest`, `zmtp::CurveKeyPair` (the same types as under `codec` and `security`).
pub use zmtp_codec::{ZapReply, ZapRequest};
pub use zmtp_security::zap::ZapHandler;
pub use zmtp_security::{CurveKeyPair, CurvePublicKey, CurveSecretKey, KeyError};
// The sockets (every name, `Socket`, `kind`), contexts, options and errors: a new socket type
// is exported without a change here.
pub use zmtp_socket::*;
pub use zmtp_socket::{Context, Error, OptionName, OptionValue, Result, SocketOptions};
// libzmq's zmq_proxy and zmq_proxy_steerable (the `proxy` module and function), and the socket
// monitor (zmq_socket_monitor).
pub use zmtp_socket::{
    proxy, proxy_steerable, proxy_with_handle, Monitor, MonitorEvent, ProxyCommand, ProxyControl,
    ProxyStatistics,
};

/// libzmq's calls, error numbers and pyzmq's idioms, and their zmtp equivalents (the
/// repository's docs/coming-from-libzmq.md).
#[doc = include_str!("../docs/coming-from-libzmq.md")]
pub mod coming_from_libzmq {}
