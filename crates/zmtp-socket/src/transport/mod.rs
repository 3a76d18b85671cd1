//! Transports: how connections are made. `tcp://` and `ipc://` hand byte streams to the
//! connection engine; `inproc://` links two sockets' pipes directly, without encoding; `udp://`
//! (RADIO and DISH) carries one message a datagram; `epgm://` and `pgm://` (PUB, XPUB, SUB,
//! XSUB) run PGM multicast.

pub(crate) mod connecter;
pub(crate) mod handshake_gate;
pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod listener;
pub(crate) mod pgm;
pub(crate) mod socks;
pub(crate) mod tcp;
pub(crate) mod tcp_tuning;
pub(crate) mod udp;
pub(crate) mod use_fd;
pub(crate) mod ws;

/// What a bound `ipc://` or `inproc://` endpoint holds until unbind or close. Dropping it stops
/// listening and releases the address: the ipc socket file (and the directory `ipc://*` made),
/// or the inproc name.
#[derive(Debug)]
pub(crate) enum Binding {
    /// A Unix-domain listener.
    Ipc(ipc::Listening),
    /// A name in the process-wide inproc registry.
    Inproc(inproc::Registration),
}

impl Binding {
    /// Stops listening and frees the address now (unbind), ending the ipc connections accepted
    /// through it as libzmq does; dropping stops listening but lets them linger (close).
    pub(crate) fn release(self) {
        match self {
            Binding::Ipc(listening) => {
                // Unbind, unlike close, ends the connections accepted through it.
                listening.unbound.cancel();
                drop(listening);
            }
            Binding::Inproc(registration) => drop(registration),
        }
    }
}
