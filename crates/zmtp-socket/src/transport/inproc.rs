//! `inproc://`: sockets of one process linked pipe to pipe, moving [`Message`]s without
//! encoding.
//!
//! Bound names live in the context's registry: the sockets of one [`Context`](crate::Context) share a namespace,
//! as in libzmq. A connect to a name nobody has bound waits for the bind, as in libzmq.
//!
//! Once linked, a load-balanced send (PUSH, DEALER, REQ, PAIR) puts each message straight into
//! the peer socket's inbound queue (`core::direct`): one lock of each socket per
//! message, and the peer woken only when it sleeps. What a sender can queue before it blocks is
//! its `ZMQ_SNDHWM` plus the peer's `ZMQ_RCVHWM`, as in libzmq. Each connection also has a small
//! task, the link, which sets the connection up, moves what the direct path does not carry (what
//! was queued before the bind, ROUTER and PUB sends, `ZMQ_CONFLATE` pipes) in batches from one
//! socket's outbound queue into the other's inbound queue through the same core calls a tcp
//! connection uses, and ends the connection (linger, close) as a tcp connection ends.
//!
//! Socket types are checked when the two sockets meet: a connect to an incompatible bound socket
//! is refused with [`Error::IncompatibleSocketTypes`]; an incompatible socket bound after the
//! connect is not linked (the connect stays pending for another bind of the name).
//!
//! Unbinding removes the name; links already made stay (as tcp connections stay). When the
//! bound socket closes, its links end and the connecting side waits for a new bind of the name,
//! keeping its queued messages (libzmq drops an inproc connection for good then).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Sleep;
use tracing::debug;

use crate::context::Shared;
use crate::core::{Core, DirectOut, Flow, Outbound, PipeId, PipeItem};
use crate::engine::ConnectionSettings;
use crate::error::{Error, Result};

/// Most messages a link moves under one lock.
const BATCH: usize = 256;
/// How often a connect waiting for its bind checks whether its socket was closed meanwhile.
const CLOSED_CHECK: std::time::Duration = std::time::Duration::from_millis(250);

/// A bound socket, as connecting sockets find it.
#[derive(Debug, Clone)]
struct Bound {
    /// Tells this binding from a later one of the same name.
    id: u64,
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
}

/// A context's bound names.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    names: Mutex<Names>,
    /// Woken on every bind, so that pending connects look again.
    bound: Notify,
}

#[derive(Debug, Default)]
struct Names {
    names: HashMap<String, Bound>,
    next_id: u64,
}

/// A name bound by a socket; dropping it (unbind, close) frees the name.
#[derive(Debug)]
pub(crate) struct Registration {
    context: Arc<Shared>,
    name: String,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut reg = self.context.inproc.names.lock();
        if reg.names.get(&self.name).is_some_and(|b| b.id == self.id) {
            reg.names.remove(&self.name);
        }
    }
}

/// Binds `name` for the socket owning `core`; connects made with `settings`' snapshot of its
/// options. A name bound by a live socket is refused (`EADDRINUSE`).
pub(crate) fn bind(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    name: &str,
) -> io::Result<Registration> {
    let context = settings.context.clone();
    let id = {
        let mut reg = context.inproc.names.lock();
        if reg
            .names
            .get(name)
            .is_some_and(|b| b.core.closed().is_none())
        {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "the inproc name is bound by another socket (EADDRINUSE)",
            ));
        }
        reg.next_id += 1;
        let id = reg.next_id;
        reg.names
            .insert(name.to_owned(), Bound { id, core, settings });
        id
    };
    context.inproc.bound.notify_waiters();
    Ok(Registration {
        context,
        name: name.to_owned(),
        id,
    })
}

