//! What is measured: the cases, the implementations (variants) and the job a peer process runs.

use clap::ValueEnum;

/// A transport a case runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// tcp://127.0.0.1, two processes.
    Tcp,
    /// ipc:// (a Unix socket in the temp directory), two processes.
    Ipc,
    /// inproc://, both sides in one process.
    Inproc,
}

/// The kind of measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// PUSH→PULL messages per second at the receiver, first to last message.
    Throughput,
    /// REQ↔REP round trips timed one by one at the REQ.
    Latency,
    /// PUB to N SUBs in another process: deliveries per second over all subscribers.
    FanOut,
    /// ROUTER with 10,000 idle DEALERs: memory per connection and time to connect them all.
    IdleRouter,
    /// ROUTER receiving from N busy DEALERs in other processes: messages per second at the
    /// ROUTER, first to last (the multi-core row, with the two-I/O-thread variants).
    FanIn,
}

/// One row group of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// Name used by `--case` and in the table.
    pub name: &'static str,
    /// What is measured.
    pub kind: Kind,
    /// Over what.
    pub transport: Transport,
    /// CURVE on (PUSH→PULL only).
    pub curve: bool,
    /// Message sizes in bytes.
    pub sizes: &'static [usize],
    /// Subscribers (fan-out) or DEALERs (idle router); 0 otherwise.
    pub peers: usize,
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Every case, in table order.
pub const CASES: &[Case] = &[
    Case {
        name: "push_pull_tcp",
        kind: Kind::Throughput,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[1, 64, KIB, 64 * KIB, MIB],
        peers: 0,
    },
    Case {
        name: "push_pull_ipc",
        kind: Kind::Throughput,
        transport: Transport::Ipc,
        curve: false,
        sizes: &[64, 64 * KIB],
        peers: 0,
    },
    Case {
        name: "push_pull_inproc",
        kind: Kind::Throughput,
        transport: Transport::Inproc,
        curve: false,
        sizes: &[64, 64 * KIB],
        peers: 0,
    },
    Case {
        name: "req_rep_tcp",
        kind: Kind::Latency,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[1, KIB],
        peers: 0,
    },
    Case {
        name: "push_pull_curve_tcp",
        kind: Kind::Throughput,
        transport: Transport::Tcp,
        curve: true,
        sizes: &[64, KIB, 64 * KIB],
        peers: 0,
    },
    Case {
        name: "pub_sub_1_tcp",
        kind: Kind::FanOut,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[64],
        peers: 1,
    },
    Case {
        name: "pub_sub_10_tcp",
        kind: Kind::FanOut,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[64],
        peers: 10,
    },
    Case {
        name: "router_10k_idle_tcp",
        kind: Kind::IdleRouter,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[0],
        peers: 10_000,
    },
    Case {
        name: "router_100_busy_tcp",
        kind: Kind::FanIn,
        transport: Transport::Tcp,
        curve: false,
        sizes: &[64],
        peers: 100,
    },
];

/// Processes the DEALERs of the idle-router case are spread over (1,000 each: under libzmq's
/// default ZMQ_MAX_SOCKETS of 1,023, which the `zmq` crate cannot raise, and far under the
/// 20,000 open files a process may have).
pub const DEALER_PROCESSES: usize = 10;

/// Processes the busy DEALERs of the fan-in case are spread over (25 each).
pub const BUSY_DEALER_PROCESSES: usize = 4;

impl Case {
    /// Messages (or round trips) per run at `size`, before `--scale`: sized so that zmtp and
    /// libzmq take roughly 0.3-1 s on a 2-core machine.
    pub fn count(&self, size: usize) -> usize {
        match (self.kind, self.transport, self.curve) {
            (Kind::Throughput, _, true) => match size {
                s if s <= 64 => 200_000,
                s if s <= KIB => 100_000,
                _ => 5_000,
            },
            (Kind::Throughput, Transport::Inproc, false) => match size {
                s if s <= KIB => 5_000_000,
                _ => 200_000,
            },
            (Kind::Throughput, _, false) => match size {
                s if s <= 64 => 2_000_000,
                s if s <= KIB => 500_000,
                s if s <= 64 * KIB => 20_000,
                _ => 1_000,
            },
            (Kind::Latency, _, _) => 20_000,
            (Kind::FanOut, _, _) => {
                if self.peers > 1 {
                    200_000
                } else {
                    1_000_000
                }
            }
            (Kind::IdleRouter, _, _) => self.peers,
            (Kind::FanIn, _, _) => 2_000_000,
        }
    }

