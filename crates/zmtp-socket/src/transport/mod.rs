//! Transports: how connections are made. Each hands byte streams to the connection engine.

pub(crate) mod tcp;
