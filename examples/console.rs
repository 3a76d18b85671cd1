//! Watching zmtp's connections in tokio-console: a ROUTER and three DEALERs exchanging a message
//! a second, each connection a named task (`zmtp::conn tcp://127.0.0.1:PORT DEALER` for a
//! DEALER's, `zmtp::conn tcp://127.0.0.1:PORT ROUTER from 127.0.0.1:PEER-PORT` for each one
//! the ROUTER accepted).
//!
//! ```sh
//! RUSTFLAGS="--cfg tokio_unstable" cargo run --example console --features console
//! tokio-console            # in another terminal (cargo install tokio-console)
//! ```
//!
//! It runs for `ZMTP_CONSOLE_SECONDS` seconds (default 60), then ends.

use std::time::Duration;

use zmtp::{Dealer, Message, Router};

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    console_subscriber::init();
    // The sockets use the default context, whose connections run on its own I/O thread, a
    // Tokio runtime of its own: `console_subscriber::init` installs the process-wide tracing
    // subscriber, which sees the tasks of every runtime, so those tasks are listed and named
    // too (a context on this runtime, `Context::on_caller_runtime()`, shows the same names).
    let seconds: u64 = std::env::var("ZMTP_CONSOLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);

    let router = Router::new();
    let endpoint = router.bind("tcp://127.0.0.1:*").await?;
    println!("ROUTER bound at {endpoint}; connect tokio-console to see the tasks");
    let mut dealers = Vec::new();
    for i in 0..3 {
        let dealer = Dealer::new();
        dealer.connect(&endpoint).await?;
        dealers.push((i, dealer));
    }
    for tick in 0..seconds {
        for (i, dealer) in &dealers {
            dealer
                .send(Message::from([format!("tick {tick} from dealer {i}")]))
                .await?;
        }
        for _ in 0..dealers.len() {
            let msg = router.recv().await?;
            router.send(msg).await?;
        }
        for (_, dealer) in &dealers {
            dealer.recv().await?;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
