//! One import path: what an application names is reachable from `zmtp` itself, not only from
//! the crate it lives in (`zmtp::codec`, `zmtp::security`, `zmtp::socket`). This file does not
//! compile when one of those re-exports goes.

use zmtp::{
    CurvePublicKey, CurveSecretKey, Endpoint, KeyError, OptionError, OptionName, SocketOptions,
    ZapHandler, ZapReply, ZapRequest,
};

/// The handler type `set_zap_handler` takes, named from the top level.
fn handler() -> impl ZapHandler {
    |request: ZapRequest| async move {
        if request.credentials.is_empty() {
            ZapReply::refuse("no key")
        } else {
            ZapReply::accept("someone")
        }
    }
}

#[tokio::test]
async fn the_names_an_application_uses_are_at_the_top_level() {
    let endpoint: Endpoint = "tcp://127.0.0.1:5555".parse().expect("endpoint");
    assert_eq!(endpoint.to_string(), "tcp://127.0.0.1:5555");

    let error: OptionError = SocketOptions::new()
        .sndhwm(-1)
        .build()
        .expect_err("negative HWM");
    assert_eq!(error.option(), Some(OptionName::SndHwm));

    let key = CurvePublicKey::from([1; 32]);
    assert_eq!(CurvePublicKey::from_z85(&key.to_z85()), Ok(key));
    let short: Result<CurveSecretKey, KeyError> = CurveSecretKey::parse([0u8; 3]);
    assert_eq!(short.err(), Some(KeyError::InvalidLength { len: 3 }));

    let rep = zmtp::Rep::new();
    rep.set_zap_handler(handler());
    // The same types as under the crates' own paths.
    let _: fn(zmtp::codec::ZapRequest) -> ZapRequest = |r| r;
    let _: fn(zmtp::security::CurvePublicKey) -> CurvePublicKey = |k| k;
}

#[cfg(feature = "curve")]
#[test]
fn curve_key_pairs_are_at_the_top_level() {
    let pair = zmtp::CurveKeyPair::generate();
    assert_eq!(pair.secret().public_key(), *pair.public());
}
