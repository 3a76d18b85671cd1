//! `ipc://`: Unix-domain stream sockets, with the same engine, listener and reconnect loop as
//! `tcp://`.
//!
//! As libzmq does:
//! - binding a path first unlinks whatever file is there (libzmq 4.3 removes a socket file left
//!   behind by an earlier run without checking whether something still listens on it, so a
//!   second socket binding the same path takes it over);
//! - the socket file is removed on unbind and when the socket is closed;
//! - `ipc://*` binds `socket` in a fresh directory `tmp` + six random characters in the temporary directory
//!   (`$TMPDIR`, else `/tmp`), reports that path as the bound endpoint, and removes both file
//!   and directory afterwards;
//! - `ipc://@name` is a Linux abstract socket: no file, nothing to remove;
//! - the peer address a ZAP handler sees is empty (libzmq asks `getnameinfo`, which has no
//!   answer for a Unix-domain peer, and then leaves the address empty).

use std::io;
use std::os::unix::net::SocketAddr as StdSocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connecter::{self, with_timeout};
use super::listener::{self, Accept};
use crate::core::{Core, PipeId};
use crate::endpoint::{Endpoint, IpcEndpoint};
use crate::engine::ConnectionSettings;

/// A bound `ipc://` endpoint: the accept task, and the file to remove when it goes.
#[derive(Debug)]
pub(crate) struct Listening {
    task: JoinHandle<()>,
    /// Cancelled on unbind: the connections accepted here end too.
    pub(crate) unbound: CancellationToken,
    /// Dropped after the task is aborted: removes the socket file.
    _unlink: Option<Unlink>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Removes a bound socket file (and the directory `ipc://*` made for it) when dropped.
#[derive(Debug)]
struct Unlink {
    path: PathBuf,
    /// `ipc://*`'s directory, removed (with what is left in it) when dropped.
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Accept for UnixListener {
    type Stream = UnixStream;
    type Std = std::os::unix::net::UnixStream;

    fn into_std(stream: UnixStream) -> io::Result<std::os::unix::net::UnixStream> {
        stream.into_std()
    }

    fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, Bytes)>> {
        UnixListener::poll_accept(self, cx).map_ok(|(stream, _)| (stream, Bytes::new()))
    }

    /// libzmq's rule: with any `ZMQ_IPC_FILTER_*` set, the peer's credentials (SO_PEERCRED)
    /// must match one of the user ids, group ids or process ids given.
    fn admit(stream: &UnixStream, settings: &ConnectionSettings) -> bool {
        let f = &settings.accept_filters;
        if f.uids.is_empty() && f.gids.is_empty() && f.pids.is_empty() {
            return true;
        }
        stream.peer_cred().is_ok_and(|cred| {
            f.uids.contains(&cred.uid())
                || f.gids.contains(&cred.gid())
                || cred.pid().is_some_and(|pid| f.pids.contains(&pid))
        })
    }
}

/// Binds `endpoint` and starts accepting. Returns what the socket keeps until unbind or close,
/// and the endpoint actually bound (the fresh path for `ipc://*`).
pub(crate) fn bind(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: &IpcEndpoint,
) -> io::Result<(Listening, String)> {
    // The listener registers with the reactor of the context's runtime, where it is polled.
    let context = settings.context.clone();
    let io = settings.any_io_thread();
    context.enter(io, || bind_here(core, settings, endpoint))
}

fn bind_here(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: &IpcEndpoint,
) -> io::Result<(Listening, String)> {
    let (listener, bound, unlink) = match (endpoint, settings.use_fd) {
        // ZMQ_USE_FD: the application's listening socket; its path is the application's too.
        (_, Some(fd)) => {
            let std_listener =
                std::os::unix::net::UnixListener::from(super::use_fd::adopt_listener(fd, true)?);
            (
                UnixListener::from_std(std_listener)?,
                endpoint.clone(),
                None,
            )
        }
        (IpcEndpoint::Path(path), None) => {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let listener = UnixListener::bind_addr(&StdSocketAddr::from_pathname(path)?.into())?;
            let unlink = Unlink {
                path: path.clone(),
                _dir: None,
            };
            (listener, endpoint.clone(), Some(unlink))
        }
        (IpcEndpoint::Abstract(name), None) => {
            let listener = UnixListener::bind_addr(&abstract_address(name)?.into())?;
            (listener, endpoint.clone(), None)
        }
        (IpcEndpoint::Any, None) => {
            // Removed again if the bind fails (dropped with the error).
            let dir = fresh_directory()?;
            let path = dir.path().join("socket");
            let listener = UnixListener::bind_addr(&StdSocketAddr::from_pathname(&path)?.into())?;
            let unlink = Unlink {
                path: path.clone(),
                _dir: Some(dir),
            };
            (listener, IpcEndpoint::Path(path), Some(unlink))
        }
    };
    if settings.use_fd.is_none() {
        // ZMQ_BACKLOG, as libzmq's ipc listener passes it to listen(2); calling listen again
        // on a listening socket sets its backlog (Linux).
        socket2::SockRef::from(&listener).listen(settings.tcp.backlog)?;
    }
    let unbound = CancellationToken::new();
    let label = Endpoint::Ipc(bound.clone()).to_string();
    let task = listener::spawn_listener(core, settings, listener, label, unbound.clone());
    Ok((
        Listening {
            task,
            unbound,
            _unlink: unlink,
        },
        Endpoint::Ipc(bound).to_string(),
    ))
}

/// Connects, runs the connection, and reconnects until the socket closes or disconnects.
pub(crate) fn spawn_connecter(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: IpcEndpoint,
    pipe: PipeId,
    disconnect: Arc<connecter::Disconnect>,
) -> JoinHandle<()> {
    let timeout = settings.connect_timeout;
    let label = Endpoint::Ipc(endpoint.clone());
    connecter::spawn_connecter(core, settings, label, pipe, false, disconnect, move || {
        let endpoint = endpoint.clone();
        async move {
            let addr = match &endpoint {
                IpcEndpoint::Path(path) => StdSocketAddr::from_pathname(path)?,
                IpcEndpoint::Abstract(name) => abstract_address(name)?,
                IpcEndpoint::Any => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "cannot connect to ipc://* (a wildcard is for bind)",
                    ))
                }
            };
            let stream = with_timeout(timeout, UnixStream::connect_addr(&addr.into())).await?;
            Ok((stream, Bytes::new()))
        }
    })
}

#[cfg(target_os = "linux")]
fn abstract_address(name: &str) -> io::Result<StdSocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    StdSocketAddr::from_abstract_name(name.as_bytes())
}

#[cfg(not(target_os = "linux"))]
fn abstract_address(_name: &str) -> io::Result<StdSocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract ipc://@names exist on Linux only",
    ))
}

/// Makes `tmp` + six random letters and digits in the temporary directory, private to its
/// owner (mode 0700), as libzmq's `mkdtemp` does for `ipc://*`.
fn fresh_directory() -> io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix("tmp")
        .rand_bytes(6)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_directories_differ_and_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let a = fresh_directory().expect("a fresh directory");
        let b = fresh_directory().expect("another");
        assert_ne!(a.path(), b.path());
        let name = a
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(name.starts_with("tmp") && name.len() == 9, "{name}");
        let mode = std::fs::metadata(a.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let path = a.path().to_owned();
        drop(a);
        assert!(!path.exists(), "removed when dropped");
    }
}
