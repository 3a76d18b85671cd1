//! This project: every role on a Tokio runtime of the variant's flavour, connections on the
//! context's own I/O thread (`Context::new()`) or on the caller's runtime
//! (`Context::on_caller_runtime()`), per the variant's shape. HWMs: the default 1,000.

use std::time::Instant;

use zmtp::security::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
use zmtp::{Context, Dealer, Pub, Pull, Push, Rep, Req, Router, SocketOptions, Sub};

use crate::peer;
use crate::spec::{Impl, Job, Role, Shape};

fn context(job: &Job) -> Context {
    match job.variant.shape {
        Shape::Caller => Context::on_caller_runtime(),
        Shape::IoThreads2 => Context::with_io_threads(2).expect("a zmtp context"),
        _ => Context::new().expect("a zmtp context"),
    }
}

/// CURVE options for the server (binding) or client side, if the case uses CURVE.
fn options(job: &Job, server: bool) -> SocketOptions {
    let opts = SocketOptions::new();
    let Some((public, secret)) = &job.server_key else {
        return opts;
    };
    let server_public = CurvePublicKey::from_z85(public).expect("server public key");
    if server {
        opts.curve_server(true)
            .curve_public_key(server_public)
            .curve_secret_key(CurveSecretKey::from_z85(secret).expect("server secret key"))
    } else {
        let mine = CurveKeyPair::generate();
        opts.curve_server_key(server_public)
            .curve_public_key(*mine.public())
            .curve_secret_key(mine.secret().clone())
    }
}

/// The endpoint the binding side binds, for this job.
fn ours(job: &Job) -> String {
    peer::bind_endpoint(job.case.transport, &job.variant, false)
}

