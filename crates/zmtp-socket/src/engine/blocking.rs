//! A connection's blocking jobs, run off the I/O thread.
//!
//! A mechanism whose handshake step may block (GSSAPI: acquiring credentials and each
//! security-context step, which can wait on a Kerberos KDC over the network) does not make
//! the call inside [`zmtp_codec::Connection::handle_input`]: it hands it out as a [`BlockingJob`], which the
//! connection offers through [`zmtp_codec::Connection::poll_blocking`]. Made inline, the call would stall
//! every connection of the I/O thread (libzmq's GSSAPI does just that). Here the job goes to
//! Tokio's blocking pool with [`tokio::task::spawn_blocking`]; the connection task sleeps on
//! its join handle like on any other source and, once woken, hands the output back with
//! [`zmtp_codec::Connection::handle_blocking_done`], which resumes the handshake.
//!
//! NULL, PLAIN and CURVE never hand out a job: for them this is one `Option` checked per turn
//! of the driver's loop.
//!
//! If the connection task ends while a job runs (the socket closed, the handshake deadline ran
//! out), the job is left to finish on its pool thread (a blocking call cannot be interrupted),
//! and what it returns, the security context with it, is dropped there.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::task::JoinHandle;
use zmtp_codec::{BlockingOutput, ConnectionError, MechanismError, Protocol};

/// The job of one connection, while it runs.
#[derive(Debug, Default)]
pub(crate) struct BlockingJobs {
    /// The running job: what it does, and its handle on the blocking pool.
    running: Option<(&'static str, JoinHandle<BlockingOutput>)>,
}

impl BlockingJobs {
    /// Starts the job `conn` hands out, if any, and passes a finished job's output back to it
    /// (or ends the connection if the job could not finish). Registers `cx` to be woken when
    /// the running job ends. Whether anything happened.
    pub(crate) fn poll<P: Protocol>(&mut self, conn: &mut P, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        if self.running.is_none() {
            if let Some(job) = conn.poll_blocking() {
                let what = job.what();
                tracing::debug!(
                    job = what,
                    "running the mechanism's blocking job off-thread"
                );
                self.running = Some((what, tokio::task::spawn_blocking(move || job.run())));
                progress = true;
            }
        }
        let Some((what, handle)) = self.running.as_mut() else {
            return progress;
        };
        let done = match Pin::new(handle).poll(cx) {
            Poll::Pending => return progress,
            Poll::Ready(done) => done,
        };
        let what = *what;
        self.running = None;
        match done {
            Ok(output) => conn.handle_blocking_done(Instant::now(), output),
            // The job panicked, or the runtime is shutting down.
            Err(e) => conn.abort(ConnectionError::Mechanism(
                MechanismError::BlockingJobFailed {
                    what,
                    reason: e.to_string(),
                },
            )),
        }
        true
    }
}
