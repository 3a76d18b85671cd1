//! The socket options against the project's copy of the option table
//! (`src/options/options.tsv`, from libzmq 4.2.2's `zmq_setsockopt` man page): every row exists
//! with its default and its socket types; every option round-trips; every value libzmq refuses
//! is refused here, naming the option; socket types refuse what libzmq's socket types refuse.

mod common;

use bytes::Bytes;
use common::option_values::{
    invalid_values, valid_value, wrong_type, OPTIONS_WITHOUT_INVALID_VALUES,
};
use zmtp_socket::options::{
    OptionError, OptionName, OptionValue, SocketOptions, ValueKind, OPTIONS_TABLE,
};
use zmtp_socket::SocketType;

/// One row of the table.
struct Row<'a> {
    name: &'a str,
    kind: &'a str,
    default: &'a str,
    applies_to: &'a str,
}

fn rows() -> Vec<Row<'static>> {
    let mut lines = OPTIONS_TABLE.lines();
    assert_eq!(
        lines.next(),
        Some("option\ttype\tunit\tdefault\tapplies_to"),
        "the header"
    );
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "five columns in {line:?}");
            Row {
                name: cols[0],
                kind: cols[1],
                default: cols[3],
                applies_to: cols[4],
            }
        })
        .collect()
}

/// What a default column says: a number, or nothing set.
#[derive(Debug, PartialEq)]
enum TableDefault {
    Number(i128),
    Unset,
}

/// "NULL", "not set", "N/A" and "no filters (allow from all)" are unset; otherwise the leading
/// number ("-1 (infinite)", "30000 (thirty seconds)", "0 (false)", "65546").
fn parse_default(text: &str) -> TableDefault {
    if ["NULL", "not set", "N/A", "no filters"]
        .iter()
        .any(|unset| text.starts_with(unset))
    {
        return TableDefault::Unset;
    }
    let number = text.split_whitespace().next().unwrap_or_default();
    TableDefault::Number(
        number
            .parse()
            .unwrap_or_else(|_| panic!("a number or an unset marker: {text:?}")),
    )
}

/// What `get` gives, in the terms of the table's default column.
fn as_default(value: &OptionValue) -> TableDefault {
    match value {
        OptionValue::Int(v) => TableDefault::Number((*v).into()),
        OptionValue::Int64(v) => TableDefault::Number((*v).into()),
        OptionValue::Uint64(v) => TableDefault::Number((*v).into()),
        OptionValue::Uint32(v) => TableDefault::Number((*v).into()),
        OptionValue::Bytes(b) if b.is_empty() => TableDefault::Unset,
        OptionValue::Str(s) if s.is_empty() => TableDefault::Unset,
        OptionValue::List(l) if l.is_empty() => TableDefault::Unset,
        other => panic!("a default that is neither a number nor unset: {other:?}"),
    }
}

/// The socket types a row's "applies to" column lists.
fn parse_applies_to(text: &str) -> Vec<SocketType> {
    if text == "N/A" || (text.starts_with("all") && !text.starts_with("all but")) {
        return SocketType::ALL.to_vec();
    }
    if let Some(rest) = text.strip_prefix("all but ") {
        let excluded = socket_types(rest.split(',').next().unwrap_or_default());
        return SocketType::ALL
            .into_iter()
            .filter(|t| !excluded.contains(t))
            .collect();
    }
    socket_types(text)
}

fn socket_types(list: &str) -> Vec<SocketType> {
    list.split(',')
        .map(|t| t.trim().trim_end_matches('.'))
        .map(|t| {
            let name = t
                .strip_prefix("ZMQ_")
                .unwrap_or_else(|| panic!("a ZMQ_ socket type: {t:?}"));
            SocketType::from_bytes(name.as_bytes())
                .unwrap_or_else(|| panic!("a socket type: {t:?}"))
        })
        .collect()
}

fn parse_kind(text: &str) -> ValueKind {
    match text {
        "int" | "pid_t" => ValueKind::Int,
        "int64_t" => ValueKind::Int64,
        "uint64_t" => ValueKind::Uint64,
        "uid_t" | "gid_t" => ValueKind::Uint32,
        "binary data" => ValueKind::Binary,
        "character string" => ValueKind::Text,
        "binary data or Z85 text string" => ValueKind::CurveKey,
        other => panic!("an option type: {other:?}"),
    }
}

