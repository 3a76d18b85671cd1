//! How many connections of one context may be on their way to one endpoint at a time: connected
//! or connecting, their handshake not yet done.
//!
//! A peer's kernel completes TCP (and ipc) connections on its own and queues them until the
//! peer's application accepts them, up to the peer's `ZMQ_BACKLOG` (libzmq's default is 100).
//! Past that it drops the new connection's SYN, and the connecting side's kernel sends it again
//! only after a second, then three, then seven: a process that opens a thousand connections at
//! once to one ROUTER waits seconds for most of them while the ROUTER could have served them in
//! milliseconds. libzmq starts every connect at once and pays that; zmq.rs connects one at a time
//! and does not. A gate per endpoint lets a few through at once, each until its handshake is
//! done (which shows the peer's application accepted it) or it fails, so the peer's queue is
//! not overrun and no connection waits for a retransmitted SYN. Connections to other endpoints
//! are not held up, nor is anything the application does: `connect` still returns at once and
//! messages queue as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections of one context under way to one endpoint at a time (a tenth of libzmq's default
/// `ZMQ_BACKLOG`, so that ten processes connecting at once stay within a peer's queue).
pub(crate) const HANDSHAKES_IN_FLIGHT: usize = 10;

/// The context's gates, one per endpoint some socket connects to; a gate goes once no connecter
/// holds it.
#[derive(Debug, Default)]
pub(crate) struct HandshakeGates {
    gates: Mutex<HashMap<String, Weak<Gate>>>,
}

/// One endpoint's gate.
#[derive(Debug)]
pub(crate) struct Gate {
    places: Arc<Semaphore>,
    /// Connecters waiting for a place (what the tests observe).
    waiting: AtomicUsize,
}

impl HandshakeGates {
    /// The gate of `endpoint` (as the socket's `connect` named it).
    pub(crate) fn gate(&self, endpoint: &str) -> Arc<Gate> {
        let mut gates = self.gates.lock();
        if let Some(gate) = gates.get(endpoint).and_then(Weak::upgrade) {
            return gate;
        }
        // Forget the gates nobody holds before adding one, so that a process connecting to
        // ever new endpoints keeps no more entries than it has connecters.
        gates.retain(|_, gate| gate.strong_count() > 0);
        let gate = Arc::new(Gate {
            places: Arc::new(Semaphore::new(HANDSHAKES_IN_FLIGHT)),
            waiting: AtomicUsize::new(0),
        });
        gates.insert(endpoint.to_owned(), Arc::downgrade(&gate));
        gate
    }
}

/// A place at a gate, held by one connection until its handshake is done or it ends.
pub(crate) type HandshakePermit = OwnedSemaphorePermit;

impl Gate {
    /// Waits for a place. Cancel-safe: a place is taken only when this resolves.
    pub(crate) async fn enter(&self) -> Option<HandshakePermit> {
        /// Counts a waiting connecter until it is through or gives up.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if let Ok(permit) = self.places.clone().try_acquire_owned() {
            return Some(permit);
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        // The gate is never closed; `None` would only mean it was.
        self.places.clone().acquire_owned().await.ok()
    }

    /// Connecters waiting for a place.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
