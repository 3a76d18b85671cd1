//! The security mechanism the options select, by libzmq's rules.
//!
//! libzmq keeps one `mechanism` and one `as_server` flag that each security option changes as
//! it is set, so the last setting wins:
//!
//! | option set | mechanism | server side |
//! |---|---|---|
//! | `ZMQ_PLAIN_SERVER` = 1 / 0 | PLAIN / NULL | yes / no |
//! | `ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD` (non-empty) | PLAIN | no |
//! | `ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD` (empty: libzmq's NULL) | NULL | unchanged |
//! | `ZMQ_CURVE_SERVER` = 1 / 0 | CURVE / NULL | yes / no |
//! | `ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY` | CURVE | unchanged |
//! | `ZMQ_CURVE_SERVERKEY` | CURVE | no |
//! | `ZMQ_GSSAPI_SERVER` = 1 / 0 | GSSAPI | yes / no |
//! | `ZMQ_GSSAPI_PRINCIPAL` | GSSAPI | unchanged |
//! | `ZMQ_GSSAPI_SERVICE_PRINCIPAL` | GSSAPI | no |
//!
//! libzmq 4.2.2 had no `ZMQ_MECHANISM` in its table (4.3 reads it back as 0 to 3);
//! [`SocketOptions::mechanism`] gives it, and [`SocketOptions::security`] what a connection
//! needs to run it.

use zmtp_security::plain::CredentialsError;
use zmtp_security::{CurveKeyPair, CurvePublicKey, GssapiOptions, PlainCredentials};

use super::error::OptionError;
use super::name::OptionName;
use super::socket_options::SocketOptions;

/// A security mechanism, with libzmq's numbers (`ZMQ_NULL` 0 ... `ZMQ_GSSAPI` 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MechanismKind {
    /// `ZMQ_NULL` (0): no security; a server may still ask ZAP when `ZMQ_ZAP_DOMAIN` is set.
    #[default]
    Null,
    /// `ZMQ_PLAIN` (1): user name and password in the clear.
    Plain,
    /// `ZMQ_CURVE` (2): CurveZMQ encryption and authentication.
    Curve,
    /// `ZMQ_GSSAPI` (3): Kerberos.
    Gssapi,
}

impl MechanismKind {
    /// libzmq's number for the mechanism (what its `ZMQ_MECHANISM` reads).
    pub const fn as_raw(self) -> i32 {
        match self {
            MechanismKind::Null => 0,
            MechanismKind::Plain => 1,
            MechanismKind::Curve => 2,
            MechanismKind::Gssapi => 3,
        }
    }

    /// The name in the greeting's mechanism field.
    pub const fn as_str(self) -> &'static str {
        match self {
            MechanismKind::Null => "NULL",
            MechanismKind::Plain => "PLAIN",
            MechanismKind::Curve => "CURVE",
            MechanismKind::Gssapi => "GSSAPI",
        }
    }
}

/// libzmq's `mechanism` and `as_server`: what the security options set so far select.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Selected {
    /// The mechanism.
    pub(super) kind: MechanismKind,
    /// The server side of it.
    pub(super) as_server: bool,
}

impl Selected {
    /// The side, and the mechanism (`None`: NULL).
    pub(super) fn new(as_server: bool, kind: Option<MechanismKind>) -> Selected {
        Selected {
            kind: kind.unwrap_or_default(),
            as_server,
        }
    }

    /// libzmq's `as_server && mechanism == kind`.
    pub(super) fn is_server_of(&self, kind: MechanismKind) -> bool {
        self.as_server && self.kind == kind
    }
}

