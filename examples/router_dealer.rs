//! A ROUTER broker hands out tasks to DEALER workers and collects their results.
//!
//! Each worker names itself (`ZMQ_ROUTING_ID`) and says "ready"; the broker learns the names
//! from the first frame of what it receives, and addresses each worker by putting its name
//! first in what it sends. Run with `cargo run --example router_dealer`.

use zmtp::{Dealer, Error, Message, Router, SocketOptions};

const WORKERS: usize = 3;
const TASKS: usize = 9;

async fn worker(name: String, endpoint: String) -> Result<usize, Error> {
    let socket = Dealer::with_options(SocketOptions::new().identity(name.clone()))?;
    socket.connect(&endpoint).await?;
    socket.send("ready").await?;
    let mut done = 0;
    loop {
        let task = socket.recv().await?;
        if task.frames()[0] == "stop" {
            return Ok(done);
        }
        let n: u64 = String::from_utf8_lossy(&task.frames()[0])
            .parse()
            .unwrap_or(0);
        socket.send(Message::from([format!("{}", n * n)])).await?;
        done += 1;
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let broker = Router::with_options(SocketOptions::new().router_mandatory(true))?;
    let endpoint = broker.bind("tcp://127.0.0.1:*").await?;
    let workers: Vec<_> = (1..=WORKERS)
        .map(|i| tokio::spawn(worker(format!("worker-{i}"), endpoint.clone())))
        .collect();

    // Every message a ROUTER receives starts with the sender's routing id.
    let mut next_task = 0;
    let mut results = 0;
    while results < TASKS {
        let msg = broker.recv().await?;
        let (who, what) = (msg.frames()[0].clone(), msg.frames()[1].clone());
        if what != "ready" {
            println!(
                "{} says {}",
                String::from_utf8_lossy(&who),
                String::from_utf8_lossy(&what)
            );
            results += 1;
        }
        if next_task < TASKS {
            next_task += 1;
            broker
                .send(Message::from([who, next_task.to_string().into()]))
                .await?;
        }
    }
    for i in 1..=WORKERS {
        broker
            .send(Message::from([format!("worker-{i}"), "stop".into()]))
            .await?;
    }
    for (i, w) in workers.into_iter().enumerate() {
        let done = w.await.expect("the worker task")?;
        println!("worker-{} did {done} tasks", i + 1);
    }
    Ok(())
}
