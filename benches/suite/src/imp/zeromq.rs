//! zmq.rs (the `zeromq` crate 0.7) on a Tokio runtime of the variant's flavour. It has no HWM
//! option: its queues are fixed (1,024 messages per peer channel). No CURVE, no inproc.

use std::time::Instant;

use zeromq::prelude::*;
use zeromq::{
    DealerSocket, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, RouterSocket, SubSocket,
    ZmqMessage,
};

use crate::peer;
use crate::spec::{Job, Role};

async fn bind<S: Socket>(socket: &mut S, job: &Job) -> String {
    let ep = socket
        .bind(&peer::bind_endpoint(job.case.transport, &job.variant, true))
        .await
        .expect("bind")
        .to_string();
    peer::endpoint(&ep);
    ep
}

fn first_byte(msg: &ZmqMessage) -> Option<u8> {
    msg.get(0).and_then(|f| f.first()).copied()
}

/// Runs `role` to the end (or forever, for the roles the driver kills).
pub fn run(role: Role, job: Job) {
    let rt = peer::runtime(job.variant.flavour);
    rt.block_on(async move {
        match role {
            Role::ThrRecv => {
                let mut pull = PullSocket::new();
                let ep = bind(&mut pull, &job).await;
                pull.recv().await.expect("first message");
                let start = Instant::now();
                for _ in 1..job.count {
                    pull.recv().await.expect("recv");
                }
                peer::throughput(job.count, start.elapsed());
                peer::cleanup(&ep);
            }
            Role::ThrSend => {
                let mut push = PushSocket::new();
                push.connect(&job.endpoint).await.expect("connect");
                let body = peer::payload(job.size, None);
                for _ in 0..job.count {
                    push.send(ZmqMessage::from(body.clone()))
                        .await
                        .expect("send");
                }
                std::future::pending::<()>().await;
            }
            Role::ThrInproc => unreachable!("zmq.rs has no inproc (filtered by the driver)"),
            Role::LatRep => {
                let mut rep = RepSocket::new();
                bind(&mut rep, &job).await;
                while let Ok(msg) = rep.recv().await {
                    rep.send(msg).await.expect("send");
                }
            }
            Role::LatReq => {
                let mut req = ReqSocket::new();
                req.connect(&job.endpoint).await.expect("connect");
                let body = peer::payload(job.size, None);
                for _ in 0..peer::LATENCY_WARM_UP {
                    req.send(ZmqMessage::from(body.clone()))
                        .await
                        .expect("send");
                    req.recv().await.expect("recv");
                }
                let mut rtts = Vec::with_capacity(job.count);
                for _ in 0..job.count {
                    let t0 = Instant::now();
                    req.send(ZmqMessage::from(body.clone()))
                        .await
                        .expect("send");
                    req.recv().await.expect("recv");
                    rtts.push(t0.elapsed().as_nanos() as u64);
                }
                peer::latency(rtts);
            }
            Role::Pub => {
                let mut publisher = PubSocket::new();
                bind(&mut publisher, &job).await;
                let go = peer::go_flag();
                let warm = peer::payload(job.size, Some(peer::WARM_UP));
                while !go.load(std::sync::atomic::Ordering::Acquire) {
                    publisher
                        .send(ZmqMessage::from(warm.clone()))
                        .await
                        .expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
                let data = peer::payload(job.size, Some(peer::DATA));
                for _ in 0..job.count {
                    publisher
                        .send(ZmqMessage::from(data.clone()))
                        .await
                        .expect("send");
                }
                let end = peer::payload(job.size, Some(peer::END));
                loop {
                    publisher
                        .send(ZmqMessage::from(end.clone()))
                        .await
                        .expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
            }
            Role::Sub => {
                let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
                let mut tasks = Vec::new();
                for _ in 0..job.case.peers {
                    let mut sub = SubSocket::new();
                    sub.connect(&job.endpoint).await.expect("connect");
                    sub.subscribe("").await.expect("subscribe");
                    let ready = ready_tx.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut stats = peer::SubStats::default();
                        let mut warm = false;
                        while let Ok(msg) = sub.recv().await {
                            match first_byte(&msg) {
                                Some(peer::WARM_UP) if !warm => {
                                    warm = true;
                                    let _ = ready.send(());
                                }
                                Some(peer::DATA) => {
                                    let now = Instant::now();
                                    stats.first.get_or_insert(now);
                                    stats.last = Some(now);
                                    stats.received += 1;
                                }
                                Some(peer::END) => break,
                                _ => {}
                            }
                        }
                        stats
                    }));
                }
                for _ in 0..job.case.peers {
                    ready_rx.recv().await;
                }
                peer::say("READY");
                let mut stats = Vec::new();
                for t in tasks {
                    stats.push(t.await.expect("subscriber task"));
                }
                peer::fan_out(&stats, job.count);
            }
            Role::Router => {
                let mut router = RouterSocket::new();
                bind(&mut router, &job).await;
                let before = peer::rss();
                peer::wait_go_async().await;
                let t0 = Instant::now();
                for _ in 0..job.count {
                    router.recv().await.expect("recv");
                }
                let connect = t0.elapsed();
                peer::idle_router(before, peer::rss(), job.count, connect);
            }
            Role::BusyRouter => {
                let mut router = RouterSocket::new();
                bind(&mut router, &job).await;
                router.recv().await.expect("first message");
                let start = Instant::now();
                for _ in 1..job.count {
                    router.recv().await.expect("recv");
                }
                peer::throughput(job.count, start.elapsed());
            }
            Role::BusyDealers => {
                let per_process = job.case.peers / crate::spec::BUSY_DEALER_PROCESSES;
                let each = job.count / per_process;
                let mut dealers = Vec::with_capacity(per_process);
                for _ in 0..per_process {
                    let mut dealer = DealerSocket::new();
                    dealer.connect(&job.endpoint).await.expect("connect");
                    dealers.push(dealer);
                }
                peer::say("READY");
                peer::wait_go_async().await;
                let body = peer::payload(job.size, None);
                for mut dealer in dealers {
                    let body = body.clone();
                    tokio::spawn(async move {
                        for _ in 0..each {
                            dealer
                                .send(ZmqMessage::from(body.clone()))
                                .await
                                .expect("send");
                        }
                        std::future::pending::<()>().await;
                    });
                }
                std::future::pending::<()>().await;
            }
            Role::Dealers => {
                let mut dealers: Vec<DealerSocket> =
                    (0..job.count).map(|_| DealerSocket::new()).collect();
                peer::say("READY");
                peer::wait_go_async().await;
                for d in &mut dealers {
                    d.connect(&job.endpoint).await.expect("connect");
                    d.send(ZmqMessage::from("hi")).await.expect("send");
                }
                std::future::pending::<()>().await;
            }
        }
    });
}
