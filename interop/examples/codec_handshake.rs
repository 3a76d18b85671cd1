//! The sans-IO codec talking to the real libzmq: a libzmq PULL socket binds on 127.0.0.1, our
//! `Connection` connects to it as PUSH over a plain Tokio `TcpStream`, runs the greeting and the
//! NULL handshake, sends three messages, and prints the peer's metadata and what libzmq received.
//!
//! Run it with `cargo run -p zmtp-interop --example codec_handshake` (needs libzmq: `apt-get install
//! libzmq3-dev`).

use std::error::Error;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zmtp::codec::{Config, Connection, Event, Message, SocketType};
use zmtp::security::Null;

const MESSAGES: usize = 3;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // libzmq's side: a PULL socket on an ephemeral port, read on its own thread (it blocks).
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.set_rcvtimeo(10_000)?;
    pull.bind("tcp://127.0.0.1:*")?;
    let endpoint = pull
        .get_last_endpoint()?
        .map_err(|_| "endpoint is not text")?;
    let receiver = std::thread::spawn(move || -> zmq::Result<Vec<Vec<Vec<u8>>>> {
        (0..MESSAGES).map(|_| pull.recv_multipart(0)).collect()
    });

    // Our side: the codec's state machine, with the I/O done here.
    let addr = endpoint.trim_start_matches("tcp://");
    let mut stream = TcpStream::connect(addr).await?;
    let config = Config::new(SocketType::Push);
    let mut conn = Connection::new(config, Box::new(Null::new()), Instant::now());
    let handshake = async {
        loop {
            stream.write_all_buf(conn.transmit()).await?;
            match conn.poll_event() {
                Some(Event::Ready(peer)) => return Ok(peer),
                Some(Event::Closed(reason)) => return Err(Box::<dyn Error>::from(reason)),
                Some(_) => continue,
                None => {}
            }
            if stream.read_buf(conn.recv_buf()).await? == 0 {
                return Err("libzmq closed the connection".into());
            }
            conn.handle_input(Instant::now());
        }
    };
    let peer = tokio::time::timeout(Duration::from_secs(10), handshake).await??;
    println!(
        "connected to {endpoint}: ZMTP {}.{}",
        peer.greeting.major, peer.greeting.minor
    );
    for (name, value) in peer.metadata.iter() {
        let (name, value) = (
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(value),
        );
        println!("  peer metadata {name} = {value:?}");
    }

    for i in 0..MESSAGES {
        conn.send(&Message::from([
            format!("message {i}"),
            "from zmtp".to_owned(),
        ]))?;
    }
    stream.write_all_buf(conn.transmit()).await?;

    let received = receiver
        .join()
        .map_err(|_| "the libzmq thread panicked")??;
    for msg in received {
        let frames: Vec<_> = msg.iter().map(|f| String::from_utf8_lossy(f)).collect();
        println!("libzmq received {frames:?}");
    }
    Ok(())
}
