//! `ZMQ_MAXMSGSIZE` on whole multipart messages, at the connection: exact limits, the count
//! starting again with each message, commands between frames not counted.

use std::time::Instant;

use bytes::Bytes;
use zmtp_codec::{Command, Config, ConnectionError, FrameError, Message, SocketType};

mod support;
use support::*;

/// `ZMQ_MAXMSGSIZE` bounds a multipart message as a whole: its bodies plus FRAME_OVERHEAD for
/// each frame after the first. A message at the limit passes, the count starts again with each
/// message, commands between its frames do not count, and the frame that takes a message over
/// ends the connection with an error naming the limit.
#[test]
fn maxmsgsize_bounds_a_multipart_message_as_a_whole() {
    use zmtp_codec::connection::FRAME_OVERHEAD;
    assert_eq!(FRAME_OVERHEAD, 64);
    let now = Instant::now();
    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_msg_size = Some(1000);
    let mut c = ready_with_raw_peer(cfg, now);

    // 900 + 64 + 36 = 1000, with a PING between the two frames.
    let mut at_limit = data_frame(true, &[1; 900]);
    at_limit.extend_from_slice(&raw_command(&Command::Ping {
        ttl: 0,
        context: Bytes::new(),
    }));
    at_limit.extend_from_slice(&data_frame(false, &[2; 36]));
    let expected = Message::from(vec![Bytes::from(vec![1; 900]), Bytes::from(vec![2; 36])]);
    for _ in 0..3 {
        c.feed(now, &at_limit);
    }
    // A one-frame message of the limit, as libzmq takes it.
    c.feed(now, &data_frame(false, &[3; 1000]));
    assert_eq!(
        messages(events(&mut c)),
        vec![
            expected.clone(),
            expected.clone(),
            expected,
            Message::from(vec![Bytes::from(vec![3; 1000])])
        ]
    );
    assert!(!c.is_closed());

    // 900 + 64 + 37: one byte over, refused at its second frame though more were to come.
    c.feed(now, &data_frame(true, &[1; 900]));
    assert!(!c.is_closed());
    c.feed(now, &data_frame(true, &[2; 37]));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: 2,
            size: 1001,
            max: 1000
        }))
    );
    assert_eq!(
        ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: 2,
            size: 1001,
            max: 1000
        })
        .to_string(),
        "multipart message of 2 frames counts 1001 bytes (its bodies and 64 per frame after the \
         first), over the maximum message size of 1000 bytes (ZMQ_MAXMSGSIZE)"
    );

    // Empty frames count FRAME_OVERHEAD each after the first: 16 fit in 960, not 17.
    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_msg_size = Some(960);
    let mut c = ready_with_raw_peer(cfg, now);
    c.feed(now, &data_frame(true, b"").repeat(15));
    c.feed(now, &data_frame(false, b""));
    assert_eq!(
        messages(events(&mut c)),
        vec![Message::from(vec![Bytes::new(); 16])]
    );
    c.feed(now, &data_frame(true, b"").repeat(17));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: 17,
            size: 1024,
            max: 960
        }))
    );

    // Without a limit, as in libzmq, a message of any number of frames passes.
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), now);
    c.feed(now, &data_frame(true, b"").repeat(10_000));
    c.feed(now, &data_frame(false, b""));
    let msgs = messages(events(&mut c));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].len(), 10_001);
}
