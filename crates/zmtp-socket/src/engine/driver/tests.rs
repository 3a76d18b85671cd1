//! The connection driver's tests: yielding under a flood, reading no more at `ZMQ_RCVHWM`,
//! giving up the read buffer while idle, and the sizes of its state.

use super::*;
use crate::context::Context as ZmqContext;
use crate::core::test_support::core_with;
use crate::monitor::Monitors;
use crate::options::SocketOptions;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Wake;
use std::time::Duration;
use zmtp_codec::{Command, Metadata, SendBuffer, SocketType};

/// A PUSH peer that completes a NULL handshake, then sends PINGs for ever, as fast as they
/// are read. Counts the PING bytes served; refuses to serve more than `cap` (a driver that
/// never yields would read for ever).
struct Flood {
    head: Bytes,
    /// The frame sent for ever after the handshake.
    frame: &'static [u8],
    served: Arc<AtomicUsize>,
    cap: usize,
}

/// One PING command frame: TTL 0, no context.
const PING: [u8; 9] = [0x04, 0x07, 0x04, b'P', b'I', b'N', b'G', 0, 0];
/// One message of one frame, `x`.
const MESSAGE: [u8; 3] = [0x00, 0x01, b'x'];

/// A ZMTP 3.1 peer's side of a NULL handshake: its greeting and a READY with `properties`.
fn handshake(properties: &[(&'static str, &'static str)]) -> Bytes {
    let mut head = SendBuffer::new();
    let mut greeting = [0u8; 64];
    greeting[0] = 0xFF;
    greeting[8] = 1;
    greeting[9] = 0x7F;
    greeting[10] = 3;
    greeting[11] = 1;
    greeting[12..16].copy_from_slice(b"NULL");
    head.put_raw(&greeting);
    let mut props = Metadata::new();
    for (name, value) in properties {
        props.insert(*name, *value).expect("a valid property");
    }
    head.put_command(&Command::Ready(props));
    head.copy_to_bytes(head.remaining())
}

impl Flood {
    fn new(cap: usize) -> Flood {
        Flood::of(&PING, cap)
    }

    /// A peer that sends `frame` for ever once its handshake is done.
    fn of(frame: &'static [u8], cap: usize) -> Flood {
        Flood {
            head: handshake(&[("Socket-Type", "PUSH")]),
            frame,
            served: Arc::new(AtomicUsize::new(0)),
            cap,
        }
    }
}

