//! Typed setters and getters of the options every socket type takes: queues, timeouts, the
//! routing id, reconnection, heartbeats, TCP, IPC, multicast and VMCI.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;

use super::super::error::OptionError;
use super::super::filter::TcpAcceptFilter;
use super::super::name::OptionName as N;
use super::super::socket_options::SocketOptions;
use super::super::value::OptionValue;
use super::{
    duration_unless_negative, duration_unless_zero, millis, millis_or_minus_one, millis_or_zero,
    unless_minus_one,
};

impl SocketOptions {
    // ---- queues and blocking ----

    /// Sets `ZMQ_SNDHWM`: at most this many outgoing messages queued per peer (0: no limit).
    /// Must be >= 0. Default 1000.
    pub fn set_sndhwm(&mut self, messages: i32) -> Result<(), OptionError> {
        self.set(N::SndHwm, messages)
    }

    /// `ZMQ_SNDHWM`: the outgoing queue limit per peer, in messages (0: no limit).
    pub fn get_sndhwm(&self) -> i32 {
        self.sndhwm
    }

    /// Sets `ZMQ_RCVHWM`: at most this many incoming messages queued per peer (0: no limit).
    /// Must be >= 0. Default 1000.
    pub fn set_rcvhwm(&mut self, messages: i32) -> Result<(), OptionError> {
        self.set(N::RcvHwm, messages)
    }

    /// `ZMQ_RCVHWM`: the incoming queue limit per peer, in messages (0: no limit).
    pub fn get_rcvhwm(&self) -> i32 {
        self.rcvhwm
    }

