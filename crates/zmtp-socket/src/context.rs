//! The context (libzmq's `zmq_ctx_new`): where its sockets' connections run, and the `inproc://`
//! namespace they share.
//!
//! libzmq runs every connection on background I/O threads (`ZMQ_IO_THREADS`, one by default), so
//! a closed socket keeps delivering what it queued for up to `ZMQ_LINGER` whatever the
//! application does next. A [`Context`] does the same with a Tokio runtime of its own on
//! dedicated threads: the application's tasks only push to and pop from the sockets' pipes, and
//! the connections (accept and reconnect loops, the engine, inproc links) run on the context's
//! runtime. So a socket dropped at the end of a `block_on`, or of a `current_thread` runtime,
//! still flushes its queue; [`Context::term`] waits for that, as `zmq_ctx_term` does.
//!
//! [`Context::on_caller_runtime`] runs connections as tasks of whichever runtime binds or
//! connects instead: one thread fewer, no hand-off between threads; lingering then lasts only as
//! long as that runtime runs.
//!
//! # I/O threads and `ZMQ_AFFINITY`
//!
//! [`Context::with_io_threads`]`(n)` starts `n` I/O threads as libzmq does: each one a
//! `current_thread` Tokio runtime of its own on a thread named `zmtp-io-<i>` (`i` from 0), so a
//! connection stays on the thread it starts on and never migrates (no work stealing; libzmq's
//! one poller per I/O thread). Which thread a connection runs on is libzmq's rule: among the
//! threads whose bit is set in the socket's `ZMQ_AFFINITY` (bit `i` is thread `i`; 0, the
//! default, means all of them), the one running the fewest tasks. A bind or connect picks the
//! thread of its listener or reconnect loop when it is called (the option is copied then, as
//! every `NextBindOrConnect` option is); each accepted connection picks again, so a bound socket
//! spreads its peers over the allowed threads. A tcp or ipc bind or connect whose affinity names
//! no thread of the context fails with [`Error::NoIoThread`] (libzmq's `EMTHREAD`). `inproc://`
//! uses no I/O thread in libzmq and ignores the option here too, as does a context on the
//! caller's runtime, which has no threads to choose from.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::core::Core;
use crate::error::{Error, Result};
use crate::options::SocketOptions;
use crate::socket::AnySocket;
use crate::transport::handshake_gate::HandshakeGates;
use crate::transport::inproc;
use zmtp_codec::SocketType;

/// A set of sockets sharing I/O threads and an `inproc://` namespace (libzmq's context).
///
/// Cheap to clone (a reference). Sockets made with `X::new()` use [`Context::global`]; sockets
/// made with `X::new_in(&ctx)` use `ctx`.
#[derive(Clone, Debug)]
pub struct Context {
    pub(crate) shared: Arc<Shared>,
}

/// What the context's sockets and connection tasks hold.
#[derive(Debug)]
pub(crate) struct Shared {
    io: Io,
    tracker: TaskTracker,
    /// Bound `inproc://` names.
    pub(crate) inproc: inproc::Registry,
    /// How many connections to one endpoint may be under way at once.
    pub(crate) handshake_gates: HandshakeGates,
    /// Every socket made in the context, with its `ZMQ_LINGER`, for [`Context::term`].
    sockets: Mutex<Vec<(Weak<Core>, Option<Duration>)>>,
    terminated: AtomicBool,
}

/// Where connection tasks run.
#[derive(Debug)]
enum Io {
    /// The context's own I/O threads, each a `current_thread` runtime.
    Threads(Vec<IoThread>),
    /// The runtime of whoever binds or connects.
    Caller,
}

/// One I/O thread: its runtime, and how many tasks run there (its load, as libzmq counts it).
#[derive(Debug)]
struct IoThread {
    handle: Handle,
    load: Arc<AtomicUsize>,
    /// Dropping it ends the thread (and cancels what still runs there).
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl IoThread {
    fn start(index: usize) -> Result<IoThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("start the I/O runtime", "context", e))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("zmtp-io-{index}"))
            .spawn(move || {
                // Runs the thread's tasks until the context goes; dropping the runtime here,
                // outside any runtime, then cancels what is left.
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| Error::io("start the I/O thread", "context", e))?;
        Ok(IoThread {
            handle,
            load: Arc::new(AtomicUsize::new(0)),
            _stop: stop,
        })
    }
}

/// Which of the context's I/O threads runs a task: an index into them (always 0 on the
/// caller's runtime). Chosen by [`Shared::choose_io_thread`].
pub(crate) type IoIndex = usize;

/// Counts a task in its I/O thread's load while it lives.
struct LoadGuard(Arc<AtomicUsize>);

