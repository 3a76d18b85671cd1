//! The GSSAPI mechanism (RFC 38, a stub; libzmq's `gssapi_*.cpp` are the de-facto spec):
//! Kerberos through the system's GSS-API library, with every message wrapped (encrypted and
//! integrity-protected) by the security context unless `ZMQ_GSSAPI_PLAINTEXT` is set.
//!
//! ```text
//! C: INITIATE = 08 "INITIATE" token_len:u32be token     gss_init_sec_context, no input token
//! S: INITIATE = 08 "INITIATE" token_len:u32be token     gss_accept_sec_context
//! ...  alternating until both sides are complete; a side whose step yields no token sends an
//!      empty command frame (04 00) instead, as libzmq does: with Kerberos and mutual
//!      authentication that is the client's third frame, which the server waits for
//! S: READY   (wrapped, see below)                        after ZAP, if a handler is consulted
//! C: READY   (wrapped)
//! then every frame, commands included, becomes one MESSAGE in an ordinary frame (flags 00, or
//! 02 when long: libzmq's encoder replaces the message and its flags with the MESSAGE):
//!    MESSAGE = 07 "MESSAGE" wrapped_len:u32be gss_wrap(conf = 1, [flags:u8][body])
//!    flags: 0x01 MORE, 0x02 COMMAND (0x04 SUBSCRIBE and 0x08 CANCEL from libzmq 4.3.5 on)
//! ```
//! The READYs' MESSAGEs go in command frames (libzmq marks every handshake frame a command).
//!
//! With `ZMQ_GSSAPI_PLAINTEXT` the READY commands and all later frames go unwrapped, as with
//! NULL; both sides must agree on it.
//!
//! What libzmq does, and this module with it:
//! - Roles come from `ZMQ_GSSAPI_SERVER`, not from the greeting's as-server flag.
//! - The client asks for mutual authentication and replay detection
//!   (`GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG`) and lets the library choose the mechanism
//!   (Kerberos 5 with MIT krb5). Mutual authentication is what makes the server's last step
//!   yield a token (the AP-REP) for the client to finish with; without it libzmq's client would
//!   be waiting for READY when the server's empty frame arrives, and fail.
//! - The server consults ZAP once its context is complete (when the socket layer says a handler
//!   exists: `GssapiServer::with_zap`), with one credential frame: the client principal's
//!   display name (`client@REALM`). A `User-Id` from the handler becomes a peer property.
//! - The wrapped READY carries a flags byte of 0 (libzmq wraps the READY before marking it a
//!   command); received READYs are recognised by their name whatever their flags.
//! - Subscriptions: libzmq 4.3.4 puts only MORE and COMMAND in the flags byte; 4.3.5 added
//!   SUBSCRIBE (0x04) and CANCEL (0x08), sent with the bare topic and without COMMAND. This side
//!   understands both forms on receipt, and sends a subscription as a wrapped SUBSCRIBE or
//!   CANCEL command with the COMMAND flag, the one form every libzmq 4.x reads correctly.
//!
//! Where this side differs from libzmq:
//! - Credentials for `ZMQ_GSSAPI_PRINCIPAL` are acquired for initiating (client) or accepting
//!   (server) only, where libzmq asks for both (`GSS_C_BOTH`), which also requires the client's
//!   key in the acceptor keytab. Anything libzmq accepts is accepted here.
//! - Names are imported without libzmq's trailing NUL byte.
//! - A ZAP refusal (300, 400, 500) ends the handshake, with ERROR for 400 and 500 as the other
//!   mechanisms do. libzmq 4.3.4's GSSAPI server reports the refusal to its monitor
//!   (`HANDSHAKE_FAILED_AUTH`) and then completes the handshake anyway (seen in the interop
//!   tests' set-up; later libzmq closes instead).
//! - A context that cannot be accepted ends the connection at once; libzmq 4.3.4's server
//!   leaves it stalled until its `ZMQ_HANDSHAKE_IVL` runs out.
//! - A failure (a GSS-API error, a malformed token, a message that does not unwrap) ends the
//!   connection with [`MechanismError::Gssapi`](zmtp_codec::MechanismError::Gssapi) or a
//!   command error; libzmq asserts in some of these cases.
//! - gss_wrap's `conf_state` is not reported by the bindings; instead, when encryption is on,
//!   the handshake fails unless the established context offers confidentiality
//!   (`GSS_C_CONF_FLAG`), so every wrap with `conf_req = 1` encrypts. Incoming tokens are
//!   checked for integrity by gss_unwrap; whether the (authenticated) peer chose to encrypt them
//!   is not visible through the bindings.
//!
//! GSS-API calls may block: acquiring credentials and the client's context steps talk to the KDC
//! (over the network, with the library's own timeouts); the server's read its keytab and replay
//! cache. libzmq makes them in its I/O thread, stalling every other connection there. Here none
//! runs inside a handshake step: each is handed to the driver as a
//! [`BlockingJob`](zmtp_codec::BlockingJob) (see
//! [`Connection::poll_blocking`](zmtp_codec::Connection::poll_blocking)), which owns the
//! security context while it runs and hands it back; the handshake waits for it. The Tokio
//! driver of `zmtp-socket` runs the jobs with `spawn_blocking`. Wrapping and unwrapping
//! messages are local computations and run inline.
//!
//! The mechanisms are `Send` without `unsafe` code here: the `libgssapi` crate declares its
//! context, credential and name handles `Send` (one owner at a time, which RFC 2744 allows; it
//! forbids only concurrent calls on one context), and each connection owns its mechanism; a
//! context moves to the thread running a job and back, never used by two at once.

