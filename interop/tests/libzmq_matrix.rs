//! The interop matrix with libzmq 4.3.4: every compatible pair of socket types (PAIR-PAIR,
//! REQ-REP, REQ-ROUTER, DEALER-REP, DEALER-ROUTER, DEALER-DEALER, ROUTER-ROUTER, PUSH-PULL), each
//! role assignment (our socket is one type and libzmq's the other, and the reverse), each side
//! binding, and each mechanism: NULL, PLAIN and CURVE, with ZAP on the server side (our Rust
//! handler when our socket is the server, a libzmq handler at `inproc://zeromq.zap.01` when
//! libzmq's is). The binding side is the mechanism's server. One test per case, named
//! `<pair>::ours_<type>::<we_bind|they_bind>::<mechanism>`, e.g.
//! `dealer_router::ours_dealer::we_bind::curve`.
//!
//! In each case a *client* (REQ; DEALER facing REP or ROUTER; PUSH; for PAIR-PAIR, DEALER-DEALER
//! and ROUTER-ROUTER the connecting side) sends 10,000 requests of `Traffic::light(seed)`, with
//! at most [`WINDOW`] unanswered (one for REQ). The *server* checks each request byte-exact and
//! answers with the next message of `Traffic::light(seed ^ REPLY_SEED)`, behind the envelope it
//! received: a ROUTER addresses its reply with the routing-id frame, and checks that frame. A
//! client facing a ROUTER announces `ZMQ_ROUTING_ID` "matrix-client" when it connects, and no id
//! when it binds, so the ROUTER makes one up (0x00 and four bytes, in libzmq and here) and must
//! keep it. The client checks each reply byte-exact: 10,000 messages each way. PUSH-PULL goes
//! one way.
//!
//! ROUTER-ROUTER: the bound ROUTER announces `ZMQ_ROUTING_ID` "matrix-server" and the connecting
//! one "matrix-client". Our connecting ROUTER names the bound one with `ZMQ_CONNECT_RID`, so it
//! is routable at once; libzmq's (the `zmq` crate has no `ZMQ_CONNECT_ROUTING_ID`) learns the id
//! from our handshake, and its first send retries `EHOSTUNREACH` until then, within a bound.
//!
//! Our socket runs on a current-thread Tokio runtime, libzmq's on a `std::thread`. Every wait is
//! bounded and fails saying what it awaited; a case as a whole is bounded by [`CASE_LIMIT`].

mod support;

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use support::{
    bound_address, check_frame, check_message, fill_frame, frame_bytes, millis, LibzmqZapHandler,
    SeenZapRequest, Traffic,
};
use tokio::sync::oneshot;
use zmtp::codec::{ZapReply, ZapRequest};
use zmtp::security::CurveKeyPair;
use zmtp::socket::{Dealer, Message, Pair, Pull, Push, Rep, Req, Router, SocketOptions};

/// Requests per case (and replies, where the pattern has them).
const MESSAGES: usize = 10_000;
/// Requests a client may have unanswered (REQ: one, by its nature). Below every high-water
/// mark, so a ROUTER never finds a peer's queue full.
const WINDOW: usize = 100;
/// The longest any single step may take (a message, an address, the other side's end).
const STALL: Duration = Duration::from_secs(30);
/// The longest a whole case may take.
const CASE_LIMIT: Duration = Duration::from_secs(150);
/// Replies come from `Traffic::light(seed ^ REPLY_SEED)`.
const REPLY_SEED: u64 = 0x5EED_4E91_7F0E_2B3A;
/// The routing id a client facing a ROUTER announces when it connects.
const CLIENT_ID: &[u8] = b"matrix-client";
/// ROUTER-ROUTER: the bound ROUTER's routing id.
const SERVER_ID: &[u8] = b"matrix-server";
/// PLAIN credentials.
const USER: &str = "matrix-user";
const PASSWORD: &str = "matrix-password";

// ------------------------------------------------------------------------------------------------
// The matrix
// ------------------------------------------------------------------------------------------------

/// One module per pair, one per role assignment, one per binding side, one test per mechanism.
macro_rules! matrix {
    ($( $pair:ident { $( $role:ident: $ours:ident with $theirs:ident; )+ } )+) => {
        $(
            mod $pair {
                $(
                    mod $role {
                        mod we_bind {
                            matrix!(@mechanisms $ours, $theirs, true);
                        }
                        mod they_bind {
                            matrix!(@mechanisms $ours, $theirs, false);
                        }
                    }
                )+
            }
        )+
    };
    (@mechanisms $ours:ident, $theirs:ident, $we_bind:expr) => {
        matrix!(@case null, Null, $ours, $theirs, $we_bind);
        matrix!(@case plain, Plain, $ours, $theirs, $we_bind);
        matrix!(@case curve, Curve, $ours, $theirs, $we_bind);
    };
    (@case $name:ident, $mechanism:ident, $ours:ident, $theirs:ident, $we_bind:expr) => {
        #[test]
        fn $name() {
            crate::run(crate::Case {
                name: concat!(module_path!(), "::", stringify!($name)),
                ours: crate::Kind::$ours,
                theirs: crate::Kind::$theirs,
                we_bind: $we_bind,
                mechanism: crate::Mechanism::$mechanism,
            });
        }
    };
}

