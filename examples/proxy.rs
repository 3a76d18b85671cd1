//! A request broker with the built-in proxy (libzmq's `zmq_proxy`): clients (REQ) connect to
//! its ROUTER, workers (REP) to its DEALER; each request goes to a worker in turn and its reply
//! back to the client that asked. The proxy runs until its sockets are closed, here by
//! terminating their context once the clients are done (`proxy_steerable` and
//! `proxy_with_handle` can also be told to TERMINATE).
//!
//! Run with `cargo run --example proxy`.

use zmtp::{proxy, Context, Dealer, Error, Message, Pub, Rep, Req, Router};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = Context::new()?;
    // The broker: a ROUTER for the clients, a DEALER for the workers, no capture socket.
    let frontend = Router::new_in(&ctx)?;
    let for_clients = frontend.bind("tcp://127.0.0.1:*").await?;
    let backend = Dealer::new_in(&ctx)?;
    let for_workers = backend.bind("tcp://127.0.0.1:*").await?;
    let broker = tokio::spawn(proxy(frontend, backend, None::<&mut Pub>));

    // Two workers, each answering until its socket is closed.
    for id in 0..2 {
        let worker = Rep::new_in(&ctx)?;
        worker.connect(&for_workers).await?;
        tokio::spawn(async move {
            while let Ok(request) = worker.recv().await {
                let text = String::from_utf8_lossy(&request.frames()[0]).to_uppercase();
                if worker
                    .send(Message::from([format!("worker {id}: {text}")]))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }

    // Two clients, three requests each.
    let mut clients = Vec::new();
    for id in 0..2 {
        let client = Req::new_in(&ctx)?;
        client.connect(&for_clients).await?;
        clients.push(tokio::spawn(async move {
            for n in 0..3 {
                client
                    .send(Message::from([format!("hello {n} from client {id}")]))
                    .await?;
                let reply = client.recv().await?;
                println!(
                    "client {id} got \"{}\"",
                    String::from_utf8_lossy(&reply.frames()[0])
                );
            }
            Ok::<_, Error>(())
        }));
    }
    for client in clients {
        client.await.expect("a client task")?;
    }

    // Closing the sockets (terminating their context) ends the proxy with `Error::Closed`.
    ctx.term().await;
    match broker.await.expect("the broker task") {
        Err(Error::Closed) => println!("the broker stopped"),
        Err(e) => return Err(e),
        Ok(never) => match never {},
    }
    Ok(())
}