/// What a connection needs to run the selected mechanism, one side of it.
#[derive(Debug, Clone)]
pub enum Security {
    /// NULL.
    Null,
    /// PLAIN client, with `ZMQ_PLAIN_USERNAME` and `ZMQ_PLAIN_PASSWORD`.
    PlainClient(PlainCredentials),
    /// PLAIN server (`ZMQ_PLAIN_SERVER`); a ZAP handler checks the credentials.
    PlainServer,
    /// CURVE client: its key pair (`ZMQ_CURVE_SECRETKEY`, with `ZMQ_CURVE_PUBLICKEY` if set)
    /// and the server's public key (`ZMQ_CURVE_SERVERKEY`).
    CurveClient {
        /// The client's long-term key pair.
        keys: CurveKeyPair,
        /// The server's long-term public key.
        server: CurvePublicKey,
    },
    /// CURVE server (`ZMQ_CURVE_SERVER`), with its key pair (`ZMQ_CURVE_SECRETKEY`).
    CurveServer(CurveKeyPair),
    /// GSSAPI, client or server as [`GssapiOptions::server`] says.
    Gssapi(GssapiOptions),
}

impl SocketOptions {
    /// The mechanism the options select (libzmq's `ZMQ_MECHANISM`).
    pub fn mechanism(&self) -> MechanismKind {
        self.values.mechanism.kind
    }

    /// Whether the options select the server side of [`SocketOptions::mechanism`] (libzmq's
    /// `as_server`). Always false for NULL, which has no sides.
    pub fn is_server(&self) -> bool {
        let selected = self.values.mechanism;
        selected.as_server && selected.kind != MechanismKind::Null
    }

    /// The GSSAPI options as the GSSAPI mechanism takes them: the server side if
    /// `ZMQ_GSSAPI_SERVER` reads 1, the principals (unset when empty), the name types and
    /// `ZMQ_GSSAPI_PLAINTEXT`.
    pub fn gssapi_options(&self) -> GssapiOptions {
        GssapiOptions {
            server: self.values.mechanism.is_server_of(MechanismKind::Gssapi),
            principal: self.values.gssapi_principal.clone(),
            principal_nametype: self.values.gssapi_principal_nametype,
            service_principal: self.values.gssapi_service_principal.clone(),
            service_principal_nametype: self.values.gssapi_service_principal_nametype,
            plaintext: self.values.gssapi_plaintext,
        }
    }

    /// What a connection needs to run the selected mechanism, or the option that is missing.
    ///
    /// libzmq checks none of this when the options are set; a CURVE client without a server
    /// key, for one, runs with a key of zeros and fails its handshake. Here it is an error
    /// before any connection:
    /// - a PLAIN client needs `ZMQ_PLAIN_USERNAME` and `ZMQ_PLAIN_PASSWORD`, both non-empty
    ///   (libzmq would send an empty one);
    /// - a CURVE client needs `ZMQ_CURVE_SECRETKEY` and `ZMQ_CURVE_SERVERKEY`, and a
    ///   `ZMQ_CURVE_PUBLICKEY`, if set, that matches the secret key (the key pair comes from
    ///   the secret key);
    /// - a CURVE server needs `ZMQ_CURVE_SECRETKEY`, and the same match;
    /// - a GSSAPI client needs `ZMQ_GSSAPI_SERVICE_PRINCIPAL`.
    pub fn security(&self) -> Result<Security, OptionError> {
        match (self.values.mechanism.kind, self.values.mechanism.as_server) {
            (MechanismKind::Null, _) => Ok(Security::Null),
            (MechanismKind::Plain, true) => Ok(Security::PlainServer),
            (MechanismKind::Plain, false) => {
                let missing = |option| OptionError::Missing {
                    option,
                    mechanism: "a PLAIN client",
                };
                let username = (self.values.plain_username.as_deref())
                    .ok_or_else(|| missing(OptionName::PlainUsername))?;
                let password = (self.values.plain_password.as_option())
                    .ok_or_else(|| missing(OptionName::PlainPassword))?;
                PlainCredentials::new(username.as_bytes(), password.as_bytes())
                    .map(Security::PlainClient)
                    // Unreachable: both were checked for 1 to 255 bytes when set.
                    .map_err(|e| OptionError::Invalid {
                        option: OptionName::PlainUsername,
                        reason: e.to_string(),
                    })
            }
            // Never selected without the feature: every CURVE option refuses to be set.
            #[cfg(not(feature = "curve"))]
            (MechanismKind::Curve, _) => Err(OptionError::FeatureDisabled {
                option: OptionName::CurveServer,
                feature: "curve",
            }),
            #[cfg(feature = "curve")]
            (MechanismKind::Curve, server) => {
                let side = if server {
                    "a CURVE server"
                } else {
                    "a CURVE client"
                };
                let secret = self
                    .values
                    .curve_secret_key
                    .clone()
                    .ok_or(OptionError::Missing {
                        option: OptionName::CurveSecretKey,
                        mechanism: side,
                    })?;
                let keys = CurveKeyPair::from_secret(secret);
                if self
                    .values
                    .curve_public_key
                    .is_some_and(|public| public != *keys.public())
                {
                    return Err(OptionError::Conflict {
                        option: OptionName::CurvePublicKey,
                        other: OptionName::CurveSecretKey,
                        reason: "the public key is not the secret key's",
                    });
                }
                if server {
                    return Ok(Security::CurveServer(keys));
                }
                let server = self.values.curve_server_key.ok_or(OptionError::Missing {
                    option: OptionName::CurveServerKey,
                    mechanism: side,
                })?;
                Ok(Security::CurveClient { keys, server })
            }
            (MechanismKind::Gssapi, server) => {
                let options = self.gssapi_options();
                if !server && options.service_principal.is_none() {
                    return Err(OptionError::Missing {
                        option: OptionName::GssapiServicePrincipal,
                        mechanism: "a GSSAPI client",
                    });
                }
                Ok(Security::Gssapi(options))
            }
        }
    }
}

