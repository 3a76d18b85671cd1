//! From the command line to socket options: the security flags, `--option NAME=VALUE`, and the
//! authentication handler of the PLAIN and CURVE servers.

use std::sync::Arc;

use bytes::Bytes;
use zmtp_codec::{MechanismName, SocketType, ZapReply, ZapRequest};
use zmtp_security::keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey, Z85_KEY_LEN};
use zmtp_socket::options::ValueKind;
use zmtp_socket::{OptionName, OptionValue, SocketOptions};

use crate::cli::Security;
use crate::format::parse_hex;

/// The socket's options, and the authentication to install when it is a server.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) options: SocketOptions,
    pub(crate) auth: Option<Auth>,
    /// Lines for stderr before binding (the CURVE server's public key).
    pub(crate) notes: Vec<String>,
}

/// Who a server lets in.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// PLAIN: these user names and passwords.
    Plain(Arc<Vec<(String, String)>>),
    /// CURVE: clients with these public keys.
    Curve(Arc<Vec<CurvePublicKey>>),
}

/// The options for a socket of `socket_type`: the security flags first, then each
/// `--option` in order. Errors name the flag.
pub(crate) fn build(
    socket_type: SocketType,
    security: &Security,
    raw_options: &[String],
) -> Result<Setup, String> {
    let mut options = SocketOptions::new();
    let mut notes = Vec::new();
    let mut auth = None;
    let set = |options: &mut SocketOptions, flag: &str, name, value: OptionValue| {
        options
            .set_for(socket_type, name, value)
            .map_err(|e| format!("{flag}: {e}"))
    };

    if security.curve_server {
        let secret = match &security.curve_secret {
            Some(text) => secret_key("--curve-secret", text)?,
            None => return Err("--curve-server needs --curve-secret".to_owned()),
        };
        let pair = CurveKeyPair::from_secret(secret);
        check_public("--curve-public", security.curve_public.as_deref(), &pair)?;
        set(
            &mut options,
            "--curve-server",
            OptionName::CurveServer,
            1.into(),
        )?;
        set(
            &mut options,
            "--curve-secret",
            OptionName::CurveSecretKey,
            Bytes::copy_from_slice(pair.secret().as_bytes()).into(),
        )?;
        notes.push(format!("CURVE server public key: {}", pair.public()));
        if !security.curve_accept.is_empty() {
            let keys = security
                .curve_accept
                .iter()
                .map(|text| public_key("--curve-accept", text))
                .collect::<Result<Vec<_>, _>>()?;
            auth = Some(Auth::Curve(Arc::new(keys)));
        }
    } else if let Some(server_key) = &security.curve_serverkey {
        let server_key = public_key("--curve-serverkey", server_key)?;
        let pair = match &security.curve_secret {
            Some(text) => CurveKeyPair::from_secret(secret_key("--curve-secret", text)?),
            None => CurveKeyPair::generate(),
        };
        check_public("--curve-public", security.curve_public.as_deref(), &pair)?;
        set(
            &mut options,
            "--curve-serverkey",
            OptionName::CurveServerKey,
            Bytes::copy_from_slice(server_key.as_bytes()).into(),
        )?;
        set(
            &mut options,
            "--curve-public",
            OptionName::CurvePublicKey,
            Bytes::copy_from_slice(pair.public().as_bytes()).into(),
        )?;
        set(
            &mut options,
            "--curve-secret",
            OptionName::CurveSecretKey,
            Bytes::copy_from_slice(pair.secret().as_bytes()).into(),
        )?;
    } else if security.curve_secret.is_some() {
        return Err("--curve-secret needs --curve-server or --curve-serverkey".to_owned());
    }

    if security.plain_server {
        let users = security
            .plain_accept
            .iter()
            .map(|pair| match pair.split_once(':') {
                Some((user, password)) if !user.is_empty() => {
                    Ok((user.to_owned(), password.to_owned()))
                }
                _ => Err(format!(
                    "--plain-accept {pair:?}: expected USER:PASSWORD, e.g. alice:secret"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        set(
            &mut options,
            "--plain-server",
            OptionName::PlainServer,
            1.into(),
        )?;
        auth = Some(Auth::Plain(Arc::new(users)));
    } else if let (Some(user), Some(password)) = (&security.plain_user, &security.plain_password) {
        set(
            &mut options,
            "--plain-user",
            OptionName::PlainUsername,
            user.as_str().into(),
        )?;
        set(
            &mut options,
            "--plain-password",
            OptionName::PlainPassword,
            password.as_str().into(),
        )?;
    }

    for raw in raw_options {
        let (name, value) = parse_option(raw).map_err(|e| format!("--option {raw}: {e}"))?;
        options
            .set_for(socket_type, name, value)
            .map_err(|e| format!("--option {raw}: {e}"))?;
    }
    Ok(Setup {
        options,
        auth,
        notes,
    })
}

/// A `--curve-*` public key.
fn public_key(flag: &str, text: &str) -> Result<CurvePublicKey, String> {
    check_key_length(flag, text)?;
    CurvePublicKey::from_z85(text).map_err(|e| format!("{flag}: {e}"))
}

/// A `--curve-secret` key.
fn secret_key(flag: &str, text: &str) -> Result<CurveSecretKey, String> {
    check_key_length(flag, text)?;
    CurveSecretKey::from_z85(text).map_err(|e| format!("{flag}: {e}"))
}

fn check_key_length(flag: &str, text: &str) -> Result<(), String> {
    if text.len() != Z85_KEY_LEN {
        return Err(format!(
            "{flag}: a CURVE key is {Z85_KEY_LEN} Z85 characters (as `zmtp keygen` prints), \
             got {}",
            text.len()
        ));
    }
    Ok(())
}

/// `--curve-public`, when given, must be the public half of the secret key.
fn check_public(flag: &str, given: Option<&str>, pair: &CurveKeyPair) -> Result<(), String> {
    if let Some(text) = given {
        if public_key(flag, text)? != *pair.public() {
            return Err(format!(
                "{flag}: not the public key of --curve-secret (that is {})",
                pair.public()
            ));
        }
    }
    Ok(())
}

/// `NAME=VALUE`: the option libzmq calls NAME (with or without `ZMQ_`, any case, `-` for
/// `_`) and VALUE read as the option's type.
pub(crate) fn parse_option(raw: &str) -> Result<(OptionName, OptionValue), String> {
    let Some((name, value)) = raw.split_once('=') else {
        return Err("expected NAME=VALUE, e.g. ZMQ_SNDHWM=100 or linger=0".to_owned());
    };
    let name = option_name(name.trim())?;
    let value = option_value(name, value)?;
    Ok((name, value))
}

/// libzmq's option name, leniently.
fn option_name(text: &str) -> Result<OptionName, String> {
    let upper = text.to_ascii_uppercase().replace('-', "_");
    let bare = upper.strip_prefix("ZMQ_").unwrap_or(&upper);
    OptionName::from_zmq_name(&format!("ZMQ_{bare}")).ok_or_else(|| {
        format!("unknown option {text:?} (libzmq's names: ZMQ_SNDHWM, sndhwm, linger, ...)")
    })
}

/// The value as the option's C type.
fn option_value(name: OptionName, text: &str) -> Result<OptionValue, String> {
    let number = |what: &str| format!("{name} takes {what}, got {text:?}");
    Ok(match name.kind() {
        ValueKind::Int => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => OptionValue::Int(1),
            "false" | "no" | "off" => OptionValue::Int(0),
            t => OptionValue::Int(t.parse().map_err(|_| number("an integer"))?),
        },
        ValueKind::Int64 => OptionValue::Int64(
            text.trim()
                .parse()
                .map_err(|_| number("a 64-bit integer"))?,
        ),
        ValueKind::Uint64 => OptionValue::Uint64(
            text.trim()
                .parse()
                .map_err(|_| number("an unsigned 64-bit integer"))?,
        ),
        ValueKind::Uint32 => OptionValue::Uint32(
            text.trim()
                .parse()
                .map_err(|_| number("an unsigned 32-bit integer"))?,
        ),
        ValueKind::Binary => match parse_hex(text) {
            Some(bytes) => OptionValue::Bytes(Bytes::from(bytes)),
            None => OptionValue::Bytes(Bytes::copy_from_slice(text.as_bytes())),
        },
        ValueKind::Text | ValueKind::CurveKey => OptionValue::Str(text.to_owned()),
    })
}

impl Auth {
    /// The verdict on one handshake, and a line for stderr when refused.
    pub(crate) fn decide(&self, request: &ZapRequest) -> ZapReply {
        let address = String::from_utf8_lossy(&request.address).into_owned();
        match self {
            Auth::Plain(users) if request.mechanism == MechanismName::PLAIN => {
                let user = request.credentials.first().cloned().unwrap_or_default();
                let password = request.credentials.get(1).cloned().unwrap_or_default();
                let known = users
                    .iter()
                    .any(|(u, p)| u.as_bytes() == &user[..] && p.as_bytes() == &password[..]);
                let name = String::from_utf8_lossy(&user).into_owned();
                if known {
                    eprintln!("accepted PLAIN user {name:?} from {address}");
                    ZapReply::accept(user)
                } else {
                    eprintln!("refused PLAIN user {name:?} from {address}: wrong user or password");
                    ZapReply::refuse("invalid username or password")
                }
            }
            Auth::Curve(keys) if request.mechanism == MechanismName::CURVE => {
                let key = request
                    .credentials
                    .first()
                    .and_then(|k| CurvePublicKey::parse(k).ok());
                match key {
                    Some(key) if keys.contains(&key) => {
                        eprintln!("accepted CURVE client {key} from {address}");
                        ZapReply::accept(Bytes::from(key.to_z85()))
                    }
                    Some(key) => {
                        eprintln!(
                            "refused CURVE client {key} from {address}: not in --curve-accept"
                        );
                        ZapReply::refuse("unknown client key")
                    }
                    None => ZapReply::refuse("no client key"),
                }
            }
            _ => ZapReply::refuse("unexpected security mechanism"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_names_leniently() {
        for text in ["ZMQ_SNDHWM", "sndhwm", "zmq_sndhwm", "SndHwm"] {
            assert_eq!(option_name(text), Ok(OptionName::SndHwm), "{text}");
        }
        assert_eq!(option_name("tcp-keepalive"), Ok(OptionName::TcpKeepalive));
        assert_eq!(option_name("routing_id"), Ok(OptionName::Identity));
        assert!(option_name("nonsense").is_err());
    }

    #[test]
    fn option_values_by_kind() {
        assert_eq!(
            parse_option("sndhwm=100"),
            Ok((OptionName::SndHwm, OptionValue::Int(100)))
        );
        assert_eq!(
            parse_option("immediate=true"),
            Ok((OptionName::Immediate, OptionValue::Int(1)))
        );
        assert_eq!(
            parse_option("maxmsgsize=-1"),
            Ok((OptionName::MaxMsgSize, OptionValue::Int64(-1)))
        );
        assert_eq!(
            parse_option("identity=0x0102"),
            Ok((
                OptionName::Identity,
                OptionValue::Bytes(Bytes::from_static(b"\x01\x02"))
            ))
        );
        assert!(parse_option("sndhwm").is_err());
        assert!(parse_option("sndhwm=lots").is_err());
    }

    fn security() -> Security {
        Security {
            curve_server: false,
            curve_serverkey: None,
            curve_secret: None,
            curve_public: None,
            curve_accept: vec![],
            plain_user: None,
            plain_password: None,
            plain_server: false,
            plain_accept: vec![],
        }
    }

    #[test]
    fn errors_name_the_flag() {
        let err =
            build(SocketType::Push, &security(), &["sndhwm=-5".to_owned()]).expect_err("refused");
        assert!(err.starts_with("--option sndhwm=-5: "), "{err}");
        assert!(err.contains("ZMQ_SNDHWM"), "{err}");

        let mut bad_key = security();
        bad_key.curve_serverkey = Some("short".to_owned());
        let err = build(SocketType::Req, &bad_key, &[]).expect_err("refused");
        assert!(err.starts_with("--curve-serverkey: "), "{err}");

        let err =
            build(SocketType::Pull, &security(), &["subscribe=x".to_owned()]).expect_err("refused");
        assert!(err.contains("not an option of PULL"), "{err}");
    }

    #[test]
    fn curve_client_gets_a_key_pair() {
        let server = CurveKeyPair::generate();
        let mut sec = security();
        sec.curve_serverkey = Some(server.public().to_string());
        let setup = build(SocketType::Req, &sec, &[]).expect("builds");
        assert_eq!(
            setup.options.get(OptionName::CurveServerKey).as_bytes(),
            Some(&server.public().as_bytes()[..])
        );
        assert_eq!(
            setup
                .options
                .get(OptionName::CurveSecretKey)
                .as_bytes()
                .map(<[u8]>::len),
            Some(32)
        );
    }
}