    /// Sets `ZMQ_SNDTIMEO`: how long a send waits for room (`None`: forever, libzmq's -1;
    /// zero: not at all). Default forever.
    pub fn set_sndtimeo(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::SndTimeo, millis_or_minus_one(N::SndTimeo, timeout)?)
    }

    /// `ZMQ_SNDTIMEO` (`None`: forever).
    pub fn get_sndtimeo(&self) -> Option<Duration> {
        duration_unless_negative(self.sndtimeo)
    }

    /// Sets `ZMQ_RCVTIMEO`: how long a receive waits for a message (`None`: forever, libzmq's
    /// -1; zero: not at all). Default forever.
    pub fn set_rcvtimeo(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::RcvTimeo, millis_or_minus_one(N::RcvTimeo, timeout)?)
    }

    /// `ZMQ_RCVTIMEO` (`None`: forever).
    pub fn get_rcvtimeo(&self) -> Option<Duration> {
        duration_unless_negative(self.rcvtimeo)
    }

    /// Sets `ZMQ_LINGER`: how long unsent messages are kept after close or disconnect (`None`:
    /// until sent, libzmq's -1; zero: dropped at once). Default 30 s.
    pub fn set_linger(&mut self, linger: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::Linger, millis_or_minus_one(N::Linger, linger)?)
    }

    /// `ZMQ_LINGER` (`None`: until sent).
    pub fn get_linger(&self) -> Option<Duration> {
        duration_unless_negative(self.linger)
    }

    /// Sets `ZMQ_IMMEDIATE`: queue messages only to connections whose handshake is done.
    /// Default off.
    pub fn set_immediate(&mut self, immediate: bool) -> Result<(), OptionError> {
        self.set(N::Immediate, immediate)
    }

    /// `ZMQ_IMMEDIATE`.
    pub fn get_immediate(&self) -> bool {
        self.immediate
    }

    /// Sets `ZMQ_CONFLATE`: keep only the last message in each queue (single-part messages
    /// only). libzmq applies it to PULL, PUSH, SUB, PUB and DEALER and stores it on the others.
    /// Default off.
    pub fn set_conflate(&mut self, conflate: bool) -> Result<(), OptionError> {
        self.set(N::Conflate, conflate)
    }

    /// `ZMQ_CONFLATE`.
    pub fn get_conflate(&self) -> bool {
        self.conflate
    }

    /// Sets `ZMQ_MAXMSGSIZE`: a peer sending a larger message is disconnected (`None`: no
    /// limit, libzmq's -1). At most `i64::MAX`. Default no limit.
    pub fn set_maxmsgsize(&mut self, bytes: Option<u64>) -> Result<(), OptionError> {
        let raw = match bytes {
            None => -1,
            Some(b) => i64::try_from(b).map_err(|_| OptionError::OutOfRange {
                option: N::MaxMsgSize,
                allowed: "-1 (no limit) or 0 to i64::MAX bytes",
                got: b.into(),
            })?,
        };
        self.set(N::MaxMsgSize, raw)
    }

    /// `ZMQ_MAXMSGSIZE` (`None`: no limit).
    pub fn get_maxmsgsize(&self) -> Option<u64> {
        u64::try_from(self.maxmsgsize).ok()
    }

    /// Sets `ZMQ_AFFINITY`: which of the context's I/O threads serve the connections of later
    /// binds and connects (bit `i`: thread `zmtp-io-<i>`; 0, the default: any, the least
    /// loaded). See [`Context`](crate::Context) for the I/O threads; a tcp or ipc bind or
    /// connect whose mask names none fails with [`Error::NoIoThread`](crate::Error::NoIoThread).
    /// Default 0.
    pub fn set_affinity(&mut self, threads: u64) -> Result<(), OptionError> {
        self.set(N::Affinity, threads)
    }

    /// `ZMQ_AFFINITY`.
    pub fn get_affinity(&self) -> u64 {
        self.affinity
    }

    // ---- the routing id ----

    /// Sets `ZMQ_IDENTITY` (`ZMQ_ROUTING_ID`): the id a REQ, DEALER or ROUTER announces to a
    /// ROUTER peer. 1 to 255 bytes of any values (a leading zero byte included, as in libzmq).
    /// Default none.
    pub fn set_identity(&mut self, id: impl Into<Bytes>) -> Result<(), OptionError> {
        self.set(N::Identity, OptionValue::Bytes(id.into()))
    }

    /// `ZMQ_IDENTITY` (`None`: not set).
    pub fn get_identity(&self) -> Option<&Bytes> {
        Some(&self.identity).filter(|id| !id.is_empty())
    }

    // ---- handshake and heartbeats ----

    /// Sets `ZMQ_HANDSHAKE_IVL`: the greeting and security handshake must finish within it
    /// (`None` or zero: no limit, libzmq's 0). Default 30 s.
    pub fn set_handshake_ivl(&mut self, limit: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::HandshakeIvl, millis_or_zero(N::HandshakeIvl, limit)?)
    }

    /// `ZMQ_HANDSHAKE_IVL` (`None`: no limit).
    pub fn get_handshake_ivl(&self) -> Option<Duration> {
        duration_unless_zero(self.handshake_ivl)
    }

    /// Sets `ZMQ_HEARTBEAT_IVL`: send a PING this often (`None` or zero: never). Default never.
    pub fn set_heartbeat_ivl(&mut self, interval: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::HeartbeatIvl, millis_or_zero(N::HeartbeatIvl, interval)?)
    }

    /// `ZMQ_HEARTBEAT_IVL` (`None`: no PINGs).
    pub fn get_heartbeat_ivl(&self) -> Option<Duration> {
        duration_unless_zero(self.heartbeat_ivl)
    }

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
                self.heartbeat_timeout = -1;
                Ok(())
            }
        }
    }

    /// `ZMQ_HEARTBEAT_TIMEOUT` (`None`: the heartbeat interval; zero: no timeout).
    pub fn get_heartbeat_timeout(&self) -> Option<Duration> {
        duration_unless_negative(self.heartbeat_timeout)
    }

    /// Sets `ZMQ_HEARTBEAT_TTL`: asks the peer to close the connection if it hears nothing from
    /// us this long (`None` or zero: no limit). Kept, read back and sent in PINGs in whole
    /// deciseconds (rounded down, as libzmq: 2550 ms reads 2500 ms, under 100 ms is none); at
    /// most 6553.599 s. Default none.
    pub fn set_heartbeat_ttl(&mut self, ttl: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::HeartbeatTtl, millis_or_zero(N::HeartbeatTtl, ttl)?)
    }

    /// `ZMQ_HEARTBEAT_TTL` (`None`: none).
    pub fn get_heartbeat_ttl(&self) -> Option<Duration> {
        duration_unless_zero(self.heartbeat_ttl)
    }

    // ---- reconnection and connecting ----

    /// Sets `ZMQ_RECONNECT_IVL`: wait this long before reconnecting (`None`: never reconnect,
    /// libzmq 4.3's -1). Default 100 ms.
    pub fn set_reconnect_ivl(&mut self, interval: Option<Duration>) -> Result<(), OptionError> {
        self.set(
            N::ReconnectIvl,
            millis_or_minus_one(N::ReconnectIvl, interval)?,
        )
    }

    /// `ZMQ_RECONNECT_IVL` (`None`: no reconnection).
    pub fn get_reconnect_ivl(&self) -> Option<Duration> {
        duration_unless_negative(self.reconnect_ivl)
    }

    /// Sets `ZMQ_RECONNECT_IVL_MAX`: double the reconnection interval after each attempt up to
    /// this (`None` or zero: always `ZMQ_RECONNECT_IVL`; values below it are ignored by
    /// libzmq). Default none.
    pub fn set_reconnect_ivl_max(&mut self, max: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::ReconnectIvlMax, millis_or_zero(N::ReconnectIvlMax, max)?)
    }

    /// `ZMQ_RECONNECT_IVL_MAX` (`None`: no back-off).
    pub fn get_reconnect_ivl_max(&self) -> Option<Duration> {
        duration_unless_zero(self.reconnect_ivl_max)
    }

    /// Sets `ZMQ_CONNECT_TIMEOUT`: give up a TCP connect after this long (`None` or zero: the
    /// OS's timeout). Default none.
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        self.set(
            N::ConnectTimeout,
            millis_or_zero(N::ConnectTimeout, timeout)?,
        )
    }

    /// `ZMQ_CONNECT_TIMEOUT` (`None`: the OS's).
    pub fn get_connect_timeout(&self) -> Option<Duration> {
        duration_unless_zero(self.connect_timeout)
    }

    /// Sets `ZMQ_BACKLOG`: the listen queue length for connection-oriented transports. Must be
    /// >= 0. Default 100.
    pub fn set_backlog(&mut self, connections: i32) -> Result<(), OptionError> {
        self.set(N::Backlog, connections)
    }

    /// `ZMQ_BACKLOG`.
    pub fn get_backlog(&self) -> i32 {
        self.backlog
    }

    /// Sets `ZMQ_USE_FD`: bind by taking over this listening file descriptor (already bound
    /// and listening) instead of opening one (`None`: open one, libzmq's -1). Default none.
    pub fn set_use_fd(&mut self, fd: Option<i32>) -> Result<(), OptionError> {
        self.set(N::UseFd, fd.unwrap_or(-1))
    }

    /// `ZMQ_USE_FD` (`None`: not set).
    pub fn get_use_fd(&self) -> Option<i32> {
        unless_minus_one(self.use_fd)
    }

    // ---- TCP ----

    /// Sets `ZMQ_IPV6`: resolve and accept IPv6 as well as IPv4 (off: IPv4 only). Default off.
    pub fn set_ipv6(&mut self, ipv6: bool) -> Result<(), OptionError> {
        self.set(N::Ipv6, ipv6)
    }

    /// `ZMQ_IPV6`.
    pub fn get_ipv6(&self) -> bool {
        self.ipv6
    }

    /// Sets `ZMQ_IPV4ONLY` (deprecated; the opposite of `ZMQ_IPV6`). Default on.
    pub fn set_ipv4only(&mut self, ipv4only: bool) -> Result<(), OptionError> {
        self.set(N::Ipv4Only, ipv4only)
    }

    /// `ZMQ_IPV4ONLY` (`!get_ipv6()`).
    pub fn get_ipv4only(&self) -> bool {
        !self.ipv6
    }

    /// Sets `ZMQ_SNDBUF`: the kernel's send buffer, in bytes (`None`: the OS's default,
    /// libzmq's -1). Default the OS's.
    pub fn set_sndbuf(&mut self, bytes: Option<i32>) -> Result<(), OptionError> {
        self.set(N::SndBuf, bytes.unwrap_or(-1))
    }

    /// `ZMQ_SNDBUF` (`None`: the OS's default).
    pub fn get_sndbuf(&self) -> Option<i32> {
        unless_minus_one(self.sndbuf)
    }

    /// Sets `ZMQ_RCVBUF`: the kernel's receive buffer, in bytes (`None`: the OS's default,
    /// libzmq's -1). Default the OS's.
    pub fn set_rcvbuf(&mut self, bytes: Option<i32>) -> Result<(), OptionError> {
        self.set(N::RcvBuf, bytes.unwrap_or(-1))
    }

    /// `ZMQ_RCVBUF` (`None`: the OS's default).
    pub fn get_rcvbuf(&self) -> Option<i32> {
        unless_minus_one(self.rcvbuf)
    }

    /// Sets `ZMQ_TOS`: the IP type-of-service byte of outgoing packets. Must be >= 0 (the
    /// table's unit says "> 0", but its own default is 0, as libzmq's). Default 0.
    pub fn set_tos(&mut self, tos: i32) -> Result<(), OptionError> {
        self.set(N::Tos, tos)
    }

    /// `ZMQ_TOS`.
    pub fn get_tos(&self) -> i32 {
        self.tos
    }

    /// Sets `ZMQ_TCP_KEEPALIVE`: `SO_KEEPALIVE` on or off (`None`: the OS's default, libzmq's
    /// -1). Default the OS's.
    pub fn set_tcp_keepalive(&mut self, keepalive: Option<bool>) -> Result<(), OptionError> {
        self.set(N::TcpKeepalive, keepalive.map_or(-1, i32::from))
    }

    /// `ZMQ_TCP_KEEPALIVE` (`None`: the OS's default).
    pub fn get_tcp_keepalive(&self) -> Option<bool> {
        (self.tcp_keepalive != -1).then_some(self.tcp_keepalive == 1)
    }

    /// Sets `ZMQ_TCP_KEEPALIVE_CNT`: `TCP_KEEPCNT`, probes before the connection is dropped
    /// (`None`: the OS's default). Must be > 0. Default the OS's.
    pub fn set_tcp_keepalive_cnt(&mut self, probes: Option<i32>) -> Result<(), OptionError> {
        self.set(N::TcpKeepaliveCnt, probes.unwrap_or(-1))
    }

    /// `ZMQ_TCP_KEEPALIVE_CNT` (`None`: the OS's default).
    pub fn get_tcp_keepalive_cnt(&self) -> Option<i32> {
        unless_minus_one(self.tcp_keepalive_cnt)
    }

    /// Sets `ZMQ_TCP_KEEPALIVE_IDLE`: `TCP_KEEPIDLE`, idle seconds before the first probe
    /// (`None`: the OS's default). Must be > 0. Default the OS's.
    pub fn set_tcp_keepalive_idle(&mut self, seconds: Option<i32>) -> Result<(), OptionError> {
        self.set(N::TcpKeepaliveIdle, seconds.unwrap_or(-1))
    }

    /// `ZMQ_TCP_KEEPALIVE_IDLE` in seconds (`None`: the OS's default).
    pub fn get_tcp_keepalive_idle(&self) -> Option<i32> {
        unless_minus_one(self.tcp_keepalive_idle)
    }

    /// Sets `ZMQ_TCP_KEEPALIVE_INTVL`: `TCP_KEEPINTVL`, seconds between probes (`None`: the
    /// OS's default). Must be > 0. Default the OS's.
    pub fn set_tcp_keepalive_intvl(&mut self, seconds: Option<i32>) -> Result<(), OptionError> {
        self.set(N::TcpKeepaliveIntvl, seconds.unwrap_or(-1))
    }

    /// `ZMQ_TCP_KEEPALIVE_INTVL` in seconds (`None`: the OS's default).
    pub fn get_tcp_keepalive_intvl(&self) -> Option<i32> {
        unless_minus_one(self.tcp_keepalive_intvl)
    }

    /// Sets `ZMQ_TCP_MAXRT`: `TCP_USER_TIMEOUT`, how long unacknowledged data may wait before
    /// the connection is dropped (`None` or zero: the OS's default). Default the OS's.
    pub fn set_tcp_maxrt(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        self.set(N::TcpMaxRt, millis_or_zero(N::TcpMaxRt, timeout)?)
    }

    /// `ZMQ_TCP_MAXRT` (`None`: the OS's default).
    pub fn get_tcp_maxrt(&self) -> Option<Duration> {
        duration_unless_zero(self.tcp_maxrt)
    }

    /// Sets `ZMQ_SOCKS_PROXY`: later `tcp://` connects go through the SOCKS5 proxy at
    /// `host:port` (IPv6 in brackets; no default port), with no authentication, as in libzmq;
    /// the target's host name goes to the proxy unresolved. Empty: no proxy. Default none.
    /// Any text is accepted here; `connect` refuses an address that names no proxy.
    pub fn set_socks_proxy(&mut self, address: impl Into<String>) -> Result<(), OptionError> {
        self.set(N::SocksProxy, OptionValue::Str(address.into()))
    }

    /// `ZMQ_SOCKS_PROXY` (`None`: no proxy).
    pub fn get_socks_proxy(&self) -> Option<&str> {
        Some(self.socks_proxy.as_str()).filter(|s| !s.is_empty())
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

    // ---- multicast (PGM, EPGM, NORM) ----

    /// Sets `ZMQ_RATE`: the multicast data rate in kilobits per second. Must be > 0. Default
    /// 100.
    pub fn set_rate(&mut self, kbps: i32) -> Result<(), OptionError> {
        self.set(N::Rate, kbps)
    }

    /// `ZMQ_RATE` in kilobits per second.
    pub fn get_rate(&self) -> i32 {
        self.rate
    }

    /// Sets `ZMQ_RECOVERY_IVL`: how long a multicast receiver may be away before data is lost.
    /// Default 10 s.
    pub fn set_recovery_ivl(&mut self, interval: Duration) -> Result<(), OptionError> {
        self.set(N::RecoveryIvl, millis(N::RecoveryIvl, interval)?)
    }

    /// `ZMQ_RECOVERY_IVL`.
    pub fn get_recovery_ivl(&self) -> Duration {
        duration_unless_negative(self.recovery_ivl).unwrap_or_default()
    }

    /// Sets `ZMQ_MULTICAST_HOPS`: the TTL of multicast packets. Must be > 0. Default 1 (the
    /// local network).
    pub fn set_multicast_hops(&mut self, hops: i32) -> Result<(), OptionError> {
        self.set(N::MulticastHops, hops)
    }

    /// `ZMQ_MULTICAST_HOPS`.
    pub fn get_multicast_hops(&self) -> i32 {
        self.multicast_hops
    }

    /// Sets `ZMQ_MULTICAST_MAXTPDU`: the largest multicast packet, in bytes. Must be > 0.
    /// Default 1500.
    pub fn set_multicast_maxtpdu(&mut self, bytes: i32) -> Result<(), OptionError> {
        self.set(N::MulticastMaxTpdu, bytes)
    }

    /// `ZMQ_MULTICAST_MAXTPDU`.
    pub fn get_multicast_maxtpdu(&self) -> i32 {
        self.multicast_maxtpdu
    }

    // ---- VMCI ----

    /// Sets `ZMQ_VMCI_BUFFER_SIZE` in bytes. Default 65546 (the table's figure).
    pub fn set_vmci_buffer_size(&mut self, bytes: u64) -> Result<(), OptionError> {
        self.set(N::VmciBufferSize, bytes)
    }

    /// `ZMQ_VMCI_BUFFER_SIZE`.
    pub fn get_vmci_buffer_size(&self) -> u64 {
        self.vmci_buffer_size
    }

    /// Sets `ZMQ_VMCI_BUFFER_MIN_SIZE` in bytes. Default 128.
    pub fn set_vmci_buffer_min_size(&mut self, bytes: u64) -> Result<(), OptionError> {
        self.set(N::VmciBufferMinSize, bytes)
    }

    /// `ZMQ_VMCI_BUFFER_MIN_SIZE`.
    pub fn get_vmci_buffer_min_size(&self) -> u64 {
        self.vmci_buffer_min_size
    }

    /// Sets `ZMQ_VMCI_BUFFER_MAX_SIZE` in bytes. Default 262144.
    pub fn set_vmci_buffer_max_size(&mut self, bytes: u64) -> Result<(), OptionError> {
        self.set(N::VmciBufferMaxSize, bytes)
    }

    /// `ZMQ_VMCI_BUFFER_MAX_SIZE`.
    pub fn get_vmci_buffer_max_size(&self) -> u64 {
        self.vmci_buffer_max_size
    }

    /// Sets `ZMQ_VMCI_CONNECT_TIMEOUT` (`None`: none, libzmq's -1). Default none.
    pub fn set_vmci_connect_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), OptionError> {
        self.set(
            N::VmciConnectTimeout,
            millis_or_minus_one(N::VmciConnectTimeout, timeout)?,
        )
    }

    /// `ZMQ_VMCI_CONNECT_TIMEOUT` (`None`: none).
    pub fn get_vmci_connect_timeout(&self) -> Option<Duration> {
        duration_unless_negative(self.vmci_connect_timeout)
    }
}
