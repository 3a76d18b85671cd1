//! Typed accessors: `set_*` setters that check at once (for a live socket), `get_*` getters in
//! Rust types, and the builder methods (`SocketOptions::new().sndhwm(10_000)`), which keep the
//! first invalid value for [`SocketOptions::build`](super::SocketOptions::build). All are
//! generated from the option table (`table/mod.rs`) but the few here: two setters that do not
//! go through libzmq's encoding, and the `clear_*` and `take_*` methods of the lists.
//!
//! Rust types stand for libzmq's conventions: `Option<Duration>` where libzmq uses -1 for
//! "infinite" or 0 for "none" (each accessor says which `None` means), `bool` for 0/1,
//! `Option<i32>` where -1 means "the OS's default", `Bytes` for binary data, the security
//! crate's key types for CURVE keys. Durations are whole milliseconds on the wire of the API:
//! a duration with a fraction of a millisecond is rounded up, so a short non-zero duration
//! never turns into 0 (which means "none" or "at once" for some options).
//!
//! Setters and getters are named like the `zmq` crate's (`set_sndhwm`, `get_sndhwm`); the
//! builder methods take the bare name.

use std::time::Duration;

use bytes::Bytes;
use zmtp_security::CurveSecretKey;

use super::error::OptionError;
use super::name::OptionName;
use super::socket_options::{require_feature, SocketOptions};

impl SocketOptions {
    /// Sets `ZMQ_HEARTBEAT_TIMEOUT`: close the connection if nothing arrives this long after a
    /// PING (`None`: the heartbeat interval, the default; zero: no timeout, PINGs go out and a
    /// peer that answers none is kept).
    ///
    /// As in libzmq 4.2 and 4.3, whose default is -1 (the interval) and reads back so, and
    /// whose explicit 0 turns the timeout off; the table's default of 0 is not libzmq's. Through
    /// [`SocketOptions::set`], -1 is refused as libzmq refuses it; `None` here restores it.
    pub fn set_heartbeat_timeout(&mut self, timeout: Option<Duration>) -> Result<(), OptionError> {
        let name = OptionName::HeartbeatTimeout;
        match timeout {
            Some(timeout) => self.set(name, millis(name, timeout)?),
            None => {
                self.values.heartbeat_timeout = None;
                Ok(())
            }
        }
    }

    /// Sets `ZMQ_CURVE_SECRETKEY`: our long-term secret key (client and server need it).
    /// Selects CURVE. Through [`SocketOptions::set`] it also takes 32 bytes or Z85 text.
    pub fn set_curve_secret_key(&mut self, key: CurveSecretKey) -> Result<(), OptionError> {
        require_feature(OptionName::CurveSecretKey)?;
        // Stored as it is: through `set` the secret would be copied into plain `Bytes`.
        self.values.curve_secret_key = Some(key);
        self.after_curve_key();
        Ok(())
    }

    /// Removes every `ZMQ_TCP_ACCEPT_FILTER` (libzmq's `(NULL, 0)`).
    pub fn clear_tcp_accept_filters(&mut self) {
        self.values.tcp_accept_filters.clear();
    }

    /// Removes every `ZMQ_IPC_FILTER_UID`.
    pub fn clear_ipc_filter_uids(&mut self) {
        self.values.ipc_filter_uids.clear();
    }

    /// Removes every `ZMQ_IPC_FILTER_GID`.
    pub fn clear_ipc_filter_gids(&mut self) {
        self.values.ipc_filter_gids.clear();
    }

    /// Removes every `ZMQ_IPC_FILTER_PID`.
    pub fn clear_ipc_filter_pids(&mut self) {
        self.values.ipc_filter_pids.clear();
    }

    /// Takes `ZMQ_CONNECT_RID` for a connect: libzmq uses it for the first connect after it
    /// was set only.
    pub fn take_connect_rid(&mut self) -> Option<Bytes> {
        self.values.connect_rid.take()
    }

    /// Takes the subscriptions out (a new socket hands them to its pattern, which keeps them).
    pub(crate) fn take_subscriptions(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.values.subscriptions)
    }
}