/// The typed security setters: a whole mechanism, one side of it, with everything it needs, in
/// one call.
///
/// Next to libzmq's one-option setters (`ZMQ_CURVE_SERVER`, `ZMQ_CURVE_SECRETKEY`, ...: the
/// builder methods [`SocketOptions::curve_server`], [`SocketOptions::curve_secret_key`], ...,
/// the `set_*` setters and [`SocketOptions::set`]), where the last setting picks the mechanism
/// and what is missing shows only at bind or connect. The typed ones are named `with_*` (builder)
/// and [`SocketOptions::set_security`] (on options in place), so that the libzmq names keep their
/// libzmq meaning. Using one also makes [`SocketOptions::build`] check the configuration the
/// settings end with: libzmq-style setters given afterwards still apply, last setter winning, but
/// a mechanism left incomplete by them is an error when the options are built.
impl SocketOptions {
    /// Sets the whole security configuration `security` describes (the options of its
    /// mechanism, and the mechanism and side), as the libzmq options it stands for would:
    ///
    /// - [`Security::Null`]: `ZMQ_NULL` (`ZMQ_PLAIN_SERVER` = 0);
    /// - [`Security::PlainServer`]: `ZMQ_PLAIN_SERVER` = 1;
    /// - [`Security::PlainClient`]: `ZMQ_PLAIN_USERNAME` and `ZMQ_PLAIN_PASSWORD` (UTF-8 here);
    /// - [`Security::CurveServer`]: `ZMQ_CURVE_SERVER` = 1, `ZMQ_CURVE_SECRETKEY` and
    ///   `ZMQ_CURVE_PUBLICKEY` from the key pair;
    /// - [`Security::CurveClient`]: `ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_PUBLICKEY` and
    ///   `ZMQ_CURVE_SERVERKEY`;
    /// - [`Security::Gssapi`]: `ZMQ_GSSAPI_SERVER`, the principals (a client needs
    ///   `ZMQ_GSSAPI_SERVICE_PRINCIPAL`), their name types and `ZMQ_GSSAPI_PLAINTEXT`.
    ///
    /// From then on [`SocketOptions::build`] checks [`SocketOptions::security`]. Nothing is
    /// changed when the configuration is refused.
    pub fn set_security(&mut self, security: Security) -> Result<(), OptionError> {
        let mut next = self.clone();
        match security {
            Security::Null => next.select(false, None),
            Security::PlainServer => next.set(OptionName::PlainServer, 1)?,
            Security::PlainClient(credentials) => {
                for (option, bytes) in [
                    (OptionName::PlainUsername, credentials.username()),
                    (OptionName::PlainPassword, credentials.password()),
                ] {
                    let text = std::str::from_utf8(bytes).map_err(|_| OptionError::Invalid {
                        option,
                        reason: "the string is not UTF-8".into(),
                    })?;
                    next.set(option, text)?;
                }
            }
            Security::CurveServer(_) | Security::CurveClient { .. } if !cfg!(feature = "curve") => {
                return Err(OptionError::FeatureDisabled {
                    option: OptionName::CurveServer,
                    feature: "curve",
                });
            }
            Security::CurveServer(keys) => {
                next.values.curve_secret_key = Some(keys.secret().clone());
                next.values.curve_public_key = Some(*keys.public());
                next.select(true, Some(MechanismKind::Curve));
            }
            Security::CurveClient { keys, server } => {
                next.values.curve_secret_key = Some(keys.secret().clone());
                next.values.curve_public_key = Some(*keys.public());
                next.values.curve_server_key = Some(server);
                next.select(false, Some(MechanismKind::Curve));
            }
            Security::Gssapi(gssapi) => {
                gssapi.validate().map_err(|e| OptionError::Invalid {
                    option: if gssapi.server {
                        OptionName::GssapiPrincipal
                    } else {
                        OptionName::GssapiServicePrincipal
                    },
                    reason: e.to_string(),
                })?;
                next.values.gssapi_principal = gssapi.principal.filter(|p| !p.is_empty());
                next.values.gssapi_principal_nametype = gssapi.principal_nametype;
                next.values.gssapi_service_principal =
                    gssapi.service_principal.filter(|p| !p.is_empty());
                next.values.gssapi_service_principal_nametype = gssapi.service_principal_nametype;
                next.values.gssapi_plaintext = gssapi.plaintext;
                next.select(gssapi.server, Some(MechanismKind::Gssapi));
            }
        }
        next.security_checked_at_build = true;
        *self = next;
        Ok(())
    }

