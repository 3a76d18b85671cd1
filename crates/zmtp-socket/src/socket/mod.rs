//! The sockets users hold: a shared base (endpoints, options, close with linger) and one typed
//! socket per ZeroMQ socket type, exposing only what that type can do.

pub(crate) mod base;
mod dealer;
pub(crate) mod io_methods;
mod pair;
mod publisher;
mod pull;
mod push;
mod rep;
mod req;
mod router;
pub(crate) mod split;
mod stream;
mod subscriber;
mod xpub;
mod xsub;

pub use dealer::Dealer;
pub use pair::Pair;
pub use publisher::Pub;
pub use pull::Pull;
pub use push::Push;
pub use rep::Rep;
pub use req::Req;
pub use router::Router;
pub use split::{RecvHalf, ReuniteError, SendHalf};
pub use stream::StreamSocket;
pub use subscriber::Sub;
pub use xpub::XPub;
pub use xsub::XSub;

/// The methods every typed socket has: construction with options, option access, ZAP handler,
/// bind / connect / unbind / disconnect.
macro_rules! common_socket_methods {
    ($ty:ident, $socket_type:expr, $zmq:literal $(, $field:ident : $init:expr)*) => {
        impl Default for $ty {
            fn default() -> Self {
                $ty::new()
            }
        }

        impl $ty {
            #[doc = concat!("A ", $zmq, " socket with libzmq's default options, in the ")]
            /// process-wide [`Context::global`](crate::Context::global).
            ///
            /// # Panics
            /// If that context was terminated ([`Context::term`](crate::Context::term)); use
            /// [`Self::new_in`] to get the error instead.
            pub fn new() -> $ty {
                match $ty::new_in($crate::Context::global()) {
                    Ok(socket) => socket,
                    Err(e) => panic!("cannot make a socket: {e}"),
                }
            }

            #[doc = concat!("A ", $zmq, " socket with libzmq's default options, in `context` ")]
            /// (refused with [`Error::Closed`](crate::Error::Closed) once it is terminated).
            pub fn new_in(context: &$crate::Context) -> $crate::Result<$ty> {
                $ty::with_options_in(context, $crate::options::SocketOptions::new())
            }

            #[doc = concat!("A ", $zmq, " socket with `options`, refused (naming the option) ")]
            /// where libzmq would refuse one of them for this socket type, in the process-wide
            /// [`Context::global`](crate::Context::global).
            pub fn with_options(options: $crate::options::SocketOptions) -> $crate::Result<$ty> {
                $ty::with_options_in($crate::Context::global(), options)
            }

            #[doc = concat!("A ", $zmq, " socket with `options`, in `context`.")]
            pub fn with_options_in(
                context: &$crate::Context,
                options: $crate::options::SocketOptions,
            ) -> $crate::Result<$ty> {
                Ok($ty {
                    base: $crate::socket::base::SocketBase::new(context, $socket_type, options)?,
                    $($field: $init,)*
                })
            }

            /// The context the socket belongs to.
            pub fn context(&self) -> &$crate::Context {
                self.base.context()
            }

            /// The socket's options (`zmq_getsockopt`).
            pub fn options(&self) -> &$crate::options::SocketOptions {
                self.base.options()
            }

            /// Sets an option on the live socket (`zmq_setsockopt`). Most options apply to
            /// connections made afterwards, as in libzmq ([`OptionName::effect`] says which).
            ///
            /// [`OptionName::effect`]: crate::options::OptionName::effect
            pub fn set_option(
                &mut self,
                name: $crate::options::OptionName,
                value: impl Into<$crate::options::OptionValue>,
            ) -> $crate::Result<()> {
                self.base.set_option(name, value.into())
            }

            /// Installs the authentication handler that server-side handshakes of connections
            /// made from now on consult. Without one, a socket bound at
            /// `inproc://zeromq.zap.01` in the socket's context answers, as in libzmq (a REP or
            /// ROUTER speaking ZAP 1.0); this handler takes precedence over it.
            pub fn set_zap_handler(&mut self, handler: impl zmtp_security::zap::ZapHandler) {
                self.base.set_zap_handler(std::sync::Arc::new(handler));
            }

            /// Binds to an endpoint (`tcp://127.0.0.1:*`); returns the endpoint actually bound
            /// (`ZMQ_LAST_ENDPOINT`: the port the OS chose for `*` or `0`).
            pub async fn bind(&mut self, endpoint: &str) -> $crate::Result<String> {
                self.base.bind(endpoint).await
            }

            /// Connects to an endpoint. The connection is made, and remade after a loss, in the
            /// background (`ZMQ_RECONNECT_IVL`).
            pub async fn connect(&mut self, endpoint: &str) -> $crate::Result<()> {
                self.base.connect(endpoint).await
            }

            /// The endpoint of the last successful bind (as bound: with the port the OS chose
            /// for `*`, the path made for `ipc://*`) or connect (`ZMQ_LAST_ENDPOINT`).
            pub fn last_endpoint(&self) -> Option<&str> {
                self.base.last_endpoint()
            }

            /// Stops listening on a bound endpoint. As in libzmq, the tcp and ipc connections
            /// accepted through it end too, with what is queued for them; inproc links stay.
            pub fn unbind(&mut self, endpoint: &str) -> $crate::Result<()> {
                self.base.unbind(endpoint)
            }

            /// Drops a connected endpoint, with what is queued for it.
            pub fn disconnect(&mut self, endpoint: &str) -> $crate::Result<()> {
                self.base.disconnect(endpoint)
            }

            /// A new monitor of the socket (libzmq's `zmq_socket_monitor` with
            /// `ZMQ_EVENT_ALL`): a [`futures::Stream`] of typed
            /// [`MonitorEvent`](crate::MonitorEvent)s (`ZMQ_EVENT_CONNECTED`,
            /// `ZMQ_EVENT_LISTENING`, ..., `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`) from now on, ending
            /// after `ZMQ_EVENT_MONITOR_STOPPED` when the socket is closed. A socket may have
            /// several; dropping one unregisters it. Each keeps at most
            /// [`MONITOR_QUEUE`](crate::monitor::MONITOR_QUEUE) unread events, dropping the
            /// oldest beyond that (see [`crate::monitor`]).
            pub fn monitor(&self) -> $crate::Monitor {
                self.base.monitor()
            }

            /// libzmq's `zmq_socket_monitor(socket, endpoint, events)`: binds a PAIR socket at
            /// the `inproc://` `endpoint` in this socket's context, which sends each event
            /// whose `ZMQ_EVENT_*` bit is in `events`
            /// ([`EVENT_ALL`](crate::monitor::EVENT_ALL), ...) as libzmq's two frames (the
            /// 16-bit event number and 32-bit value in the machine's byte order, then the
            /// endpoint: [`MonitorEvent::to_message`](crate::MonitorEvent::to_message)). Connect
            /// a PAIR to `endpoint` to read them. Unlike libzmq, which drops events while no
            /// peer is connected, the PAIR waits for one, the events waiting meanwhile in a
            /// [`MONITOR_QUEUE`](crate::monitor::MONITOR_QUEUE)-event queue that drops the
            /// oldest. A new call replaces the previous PAIR (which sends
            /// `ZMQ_EVENT_MONITOR_STOPPED` if its mask has it); an endpoint other than
            /// `inproc://` is refused (`EPROTONOSUPPORT`), as in libzmq.
            pub async fn monitor_to(&mut self, endpoint: &str, events: u16) -> $crate::Result<()> {
                self.base.monitor_to(endpoint, events).await
            }
        }
    };
}
pub(crate) use common_socket_methods;