matrix! {
    pair_pair {
        ours_pair: Pair with Pair;
    }
    req_rep {
        ours_req: Req with Rep;
        ours_rep: Rep with Req;
    }
    req_router {
        ours_req: Req with Router;
        ours_router: Router with Req;
    }
    dealer_rep {
        ours_dealer: Dealer with Rep;
        ours_rep: Rep with Dealer;
    }
    dealer_router {
        ours_dealer: Dealer with Router;
        ours_router: Router with Dealer;
    }
    dealer_dealer {
        ours_dealer: Dealer with Dealer;
    }
    router_router {
        ours_router: Router with Router;
    }
    push_pull {
        ours_push: Push with Pull;
        ours_pull: Pull with Push;
    }
}

/// A socket type of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pair,
    Req,
    Rep,
    Dealer,
    Router,
    Push,
    Pull,
}

impl Kind {
    fn zmq(self) -> zmq::SocketType {
        match self {
            Kind::Pair => zmq::PAIR,
            Kind::Req => zmq::REQ,
            Kind::Rep => zmq::REP,
            Kind::Dealer => zmq::DEALER,
            Kind::Router => zmq::ROUTER,
            Kind::Push => zmq::PUSH,
            Kind::Pull => zmq::PULL,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Pair => "PAIR",
            Kind::Req => "REQ",
            Kind::Rep => "REP",
            Kind::Dealer => "DEALER",
            Kind::Router => "ROUTER",
            Kind::Push => "PUSH",
            Kind::Pull => "PULL",
        })
    }
}

/// The security mechanism of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mechanism {
    Null,
    Plain,
    Curve,
}

/// One case of the matrix.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// The test's path, for messages (and the traffic's seed).
    name: &'static str,
    ours: Kind,
    theirs: Kind,
    /// Whether our socket binds (and is the mechanism's server) or connects.
    we_bind: bool,
    mechanism: Mechanism,
}

/// Who does what in a case.
#[derive(Debug, Clone)]
struct Plan {
    client: Kind,
    server: Kind,
    /// Whether our socket is the client.
    ours_is_client: bool,
    /// Frames the client puts before each request body and finds before each reply body (a
    /// DEALER talking to a REP: the empty delimiter; a ROUTER: the other ROUTER's id).
    client_prefix: Vec<Bytes>,
    /// How many frames the server finds before each request body and puts back before its reply
    /// (a ROUTER: the routing id, and the delimiter after it when the client is a REQ).
    server_envelope: usize,
    /// Whether the server's envelope ends with an empty delimiter.
    delimited: bool,
    /// The routing id the client announces (`ZMQ_ROUTING_ID`), which a ROUTER server must see:
    /// a client facing a ROUTER announces one when it connects (always in ROUTER-ROUTER), and
    /// none when it binds, so that the ROUTER makes one up (0x00 and four bytes, libzmq's form).
    client_id: Option<&'static [u8]>,
    /// Whether the server answers (all but PUSH-PULL).
    replies: bool,
    /// Requests the client may have unanswered.
    window: usize,
}

impl Case {
    fn plan(&self) -> Plan {
        use Kind::*;
        let ours_is_client = match (self.ours, self.theirs) {
            (Req | Push, _) => true,
            (_, Req | Push) => false,
            (Dealer, Rep | Router) => true,
            (Rep | Router, Dealer) => false,
            // PAIR-PAIR, DEALER-DEALER, ROUTER-ROUTER: the connecting side asks.
            _ => !self.we_bind,
        };
        let client_connects = ours_is_client != self.we_bind;
        let (client, server) = if ours_is_client {
            (self.ours, self.theirs)
        } else {
            (self.theirs, self.ours)
        };
        let client_prefix = match (client, server) {
            (Dealer, Rep) => vec![Bytes::new()],
            (Router, Router) => vec![Bytes::from_static(SERVER_ID)],
            _ => Vec::new(),
        };
        let (server_envelope, delimited) = match (server, client) {
            (Router, Req) => (2, true),
            (Router, _) => (1, false),
            _ => (0, false),
        };
        Plan {
            client,
            server,
            ours_is_client,
            client_prefix,
            server_envelope,
            delimited,
            client_id: (server == Router && (client == Router || client_connects))
                .then_some(CLIENT_ID),
            replies: server != Pull,
            window: if client == Req { 1 } else { WINDOW },
        }
    }

