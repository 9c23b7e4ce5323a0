//! Which cluster a database's sessions run their queries on: `df://HOST:PORT`,
//! the address of a Ballista scheduler (`firn cluster scheduler`).

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// How long opening a database in cluster mode waits for the scheduler.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A Ballista scheduler's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    host: String,
    port: u16,
}

impl ClusterTarget {
    /// Parses `df://HOST:PORT` (`HOST:PORT` alone is accepted too).
    pub fn parse(text: &str) -> Result<Self> {
        let expected = || {
            Error::Unsupported(format!(
                "'{text}' is not a cluster address; expected df://HOST:PORT, e.g. df://127.0.0.1:50050"
            ))
        };
        let address = match text.split_once("://") {
            Some(("df", rest)) => rest,
            Some(_) => return Err(expected()),
            None => text,
        };
        let address = address.trim_end_matches('/');
        let (host, port) = address.rsplit_once(':').ok_or_else(expected)?;
        let port: u16 = port.parse().map_err(|_| expected())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(expected());
        }
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }

    /// Checks that a scheduler listens at the address, within a few seconds.
    pub async fn check_reachable(&self) -> Result<()> {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let reason = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => format!(
                "{e}; start one with `firn cluster scheduler --port {}`",
                self.port
            ),
            Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        };
        Err(Error::ClusterUnavailable {
            target: self.to_string(),
            reason,
        })
    }

    /// The scheduler's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The scheduler's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL Ballista's client connects to.
    pub(crate) fn scheduler_url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for ClusterTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "df://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "df://{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cluster_addresses() {
        let target = ClusterTarget::parse("df://127.0.0.1:50050").expect("parses");
        assert_eq!(target.to_string(), "df://127.0.0.1:50050");
        assert_eq!(target.scheduler_url(), "http://127.0.0.1:50050");
        assert_eq!(
            ClusterTarget::parse("localhost:7")
                .expect("parses")
                .scheduler_url(),
            "http://localhost:7"
        );
        assert_eq!(
            ClusterTarget::parse("df://[::1]:9/")
                .expect("parses")
                .to_string(),
            "df://[::1]:9"
        );
        for bad in [
            "http://h:1",
            "df://h",
            "df://:1",
            "df://h:0",
            "df://h:x",
            "h:70000",
        ] {
            let error = ClusterTarget::parse(bad).expect_err(bad).to_string();
            assert!(error.contains("expected df://HOST:PORT"), "{bad}: {error}");
        }
    }
}
