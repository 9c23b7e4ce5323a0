//! How a server is set up: address, credentials, TLS, allowed paths and
//! limits, checked before it starts (no authentication on a public address
//! is refused unless asked for explicitly).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tonic::transport::{Identity, ServerTlsConfig};

use crate::server::ServerError;
use crate::server::auth::Credentials;

/// Where the server's TLS certificate chain and private key are (PEM files).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// A Flight SQL server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The host name or address to listen on (default `127.0.0.1`).
    pub host: String,
    /// The port (default 50051; 0 picks a free one).
    pub port: u16,
    /// Also listen on this Unix domain socket, for clients on the same machine
    /// (`grpc+unix://PATH`): made readable and writable by the server's user
    /// only, replaced when a dead server left it behind, removed at shutdown.
    pub unix_socket: Option<PathBuf>,
    /// Accepted tokens and users; empty means no authentication.
    pub credentials: Credentials,
    /// TLS, when given.
    pub tls: Option<TlsFiles>,
    /// Directories remote sessions may read and write besides the database's.
    pub allowed_paths: Vec<PathBuf>,
    /// Listen on a non-loopback address without authentication (refused otherwise).
    pub insecure_no_auth: bool,
    /// A client session unused this long is dropped (default 8 hours).
    pub session_idle_timeout: Duration,
    /// At most this many client sessions at once (default 1,000).
    pub max_sessions: usize,
    /// Each session's default statement timeout (zero: none); see
    /// `firn.statement_timeout_seconds`.
    pub statement_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 50051,
            unix_socket: None,
            credentials: Credentials::new(),
            tls: None,
            allowed_paths: Vec::new(),
            insecure_no_auth: false,
            session_idle_timeout: Duration::from_secs(8 * 60 * 60),
            max_sessions: 1000,
            statement_timeout: Duration::ZERO,
        }
    }
}

impl ServerConfig {
    /// The addresses `host:port` resolves to, after the security checks.
    pub(crate) async fn resolve(&self) -> Result<Vec<SocketAddr>, ServerError> {
        let addresses: Vec<SocketAddr> = match self.host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, self.port)],
            Err(_) => tokio::net::lookup_host((self.host.as_str(), self.port))
                .await
                .map_err(|source| ServerError::Io {
                    context: format!("cannot resolve host '{}'", self.host),
                    source,
                })?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(ServerError::Config(format!(
                "host '{}' resolves to no address",
                self.host
            )));
        }
        let public = addresses.iter().any(|a| !a.ip().is_loopback());
        if public && self.credentials.is_empty() && !self.insecure_no_auth {
            return Err(ServerError::Config(format!(
                "refusing to listen on '{}' (not a loopback address) without authentication: \
                 give --token, --auth-file or FIRN_TOKEN / FIRN_USER and FIRN_PASSWORD \
                 (or --insecure-no-auth to allow anyone who can reach the port)",
                self.host
            )));
        }
        if self.max_sessions == 0 {
            return Err(ServerError::Config(
                "max sessions must be at least 1".into(),
            ));
        }
        Ok(addresses)
    }

    /// The TLS settings for tonic, reading the PEM files.
    pub(crate) fn tls_config(&self) -> Result<Option<ServerTlsConfig>, ServerError> {
        let Some(files) = &self.tls else {
            return Ok(None);
        };
        let read = |path: &PathBuf, what: &str| {
            std::fs::read(path).map_err(|source| ServerError::Io {
                context: format!("cannot read the TLS {what} '{}'", path.display()),
                source,
            })
        };
        let cert = read(&files.cert, "certificate")?;
        let key = read(&files.key, "private key")?;
        Ok(Some(
            ServerTlsConfig::new().identity(Identity::from_pem(cert, key)),
        ))
    }
}

/// Parses a size such as `512M`, `2G`, `1.5GiB` or `1000000` (bytes).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 512M or 2G"))?;
    let multiplier: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size unit '{other}'; use K, M, G or T")),
    };
    let bytes = number * multiplier;
    if !(bytes >= 1.0 && bytes < usize::MAX as f64) {
        return Err(format!("'{text}' is not a usable size"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn public_addresses_need_authentication() {
        let mut config = ServerConfig {
            host: "0.0.0.0".into(),
            port: 0,
            ..ServerConfig::default()
        };
        let err = config.resolve().await.unwrap_err();
        assert!(err.to_string().contains("without authentication"), "{err}");
        config.insecure_no_auth = true;
        assert!(config.resolve().await.is_ok());
        config.insecure_no_auth = false;
        config.credentials = Credentials::new().with_token("t0ken").expect("token");
        assert!(config.resolve().await.is_ok());
        let local = ServerConfig {
            port: 0,
            ..ServerConfig::default()
        };
        assert!(local.resolve().await.is_ok());
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512M"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_size("2G"), Ok(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_size("1.5GiB"), Ok(3 * 512 * 1024 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("0").is_err());
    }
}
