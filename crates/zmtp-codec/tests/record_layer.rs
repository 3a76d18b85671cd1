//! The record layer a handshake hands the connection: the mechanism is dropped once it completes;
//! with `complete_sealed` every frame after the handshake (messages, and commands such as
//! heartbeats) goes through the `Sealer` handed over, both ways; with `complete`, frames go as
//! they are and nothing is called per frame.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zmtp_codec::frame::put_header;
use zmtp_codec::testing::{messages, Pair, Side};
use zmtp_codec::{
    Command, Config, Connection, Event, Frame, HandshakeContext, Mechanism, MechanismError,
    MechanismName, Message, RawCommand, Sealer, SocketType,
};

/// How many frames a [`Tagged`] sealed and opened.
#[derive(Debug, Default)]
struct Counts {
    sealed: AtomicUsize,
    opened: AtomicUsize,
}

/// A stand-in record layer: `MESSAGE` with the flags byte (1 MORE, 2 COMMAND) and the body in
/// the clear, counting what it does.
#[derive(Debug)]
struct Tagged(Arc<Counts>);

impl Sealer for Tagged {
    fn seal(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        self.0.sealed.fetch_add(1, Ordering::Relaxed);
        let flags = u8::from(more) | u8::from(command) << 1;
        let data = [&b"\x07MESSAGE"[..], &[flags], body].concat();
        put_header(out, 0, data.len());
        out.extend_from_slice(&data);
        Ok(())
    }

    fn open(&mut self, command: RawCommand) -> Result<Frame, MechanismError> {
        self.0.opened.fetch_add(1, Ordering::Relaxed);
        let Some(&flags) = command.data.first().filter(|_| command.is("MESSAGE")) else {
            return Err(MechanismError::DecryptFailed { what: "MESSAGE" });
        };
        Ok(Frame {
            more: flags & 1 != 0,
            command: flags & 2 != 0,
            body: command.data.slice(1..),
        })
    }
}

/// NULL's READY exchange, completing with `sealer` as the record layer (or plaintext), and
/// holding `alive` for as long as it lives.
#[derive(Debug)]
struct ReadyThen {
    sealer: Option<Tagged>,
    /// Held only to be counted: the mechanism is alive while this is.
    _alive: Arc<()>,
}

impl Mechanism for ReadyThen {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        let ready = Command::Ready(cx.local_metadata().clone());
        cx.send_command(&ready);
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        let Command::Ready(metadata) = Command::from_raw(command)? else {
            return Err(MechanismError::UnexpectedCommand {
                expected: "READY",
                got: "another command".into(),
            });
        };
        cx.check_peer_metadata(&metadata)?;
        match self.sealer.take() {
            Some(sealer) => cx.complete_sealed(metadata, Box::new(sealer)),
            None => cx.complete(metadata),
        }
        Ok(())
    }
}

/// Two DEALERs joined in memory, each with its own counts when `sealed`; `alive` is held by
/// both mechanisms. Heartbeats every 10 s.
fn pair(sealed: bool, alive: &Arc<()>) -> (Pair, [Arc<Counts>; 2]) {
    let t0 = Instant::now();
    let counts = [Arc::new(Counts::default()), Arc::new(Counts::default())];
    let conn = |counts: &Arc<Counts>| {
        let mut config = Config::new(SocketType::Dealer);
        config.heartbeat_ivl = Some(Duration::from_secs(10));
        let mechanism = ReadyThen {
            sealer: sealed.then(|| Tagged(counts.clone())),
            _alive: alive.clone(),
        };
        Connection::new(config, Box::new(mechanism), t0)
    };
    let pair = Pair::new(conn(&counts[0]), conn(&counts[1]), t0);
    (pair, counts)
}

fn count(c: &Counts) -> (usize, usize) {
    (
        c.sealed.load(Ordering::Relaxed),
        c.opened.load(Ordering::Relaxed),
    )
}

#[test]
fn a_sealed_record_layer_takes_every_frame_and_the_mechanism_is_dropped() {
    let alive = Arc::new(());
    let (mut pair, counts) = pair(true, &alive);
    assert_eq!(Arc::strong_count(&alive), 3, "both mechanisms hold it");
    pair.pump();
    for side in [Side::A, Side::B] {
        assert!(matches!(pair.events(side).as_slice(), [Event::Ready(_)]));
    }
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "the connections dropped their mechanisms once the handshake was done"
    );
    assert_eq!((count(&counts[0]), count(&counts[1])), ((0, 0), (0, 0)));

    pair.record();
    let msg = Message::from(vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")]);
    pair.a.send(&msg).expect("ready");
    pair.pump();
    assert_eq!(messages(pair.events(Side::B)), [msg]);
    assert_eq!((count(&counts[0]), count(&counts[1])), ((2, 0), (0, 2)));
    // Both frames went as the sealer wrote them: MESSAGE, MORE then not.
    assert_eq!(
        pair.recorded(Side::A),
        &b"\x00\x0c\x07MESSAGE\x01one\x00\x0c\x07MESSAGE\x00two"[..]
    );

    // A heartbeat each way: PING sealed as a command, opened, answered with a sealed PONG.
    pair.advance(Duration::from_secs(10));
    assert!(pair.a.is_ready() && pair.b.is_ready());
    assert_eq!((count(&counts[0]), count(&counts[1])), ((4, 2), (2, 4)));
    assert!(pair
        .recorded(Side::B)
        .starts_with(b"\x00\x10\x07MESSAGE\x02\x04PING"));
}

#[test]
fn plaintext_calls_nothing_per_frame() {
    let alive = Arc::new(());
    let (mut pair, counts) = pair(false, &alive);
    pair.pump();
    assert_eq!(Arc::strong_count(&alive), 1, "the mechanisms are dropped");
    let _ = (pair.events(Side::A), pair.events(Side::B));
    pair.record();
    let msg = Message::from(["plain"]);
    pair.a.send(&msg).expect("ready");
    pair.pump();
    assert_eq!(messages(pair.events(Side::B)), [msg]);
    assert_eq!(pair.recorded(Side::A), &b"\x00\x05plain"[..]);
    assert_eq!((count(&counts[0]), count(&counts[1])), ((0, 0), (0, 0)));
}