    /// The routing id our socket announces (`ZMQ_ROUTING_ID`), if any.
    fn our_routing_id(&self, plan: &Plan) -> Option<&'static [u8]> {
        if plan.ours_is_client {
            plan.client_id
        } else {
            self.router_router().then_some(SERVER_ID)
        }
    }

    /// The routing id libzmq's socket announces, if any.
    fn their_routing_id(&self, plan: &Plan) -> Option<&'static [u8]> {
        if plan.ours_is_client {
            self.router_router().then_some(SERVER_ID)
        } else {
            plan.client_id
        }
    }

    /// Whether both sockets are ROUTERs.
    fn router_router(&self) -> bool {
        self.ours == Kind::Router && self.theirs == Kind::Router
    }

    /// The credentials a server's ZAP handler must see, as frames.
    fn expected_credentials(&self, keys: Option<&Keys>) -> Vec<Vec<u8>> {
        match (self.mechanism, keys) {
            (Mechanism::Plain, _) => vec![USER.as_bytes().to_vec(), PASSWORD.as_bytes().to_vec()],
            (Mechanism::Curve, Some(keys)) => vec![keys.client.public().as_bytes().to_vec()],
            _ => Vec::new(),
        }
    }

    fn mechanism_name(&self) -> &'static [u8] {
        match self.mechanism {
            Mechanism::Null => b"NULL",
            Mechanism::Plain => b"PLAIN",
            Mechanism::Curve => b"CURVE",
        }
    }
}

/// The key pairs of a CURVE case, made for each test.
#[derive(Debug, Clone)]
struct Keys {
    server: CurveKeyPair,
    client: CurveKeyPair,
}

/// FNV-1a of the case's name: each case its own traffic.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// How far both sides got, for the message of a case that runs out of time.
#[derive(Debug, Default)]
struct Progress {
    ours_sent: AtomicUsize,
    ours_received: AtomicUsize,
    theirs_sent: AtomicUsize,
    theirs_received: AtomicUsize,
    /// What our side awaits.
    stage: Mutex<&'static str>,
}

impl Progress {
    fn stage(&self, stage: &'static str) {
        *self.stage.lock().expect("progress lock") = stage;
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "awaiting {}; our socket sent {} and received {} messages, libzmq's sent {} and \
             received {}",
            self.stage.lock().map_or("?", |s| *s),
            self.ours_sent.load(Ordering::Relaxed),
            self.ours_received.load(Ordering::Relaxed),
            self.theirs_sent.load(Ordering::Relaxed),
            self.theirs_received.load(Ordering::Relaxed),
        )
    }
}