/// Milliseconds in libzmq's `int`, rounded up; too long a duration is an error naming `option`.
pub(super) fn millis(option: OptionName, duration: Duration) -> Result<i32, OptionError> {
    let whole = duration.as_millis();
    let ms = if duration.subsec_nanos().is_multiple_of(1_000_000) {
        whole
    } else {
        whole + 1
    };
    i32::try_from(ms).map_err(|_| OptionError::OutOfRange {
        option,
        allowed: "at most i32::MAX (2147483647) ms",
        got: i128::try_from(ms).unwrap_or(i128::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::super::OptionValue;
    use super::*;
    use zmtp_security::NameType;

    #[test]
    fn typed_accessors_map_to_libzmq_values() -> Result<(), OptionError> {
        let mut o = SocketOptions::new();
        let raw = |o: &SocketOptions, n: OptionName| o.get(n);

        assert_eq!(o.get_linger(), Some(Duration::from_secs(30)));
        o.set_linger(None)?;
        assert_eq!(raw(&o, OptionName::Linger), OptionValue::Int(-1));
        assert_eq!(o.get_linger(), None);
        o.set_linger(Some(Duration::ZERO))?;
        assert_eq!(o.get_linger(), Some(Duration::ZERO));

        assert_eq!(o.get_sndtimeo(), None);
        o.set_sndtimeo(Some(Duration::from_millis(250)))?;
        assert_eq!(raw(&o, OptionName::SndTimeo), OptionValue::Int(250));

        assert_eq!(o.get_handshake_ivl(), Some(Duration::from_secs(30)));
        o.set_handshake_ivl(None)?;
        assert_eq!(raw(&o, OptionName::HandshakeIvl), OptionValue::Int(0));
        assert_eq!(o.get_handshake_ivl(), None);

        assert_eq!(o.get_heartbeat_timeout(), None);
        o.set_heartbeat_timeout(Some(Duration::from_millis(1500)))?;
        assert_eq!(o.get_heartbeat_timeout(), Some(Duration::from_millis(1500)));

        assert_eq!(o.get_reconnect_ivl(), Some(Duration::from_millis(100)));
        o.set_reconnect_ivl(None)?;
        assert_eq!(raw(&o, OptionName::ReconnectIvl), OptionValue::Int(-1));
        assert_eq!(o.get_reconnect_ivl_max(), None);

        assert_eq!(o.get_maxmsgsize(), None);
        o.set_maxmsgsize(Some(1024))?;
        assert_eq!(raw(&o, OptionName::MaxMsgSize), OptionValue::Int64(1024));
        assert!(matches!(
            o.set_maxmsgsize(Some(u64::MAX)),
            Err(OptionError::OutOfRange {
                option: OptionName::MaxMsgSize,
                ..
            })
        ));
        assert_eq!(o.get_maxmsgsize(), Some(1024));

        assert_eq!(o.get_tcp_keepalive(), None);
        o.set_tcp_keepalive(Some(false))?;
        assert_eq!(raw(&o, OptionName::TcpKeepalive), OptionValue::Int(0));
        assert_eq!(o.get_tcp_keepalive(), Some(false));
        assert!(o.set_tcp_keepalive_cnt(Some(0)).is_err());
        o.set_tcp_keepalive_idle(Some(30))?;
        assert_eq!(o.get_tcp_keepalive_idle(), Some(30));
        assert_eq!(o.get_tcp_keepalive_intvl(), None);

        assert_eq!((o.get_sndbuf(), o.get_use_fd()), (None, None));
        o.set_use_fd(Some(3))?;
        assert!(o.set_use_fd(Some(-2)).is_err());
        assert_eq!(o.get_use_fd(), Some(3));

        assert!(o.get_ipv4only() && !o.get_ipv6());
        o.set_ipv6(true)?;
        assert!(!o.get_ipv4only());
        assert_eq!(raw(&o, OptionName::Ipv4Only), OptionValue::Int(0));
        o.set_ipv4only(true)?;
        assert!(!o.get_ipv6());

        assert_eq!(o.get_recovery_ivl(), Duration::from_secs(10));
        assert_eq!(o.get_vmci_connect_timeout(), None);

        o.set_xpub_verboser(true)?;
        assert!(o.get_xpub_verbose() && o.get_xpub_verboser());
        o.set_xpub_verbose(true)?;
        assert!(o.get_xpub_verbose() && !o.get_xpub_verboser());

        assert_eq!(o.get_connect_rid(), None);
        o.set_connect_rid("peer")?;
        assert_eq!(o.get_connect_rid(), Some(&Bytes::from_static(b"peer")));
        assert_eq!(o.take_connect_rid(), Some(Bytes::from_static(b"peer")));
        assert_eq!(o.take_connect_rid(), None);

        assert_eq!(o.get_identity(), None);
        o.set_identity(Bytes::from_static(b"me"))?;
        assert_eq!(o.get_identity(), Some(&Bytes::from_static(b"me")));

        #[cfg(feature = "curve")]
        {
            let secret = CurveSecretKey::from_bytes([5; 32]);
            o.set_curve_secret_key(secret.clone())?;
            assert_eq!(
                raw(&o, OptionName::CurveSecretKey),
                OptionValue::Bytes(Bytes::copy_from_slice(&[5; 32]))
            );
            assert_eq!(
                o.get_curve_secret_key().map(|k| k.public_key()),
                Some(secret.public_key())
            );
            o.set_curve_server(true)?;
            assert!(o.get_curve_server() && !o.get_plain_server() && !o.get_gssapi_server());
            o.set_curve_server_key(secret.public_key())?;
            assert!(!o.get_curve_server());
        }
        #[cfg(not(feature = "curve"))]
        {
            let secret = CurveSecretKey::from_bytes([5; 32]);
            assert_eq!(
                o.set_curve_secret_key(secret),
                Err(OptionError::FeatureDisabled {
                    option: OptionName::CurveSecretKey,
                    feature: "curve"
                })
            );
            assert_eq!(
                o.set_curve_server(true),
                Err(OptionError::FeatureDisabled {
                    option: OptionName::CurveServer,
                    feature: "curve"
                })
            );
            assert!(!o.get_curve_server() && o.get_curve_secret_key().is_none());
        }

        o.set_gssapi_service_principal_nametype(NameType::UserName)?;
        assert_eq!(
            raw(&o, OptionName::GssapiServicePrincipalNametype),
            OptionValue::Int(1)
        );
        assert_eq!(o.get_zap_domain(), None);
        o.set_zap_domain("global")?;
        assert_eq!(o.get_zap_domain(), Some("global"));
        Ok(())
    }

    #[test]
    fn durations_round_up_to_milliseconds() {
        let o = OptionName::Linger;
        assert_eq!(millis(o, Duration::from_millis(1500)), Ok(1500));
        assert_eq!(millis(o, Duration::from_micros(1)), Ok(1));
        assert_eq!(millis(o, Duration::from_micros(1001)), Ok(2));
        assert_eq!(millis(o, Duration::ZERO), Ok(0));
        assert_eq!(
            millis(o, Duration::from_millis(i32::MAX as u64)),
            Ok(i32::MAX)
        );
        assert_eq!(
            millis(o, Duration::from_millis(i32::MAX as u64 + 1)).map_err(|e| e.to_string()),
            Err("ZMQ_LINGER must be at most i32::MAX (2147483647) ms, got 2147483648".into())
        );
        assert!(millis(o, Duration::MAX).is_err());
    }

    #[test]
    fn chains_and_reports_the_first_error() {
        let options = SocketOptions::new()
            .sndhwm(10_000)
            .linger(Some(Duration::from_secs(1)))
            .subscribe("weather.")
            .build();
        let options = options.expect("valid options");
        assert_eq!(options.get_sndhwm(), 10_000);
        assert_eq!(options.get_linger(), Some(Duration::from_secs(1)));
        assert_eq!(
            options.get_subscriptions(),
            [Bytes::from_static(b"weather.")]
        );

        let chain = SocketOptions::new()
            .sndhwm(-5)
            .rcvhwm(-7)
            .identity(&b""[..])
            .linger(None);
        assert_eq!(
            chain.validate().map_err(|e| e.to_string()),
            Err("ZMQ_SNDHWM must be >= 0, got -5".to_string())
        );
        // The rest of the chain still applies; the invalid values do not.
        assert_eq!(chain.get_linger(), None);
        assert_eq!(chain.get_rcvhwm(), 1000);
        assert_eq!(
            chain.build().map(|_| ()),
            Err(OptionError::OutOfRange {
                option: OptionName::SndHwm,
                allowed: ">= 0",
                got: -5
            })
        );
        let chain = SocketOptions::new()
            .heartbeat_ttl(Some(Duration::from_secs(7000)))
            .sndhwm(1);
        assert!(matches!(
            chain.build(),
            Err(OptionError::OutOfRange {
                option: OptionName::HeartbeatTtl,
                ..
            })
        ));
        let chain = SocketOptions::new().linger(Some(Duration::from_secs(3_000_000)));
        assert!(matches!(
            chain.build(),
            Err(OptionError::OutOfRange {
                option: OptionName::Linger,
                ..
            })
        ));
        let chain = SocketOptions::new().tcp_accept_filter("10.0.0.0/99");
        assert!(matches!(
            chain.build(),
            Err(OptionError::Invalid {
                option: OptionName::TcpAcceptFilter,
                ..
            })
        ));
    }
}
