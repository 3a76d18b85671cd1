//! [`SocketOptions`]: one field per row of the table, libzmq's defaults, and the dynamic
//! libzmq-style API ([`SocketOptions::set`], [`SocketOptions::get`]).

use std::fmt;

use zmtp_codec::SocketType;

use super::error::OptionError;
use super::name::OptionName;
use super::security::{MechanismKind, Selected};
use super::table::Values;
use super::value::OptionValue;

/// The socket options of libzmq's `zmq_setsockopt` table, with the table's defaults.
///
/// Three ways in:
/// - the dynamic API of libzmq: [`set`](SocketOptions::set) and [`get`](SocketOptions::get)
///   with an [`OptionName`] and an [`OptionValue`] in libzmq's raw representation (an `int` of
///   milliseconds with -1 for infinite, a `uint64_t`, binary data, ...), checked as libzmq checks
///   it; [`set_for`](SocketOptions::set_for) also refuses what a socket type refuses;
/// - typed setters for a live socket (`set_sndhwm`, `set_linger`, ...), checked at once;
/// - a builder (`SocketOptions::new().sndhwm(10_000).linger(None)`), whose first invalid value is
///   kept and reported by [`build`](SocketOptions::build) or
///   [`build_for`](SocketOptions::build_for);
///
/// and typed getters (`get_sndhwm`, `get_linger`, ...) out, named like the `zmq` crate's.
///
/// The security mechanism is chosen by the order of the settings, as in libzmq (setting
/// `ZMQ_PLAIN_USERNAME` makes a PLAIN client, `ZMQ_CURVE_SERVER` = 1 a CURVE server, ...): see
/// [`mechanism`](SocketOptions::mechanism) and [`security`](SocketOptions::security). The typed
/// security setters set a whole mechanism in one call
/// ([`set_security`](SocketOptions::set_security),
/// [`with_curve_server`](SocketOptions::with_curve_server),
/// [`with_curve_client`](SocketOptions::with_curve_client), ...) and make
/// [`build`](SocketOptions::build) refuse an incomplete configuration; the builder methods named
/// after libzmq's options (`curve_server(bool)`, ...) keep libzmq's meaning.
///
/// The fields are private so every value goes through the checks; values are stored typed
/// (`Duration`, `Option<..>`), in libzmq's encodings only through the dynamic API.
#[derive(Clone, Default)]
pub struct SocketOptions {
    /// Every option's value, in the fields the table's rows name (`table/mod.rs`).
    pub(super) values: Values,
    /// Whether a typed security setter ([`SocketOptions::set_security`] and the `with_*`
    /// builders) was used: then [`SocketOptions::build`] also checks that the mechanism the
    /// settings select has what it needs ([`SocketOptions::security`]).
    pub(super) security_checked_at_build: bool,
    /// The builder's first invalid value, reported by [`SocketOptions::build`].
    pub(super) deferred: Option<OptionError>,
}

impl fmt::Debug for SocketOptions {
    /// Lists the options that differ from the table's defaults (the password redacted, the
    /// secret key shown by its public half), then the mechanism.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let defaults = SocketOptions::default();
        let mut s = f.debug_struct("SocketOptions");
        for option in OptionName::every() {
            if option == OptionName::Unsubscribe {
                continue; // the same list as ZMQ_SUBSCRIBE
            }
            match option {
                OptionName::PlainPassword => {
                    if self.values.plain_password.as_option().is_some() {
                        s.field(option.zmq_name(), &self.values.plain_password);
                    }
                }
                OptionName::CurveSecretKey => {
                    if let Some(key) = &self.values.curve_secret_key {
                        s.field(option.zmq_name(), key);
                    }
                }
                _ => {
                    let value = self.get(option);
                    if value != defaults.get(option) {
                        s.field(option.zmq_name(), &value);
                    }
                }
            }
        }
        s.field("mechanism", &self.values.mechanism.kind)
            .field("as_server", &self.values.mechanism.as_server);
        if let Some(e) = &self.deferred {
            s.field("deferred_error", e);
        }
        s.finish()
    }
}

impl SocketOptions {
    /// Options with the table's defaults.
    pub fn new() -> SocketOptions {
        SocketOptions::default()
    }

