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

use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::core::Core;
use crate::error::{Error, Result};
use crate::transport::inproc;

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
    /// Every socket made in the context, with its `ZMQ_LINGER`, for [`Context::term`].
    sockets: Mutex<Vec<(Weak<Core>, Option<Duration>)>>,
    terminated: std::sync::atomic::AtomicBool,
}

/// Where connection tasks run.
#[derive(Debug)]
enum Io {
    /// The context's own runtime, on its own threads; dropping `_stop` ends it.
    Threads {
        handle: Handle,
        _stop: tokio::sync::oneshot::Sender<()>,
    },
    /// The runtime of whoever binds or connects.
    Caller,
}

impl Context {
    /// A context with one I/O thread (libzmq's default `ZMQ_IO_THREADS`).
    pub fn new() -> Result<Context> {
        Context::with_io_threads(1)
    }

    /// A context whose connections run on `io_threads` threads of their own (`ZMQ_IO_THREADS`,
    /// at least 1). With one thread it is a `current_thread` Tokio runtime (the fastest on few
    /// cores); with more, a multi-thread one.
    pub fn with_io_threads(io_threads: usize) -> Result<Context> {
        if io_threads == 0 {
            return Err(Error::InvalidArgument("ZMQ_IO_THREADS must be at least 1"));
        }
        let runtime = if io_threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(io_threads)
                .thread_name("zmtp-io")
                .enable_all()
                .build()
        }
        .map_err(|e| Error::io("start the I/O runtime", "context", e))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("zmtp-io".into())
            .spawn(move || {
                // Runs the tasks (all of them, for a current_thread runtime) until the context
                // goes; dropping the runtime here, outside any runtime, then cancels what is left.
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| Error::io("start the I/O thread", "context", e))?;
        Ok(Context::from_io(Io::Threads {
            handle,
            _stop: stop,
        }))
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
                sockets: Mutex::new(Vec::new()),
                terminated: std::sync::atomic::AtomicBool::new(false),
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

    /// Closes every socket of the context (their sends and receives then fail with
    /// [`Error::Closed`], libzmq's `ETERM`) and waits until their connections have delivered what
    /// they hold, each within its socket's `ZMQ_LINGER` (`zmq_ctx_term`). New sockets, binds and
    /// connects are refused from then on.
    pub async fn term(&self) {
        self.shared
            .terminated
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let sockets = std::mem::take(&mut *self.shared.sockets.lock());
        for (core, linger) in sockets {
            if let Some(core) = core.upgrade() {
                if core.closed().is_none() {
                    core.close(linger.map(|l| Instant::now() + l));
                }
            }
        }
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
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
    /// Runs a connection task on the context's runtime. Built with `--cfg tokio_unstable`, the
    /// task carries `name` (`zmtp::conn tcp://127.0.0.1:5555 DEALER`), which tokio-console
    /// shows.
    #[track_caller]
    pub(crate) fn spawn<F>(&self, name: &str, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let task = self.tracker.track_future(task);
        #[cfg(tokio_unstable)]
        {
            let builder = tokio::task::Builder::new().name(name);
            let spawned = match &self.io {
                Io::Threads { handle, .. } => builder.spawn_on(task, handle),
                Io::Caller => builder.spawn(task),
            };
            spawned.expect("a running Tokio runtime takes new tasks")
        }
        #[cfg(not(tokio_unstable))]
        {
            let _ = name;
            match &self.io {
                Io::Threads { handle, .. } => handle.spawn(task),
                Io::Caller => tokio::spawn(task),
            }
        }
    }

    /// Makes the context's runtime the current one for what `f` does (registering a listener
    /// with its reactor).
    pub(crate) fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.io {
            Io::Threads { handle, .. } => {
                let _guard = handle.enter();
                f()
            }
            Io::Caller => f(),
        }
    }

    /// Refuses new sockets, binds and connects after [`Context::term`].
    pub(crate) fn check_live(&self) -> Result<()> {
        if self.terminated.load(std::sync::atomic::Ordering::SeqCst) {
            Err(Error::Closed)
        } else {
            Ok(())
        }
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
