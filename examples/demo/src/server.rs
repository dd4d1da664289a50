//! The running demo, whichever framework serves it: a future to await or spawn,
//! its address, and a handle that stops it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::watch;

/// The demo's server, bound and not yet running: await it (or spawn it) to
/// serve; [`Server::handle`] stops it.
#[must_use = "the server serves only while it is awaited or spawned"]
pub struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    serving: Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>,
}

/// Stops a [`Server`]; clones stop the same server.
#[derive(Clone)]
pub struct ServerHandle(Stop);

#[derive(Clone)]
enum Stop {
    Actix(actix_web::dev::ServerHandle),
    /// Tells the axum server to stop (`Some(graceful)`), and learns when it has.
    Axum {
        stop: watch::Sender<Option<bool>>,
        stopped: watch::Receiver<bool>,
    },
}

impl Server {
    pub(crate) fn actix(server: actix_web::dev::Server, addr: SocketAddr) -> Self {
        let handle = ServerHandle(Stop::Actix(server.handle()));
        Self { addr, handle, serving: Box::pin(server) }
    }

    /// An axum server: `serve` runs until the receiver it is given says stop
    /// (`Some(true)`: let open requests finish; `Some(false)`: now).
    pub(crate) fn axum<F, Fut>(addr: SocketAddr, serve: F) -> Self
    where
        F: FnOnce(watch::Receiver<Option<bool>>) -> Fut,
        Fut: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (stop, stop_requested) = watch::channel(None);
        let (stopped_tx, stopped) = watch::channel(false);
        let serving = serve(stop_requested);
        let serving = async move {
            let result = serving.await;
            stopped_tx.send_replace(true);
            result
        };
        Self { addr, handle: ServerHandle(Stop::Axum { stop, stopped }), serving: Box::pin(serving) }
    }

    /// The address it listens on (the port is chosen when the settings ask for 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

impl Future for Server {
    type Output = std::io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.serving.as_mut().poll(cx)
    }
}

impl ServerHandle {
    /// Stops the server, letting open requests finish when `graceful`, and
    /// returns once it has stopped.
    pub async fn stop(&self, graceful: bool) {
        match &self.0 {
            Stop::Actix(handle) => handle.stop(graceful).await,
            Stop::Axum { stop, stopped } => {
                stop.send_replace(Some(graceful));
                let mut stopped = stopped.clone();
                // An error means the server is gone: stopped as well.
                let _ = stopped.wait_for(|done| *done).await;
            }
        }
    }
}
