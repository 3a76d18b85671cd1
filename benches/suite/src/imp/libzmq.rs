//! libzmq through the `zmq` crate 0.9: blocking calls on the process's main thread, one context
//! per process with libzmq's default of one I/O thread; HWMs: the default 1,000.

use std::time::Instant;

use crate::peer;
use crate::spec::{Job, Role};

fn curve(socket: &zmq::Socket, job: &Job, server: bool) {
    let Some((public, secret)) = &job.server_key else {
        return;
    };
    if server {
        socket.set_curve_server(true).expect("CURVE_SERVER");
        socket
            .set_curve_secretkey(secret.as_bytes())
            .expect("CURVE_SECRETKEY");
    } else {
        let mine = zmq::CurveKeyPair::new().expect("key pair");
        socket
            .set_curve_serverkey(public.as_bytes())
            .expect("CURVE_SERVERKEY");
        socket
            .set_curve_publickey(&mine.public_key)
            .expect("CURVE_PUBLICKEY");
        socket
            .set_curve_secretkey(&mine.secret_key)
            .expect("CURVE_SECRETKEY");
    }
}

/// ZMQ_XPUB_NODROP on a PUB: at the HWM, `send` waits instead of dropping.
fn set_nodrop(socket: &mut zmq::Socket) {
    let on: std::os::raw::c_int = 1;
    // SAFETY: a live socket handle and a pointer to an int of the size given, as
    // zmq_setsockopt(3) asks for an int option.
    let rc = unsafe {
        zmq_sys::zmq_setsockopt(
            socket.as_mut_ptr(),
            zmq_sys::ZMQ_XPUB_NODROP as std::os::raw::c_int,
            (&on as *const std::os::raw::c_int).cast(),
            std::mem::size_of_val(&on),
        )
    };
    assert_eq!(rc, 0, "ZMQ_XPUB_NODROP");
}

fn bind(socket: &zmq::Socket, job: &Job) -> String {
    socket
        .bind(&peer::bind_endpoint(
            job.case.transport,
            &job.variant,
            false,
        ))
        .expect("bind");
    let ep = socket
        .get_last_endpoint()
        .expect("endpoint")
        .expect("utf-8");
    peer::endpoint(&ep);
    ep
}

fn recv_all(pull: &zmq::Socket, count: usize) {
    let mut msg = zmq::Message::new();
    pull.recv(&mut msg, 0).expect("first message");
    let start = Instant::now();
    for _ in 1..count {
        pull.recv(&mut msg, 0).expect("recv");
    }
    peer::throughput(count, start.elapsed());
}

fn send_all(push: &zmq::Socket, size: usize, count: usize) {
    let body = vec![0x5a; size];
    for _ in 0..count {
        push.send(&body[..], 0).expect("send");
    }
}

/// The process's libzmq context: the `zmq` crate's (libzmq's default of one I/O thread), or one
/// made through `zmq-sys` with `ZMQ_IO_THREADS` set (the crate has no setter), which lives until
/// the process ends.
enum Ctx {
    Crate(zmq::Context),
    Raw(*mut std::os::raw::c_void),
}

impl Ctx {
    fn with_io_threads(n: std::os::raw::c_int) -> Ctx {
        // SAFETY: zmq_ctx_new takes nothing; zmq_ctx_set is given the context just made, before
        // any socket exists, as zmq_ctx_set(3) asks for ZMQ_IO_THREADS.
        let raw = unsafe { zmq_sys::zmq_ctx_new() };
        assert!(!raw.is_null(), "zmq_ctx_new");
        let rc = unsafe { zmq_sys::zmq_ctx_set(raw, zmq_sys::ZMQ_IO_THREADS as _, n) };
        assert_eq!(rc, 0, "ZMQ_IO_THREADS");
        Ctx::Raw(raw)
    }

