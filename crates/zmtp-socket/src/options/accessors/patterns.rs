//! Typed setters and getters of the options for particular socket types (ROUTER, REQ, XPUB,
//! SUB, STREAM) and of `ZMQ_INVERT_MATCHING`. These setters do not know the socket type; a
//! socket checks with [`SocketOptions::check_socket_type`] or sets through
//! [`SocketOptions::set_for`].

use bytes::Bytes;

use super::super::error::OptionError;
use super::super::name::OptionName as N;
use super::super::socket_options::SocketOptions;
use super::super::value::OptionValue;

impl SocketOptions {
    // ---- ROUTER and STREAM ----

    /// Sets `ZMQ_CONNECT_RID` (`ZMQ_CONNECT_ROUTING_ID`): the routing id the peer of the next
    /// `connect` gets, so a ROUTER or STREAM can send to it at once. 1 to 255 bytes, not
    /// starting with a zero byte; used once ([`SocketOptions::take_connect_rid`]).
    pub fn set_connect_rid(&mut self, id: impl Into<Bytes>) -> Result<(), OptionError> {
        self.set(N::ConnectRid, OptionValue::Bytes(id.into()))
    }

    /// `ZMQ_CONNECT_RID` waiting for the next connect (`None`: none).
    pub fn get_connect_rid(&self) -> Option<&Bytes> {
        Some(&self.connect_rid).filter(|id| !id.is_empty())
    }

    /// Takes `ZMQ_CONNECT_RID` for a connect: libzmq uses it for the first connect after it
    /// was set only.
    pub fn take_connect_rid(&mut self) -> Option<Bytes> {
        Some(std::mem::take(&mut self.connect_rid)).filter(|id| !id.is_empty())
    }

    /// Sets `ZMQ_ROUTER_MANDATORY`: a ROUTER reports a message it cannot route
    /// (`EHOSTUNREACH`) instead of dropping it. Default off.
    pub fn set_router_mandatory(&mut self, mandatory: bool) -> Result<(), OptionError> {
        self.set(N::RouterMandatory, mandatory)
    }

    /// `ZMQ_ROUTER_MANDATORY`.
    pub fn get_router_mandatory(&self) -> bool {
        self.router_mandatory
    }

    /// Sets `ZMQ_ROUTER_HANDOVER`: a peer connecting with a routing id already in use takes it
    /// over (off: it is refused). Default off.
    pub fn set_router_handover(&mut self, handover: bool) -> Result<(), OptionError> {
        self.set(N::RouterHandover, handover)
    }

    /// `ZMQ_ROUTER_HANDOVER`.
    pub fn get_router_handover(&self) -> bool {
        self.router_handover
    }

    /// Sets `ZMQ_ROUTER_RAW` (deprecated for STREAM): the ROUTER speaks raw TCP, no ZMTP.
    /// Default off.
    pub fn set_router_raw(&mut self, raw: bool) -> Result<(), OptionError> {
        self.set(N::RouterRaw, raw)
    }

    /// `ZMQ_ROUTER_RAW`.
    pub fn get_router_raw(&self) -> bool {
        self.router_raw
    }

    /// Sets `ZMQ_PROBE_ROUTER`: send an empty message on each new connection, so a ROUTER
    /// peer learns of it (ROUTER, DEALER, REQ). Default off.
    pub fn set_probe_router(&mut self, probe: bool) -> Result<(), OptionError> {
        self.set(N::ProbeRouter, probe)
    }

    /// `ZMQ_PROBE_ROUTER`.
    pub fn get_probe_router(&self) -> bool {
        self.probe_router
    }

    /// Sets `ZMQ_STREAM_NOTIFY`: a STREAM delivers an empty message when a peer connects or
    /// disconnects. Default on.
    pub fn set_stream_notify(&mut self, notify: bool) -> Result<(), OptionError> {
        self.set(N::StreamNotify, notify)
    }

    /// `ZMQ_STREAM_NOTIFY`.
    pub fn get_stream_notify(&self) -> bool {
        self.stream_notify
    }

    // ---- REQ ----

