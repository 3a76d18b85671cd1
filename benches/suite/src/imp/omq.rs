//! omq.rs (the `omq-tokio` crate 0.33, feature `curve`) on a Tokio runtime of the variant's
//! flavour; sockets made by an omq `Context` with one I/O thread of its own (`Context::new()`,
//! its libzmq-like default) or on the caller's runtime (`Context::current()`), per the variant's
//! shape. HWMs: its default, 1,000 each way.

use std::time::Instant;

use omq_tokio::{
    Context, CurveKeypair, CurvePublicKey, CurveSecretKey, Message, Options, Socket, SocketType,
};

use crate::peer;
use crate::spec::{Job, Role, Shape};

fn options(job: &Job, server: bool) -> Options {
    let opts = Options::default().send_hwm(1000).recv_hwm(1000);
    let Some((public, secret)) = &job.server_key else {
        return opts;
    };
    let server_public = CurvePublicKey::from_z85(public).expect("server public key");
    if server {
        opts.curve_server(CurveKeypair {
            public: server_public,
            secret: CurveSecretKey::from_z85(secret).expect("server secret key"),
        })
    } else {
        opts.curve_client(CurveKeypair::generate(), server_public)
    }
}

async fn bind(socket: &Socket, job: &Job) -> String {
    let ep = socket
        .bind(peer::bind_endpoint(job.case.transport, &job.variant, false).as_str())
        .await
        .expect("bind")
        .to_string();
    peer::endpoint(&ep);
    ep
}

fn first_byte(msg: &Message) -> Option<u8> {
    msg.part_slice(0).and_then(|f| f.first()).copied()
}

async fn recv_all(pull: &Socket, count: usize) {
    pull.recv().await.expect("first message");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv().await.expect("recv");
    }
    peer::throughput(count, start.elapsed());
}

/// Runs `role` to the end (or forever, for the roles the driver kills).
pub fn run(role: Role, job: Job) {
    let rt = peer::runtime(job.variant.flavour);
    let ctx = match job.variant.shape {
        Shape::Caller => {
            let _in_runtime = rt.enter();
            Context::current()
        }
        _ => Context::new(),
    };
    rt.block_on(async move {
        let socket = |t: SocketType, opts: Options| ctx.socket(t, opts);
        match role {
            Role::ThrRecv => {
                let pull = socket(SocketType::Pull, options(&job, true));
                let ep = bind(&pull, &job).await;
                recv_all(&pull, job.count).await;
                peer::cleanup(&ep);
            }
            Role::ThrSend => {
                let push = socket(SocketType::Push, options(&job, false));
                push.connect(job.endpoint.as_str()).await.expect("connect");
                let body = peer::payload(job.size, None);
                for _ in 0..job.count {
                    push.send(Message::single(body.clone()))
                        .await
                        .expect("send");
                }
                std::future::pending::<()>().await;
            }
            Role::ThrInproc => {
                let ep = peer::bind_endpoint(job.case.transport, &job.variant, false);
                let pull = socket(SocketType::Pull, options(&job, true));
                pull.bind(ep.as_str()).await.expect("bind");
                let push = socket(SocketType::Push, options(&job, false));
                push.connect(ep.as_str()).await.expect("connect");
                let (size, count) = (job.size, job.count);
                tokio::spawn(async move {
                    let body = peer::payload(size, None);
                    for _ in 0..count {
                        push.send(Message::single(body.clone()))
                            .await
                            .expect("send");
                    }
                    std::future::pending::<()>().await;
                });
                recv_all(&pull, count).await;
            }
            Role::LatRep => {
                let rep = socket(SocketType::Rep, options(&job, true));
                bind(&rep, &job).await;
                while let Ok(msg) = rep.recv().await {
                    rep.send(msg).await.expect("send");
                }
            }
            Role::LatReq => {
                let req = socket(SocketType::Req, options(&job, false));
                req.connect(job.endpoint.as_str()).await.expect("connect");
                let body = peer::payload(job.size, None);
                for _ in 0..peer::LATENCY_WARM_UP {
                    req.send(Message::single(body.clone())).await.expect("send");
                    req.recv().await.expect("recv");
                }
                let mut rtts = Vec::with_capacity(job.count);
                for _ in 0..job.count {
                    let t0 = Instant::now();
                    req.send(Message::single(body.clone())).await.expect("send");
                    req.recv().await.expect("recv");
                    rtts.push(t0.elapsed().as_nanos() as u64);
                }
                peer::latency(rtts);
            }
            Role::Pub => {
                let mut nodrop = options(&job, true);
                nodrop.xpub_nodrop = true;
                let publisher = socket(SocketType::Pub, nodrop);
                bind(&publisher, &job).await;
                let go = peer::go_flag();
                let warm = peer::payload(job.size, Some(peer::WARM_UP));
                while !go.load(std::sync::atomic::Ordering::Acquire) {
                    publisher
                        .send(Message::single(warm.clone()))
                        .await
                        .expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
                let data = peer::payload(job.size, Some(peer::DATA));
                for _ in 0..job.count {
                    publisher
                        .send(Message::single(data.clone()))
                        .await
                        .expect("send");
                }
                let end = peer::payload(job.size, Some(peer::END));
                loop {
                    publisher
                        .send(Message::single(end.clone()))
                        .await
                        .expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
            }
            Role::Sub => {
                let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
                let mut tasks = Vec::new();
                for _ in 0..job.case.peers {
                    let sub = socket(SocketType::Sub, options(&job, false));
                    sub.connect(job.endpoint.as_str()).await.expect("connect");
                    sub.subscribe(bytes::Bytes::new()).await.expect("subscribe");
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
                let router = socket(SocketType::Router, options(&job, true));
                bind(&router, &job).await;
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
                let router = socket(SocketType::Router, options(&job, true));
                bind(&router, &job).await;
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
                    let dealer = socket(SocketType::Dealer, options(&job, false));
                    dealer
                        .connect(job.endpoint.as_str())
                        .await
                        .expect("connect");
                    dealers.push(dealer);
                }
                peer::say("READY");
                peer::wait_go_async().await;
                let body = peer::payload(job.size, None);
                for dealer in dealers {
                    let body = body.clone();
                    tokio::spawn(async move {
                        for _ in 0..each {
                            dealer
                                .send(Message::single(body.clone()))
                                .await
                                .expect("send");
                        }
                        std::future::pending::<()>().await;
                    });
                }
                std::future::pending::<()>().await;
            }
            Role::Dealers => {
                let dealers: Vec<Socket> = (0..job.count)
                    .map(|_| socket(SocketType::Dealer, options(&job, false)))
                    .collect();
                peer::say("READY");
                peer::wait_go_async().await;
                for d in &dealers {
                    d.connect(job.endpoint.as_str()).await.expect("connect");
                    d.send(Message::single("hi")).await.expect("send");
                }
                std::future::pending::<()>().await;
            }
        }
    });
}
