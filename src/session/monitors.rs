//! The monitor statements: `CREATE MONITOR` checks the model (a version, an
//! alias or its default, resolved now and again at every run), the data
//! (planned now: it must have the model's features, and the label and
//! timestamp columns named) and the options, then stores the definition;
//! `DROP MONITOR` removes it; `RUN MONITOR` runs `run_monitor('name')`.

use crate::error::{Result, plan_error};
use crate::monitoring::monitors::{MonitorDef, MonitorOptions, data_query, monitor_name};
use crate::session::{QueryOutput, Session};
use crate::sql::{CreateMonitor, DropMonitor};

/// The column of `columns` named `name` (exactly, else the one match ignoring case).
fn has_column(columns: &[String], name: &str) -> bool {
    columns.iter().any(|c| c == name)
        || columns
            .iter()
            .filter(|c| c.eq_ignore_ascii_case(name))
            .count()
            == 1
}

/// `CREATE MONITOR [IF NOT EXISTS] name ON MODEL m[@alias] DATA '…' …`.
pub(super) async fn create_monitor(
    session: &Session,
    statement: CreateMonitor,
) -> Result<QueryOutput> {
    let name = monitor_name(&statement.name)?;
    if statement.if_not_exists && session.services.monitors.get(&name).await.is_ok() {
        return Ok(QueryOutput::empty());
    }
    MonitorOptions::parse(&statement.options)?;
    let reference = match &statement.alias {
        Some(alias) => format!("{}@{alias}", statement.model),
        None => statement.model.clone(),
    };
    let model = session.services.resolver.preload(&reference).await?;
    if model.manifest.profile.is_none() {
        return Err(plan_error(format!(
            "CREATE MONITOR {name}: model '{}' has no training profile: it was made before Firn \
             recorded one; train it again with CREATE MODEL to monitor it",
            model.model.reference
        )));
    }
    let frame = session
        .dataframe(&data_query(&statement.data))
        .await
        .map_err(|e| {
            plan_error(format!(
                "CREATE MONITOR {name}: cannot read the data '{}': {e}",
                statement.data
            ))
        })?;
    let columns: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for feature in model.model.ensemble.features() {
        if !has_column(&columns, &feature.name) {
            return Err(plan_error(format!(
                "CREATE MONITOR {name}: the data has no column '{}', a feature of model '{}'; its columns are: {}",
                feature.name,
                model.model.reference,
                columns.join(", ")
            )));
        }
    }
    for (what, column) in [
        ("label", &statement.label),
        ("timestamp", &statement.timestamp),
    ] {
        if let Some(column) = column
            && !has_column(&columns, column)
        {
            return Err(plan_error(format!(
                "CREATE MONITOR {name}: the data has no {what} column '{column}'; its columns are: {}",
                columns.join(", ")
            )));
        }
    }
    session
        .services
        .monitors
        .create(
            MonitorDef {
                format_version: 0,
                name,
                model: statement.model,
                alias: statement.alias,
                data: statement.data,
                label: statement.label,
                timestamp: statement.timestamp,
                options: statement.options,
                created_at: String::new(),
            },
            statement.if_not_exists,
        )
        .await?;
    Ok(QueryOutput::empty())
}

/// `DROP MONITOR [IF EXISTS] name`.
pub(super) async fn drop_monitor(
    session: &Session,
    statement: &DropMonitor,
) -> Result<QueryOutput> {
    session
        .services
        .monitors
        .drop_monitor(&statement.name, statement.if_exists)
        .await?;
    Ok(QueryOutput::empty())
}