/// Checks the envelope a server found before request `index`: the routing id (the client's
/// announced one, or the same as before), then the delimiter when there is one.
fn check_envelope(
    plan: &Plan,
    seen_id: &mut Option<Vec<u8>>,
    index: usize,
    envelope: &[&[u8]],
) -> Result<(), String> {
    if plan.server_envelope == 0 {
        return Ok(());
    }
    let id = envelope[0];
    match plan.client_id {
        Some(expected) if id != expected => {
            return Err(format!(
                "request {index}: routing id {id:?}, expected the client's {expected:?}"
            ))
        }
        None if id.len() != 5 || id[0] != 0 => {
            return Err(format!(
                "request {index}: routing id {id:?}, expected a made-up one (0x00 and 4 bytes)"
            ))
        }
        _ => {}
    }
    match seen_id {
        Some(first) if first != id => {
            return Err(format!(
                "request {index}: routing id {id:?}, but {first:?} before"
            ))
        }
        Some(_) => {}
        None if id.is_empty() => return Err(format!("request {index}: an empty routing id")),
        None => *seen_id = Some(id.to_vec()),
    }
    if plan.delimited && !envelope[1].is_empty() {
        return Err(format!(
            "request {index}: {} bytes where the empty delimiter belongs",
            envelope[1].len()
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Running a case
// ------------------------------------------------------------------------------------------------

fn run(case: Case) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let progress = Arc::new(Progress::default());
    let running = run_case(case, progress.clone());
    runtime.block_on(async {
        if tokio::time::timeout(CASE_LIMIT, running).await.is_err() {
            panic!(
                "{}: not finished within {CASE_LIMIT:?}: {progress}",
                case.name
            );
        }
    });
}

async fn run_case(case: Case, progress: Arc<Progress>) {
    let plan = case.plan();
    let seed = seed_of(case.name);
    let keys = (case.mechanism == Mechanism::Curve).then(|| Keys {
        server: CurveKeyPair::generate(),
        client: CurveKeyPair::generate(),
    });
    let expected_credentials = case.expected_credentials(keys.as_ref());

    let mut ours = Ours::new(case.ours, our_options(&case, &plan, keys.as_ref()));
    let our_zap = Arc::new(Mutex::new(Vec::new()));
    if case.we_bind && case.mechanism != Mechanism::Null {
        ours.set_zap_handler(our_zap_handler(
            expected_credentials.clone(),
            our_zap.clone(),
        ));
    }
    let our_endpoint = if case.we_bind {
        progress.stage("our bind");
        Some(ours.bind("tcp://127.0.0.1:*").await)
    } else {
        None
    };
    let (address_tx, address_rx) = oneshot::channel();
    let mut libzmq = {
        let (plan, keys, progress, credentials) = (
            plan.clone(),
            keys.clone(),
            progress.clone(),
            expected_credentials.clone(),
        );
        Libzmq::spawn(move || {
            libzmq_side(LibzmqSide {
                case,
                plan,
                keys,
                credentials,
                our_endpoint,
                address_tx,
                seed,
                progress,
            })
        })
    };
    if !case.we_bind {
        progress.stage("libzmq's bound address");
        let endpoint = libzmq
            .watch(tokio::time::timeout(STALL, address_rx))
            .await
            .unwrap_or_else(|_| panic!("{}: libzmq's address within {STALL:?}", case.name))
            .expect("libzmq's side sends its address");
        ours.connect(&endpoint).await;
    }
    progress.stage("the exchange");
    if plan.ours_is_client {
        libzmq
            .watch(our_client(&mut ours, &plan, seed, &progress))
            .await;
    } else {
        libzmq
            .watch(our_server(&mut ours, &plan, seed, &progress))
            .await;
    }
    // Our socket stays open until libzmq's side has everything.
    progress.stage("libzmq's side to finish");
    let report = libzmq.finish(case.name).await;
    drop(ours);

    let seen = if case.mechanism == Mechanism::Null {
        Vec::new()
    } else if case.we_bind {
        let requests = our_zap.lock().expect("ZAP log").clone();
        requests
            .iter()
            .map(|r: &ZapRequest| SeenZapRequest {
                domain: r.domain.to_vec(),
                mechanism: r.mechanism.as_bytes().to_vec(),
                credentials: r.credentials.iter().map(|c| c.to_vec()).collect(),
            })
            .collect()
    } else {
        report.zap
    };
    if case.mechanism != Mechanism::Null {
        let side = if case.we_bind { "our" } else { "libzmq's" };
        assert_eq!(
            seen.len(),
            1,
            "{}: {side} ZAP handler answers one request: {seen:?}",
            case.name
        );
        assert_eq!(seen[0].mechanism, case.mechanism_name(), "{}", case.name);
        assert_eq!(
            seen[0].credentials, expected_credentials,
            "{}: the credentials {side} ZAP handler saw",
            case.name
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Our side
// ------------------------------------------------------------------------------------------------

/// Our socket of a case.
enum Ours {
    Pair(Pair),
    Req(Req),
    Rep(Rep),
    Dealer(Dealer),
    Router(Router),
    Push(Push),
    Pull(Pull),
}

macro_rules! on_each {
    ($ours:expr, $s:ident => $body:expr) => {
        match $ours {
            Ours::Pair($s) => $body,
            Ours::Req($s) => $body,
            Ours::Rep($s) => $body,
            Ours::Dealer($s) => $body,
            Ours::Router($s) => $body,
            Ours::Push($s) => $body,
            Ours::Pull($s) => $body,
        }
    };
}

impl Ours {
    fn new(kind: Kind, options: SocketOptions) -> Ours {
        let what = format!("our {kind} takes the case's options");
        match kind {
            Kind::Pair => Ours::Pair(Pair::with_options(options).expect(&what)),
            Kind::Req => Ours::Req(Req::with_options(options).expect(&what)),
            Kind::Rep => Ours::Rep(Rep::with_options(options).expect(&what)),
            Kind::Dealer => Ours::Dealer(Dealer::with_options(options).expect(&what)),
            Kind::Router => Ours::Router(Router::with_options(options).expect(&what)),
            Kind::Push => Ours::Push(Push::with_options(options).expect(&what)),
            Kind::Pull => Ours::Pull(Pull::with_options(options).expect(&what)),
        }
    }

    fn set_zap_handler(&mut self, handler: impl zmtp::security::zap::ZapHandler) {
        on_each!(self, s => s.set_zap_handler(handler));
    }

    async fn bind(&mut self, endpoint: &str) -> String {
        on_each!(self, s => s.bind(endpoint).await.expect("our bind"))
    }

    async fn connect(&mut self, endpoint: &str) {
        on_each!(self, s => s.connect(endpoint).await.expect("our connect"));
    }

    async fn send(&mut self, msg: Message) -> zmtp::socket::Result<()> {
        match self {
            Ours::Pair(s) => s.send(msg).await,
            Ours::Req(s) => s.send(msg).await,
            Ours::Rep(s) => s.send(msg).await,
            Ours::Dealer(s) => s.send(msg).await,
            Ours::Router(s) => s.send(msg).await,
            Ours::Push(s) => s.send(msg).await,
            Ours::Pull(_) => unreachable!("a PULL does not send"),
        }
    }

    async fn recv(&mut self) -> zmtp::socket::Result<Message> {
        match self {
            Ours::Pair(s) => s.recv().await,
            Ours::Req(s) => s.recv().await,
            Ours::Rep(s) => s.recv().await,
            Ours::Dealer(s) => s.recv().await,
            Ours::Router(s) => s.recv().await,
            Ours::Pull(s) => s.recv().await,
            Ours::Push(_) => unreachable!("a PUSH does not receive"),
        }
    }
}

fn our_options(case: &Case, plan: &Plan, keys: Option<&Keys>) -> SocketOptions {
    let server = case.we_bind;
    let mut options = match (case.mechanism, keys, server) {
        (Mechanism::Plain, _, true) => SocketOptions::new().plain_server(true),
        (Mechanism::Plain, _, false) => SocketOptions::new()
            .plain_username(USER)
            .plain_password(PASSWORD),
        (Mechanism::Curve, Some(keys), true) => SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(keys.server.secret().clone()),
        (Mechanism::Curve, Some(keys), false) => SocketOptions::new()
            .curve_server_key(*keys.server.public())
            .curve_public_key(*keys.client.public())
            .curve_secret_key(keys.client.secret().clone()),
        _ => SocketOptions::new(),
    };
    if case.ours == Kind::Router {
        // A reply that cannot be routed is an error, not a silent drop.
        options = options.router_mandatory(true);
    }
    if let Some(id) = case.our_routing_id(plan) {
        options = options.identity(id);
    }
    if case.router_router() && plan.ours_is_client {
        options = options.connect_rid(SERVER_ID);
    }
    options
}

/// Our ZAP handler: logs each request, accepts the expected credentials, refuses the rest.
fn our_zap_handler(
    expected: Vec<Vec<u8>>,
    log: Arc<Mutex<Vec<ZapRequest>>>,
) -> impl Fn(ZapRequest) -> std::future::Ready<ZapReply> + Send + Sync + 'static {
    move |request: ZapRequest| {
        let ok = request
            .credentials
            .iter()
            .map(|c| &c[..])
            .eq(expected.iter().map(|c| &c[..]));
        log.lock().expect("ZAP log").push(request);
        std::future::ready(if ok {
            ZapReply::accept("matrix")
        } else {
            ZapReply::refuse("unexpected credentials")
        })
    }
}

/// Waits at most [`STALL`] for one step of our socket; `what` says which.
async fn within<T>(
    what: impl FnOnce() -> String,
    step: impl Future<Output = zmtp::socket::Result<T>>,
) -> T {
    match tokio::time::timeout(STALL, step).await {
        Err(_) => panic!("{}: nothing within {STALL:?}", what()),
        Ok(Err(e)) => panic!("{}: {e}", what()),
        Ok(Ok(v)) => v,
    }
}

async fn our_client(ours: &mut Ours, plan: &Plan, seed: u64, progress: &Progress) {
    let mut requests = Traffic::light(seed);
    let mut replies = Traffic::light(seed ^ REPLY_SEED);
    let mut scratch = Vec::new();
    let expected_replies = if plan.replies { MESSAGES } else { 0 };
    let (mut sent, mut received) = (0, 0);
    while sent < MESSAGES || received < expected_replies {
        if sent < MESSAGES && (!plan.replies || sent - received < plan.window) {
            let mut msg: Message = plan.client_prefix.iter().cloned().collect();
            msg.extend(requests.next_spec().iter().map(frame_bytes));
            within(
                || format!("our {}: sending request {sent} of {MESSAGES}", plan.client),
                ours.send(msg),
            )
            .await;
            sent += 1;
            progress.ours_sent.store(sent, Ordering::Relaxed);
        } else {
            let mut reply = within(
                || {
                    format!(
                        "our {}: reply {received} of {MESSAGES} from libzmq's {}",
                        plan.client, plan.server
                    )
                },
                ours.recv(),
            )
            .await;
            for expected in &plan.client_prefix {
                let frame = reply.pop_front();
                assert_eq!(
                    frame.as_ref(),
                    Some(expected),
                    "our {}: reply {received}: the frame before the body",
                    plan.client
                );
            }
            if let Err(e) = check_message(received, &replies.next_spec(), &reply, &mut scratch) {
                panic!(
                    "our {}: a wrong reply from libzmq's {}: {e}",
                    plan.client, plan.server
                );
            }
            received += 1;
            progress.ours_received.store(received, Ordering::Relaxed);
        }
    }
}

async fn our_server(ours: &mut Ours, plan: &Plan, seed: u64, progress: &Progress) {
    let mut requests = Traffic::light(seed);
    let mut replies = Traffic::light(seed ^ REPLY_SEED);
    let mut scratch = Vec::new();
    let mut seen_id = None;
    for i in 0..MESSAGES {
        let mut request = within(
            || {
                format!(
                    "our {}: request {i} of {MESSAGES} from libzmq's {}",
                    plan.server, plan.client
                )
            },
            ours.recv(),
        )
        .await;
        progress.ours_received.store(i + 1, Ordering::Relaxed);
        let mut envelope = Vec::with_capacity(plan.server_envelope);
        for _ in 0..plan.server_envelope {
            envelope.push(request.pop_front().unwrap_or_else(|| {
                panic!("our {}: request {i} ends inside its envelope", plan.server)
            }));
        }
        let frames: Vec<&[u8]> = envelope.iter().map(|f| &f[..]).collect();
        if let Err(e) = check_envelope(plan, &mut seen_id, i, &frames) {
            panic!("our {}: {e}", plan.server);
        }
        if let Err(e) = check_message(i, &requests.next_spec(), &request, &mut scratch) {
            panic!(
                "our {}: a wrong request from libzmq's {}: {e}",
                plan.server, plan.client
            );
        }
        if plan.replies {
            let mut reply: Message = envelope.into_iter().collect();
            reply.extend(replies.next_spec().iter().map(frame_bytes));
            within(
                || format!("our {}: sending reply {i}", plan.server),
                ours.send(reply),
            )
            .await;
            progress.ours_sent.store(i + 1, Ordering::Relaxed);
        }
    }
}

// ------------------------------------------------------------------------------------------------
// libzmq's side
// ------------------------------------------------------------------------------------------------

/// What libzmq's side reports when it is done.
#[derive(Debug, Default)]
struct LibzmqReport {
    /// The requests libzmq's ZAP handler answered (when libzmq was the server).
    zap: Vec<SeenZapRequest>,
}

/// libzmq's side of a case, running on its own thread.
struct Libzmq {
    done: Option<oneshot::Receiver<std::thread::Result<LibzmqReport>>>,
    report: Option<LibzmqReport>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Libzmq {
    fn spawn(body: impl FnOnce() -> LibzmqReport + Send + 'static) -> Libzmq {
        let (done_tx, done_rx) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = done_tx.send(outcome);
        });
        Libzmq {
            done: Some(done_rx),
            report: None,
            thread: Some(thread),
        }
    }

    /// Runs `step` of our side; if libzmq's side fails meanwhile, its panic ends the test at
    /// once (rather than our side waiting for what will not come).
    async fn watch<F: Future>(&mut self, step: F) -> F::Output {
        tokio::pin!(step);
        loop {
            let Some(done) = self.done.as_mut() else {
                return step.await;
            };
            tokio::select! {
                biased;
                output = &mut step => return output,
                outcome = done => {
                    self.done = None;
                    self.report = Some(Self::outcome(outcome));
                }
            }
        }
    }

    fn outcome(
        outcome: Result<std::thread::Result<LibzmqReport>, oneshot::error::RecvError>,
    ) -> LibzmqReport {
        match outcome {
            Ok(Ok(report)) => report,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("libzmq's thread ended without a word"),
        }
    }

    /// Waits (at most [`STALL`]) for libzmq's side to finish.
    async fn finish(mut self, case: &str) -> LibzmqReport {
        if let Some(done) = self.done.take() {
            let outcome = tokio::time::timeout(STALL, done).await.unwrap_or_else(|_| {
                panic!("{case}: libzmq's side did not finish within {STALL:?}")
            });
            self.report = Some(Self::outcome(outcome));
        }
        if let Some(thread) = self.thread.take() {
            thread
                .join()
                .expect("the thread's panic was reported above");
        }
        self.report.take().expect("set above")
    }
}

/// Everything libzmq's thread needs.
struct LibzmqSide {
    case: Case,
    plan: Plan,
    keys: Option<Keys>,
    credentials: Vec<Vec<u8>>,
    /// Where to connect when we bind; libzmq binds otherwise.
    our_endpoint: Option<String>,
    address_tx: oneshot::Sender<String>,
    seed: u64,
    progress: Arc<Progress>,
}

fn libzmq_side(side: LibzmqSide) -> LibzmqReport {
    let LibzmqSide {
        case,
        plan,
        keys,
        credentials,
        our_endpoint,
        address_tx,
        seed,
        progress,
    } = side;
    let kind = case.theirs;
    let ctx = zmq::Context::new();
    let server = !case.we_bind;
    // libzmq 4.3.4's REQ cannot be a mechanism server whose ZAP handler names a user: its engine
    // hands the user id to the session ahead of the first message (a "credential" message), the
    // REQ session's reply state machine refuses that message, and the connection is dropped as
    // soon as the first reply arrives (libzmq against libzmq too). Its other sockets take it;
    // so a REQ gets no user id.
    let user_id = if kind == Kind::Req {
        Vec::new()
    } else {
        b"matrix".to_vec()
    };
    let zap = (server && case.mechanism != Mechanism::Null).then(|| {
        LibzmqZapHandler::start(&ctx, move |request| {
            if request.credentials == credentials {
                (200, user_id.clone())
            } else {
                (400, Vec::new())
            }
        })
    });
    let s = ctx
        .socket(kind.zmq())
        .unwrap_or_else(|e| panic!("libzmq's {kind}: {e}"));
    s.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
    s.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
    // Closing waits (that long at most) until what is queued is written.
    s.set_linger(millis(STALL)).expect("ZMQ_LINGER");
    if kind == Kind::Router {
        s.set_router_mandatory(true).expect("ZMQ_ROUTER_MANDATORY");
    }
    if let Some(id) = case.their_routing_id(&plan) {
        s.set_identity(id).expect("ZMQ_ROUTING_ID");
    }
    match (case.mechanism, &keys, server) {
        (Mechanism::Null, _, _) => {}
        (Mechanism::Plain, _, true) => s.set_plain_server(true).expect("ZMQ_PLAIN_SERVER"),
        (Mechanism::Plain, _, false) => {
            s.set_plain_username(Some(USER))
                .expect("ZMQ_PLAIN_USERNAME");
            s.set_plain_password(Some(PASSWORD))
                .expect("ZMQ_PLAIN_PASSWORD");
        }
        (Mechanism::Curve, Some(keys), true) => {
            s.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
            s.set_curve_secretkey(keys.server.secret().as_bytes())
                .expect("ZMQ_CURVE_SECRETKEY");
        }
        (Mechanism::Curve, Some(keys), false) => {
            s.set_curve_serverkey(keys.server.public().as_bytes())
                .expect("ZMQ_CURVE_SERVERKEY");
            s.set_curve_publickey(keys.client.public().as_bytes())
                .expect("ZMQ_CURVE_PUBLICKEY");
            s.set_curve_secretkey(keys.client.secret().as_bytes())
                .expect("ZMQ_CURVE_SECRETKEY");
        }
        (Mechanism::Curve, None, _) => unreachable!("a CURVE case has keys"),
    }
    match our_endpoint {
        Some(endpoint) => s
            .connect(&endpoint)
            .unwrap_or_else(|e| panic!("libzmq's {kind}: connect to {endpoint}: {e}")),
        None => {
            s.bind("tcp://127.0.0.1:*")
                .unwrap_or_else(|e| panic!("libzmq's {kind}: bind: {e}"));
            // The test may have failed already; then nobody listens.
            let _ = address_tx.send(format!("tcp://{}", bound_address(&s)));
        }
    }
    if plan.ours_is_client {
        libzmq_server(&s, &plan, seed, &progress);
    } else {
        libzmq_client(&s, &plan, seed, &progress);
    }
    let zap = zap.map(LibzmqZapHandler::stop).unwrap_or_default();
    // Closing the socket and the context returns once everything queued has been written.
    drop(s);
    drop(ctx);
    LibzmqReport { zap }
}

/// libzmq: sends `envelope` then the message of `spec`, as one multipart message.
fn libzmq_send(
    s: &zmq::Socket,
    what: &dyn Fn() -> String,
    envelope: &[&[u8]],
    spec: &[support::FrameSpec],
    body: &mut Vec<u8>,
) {
    let last = envelope.len() + spec.len() - 1;
    for (j, frame) in envelope.iter().enumerate() {
        let flags = if j < last { zmq::SNDMORE } else { 0 };
        s.send(*frame, flags)
            .unwrap_or_else(|e| panic!("{}: envelope frame {j}: {e}", what()));
    }
    for (j, f) in spec.iter().enumerate() {
        fill_frame(f, body);
        let flags = if envelope.len() + j < last {
            zmq::SNDMORE
        } else {
            0
        };
        s.send(&body[..], flags)
            .unwrap_or_else(|e| panic!("{}: frame {j}: {e}", what()));
    }
}

/// libzmq: receives one multipart message.
fn libzmq_recv(s: &zmq::Socket, what: &dyn Fn() -> String) -> Vec<Vec<u8>> {
    match s.recv_multipart(0) {
        Ok(frames) => frames,
        Err(zmq::Error::EAGAIN) => panic!("{}: nothing within {STALL:?}", what()),
        Err(e) => panic!("{}: {e}", what()),
    }
}

/// libzmq: checks a message body against `spec`.
fn libzmq_check(
    index: usize,
    spec: &[support::FrameSpec],
    frames: &[Vec<u8>],
    scratch: &mut Vec<u8>,
) -> Result<(), String> {
    if frames.len() != spec.len() {
        return Err(format!(
            "message {index}: {} frames received, {} expected (sizes received {:?}, expected {:?})",
            frames.len(),
            spec.len(),
            frames.iter().map(Vec::len).collect::<Vec<_>>(),
            spec.iter().map(|f| f.len).collect::<Vec<_>>(),
        ));
    }
    for (j, (frame, f)) in frames.iter().zip(spec).enumerate() {
        check_frame(index, j, f, frame, scratch)?;
    }
    Ok(())
}

/// libzmq's ROUTER facing a ROUTER it learns only from the handshake: sends the first frame of
/// the first request (the other ROUTER's id) once that id is routable, within [`STALL`].
fn libzmq_first_routable_send(s: &zmq::Socket, id: &[u8]) {
    let deadline = Instant::now() + STALL;
    loop {
        match s.send(id, zmq::SNDMORE | zmq::DONTWAIT) {
            Ok(()) => return,
            Err(zmq::Error::EHOSTUNREACH) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!(
                "libzmq's ROUTER: our ROUTER's id {:?} not routable within {STALL:?}: {e}",
                String::from_utf8_lossy(id)
            ),
        }
    }
}

fn libzmq_client(s: &zmq::Socket, plan: &Plan, seed: u64, progress: &Progress) {
    let mut requests = Traffic::light(seed);
    let mut replies = Traffic::light(seed ^ REPLY_SEED);
    let (mut body, mut scratch) = (Vec::new(), Vec::new());
    let prefix: Vec<&[u8]> = plan.client_prefix.iter().map(|f| &f[..]).collect();
    let expected_replies = if plan.replies { MESSAGES } else { 0 };
    let (mut sent, mut received) = (0, 0);
    while sent < MESSAGES || received < expected_replies {
        if sent < MESSAGES && (!plan.replies || sent - received < plan.window) {
            let spec = requests.next_spec();
            let what = || format!("libzmq's {}: sending request {sent}", plan.client);
            if sent == 0 && plan.client == Kind::Router {
                libzmq_first_routable_send(s, prefix[0]);
                libzmq_send(s, &what, &prefix[1..], &spec, &mut body);
            } else {
                libzmq_send(s, &what, &prefix, &spec, &mut body);
            }
            sent += 1;
            progress.theirs_sent.store(sent, Ordering::Relaxed);
        } else {
            let mut reply = libzmq_recv(s, &|| {
                format!(
                    "libzmq's {}: reply {received} of {MESSAGES} from our {}",
                    plan.client, plan.server
                )
            });
            assert!(
                reply.len() >= prefix.len() && reply[..prefix.len()] == prefix[..],
                "libzmq's {}: reply {received}: the frames before the body",
                plan.client
            );
            reply.drain(..prefix.len());
            if let Err(e) = libzmq_check(received, &replies.next_spec(), &reply, &mut scratch) {
                panic!(
                    "libzmq's {}: a wrong reply from our {}: {e}",
                    plan.client, plan.server
                );
            }
            received += 1;
            progress.theirs_received.store(received, Ordering::Relaxed);
        }
    }
}

fn libzmq_server(s: &zmq::Socket, plan: &Plan, seed: u64, progress: &Progress) {
    let mut requests = Traffic::light(seed);
    let mut replies = Traffic::light(seed ^ REPLY_SEED);
    let (mut body, mut scratch) = (Vec::new(), Vec::new());
    let mut seen_id = None;
    for i in 0..MESSAGES {
        let mut request = libzmq_recv(s, &|| {
            format!(
                "libzmq's {}: request {i} of {MESSAGES} from our {}",
                plan.server, plan.client
            )
        });
        progress.theirs_received.store(i + 1, Ordering::Relaxed);
        assert!(
            request.len() > plan.server_envelope,
            "libzmq's {}: request {i} ends inside its envelope",
            plan.server
        );
        let rest = request.split_off(plan.server_envelope);
        let envelope = request;
        let frames: Vec<&[u8]> = envelope.iter().map(|f| &f[..]).collect();
        if let Err(e) = check_envelope(plan, &mut seen_id, i, &frames) {
            panic!("libzmq's {}: {e}", plan.server);
        }
        if let Err(e) = libzmq_check(i, &requests.next_spec(), &rest, &mut scratch) {
            panic!(
                "libzmq's {}: a wrong request from our {}: {e}",
                plan.server, plan.client
            );
        }
        if plan.replies {
            let spec = replies.next_spec();
            libzmq_send(
                s,
                &|| format!("libzmq's {}: sending reply {i}", plan.server),
                &frames,
                &spec,
                &mut body,
            );
            progress.theirs_sent.store(i + 1, Ordering::Relaxed);
        }
    }
}
