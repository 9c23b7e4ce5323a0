//! Experiment tracking: experiments, runs, their parameters, metrics and tags,
//! kept in the database as one append-only Parquet table of events
//! (`<db>/experiments/log/`, versioned by the same commit log as tables).
//!
//! Every logging call appends one Parquet file and commits it with
//! put-if-absent, retrying on a concurrent commit — so a call's values land
//! together or not at all, and concurrent loggers never lose each other's
//! values. Readers fold the events into [`TrackingState`]; the system tables
//! `firn.experiments`, `firn.runs`, `firn.run_params` and `firn.run_metrics`
//! show it, and `compare_runs(…)` pivots it.
//!
//! Experiment and run names follow model names' rules (letters, digits, `_`,
//! `-`, `.`) and are case-insensitive: they are stored in lower case. A run's
//! name is unique within its experiment.

pub mod event;
mod log;
pub mod state;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use datafusion::error::DataFusionError;

pub use event::{Event, EventKind};
pub use log::{NewRun, RunRecord};
pub use state::{Experiment, MetricValue, Run, TrackingState};

use crate::error::{Error, Result, plan_error};
use crate::storage::clock::Clock;
use crate::storage::crash_point;
use crate::storage::object_name::validate_name;
use crate::storage::persistent_table::PersistentTable;
use crate::storage::store::DatabaseStore;

/// The tracking log's directory in the database.
pub const LOG_DIR: &str = "experiments/log";

/// The experiments and runs of one database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Tracking {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<DatabaseStore>,
    clock: Arc<dyn Clock>,
    /// The log table, once it exists.
    table: Mutex<Option<PersistentTable>>,
    /// Decoded events of each data file read so far (files never change).
    files: Mutex<HashMap<String, Arc<Vec<Event>>>>,
    /// The state as of the last refresh.
    state: RwLock<Arc<TrackingState>>,
}

/// A validated, lower-case experiment name.
pub fn experiment_name(value: &str) -> Result<String> {
    validate_name("experiment name", value, ('@', "model@version"), false)
}

/// A validated, lower-case run name.
pub fn run_name(value: &str) -> Result<String> {
    validate_name("run name", value, ('@', "model@version"), false)
}

impl Tracking {
    /// The tracking log kept in `store`, timestamping with `clock`.
    pub fn new(store: Arc<DatabaseStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                table: Mutex::new(None),
                files: Mutex::new(HashMap::new()),
                state: RwLock::new(Arc::new(TrackingState::default())),
            }),
        }
    }

    /// "Now" in milliseconds since the Unix epoch (the database's clock).
    pub fn now(&self) -> i64 {
        self.inner.clock.now().timestamp_millis()
    }

    /// The state as of the last [`Tracking::refresh`] (planning reads this; it
    /// cannot wait for storage).
    pub fn cached(&self) -> Arc<TrackingState> {
        Arc::clone(&self.inner.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads what other sessions and processes logged since the last refresh.
    pub async fn refresh(&self) -> Result<Arc<TrackingState>> {
        let table = match self.table().await? {
            Some(table) => table,
            None => return Ok(self.cached()),
        };
        table.refresh().await?;
        let commit = table.commit();
        let mut events = Vec::new();
        for file in &commit.files {
            events.extend(self.file_events(&table, &file.path).await?.iter().cloned());
        }
        // Files are in commit order; events within a file in log order.
        let state = Arc::new(TrackingState::from_events(&events));
        *self.inner.state.write().unwrap_or_else(|e| e.into_inner()) = Arc::clone(&state);
        Ok(state)
    }

    async fn table(&self) -> Result<Option<PersistentTable>> {
        let known = self
            .inner
            .table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(table) = known {
            return Ok(Some(table));
        }
        let opened =
            PersistentTable::open_at(Arc::clone(&self.inner.store), "tracking log", LOG_DIR)
                .await?;
        if let Some(table) = &opened {
            *self.inner.table.lock().unwrap_or_else(|e| e.into_inner()) = Some(table.clone());
        }
        Ok(opened)
    }

    async fn file_events(&self, table: &PersistentTable, file: &str) -> Result<Arc<Vec<Event>>> {
        let cached = self
            .inner
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(file)
            .cloned();
        if let Some(events) = cached {
            return Ok(events);
        }
        let relative = format!("{}/{file}", table.dir());
        let path = self.inner.store.path(&relative);
        let Some(bytes) = self.inner.store.get(&path).await? else {
            return Err(Error::Corrupt {
                path: relative,
                reason: "a data file of the tracking log is missing".into(),
            });
        };
        let corrupt = |e: String| Error::Corrupt {
            path: relative.clone(),
            reason: e,
        };
        let reader =
            datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                bytes,
            )
            .and_then(|b| b.build())
            .map_err(|e| corrupt(e.to_string()))?;
        let mut events = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| corrupt(e.to_string()))?;
            events.extend(event::from_batch(&batch).map_err(|e| corrupt(e.to_string()))?);
        }
        let events = Arc::new(events);
        self.inner
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file.to_string(), Arc::clone(&events));
        Ok(events)
    }

    /// Appends `events` as one commit.
    pub async fn append(&self, events: Vec<Event>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let batch = event::to_batch(&events)?;
        crash_point::reached("tracking.before_append");
        let stream = || -> Result<datafusion::execution::SendableRecordBatchStream> {
            Ok(Box::pin(
                datafusion::physical_plan::memory::MemoryStream::try_new(
                    vec![batch.clone()],
                    event::schema(),
                    None,
                )?,
            ))
        };
        match self.table().await? {
            Some(table) => {
                table.write(stream()?, false).await?;
            }
            None => {
                let created = PersistentTable::create_at(
                    Arc::clone(&self.inner.store),
                    "tracking log",
                    LOG_DIR,
                    event::schema(),
                    stream()?,
                    false,
                )
                .await;
                match created {
                    Ok(table) => {
                        *self.inner.table.lock().unwrap_or_else(|e| e.into_inner()) = Some(table);
                    }
                    // Another writer created the log first: append to theirs.
                    Err(_) => match self.table().await? {
                        Some(table) => {
                            table.write(stream()?, false).await?;
                        }
                        None => {
                            return Err(Error::DataFusion(DataFusionError::Execution(
                                "the tracking log could not be created".into(),
                            )));
                        }
                    },
                }
            }
        }
        self.refresh().await?;
        Ok(())
    }
}
