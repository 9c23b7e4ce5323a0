//! Finishing a `CREATE MODEL` that died between publishing its version and
//! logging its experiment run: the runs were stored beside the version before
//! it became visible, so when the database next opens they are logged, and
//! every visible version has the run its manifest names.

use std::collections::HashSet;

use super::Modeling;
use crate::error::{Error, Result};
use crate::tracking::RunRecord;

impl Modeling {
    /// Logs the stored runs of visible versions whose run is missing, then
    /// forgets the stored runs of every visible version; returns how many
    /// versions it completed. Only versions that still have stored runs are
    /// read: after a clean `CREATE MODEL` there are none, so this is one listing.
    pub(crate) async fn log_pending_runs(&self) -> Result<usize> {
        let pending = self.registry.versions_with_pending_runs().await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let state = self.tracking.refresh().await?;
        let logged: HashSet<&str> = state.runs.iter().map(|r| r.run_id.as_str()).collect();
        let mut completed = 0;
        let mut models: Vec<&str> = pending.iter().map(|(model, _)| model.as_str()).collect();
        models.dedup();
        for model in models {
            // A damaged model is reported by the listing; its files stay as they are.
            let Ok(versions) = self.registry.list_versions(model).await else {
                continue;
            };
            for version in versions {
                if !pending.contains(&(version.name.clone(), version.version.clone())) {
                    continue;
                }
                if let Some(run_id) = &version.run_id
                    && !logged.contains(run_id.as_str())
                {
                    let Some(json) = self
                        .registry
                        .pending_run(&version.name, &version.version)
                        .await?
                    else {
                        continue;
                    };
                    let records: Vec<RunRecord> =
                        serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                            path: format!("models/{}/{}/run.json", version.name, version.version),
                            reason: format!("not a valid run record: {e}"),
                        })?;
                    self.tracking.record(&records).await?;
                    completed += 1;
                }
                self.registry
                    .forget_pending_run(&version.name, &version.version)
                    .await?;
            }
        }
        Ok(completed)
    }
}

#[cfg(test)]
mod tests {
    use crate::Database;
    use crate::registry::{ModelRef, NewVersion};
    use crate::tracking::RunRecord;

    async fn count(db: &Database, sql: &str) -> i64 {
        let batches = db.sql(sql).await.expect("query");
        let column = batches[0].column(0);
        column
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .expect("a count")
            .value(0)
    }

    /// A clean `CREATE MODEL` leaves no runs to finish; a version published
    /// without its run logged (a crash in between) is logged at the next open,
    /// and then nothing is left either.
    #[tokio::test]
    async fn stored_runs_are_logged_at_open_and_forgotten_once_logged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        let location = path.to_str().expect("utf-8");
        let run_file = |version: &str| path.join(format!("models/m/{version}/run.json"));
        {
            let db = Database::open(location).await.expect("create");
            db.sql(
                "CREATE TABLE t AS SELECT value AS id, CAST(value % 7 AS DOUBLE) AS x, \
                 value % 2 AS y FROM generate_series(1, 60); \
                 CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
                 n_estimators 2, experiment 'exp') AS SELECT * FROM t",
            )
            .await
            .expect("a model");
            assert!(!run_file("v1").exists(), "v1's run is logged");
            // v2 as a crash after publishing and before logging leaves it.
            let registry = db.registry();
            let (_, model) = registry
                .load(&ModelRef::parse("m@v1").expect("a reference"))
                .await
                .expect("v1");
            let record = RunRecord {
                run_id: "run-after-crash".into(),
                experiment: "exp".into(),
                name: "m-v2".into(),
                params: vec![],
                metrics: vec![("auc".into(), 0.5)],
                tags: vec![],
                status: "FINISHED".into(),
                started_at: None,
            };
            let new = NewVersion {
                run_id: Some(record.run_id.clone()),
                pending_run: Some(serde_json::to_string(&[record]).expect("json")),
                ..NewVersion::new("m", "v2")
            };
            registry.publish(&model, new).await.expect("v2");
            assert!(run_file("v2").exists());
        }
        let db = Database::open(location).await.expect("reopen");
        assert!(db.warnings().is_empty(), "{:?}", db.warnings());
        let logged = "SELECT count(*) FROM firn.runs WHERE run_id = 'run-after-crash'";
        assert_eq!(count(&db, logged).await, 1, "v2's run is logged at open");
        assert!(!run_file("v2").exists(), "and then forgotten");
        drop(db);
        let db = Database::open(location).await.expect("reopen");
        assert_eq!(count(&db, logged).await, 1, "logged once");
        assert_eq!(count(&db, "SELECT count(*) FROM firn.runs").await, 2);
    }
}
