//! Firn over Arrow Flight SQL: `firn serve`, and [`start`] for embedding.
//!
//! Every client gets its own [`Session`](crate::Session) made by the one
//! [`SessionBuilder`](crate::session::SessionBuilder), restricted to files in
//! the database directory and the allowed paths; statements run exactly as in
//! the shell (Firn's own included), queries stream their rows as they are
//! computed, and a client that goes away stops its query.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use firnml::server::{Credentials, ServerConfig};
//! let db = firnml::Database::open("churn.firn").await?;
//! let config = ServerConfig {
//!     port: 0, // a free port
//!     credentials: Credentials::new().with_token("s3cret")?,
//!     ..ServerConfig::default()
//! };
//! let server = firnml::server::start(db, config).await?;
//! println!("grpc://{}", server.local_addr());
//! server.wait().await?;
//! # Ok(()) }
//! ```
//!
//! The pieces, one per file: [`auth`] (tokens, users), [`config`] (address,
//! TLS, checks), `connection` (listeners, numbered connections), `sessions` (one per
//! client), `service` (the Flight SQL calls), `prepared` and `params`
//! (prepared statements and their parameters), `results` (results between
//! `GetFlightInfo` and `DoGet`, streaming), `encoder` (results as Arrow IPC
//! messages), `metadata` (catalog calls),
//! `status` (errors as gRPC statuses), `guard` (malformed requests), [`run`]
//! (`firn serve`), [`allocator`] (freed memory kept for the next message).

pub mod allocator;
pub mod auth;
pub mod config;
mod connection;
mod encoder;
mod guard;
mod metadata;
mod params;
mod prepared;
mod results;
pub mod run;
mod service;
mod sessions;
mod status;
mod write_coalescing;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::{Credentials, Principal};
pub use config::{ServerConfig, TlsFiles, parse_size};

use crate::Database;
use crate::session::FileAccess;
use connection::{Listener, TrackedStream};
use guard::Guarded;
use results::StreamCounter;
use service::FirnFlightSql;
use sessions::{SessionLimits, Sessions};

/// Why a server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A setting is wrong or unsafe.
    #[error("{0}")]
    Config(String),
    /// A file or the network could not be used.
    #[error("{context}: {source}")]
    Io {
        /// What the server was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gRPC transport failed (a bad TLS certificate, say).
    #[error("transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] crate::Error),
    /// The server's task ended abnormally.
    #[error("the server task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// How long a shutdown waits for open calls before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Largest message the server accepts (parameter batches of prepared statements).
const MAX_DECODING_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// A running server.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    unix_socket: Option<PathBuf>,
    shutdown: Option<watch::Sender<bool>>,
    task: JoinHandle<Result<(), ServerError>>,
    sessions: Arc<Sessions>,
    streams: Arc<StreamCounter>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("len", &self.len())
            .finish()
    }
}

impl Drop for RunningServer {
    /// The socket file goes with the server (dropping a server also stops it:
    /// its shutdown sender goes too).
    fn drop(&mut self) {
        if let Some(path) = &self.unix_socket {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl RunningServer {
    /// The address the server listens on (with the port it got).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The Unix domain socket the server also listens on, if asked to.
    pub fn unix_socket(&self) -> Option<&Path> {
        self.unix_socket.as_deref()
    }

    /// Client sessions alive now.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Client sessions made since the server started.
    pub fn sessions_created(&self) -> usize {
        self.sessions.created()
    }

    /// Results being streamed to clients now (a cancelled one stops counting).
    pub fn active_streams(&self) -> usize {
        self.streams.active()
    }

    /// Stops accepting connections, lets open calls finish for up to
    /// [`SHUTDOWN_GRACE`], then closes what is left.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(true);
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(result) => result?,
            Err(_) => {
                self.task.abort();
                Ok(())
            }
        }
    }

    /// Serves until `signal` completes (then shuts down) or the server fails.
    pub async fn serve_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServerError> {
        tokio::select! {
            result = &mut self.task => return result?,
            () = signal => {}
        }
        self.shutdown().await
    }

    /// Waits until the server stops (it stops on its own only on an error).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.serve_until(std::future::pending()).await
    }
}