impl Drop for LoadGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Context {
    /// A context with one I/O thread (libzmq's default `ZMQ_IO_THREADS`).
    pub fn new() -> Result<Context> {
        Context::with_io_threads(1)
    }

    /// A context whose connections run on `io_threads` I/O threads of their own
    /// (`ZMQ_IO_THREADS`, at least 1, at most 64: `ZMQ_AFFINITY` is a 64-bit mask). Each is a
    /// `current_thread` Tokio runtime on a thread named `zmtp-io-<i>`; `ZMQ_AFFINITY` chooses
    /// among them: a bind or connect runs on the least loaded thread its mask allows.
    pub fn with_io_threads(io_threads: usize) -> Result<Context> {
        if io_threads == 0 {
            return Err(Error::InvalidArgument("ZMQ_IO_THREADS must be at least 1"));
        }
        if io_threads > 64 {
            return Err(Error::InvalidArgument(
                "ZMQ_IO_THREADS above 64 could not all be named by ZMQ_AFFINITY (a 64-bit mask)",
            ));
        }
        let threads = (0..io_threads)
            .map(IoThread::start)
            .collect::<Result<Vec<_>>>()?;
        Ok(Context::from_io(Io::Threads(threads)))
    }

    /// A context whose connections run as tasks of the runtime that binds or connects (no
    /// threads of its own). Lingering connections then run only as long as that runtime does.
    pub fn on_caller_runtime() -> Context {
        Context::from_io(Io::Caller)
    }

    fn from_io(io: Io) -> Context {
        Context {
            shared: Arc::new(Shared {
                io,
                tracker: TaskTracker::new(),
                inproc: inproc::Registry::default(),
                handshake_gates: HandshakeGates::default(),
                sockets: Mutex::new(Vec::new()),
                terminated: AtomicBool::new(false),
            }),
        }
    }

    /// The process-wide context sockets made with `X::new()` use: one I/O thread, started on
    /// first use.
    ///
    /// # Panics
    /// If the operating system refuses to start that thread.
    pub fn global() -> &'static Context {
        static GLOBAL: OnceLock<Context> = OnceLock::new();
        GLOBAL.get_or_init(|| match Context::new() {
            Ok(ctx) => ctx,
            Err(e) => panic!("zmtp could not start its I/O thread: {e}"),
        })
    }

    /// A socket of `socket_type`, chosen at run time, with libzmq's default options
    /// (`zmq_socket(context, type)`): see [`AnySocket`]. Where the type is known when the code
    /// is written, `Push::new_in(&context)` and the other typed sockets check at compile time
    /// what the type can do.
    ///
    /// ```
    /// # async fn demo() -> zmtp_socket::Result<()> {
    /// use zmtp_socket::{Context, SocketType};
    /// let ctx = Context::new()?;
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let push = ctx.socket(SocketType::Push)?;
    /// let endpoint = pull.bind("inproc://any-socket-demo").await?;
    /// push.connect(&endpoint).await?;
    /// push.send("hello").await?;
    /// assert_eq!(pull.recv().await?.frames()[0], "hello");
    /// assert!(pull.send("no").await.is_err()); // a PULL does not send
    /// # Ok(())
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
    /// ```
    pub fn socket(&self, socket_type: SocketType) -> Result<AnySocket> {
        self.socket_with_options(socket_type, SocketOptions::new())
    }

    /// [`Context::socket`] with `options`, refused (naming the option) where libzmq would
    /// refuse one of them for `socket_type`.
    pub fn socket_with_options(
        &self,
        socket_type: SocketType,
        options: SocketOptions,
    ) -> Result<AnySocket> {
        AnySocket::of_type(self, socket_type, options)
    }

    /// Closes every socket of the context (their sends and receives then fail with
    /// [`Error::ContextTerminated`], libzmq's `ETERM`) and waits until their connections have delivered what
    /// they hold, each within its socket's `ZMQ_LINGER` (`zmq_ctx_term`). New sockets, binds and
    /// connects are refused from then on. Sockets whose handles are still alive are closed too:
    /// their listeners stop, and `term` returns within their linger.
    ///
    /// Cancel safety: cancel-safe: the sockets are closed at the first poll; dropping the future
    /// only stops waiting for their linger, which goes on in the background.
    pub async fn term(&self) {
        self.shared.terminated.store(true, Ordering::SeqCst);
        let sockets = std::mem::take(&mut *self.shared.sockets.lock());
        for (core, linger) in sockets {
            if let Some(core) = core.upgrade() {
                if core.closed().is_none() {
                    core.terminate(linger.map(|l| Instant::now() + l));
                }
            }
        }
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }

    /// How many of the context's tasks are alive: listeners, connecters, connections and inproc
    /// links, including those of closed sockets still lingering. For tests that check a dropped
    /// socket or connection leaves no task behind; not part of the stable API.
    #[doc(hidden)]
    pub fn live_tasks(&self) -> usize {
        self.shared.tracker.len()
    }

    /// [`Context::term`] for code outside any runtime: blocks the thread until it is done.
    ///
    /// # Panics
    /// With a context from [`Context::on_caller_runtime`] called from inside that runtime's own
    /// thread, which would wait for tasks it keeps from running; use [`Context::term`] there.
    pub fn term_blocking(&self) {
        if matches!(self.shared.io, Io::Caller) && Handle::try_current().is_ok() {
            panic!("Context::term_blocking inside the runtime that runs the connections would never return; await Context::term instead");
        }
        futures::executor::block_on(self.term());
    }
}

