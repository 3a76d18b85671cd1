//! The cargo features `curve` and `socks` (both on by default): with a feature, its options are
//! taken; without it, setting one fails with `OptionError::FeatureDisabled` naming the feature,
//! by every way an option is set (the builder, `SocketOptions::set`, a live socket's
//! `set_option`), never a silent no-op. `scripts/test.sh` runs this file in both builds.

use zmtp_security::{CurvePublicKey, CurveSecretKey};
use zmtp_socket::options::{OptionError, OptionName, SocketOptions};
use zmtp_socket::{Dealer, Error};

/// What setting `option` gives in this build, when it needs `feature`.
fn expected(
    option: OptionName,
    feature: &'static str,
    built_with: bool,
) -> Result<(), OptionError> {
    if built_with {
        Ok(())
    } else {
        Err(OptionError::FeatureDisabled { option, feature })
    }
}

const CURVE: bool = cfg!(feature = "curve");
const SOCKS: bool = cfg!(feature = "socks");

#[test]
fn curve_options_need_the_curve_feature() {
    let key = [7u8; 32];
    for option in [
        OptionName::CurvePublicKey,
        OptionName::CurveSecretKey,
        OptionName::CurveServerKey,
    ] {
        let mut o = SocketOptions::new();
        assert_eq!(
            o.set(option, &key[..]),
            expected(option, "curve", CURVE),
            "{option}"
        );
    }
    let mut o = SocketOptions::new();
    assert_eq!(
        o.set(OptionName::CurveServer, 1),
        expected(OptionName::CurveServer, "curve", CURVE)
    );

    // The typed setters.
    let mut o = SocketOptions::new();
    assert_eq!(
        o.set_curve_secret_key(CurveSecretKey::from_bytes(key)),
        expected(OptionName::CurveSecretKey, "curve", CURVE)
    );
    assert_eq!(
        o.set_curve_public_key(CurvePublicKey::from(key)),
        expected(OptionName::CurvePublicKey, "curve", CURVE)
    );
    assert_eq!(
        o.set_curve_server_key(CurvePublicKey::from(key)),
        expected(OptionName::CurveServerKey, "curve", CURVE)
    );
}

#[tokio::test]
async fn a_curve_socket_without_the_feature_is_refused_naming_it() {
    let made = Dealer::with_options(SocketOptions::new().curve_server(true));
    if CURVE {
        // Taken (its missing secret key is refused at bind, as libzmq does).
        assert!(made.is_ok(), "{made:?}");
    } else {
        let error = made.expect_err("no CURVE in this build");
        assert!(matches!(
            error,
            Error::Option(OptionError::FeatureDisabled {
                option: OptionName::CurveServer,
                feature: "curve"
            })
        ));
        assert!(
            error.to_string().contains("`curve` cargo feature"),
            "{error}"
        );
    }
    let dealer = Dealer::new();
    let live = dealer.set_option(OptionName::CurveServer, 1);
    assert_eq!(live.is_ok(), CURVE, "{live:?}");
}

#[tokio::test]
async fn a_socks_proxy_needs_the_socks_feature() {
    let mut o = SocketOptions::new();
    assert_eq!(
        o.set(OptionName::SocksProxy, "127.0.0.1:1080"),
        expected(OptionName::SocksProxy, "socks", SOCKS)
    );
    // No proxy is what every build can do.
    assert_eq!(o.set(OptionName::SocksProxy, ""), Ok(()));
    assert_eq!(
        o.set_socks_proxy("proxy.example:1080"),
        expected(OptionName::SocksProxy, "socks", SOCKS)
    );
    let made = Dealer::with_options(SocketOptions::new().socks_proxy("127.0.0.1:1080"));
    assert_eq!(made.is_ok(), SOCKS, "{made:?}");
    if !SOCKS {
        let error = made.expect_err("no SOCKS in this build");
        assert!(
            error.to_string().contains("`socks` cargo feature"),
            "{error}"
        );
    }
}

/// GSSAPI options are taken by every build (as libzmq takes them without GSS-API), but a build
/// without the `gssapi` feature refuses to bind or connect a GSSAPI socket, naming the
/// feature, rather than running its connections with no security at all.
#[tokio::test]
async fn a_gssapi_socket_without_the_feature_is_refused_at_bind() {
    let mut o = SocketOptions::new();
    o.set(OptionName::GssapiServer, 1)
        .expect("taken in every build");
    let dealer = Dealer::with_options(o).expect("a socket");
    let bound = dealer.bind("tcp://127.0.0.1:*").await;
    if cfg!(feature = "gssapi") {
        return;
    }
    let error = bound.expect_err("no GSSAPI in this build");
    assert!(
        matches!(
            &error,
            Error::Option(OptionError::Invalid {
                option: OptionName::GssapiServer,
                reason,
            }) if reason.contains("`gssapi` feature")
        ),
        "{error:?}"
    );
}
