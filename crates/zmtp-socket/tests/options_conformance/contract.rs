//! The value contract every row passes.

use super::*;

// ---------------------------------------------------------------------------------------------
// The value contract, the same for every row

/// Sets the table's valid value and reads it back, on options and on a live DEALER; every
/// value libzmq refuses (and one of the wrong type) is refused naming the option, leaving the
/// option as it was.
pub(super) fn contract(option: OptionName) {
    let (value, expected) = valid_value(option);
    let mut options = SocketOptions::new();
    options
        .set(option, value.clone())
        .unwrap_or_else(|e| panic!("{option} takes {value:?}: {e}"));
    assert_eq!(options.get(option), expected, "{option} reads back");

    let invalid = invalid_values(option);
    assert_eq!(
        invalid.is_empty(),
        OPTIONS_WITHOUT_INVALID_VALUES.contains(&option)
    );
    for bad in invalid.into_iter().chain([wrong_type(option)]) {
        let before = options.get(option);
        let error = options
            .set(option, bad.clone())
            .expect_err("an invalid value is refused");
        assert_eq!(error.option(), Some(option), "{error}");
        assert!(error.to_string().starts_with(option.zmq_name()), "{error}");
        assert_eq!(options.get(option), before, "{option} unchanged by {bad:?}");
    }
}

/// The contract on a live socket too (libzmq lets every option change at any time).
pub(super) async fn contract_live(option: OptionName) {
    contract(option);
    let dealer = Dealer::new();
    dealer
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    let (value, expected) = valid_value(option);
    if dealer.set_option(option, value.clone()).is_ok() {
        assert_eq!(dealer.options().get(option), expected, "{option} live");
    } else {
        // Only the options DEALER does not have (socket-type specific ones) may refuse.
        assert!(
            !option.applies_to(zmtp_socket::SocketType::Dealer),
            "{option} refused on a live DEALER"
        );
    }
}
