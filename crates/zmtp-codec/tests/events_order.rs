//! The order of a connection's events when a driver takes its messages in runs
//! ([`Connection::take_messages`]) as well as one at a time ([`Connection::poll_event`]).

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use zmtp_codec::{Command, Config, Connection, Event, EventKind, Message, SocketType};

mod support;
use support::*;

fn bodies(queue: &VecDeque<Message>) -> Vec<&[u8]> {
    queue.iter().map(|m| &m.frames()[0][..]).collect()
}

/// Messages that come before every other event are taken in runs, up to the limit asked
/// (the whole run in one move when the receiving queue is empty); a message that arrives
/// behind another event (here a subscription) stays behind it, and comes out only after it,
/// one at a time; the order is the order of arrival whichever way they are taken.
#[test]
fn messages_keep_their_place_among_the_other_events() {
    let now = Instant::now();
    let mut c = ready_with_raw_peer(Config::new(SocketType::XPub), now);
    let send = |c: &mut Connection, body: &[u8]| c.feed(now, &data_frame(false, body));
    let mut into = VecDeque::new();

    for body in [b"a", b"b", b"c"] {
        send(&mut c, body);
    }
    assert_eq!(c.peek_kind(), Some(EventKind::Message));
    // No more than the limit, into an empty queue too.
    assert_eq!(c.take_messages(&mut into, 2), 2);
    assert_eq!(bodies(&into), [&b"a"[..], b"b"]);
    // The rest, into a queue that holds messages.
    assert_eq!(c.take_messages(&mut into, 10), 1);
    assert_eq!(c.peek_kind(), None);
    assert_eq!(c.take_messages(&mut into, 10), 0);
    // The whole run, into an empty queue (the queues trade places).
    let mut run = VecDeque::new();
    send(&mut c, b"d");
    send(&mut c, b"e");
    assert_eq!(c.take_messages(&mut run, 2), 2);
    into.append(&mut run);
    assert_eq!(bodies(&into), [&b"a"[..], b"b", b"c", b"d", b"e"]);

    // A message, a subscription, then a message: "f" came before the subscription, "g" after.
    send(&mut c, b"f");
    c.feed(
        now,
        &raw_command(&Command::Subscribe(Bytes::from_static(b"topic"))),
    );
    send(&mut c, b"g");
    assert_eq!(c.take_messages(&mut into, 10), 1);
    assert_eq!(c.peek_kind(), Some(EventKind::Subscribe));
    assert_eq!(
        c.take_messages(&mut into, 10),
        0,
        "nothing passes the subscription"
    );
    assert_eq!(
        c.poll_event(),
        Some(Event::Subscribe(Bytes::from_static(b"topic")))
    );
    // "h" arrives while "g" still waits where it was, behind the subscription: it goes
    // behind "g".
    send(&mut c, b"h");
    assert_eq!(c.peek_kind(), Some(EventKind::Message));
    assert_eq!(c.poll_event(), Some(Event::Message(Message::single("g"))));
    assert_eq!(c.poll_event(), Some(Event::Message(Message::single("h"))));
    assert_eq!(c.poll_event(), None);

    // With nothing queued, new messages are a run again.
    send(&mut c, b"i");
    assert_eq!(c.take_messages(&mut into, 10), 1);
    assert_eq!(
        bodies(&into),
        [&b"a"[..], b"b", b"c", b"d", b"e", b"f", b"i"]
    );

    // The end comes after the messages before it.
    send(&mut c, b"j");
    c.handle_eof();
    assert_eq!(c.peek_kind(), Some(EventKind::Message));
    assert_eq!(c.poll_event(), Some(Event::Message(Message::single("j"))));
    assert_eq!(c.peek_kind(), Some(EventKind::Closed));
}
