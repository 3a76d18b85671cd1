//! The hand-written typed setters and getters of the security options: the server flags, read
//! from the selected mechanism, and the CURVE keys (the other security options are generated
//! from their rows in `table/mod.rs`). Each also selects the mechanism, as in libzmq (see
//! [`SocketOptions::mechanism`]).

use zmtp_security::{CurvePublicKey, CurveSecretKey};

use super::super::error::OptionError;
use super::super::name::OptionName as N;
use super::super::security::MechanismKind;
use super::super::socket_options::{require_feature, SocketOptions};

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
}