#[test]
fn every_row_of_the_table_exists_with_its_default_and_socket_types() {
    let rows = rows();
    assert_eq!(rows.len(), 70);
    assert_eq!(OptionName::ALL.len(), 70);
    let defaults = SocketOptions::new();
    for (i, row) in rows.iter().enumerate() {
        let option = OptionName::from_zmq_name(row.name)
            .unwrap_or_else(|| panic!("row {i}: {} has no OptionName", row.name));
        assert_eq!(option.zmq_name(), row.name);
        assert_eq!(OptionName::ALL[i], option, "ALL follows the table's order");
        assert_eq!(OptionName::from_zmq_id(option.zmq_id()), Some(option));
        assert!(option.in_table());

        assert_eq!(option.kind(), parse_kind(row.kind), "{}: type", row.name);

        let got = defaults.get(option);
        // The one default taken from libzmq over the table: ZMQ_HEARTBEAT_TIMEOUT starts at -1
        // (the heartbeat interval) in libzmq 4.2 and 4.3, where the table's 0 would turn the
        // timeout off.
        let table_default = if option == OptionName::HeartbeatTimeout {
            assert_eq!(row.default, "0");
            TableDefault::Number(-1)
        } else {
            parse_default(row.default)
        };
        assert_eq!(
            as_default(&got),
            table_default,
            "{}: default {:?}, got {got:?}",
            row.name,
            row.default
        );
        assert_eq!(option.default_value(), got);

        let listed = parse_applies_to(row.applies_to);
        for t in SocketType::ALL {
            assert_eq!(
                option.applies_to(t),
                listed.contains(&t),
                "{}: applies to {t}? the table says {:?}",
                row.name,
                row.applies_to
            );
            if listed.contains(&t) {
                assert!(option.accepted_by(t), "{} on {t}", row.name);
            }
        }
    }
    // The two options beyond the table are the GSSAPI name types, host-based by default.
    for option in OptionName::BEYOND_TABLE {
        assert!(!option.in_table());
        assert_eq!(defaults.get(option), OptionValue::Int(0));
    }
}

/// The cargo feature `option` needs when this build was made without it (the CURVE options
/// need `curve`, ZMQ_SOCKS_PROXY `socks`): setting it is refused, naming the feature
/// (tests/features.rs).
fn missing_feature(option: OptionName) -> Option<&'static str> {
    use OptionName::*;
    match option {
        CurveServer | CurvePublicKey | CurveSecretKey | CurveServerKey
            if !cfg!(feature = "curve") =>
        {
            Some("curve")
        }
        SocksProxy if !cfg!(feature = "socks") => Some("socks"),
        _ => None,
    }
}

#[test]
fn every_option_round_trips_through_set_and_get() -> Result<(), OptionError> {
    for option in OptionName::every() {
        let (value, expected) = valid_value(option);
        let mut options = SocketOptions::new();
        if let Some(feature) = missing_feature(option) {
            let refused = options.set(option, value.clone());
            assert_eq!(
                refused,
                Err(OptionError::FeatureDisabled { option, feature })
            );
            continue;
        }
        options.set(option, value.clone())?;
        assert_eq!(options.get(option), expected, "{option} = {value:?}");
        // The same through libzmq's numeric constant.
        let mut by_id = SocketOptions::new();
        by_id.set_by_id(option.zmq_id(), value)?;
        assert_eq!(by_id.get(option), expected, "{option} by id");
    }
    Ok(())
}

#[test]
fn unsubscribe_removes_one_instance() -> Result<(), OptionError> {
    let mut options = SocketOptions::new();
    options.set(OptionName::Subscribe, "a")?;
    options.set(OptionName::Subscribe, "b")?;
    options.set(OptionName::Subscribe, "a")?;
    options.set(OptionName::Unsubscribe, "a")?;
    options.set(OptionName::Unsubscribe, "zzz")?;
    let expected = OptionValue::List(vec![
        OptionValue::Bytes(Bytes::from_static(b"b")),
        OptionValue::Bytes(Bytes::from_static(b"a")),
    ]);
    assert_eq!(options.get(OptionName::Subscribe), expected);
    assert_eq!(options.get(OptionName::Unsubscribe), expected);
    Ok(())
}

#[test]
fn invalid_values_are_refused_naming_the_option() {
    for option in OptionName::every() {
        let invalid = invalid_values(option);
        assert_eq!(
            invalid.is_empty(),
            OPTIONS_WITHOUT_INVALID_VALUES.contains(&option),
            "{option}: invalid values listed, or listed as having none"
        );
        let values = invalid
            .into_iter()
            .chain([wrong_type(option), OptionValue::List(Vec::new())]);
        for value in values {
            let mut options = SocketOptions::new();
            let before = options.get(option);
            let result = options.set(option, value.clone());
            let Err(error) = result else {
                panic!("{option} took {value:?}");
            };
            assert_eq!(error.option(), Some(option), "{error}");
            assert!(
                error.to_string().starts_with(option.zmq_name()),
                "the message names the option: {error}"
            );
            assert_eq!(
                options.get(option),
                before,
                "{option} unchanged by {value:?}"
            );
            assert_eq!(
                options.mechanism(),
                SocketOptions::new().mechanism(),
                "{option}: a refused value selects no mechanism"
            );
        }
    }
}

