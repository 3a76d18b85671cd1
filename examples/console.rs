//! Watching zmtp's connections in tokio-console: a ROUTER and three DEALERs exchanging a message
//! a second, each connection a named task (`zmtp::conn tcp://127.0.0.1:PORT DEALER`, ...).
//!
//! ```sh
//! RUSTFLAGS="--cfg tokio_unstable" cargo run --example console --features console
//! tokio-console            # in another terminal (cargo install tokio-console)
//! ```
//!
//! It runs for `ZMTP_CONSOLE_SECONDS` seconds (default 60), then ends.

use std::time::Duration;

use zmtp::{Context, Dealer, Message, Router};

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    console_subscriber::init();
    // The connections run as tasks of this runtime, where the console layer sees them (the
    // default context's own I/O runtime would not be instrumented by `console_subscriber`).
    let ctx = Context::on_caller_runtime();
    let seconds: u64 = std::env::var("ZMTP_CONSOLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);

    let mut router = Router::new_in(&ctx)?;
    let endpoint = router.bind("tcp://127.0.0.1:*").await?;
    println!("ROUTER bound at {endpoint}; connect tokio-console to see the tasks");
    let mut dealers = Vec::new();
    for i in 0..3 {
        let mut dealer = Dealer::new_in(&ctx)?;
        dealer.connect(&endpoint).await?;
        dealers.push((i, dealer));
    }
    for tick in 0..seconds {
        for (i, dealer) in &mut dealers {
            dealer
                .send(Message::from([format!("tick {tick} from dealer {i}")]))
                .await?;
        }
        for _ in 0..dealers.len() {
            let msg = router.recv().await?;
            router.send(msg).await?;
        }
        for (_, dealer) in &mut dealers {
            dealer.recv().await?;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
