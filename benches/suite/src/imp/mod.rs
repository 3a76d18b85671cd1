//! One module per implementation, each running any role of a job.

pub mod libzmq;
pub mod omq;
pub mod raw;
pub mod zeromq;
pub mod zmtp;