    /// Whether `variant` can run this case, or why not.
    pub fn supported_by(&self, variant: &Variant) -> Result<(), &'static str> {
        if variant.shape == Shape::IoThreads2 && !self.multi_core() {
            return Err("the two-I/O-thread variants run the multi-core cases only (pub_sub_10_tcp, router_100_busy_tcp)");
        }
        match variant.imp {
            Impl::Zmtp | Impl::Libzmq => Ok(()),
            Impl::ZmtpBatch => match self.kind {
                Kind::Throughput => Ok(()),
                _ => Err("recv_many's rows are throughput rows"),
            },
            Impl::Zeromq => {
                if self.curve {
                    Err("zmq.rs has no CURVE")
                } else if self.transport == Transport::Inproc {
                    Err("zmq.rs has no inproc")
                } else {
                    Ok(())
                }
            }
            Impl::Omq if self.kind == Kind::IdleRouter => {
                Err("omq.rs at its defaults: 10,000 idle DEALERs did not all reach the ROUTER within 90 s, nor 999 within 12 s (100 do)")
            }
            Impl::Omq => Ok(()),
            Impl::Raw => match self.kind {
                Kind::Throughput if !self.curve && self.transport != Transport::Inproc => Ok(()),
                Kind::Latency => Ok(()),
                _ => Err("no raw equivalent"),
            },
        }
    }
}

impl Case {
    /// The cases of the multi-core row: many connections busy at once, which a second I/O
    /// thread can share out.
    pub fn multi_core(&self) -> bool {
        match self.kind {
            Kind::FanIn => true,
            Kind::FanOut => self.peers > 1,
            _ => false,
        }
    }
}

/// An implementation under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// This project.
    Zmtp,
    /// This project, both sides taking batches (`Socket::recv_many`, `Socket::send_many`): its own rows,
    /// never in the summary (the targets are met with the per-message API).
    ZmtpBatch,
    /// libzmq 4.3 through the `zmq` crate 0.9.
    Libzmq,
    /// zmq.rs, the `zeromq` crate.
    Zeromq,
    /// omq.rs, the `omq-tokio` crate.
    Omq,
    /// Plain Tokio TCP/Unix streams carrying the same frames: the ceiling.
    Raw,
}

/// The Tokio runtime each process runs the application on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `current_thread`: one Tokio worker per process.
    OneWorker,
    /// The default multi-thread runtime (`#[tokio::main]`, one worker per core).
    Default,
}

/// Where a library's connections run, for the libraries that offer the choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// On an I/O thread (runtime) the library owns (zmtp `Context::new()`, omq `Context::new()`).
    IoThread,
    /// On the application's runtime (zmtp `Context::on_caller_runtime()`, omq `Socket::new`).
    Caller,
    /// The library has no choice (libzmq: its own I/O thread; zmq.rs, raw: the caller's).
    Fixed,
    /// On two I/O threads the library owns (zmtp `Context::with_io_threads(2)`, libzmq
    /// `ZMQ_IO_THREADS` 2): the multi-core row.
    IoThreads2,
}

/// One column of the detailed table: an implementation, a runtime flavour and a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Name used by `--impls` and in the detailed table.
    pub name: &'static str,
    /// The implementation.
    pub imp: Impl,
    /// Application runtime.
    pub flavour: Flavour,
    /// Where connections run.
    pub shape: Shape,
}

