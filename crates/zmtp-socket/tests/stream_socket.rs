//! STREAM sockets (`ZMQ_STREAM`) with peers that are not ZeroMQ: plain tokio TCP clients and
//! servers speaking HTTP or echoing bytes. Routing ids, `ZMQ_STREAM_NOTIFY`'s empty messages,
//! closing a connection with an empty frame, `ZMQ_CONNECT_RID`, reads arriving in chunks, and
//! ROUTER with `ZMQ_ROUTER_RAW`. Every wait is bounded.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zmtp_socket::{Error, Message, MonitorEvent, Router, SocketOptions, StreamSocket};

const LIMIT: Duration = Duration::from_secs(30);
const RESPONSE: &[u8] =
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} within {LIMIT:?}"))
}

/// The next message of a STREAM, as (routing id, data).
async fn next(socket: &mut StreamSocket) -> (Bytes, Bytes) {
    let msg = within("a message", socket.recv()).await.expect("recv");
    assert_eq!(msg.len(), 2, "[routing id, data]: {msg:?}");
    (msg.frames()[0].clone(), msg.frames()[1].clone())
}

async fn bound(options: SocketOptions) -> (StreamSocket, String) {
    let server = StreamSocket::with_options(options).expect("a STREAM");
    let ep = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.trim_start_matches("tcp://").to_owned();
    (server, addr)
}

#[tokio::test]
async fn an_http_client_gets_the_answer_and_then_end_of_stream() {
    let (mut server, addr) = bound(SocketOptions::new()).await;
    let mut monitor = server.monitor();
    let client = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.0\r\n\r\n")
            .await
            .expect("request");
        let mut response = Vec::new();
        within("the response and EOF", stream.read_to_end(&mut response))
            .await
            .expect("read");
        response
    });
    let (id, data) = next(&mut server).await;
    assert!(data.is_empty(), "the connection is announced first");
    assert_eq!((id.len(), id[0]), (5, 0), "a generated routing id");
    let mut request = Vec::new();
    while !request.ends_with(b"\r\n\r\n") {
        let (from, data) = next(&mut server).await;
        assert_eq!(from, id);
        assert!(!data.is_empty(), "no disconnect before the answer");
        request.extend_from_slice(&data);
    }
    assert_eq!(request, b"GET / HTTP/1.0\r\n\r\n");
    server
        .send(Message::from([id.clone(), Bytes::from_static(RESPONSE)]))
        .await
        .expect("answer");
    server
        .send(Message::from([id.clone(), Bytes::new()]))
        .await
        .expect("close");
    let response = within("the client", client).await.expect("client task");
    assert_eq!(response, RESPONSE, "the whole response, then end of stream");
    // The id is gone once the connection is closed (the monitor hears of it after that).
    disconnected(&mut monitor).await;
    assert!(matches!(
        server.try_send(Message::from([id.clone(), Bytes::from_static(b"x")])),
        Err(Error::HostUnreachable(gone)) if gone == id
    ));
    assert!(
        matches!(server.try_recv(), Err(Error::WouldBlock)),
        "no notice for a close the application asked for"
    );
}

/// Waits for the monitor's next `ZMQ_EVENT_DISCONNECTED`.
async fn disconnected(monitor: &mut zmtp_socket::Monitor) {
    loop {
        match within("monitor events", monitor.next()).await {
            Some(MonitorEvent::Disconnected { .. }) => return,
            Some(_) => {}
            None => panic!("the monitor ended"),
        }
    }
}

/// A one-shot HTTP/1.0 server: reads a request, answers, closes; `accepts` times.
async fn http_server(accepts: usize) -> (String, tokio::task::JoinHandle<Vec<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr").to_string();
    let task = tokio::spawn(async move {
        let mut requests = Vec::new();
        for _ in 0..accepts {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut buf).await.expect("read");
                assert!(n > 0, "the whole request before EOF");
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(RESPONSE).await.expect("answer");
            drop(stream);
            requests.push(request);
        }
        requests
    });
    (addr, task)
}

/// Reads `[id, data]` messages until `[id, empty]`, returning the data read.
async fn read_until_disconnect(socket: &mut StreamSocket, id: &Bytes) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        let (from, data) = next(socket).await;
        assert_eq!(&from, id);
        if data.is_empty() {
            return got;
        }
        got.extend_from_slice(&data);
    }
}