#[cfg(feature = "gssapi")]
mod client;
#[cfg(feature = "gssapi")]
mod gss;
#[cfg(feature = "gssapi")]
mod ready;
#[cfg(feature = "gssapi")]
mod server;
#[cfg(feature = "gssapi")]
mod wire;

#[cfg(feature = "gssapi")]
pub use client::GssapiClient;
#[cfg(feature = "gssapi")]
pub use server::GssapiServer;

/// Longest principal name libzmq accepts in `ZMQ_GSSAPI_PRINCIPAL` and
/// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`.
pub const MAX_PRINCIPAL_LEN: usize = 255;

/// How a principal name is to be read (`ZMQ_GSSAPI_PRINCIPAL_NAMETYPE`,
/// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NameType {
    /// `ZMQ_GSSAPI_NT_HOSTBASED` (0): `service@host`, such as `zmq@localhost`, which Kerberos
    /// maps to `zmq/localhost@REALM` (`GSS_C_NT_HOSTBASED_SERVICE`). libzmq's default for both
    /// options.
    #[default]
    HostBased,
    /// `ZMQ_GSSAPI_NT_USER_NAME` (1): a user name (`GSS_C_NT_USER_NAME`).
    UserName,
    /// `ZMQ_GSSAPI_NT_KRB5_PRINCIPAL` (2): a Kerberos principal name, `name@REALM`
    /// (`GSS_KRB5_NT_PRINCIPAL_NAME`).
    KrbPrincipal,
}

impl NameType {
    /// The option value libzmq uses for this name type.
    pub const fn as_raw(self) -> i32 {
        match self {
            NameType::HostBased => 0,
            NameType::UserName => 1,
            NameType::KrbPrincipal => 2,
        }
    }

    /// The name type for a libzmq option value; `None` for anything but 0, 1 and 2 (libzmq
    /// refuses those with `EINVAL`).
    pub const fn from_raw(value: i32) -> Option<NameType> {
        match value {
            0 => Some(NameType::HostBased),
            1 => Some(NameType::UserName),
            2 => Some(NameType::KrbPrincipal),
            _ => None,
        }
    }
}