    /// Builder: [`SocketOptions::set_security`]. An invalid configuration is kept and reported
    /// by [`SocketOptions::build`].
    #[must_use = "a builder method returns the options"]
    pub fn with_security(mut self, security: Security) -> SocketOptions {
        let result = self.set_security(security);
        self.defer(result);
        self
    }

    /// Builder: a CURVE server with the long-term key pair `keys` (`ZMQ_CURVE_SERVER` = 1,
    /// `ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_PUBLICKEY`). Not libzmq's `ZMQ_CURVE_SERVER` flag alone,
    /// which is [`SocketOptions::curve_server`].
    #[must_use = "a builder method returns the options"]
    pub fn with_curve_server(self, keys: CurveKeyPair) -> SocketOptions {
        self.with_security(Security::CurveServer(keys))
    }

    /// Builder: a CURVE client with the long-term key pair `keys` that talks to the server whose
    /// public key is `server_key` (`ZMQ_CURVE_SECRETKEY`, `ZMQ_CURVE_PUBLICKEY`,
    /// `ZMQ_CURVE_SERVERKEY`).
    #[must_use = "a builder method returns the options"]
    pub fn with_curve_client(
        self,
        keys: CurveKeyPair,
        server_key: CurvePublicKey,
    ) -> SocketOptions {
        self.with_security(Security::CurveClient {
            keys,
            server: server_key,
        })
    }

    /// Builder: a PLAIN server (`ZMQ_PLAIN_SERVER` = 1); a ZAP handler checks the credentials.
    #[must_use = "a builder method returns the options"]
    pub fn with_plain_server(self) -> SocketOptions {
        self.with_security(Security::PlainServer)
    }