/// Starts a Flight SQL server over `db`; it runs until shut down.
pub async fn start(db: Database, config: ServerConfig) -> Result<RunningServer, ServerError> {
    let addresses = config.resolve().await?;
    let tls = config.tls_config()?;
    let access = FileAccess::restricted(&config.allowed_paths)?;
    let factory_db = db.clone();
    let statement_timeout = config.statement_timeout;
    let sessions = Arc::new(Sessions::new(
        Box::new(move || {
            factory_db
                .session_builder()
                .with_file_access(access.clone())
                .with_statement_timeout(statement_timeout)
                .build()
        }),
        SessionLimits {
            idle_timeout: config.session_idle_timeout.max(Duration::from_secs(1)),
            max_sessions: config.max_sessions,
        },
    ));
    let listener = bind(&addresses).await?;
    let unix_listener = match &config.unix_socket {
        Some(path) => Some(connection::bind_unix(path)?),
        None => None,
    };
    let local_addr = listener.local_addr().map_err(|source| ServerError::Io {
        context: "cannot read the listening address".into(),
        source,
    })?;
    let streams = Arc::new(StreamCounter::default());
    let service = FirnFlightSql {
        sessions: Arc::clone(&sessions),
        credentials: Arc::new(config.credentials.clone()),
        streams: Arc::clone(&streams),
        sql_info: Arc::new(
            metadata::sql_info().map_err(|s| ServerError::Config(s.message().to_string()))?,
        ),
    };
    let service = FlightServiceServer::new(Guarded(Arc::new(service)))
        .max_decoding_message_size(MAX_DECODING_MESSAGE_BYTES);
    let mut tcp_builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        tcp_builder = tcp_builder.tls_config(tls).map_err(|e| {
            ServerError::Config(format!("the TLS certificate or key cannot be used: {e}"))
        })?;
    }
    let next_id = Arc::new(AtomicU64::new(1));
    let (shutdown, stopped) = watch::channel(false);
    let tcp = serve_on(
        tcp_builder,
        service.clone(),
        connection::incoming(Listener::Tcp(listener), &sessions, &next_id),
        stopped.clone(),
    );
    // The local socket is plain: TLS protects traffic between machines, and the
    // socket file's permissions guard who may connect.
    let unix = unix_listener.map(|listener| {
        serve_on(
            tonic::transport::Server::builder(),
            service,
            connection::incoming(Listener::Unix(listener), &sessions, &next_id),
            stopped,
        )
    });
    let task = tokio::spawn(async move {
        match unix {
            None => tcp.await,
            Some(unix) => tokio::try_join!(tcp, unix).map(|_| ()),
        }
    });
    Ok(RunningServer {
        local_addr,
        unix_socket: config.unix_socket.clone(),
        shutdown: Some(shutdown),
        task,
        sessions,
        streams,
    })
}

/// Serves `service` on the connections of `incoming` until `stopped` turns true
/// (or its sender is dropped).
async fn serve_on<S>(
    mut builder: tonic::transport::Server,
    service: FlightServiceServer<S>,
    incoming: impl futures::Stream<Item = std::io::Result<TrackedStream>> + Send + 'static,
    mut stopped: watch::Receiver<bool>,
) -> Result<(), ServerError>
where
    S: arrow_flight::flight_service_server::FlightService,
{
    builder
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await
        .map_err(ServerError::from)
}

async fn bind(addresses: &[SocketAddr]) -> Result<TcpListener, ServerError> {
    let mut last = None;
    for address in addresses {
        match TcpListener::bind(address).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some((address, e)),
        }
    }
    match last {
        Some((address, source)) => Err(ServerError::Io {
            context: format!("cannot listen on {address}"),
            source,
        }),
        None => Err(ServerError::Config("no address to listen on".into())),
    }
}
