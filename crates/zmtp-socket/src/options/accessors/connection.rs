//! The hand-written typed setters and getters of the options every socket type takes (the others
//! are generated from their rows in `table/mod.rs`): `ZMQ_HEARTBEAT_TIMEOUT`'s setter (whose `None`
//! the dynamic API may not set), `ZMQ_IPV4ONLY` (the inverse of `ZMQ_IPV6`), and the lists of
//! accept filters.

use std::collections::BTreeSet;
use std::time::Duration;

use super::super::error::OptionError;
use super::super::filter::TcpAcceptFilter;
use super::super::name::OptionName as N;
use super::super::socket_options::SocketOptions;
use super::millis;

impl SocketOptions {
    /// Sets `ZMQ_HEARTBEAT_TIMEOUT`: close the connection if nothing arrives this long after a
    /// PING (`None`: the heartbeat interval, the default; zero: no timeout, PINGs go out and a
    /// peer that answers none is kept).
    ///
    /// As in libzmq 4.2 and 4.3, whose default is -1 (the interval) and reads back so, and
    /// whose explicit 0 turns the timeout off; the table's default of 0 is not libzmq's. Through
    /// [`SocketOptions::set`], -1 is refused as libzmq refuses it; `None` here restores it.
    pub fn set_heartbeat_timeout(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        match timeout {
            Some(timeout) => self.set(N::HeartbeatTimeout, millis(N::HeartbeatTimeout, timeout)?),
            None => {
                self.values.heartbeat_timeout = None;
                Ok(())
            }
        }
    }

    // ---- TCP ----

    /// Sets `ZMQ_IPV4ONLY` (deprecated; the opposite of `ZMQ_IPV6`). Default on.
    pub fn set_ipv4only(&mut self, ipv4only: bool) -> Result<(), OptionError> {
        self.set(N::Ipv4Only, ipv4only)
    }

    /// `ZMQ_IPV4ONLY` (`!get_ipv6()`).
    pub fn get_ipv4only(&self) -> bool {
        !self.values.ipv6
    }

    /// Adds a `ZMQ_TCP_ACCEPT_FILTER` (deprecated in libzmq for ZAP): once there is one, a
    /// listener accepts only peers matching some filter. `filter` is `address[/prefix]`
    /// (see [`TcpAcceptFilter`]); an IPv6 one needs `ZMQ_IPV6` set first, as in libzmq. An
    /// empty string clears the filters, as libzmq's `(NULL, 0)`.
    pub fn set_tcp_accept_filter(&mut self, filter: &str) -> Result<(), OptionError> {
        self.set(N::TcpAcceptFilter, filter)
    }

    /// Removes every `ZMQ_TCP_ACCEPT_FILTER` (libzmq's `(NULL, 0)`).
    pub fn clear_tcp_accept_filters(&mut self) {
        self.tcp_accept_filters.clear();
    }

    /// The `ZMQ_TCP_ACCEPT_FILTER`s, in the order they were added (empty: accept all).
    pub fn get_tcp_accept_filters(&self) -> &[TcpAcceptFilter] {
        &self.tcp_accept_filters
    }

    // ---- IPC ----

    /// Adds a `ZMQ_IPC_FILTER_UID` (deprecated in libzmq for ZAP): once any IPC filter is set, an
    /// IPC listener accepts only peers whose credentials match one.
    pub fn set_ipc_filter_uid(&mut self, uid: u32) -> Result<(), OptionError> {
        self.set(N::IpcFilterUid, uid)
    }

    /// Removes every `ZMQ_IPC_FILTER_UID`.
    pub fn clear_ipc_filter_uids(&mut self) {
        self.ipc_filter_uids.clear();
    }

    /// The `ZMQ_IPC_FILTER_UID`s.
    pub fn get_ipc_filter_uids(&self) -> &BTreeSet<u32> {
        &self.ipc_filter_uids
    }

    /// Adds a `ZMQ_IPC_FILTER_GID` (deprecated in libzmq for ZAP).
    pub fn set_ipc_filter_gid(&mut self, gid: u32) -> Result<(), OptionError> {
        self.set(N::IpcFilterGid, gid)
    }

    /// Removes every `ZMQ_IPC_FILTER_GID`.
    pub fn clear_ipc_filter_gids(&mut self) {
        self.ipc_filter_gids.clear();
    }

    /// The `ZMQ_IPC_FILTER_GID`s.
    pub fn get_ipc_filter_gids(&self) -> &BTreeSet<u32> {
        &self.ipc_filter_gids
    }

    /// Adds a `ZMQ_IPC_FILTER_PID` (deprecated in libzmq for ZAP; Linux only there).
    pub fn set_ipc_filter_pid(&mut self, pid: i32) -> Result<(), OptionError> {
        self.set(N::IpcFilterPid, pid)
    }

    /// Removes every `ZMQ_IPC_FILTER_PID`.
    pub fn clear_ipc_filter_pids(&mut self) {
        self.ipc_filter_pids.clear();
    }

    /// The `ZMQ_IPC_FILTER_PID`s.
    pub fn get_ipc_filter_pids(&self) -> &BTreeSet<i32> {
        &self.ipc_filter_pids
    }
}