    /// Builder: a PLAIN client (`ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD`), each 1 to 255
    /// bytes: an empty one is an error at [`SocketOptions::build`] (libzmq's setters would take
    /// it as "back to NULL").
    #[must_use = "a builder method returns the options"]
    pub fn with_plain_client(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> SocketOptions {
        let (username, password) = (username.into(), password.into());
        match PlainCredentials::new(username.as_bytes(), password.as_bytes()) {
            Ok(credentials) => self.with_security(Security::PlainClient(credentials)),
            Err(e) => {
                let (option, len) = match e {
                    CredentialsError::Username(len) => (OptionName::PlainUsername, len),
                    CredentialsError::Password(len) => (OptionName::PlainPassword, len),
                };
                self.defer(Err(OptionError::Length {
                    option,
                    allowed: "1 to 255 bytes",
                    len,
                }));
                self
            }
        }
    }

    /// Builder: a GSSAPI server (`ZMQ_GSSAPI_SERVER` = 1) with the library's default
    /// credentials; [`SocketOptions::with_security`] with a [`GssapiOptions`] sets the rest.
    #[must_use = "a builder method returns the options"]
    pub fn with_gssapi_server(self) -> SocketOptions {
        self.with_security(Security::Gssapi(GssapiOptions::server()))
    }

    /// Builder: a GSSAPI client of the service `service_principal`
    /// (`ZMQ_GSSAPI_SERVICE_PRINCIPAL`, host-based, as `zmq@localhost`).
    #[must_use = "a builder method returns the options"]
    pub fn with_gssapi_client(self, service_principal: impl Into<String>) -> SocketOptions {
        self.with_security(Security::Gssapi(GssapiOptions::client(
            service_principal,
            zmtp_security::NameType::HostBased,
        )))
    }
}

// Every test here selects CURVE.
#[cfg(all(test, feature = "curve"))]
mod tests {
    use super::*;
    use crate::options::OptionValue;
    use zmtp_security::{CurveSecretKey, NameType};
    use MechanismKind::*;
    use OptionName as N;

    fn key(byte: u8) -> CurveSecretKey {
        CurveSecretKey::from_bytes([byte; 32])
    }

    /// What [`SocketOptions::security`] says, without the configuration.
    fn security(o: &SocketOptions) -> Result<(), OptionError> {
        o.security().map(|_| ())
    }

    fn missing(option: OptionName, mechanism: &'static str) -> Result<(), OptionError> {
        Err(OptionError::Missing { option, mechanism })
    }

    #[test]
    fn last_setting_wins_as_in_libzmq() -> Result<(), OptionError> {
        let mut o = SocketOptions::new();
        assert_eq!((o.mechanism(), o.is_server()), (Null, false));
        let (key, principal) = (
            OptionValue::from(&[7u8; 32]),
            OptionValue::from("zmq@localhost"),
        );
        // Each setting, and the mechanism and side it leaves.
        for (option, value, selected) in [
            (N::PlainServer, 1.into(), (Plain, true)),
            (N::PlainUsername, "admin".into(), (Plain, false)),
            (N::CurveServer, 1.into(), (Curve, true)),
            (N::CurveSecretKey, key.clone(), (Curve, true)),
            (N::CurveServerKey, key.clone(), (Curve, false)),
            (N::CurveServer, 0.into(), (Null, false)),
            (N::GssapiServer, 0.into(), (Gssapi, false)),
            (N::GssapiServer, 1.into(), (Gssapi, true)),
            (N::GssapiPrincipal, principal.clone(), (Gssapi, true)),
            (N::GssapiServicePrincipal, principal, (Gssapi, false)),
            (N::PlainServer, 1.into(), (Plain, true)),
            (N::PlainPassword, "".into(), (Null, true)),
            (N::CurvePublicKey, key, (Curve, true)),
            (N::PlainServer, 0.into(), (Null, false)),
        ] {
            o.set(option, value)?;
            let (kind, server) = selected;
            assert_eq!(
                (o.mechanism(), o.is_server()),
                (kind, server && kind != Null),
                "{option}"
            );
            // Each server flag reads 1 only while its mechanism's server side is selected.
            for (flag, of) in [
                (N::PlainServer, Plain),
                (N::CurveServer, Curve),
                (N::GssapiServer, Gssapi),
            ] {
                assert_eq!(
                    o.get(flag),
                    (server && kind == of).into(),
                    "{flag} after {option}"
                );
            }
        }
        assert_eq!((Gssapi.as_raw(), Curve.as_str()), (3, "CURVE"));
        Ok(())
    }