#[test]
fn messages_say_what_is_allowed() {
    let mut options = SocketOptions::new();
    let message = |r: Result<(), OptionError>| r.map_err(|e| e.to_string()).err();
    assert_eq!(
        message(options.set(OptionName::SndHwm, -5)).as_deref(),
        Some("ZMQ_SNDHWM must be >= 0, got -5")
    );
    assert_eq!(
        message(options.set(OptionName::Linger, -2)).as_deref(),
        Some("ZMQ_LINGER must be -1 (infinite) or >= 0 ms, got -2")
    );
    assert_eq!(
        message(options.set(OptionName::TcpKeepalive, 3)).as_deref(),
        Some("ZMQ_TCP_KEEPALIVE must be -1 (the OS's), 0 or 1, got 3")
    );
    assert_eq!(
        message(options.set(OptionName::Identity, &[0u8; 0])).as_deref(),
        Some("ZMQ_IDENTITY must be 1 to 255 bytes, got 0 bytes")
    );
    assert_eq!(
        message(options.set(OptionName::SndHwm, "10")).as_deref(),
        Some("ZMQ_SNDHWM takes an int, got a string")
    );
    #[cfg(feature = "curve")]
    assert_eq!(
        message(options.set(OptionName::CurveServerKey, &[1u8; 33])).as_deref(),
        Some(
            "ZMQ_CURVE_SERVERKEY must be 32 bytes, 40 Z85 characters or 41 bytes ending in NUL, \
             got 33 bytes"
        )
    );
    assert_eq!(
        message(options.set_by_id(16, 1)).as_deref(),
        Some("unknown socket option 16")
    );
}

#[test]
fn null_values_clear_and_unset_as_in_libzmq() -> Result<(), OptionError> {
    let mut options = SocketOptions::new();
    options.set(OptionName::TcpAcceptFilter, "10.0.0.0/8")?;
    options.set(OptionName::TcpAcceptFilter, "192.168.0.1")?;
    assert_eq!(options.get_tcp_accept_filters().len(), 2);
    options.set(OptionName::TcpAcceptFilter, Bytes::new())?;
    assert!(options.get_tcp_accept_filters().is_empty());

    options.set(OptionName::Ipv6, 1)?;
    options.set(OptionName::TcpAcceptFilter, "fe80::/10\0")?;
    assert_eq!(
        options.get(OptionName::TcpAcceptFilter),
        OptionValue::List(vec![OptionValue::Bytes(Bytes::from_static(b"fe80::/10"))])
    );

    for gid in [100u32, 200, 100] {
        options.set(OptionName::IpcFilterGid, gid)?;
    }
    assert_eq!(options.get_ipc_filter_gids().len(), 2);
    options.set(OptionName::IpcFilterGid, "")?;
    assert!(options.get_ipc_filter_gids().is_empty());

    options.set(OptionName::PlainUsername, "admin")?;
    options.set(OptionName::PlainPassword, "secret")?;
    options.set(OptionName::PlainUsername, Bytes::new())?;
    assert_eq!(
        options.get(OptionName::PlainUsername),
        OptionValue::Str(String::new())
    );
    assert_eq!(options.get_plain_password(), Some("secret"));
    assert_eq!(
        options.mechanism(),
        zmtp_socket::options::MechanismKind::Null
    );

    #[cfg(feature = "socks")]
    options.set(OptionName::SocksProxy, "proxy:1080")?;
    options.set(OptionName::SocksProxy, "")?;
    assert_eq!(options.get_socks_proxy(), None);
    options.set(OptionName::XpubWelcomeMsg, "hello")?;
    options.set(OptionName::XpubWelcomeMsg, Bytes::new())?;
    assert_eq!(options.get_xpub_welcome_msg(), None);
    Ok(())
}

