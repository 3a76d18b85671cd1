//! Subscribe/cancel/match sequences on the subscription trees, against a model. See `zmtp_fuzz::subscription_trie`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zmtp_fuzz::subscription_trie(data));