    #[test]
    fn typed_security_setters_set_whole_mechanisms() -> Result<(), OptionError> {
        let server = CurveKeyPair::from_secret(key(1));
        let client = CurveKeyPair::from_secret(key(2));
        let o = SocketOptions::new()
            .with_curve_server(server.clone())
            .build()?;
        assert!(matches!(o.security()?, Security::CurveServer(k) if k.public() == server.public()));
        // Read back as libzmq's options.
        assert_eq!(o.get(N::CurveServer), 1.into());
        let public = OptionValue::from(&server.public().as_bytes()[..]);
        assert_eq!(o.get(N::CurvePublicKey), public);
        let o = SocketOptions::new()
            .with_curve_client(client.clone(), *server.public())
            .build()?;
        match o.security()? {
            Security::CurveClient { keys, server: s } => {
                assert_eq!((keys.public(), &s), (client.public(), server.public()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(o.get(N::CurveServer), 0.into());
        let o = SocketOptions::new()
            .with_plain_client("admin", "secret")
            .build()?;
        assert!(matches!(o.security()?, Security::PlainClient(_)));
        assert_eq!(o.get_plain_username(), Some("admin"));
        let o = SocketOptions::new().with_plain_server().build()?;
        assert!(matches!(o.security()?, Security::PlainServer));
        let o = SocketOptions::new()
            .with_gssapi_client("zmq@localhost")
            .build()?;
        assert!(matches!(o.security()?, Security::Gssapi(g) if !g.server));
        assert_eq!(o.get_gssapi_service_principal(), Some("zmq@localhost"));
        assert!(SocketOptions::new()
            .with_gssapi_server()
            .build()?
            .get_gssapi_server());
        let mut o = SocketOptions::new();
        o.set_security(Security::CurveServer(server))?;
        o.set_security(Security::Null)?;
        assert_eq!(o.mechanism(), Null);
        Ok(())
    }

    #[test]
    fn an_incomplete_configuration_is_an_error_at_build() {
        let server = CurveKeyPair::from_secret(key(1));
        let built = |o: SocketOptions| o.build().map(|_| ());
        // A later libzmq-style setter leaves a CURVE server without its secret key...
        let o = SocketOptions::new()
            .with_plain_client("admin", "secret")
            .curve_server(true);
        assert_eq!(built(o), missing(N::CurveSecretKey, "a CURVE server"));
        // ...or a CURVE client without one.
        let o = SocketOptions::new()
            .with_gssapi_server()
            .curve_server_key(*server.public());
        assert_eq!(built(o), missing(N::CurveSecretKey, "a CURVE client"));
        // A public key that is not the pair's.
        let o = SocketOptions::new()
            .with_curve_server(server)
            .curve_public_key(key(3).public_key());
        assert!(matches!(o.validate(), Err(OptionError::Conflict { .. })));
        // An empty PLAIN credential is an error, not libzmq's "back to NULL".
        let allowed = "1 to 255 bytes";
        let o = SocketOptions::new().with_plain_client("", "secret");
        assert_eq!(
            built(o),
            Err(OptionError::Length {
                option: N::PlainUsername,
                allowed,
                len: 0
            })
        );
        // A GSSAPI client without a service principal.
        let o = SocketOptions::new().with_security(Security::Gssapi(GssapiOptions::default()));
        assert!(o.build().is_err());
    }

    #[test]
    fn the_libzmq_setters_still_resolve_last_setter_wins() -> Result<(), OptionError> {
        // Without a typed setter the builder takes an incomplete configuration, as before (the
        // error comes from `security`, at bind or connect).
        assert!(SocketOptions::new()
            .curve_server(true)
            .build()?
            .security()
            .is_err());
        // After a typed setter, libzmq-style setters still win when they come last.
        let o = SocketOptions::new().with_curve_server(CurveKeyPair::from_secret(key(1)));
        let o = o.plain_username("admin").plain_password("secret").build()?;
        assert_eq!((o.mechanism(), o.is_server()), (Plain, false));
        let mut o = SocketOptions::new().with_plain_server().build()?;
        o.set(N::CurveServer, 1)?;
        o.set(N::CurveSecretKey, &[7u8; 32])?;
        assert!(matches!(o.security()?, Security::CurveServer(_)));
        Ok(())
    }

    #[test]
    fn resolved_security() -> Result<(), OptionError> {
        assert!(matches!(SocketOptions::new().security()?, Security::Null));

        let plain = SocketOptions::new().plain_username("admin").build()?;
        assert_eq!(
            security(&plain),
            missing(N::PlainPassword, "a PLAIN client")
        );
        let plain = plain.plain_password("secret").build()?;
        match plain.security()? {
            Security::PlainClient(c) => {
                assert_eq!(
                    (c.username(), c.password()),
                    (&b"admin"[..], &b"secret"[..])
                )
            }
            other => panic!("{other:?}"),
        }
        let server = SocketOptions::new().plain_server(true).build()?;
        assert!(matches!(server.security()?, Security::PlainServer));

        let (server_secret, client_secret) = (key(1), key(2));
        let server_public = server_secret.public_key();
        let curve_server = SocketOptions::new().curve_server(true);
        assert_eq!(
            security(&curve_server),
            missing(N::CurveSecretKey, "a CURVE server")
        );
        let curve_server = curve_server.curve_secret_key(server_secret).build()?;
        match curve_server.security()? {
            Security::CurveServer(keys) => assert_eq!(*keys.public(), server_public),
            other => panic!("{other:?}"),
        }

        let client = SocketOptions::new().curve_public_key(client_secret.public_key());
        let client = client.curve_secret_key(client_secret.clone()).build()?;
        assert_eq!(
            security(&client),
            missing(N::CurveServerKey, "a CURVE client")
        );
        let client = client.curve_server_key(server_public).build()?;
        match client.security()? {
            Security::CurveClient { keys, server } => {
                assert_eq!(
                    (server, *keys.public()),
                    (server_public, client_secret.public_key())
                );
            }
            other => panic!("{other:?}"),
        }
        // A public key that is not the secret key's: refused, for a client and a server.
        let conflict = OptionError::Conflict {
            option: N::CurvePublicKey,
            other: N::CurveSecretKey,
            reason: "the public key is not the secret key's",
        };
        let mismatched = client.curve_public_key(server_public).build()?;
        assert_eq!(security(&mismatched), Err(conflict.clone()));
        let mismatched = curve_server.curve_public_key(client_secret.public_key());
        assert_eq!(
            security(&mismatched.curve_server(true)),
            Err(conflict.clone())
        );
        assert_eq!(
            conflict.to_string(),
            "ZMQ_CURVE_PUBLICKEY does not fit ZMQ_CURVE_SECRETKEY: the public key is not the \
             secret key's"
        );

        let gss = SocketOptions::new().gssapi_server(false).build()?;
        assert_eq!(
            security(&gss),
            missing(N::GssapiServicePrincipal, "a GSSAPI client")
        );
        let gss = SocketOptions::new()
            .gssapi_principal("client@EXAMPLE.COM")
            .gssapi_principal_nametype(NameType::KrbPrincipal)
            .gssapi_service_principal("zmq@localhost")
            .gssapi_plaintext(true)
            .build()?;
        match gss.security()? {
            Security::Gssapi(g) => {
                assert!(!g.server && g.plaintext && g.validate().is_ok());
                assert_eq!(g.principal.as_deref(), Some("client@EXAMPLE.COM"));
                assert_eq!(g.principal_nametype, NameType::KrbPrincipal);
                assert_eq!(g.service_principal.as_deref(), Some("zmq@localhost"));
            }
            other => panic!("{other:?}"),
        }
        let gss_server = SocketOptions::new().gssapi_server(true).build()?;
        assert!(matches!(gss_server.security()?, Security::Gssapi(g) if g.server));
        Ok(())
    }
}
