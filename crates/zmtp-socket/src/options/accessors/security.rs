//! Typed setters and getters of the security options that select a mechanism: PLAIN, CURVE and
//! GSSAPI (`ZMQ_ZAP_DOMAIN`, `ZMQ_GSSAPI_PLAINTEXT` and the name types are generated from their
//! rows in `table.rs`). Each
//! mechanism setting also selects the mechanism, as in libzmq (see
//! [`SocketOptions::mechanism`]).

use zmtp_security::{CurvePublicKey, CurveSecretKey};

use super::super::error::OptionError;
use super::super::name::OptionName as N;
use super::super::security::MechanismKind;
use super::super::socket_options::{require_feature, SocketOptions};
use super::super::value::OptionValue;

impl SocketOptions {
    // ---- PLAIN ----

    /// Sets `ZMQ_PLAIN_SERVER`: on selects the PLAIN server, off selects NULL. Default off.
    pub fn set_plain_server(&mut self, server: bool) -> Result<(), OptionError> {
        self.set(N::PlainServer, server)
    }

    /// `ZMQ_PLAIN_SERVER`: whether PLAIN is selected, server side.
    pub fn get_plain_server(&self) -> bool {
        self.is_server_of(MechanismKind::Plain)
    }

    /// Sets `ZMQ_PLAIN_USERNAME` (at most 255 bytes): selects the PLAIN client. Empty selects
    /// NULL and forgets the name (libzmq's `(NULL, 0)`). Default not set.
    pub fn set_plain_username(&mut self, username: impl Into<String>) -> Result<(), OptionError> {
        self.set(N::PlainUsername, OptionValue::Str(username.into()))
    }

    /// `ZMQ_PLAIN_USERNAME` (`None`: not set).
    pub fn get_plain_username(&self) -> Option<&str> {
        Some(self.plain_username.as_str()).filter(|s| !s.is_empty())
    }

    /// Sets `ZMQ_PLAIN_PASSWORD` (at most 255 bytes): selects the PLAIN client. Empty selects
    /// NULL and forgets the password. Default not set.
    pub fn set_plain_password(&mut self, password: impl Into<String>) -> Result<(), OptionError> {
        self.set(N::PlainPassword, OptionValue::Str(password.into()))
    }

    /// `ZMQ_PLAIN_PASSWORD` (`None`: not set).
    pub fn get_plain_password(&self) -> Option<&str> {
        Some(self.plain_password.0.as_str()).filter(|s| !s.is_empty())
    }

    // ---- CURVE ----

    /// Sets `ZMQ_CURVE_SERVER`: on selects the CURVE server (which needs
    /// `ZMQ_CURVE_SECRETKEY`), off selects NULL. Default off.
    pub fn set_curve_server(&mut self, server: bool) -> Result<(), OptionError> {
        self.set(N::CurveServer, server)
    }

    /// `ZMQ_CURVE_SERVER`: whether CURVE is selected, server side.
    pub fn get_curve_server(&self) -> bool {
        self.is_server_of(MechanismKind::Curve)
    }

    /// Sets `ZMQ_CURVE_PUBLICKEY`: our long-term public key (a client needs it; it must be the
    /// secret key's). Selects CURVE. Through [`SocketOptions::set`] it also takes 32 bytes or
    /// Z85 text.
    pub fn set_curve_public_key(&mut self, key: CurvePublicKey) -> Result<(), OptionError> {
        require_feature(N::CurvePublicKey)?;
        self.set_curve_public_key_typed(key);
        Ok(())
    }

    /// `ZMQ_CURVE_PUBLICKEY` (`None`: not set).
    pub fn get_curve_public_key(&self) -> Option<&CurvePublicKey> {
        self.curve_public_key.as_ref()
    }

    /// Sets `ZMQ_CURVE_SECRETKEY`: our long-term secret key (client and server need it).
    /// Selects CURVE.
    pub fn set_curve_secret_key(&mut self, key: CurveSecretKey) -> Result<(), OptionError> {
        require_feature(N::CurveSecretKey)?;
        self.set_curve_secret_key_typed(key);
        Ok(())
    }

    /// `ZMQ_CURVE_SECRETKEY` (`None`: not set).
    pub fn get_curve_secret_key(&self) -> Option<&CurveSecretKey> {
        self.curve_secret_key.as_ref()
    }

    /// Sets `ZMQ_CURVE_SERVERKEY`: the server's long-term public key. Selects the CURVE
    /// client.
    pub fn set_curve_server_key(&mut self, key: CurvePublicKey) -> Result<(), OptionError> {
        require_feature(N::CurveServerKey)?;
        self.set_curve_server_key_typed(key);
        Ok(())
    }

    /// `ZMQ_CURVE_SERVERKEY` (`None`: not set).
    pub fn get_curve_server_key(&self) -> Option<&CurvePublicKey> {
        self.curve_server_key.as_ref()
    }

    // ---- GSSAPI ----

    /// Sets `ZMQ_GSSAPI_SERVER`: selects GSSAPI, server side if on, client side if off.
    /// Default off.
    pub fn set_gssapi_server(&mut self, server: bool) -> Result<(), OptionError> {
        self.set(N::GssapiServer, server)
    }

    /// `ZMQ_GSSAPI_SERVER`: whether GSSAPI is selected, server side.
    pub fn get_gssapi_server(&self) -> bool {
        self.is_server_of(MechanismKind::Gssapi)
    }

    /// Sets `ZMQ_GSSAPI_PRINCIPAL` (1 to 255 bytes): our own principal. Selects GSSAPI.
    /// Default not set (the library's default credentials).
    pub fn set_gssapi_principal(
        &mut self,
        principal: impl Into<String>,
    ) -> Result<(), OptionError> {
        self.set(N::GssapiPrincipal, OptionValue::Str(principal.into()))
    }

    /// `ZMQ_GSSAPI_PRINCIPAL` (`None`: not set).
    pub fn get_gssapi_principal(&self) -> Option<&str> {
        Some(self.gssapi_principal.as_str()).filter(|s| !s.is_empty())
    }

    /// Sets `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (1 to 255 bytes): the server's principal. Selects
    /// the GSSAPI client. Default not set.
    pub fn set_gssapi_service_principal(
        &mut self,
        principal: impl Into<String>,
    ) -> Result<(), OptionError> {
        self.set(
            N::GssapiServicePrincipal,
            OptionValue::Str(principal.into()),
        )
    }

    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (`None`: not set).
    pub fn get_gssapi_service_principal(&self) -> Option<&str> {
        Some(self.gssapi_service_principal.as_str()).filter(|s| !s.is_empty())
    }
}
