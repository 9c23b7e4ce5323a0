//! The `public` schema of a Firn database: persistent Parquet tables plus the
//! external tables and views registered in it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::SchemaProvider;
use datafusion::common::{DataFusionError, exec_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::execution::SendableRecordBatchStream;

use crate::error::Result;
use crate::storage::object_name::{MAX_NAME_LEN, RESERVED_REASON, is_reserved_on_windows};
use crate::storage::persistent_table::PersistentTable;
use crate::storage::store::DatabaseStore;
use crate::storage::table_log;

/// Schema provider for Firn's default schema.
pub struct FirnSchema {
    store: Arc<DatabaseStore>,
    persistent: RwLock<HashMap<String, PersistentTable>>,
    /// External tables and views: their providers live in memory, their
    /// definitions are persisted separately (see `definitions`).
    registered: RwLock<HashMap<String, Arc<dyn TableProvider>>>,
    /// Persistent tables that could not be opened, with why: kept apart so the
    /// rest of the database works, named in every use, removed by `DROP TABLE`.
    damaged: RwLock<HashMap<String, String>>,
}

impl fmt::Debug for FirnSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirnSchema")
            .field("location", &self.store.display_location())
            .field("tables", &self.table_names())
            .finish()
    }
}

/// Checks that `name` can name a stored relation (a table's directory, a view's
/// or external table's definition file) on every object store and file system.
/// The same rule as every other stored object's (see
/// [`crate::storage::object_name`]), except that SQL relations keep their case
/// and may use non-ASCII letters, as quoted SQL identifiers can.
pub fn validate_table_name(name: &str) -> datafusion::error::Result<()> {
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !valid {
        return plan_err!(
            "name '{}' cannot be stored: names of tables and views are 1-128 letters, \
             digits, '_', '-' or '.', not starting with '.' and without '..'",
            name.escape_debug()
        );
    }
    if is_reserved_on_windows(name) {
        return plan_err!("name '{name}' cannot be stored: {RESERVED_REASON}");
    }
    Ok(())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl FirnSchema {
    /// Opens the schema, loading every persistent table's newest version.
    pub async fn open(store: Arc<DatabaseStore>) -> Result<Self> {
        let mut persistent = HashMap::new();
        let mut damaged = HashMap::new();
        for name in table_log::list_table_names(&store).await? {
            match PersistentTable::open(Arc::clone(&store), &name).await {
                Ok(Some(table)) => {
                    persistent.insert(name, table);
                }
                Ok(None) => {}
                Err(e) => {
                    damaged.insert(name, e.to_string());
                }
            }
        }
        Ok(Self {
            store,
            persistent: RwLock::new(persistent),
            registered: RwLock::new(HashMap::new()),
            damaged: RwLock::new(damaged),
        })
    }

    /// The tables that could not be opened, with why, sorted by name.
    pub fn damaged_tables(&self) -> Vec<(String, String)> {
        let mut damaged: Vec<_> = read(&self.damaged)
            .iter()
            .map(|(name, why)| (name.clone(), why.clone()))
            .collect();
        damaged.sort();
        damaged
    }

    /// Whether `name` is a persistent table, damaged or not (`DROP TABLE` goes to Firn).
    pub fn is_stored_table(&self, name: &str) -> bool {
        read(&self.persistent).contains_key(name) || read(&self.damaged).contains_key(name)
    }

    /// The persistent table `name`, if there is one.
    pub fn persistent_table(&self, name: &str) -> Option<PersistentTable> {
        read(&self.persistent).get(name).cloned()
    }

    /// Creates or replaces persistent table `name` from `stream`; atomic.
    pub async fn create_table(
        &self,
        name: &str,
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
        replace: bool,
    ) -> Result<()> {
        validate_table_name(name)?;
        if read(&self.registered).contains_key(name) {
            return Err(DataFusionError::Plan(format!(
                "'{name}' already exists as an external table or view; drop it first"
            ))
            .into());
        }
        let table =
            PersistentTable::create(Arc::clone(&self.store), name, schema, stream, replace).await?;
        write(&self.persistent).insert(name.to_string(), table);
        Ok(())
    }

    /// Drops persistent table `name`. Returns false if there is none.
    pub async fn drop_table(&self, name: &str) -> Result<bool> {
        if read(&self.damaged).contains_key(name) {
            PersistentTable::remove_damaged(&self.store, name).await?;
            write(&self.damaged).remove(name);
            return Ok(true);
        }
        let Some(table) = self.persistent_table(name) else {
            return Ok(false);
        };
        table.drop_table().await?;
        write(&self.persistent).remove(name);
        Ok(true)
    }
}

#[async_trait]
impl SchemaProvider for FirnSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = read(&self.persistent).keys().cloned().collect();
        names.extend(read(&self.registered).keys().cloned());
        names.extend(read(&self.damaged).keys().cloned());
        names.sort();
        names
    }

    async fn table(&self, name: &str) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        if let Some(table) = self.persistent_table(name) {
            return Ok(Some(Arc::new(table)));
        }
        if let Some(why) = read(&self.damaged).get(name) {
            return plan_err!(
                "table '{name}' is damaged and cannot be read ({why}); the other tables work, \
                 and DROP TABLE {name} removes it"
            );
        }
        Ok(read(&self.registered).get(name).cloned())
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        if self.table_exist(&name) {
            return exec_err!("table '{name}' already exists");
        }
        Ok(write(&self.registered).insert(name, table))
    }

    fn deregister_table(
        &self,
        name: &str,
    ) -> datafusion::error::Result<Option<Arc<dyn TableProvider>>> {
        if read(&self.persistent).contains_key(name) {
            return exec_err!(
                "table '{name}' is persistent; drop it with DROP TABLE through a Firn session"
            );
        }
        Ok(write(&self.registered).remove(name))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.is_stored_table(name) || read(&self.registered).contains_key(name)
    }
}