impl Shared {
    /// The I/O thread a new listener, reconnect loop or accepted connection of a socket with
    /// this `ZMQ_AFFINITY` runs on: among the threads the mask allows (0: all), the one with
    /// the fewest tasks, as libzmq's `choose_io_thread`. `None`: the mask names no thread of
    /// this context (libzmq's `EMTHREAD`). On the caller's runtime, always thread 0.
    pub(crate) fn choose_io_thread(&self, affinity: u64) -> Option<IoIndex> {
        let Io::Threads(threads) = &self.io else {
            return Some(0);
        };
        threads
            .iter()
            .enumerate()
            .filter(|(i, _)| affinity == 0 || affinity & (1u64 << i) != 0)
            .min_by_key(|(_, t)| t.load.load(Ordering::Relaxed))
            .map(|(i, _)| i)
    }

    /// How many I/O threads the context has (0 on the caller's runtime).
    pub(crate) fn io_threads(&self) -> usize {
        match &self.io {
            Io::Threads(threads) => threads.len(),
            Io::Caller => 0,
        }
    }

    /// Runs a connection task on I/O thread `io` of the context (the caller's runtime for a
    /// context made by [`Context::on_caller_runtime`]). Built with `--cfg tokio_unstable`, the
    /// task carries `name` (`zmtp::conn tcp://127.0.0.1:5555 DEALER`), which tokio-console
    /// shows.
    #[track_caller]
    pub(crate) fn spawn<F>(&self, io: IoIndex, name: &str, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = match &self.io {
            Io::Threads(threads) => {
                let thread = &threads[io.min(threads.len() - 1)];
                thread.load.fetch_add(1, Ordering::Relaxed);
                let guard = LoadGuard(thread.load.clone());
                Some((thread.handle.clone(), guard))
            }
            Io::Caller => None,
        };
        let (handle, guard) = handle.unzip();
        let task = self.tracker.track_future(async move {
            let _load = guard;
            task.await
        });
        #[cfg(tokio_unstable)]
        {
            let builder = tokio::task::Builder::new().name(name);
            let spawned = match &handle {
                Some(handle) => builder.spawn_on(task, handle),
                None => builder.spawn(task),
            };
            spawned.expect("a running Tokio runtime takes new tasks")
        }
        #[cfg(not(tokio_unstable))]
        {
            let _ = name;
            match handle {
                Some(handle) => handle.spawn(task),
                None => tokio::spawn(task),
            }
        }
    }

    /// Makes I/O thread `io`'s runtime the current one for what `f` does (registering a
    /// listener or an accepted stream with its reactor).
    pub(crate) fn enter<T>(&self, io: IoIndex, f: impl FnOnce() -> T) -> T {
        match &self.io {
            Io::Threads(threads) => {
                let _guard = threads[io.min(threads.len() - 1)].handle.enter();
                f()
            }
            Io::Caller => f(),
        }
    }

    /// Refuses new sockets, binds and connects after [`Context::term`].
    pub(crate) fn check_live(&self) -> Result<()> {
        if self.is_terminated() {
            Err(Error::ContextTerminated)
        } else {
            Ok(())
        }
    }

    /// Whether [`Context::term`] was called.
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::SeqCst)
    }

    /// Records a new socket (for [`Context::term`]).
    pub(crate) fn register(&self, core: &Arc<Core>, linger: Option<Duration>) {
        let mut sockets = self.sockets.lock();
        sockets.retain(|(c, _)| c.strong_count() > 0);
        sockets.push((Arc::downgrade(core), linger));
    }

    /// A socket's `ZMQ_LINGER` changed.
    pub(crate) fn set_linger(&self, core: &Arc<Core>, linger: Option<Duration>) {
        let mut sockets = self.sockets.lock();
        if let Some(entry) = sockets
            .iter_mut()
            .find(|(c, _)| std::ptr::eq(c.as_ptr(), Arc::as_ptr(core)))
        {
            entry.1 = linger;
        }
    }
}