    fn socket(&self, t: zmq::SocketType) -> zmq::Result<zmq::Socket> {
        let raw = match self {
            Ctx::Crate(ctx) => return ctx.socket(t),
            Ctx::Raw(raw) => *raw,
        };
        let kind = match t {
            zmq::PAIR => zmq_sys::ZMQ_PAIR,
            zmq::PUB => zmq_sys::ZMQ_PUB,
            zmq::SUB => zmq_sys::ZMQ_SUB,
            zmq::REQ => zmq_sys::ZMQ_REQ,
            zmq::REP => zmq_sys::ZMQ_REP,
            zmq::DEALER => zmq_sys::ZMQ_DEALER,
            zmq::ROUTER => zmq_sys::ZMQ_ROUTER,
            zmq::PULL => zmq_sys::ZMQ_PULL,
            zmq::PUSH => zmq_sys::ZMQ_PUSH,
            zmq::XPUB => zmq_sys::ZMQ_XPUB,
            zmq::XSUB => zmq_sys::ZMQ_XSUB,
            zmq::STREAM => zmq_sys::ZMQ_STREAM,
        };
        // SAFETY: a live context (never terminated) and a socket type libzmq knows; the socket
        // made is handed to `zmq::Socket`, which closes it when dropped.
        let sock = unsafe { zmq_sys::zmq_socket(raw, kind as _) };
        if sock.is_null() {
            return Err(zmq::Error::from_raw(unsafe { zmq_sys::zmq_errno() }));
        }
        Ok(unsafe { zmq::Socket::from_raw(sock) })
    }
}