    /// Sets an option as libzmq's `zmq_setsockopt` does, with its checks, on options not tied
    /// to a socket type (see [`SocketOptions::set_for`] for those).
    ///
    /// The value is libzmq's raw representation ([`OptionName::kind`]); a wrong type or a value
    /// libzmq refuses gives an error naming the option and what it allows. The mechanism
    /// options change the selected mechanism as in libzmq ([`SocketOptions::mechanism`]). Empty
    /// binary data or an empty string plays libzmq's `(NULL, 0)`: it clears the accept filters
    /// and unsets the PLAIN credentials.
    ///
    /// Where this differs from libzmq:
    /// - `ZMQ_CONNECT_RID` may not start with a zero byte and is at most 255 bytes, as its man
    ///   page asks (libzmq takes both); `ZMQ_IDENTITY` takes 1 to 255 bytes of any values, a
    ///   leading zero byte included, as libzmq and its man page do;
    /// - `ZMQ_MAXMSGSIZE` and `ZMQ_VMCI_CONNECT_TIMEOUT` must be -1 or more (libzmq takes any
    ///   value; below -1 means the same as -1);
    /// - `ZMQ_TCP_KEEPALIVE_CNT`/`_IDLE`/`_INTVL` must be -1 or more than 0, as the table says
    ///   (libzmq also takes 0, which the OS then refuses);
    /// - `ZMQ_HEARTBEAT_TTL` is 0 to 6553599 ms, libzmq 4.3's range (4.2.2 stopped at 655399;
    ///   both took -99 to -1 as 0); it is kept, and reads back, in whole deciseconds, as in
    ///   libzmq (2550 reads 2500);
    /// - strings must be UTF-8 and may hold no NUL but a trailing one;
    /// - `ZMQ_TCP_ACCEPT_FILTER` takes addresses, not host names;
    /// - an empty `ZMQ_PLAIN_USERNAME` or `ZMQ_PLAIN_PASSWORD` also forgets the old value;
    /// - the CURVE and GSSAPI options are taken whatever this build supports (libzmq refuses
    ///   them when built without libsodium or GSS-API); running the mechanism is the socket
    ///   layer's business.
    pub fn set(
        &mut self,
        name: OptionName,
        value: impl Into<OptionValue>,
    ) -> Result<(), OptionError> {
        let value = value.into();
        // No proxy (empty) is what every build can do.
        if !(name == OptionName::SocksProxy && value.as_bytes().is_some_and(<[u8]>::is_empty)) {
            require_feature(name)?;
        }
        self.set_row(name, &value)
    }

    /// Sets an option on a socket of type `socket_type`, as libzmq does: an option the type
    /// does not take ([`OptionName::accepted_by`]) is refused with
    /// [`OptionError::NotForSocketType`] before its value is looked at, and `ZMQ_SUBSCRIBE` /
    /// `ZMQ_UNSUBSCRIBE` on XPUB or PUB need `ZMQ_XPUB_MANUAL` on.
    pub fn set_for(
        &mut self,
        socket_type: SocketType,
        name: OptionName,
        value: impl Into<OptionValue>,
    ) -> Result<(), OptionError> {
        self.check_accepted(socket_type, name)?;
        self.set(name, value)
    }

    /// Sets an option named by libzmq's numeric constant (`zmq_setsockopt`'s `option_name`).
    pub fn set_by_id(&mut self, id: i32, value: impl Into<OptionValue>) -> Result<(), OptionError> {
        let name =
            OptionName::from_zmq_id(id).ok_or_else(|| OptionError::Unknown(id.to_string()))?;
        self.set(name, value)
    }

    /// Reads an option as libzmq's `zmq_getsockopt` does, in libzmq's representation: `Int`
    /// for `int` options (booleans 0 or 1), `Int64`, `Uint64`, `Bytes` for binary ones (empty
    /// when NULL), `Str` for strings (empty when not set). CURVE keys come back as their 32
    /// bytes (empty when not set), as libzmq gives them into a 32-byte buffer. The server
    /// flags read as libzmq reads them: `ZMQ_CURVE_SERVER` is 1 only while CURVE is the
    /// mechanism and the server side is selected.
    ///
    /// Options libzmq cannot read back give their state here: `ZMQ_SUBSCRIBE` and
    /// `ZMQ_UNSUBSCRIBE` the subscriptions in force, the filters their lists (an accept filter
    /// as the bytes of its text, `address/prefix`), and `ZMQ_CONNECT_RID` the id waiting for
    /// the next connect.
    pub fn get(&self, name: OptionName) -> OptionValue {
        self.get_row(name)
    }

