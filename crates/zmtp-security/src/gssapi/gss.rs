//! The one place that calls GSS-API (through the `libgssapi` crate): names, credentials,
//! context steps, wrapping. Every failure becomes [`MechanismError::Gssapi`] with the library's
//! own message and what was being done.

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext, ServerCtx};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::error::Error;
use libgssapi::name::Name;
use libgssapi::oid::{Oid, GSS_NT_HOSTBASED_SERVICE, GSS_NT_KRB5_PRINCIPAL, GSS_NT_USER_NAME};
use libgssapi::util::Buf;
use zmtp_codec::MechanismError;

use super::wire::Wrapping;
use super::{GssapiOptions, NameType};

/// The context, which exists from `start` on.
pub(crate) fn context<T>(context: &mut Option<T>) -> Result<&mut T, MechanismError> {
    context
        .as_mut()
        .ok_or_else(|| MechanismError::Gssapi("the security context is not set up yet".into()))
}

/// The context, taken out for a step that runs as a blocking job (which hands it back).
pub(crate) fn take_context<T>(context: &mut Option<T>) -> Result<T, MechanismError> {
    context
        .take()
        .ok_or_else(|| MechanismError::Gssapi("the security context is not set up yet".into()))
}

/// What libzmq's client asks for.
fn requested_flags() -> CtxFlags {
    CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_REPLAY_FLAG
}

fn failure(what: &str, e: Error) -> MechanismError {
    MechanismError::Gssapi(format!("{what}: {}", e.to_string().trim_end()))
}

fn oid(nametype: NameType) -> Oid<'static> {
    match nametype {
        NameType::HostBased => GSS_NT_HOSTBASED_SERVICE,
        NameType::UserName => GSS_NT_USER_NAME,
        NameType::KrbPrincipal => GSS_NT_KRB5_PRINCIPAL,
    }
}

fn import(name: &str, nametype: NameType) -> Result<Name, MechanismError> {
    Name::new(name.as_bytes(), Some(oid(nametype)))
        .map_err(|e| failure(&format!("importing the name {name:?}"), e))
}

/// Credentials for `ZMQ_GSSAPI_PRINCIPAL`, if set; `None` lets the library use its defaults.
fn credentials(options: &GssapiOptions, usage: CredUsage) -> Result<Option<Cred>, MechanismError> {
    let Some(principal) = options.principal.as_deref() else {
        return Ok(None);
    };
    let name = import(principal, options.principal_nametype)?;
    Cred::acquire(Some(&name), None, usage, None)
        .map(Some)
        .map_err(|e| failure(&format!("acquiring credentials for {principal:?}"), e))
}

/// One context step's outcome: a token for the peer (if any), and whether the context is
/// established.
#[derive(Debug)]
pub(crate) struct Progress {
    /// The token to send.
    pub(crate) token: Option<Buf>,
    /// Whether this side's context is complete.
    pub(crate) complete: bool,
}

/// The client side of a security context (`gss_init_sec_context`).
#[derive(Debug)]
pub(crate) struct Initiator(ClientCtx);

impl Initiator {
    /// Imports the service principal and acquires our credentials.
    pub(crate) fn new(options: &GssapiOptions) -> Result<Initiator, MechanismError> {
        let service = options.service_principal.as_deref().ok_or_else(|| {
            MechanismError::Gssapi("no service principal (ZMQ_GSSAPI_SERVICE_PRINCIPAL)".into())
        })?;
        let target = import(service, options.service_principal_nametype)?;
        let cred = credentials(options, CredUsage::Initiate)?;
        Ok(Initiator(ClientCtx::new(
            cred,
            target,
            requested_flags(),
            None,
        )))
    }

    /// One `gss_init_sec_context` call: the first without a token, then with each of the
    /// server's.
    pub(crate) fn step(&mut self, token: Option<&[u8]>) -> Result<Progress, MechanismError> {
        let token = self
            .0
            .step(token, None)
            .map_err(|e| failure("initiating the security context", e))?;
        Ok(Progress {
            token,
            complete: self.0.is_complete(),
        })
    }

    /// Fails unless the established context can encrypt.
    pub(crate) fn check_confidentiality(&self) -> Result<(), MechanismError> {
        check_confidentiality(self.0.flags())
    }
}

/// The server side of a security context (`gss_accept_sec_context`).
#[derive(Debug)]
pub(crate) struct Acceptor(ServerCtx);

impl Acceptor {
    /// Acquires our credentials (or none: any key in the keytab).
    pub(crate) fn new(options: &GssapiOptions) -> Result<Acceptor, MechanismError> {
        let cred = credentials(options, CredUsage::Accept)?;
        Ok(Acceptor(ServerCtx::new(cred)))
    }

    /// One `gss_accept_sec_context` call with the client's token.
    pub(crate) fn step(&mut self, token: &[u8]) -> Result<Progress, MechanismError> {
        let token = self
            .0
            .step(token, None)
            .map_err(|e| failure("accepting the security context", e))?;
        Ok(Progress {
            token,
            complete: self.0.is_complete(),
        })
    }

    /// The display name of the authenticated client principal (`client@REALM`).
    pub(crate) fn peer_principal(&self) -> Result<Vec<u8>, MechanismError> {
        let name = self
            .0
            .source_name()
            .map_err(|e| failure("reading the client's name", e))?;
        let display = name
            .display_name()
            .map_err(|e| failure("displaying the client's name", e))?;
        Ok(display.to_vec())
    }

    /// Fails unless the established context can encrypt.
    pub(crate) fn check_confidentiality(&self) -> Result<(), MechanismError> {
        check_confidentiality(self.0.flags())
    }
}

fn check_confidentiality(flags: Result<CtxFlags, Error>) -> Result<(), MechanismError> {
    let flags = flags.map_err(|e| failure("inquiring the security context", e))?;
    if flags.contains(CtxFlags::GSS_C_CONF_FLAG) {
        Ok(())
    } else {
        Err(MechanismError::Gssapi(
            "the security context offers no confidentiality, and ZMQ_GSSAPI_PLAINTEXT is off"
                .into(),
        ))
    }
}

fn wrap(context: &mut impl SecurityContext, plaintext: &[u8]) -> Result<Buf, MechanismError> {
    context
        .wrap(true, plaintext)
        .map_err(|e| failure("wrapping a message", e))
}

fn unwrap(context: &mut impl SecurityContext, token: &[u8]) -> Result<Buf, MechanismError> {
    context
        .unwrap(token)
        .map_err(|e| failure("unwrapping a MESSAGE", e))
}

impl Wrapping for Initiator {
    type Token = Buf;

    fn wrap(&mut self, plaintext: &[u8]) -> Result<Buf, MechanismError> {
        wrap(&mut self.0, plaintext)
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Buf, MechanismError> {
        unwrap(&mut self.0, token)
    }
}

impl Wrapping for Acceptor {
    type Token = Buf;

    fn wrap(&mut self, plaintext: &[u8]) -> Result<Buf, MechanismError> {
        wrap(&mut self.0, plaintext)
    }

    fn unwrap(&mut self, token: &[u8]) -> Result<Buf, MechanismError> {
        unwrap(&mut self.0, token)
    }
}
