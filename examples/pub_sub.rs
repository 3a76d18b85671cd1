//! Publish-subscribe: a weather station publishes readings for three cities; each subscriber
//! asks for the prefixes it cares about and receives only those. Filtering happens at the
//! publisher, so a reading nobody wants never leaves it.
//!
//! Run with `cargo run --example pub_sub`.

use std::time::Duration;

use futures::StreamExt;
use zmtp::{Message, Pub, Sub};

/// Each subscriber leaves after this many readings.
const READINGS: usize = 5;

#[tokio::main]
async fn main() -> Result<(), zmtp::Error> {
    let station = Pub::new();
    let endpoint = station.bind("tcp://127.0.0.1:*").await?;

    let mut listeners = Vec::new();
    for (name, prefixes) in [
        ("paris", vec!["weather.paris"]),
        ("everything", vec!["weather."]),
        ("nordic", vec!["weather.oslo", "weather.helsinki"]),
    ] {
        let sub = Sub::new();
        sub.connect(&endpoint).await?;
        for prefix in prefixes {
            sub.subscribe(prefix)?;
        }
        listeners.push(tokio::spawn(async move {
            let mut readings = sub.take(READINGS);
            while let Some(reading) = readings.next().await {
                let frames: Vec<_> = reading?
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                println!("{name:>10} got {}", frames.join(" "));
            }
            Ok::<_, zmtp::Error>(())
        }));
    }

    // A station publishes whether anyone listens: subscribers joining late (ZeroMQ's "slow
    // joiner") simply start with the next reading. It stops once every subscriber has left.
    let mut round = 0;
    while listeners.iter().any(|l| !l.is_finished()) {
        round += 1;
        for (city, temp) in [
            ("paris", 14 + round % 5),
            ("oslo", round % 3),
            ("madrid", 25 + round % 4),
        ] {
            station
                .send(Message::from([
                    format!("weather.{city}"),
                    format!("{temp}C"),
                ]))
                .await?;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for listener in listeners {
        listener.await.expect("the subscriber task")?;
    }
    Ok(())
}
