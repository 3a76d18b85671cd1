//! `ZMQ_USE_FD`: bind on a listening socket the application made (systemd socket activation),
//! instead of making one. The socket keeps a duplicate of the descriptor, so the application's
//! own descriptor stays open and is never closed by us (libzmq takes the descriptor over; a
//! duplicate gives the same listener without two owners of one number).

#![allow(unsafe_code)] // One borrow of a raw descriptor; the crate denies unsafe code elsewhere.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

/// A duplicate of `fd` after checking that it is an open socket in the listening state
/// (`SO_ACCEPTCONN`), of the address family the endpoint asks for.
pub(crate) fn adopt_listener(fd: i32, unix: bool) -> io::Result<OwnedFd> {
    let invalid = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("ZMQ_USE_FD {fd}: {what}"),
        )
    };
    // Only an open socket may be borrowed: check the descriptor table first (Linux).
    let target = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map_err(|_| invalid("not an open file descriptor"))?;
    if !target.to_string_lossy().starts_with("socket:") {
        return Err(invalid("not a socket"));
    }
    // SAFETY: the descriptor is open (just checked in this process's descriptor table) and is
    // only borrowed for the two calls below, which duplicate it and query it; ZMQ_USE_FD is the
    // application's promise that it stays open while `bind` runs, as libzmq requires.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let owned = borrowed.try_clone_to_owned()?;
    let socket = socket2::SockRef::from(&owned);
    if !socket.is_listener()? {
        return Err(invalid("not a listening socket"));
    }
    let is_unix = socket.domain()? == socket2::Domain::UNIX;
    if is_unix != unix {
        return Err(invalid(if unix {
            "not a Unix-domain socket (the endpoint is ipc://)"
        } else {
            "not a TCP socket (the endpoint is tcp://)"
        }));
    }
    socket.set_nonblocking(true)?;
    Ok(owned)
}