/// Starts the task that links `pipe` to the socket bound at `name`, now or once it is bound,
/// and again after that socket goes. Refused at once if the socket bound now cannot talk to
/// ours.
pub(crate) fn connect(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    name: &str,
    pipe: PipeId,
) -> Result<JoinHandle<()>> {
    let registry = &settings.context.inproc;
    if let Some(bound) = registry.lookup(name, None) {
        check_types(&settings, &bound.settings)?;
    }
    let name = name.to_owned();
    let context = settings.context.clone();
    let span = tracing::info_span!(
        "zmtp::inproc",
        socket = settings.config.socket_type.as_str(),
        name = %name,
    );
    let task_name = format!(
        "zmtp::inproc inproc://{name} {}",
        settings.config.socket_type
    );
    let tracked = core.clone();
    Ok(context.spawn(
        settings.any_io_thread(),
        &task_name,
        tracked.track(tracing::Instrument::instrument(
            async move {
                let mut last = None;
                loop {
                    let registry = &settings.context.inproc;
                    let Some(bound) = registry.wait_for_bind(&core, pipe, &name, last).await else {
                        break;
                    };
                    last = Some(bound.id);
                    if let Err(e) = check_types(&settings, &bound.settings) {
                        debug!(%name, error = %e, "inproc peer refused");
                        continue;
                    }
                    let Some(link) = Link::new(&core, &settings, pipe, &bound) else {
                        debug!(%name, "inproc peer refused (a PAIR with a peer already)");
                        continue;
                    };
                    link.run().await;
                    debug!(%name, "inproc connection ended");
                }
                core.remove_pipe(pipe);
            },
            span,
        )),
    ))
}

fn check_types(ours: &ConnectionSettings, peer: &ConnectionSettings) -> Result<()> {
    let (ours, peer) = (ours.config.socket_type, peer.config.socket_type);
    if ours.is_compatible_with(peer) {
        Ok(())
    } else {
        Err(Error::IncompatibleSocketTypes { ours, peer })
    }
}

impl Registry {
    /// Whether a live socket has bound `name`.
    pub(crate) fn is_bound(&self, name: &str) -> bool {
        self.lookup(name, None).is_some()
    }

    /// The live binding of `name`, unless it is `not` (one already tried).
    fn lookup(&self, name: &str, not: Option<u64>) -> Option<Bound> {
        self.names
            .lock()
            .names
            .get(name)
            .filter(|b| Some(b.id) != not && b.core.closed().is_none())
            .cloned()
    }

    /// Waits for a live binding of `name` other than `not`; `None` once our socket is closed
    /// and `pipe` has nothing left to deliver, or its `ZMQ_LINGER` has run out (libzmq delivers
    /// what a socket closed before the bind queued, within its linger). The core has no close
    /// notification, so a pending connect looks at it every [`CLOSED_CHECK`].
    async fn wait_for_bind(
        &self,
        core: &Core,
        pipe: PipeId,
        name: &str,
        not: Option<u64>,
    ) -> Option<Bound> {
        loop {
            if let Some(linger_until) = core.closed() {
                let expired = linger_until.is_some_and(|t| Instant::now() >= t);
                if expired || core.outbound_empty(pipe) {
                    return None;
                }
            }
            let notified = self.bound.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before looking, so a bind in between is not missed.
            notified.as_mut().enable();
            if let Some(bound) = self.lookup(name, not) {
                return Some(bound);
            }
            let _ = tokio::time::timeout(CLOSED_CHECK, notified).await;
        }
    }
}

/// One side of a link: a socket's pipe, and the messages taken from it for the other side.
#[derive(Debug)]
struct Side {
    core: Arc<Core>,
    pipe: PipeId,
    /// The connecting side keeps its pipe (and its queued messages) for the next bind.
    keep: bool,
    taken: VecDeque<PipeItem>,
    /// The socket closed and its pipe is drained.
    finished: bool,
}

impl Side {
    /// Takes a batch from this side when the last one is delivered, and delivers what is taken
    /// to `to`. Whether anything moved.
    fn pump(&mut self, to: &Side, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        if self.taken.is_empty() && !self.finished {
            match self
                .core
                .take_outbound(self.pipe, cx, BATCH, &mut self.taken)
            {
                Outbound::Taken => progress = true,
                Outbound::Empty => {}
                Outbound::Finished => {
                    self.finished = true;
                    progress = true;
                }
            }
        }
        if !self.taken.is_empty() {
            let before = self.taken.len();
            to.core.deliver_inbound(to.pipe, cx, &mut self.taken);
            if self.taken.len() != before {
                progress = true;
                if !self.taken.is_empty() {
                    // What went on no longer counts against this side's ZMQ_SNDHWM.
                    self.core.still_holds(self.pipe, self.taken.len());
                }
            }
        }
        progress
    }

