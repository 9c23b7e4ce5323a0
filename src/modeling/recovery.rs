//! Finishing a `CREATE MODEL` that died between publishing its version and
//! logging its experiment run: the runs were stored beside the version before
//! it became visible, so when the database next opens they are logged, and
//! every visible version has the run its manifest names.

use std::collections::HashSet;

use super::Modeling;
use crate::error::{Error, Result};
use crate::tracking::RunRecord;

impl Modeling {
    /// Logs the stored runs of visible versions whose run is missing; returns
    /// how many versions it completed.
    pub(crate) async fn log_pending_runs(&self) -> Result<usize> {
        let state = self.tracking.refresh().await?;
        let logged: HashSet<&str> = state.runs.iter().map(|r| r.run_id.as_str()).collect();
        let mut completed = 0;
        for model in self.registry.list_models().await? {
            if model.problem.is_some() && model.versions == 0 {
                continue; // damaged: reported by the listing
            }
            for version in self.registry.list_versions(&model.name).await? {
                let Some(run_id) = &version.run_id else {
                    continue;
                };
                if logged.contains(run_id.as_str()) {
                    continue;
                }
                let Some(json) = self
                    .registry
                    .pending_run(&version.name, &version.version)
                    .await?
                else {
                    continue; // published before runs were stored beside versions
                };
                let records: Vec<RunRecord> =
                    serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                        path: format!("models/{}/{}/run.json", version.name, version.version),
                        reason: format!("not a valid run record: {e}"),
                    })?;
                self.tracking.record(&records).await?;
                completed += 1;
            }
        }
        Ok(completed)
    }
}
