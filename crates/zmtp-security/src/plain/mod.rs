//! The PLAIN mechanism (RFC 24): a user name and password in the clear, checked by a ZAP
//! handler at the server.
//!
//! ```text
//! C: HELLO    = 05 "HELLO" user_len user pass_len pass
//! S: WELCOME  = 07 "WELCOME"                (sent once the ZAP handler says 200)
//! C: INITIATE = 08 "INITIATE" metadata
//! S: READY    = 05 "READY" metadata
//! ```
//! The server sends ERROR instead of WELCOME when the handler refuses (400, 500) and closes
//! silently on 300. Roles come from local options (`ZMQ_PLAIN_SERVER`), not from the greeting's
//! as-server flag, as in libzmq. PLAIN protects nothing on the wire: use CURVE across networks.

mod client;
mod server;

pub use client::PlainClient;
pub use server::PlainServer;

use zeroize::Zeroizing;

/// Credentials that do not fit PLAIN's one-byte length fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// `ZMQ_PLAIN_USERNAME` must be 1 to 255 bytes.
    #[error("ZMQ_PLAIN_USERNAME must be 1 to 255 bytes, got {0}")]
    Username(usize),
    /// `ZMQ_PLAIN_PASSWORD` must be 1 to 255 bytes.
    #[error("ZMQ_PLAIN_PASSWORD must be 1 to 255 bytes, got {0}")]
    Password(usize),
}

/// A PLAIN user name and password (`ZMQ_PLAIN_USERNAME`, `ZMQ_PLAIN_PASSWORD`). The password is
/// wiped from memory on drop and never printed.
#[derive(Clone)]
pub struct PlainCredentials {
    username: Vec<u8>,
    password: Zeroizing<Vec<u8>>,
}

impl PlainCredentials {
    /// Checks both are 1 to 255 bytes.
    pub fn new(
        username: impl Into<Vec<u8>>,
        password: impl Into<Vec<u8>>,
    ) -> Result<PlainCredentials, CredentialsError> {
        let username = username.into();
        let password = Zeroizing::new(password.into());
        if username.is_empty() || username.len() > 255 {
            return Err(CredentialsError::Username(username.len()));
        }
        if password.is_empty() || password.len() > 255 {
            return Err(CredentialsError::Password(password.len()));
        }
        Ok(PlainCredentials { username, password })
    }

    /// The user name.
    pub fn username(&self) -> &[u8] {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &[u8] {
        &self.password
    }
}

impl std::fmt::Debug for PlainCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainCredentials")
            .field("username", &String::from_utf8_lossy(&self.username))
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_lengths() {
        assert!(PlainCredentials::new("admin", "secret").is_ok());
        assert_eq!(
            PlainCredentials::new("", "x").err(),
            Some(CredentialsError::Username(0))
        );
        assert_eq!(
            PlainCredentials::new(vec![b'u'; 256], "x").err(),
            Some(CredentialsError::Username(256))
        );
        assert_eq!(
            PlainCredentials::new("u", "").err(),
            Some(CredentialsError::Password(0))
        );
        assert!(PlainCredentials::new(vec![b'u'; 255], vec![b'p'; 255]).is_ok());
        let dbg = format!(
            "{:?}",
            PlainCredentials::new("admin", "hunter2").expect("valid")
        );
        assert!(!dbg.contains("hunter2"));
    }
}
