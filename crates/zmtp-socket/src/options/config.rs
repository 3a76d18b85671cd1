//! The codec settings of one connection, taken from the socket's options.

use bytes::Bytes;
use zmtp_codec::{Config, SocketType};

use super::socket_options::SocketOptions;

impl SocketOptions {
    /// The [`Config`] for a connection of a socket of type `socket_type`:
    /// - `routing_id`: `ZMQ_IDENTITY` (the codec sends it for REQ, DEALER and ROUTER only);
    /// - `max_msg_size`: `ZMQ_MAXMSGSIZE` (-1: no limit);
    /// - `handshake_ivl`: `ZMQ_HANDSHAKE_IVL` (0: no limit);
    /// - `heartbeat_ivl`: `ZMQ_HEARTBEAT_IVL` (0: no PINGs);
    /// - `heartbeat_timeout`: `ZMQ_HEARTBEAT_TIMEOUT`: -1, the default, is the heartbeat
    ///   interval (`None`); 0 is no timeout (zero), as in libzmq;
    /// - `heartbeat_ttl`: `ZMQ_HEARTBEAT_TTL` (the codec sends whole deciseconds);
    /// - `zap_domain`: `ZMQ_ZAP_DOMAIN`.
    ///
    /// `metadata` (`ZMQ_METADATA`, not in the 4.2 table) stays empty, and `peer_address` is the
    /// transport's to fill.
    pub fn connection_config(&self, socket_type: SocketType) -> Config {
        let values = &self.values;
        let mut config = Config::new(socket_type);
        config.routing_id = values.identity.clone().unwrap_or_default();
        config.max_msg_size = values.maxmsgsize;
        config.handshake_ivl = values.handshake_ivl;
        config.heartbeat_ivl = values.heartbeat_ivl;
        config.heartbeat_timeout = values.heartbeat_timeout;
        config.heartbeat_ttl = values.heartbeat_ttl.unwrap_or_default();
        config.zap_domain = values
            .zap_domain
            .clone()
            .map(Bytes::from)
            .unwrap_or_default();
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptionError;
    use std::time::Duration;

    #[test]
    fn defaults_match_the_codec_defaults() {
        let ours = SocketOptions::new().connection_config(SocketType::Dealer);
        let codec = Config::new(SocketType::Dealer);
        assert_eq!(ours.socket_type, codec.socket_type);
        assert_eq!(ours.routing_id, codec.routing_id);
        assert_eq!(ours.max_msg_size, codec.max_msg_size);
        assert_eq!(ours.handshake_ivl, codec.handshake_ivl);
        assert_eq!(ours.handshake_ivl, Some(Duration::from_secs(30)));
        assert_eq!(ours.heartbeat_ivl, codec.heartbeat_ivl);
        assert_eq!(ours.heartbeat_timeout, codec.heartbeat_timeout);
        assert_eq!(ours.heartbeat_ttl, codec.heartbeat_ttl);
        assert_eq!(ours.zap_domain, codec.zap_domain);
        assert!(ours.metadata.is_empty());
    }

    #[test]
    fn options_reach_the_config() -> Result<(), OptionError> {
        let options = SocketOptions::new()
            .identity("client-1")
            .maxmsgsize(Some(65_536))
            .handshake_ivl(None)
            .heartbeat_ivl(Some(Duration::from_secs(1)))
            .heartbeat_timeout(Some(Duration::from_millis(2500)))
            .heartbeat_ttl(Some(Duration::from_millis(10_000)))
            .zap_domain("global")
            .build()?;
        let config = options.connection_config(SocketType::Req);
        assert_eq!(config.socket_type, SocketType::Req);
        assert_eq!(config.routing_id, Bytes::from_static(b"client-1"));
        assert_eq!(config.max_msg_size, Some(65_536));
        assert_eq!(config.handshake_ivl, None);
        assert_eq!(config.heartbeat_ivl, Some(Duration::from_secs(1)));
        assert_eq!(config.heartbeat_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(config.heartbeat_ttl, Duration::from_millis(10_000));
        assert_eq!(config.zap_domain, Bytes::from_static(b"global"));

        // The default HEARTBEAT_TIMEOUT (-1) is "the interval": None in the codec; an explicit
        // 0 is no timeout: zero in the codec.
        let mut options = SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(500)))
            .build()?;
        let config = options.connection_config(SocketType::Sub);
        assert_eq!(config.heartbeat_ivl, Some(Duration::from_millis(500)));
        assert_eq!(config.heartbeat_timeout, None);
        assert_eq!(config.max_msg_size, None);
        options.set(crate::options::OptionName::HeartbeatTimeout, 0)?;
        let config = options.connection_config(SocketType::Sub);
        assert_eq!(config.heartbeat_timeout, Some(Duration::ZERO));
        // The TTL in whole deciseconds, as libzmq keeps it.
        assert_eq!(
            SocketOptions::new()
                .heartbeat_ttl(Some(Duration::from_millis(2_550)))
                .build()?
                .connection_config(SocketType::Sub)
                .heartbeat_ttl,
            Duration::from_millis(2_500)
        );
        Ok(())
    }
}
