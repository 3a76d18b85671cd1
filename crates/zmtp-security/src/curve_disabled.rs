//! CURVE without the `curve` feature: the mechanism types exist so that code naming them
//! compiles, but neither can be made, since each needs a [`CurveKeyPair`], which has no values
//! in such a build. Socket options refuse the CURVE options there, naming the feature.

use zmtp_codec::{HandshakeContext, Mechanism, MechanismError, MechanismName, RawCommand};

use crate::keys::{CurveKeyPair, CurvePublicKey};

/// The CURVE client (not in this build: zmtp-security's `curve` feature is off).
#[derive(Debug)]
pub struct CurveClient {
    keys: CurveKeyPair,
}

impl CurveClient {
    /// Cannot be called: no [`CurveKeyPair`] exists without the `curve` feature.
    pub fn new(keys: CurveKeyPair, server: CurvePublicKey) -> CurveClient {
        let _ = server;
        CurveClient { keys }
    }
}

/// The CURVE server (not in this build: zmtp-security's `curve` feature is off).
#[derive(Debug)]
pub struct CurveServer {
    keys: CurveKeyPair,
}

impl CurveServer {
    /// Cannot be called: no [`CurveKeyPair`] exists without the `curve` feature.
    pub fn new(keys: CurveKeyPair) -> CurveServer {
        CurveServer { keys }
    }

    /// Whether a ZAP handler is asked (as with the feature).
    pub fn with_zap(self, zap: bool) -> CurveServer {
        let _ = zap;
        self
    }
}

macro_rules! uninhabited_mechanism {
    ($type:ty) => {
        impl Mechanism for $type {
            fn name(&self) -> MechanismName {
                self.keys.unreachable()
            }

            fn start(&mut self, _cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
                self.keys.unreachable()
            }

            fn handle_command(
                &mut self,
                _cx: &mut HandshakeContext<'_>,
                _command: RawCommand,
            ) -> Result<(), MechanismError> {
                self.keys.unreachable()
            }
        }
    };
}

uninhabited_mechanism!(CurveClient);
uninhabited_mechanism!(CurveServer);
