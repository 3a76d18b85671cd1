//! Every interleaving loom finds of the socket/connection hand-over (see `zmtp_loom`): nothing is
//! lost, duplicated, reordered or stuck, with one task or several on the application side. A
//! lost wake-up shows as loom's "deadlock" failure.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::task::Poll;

use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use zmtp_loom::{Closed, Core, Incoming, Outbound, Outgoing};

const MESSAGES: u32 = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// A send awaited to the end, as `Socket::send` does.
fn send(core: &Core, m: u32) -> Result<(), Closed> {
    let mut out = Outgoing::new(m);
    loom::future::block_on(poll_fn(|cx| core.poll_send(Some(cx), &mut out)))
}

/// A receive awaited to the end, as `Socket::recv` does.
fn recv(core: &Core) -> Result<u32, Closed> {
    let mut op = Incoming::default();
    loom::future::block_on(poll_fn(|cx| core.poll_recv(Some(cx), &mut op)))
}

/// The connection task's write side: takes outbound messages one at a time until it has `n`.
fn take(core: &Core, n: usize) -> Vec<u32> {
    let mut got = Vec::new();
    loom::future::block_on(poll_fn(|cx| loop {
        if got.len() == n {
            return Poll::Ready(());
        }
        match core.take_outbound(cx, 1, &mut got) {
            Outbound::Taken => continue,
            Outbound::Empty => return Poll::Pending,
            Outbound::Finished => panic!("finished before the messages came"),
        }
    }));
    got
}

/// The connection task's read side: delivers `msgs`, waiting for room as it must.
fn deliver(core: &Core, msgs: impl IntoIterator<Item = u32>) {
    let mut from: VecDeque<u32> = msgs.into_iter().collect();
    loom::future::block_on(poll_fn(|cx| {
        if core.deliver_inbound(cx, &mut from) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
}

/// The application sends more than `ZMQ_SNDHWM` while a connection task drains one at a time:
/// the sender is woken each time room appears, the writer each time a message is queued.
#[test]
fn send_side_wakeups_are_never_lost() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let conn = {
            let core = core.clone();
            thread::spawn(move || take(&core, MESSAGES as usize))
        };
        for m in 0..MESSAGES {
            send(&core, m).expect("not closed");
        }
        assert_eq!(conn.join().unwrap(), (0..MESSAGES).collect::<Vec<_>>());
    });
}

/// A connection task delivers more than `ZMQ_RCVHWM` while the application receives: the
/// receiver is woken when the queue fills from empty, the reader when room appears.
#[test]
fn receive_side_wakeups_are_never_lost() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let conn = {
            let core = core.clone();
            thread::spawn(move || deliver(&core, 0..MESSAGES))
        };
        let mut got = Vec::new();
        for _ in 0..MESSAGES {
            got.push(recv(&core).expect("not closed"));
        }
        conn.join().unwrap();
        assert_eq!(got, (0..MESSAGES).collect::<Vec<_>>());
    });
}

/// Closing wakes a sender blocked on the high-water mark and a receiver waiting for messages,
/// and the connection task still drains what was queued before it finishes.
#[test]
fn close_wakes_every_waiter() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let sent_first = Arc::new(AtomicBool::new(false));
        let sender = {
            let (core, sent_first) = (core.clone(), sent_first.clone());
            thread::spawn(move || {
                let mut results = Vec::new();
                for m in 0..2 {
                    let r = send(&core, m);
                    if m == 0 && r.is_ok() {
                        sent_first.store(true, Ordering::SeqCst);
                    }
                    results.push(r);
                }
                results
            })
        };
        let receiver = {
            let core = core.clone();
            thread::spawn(move || recv(&core))
        };
        core.close();
        // The connection task: what was queued before the close still goes out, then it ends.
        let mut out = Vec::new();
        loom::future::block_on(poll_fn(|cx| loop {
            match core.take_outbound(cx, 8, &mut out) {
                Outbound::Taken => continue,
                Outbound::Empty => return Poll::Pending,
                Outbound::Finished => return Poll::Ready(()),
            }
        }));
        let results = sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), Err(Closed));
        // Sends after the close are refused; one sent before it is delivered.
        assert_eq!(results[1], Err(Closed));
        let first_sent = sent_first.load(Ordering::SeqCst);
        assert_eq!(out, if first_sent { vec![0] } else { vec![] });
    });
}

/// Two tasks receive on one socket and one message comes, then the socket closes: the message
/// is taken exactly once, and the other receiver sees the close (it is not left asleep by the
/// wake-up the first one consumed).
#[test]
fn two_receivers_take_one_message_once() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let core = core.clone();
                thread::spawn(move || recv(&core))
            })
            .collect();
        deliver(&core, [0]);
        core.close();
        let mut got: Vec<_> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
        got.sort_by_key(|r| r.is_err());
        assert_eq!(got, [Ok(0), Err(Closed)]);
    });
}

/// Of two receivers, one is polled once (registering its waker) and then dropped, as a
/// `select!` or a timeout drops it, while a message arrives: the other still gets the message
/// without any further event (no close), even when the wake-up went to the dropped one.
#[test]
fn a_dropped_receiver_does_not_strand_another() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let dropped = {
            let core = core.clone();
            thread::spawn(move || {
                let mut op = Incoming::default();
                let polled = loom::future::block_on(poll_fn(|cx| {
                    Poll::Ready(core.poll_recv(Some(cx), &mut op))
                }));
                core.abandon_recv(&mut op);
                match polled {
                    Poll::Ready(r) => Some(r.expect("not closed")),
                    Poll::Pending => None,
                }
            })
        };
        let waiting = {
            let core = core.clone();
            thread::spawn(move || recv(&core))
        };
        deliver(&core, [0]);
        if dropped.join().unwrap() == Some(0) {
            // The dropped one took it before it went: the other ends with the close.
            core.close();
            assert_eq!(waiting.join().unwrap(), Err(Closed));
        } else {
            assert_eq!(waiting.join().unwrap(), Ok(0));
            core.close();
        }
    });
}

/// Two tasks wait for room on a full pipe: both sends complete as the connection takes the
/// messages, each exactly once, the one queued first first.
#[test]
fn two_senders_waiting_for_room_both_complete() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        send(&core, 0).expect("not closed");
        let senders: Vec<_> = (1..3)
            .map(|m| {
                let core = core.clone();
                thread::spawn(move || send(&core, m))
            })
            .collect();
        let mut got = take(&core, 3);
        for s in senders {
            s.join().unwrap().expect("not closed");
        }
        assert_eq!(got[0], 0);
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
    });
}

/// Of two senders waiting for room, one is polled once and then dropped while the connection
/// makes room: the other still sends, even when the wake-up went to the dropped one.
#[test]
fn a_dropped_sender_does_not_strand_another() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        send(&core, 0).expect("not closed");
        let dropped = {
            let core = core.clone();
            thread::spawn(move || {
                let mut out = Outgoing::new(1);
                let polled = loom::future::block_on(poll_fn(|cx| {
                    Poll::Ready(core.poll_send(Some(cx), &mut out))
                }));
                core.abandon_send(&mut out);
                polled.is_ready()
            })
        };
        let waiting = {
            let core = core.clone();
            thread::spawn(move || send(&core, 2))
        };
        let mut got = take(&core, 2);
        let dropped_sent = dropped.join().unwrap();
        if dropped_sent {
            got.extend(take(&core, 1));
        }
        waiting.join().unwrap().expect("not closed");
        got.sort_unstable();
        assert_eq!(
            got,
            if dropped_sent {
                vec![0, 1, 2]
            } else {
                vec![0, 2]
            }
        );
    });
}
