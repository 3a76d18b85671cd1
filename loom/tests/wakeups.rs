//! Every interleaving loom finds of the socket/connection hand-over (see `zmtp_loom`): nothing is
//! lost, reordered or stuck. A lost wake-up shows as loom's "deadlock" failure.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::task::Poll;

use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;
use zmtp_loom::{Closed, Core, Outbound};

const MESSAGES: u32 = 3;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// The application sends more than `ZMQ_SNDHWM` while a connection task drains one at a time:
/// the sender is woken each time room appears, the writer each time a message is queued.
#[test]
fn send_side_wakeups_are_never_lost() {
    model(|| {
        let core = Arc::new(Core::new(1, 1));
        let conn = {
            let core = core.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                loom::future::block_on(poll_fn(|cx| loop {
                    if got.len() == MESSAGES as usize {
                        return Poll::Ready(());
                    }
                    match core.take_outbound(cx, 1, &mut got) {
                        Outbound::Taken => continue,
                        Outbound::Empty => return Poll::Pending,
                        Outbound::Finished => panic!("finished before the messages came"),
                    }
                }));
                got
            })
        };
        for m in 0..MESSAGES {
            let mut msg = Some(m);
            loom::future::block_on(poll_fn(|cx| core.poll_send(cx, &mut msg))).expect("not closed");
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
            thread::spawn(move || {
                let mut from: VecDeque<u32> = (0..MESSAGES).collect();
                loom::future::block_on(poll_fn(|cx| {
                    if core.deliver_inbound(cx, &mut from) {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                }));
            })
        };
        let mut got = Vec::new();
        for _ in 0..MESSAGES {
            got.push(loom::future::block_on(poll_fn(|cx| core.poll_recv(cx))).expect("not closed"));
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
                    let mut msg = Some(m);
                    let r = loom::future::block_on(poll_fn(|cx| core.poll_send(cx, &mut msg)));
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
            thread::spawn(move || loom::future::block_on(poll_fn(|cx| core.poll_recv(cx))))
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