    /// Sets `ZMQ_REQ_CORRELATE`: a REQ prefixes requests with a request id and drops replies
    /// without the matching one. Default off.
    pub fn set_req_correlate(&mut self, correlate: bool) -> Result<(), OptionError> {
        self.set(N::ReqCorrelate, correlate)
    }

    /// `ZMQ_REQ_CORRELATE`.
    pub fn get_req_correlate(&self) -> bool {
        self.req_correlate
    }

    /// Sets `ZMQ_REQ_RELAXED`: a REQ may send a new request before the reply to the last
    /// (use with `ZMQ_REQ_CORRELATE`). Default off.
    pub fn set_req_relaxed(&mut self, relaxed: bool) -> Result<(), OptionError> {
        self.set(N::ReqRelaxed, relaxed)
    }

    /// `ZMQ_REQ_RELAXED`.
    pub fn get_req_relaxed(&self) -> bool {
        self.req_relaxed
    }

    // ---- XPUB, PUB, SUB ----

    /// Sets `ZMQ_XPUB_VERBOSE`: an XPUB passes every subscription up, repeats included. As in
    /// libzmq, this turns `ZMQ_XPUB_VERBOSER` off. Default off.
    pub fn set_xpub_verbose(&mut self, verbose: bool) -> Result<(), OptionError> {
        self.set(N::XpubVerbose, verbose)
    }

    /// `ZMQ_XPUB_VERBOSE`: whether every subscription is passed up.
    pub fn get_xpub_verbose(&self) -> bool {
        self.xpub_verbose
    }

    /// Sets `ZMQ_XPUB_VERBOSER`: an XPUB passes every subscription and unsubscription up. As
    /// in libzmq, this sets `ZMQ_XPUB_VERBOSE` to the same value. Default off.
    pub fn set_xpub_verboser(&mut self, verboser: bool) -> Result<(), OptionError> {
        self.set(N::XpubVerboser, verboser)
    }

    /// `ZMQ_XPUB_VERBOSER`: whether every unsubscription is passed up too.
    pub fn get_xpub_verboser(&self) -> bool {
        self.xpub_verboser
    }

    /// Sets `ZMQ_XPUB_MANUAL`: an XPUB does not subscribe its peers itself; the application
    /// does, with `ZMQ_SUBSCRIBE` on the XPUB. Default off.
    pub fn set_xpub_manual(&mut self, manual: bool) -> Result<(), OptionError> {
        self.set(N::XpubManual, manual)
    }

    /// `ZMQ_XPUB_MANUAL`.
    pub fn get_xpub_manual(&self) -> bool {
        self.xpub_manual
    }

    /// Sets `ZMQ_XPUB_NODROP`: an XPUB or PUB whose peer is at its high-water mark blocks (or
    /// says `EAGAIN`) instead of dropping. Default off.
    pub fn set_xpub_nodrop(&mut self, nodrop: bool) -> Result<(), OptionError> {
        self.set(N::XpubNodrop, nodrop)
    }

    /// `ZMQ_XPUB_NODROP`.
    pub fn get_xpub_nodrop(&self) -> bool {
        self.xpub_nodrop
    }

    /// Sets `ZMQ_XPUB_WELCOME_MSG`: a message an XPUB sends each new subscriber (empty: none).
    /// Default none.
    pub fn set_xpub_welcome_msg(&mut self, message: impl Into<Bytes>) -> Result<(), OptionError> {
        self.set(N::XpubWelcomeMsg, OptionValue::Bytes(message.into()))
    }

    /// `ZMQ_XPUB_WELCOME_MSG` (`None`: none).
    pub fn get_xpub_welcome_msg(&self) -> Option<&Bytes> {
        Some(&self.xpub_welcome_msg).filter(|m| !m.is_empty())
    }

    /// Sets `ZMQ_INVERT_MATCHING`: a PUB or XPUB sends to peers not subscribed to a message's
    /// prefix, a SUB receives messages matching none of its subscriptions. libzmq takes any
    /// `int` (non-zero is on). Default off.
    pub fn set_invert_matching(&mut self, invert: bool) -> Result<(), OptionError> {
        self.set(N::InvertMatching, invert)
    }

    /// `ZMQ_INVERT_MATCHING`.
    pub fn get_invert_matching(&self) -> bool {
        self.invert_matching
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