#[test]
fn socket_types_refuse_what_libzmq_refuses() -> Result<(), OptionError> {
    for option in OptionName::every() {
        let (value, _) = valid_value(option);
        for t in SocketType::ALL {
            let mut options = SocketOptions::new();
            if matches!(t, SocketType::XPub | SocketType::Pub)
                && matches!(option, OptionName::Subscribe | OptionName::Unsubscribe)
            {
                options.set_xpub_manual(true)?;
            }
            let before = options.get(option);
            let result = options.set_for(t, option, value.clone());
            if let (true, Some(feature)) = (option.accepted_by(t), missing_feature(option)) {
                let refused = Err(OptionError::FeatureDisabled { option, feature });
                assert_eq!(result, refused, "{option} on {t}");
            } else if option.accepted_by(t) {
                assert_eq!(result, Ok(()), "{option} on {t}");
            } else {
                assert!(
                    matches!(
                        result,
                        Err(OptionError::NotForSocketType { option: o, socket_type, .. })
                            if o == option && socket_type == t
                    ),
                    "{option} on {t}: {result:?}"
                );
                assert_eq!(options.get(option), before);
            }
        }
    }

    // A SUBSCRIBE on an XPUB or PUB needs XPUB_MANUAL, as in libzmq.
    let mut options = SocketOptions::new();
    let refused = options.set_for(SocketType::XPub, OptionName::Subscribe, "a");
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err(
            "ZMQ_SUBSCRIBE is not an option of XPUB sockets (it is for SUB, and XPUB or PUB \
             with ZMQ_XPUB_MANUAL on)"
                .into()
        )
    );
    options.set_for(SocketType::XPub, OptionName::XpubManual, 1)?;
    options.set_for(SocketType::XPub, OptionName::Subscribe, "a")?;

    // What libzmq's class hierarchy allows beyond the table.
    let mut options = SocketOptions::new();
    options.set_for(SocketType::Rep, OptionName::RouterMandatory, 1)?;
    options.set_for(SocketType::Pub, OptionName::XpubVerbose, 1)?;
    options.set_for(SocketType::Router, OptionName::Conflate, 1)?;
    options.set_for(SocketType::Stream, OptionName::HandshakeIvl, 1000)?;
    assert!(options
        .set_for(SocketType::XSub, OptionName::Subscribe, "a")
        .is_err());
    assert!(options
        .set_for(SocketType::Dealer, OptionName::RouterMandatory, 1)
        .is_err());
    // The socket type is checked before the value.
    assert!(matches!(
        options.set_for(SocketType::Pair, OptionName::ReqRelaxed, -1),
        Err(OptionError::NotForSocketType { .. })
    ));
    Ok(())
}

#[test]
fn build_for_checks_the_socket_type() {
    let pub_options = SocketOptions::new().subscribe("weather.");
    assert_eq!(
        pub_options.clone().build_for(SocketType::Pub).map(|_| ()),
        Err(OptionError::NotForSocketType {
            option: OptionName::Subscribe,
            socket_type: SocketType::Pub,
            accepted_by: "SUB, and XPUB or PUB with ZMQ_XPUB_MANUAL on",
        })
    );
    assert!(pub_options.clone().build_for(SocketType::Sub).is_ok());
    assert!(pub_options
        .xpub_manual(true)
        .build_for(SocketType::XPub)
        .is_ok());

    let router = SocketOptions::new()
        .router_mandatory(true)
        .connect_rid("peer")
        .sndhwm(10)
        .conflate(true);
    assert!(router.clone().build_for(SocketType::Router).is_ok());
    assert!(matches!(
        router.clone().build_for(SocketType::Dealer),
        Err(OptionError::NotForSocketType {
            option: OptionName::ConnectRid,
            socket_type: SocketType::Dealer,
            ..
        })
    ));
    // Default values of per-type options are fine anywhere (STREAM_NOTIFY is on by default).
    assert!(SocketOptions::new().build_for(SocketType::Pair).is_ok());
    assert!(SocketOptions::new()
        .stream_notify(true)
        .build_for(SocketType::Push)
        .is_ok());
    // A deferred error comes first.
    assert!(matches!(
        SocketOptions::new()
            .subscribe("x")
            .sndhwm(-1)
            .build_for(SocketType::Pub),
        Err(OptionError::OutOfRange {
            option: OptionName::SndHwm,
            ..
        })
    ));
}

/// A CURVE key of the wrong length is refused as an identity of the wrong length is: as
/// `OptionError::Length`, naming the option and the length given; a key of the right length
/// that does not decode is `Invalid`.
#[cfg(feature = "curve")]
#[test]
fn curve_keys_of_the_wrong_length_are_length_errors_like_identities() {
    let mut options = SocketOptions::new();
    assert!(matches!(
        options.set(OptionName::Identity, &[1u8; 256][..]),
        Err(OptionError::Length {
            option: OptionName::Identity,
            len: 256,
            ..
        })
    ));
    for option in [
        OptionName::CurvePublicKey,
        OptionName::CurveSecretKey,
        OptionName::CurveServerKey,
    ] {
        for len in [0, 31, 33, 39, 42] {
            let result = options.set(option, vec![b'a'; len]);
            assert!(
                matches!(result, Err(OptionError::Length { option: o, len: l, .. }) if o == option && l == len),
                "{option}, {len} bytes: {result:?}"
            );
        }
        // 40 characters, not Z85 ('"' is outside its alphabet): the right length, refused as
        // invalid.
        let result = options.set(option, "\"".repeat(40));
        assert!(
            matches!(result, Err(OptionError::Invalid { option: o, .. }) if o == option),
            "{option}: {result:?}"
        );
    }
}