/// Every variant, in column order of the detailed table.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "zmtp-1w-io",
        imp: Impl::Zmtp,
        flavour: Flavour::OneWorker,
        shape: Shape::IoThread,
    },
    Variant {
        name: "zmtp-1w-caller",
        imp: Impl::Zmtp,
        flavour: Flavour::OneWorker,
        shape: Shape::Caller,
    },
    Variant {
        name: "zmtp-mt-io",
        imp: Impl::Zmtp,
        flavour: Flavour::Default,
        shape: Shape::IoThread,
    },
    Variant {
        name: "zmtp-mt-caller",
        imp: Impl::Zmtp,
        flavour: Flavour::Default,
        shape: Shape::Caller,
    },
    Variant {
        name: "zmtp-mt-io2",
        imp: Impl::Zmtp,
        flavour: Flavour::Default,
        shape: Shape::IoThreads2,
    },
    Variant {
        name: "zmtp-1w-caller-batch",
        imp: Impl::ZmtpBatch,
        flavour: Flavour::OneWorker,
        shape: Shape::Caller,
    },
    Variant {
        name: "libzmq",
        imp: Impl::Libzmq,
        flavour: Flavour::OneWorker,
        shape: Shape::Fixed,
    },
    Variant {
        name: "libzmq-io2",
        imp: Impl::Libzmq,
        flavour: Flavour::OneWorker,
        shape: Shape::IoThreads2,
    },
    Variant {
        name: "zmqrs-1w",
        imp: Impl::Zeromq,
        flavour: Flavour::OneWorker,
        shape: Shape::Fixed,
    },
    Variant {
        name: "zmqrs-mt",
        imp: Impl::Zeromq,
        flavour: Flavour::Default,
        shape: Shape::Fixed,
    },
    Variant {
        name: "omq-1w-io",
        imp: Impl::Omq,
        flavour: Flavour::OneWorker,
        shape: Shape::IoThread,
    },
    Variant {
        name: "omq-1w-caller",
        imp: Impl::Omq,
        flavour: Flavour::OneWorker,
        shape: Shape::Caller,
    },
    Variant {
        name: "omq-mt-caller",
        imp: Impl::Omq,
        flavour: Flavour::Default,
        shape: Shape::Caller,
    },
    Variant {
        name: "raw",
        imp: Impl::Raw,
        flavour: Flavour::OneWorker,
        shape: Shape::Fixed,
    },
];

/// Finds a variant by name.
pub fn variant(name: &str) -> Option<Variant> {
    VARIANTS.iter().copied().find(|v| v.name == name)
}

/// Finds a case by name.
pub fn case(name: &str) -> Option<Case> {
    CASES.iter().copied().find(|c| c.name == name)
}

/// A peer process's part of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// PULL: binds, announces its endpoint, measures.
    ThrRecv,
    /// PUSH: connects, sends.
    ThrSend,
    /// PUSH and PULL in one process over inproc; the PULL measures.
    ThrInproc,
    /// REP: binds, echoes.
    LatRep,
    /// REQ: connects, times each round trip.
    LatReq,
    /// PUB: binds, sends warm-ups until GO, then the data, then END markers until killed.
    Pub,
    /// N SUBs: connect, READY once each saw a warm-up, measure the data.
    Sub,
    /// ROUTER: binds, reads its RSS, waits for GO, counts one message per DEALER, RSS again.
    Router,
    /// N DEALERs: created, READY, connect and send one message each on GO, then stay idle.
    Dealers,
    /// ROUTER: binds, counts the messages of the busy DEALERs, measures from the first.
    BusyRouter,
    /// N DEALERs: connect, READY, and on GO each sends its share of the messages at once.
    BusyDealers,
}

/// Everything a peer process needs (passed on its command line).
#[derive(Clone, Debug)]
pub struct Job {
    /// The case.
    pub case: Case,
    /// The variant.
    pub variant: Variant,
    /// Message size.
    pub size: usize,
    /// Messages, round trips or DEALERs.
    pub count: usize,
    /// The endpoint to connect to (connecting roles).
    pub endpoint: String,
    /// CURVE server key pair (Z85 public, Z85 secret): the server needs both, the client the
    /// public one.
    pub server_key: Option<(String, String)>,
}