    /// The error for `name` on `socket_type`, if libzmq refuses it there.
    fn check_accepted(&self, socket_type: SocketType, name: OptionName) -> Result<(), OptionError> {
        let subscription_without_manual =
            matches!(name, OptionName::Subscribe | OptionName::Unsubscribe)
                && matches!(socket_type, SocketType::XPub | SocketType::Pub)
                && !self.values.xpub_manual;
        if !name.accepted_by(socket_type) || subscription_without_manual {
            return Err(OptionError::NotForSocketType {
                option: name,
                socket_type,
                accepted_by: name.accepted_by_text(),
            });
        }
        Ok(())
    }

    /// Checks that a socket of `socket_type` takes every option set here: each option that
    /// differs from its default must be [accepted](OptionName::accepted_by) by the type (a
    /// `ZMQ_SUBSCRIBE` on PUB options is an error, a `ZMQ_CONFLATE` on ROUTER options is not,
    /// as in libzmq).
    pub fn check_socket_type(&self, socket_type: SocketType) -> Result<(), OptionError> {
        let defaults = SocketOptions::default();
        for name in OptionName::every() {
            if self.get(name) != defaults.get(name) {
                self.check_accepted(socket_type, name)?;
            }
        }
        Ok(())
    }

    /// The first invalid value given to a builder method, if any; then, once a typed security
    /// setter was used ([`SocketOptions::set_security`]), what [`SocketOptions::security`]
    /// finds missing.
    pub fn validate(&self) -> Result<(), OptionError> {
        if let Some(e) = &self.deferred {
            return Err(e.clone());
        }
        if self.security_checked_at_build {
            self.security()?;
        }
        Ok(())
    }

    /// Ends a builder chain: the options, or the first invalid value given (its error names
    /// the option). Once a typed security setter was used ([`SocketOptions::set_security`],
    /// [`SocketOptions::with_curve_server`], ...), an incomplete security configuration (what
    /// [`SocketOptions::security`] refuses) is an error here too, not at bind or connect.
    pub fn build(self) -> Result<SocketOptions, OptionError> {
        self.validate()?;
        Ok(self)
    }

    /// [`build`](SocketOptions::build), then
    /// [`check_socket_type`](SocketOptions::check_socket_type) for a socket of `socket_type`.
    pub fn build_for(self, socket_type: SocketType) -> Result<SocketOptions, OptionError> {
        let options = self.build()?;
        options.check_socket_type(socket_type)?;
        Ok(options)
    }

    /// Keeps the first error of a builder chain.
    pub(super) fn defer(&mut self, result: Result<(), OptionError>) {
        if let Err(e) = result {
            self.deferred.get_or_insert(e);
        }
    }

    /// Records a mechanism setting: the side, and the mechanism (`None`: NULL).
    pub(super) fn select(&mut self, as_server: bool, mechanism: Option<MechanismKind>) {
        self.values.mechanism = Selected::new(as_server, mechanism);
    }

    /// After `ZMQ_PLAIN_USERNAME`: selects the PLAIN client, or NULL when it was emptied
    /// (libzmq's `(NULL, 0)`; libzmq keeps the old string readable, here it is gone too).
    pub(super) fn after_plain_username(&mut self) {
        self.after_plain_credential(self.values.plain_username.is_some());
    }

    /// After `ZMQ_PLAIN_PASSWORD`: as [`SocketOptions::after_plain_username`].
    pub(super) fn after_plain_password(&mut self) {
        self.after_plain_credential(self.values.plain_password.as_option().is_some());
    }

    fn after_plain_credential(&mut self, set: bool) {
        match set {
            true => self.select(false, Some(MechanismKind::Plain)),
            false => self.values.mechanism.kind = MechanismKind::Null,
        }
    }

    /// After `ZMQ_GSSAPI_PRINCIPAL`: selects GSSAPI, keeps the side.
    pub(super) fn after_gssapi_principal(&mut self) {
        self.values.mechanism.kind = MechanismKind::Gssapi;
    }

    /// After `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: selects the GSSAPI client.
    pub(super) fn after_gssapi_service_principal(&mut self) {
        self.select(false, Some(MechanismKind::Gssapi));
    }

    /// After `ZMQ_CURVE_PUBLICKEY` and `ZMQ_CURVE_SECRETKEY`: selects CURVE, keeps the side.
    pub(super) fn after_curve_key(&mut self) {
        self.values.mechanism.kind = MechanismKind::Curve;
    }

    /// After `ZMQ_CURVE_SERVERKEY`: selects the CURVE client.
    pub(super) fn after_curve_server_key(&mut self) {
        self.select(false, Some(MechanismKind::Curve));
    }