impl AsyncRead for Flood {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.head.is_empty() {
            let n = self.head.len().min(buf.remaining());
            let part = self.head.split_to(n);
            buf.put_slice(&part);
            return Poll::Ready(Ok(()));
        }
        let served = self.served.load(Ordering::SeqCst);
        assert!(
            served < self.cap,
            "the connection read {served} bytes of PINGs without yielding its thread"
        );
        // Whole frames only, so that the stream stays framed across reads.
        let frame = self.frame;
        let frames = buf.remaining() / frame.len();
        for _ in 0..frames {
            buf.put_slice(frame);
        }
        self.served
            .fetch_add(frames * frame.len(), Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

// The test peers take every write and keep nothing.
macro_rules! swallow_writes {
    ($($peer:ty),*) => {$(
        impl AsyncWrite for $peer {
            fn poll_write(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<std::io::Result<usize>> {
                Poll::Ready(Ok(buf.len()))
            }
            fn poll_flush(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<std::io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<std::io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

swallow_writes!(Flood, Scripted);

/// A DEALER peer whose bytes the test hands over a part at a time: each read takes what
/// is there, and would block once nothing is.
struct Scripted {
    queued: Arc<parking_lot::Mutex<Vec<u8>>>,
}

impl AsyncRead for Scripted {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let mut queued = self.queued.lock();
        if queued.is_empty() {
            return Poll::Pending;
        }
        let n = queued.len().min(buf.remaining());
        buf.put_slice(&queued[..n]);
        queued.drain(..n);
        Poll::Ready(Ok(()))
    }
}

/// An idle connection holds no read buffer (issue 16): a ROUTER's connection that read a
/// DEALER's handshake, then one message, gives its read buffer up each time its read would
/// block (to its thread's few kept buffers), and reads the next message into one of those,
/// allocating none.
#[tokio::test]
async fn an_idle_connection_holds_no_read_buffer() {
    let (core, settings) = socket_with_settings(SocketType::Router);
    let queued = Arc::new(parking_lot::Mutex::new(
        handshake(&[("Socket-Type", "DEALER"), ("Identity", "dealer-1")]).to_vec(),
    ));
    let Started::Zmtp(shared) = start(
        test_ends(core, settings, "test://scripted"),
        Scripted {
            queued: queued.clone(),
        },
        Bytes::from_static(b"scripted"),
    ) else {
        panic!("a ZMTP connection");
    };
    let waker = Waker::from(Arc::new(Wakes::default()));
    let mut cx = Context::from_waker(&waker);
    let message = [0x00, 0x05, b'h', b'e', b'l', b'l', b'o'];
    for round in 0..3 {
        let mut driver = shared.lock();
        assert!(driver.poll(&mut cx).is_pending(), "round {round}: running");
        assert!(queued.lock().is_empty(), "round {round}: everything read");
        assert!(
            driver.conn.is_ready(),
            "round {round}: the handshake is done"
        );
        assert!(
            !driver.conn.holds_recv_buf(),
            "round {round}: the idle connection holds no read buffer"
        );
        assert_eq!(
            read_pool::kept(),
            1,
            "round {round}: its buffer is kept for reuse"
        );
        queued.lock().extend_from_slice(&message);
    }
}

#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The ends of a test connection serving a pipe made when it is ready.
fn test_ends(
    core: Arc<Core>,
    settings: ConnectionSettings,
    endpoint: &'static str,
) -> Ends<'static> {
    Ends {
        core,
        settings: Arc::new(settings),
        slot: PipeSlot::OnReady,
        unbound: None,
        endpoint,
        permit: None,
    }
}

/// A socket of `socket_type` at its default options, and its connections' settings.
fn socket_with_settings(socket_type: SocketType) -> (Arc<Core>, ConnectionSettings) {
    socket_with_options(socket_type, SocketOptions::new())
}

/// The connection task of a PULL with `options` reading `flood`, and the count of the bytes
/// the flood served.
fn flooded_pull(
    options: SocketOptions,
    flood: Flood,
) -> (
    impl Future<Output = (Option<PipeId>, bool, Exit)>,
    Arc<AtomicUsize>,
) {
    let (core, settings) = socket_with_options(SocketType::Pull, options);
    let served = flood.served.clone();
    let task = run(
        test_ends(core, settings, "test://flood"),
        flood,
        Bytes::from_static(b"flood"),
    );
    (task, served)
}

/// A socket of `socket_type` with `options`, and its connections' settings.
fn socket_with_options(
    socket_type: SocketType,
    options: SocketOptions,
) -> (Arc<Core>, ConnectionSettings) {
    let ctx = ZmqContext::on_caller_runtime();
    let core = core_with(socket_type, options.clone());
    let settings = ConnectionSettings::from_options(
        &options.build_for(socket_type).expect("valid options"),
        socket_type,
        &core,
        None,
        ctx.shared.clone(),
        Arc::new(Monitors::default()),
    )
    .expect("settings");
    (core, settings)
}

/// A connection task's future is allocated at its full size for the connection's whole life,
/// idle or not: the connection's state is on the heap, in one block made before the first
/// await, and the future holds little more than a pointer to it (this future was 1,712
/// bytes, 264 now: the connection's state had room in each of its stages).
#[tokio::test]
async fn a_connection_task_future_is_small() {
    let (core, settings) = socket_with_settings(SocketType::Router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let stream = tokio::net::TcpStream::connect(listener.local_addr().expect("address"))
        .await
        .expect("connect");
    let task = run(
        test_ends(core, settings, "tcp://127.0.0.1:1"),
        stream,
        Bytes::from_static(b"127.0.0.1"),
    );
    let size = std::mem::size_of_val(&task);
    eprintln!("a tcp connection's future: {size} bytes");
    assert!(size <= 512, "a tcp connection's future takes {size} bytes");
}

/// A connection's heap block (its driver, with the codec's connection inside) is held for
/// the connection's whole life, idle or not: the handshake-only state is boxed and dropped
/// once it is done, and the peer's properties are not kept (about 1,296 bytes before, 1,080
/// after, and the heap blocks those held are gone too).
#[test]
fn a_connection_state_is_small() {
    let driver = std::mem::size_of::<Driver<tokio::net::TcpStream, Connection>>();
    let conn = std::mem::size_of::<Connection>();
    eprintln!("a tcp connection's driver: {driver} bytes, its codec connection {conn}");
    assert!(
        driver <= 1080,
        "a tcp connection's driver takes {driver} bytes"
    );
}

/// A peer that never stops sending (a PING flood) gets a bounded share of its I/O thread:
/// each turn of its connection task reads at most [`READS_PER_TURN`] times, then the task
/// yields as Tokio's `yield_now` does, so every other connection of the thread gets its turn in
/// between (issue 18: 20 flooders cut a good peer to 75 % of its rate), and so does a
/// current-thread runtime's `block_on` future (the application, which a plain self-wake left
/// waiting up to 61 turns: 1 MiB messages piled up unread, and their buffers could not be
/// reused). Its wake comes only once the runtime has looked at its other work.
#[tokio::test]
async fn a_flooding_peer_yields_its_thread_after_its_share() {
    // Far more than a turn may read: a driver that does not yield reaches it.
    let (task, served) = flooded_pull(SocketOptions::new(), Flood::new(64 << 20));
    let mut task = std::pin::pin!(task);
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut last = 0;
    for turn in 1..=5 {
        let before = wakes.0.load(Ordering::SeqCst);
        assert!(task.as_mut().poll(&mut cx).is_pending(), "still running");
        let now = served.load(Ordering::SeqCst);
        let read = now - last;
        last = now;
        // The first turn also reads the handshake.
        assert!(read > 0, "turn {turn} read PINGs");
        assert!(
            read <= READS_PER_TURN as usize * 1024 * 1024,
            "turn {turn} read {read} bytes: more than its share"
        );
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            before,
            "turn {turn}: the task asked to run again before the runtime's other work"
        );
        // This test's future is the runtime's other work: it yields, and the task's wake
        // comes when the runtime turns.
        tokio::task::yield_now().await;
        assert!(
            wakes.0.load(Ordering::SeqCst) > before,
            "turn {turn}: the task asked to run again, behind the others"
        );
    }
}

/// At `ZMQ_RCVHWM` a connection reads no more: the messages it holds beyond the pipe's room
/// wait in it, and what the peer sends next waits in the transport (TCP's flow control), not
/// in a buffer of ours that grows while nobody receives.
#[tokio::test]
async fn a_connection_at_rcvhwm_reads_no_more() {
    let (task, served) = flooded_pull(
        SocketOptions::new().rcvhwm(4),
        Flood::of(&MESSAGE, 64 << 20),
    );
    let mut task = std::pin::pin!(task);
    let waker = Waker::from(Arc::new(Wakes::default()));
    let mut cx = Context::from_waker(&waker);
    assert!(task.as_mut().poll(&mut cx).is_pending(), "still running");
    let read = served.load(Ordering::SeqCst);
    assert!(read > 0, "the handshake done, messages were read");
    for turn in 2..=5 {
        assert!(task.as_mut().poll(&mut cx).is_pending(), "still running");
        assert_eq!(
            served.load(Ordering::SeqCst),
            read,
            "turn {turn} read more with the pipe full and nobody receiving"
        );
    }
}

/// A PULL peer that completes a NULL handshake and then sends nothing; what is written to it
/// is kept, and while its gate is shut a write waits (as on a peer that stopped reading).
struct Gated {
    head: Bytes,
    open: Arc<std::sync::atomic::AtomicBool>,
    written: Arc<parking_lot::Mutex<Vec<u8>>>,
}

impl AsyncRead for Gated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.head.is_empty() {
            return Poll::Pending;
        }
        let n = self.head.len().min(buf.remaining());
        let part = self.head.split_to(n);
        buf.put_slice(&part);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Gated {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if !self.open.load(Ordering::SeqCst) {
            return Poll::Pending;
        }
        self.written.lock().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The message frames (not commands) in what a ZMTP 3 peer wrote after its 64-byte greeting.
fn message_frames(mut bytes: &[u8]) -> usize {
    bytes = &bytes[64..];
    let mut frames = 0;
    while let [flags, rest @ ..] = bytes {
        let (size, rest) = if flags & 0x02 != 0 {
            let (size, rest) = rest.split_at(8);
            (
                u64::from_be_bytes(size.try_into().expect("8 bytes")) as usize,
                rest,
            )
        } else {
            (usize::from(rest[0]), &rest[1..])
        };
        if flags & 0x04 == 0 {
            frames += 1;
        }
        bytes = &rest[size..];
    }
    frames
}

/// A closed socket lingers on a connection whose other timer fires meanwhile: the heartbeat's
/// timer firing before the linger deadline sends a PING and drops nothing. The peer stops
/// reading with the messages still in the connection; the socket closes with `ZMQ_LINGER` 60 s;
/// the heartbeat timer (`ZMQ_HEARTBEAT_IVL` 1 ms, no timeout to end the connection) fires;
/// then the peer reads again and gets every message.
#[tokio::test]
async fn another_timer_firing_while_lingering_drops_nothing() {
    const MESSAGES: usize = 20;
    let (core, settings) = socket_with_options(
        SocketType::Push,
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(1)))
            .heartbeat_timeout(Some(Duration::from_secs(3600)))
            .linger(Some(Duration::from_secs(60))),
    );
    let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let written = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let peer = Gated {
        head: handshake(&[("Socket-Type", "PULL")]),
        open: open.clone(),
        written: written.clone(),
    };
    let task = run(
        test_ends(core.clone(), settings, "test://gated"),
        peer,
        Bytes::from_static(b"gated"),
    );
    let mut task = std::pin::pin!(task);
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(task.as_mut().poll(&mut cx).is_pending(), "handshake done");
    open.store(false, Ordering::SeqCst);
    for i in 0..MESSAGES {
        crate::core::test_support::sent(&core, vec![i as u8]);
    }
    assert!(task.as_mut().poll(&mut cx).is_pending(), "the writes wait");
    core.close(Some(Instant::now() + Duration::from_secs(60)));
    // Wait for the heartbeat timer to fire (it wakes the task), then let the task handle it,
    // several times over.
    for _ in 0..3 {
        let before = wakes.0.load(Ordering::SeqCst);
        while wakes.0.load(Ordering::SeqCst) == before {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(
            task.as_mut().poll(&mut cx).is_pending(),
            "a timer fired 60 s before the linger deadline: the connection still lingers"
        );
    }
    open.store(true, Ordering::SeqCst);
    let (_, _, exit) = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the connection ends once it has written everything");
    assert!(matches!(exit, Exit::SocketClosed), "{exit:?}");
    assert_eq!(message_frames(&written.lock()), MESSAGES, "nothing dropped");
}
