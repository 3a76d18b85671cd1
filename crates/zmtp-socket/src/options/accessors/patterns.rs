//! The hand-written typed accessors of the options for particular socket types (the others are
//! generated from their rows in `table/mod.rs`): taking `ZMQ_CONNECT_RID`, and the subscriptions.
//! These setters do not know the socket type; a socket checks with
//! [`SocketOptions::check_socket_type`] or sets through [`SocketOptions::set_for`].

use bytes::Bytes;

use super::super::error::OptionError;
use super::super::name::OptionName as N;
use super::super::socket_options::SocketOptions;
use super::super::value::OptionValue;

impl SocketOptions {
    /// Takes `ZMQ_CONNECT_RID` for a connect: libzmq uses it for the first connect after it
    /// was set only.
    pub fn take_connect_rid(&mut self) -> Option<Bytes> {
        self.values.connect_rid.take()
    }

    /// `ZMQ_SUBSCRIBE`: adds a subscription to messages starting with `prefix` (empty: all
    /// messages). Subscribing twice needs two unsubscriptions.
    pub fn set_subscribe(&mut self, prefix: impl Into<Bytes>) -> Result<(), OptionError> {
        self.set(N::Subscribe, OptionValue::Bytes(prefix.into()))
    }

    /// `ZMQ_UNSUBSCRIBE`: removes one instance of the subscription to `prefix` (nothing if
    /// there is none, as libzmq).
    pub fn set_unsubscribe(&mut self, prefix: impl Into<Bytes>) -> Result<(), OptionError> {
        self.set(N::Unsubscribe, OptionValue::Bytes(prefix.into()))
    }

    /// The subscriptions `ZMQ_SUBSCRIBE` and `ZMQ_UNSUBSCRIBE` leave, in order, with repeats.
    /// On options given to a socket they are the socket's from then on: a live socket's
    /// subscriptions are kept by its pattern alone (a SUB's `subscribe` does not list them here).
    pub fn get_subscriptions(&self) -> &[Bytes] {
        &self.subscriptions
    }

    /// Takes the subscriptions out (a new socket hands them to its pattern, which keeps them).
    pub(crate) fn take_subscriptions(&mut self) -> Vec<Bytes> {
        std::mem::take(&mut self.subscriptions)
    }
}