/// Runs `role` to the end (or forever, for the roles the driver kills).
pub fn run(role: Role, job: Job) {
    let rt = peer::runtime(job.variant.flavour);
    rt.block_on(async move {
        let ctx = context(&job);
        match role {
            Role::ThrRecv => {
                let pull = Pull::with_options_in(&ctx, options(&job, true)).expect("PULL");
                let ep = pull.bind(&ours(&job)).await.expect("bind");
                peer::endpoint(&ep);
                recv_all(&pull, &job).await;
                peer::cleanup(&ep);
            }
            Role::ThrSend => {
                let push = Push::with_options_in(&ctx, options(&job, false)).expect("PUSH");
                push.connect(&job.endpoint).await.expect("connect");
                send_all(&push, &job).await;
                std::future::pending::<()>().await;
            }
            Role::ThrInproc => {
                let ep = peer::bind_endpoint(job.case.transport, &job.variant, false);
                let pull = Pull::new_in(&ctx).expect("PULL");
                pull.bind(&ep).await.expect("bind");
                let push = Push::new_in(&ctx).expect("PUSH");
                push.connect(&ep).await.expect("connect");
                let sender = job.clone();
                tokio::spawn(async move {
                    send_all(&push, &sender).await;
                    std::future::pending::<()>().await;
                });
                recv_all(&pull, &job).await;
            }
            Role::LatRep => {
                let rep = Rep::new_in(&ctx).expect("REP");
                let ep = rep.bind(&ours(&job)).await.expect("bind");
                peer::endpoint(&ep);
                while let Ok(msg) = rep.recv().await {
                    rep.send(msg).await.expect("send");
                }
            }
            Role::LatReq => {
                let req = Req::new_in(&ctx).expect("REQ");
                req.connect(&job.endpoint).await.expect("connect");
                let body = peer::payload(job.size, None);
                for _ in 0..peer::LATENCY_WARM_UP {
                    req.send(body.clone()).await.expect("send");
                    req.recv().await.expect("recv");
                }
                let mut rtts = Vec::with_capacity(job.count);
                for _ in 0..job.count {
                    let t0 = Instant::now();
                    req.send(body.clone()).await.expect("send");
                    req.recv().await.expect("recv");
                    rtts.push(t0.elapsed().as_nanos() as u64);
                }
                peer::latency(rtts);
            }
            Role::Pub => {
                let nodrop = SocketOptions::new().xpub_nodrop(true);
                let publisher = Pub::with_options_in(&ctx, nodrop).expect("PUB");
                let ep = publisher.bind(&ours(&job)).await.expect("bind");
                peer::endpoint(&ep);
                let go = peer::go_flag();
                let warm = peer::payload(job.size, Some(peer::WARM_UP));
                while !go.load(std::sync::atomic::Ordering::Acquire) {
                    publisher.send(warm.clone()).await.expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
                let data = peer::payload(job.size, Some(peer::DATA));
                for _ in 0..job.count {
                    publisher.send(data.clone()).await.expect("send");
                }
                let end = peer::payload(job.size, Some(peer::END));
                loop {
                    publisher.send(end.clone()).await.expect("send");
                    tokio::time::sleep(peer::MARKER_INTERVAL).await;
                }
            }
            Role::Sub => {
                let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
                let mut tasks = Vec::new();
                for _ in 0..job.case.peers {
                    let sub = Sub::new_in(&ctx).expect("SUB");
                    sub.connect(&job.endpoint).await.expect("connect");
                    sub.subscribe(b"").expect("subscribe");
                    let ready = ready_tx.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut stats = peer::SubStats::default();
                        let mut warm = false;
                        while let Ok(msg) = sub.recv().await {
                            match msg.first().and_then(|f| f.first()).copied() {
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
                let router = Router::new_in(&ctx).expect("ROUTER");
                let ep = router.bind(&ours(&job)).await.expect("bind");
                peer::endpoint(&ep);
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
                let router = Router::new_in(&ctx).expect("ROUTER");
                let ep = router.bind(&ours(&job)).await.expect("bind");
                peer::endpoint(&ep);
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
                    let dealer = Dealer::new_in(&ctx).expect("DEALER");
                    dealer.connect(&job.endpoint).await.expect("connect");
                    dealers.push(dealer);
                }
                peer::say("READY");
                peer::wait_go_async().await;
                let body = peer::payload(job.size, None);
                for dealer in dealers {
                    let body = body.clone();
                    tokio::spawn(async move {
                        for _ in 0..each {
                            dealer.send(body.clone()).await.expect("send");
                        }
                        std::future::pending::<()>().await;
                    });
                }
                std::future::pending::<()>().await;
            }
            Role::Dealers => {
                let mut dealers = Vec::with_capacity(job.count);
                for _ in 0..job.count {
                    dealers.push(Dealer::new_in(&ctx).expect("DEALER"));
                }
                peer::say("READY");
                peer::wait_go_async().await;
                for d in &mut dealers {
                    d.connect(&job.endpoint).await.expect("connect");
                    d.send("hi").await.expect("send");
                }
                std::future::pending::<()>().await;
            }
        }
    });
}

/// Sends the run's messages, one at a time, or in batches of up to [`BATCH`] for the batch
/// variant (`send_many`).
async fn send_all(push: &Push, job: &Job) {
    let body = peer::payload(job.size, None);
    if job.variant.imp != Impl::ZmtpBatch {
        for _ in 0..job.count {
            push.send(body.clone()).await.expect("send");
        }
        return;
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut queued = 0;
    while queued < job.count || !batch.is_empty() {
        while batch.len() < BATCH && queued < job.count {
            batch.push(zmtp::Message::from(body.clone()));
            queued += 1;
        }
        push.send_many(&mut batch).await.expect("send_many");
    }
}

/// Receives the run's messages, one at a time, or in batches of up to [`BATCH`] for the
/// `recv_many` variant; the clock starts at the first.
async fn recv_all(pull: &Pull, job: &Job) {
    let count = job.count;
    pull.recv().await.expect("first message");
    let start = Instant::now();
    if job.variant.imp == Impl::ZmtpBatch {
        let mut batch = Vec::with_capacity(BATCH);
        let mut received = 1;
        while received < count {
            received += pull
                .recv_many(&mut batch, BATCH.min(count - received))
                .await
                .expect("recv_many");
            batch.clear();
        }
    } else {
        for _ in 1..count {
            pull.recv().await.expect("recv");
        }
    }
    peer::throughput(count, start.elapsed());
}

/// The most messages a `recv_many` takes at once in the batch variant.
const BATCH: usize = 256;
