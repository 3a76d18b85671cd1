//! What the GSSAPI tests share: the throwaway Kerberos realm of `scripts/kdc.sh` (required: the
//! tests fail, never skip, without it) and connections configured for it.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Instant;

use zmtp_codec::{Config, Connection, SocketType};
use zmtp_security::gssapi::{GssapiClient, GssapiOptions, GssapiServer, NameType};

/// The service principal registered by `scripts/kdc.sh`, in host-based form.
pub const SERVICE: &str = "zmq@localhost";
/// A service the KDC knows but whose key is not in the keytab.
pub const UNKEYED_SERVICE: &str = "unkeyed@localhost";
/// A service the KDC does not know.
pub const UNKNOWN_SERVICE: &str = "nosuch@localhost";

const HOW_TO: &str = "the GSSAPI tests need the throwaway Kerberos realm of scripts/kdc.sh: run \
                      `eval \"$(bash scripts/kdc.sh start)\"` in the shell that runs cargo test \
                      (scripts/test.sh does this for you)";

/// The realm's name, after checking that the environment of `scripts/kdc.sh start` is in place
/// and its KDC alive. Panics with instructions otherwise.
pub fn realm() -> String {
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; {HOW_TO}"));
    for name in ["KRB5_CONFIG", "KRB5_KTNAME", "KRB5_CLIENT_KTNAME"] {
        let value = var(name);
        let path = value.strip_prefix("FILE:").unwrap_or(&value);
        assert!(
            Path::new(path).exists(),
            "{name}={value} does not exist (a stopped KDC?); {HOW_TO}"
        );
    }
    assert!(
        var("KRB5CCNAME").starts_with("DIR:"),
        "KRB5CCNAME must be a DIR: collection; {HOW_TO}"
    );
    let pid = var("ZMTP_TEST_KDC_PID");
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the KDC (pid {pid}) is not running; {HOW_TO}"
    );
    var("ZMTP_TEST_KRB5_REALM")
}

/// `client@REALM`, the client principal in the keytab.
pub fn client_principal() -> String {
    format!("client@{}", realm())
}

/// libzmq's client set-up: principal `client@REALM` (a Kerberos principal name), service
/// `zmq@localhost` (host-based).
pub fn client_options() -> GssapiOptions {
    GssapiOptions::client(SERVICE, NameType::HostBased)
        .with_principal(client_principal(), NameType::KrbPrincipal)
}

/// libzmq's server set-up: principal `zmq@localhost` (host-based).
pub fn server_options() -> GssapiOptions {
    realm();
    GssapiOptions::server().with_principal(SERVICE, NameType::HostBased)
}

pub fn client(now: Instant, socket_type: SocketType, options: GssapiOptions) -> Connection {
    let mechanism = GssapiClient::new(options).expect("valid client options");
    Connection::new(Config::new(socket_type), Box::new(mechanism), now)
}

pub fn server(
    now: Instant,
    socket_type: SocketType,
    options: GssapiOptions,
    zap: bool,
) -> Connection {
    let mechanism = if zap {
        GssapiServer::with_zap(options)
    } else {
        GssapiServer::new(options)
    }
    .expect("valid server options");
    let mut config = Config::new(socket_type);
    config.peer_address = bytes::Bytes::from_static(b"127.0.0.1");
    Connection::new(config, Box::new(mechanism), now)
}