#[tokio::test]
async fn as_a_client_of_an_http_server_with_notifications_and_a_reconnect() {
    let (addr, server) = http_server(2).await;
    let mut client = StreamSocket::new();
    let mut monitor = client.monitor();
    client
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    let (id, data) = next(&mut client).await;
    assert!(data.is_empty(), "connected");
    client
        .send(Message::from([
            id.clone(),
            Bytes::from_static(b"GET / HTTP/1.0\r\n"),
            Bytes::from_static(b"\r\n"),
        ]))
        .await
        .expect("request");
    assert_eq!(read_until_disconnect(&mut client, &id).await, RESPONSE);
    // The connect is remade (ZMQ_RECONNECT_IVL), under the same routing id.
    let (again, data) = next(&mut client).await;
    assert_eq!((again.clone(), data.len()), (id.clone(), 0), "reconnected");
    client
        .send(Message::from([
            id.clone(),
            Bytes::from_static(b"GET /2 HTTP/1.0\r\n\r\n"),
        ]))
        .await
        .expect("second request");
    assert_eq!(read_until_disconnect(&mut client, &id).await, RESPONSE);
    let requests = within("the server", server).await.expect("server task");
    assert_eq!(
        requests,
        [&b"GET / HTTP/1.0\r\n\r\n"[..], b"GET /2 HTTP/1.0\r\n\r\n"],
        "frames after the routing id are written one after the other, no ZMTP byte"
    );
    // The monitor saw the raw connections as connected and then disconnected.
    disconnected(&mut monitor).await;
    disconnected(&mut monitor).await;
}

/// Bytes that are not a repetition of a short pattern.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

#[tokio::test]
async fn a_mebibyte_arrives_in_chunks_and_goes_back_whole() {
    let (mut server, addr) = bound(SocketOptions::new()).await;
    let payload = pattern(1 << 20);
    let sent = payload.clone();
    let peer = tokio::spawn(async move {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut rd, mut wr) = stream.into_split();
        let writer = tokio::spawn(async move {
            wr.write_all(&sent).await.expect("write");
            wr
        });
        let mut echoed = vec![0u8; 1 << 20];
        rd.read_exact(&mut echoed).await.expect("the echo");
        drop(writer.await.expect("writer"));
        echoed
    });
    let (id, data) = next(&mut server).await;
    assert!(data.is_empty());
    let mut got = Vec::new();
    let mut messages = 0;
    while got.len() < payload.len() {
        let (from, data) = next(&mut server).await;
        assert_eq!(from, id);
        assert!(!data.is_empty());
        messages += 1;
        got.extend_from_slice(&data);
    }
    assert!(messages > 1, "a large transfer arrives in several reads");
    assert!(got == payload, "byte-exact");
    server
        .send(Message::from([id.clone(), Bytes::from(got)]))
        .await
        .expect("echo");
    let echoed = within("the echo", peer).await.expect("peer");
    assert!(echoed == payload, "the echo is byte-exact");
    let (from, data) = next(&mut server).await;
    assert_eq!((from, data.len()), (id, 0), "the peer's close is announced");
}

#[tokio::test]
async fn several_peers_have_distinct_ids_and_get_their_own_answers() {
    let (mut server, addr) = bound(SocketOptions::new()).await;
    let mut peers = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let addr = addr.clone();
        peers.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.write_all(name.as_bytes()).await.expect("name");
            let mut answer = vec![0u8; name.len() + 6];
            within("the answer", stream.read_exact(&mut answer))
                .await
                .expect("read");
            (name, answer)
        }));
    }
    let mut ids: std::collections::HashMap<Bytes, Vec<u8>> = std::collections::HashMap::new();
    let mut named = 0;
    while named < 3 {
        let (id, data) = next(&mut server).await;
        if data.is_empty() {
            // A new connection, or one that got its answer and went.
            if let Some(name) = ids.get(&id) {
                assert!(name.len() >= 4, "a disconnect after the answer only");
            } else {
                ids.insert(id, Vec::new());
            }
            continue;
        }
        let so_far = ids.get_mut(&id).expect("announced before its data");
        so_far.extend_from_slice(&data);
        if so_far.len() >= 4 {
            let name = so_far.clone();
            let mut answer = b"hello ".to_vec();
            answer.extend_from_slice(&name);
            server
                .send(Message::from([id.clone(), Bytes::from(answer)]))
                .await
                .expect("answer");
            named += 1;
        }
    }
    assert_eq!(ids.len(), 3);
    for peer in peers {
        let (name, answer) = within("a peer", peer).await.expect("peer");
        assert_eq!(answer, format!("hello {name}").as_bytes());
    }
}

#[tokio::test]
async fn without_stream_notify_there_are_no_empty_messages() {
    let (mut server, addr) = bound(SocketOptions::new().stream_notify(false)).await;
    let mut monitor = server.monitor();
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(b"x").await.expect("write");
    let (id, data) = next(&mut server).await;
    assert_eq!(&data[..], b"x", "the data comes first: no connect notice");
    drop(stream);
    // Once the socket has seen the disconnect, nothing more is there to read.
    disconnected(&mut monitor).await;
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(
        server.try_send(Message::from([id, Bytes::from_static(b"late")])),
        Err(Error::HostUnreachable(_))
    ));
}