/// GSSAPI options that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GssapiOptionError {
    /// `ZMQ_GSSAPI_PRINCIPAL` must be 1 to 255 bytes.
    #[error("ZMQ_GSSAPI_PRINCIPAL must be 1 to 255 bytes, got {0}")]
    PrincipalLength(usize),
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL` must be 1 to 255 bytes.
    #[error("ZMQ_GSSAPI_SERVICE_PRINCIPAL must be 1 to 255 bytes, got {0}")]
    ServicePrincipalLength(usize),
    /// A client (`ZMQ_GSSAPI_SERVER` off) needs the name of the service it talks to.
    #[error("a GSSAPI client needs ZMQ_GSSAPI_SERVICE_PRINCIPAL")]
    MissingServicePrincipal,
}

/// The GSSAPI socket options, with libzmq's defaults: client, no principal of its own (the
/// library's default credentials), no service principal, host-based names, encryption on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GssapiOptions {
    /// `ZMQ_GSSAPI_SERVER`: act as the server (accept a context) rather than the client.
    pub server: bool,
    /// `ZMQ_GSSAPI_PRINCIPAL`: our own principal. `None` uses the library's default
    /// credentials: the client's default ticket cache or client keytab, and, for a server, any
    /// key in the keytab (`KRB5_KTNAME`).
    pub principal: Option<String>,
    /// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE`: how [`GssapiOptions::principal`] is read.
    pub principal_nametype: NameType,
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: the server's principal, which a client authenticates
    /// to (for example `zmq@localhost` with [`NameType::HostBased`]).
    pub service_principal: Option<String>,
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE`: how [`GssapiOptions::service_principal`] is
    /// read.
    pub service_principal_nametype: NameType,
    /// `ZMQ_GSSAPI_PLAINTEXT`: authenticate only, and send messages unwrapped. Both sides must
    /// agree.
    pub plaintext: bool,
}

impl GssapiOptions {
    /// Client options: authenticate to `service_principal` (`ZMQ_GSSAPI_SERVICE_PRINCIPAL`),
    /// read as `nametype` (`ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE`).
    pub fn client(service_principal: impl Into<String>, nametype: NameType) -> GssapiOptions {
        GssapiOptions {
            service_principal: Some(service_principal.into()),
            service_principal_nametype: nametype,
            ..GssapiOptions::default()
        }
    }

    /// Server options (`ZMQ_GSSAPI_SERVER` = 1).
    pub fn server() -> GssapiOptions {
        GssapiOptions {
            server: true,
            ..GssapiOptions::default()
        }
    }

    /// Sets our own principal (`ZMQ_GSSAPI_PRINCIPAL`) and how it is read
    /// (`ZMQ_GSSAPI_PRINCIPAL_NAMETYPE`).
    pub fn with_principal(mut self, principal: impl Into<String>, nametype: NameType) -> Self {
        self.principal = Some(principal.into());
        self.principal_nametype = nametype;
        self
    }

    /// Sets `ZMQ_GSSAPI_PLAINTEXT`.
    pub fn with_plaintext(mut self, plaintext: bool) -> Self {
        self.plaintext = plaintext;
        self
    }

    /// Checks what libzmq checks when the options are set (principal lengths), and that a client
    /// names its service.
    pub fn validate(&self) -> Result<(), GssapiOptionError> {
        let bad_len = |name: &str| name.is_empty() || name.len() > MAX_PRINCIPAL_LEN;
        if let Some(p) = self.principal.as_deref().filter(|p| bad_len(p)) {
            return Err(GssapiOptionError::PrincipalLength(p.len()));
        }
        match self.service_principal.as_deref() {
            Some(p) if bad_len(p) => Err(GssapiOptionError::ServicePrincipalLength(p.len())),
            None if !self.server => Err(GssapiOptionError::MissingServicePrincipal),
            _ => Ok(()),
        }
    }
}

/// The mechanism the options ask for: [`GssapiServer`] (consulting ZAP if `zap`) or
/// [`GssapiClient`].
#[cfg(feature = "gssapi")]
pub fn mechanism(
    options: &GssapiOptions,
    zap: bool,
) -> Result<Box<dyn zmtp_codec::Mechanism>, GssapiOptionError> {
    Ok(if options.server {
        if zap {
            Box::new(GssapiServer::with_zap(options.clone())?)
        } else {
            Box::new(GssapiServer::new(options.clone())?)
        }
    } else {
        Box::new(GssapiClient::new(options.clone())?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_types_match_libzmq() {
        for (raw, ty) in [
            (0, NameType::HostBased),
            (1, NameType::UserName),
            (2, NameType::KrbPrincipal),
        ] {
            assert_eq!(NameType::from_raw(raw), Some(ty));
            assert_eq!(ty.as_raw(), raw);
        }
        assert_eq!(NameType::from_raw(3), None);
        assert_eq!(NameType::from_raw(-1), None);
        assert_eq!(NameType::default(), NameType::HostBased);
    }

    #[test]
    fn defaults_and_validation() {
        let d = GssapiOptions::default();
        assert!(!d.server && !d.plaintext && d.principal.is_none());
        assert_eq!(d.principal_nametype, NameType::HostBased);
        assert_eq!(d.service_principal_nametype, NameType::HostBased);
        assert_eq!(
            d.validate(),
            Err(GssapiOptionError::MissingServicePrincipal)
        );
        assert_eq!(GssapiOptions::server().validate(), Ok(()));
        let client = GssapiOptions::client("zmq@localhost", NameType::HostBased);
        assert_eq!(client.validate(), Ok(()));
        assert_eq!(
            GssapiOptions::client("", NameType::HostBased).validate(),
            Err(GssapiOptionError::ServicePrincipalLength(0))
        );
        assert_eq!(
            client
                .clone()
                .with_principal("x".repeat(256), NameType::KrbPrincipal)
                .validate(),
            Err(GssapiOptionError::PrincipalLength(256))
        );
        assert_eq!(
            client
                .with_principal("x".repeat(255), NameType::KrbPrincipal)
                .validate(),
            Ok(())
        );
    }
}
