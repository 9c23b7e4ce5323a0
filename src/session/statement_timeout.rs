//! `SET firn.statement_timeout_seconds = 30`: a statement that runs longer is
//! stopped with an error, like PostgreSQL's `statement_timeout`. The server's
//! `--statement-timeout` sets the default of its sessions; `0` means no limit.
//!
//! Stopping a statement drops its future: a query stops reading, and a commit
//! not yet published never becomes visible. A `CREATE MODEL` stopped while
//! training publishes nothing, and its training stops before its next fit
//! (see `crate::modeling::cancel`).

use std::time::Duration;

use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::extensions_options;
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

extensions_options! {
    /// Firn's own session settings (`SET firn.<name> = <value>`).
    pub struct FirnSettings {
        /// Seconds a statement may run before it is stopped; 0: no limit.
        pub statement_timeout_seconds: u64, default = 0
    }
}

impl ConfigExtension for FirnSettings {
    const PREFIX: &'static str = "firn";
}

/// The statement timeout a configuration sets, if any.
pub(crate) fn in_options(options: &ConfigOptions) -> Option<Duration> {
    let seconds = options
        .extensions
        .get::<FirnSettings>()
        .map_or(0, |s| s.statement_timeout_seconds);
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// The session's statement timeout, if any.
pub(crate) fn of(ctx: &SessionContext) -> Option<Duration> {
    in_options(ctx.state().config().options())
}

/// Runs `work`, stopping it with [`Error::StatementTimeout`] after `limit`.
pub(crate) async fn limit<T>(
    limit: Option<Duration>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    match limit {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(Error::StatementTimeout {
                seconds: limit.as_secs(),
            }),
        },
    }
}