#[tokio::test]
async fn connect_rid_names_the_connection_before_it_exists() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut client =
        StreamSocket::with_options(SocketOptions::new().connect_rid("web")).expect("a STREAM");
    client
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    // Addressable at once: the message waits for the connection.
    client
        .send(Message::from(["web", "ping"]))
        .await
        .expect("send before the connection");
    let (mut stream, _) = within("accept", listener.accept()).await.expect("accept");
    let (id, data) = next(&mut client).await;
    assert_eq!((&id[..], data.len()), (&b"web"[..], 0));
    let mut buf = [0u8; 4];
    within("ping", stream.read_exact(&mut buf))
        .await
        .expect("read");
    assert_eq!(&buf, b"ping", "raw bytes, no greeting before them");
    stream.write_all(b"pong").await.expect("write");
    let (id, data) = next(&mut client).await;
    assert_eq!((&id[..], &data[..]), (&b"web"[..], &b"pong"[..]));
}

#[tokio::test]
async fn unknown_ids_bad_messages_and_inproc_are_refused() {
    let (server, _addr) = bound(SocketOptions::new()).await;
    assert!(matches!(
        server.send(Message::from(["nobody", "x"])).await,
        Err(Error::HostUnreachable(id)) if id == "nobody"
    ));
    assert!(matches!(
        server.send(Message::from(["nobody"])).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(server.bind("inproc://stream-socket-test").await.is_err());
    assert!(server.connect("inproc://stream-socket-test").await.is_err());
}

async fn router_recv(router: &mut Router) -> Message {
    within("a message", router.recv()).await.expect("recv")
}

#[tokio::test]
async fn a_router_with_router_raw_speaks_raw_bytes() {
    let mut router = Router::with_options(SocketOptions::new().router_raw(true)).expect("ROUTER");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut stream = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    stream.write_all(b"hi").await.expect("write");
    let notice = router_recv(&mut router).await;
    assert_eq!(notice.len(), 2);
    assert!(notice.frames()[1].is_empty(), "announced");
    let id = notice.frames()[0].clone();
    let mut got = Vec::new();
    while got.len() < 2 {
        let msg = router_recv(&mut router).await;
        assert_eq!(msg.frames()[0], id);
        got.extend_from_slice(&msg.frames()[1]);
    }
    assert_eq!(got, b"hi");
    router
        .send(Message::from([id.clone(), Bytes::from_static(b"yo")]))
        .await
        .expect("send");
    router
        .send(Message::from([id, Bytes::new()]))
        .await
        .expect("close");
    let mut all = Vec::new();
    within("the answer and EOF", stream.read_to_end(&mut all))
        .await
        .expect("read");
    assert_eq!(all, b"yo", "no greeting, the data, then end of stream");
}

#[tokio::test]
async fn over_ipc_too() {
    let mut server = StreamSocket::new();
    let ep = server.bind("ipc://*").await.expect("bind");
    let mut stream = tokio::net::UnixStream::connect(ep.trim_start_matches("ipc://"))
        .await
        .expect("connect");
    stream.write_all(b"abc").await.expect("write");
    let (id, data) = next(&mut server).await;
    assert!(data.is_empty(), "announced");
    let mut got = Vec::new();
    while got.len() < 3 {
        let (from, data) = next(&mut server).await;
        assert_eq!(from, id);
        got.extend_from_slice(&data);
    }
    assert_eq!(got, b"abc");
    server
        .send(Message::from([id.clone(), Bytes::from_static(b"def")]))
        .await
        .expect("send");
    server
        .send(Message::from([id, Bytes::new()]))
        .await
        .expect("close");
    let mut all = Vec::new();
    within("the answer and EOF", stream.read_to_end(&mut all))
        .await
        .expect("read");
    assert_eq!(all, b"def");
}

/// A connection the application closes (an empty message) is not remade by a connecting
/// STREAM, as libzmq ends such a session: no second connection reaches the server while a clock
/// client with the same `ZMQ_RECONNECT_IVL` makes ten attempts elsewhere (counted, not slept).
#[tokio::test]
async fn a_connection_the_application_closes_is_not_remade() {
    const IVL: Duration = Duration::from_millis(10);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut client = StreamSocket::with_options(SocketOptions::new().reconnect_ivl(Some(IVL)))
        .expect("a STREAM");
    client
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    let (mut stream, _) = within("accept", listener.accept()).await.expect("accept");
    let (id, data) = next(&mut client).await;
    assert!(data.is_empty(), "the connect notification");
    client
        .send(Message::from([id, Bytes::new()]))
        .await
        .expect("close");
    let mut rest = Vec::new();
    within("the close", stream.read_to_end(&mut rest))
        .await
        .expect("read to the end");

    let clock_listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let clock = StreamSocket::with_options(SocketOptions::new().reconnect_ivl(Some(IVL)))
        .expect("a STREAM");
    clock
        .connect(&format!(
            "tcp://{}",
            clock_listener.local_addr().expect("addr")
        ))
        .await
        .expect("connect");
    for _ in 0..10 {
        let (s, _) = within("the clock's attempts", clock_listener.accept())
            .await
            .expect("accept");
        drop(s);
    }
    assert!(
        futures::FutureExt::now_or_never(listener.accept()).is_none(),
        "the closed connection was remade"
    );
}