    /// The socket was closed and its linger ran out (or it has no linger deadline: `None`).
    fn linger_deadline(&self) -> Option<Instant> {
        self.core.closed().flatten()
    }
}

/// An inproc connection: the connecting socket's pipe (`a`) and the bound socket's (`b`).
#[derive(Debug)]
struct Link {
    a: Side,
    b: Side,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Link {
    /// Attaches both pipes (a new one on the bound side). `None` when either socket refuses a
    /// peer (a PAIR that has one).
    fn new(
        core: &Arc<Core>,
        settings: &ConnectionSettings,
        pipe: PipeId,
        bound: &Bound,
    ) -> Option<Link> {
        let (sndhwm, rcvhwm) = bound.core.hwm();
        let peer_pipe = bound.core.add_pipe(false);
        // Each side learns the other's routing id as a ZMTP handshake's Identity property
        // would give it (libzmq sends it over inproc too): a ROUTER or REP routes by it.
        let identity =
            |s: &ConnectionSettings| Some(s.config.routing_id.clone()).filter(|id| !id.is_empty());
        if !bound
            .core
            .attach_peer(peer_pipe, identity(settings).as_ref())
        {
            bound.core.remove_pipe(peer_pipe);
            return None;
        }
        if !core.attach_peer(pipe, identity(&bound.settings).as_ref()) {
            bound.core.detach(peer_pipe, false);
            return None;
        }
        // The direct paths, one per direction, each bounded by the sender's SNDHWM plus the
        // receiver's RCVHWM (libzmq's inproc_connect sums them the same way).
        let (our_sndhwm, our_rcvhwm) = core.hwm();
        let to_bound = Arc::new(Flow::new(our_sndhwm, rcvhwm));
        let to_us = Arc::new(Flow::new(sndhwm, our_rcvhwm));
        bound.core.set_direct(
            peer_pipe,
            DirectOut {
                core: core.clone(),
                pipe,
                flow: to_us.clone(),
            },
            to_bound.clone(),
        );
        core.set_direct(
            pipe,
            DirectOut {
                core: bound.core.clone(),
                pipe: peer_pipe,
                flow: to_bound,
            },
            to_us,
        );
        Some(Link {
            a: Side {
                core: core.clone(),
                pipe,
                keep: true,
                taken: VecDeque::new(),
                finished: false,
            },
            b: Side {
                core: bound.core.clone(),
                pipe: peer_pipe,
                keep: false,
                taken: VecDeque::new(),
                finished: false,
            },
            sleep: None,
        })
    }

    async fn run(mut self) {
        std::future::poll_fn(|cx| self.poll(cx)).await;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let now = Instant::now();
            let deadline = match (self.a.linger_deadline(), self.b.linger_deadline()) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            if deadline.is_some_and(|t| now >= t) {
                // A closed socket's queue is discarded when its linger runs out. What it sent
                // directly beyond the peer's RCVHWM stands for that queue (its SNDHWM share of
                // the connection), so it goes too, newest first.
                for (from, to) in [(&self.a, &self.b), (&self.b, &self.a)] {
                    if from.linger_deadline().is_some_and(|t| now >= t) {
                        to.core.discard_beyond_rcvhwm(to.pipe);
                    }
                }
                return Poll::Ready(());
            }
            let mut progress = self.a.pump(&self.b, cx);
            progress |= self.b.pump(&self.a, cx);
            let done = |s: &Side| s.finished && s.taken.is_empty();
            if done(&self.a) || done(&self.b) {
                return Poll::Ready(());
            }
            if progress {
                continue;
            }
            let Some(at) = deadline else {
                return Poll::Pending;
            };
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())));
            if sleep.deadline() != at.into() {
                sleep.as_mut().reset(at.into());
            }
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Also when the task is aborted (disconnect): the bound side must not keep a pipe
        // nobody drains.
        for side in [&self.a, &self.b] {
            side.core.detach(side.pipe, side.keep);
        }
    }
}
