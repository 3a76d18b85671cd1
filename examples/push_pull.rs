//! A pipeline: a PUSH ventilator hands tasks round-robin to two PULL workers, which push their
//! results to a PULL sink (the "divide and conquer" pattern).
//!
//! Run with `cargo run --example push_pull`.

use futures::StreamExt;
use zmtp::{Message, Pull, Push};

const TASKS: u32 = 10;

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    let ventilator = Push::new();
    let tasks = ventilator.bind("tcp://127.0.0.1:*").await?;
    let sink = Pull::new();
    let results = sink.bind("tcp://127.0.0.1:*").await?;

    for name in ["worker-a", "worker-b"] {
        let mut input = Pull::new();
        input.connect(&tasks).await?;
        let output = Push::new();
        output.connect(&results).await?;
        tokio::spawn(async move {
            // Say hello through the sink, so the ventilator starts once both workers are
            // connected (otherwise the first worker to connect would get every task).
            output
                .send(Message::from([format!("{name} ready")]))
                .await?;
            while let Some(Ok(task)) = input.next().await {
                let n = u32::from_be_bytes(task.frames()[0][..4].try_into().unwrap_or_default());
                let result = format!("{name}: {n} squared is {}", n * n);
                output.send(Message::from([result])).await?;
            }
            Ok::<_, zmtp::Error>(())
        });
    }
    for _ in 0..2 {
        let hello = sink.recv().await?;
        println!("{}", String::from_utf8_lossy(&hello.frames()[0]));
    }

    for n in 1..=TASKS {
        ventilator.send(n.to_be_bytes().to_vec()).await?;
    }
    for _ in 0..TASKS {
        let result = sink.recv().await?;
        println!("{}", String::from_utf8_lossy(&result.frames()[0]));
    }
    Ok(())
}