fn idle_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Runs `role` to the end (or forever, for the roles the driver kills).
pub fn run(role: Role, job: Job) {
    let ctx = if job.variant.shape == crate::spec::Shape::IoThreads2 {
        Ctx::with_io_threads(2)
    } else {
        Ctx::Crate(zmq::Context::new())
    };
    match role {
        Role::ThrRecv => {
            let pull = ctx.socket(zmq::PULL).expect("PULL");
            curve(&pull, &job, true);
            let ep = bind(&pull, &job);
            recv_all(&pull, job.count);
            peer::cleanup(&ep);
        }
        Role::ThrSend => {
            let push = ctx.socket(zmq::PUSH).expect("PUSH");
            curve(&push, &job, false);
            push.connect(&job.endpoint).expect("connect");
            send_all(&push, job.size, job.count);
            idle_forever();
        }
        Role::ThrInproc => {
            let ep = peer::bind_endpoint(job.case.transport, &job.variant, false);
            let pull = ctx.socket(zmq::PULL).expect("PULL");
            pull.bind(&ep).expect("bind");
            let push = ctx.socket(zmq::PUSH).expect("PUSH");
            push.connect(&ep).expect("connect");
            let (size, count) = (job.size, job.count);
            std::thread::spawn(move || {
                send_all(&push, size, count);
                idle_forever();
            });
            recv_all(&pull, count);
        }
        Role::LatRep => {
            let rep = ctx.socket(zmq::REP).expect("REP");
            bind(&rep, &job);
            let mut msg = zmq::Message::new();
            loop {
                rep.recv(&mut msg, 0).expect("recv");
                rep.send(&msg[..], 0).expect("send");
            }
        }
        Role::LatReq => {
            let req = ctx.socket(zmq::REQ).expect("REQ");
            req.connect(&job.endpoint).expect("connect");
            let body = vec![0x5a; job.size];
            let mut msg = zmq::Message::new();
            for _ in 0..peer::LATENCY_WARM_UP {
                req.send(&body[..], 0).expect("send");
                req.recv(&mut msg, 0).expect("recv");
            }
            let mut rtts = Vec::with_capacity(job.count);
            for _ in 0..job.count {
                let t0 = Instant::now();
                req.send(&body[..], 0).expect("send");
                req.recv(&mut msg, 0).expect("recv");
                rtts.push(t0.elapsed().as_nanos() as u64);
            }
            peer::latency(rtts);
        }
        Role::Pub => {
            let mut publisher = ctx.socket(zmq::PUB).expect("PUB");
            set_nodrop(&mut publisher);
            bind(&publisher, &job);
            let go = peer::go_flag();
            let warm = peer::payload(job.size, Some(peer::WARM_UP));
            while !go.load(std::sync::atomic::Ordering::Acquire) {
                publisher.send(&warm[..], 0).expect("send");
                std::thread::sleep(peer::MARKER_INTERVAL);
            }
            let data = peer::payload(job.size, Some(peer::DATA));
            for _ in 0..job.count {
                publisher.send(&data[..], 0).expect("send");
            }
            let end = peer::payload(job.size, Some(peer::END));
            loop {
                publisher.send(&end[..], 0).expect("send");
                std::thread::sleep(peer::MARKER_INTERVAL);
            }
        }
        Role::Sub => {
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let mut threads = Vec::new();
            for _ in 0..job.case.peers {
                let sub = ctx.socket(zmq::SUB).expect("SUB");
                sub.connect(&job.endpoint).expect("connect");
                sub.set_subscribe(b"").expect("subscribe");
                let ready = ready_tx.clone();
                threads.push(std::thread::spawn(move || {
                    let mut stats = peer::SubStats::default();
                    let mut warm = false;
                    let mut msg = zmq::Message::new();
                    while sub.recv(&mut msg, 0).is_ok() {
                        match msg.first().copied() {
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
                let _ = ready_rx.recv();
            }
            peer::say("READY");
            let stats: Vec<_> = threads
                .into_iter()
                .map(|t| t.join().expect("subscriber thread"))
                .collect();
            peer::fan_out(&stats, job.count);
        }
        Role::Router => {
            let router = ctx.socket(zmq::ROUTER).expect("ROUTER");
            bind(&router, &job);
            let before = peer::rss();
            peer::wait_go();
            let t0 = Instant::now();
            let mut msg = zmq::Message::new();
            for _ in 0..job.count {
                // Routing id, then the body.
                router.recv(&mut msg, 0).expect("recv");
                router.recv(&mut msg, 0).expect("recv");
            }
            let connect = t0.elapsed();
            peer::idle_router(before, peer::rss(), job.count, connect);
        }
        Role::BusyRouter => {
            let router = ctx.socket(zmq::ROUTER).expect("ROUTER");
            bind(&router, &job);
            let mut msg = zmq::Message::new();
            // Routing id, then the body, for each message.
            router.recv(&mut msg, 0).expect("recv");
            router.recv(&mut msg, 0).expect("recv");
            let start = Instant::now();
            for _ in 1..job.count {
                router.recv(&mut msg, 0).expect("recv");
                router.recv(&mut msg, 0).expect("recv");
            }
            peer::throughput(job.count, start.elapsed());
        }
        Role::BusyDealers => {
            let per_process = job.case.peers / crate::spec::BUSY_DEALER_PROCESSES;
            let each = job.count / per_process;
            let dealers: Vec<_> = (0..per_process)
                .map(|_| {
                    let d = ctx.socket(zmq::DEALER).expect("DEALER");
                    d.connect(&job.endpoint).expect("connect");
                    d
                })
                .collect();
            peer::say("READY");
            peer::wait_go();
            let body = peer::payload(job.size, None);
            // Round robin over this process's DEALERs from the one application thread (libzmq's
            // sockets are not thread-safe); a DEALER at its HWM holds the turn until it has room.
            for _ in 0..each {
                for d in &dealers {
                    d.send(&body[..], 0).expect("send");
                }
            }
            idle_forever();
        }
        Role::Dealers => {
            let dealers: Vec<_> = (0..job.count)
                .map(|_| ctx.socket(zmq::DEALER).expect("DEALER"))
                .collect();
            peer::say("READY");
            peer::wait_go();
            for d in &dealers {
                d.connect(&job.endpoint).expect("connect");
                d.send("hi", 0).expect("send");
            }
            idle_forever();
        }
    }
}