    /// After `ZMQ_XPUB_VERBOSE`: libzmq's VERBOSE sets "verbose subscriptions" and clears
    /// "verbose unsubscriptions".
    pub(super) fn after_xpub_verbose(&mut self) {
        self.values.xpub_verboser = false;
    }

    /// After `ZMQ_XPUB_VERBOSER`: sets both.
    pub(super) fn after_xpub_verboser(&mut self) {
        self.values.xpub_verbose = self.values.xpub_verboser;
    }

    /// After `ZMQ_TCP_ACCEPT_FILTER` was set to `raw`: takes the IPv6 filter just added back out
    /// while `ZMQ_IPV6` is off (libzmq reads filters with the socket's `ZMQ_IPV6`).
    pub(super) fn check_accept_filter(&mut self, raw: &OptionValue) -> Result<(), OptionError> {
        let filters = &mut self.values.tcp_accept_filters;
        if !filters.last().is_some_and(|f| f.address().is_ipv6()) || self.values.ipv6 {
            return Ok(());
        }
        filters.pop();
        // The text as given (valid UTF-8 with at most a trailing NUL, or it would not be stored).
        let text = String::from_utf8_lossy(raw.as_bytes().unwrap_or_default());
        let text = text.strip_suffix('\0').unwrap_or(&text);
        Err(OptionError::Invalid {
            option: OptionName::TcpAcceptFilter,
            reason: format!(
                "{text:?} is an IPv6 filter and ZMQ_IPV6 is off (libzmq reads filters with the \
                 socket's ZMQ_IPV6: set it first)"
            ),
        })
    }
}

/// Refuses setting `name` when it needs a cargo feature of zmtp this build lacks: the CURVE
/// options without `curve`, `ZMQ_SOCKS_PROXY` without `socks`.
pub(super) fn require_feature(name: OptionName) -> Result<(), OptionError> {
    use OptionName::*;
    let feature = match name {
        CurveServer | CurvePublicKey | CurveSecretKey | CurveServerKey
            if !cfg!(feature = "curve") =>
        {
            "curve"
        }
        SocksProxy if !cfg!(feature = "socks") => "socks",
        _ => return Ok(()),
    };
    Err(OptionError::FeatureDisabled {
        option: name,
        feature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_changes_and_hides_secrets() -> Result<(), OptionError> {
        let options = SocketOptions::new()
            .sndhwm(7)
            .plain_username("admin")
            .plain_password("hunter2")
            .build()?;
        let text = format!("{options:?}");
        assert!(text.contains("ZMQ_SNDHWM: Int(7)"), "{text}");
        assert!(text.contains("admin"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
        assert!(
            !text.contains("ZMQ_RCVHWM"),
            "defaults are left out: {text}"
        );

        #[cfg(feature = "curve")]
        {
            let secret = zmtp_security::CurveSecretKey::from_bytes([0x42; 32]);
            let options = SocketOptions::new()
                .curve_secret_key(secret.clone())
                .build()?;
            let text = format!("{options:?}");
            assert!(!text.contains(&*secret.to_z85()), "{text}");
            assert!(text.contains(&secret.public_key().to_z85()), "{text}");
        }
        Ok(())
    }

    #[test]
    fn an_ipv6_accept_filter_needs_ipv6_first() -> Result<(), OptionError> {
        let mut o = SocketOptions::new();
        o.set(OptionName::TcpAcceptFilter, "10.0.0.0/8")?;
        assert_eq!(
            o.set(OptionName::TcpAcceptFilter, "::1\0")
                .map_err(|e| e.to_string()),
            Err(
                "ZMQ_TCP_ACCEPT_FILTER: \"::1\" is an IPv6 filter and ZMQ_IPV6 is off (libzmq \
                 reads filters with the socket's ZMQ_IPV6: set it first)"
                    .to_string()
            )
        );
        assert_eq!(
            o.get_tcp_accept_filters().len(),
            1,
            "the refused one is not kept"
        );
        o.set_ipv6(true)?;
        o.set(OptionName::TcpAcceptFilter, "::1")?;
        assert_eq!(o.get_tcp_accept_filters().len(), 2);
        Ok(())
    }

    #[test]
    fn options_move_between_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<SocketOptions>();
        send_sync::<OptionError>();
    }

    #[test]
    fn set_by_id_and_unknown_ids() -> Result<(), OptionError> {
        let mut options = SocketOptions::new();
        options.set_by_id(23, 5)?;
        assert_eq!(options.get_sndhwm(), 5);
        assert_eq!(
            options.set_by_id(13, 1),
            Err(OptionError::Unknown("13".into()))
        );
        Ok(())
    }
}
