//! Accepted connections (TCP, or a Unix domain socket for clients on the same
//! machine), numbered, so a client's session can belong to its connection and
//! be dropped — with its prepared statements and unread results — the moment
//! the client goes away.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tonic::Request;
use tonic::transport::server::{Connected, TlsConnectInfo};

use crate::server::ServerError;
use crate::server::sessions::Sessions;
use crate::server::write_coalescing::CoalescingWriter;

/// What a request knows about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConnectionInfo {
    /// Unique for the life of the server.
    pub(crate) id: u64,
    /// The client's address (none on a Unix domain socket).
    pub(crate) remote: Option<SocketAddr>,
}

/// The connection a request arrived on (plain TCP or TLS).
pub(crate) fn connection_of<T>(request: &Request<T>) -> Option<ConnectionInfo> {
    let extensions = request.extensions();
    extensions.get::<ConnectionInfo>().copied().or_else(|| {
        extensions
            .get::<TlsConnectInfo<ConnectionInfo>>()
            .map(|info| *info.get_ref())
    })
}

/// A listening socket: TCP, or a Unix domain socket (a local client's data
/// then skips the TCP/IP stack: one copy into the peer's socket buffer).
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    async fn accept(&self) -> io::Result<(Transport, Option<SocketAddr>)> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, remote) = listener.accept().await?;
                // Small messages (metadata calls) should not wait for Nagle's algorithm.
                let _ = stream.set_nodelay(true);
                Ok((Transport::Tcp(stream), Some(remote)))
            }
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                Ok((Transport::Unix(stream), None))
            }
        }
    }
}

/// Listens on the Unix domain socket `path`, readable and writable by this
/// user only. A socket file nobody listens on (a server that died) is
/// replaced; a live server's socket, or any other kind of file, is refused.
pub(crate) fn bind_unix(path: &Path) -> Result<UnixListener, ServerError> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let shown = path.display();
    if let Ok(existing) = std::fs::symlink_metadata(path) {
        if !existing.file_type().is_socket() {
            return Err(ServerError::Config(format!(
                "'{shown}' exists and is not a socket: refusing to replace it \
                 (give --socket a path that does not exist yet)"
            )));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(ServerError::Config(format!(
                    "another server is already listening on the socket '{shown}'"
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path).map_err(|source| ServerError::Io {
                    context: format!("cannot remove the stale socket '{shown}'"),
                    source,
                })?;
            }
            Err(source) => {
                return Err(ServerError::Io {
                    context: format!("cannot check the existing socket '{shown}'"),
                    source,
                });
            }
        }
    }
    let listener = UnixListener::bind(path).map_err(|source| ServerError::Io {
        context: format!("cannot listen on the Unix socket '{shown}'"),
        source,
    })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        let _ = std::fs::remove_file(path);
        ServerError::Io {
            context: format!("cannot restrict the Unix socket '{shown}' to its owner"),
            source,
        }
    })?;
    Ok(listener)
}

/// An accepted connection's byte stream.
enum Transport {
    Tcp(TcpStream),
    Unix(UnixStream),
}

/// A connection that tells the session registry when it closes. Its writes
/// are coalesced ([`CoalescingWriter`]).
pub(crate) struct TrackedStream {
    stream: CoalescingWriter<Transport>,
    info: ConnectionInfo,
    sessions: Weak<Sessions>,
}

impl Drop for TrackedStream {
    fn drop(&mut self) {
        if let Some(sessions) = self.sessions.upgrade() {
            sessions.connection_closed(self.info.id);
        }
    }
}

impl Connected for TrackedStream {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> ConnectionInfo {
        self.info
    }
}

/// Calls `$call` on whichever stream the transport holds.
macro_rules! on_stream {
    ($transport:expr, $stream:ident => $call:expr) => {
        match $transport {
            Transport::Tcp($stream) => $call,
            Transport::Unix($stream) => $call,
        }
    };
}

impl AsyncRead for Transport {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        on_stream!(&mut *self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        on_stream!(&mut *self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_stream!(&mut *self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_stream!(&mut *self, s => Pin::new(s).poll_shutdown(cx))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        on_stream!(&mut *self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        on_stream!(self, s => s.is_write_vectored())
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The connections `listener` accepts. A failed accept (out of file
/// descriptors, say) is retried after a pause rather than ending the server.
/// `next_id` numbers connections across all of a server's listeners.
pub(crate) fn incoming(
    listener: Listener,
    sessions: &Arc<Sessions>,
    next_id: &Arc<AtomicU64>,
) -> impl Stream<Item = io::Result<TrackedStream>> + use<> {
    let next_id = Arc::clone(next_id);
    let sessions = Arc::downgrade(sessions);
    futures::stream::unfold(listener, move |listener| {
        let next_id = Arc::clone(&next_id);
        let sessions = sessions.clone();
        async move {
            loop {
                match listener.accept().await {
                    Ok((stream, remote)) => {
                        let info = ConnectionInfo {
                            id: next_id.fetch_add(1, Ordering::Relaxed),
                            remote,
                        };
                        let tracked = TrackedStream {
                            stream: CoalescingWriter::new(stream),
                            info,
                            sessions: sessions.clone(),
                        };
                        return Some((Ok(tracked), listener));
                    }
                    Err(e) => {
                        eprintln!("firn serve: accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    })
}
