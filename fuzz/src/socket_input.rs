//! What users hand to the socket layer as text or values: endpoints and option values.

use zmtp_codec::SocketType;
use zmtp_socket::{Endpoint, OptionName, OptionValue, SocketOptions};

/// Parses arbitrary bytes (as lossy UTF-8) as an endpoint. Whatever parses must print as an
/// endpoint that parses back to the same value (`ZMQ_LAST_ENDPOINT` is built that way).
pub fn endpoint_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(endpoint) = text.parse::<Endpoint>() {
        let printed = endpoint.to_string();
        let again: Endpoint = printed
            .parse()
            .unwrap_or_else(|e| panic!("{printed:?} (from {text:?}) does not parse back: {e}"));
        assert_eq!(again, endpoint, "{text:?} -> {printed:?}");
    }
}

/// Sets an arbitrary value on an arbitrary option (the first byte picks the option, the second
/// the value's kind), then reads every option back and checks the options for every socket
/// type: refusals are fine, panics are not; an accepted value reads back.
pub fn option_set(data: &[u8]) {
    let [pick, kind, rest @ ..] = data else {
        return;
    };
    let name = OptionName::ALL[usize::from(*pick) % OptionName::ALL.len()];
    let int = |b: &[u8]| {
        let mut word = [0u8; 8];
        let n = b.len().min(8);
        word[..n].copy_from_slice(&b[..n]);
        i64::from_le_bytes(word)
    };
    let value = match kind % 6 {
        0 => OptionValue::Int(int(rest) as i32),
        1 => OptionValue::Int64(int(rest)),
        2 => OptionValue::Uint64(int(rest) as u64),
        3 => OptionValue::Uint32(int(rest) as u32),
        4 => OptionValue::Bytes(bytes::Bytes::copy_from_slice(rest)),
        _ => OptionValue::Str(String::from_utf8_lossy(rest).into_owned()),
    };
    let mut options = SocketOptions::new();
    if options.set(name, value).is_ok() {
        let _ = options.get(name);
    }
    for other in OptionName::ALL {
        let _ = options.get(other);
    }
    let _ = options.security();
    for socket_type in SocketType::ALL {
        let _ = options.clone().build_for(socket_type);
    }
}
