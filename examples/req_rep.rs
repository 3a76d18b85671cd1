//! Request/reply: a REP server answers a REQ client over tcp, strictly in turn.
//!
//! Run with `cargo run --example req_rep`.

use zmtp::{Message, Rep, Req};

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    let server = Rep::new();
    let endpoint = server.bind("tcp://127.0.0.1:*").await?;
    println!("server listening on {endpoint}");

    let requests = ["hello", "how are you?", "goodbye"];
    let serving = tokio::spawn(async move {
        for _ in 0..requests.len() {
            // The REQ's envelope is kept by the socket: we see the body only, and the reply
            // finds its way back to the client that asked.
            let request = server.recv().await?;
            let text = String::from_utf8_lossy(&request.frames()[0]).to_uppercase();
            server.send(Message::from([text])).await?;
        }
        Ok::<_, zmtp::Error>(())
    });

    let client = Req::new();
    client.connect(&endpoint).await?;
    for request in requests {
        client.send(request).await?;
        // A REQ must take the reply before its next request (else: Error::InvalidState).
        let reply = client.recv().await?;
        println!(
            "{request:>14} -> {}",
            String::from_utf8_lossy(&reply.frames()[0])
        );
    }
    serving.await.expect("the server task")?;
    Ok(())
}
