//! Tracking against storage: concurrent loggers, reopening, damaged files.

use std::sync::Arc;

use super::*;
use crate::storage::clock::SystemClock;

fn tracking(store: &Arc<DatabaseStore>) -> Tracking {
    Tracking::new(Arc::clone(store), Arc::new(SystemClock))
}

#[tokio::test]
async fn concurrent_loggers_lose_nothing() {
    let store = Arc::new(DatabaseStore::memory());
    let writers: Vec<_> = (0..6)
        .map(|i| {
            let t = tracking(&store);
            tokio::spawn(async move {
                let run = NewRun::new("exp", &format!("run{i}")).expect("names");
                t.log_metrics(&run, &[("m".to_string(), i as f64, None)])
                    .await
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("task").expect("logged");
    }
    let state = tracking(&store).refresh().await.expect("read");
    assert_eq!(state.runs.len(), 6);
    let mut values: Vec<f64> = state.runs.iter().map(|r| r.latest_metrics()["m"]).collect();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[tokio::test]
async fn a_second_handle_sees_what_the_first_logged() {
    let store = Arc::new(DatabaseStore::memory());
    let first = tracking(&store);
    let second = tracking(&store);
    let run = NewRun::new("Exp", "Run").expect("names");
    assert_eq!((run.experiment.as_str(), run.name.as_str()), ("exp", "run"));
    first.start_run(&run).await.expect("start");
    second
        .log_params(&run, &[("depth".into(), "3".into())])
        .await
        .expect("param through the other handle");
    let state = first.refresh().await.expect("read");
    assert_eq!(
        state.runs.len(),
        1,
        "logging to an existing run does not start another"
    );
    assert_eq!(state.runs[0].params["depth"], "3");
    assert!(
        second
            .start_run(&run)
            .await
            .expect_err("same name")
            .to_string()
            .contains("already has a run 'run'")
    );
}

#[tokio::test]
async fn a_damaged_log_file_is_an_error_naming_it() {
    let store = Arc::new(DatabaseStore::memory());
    let t = tracking(&store);
    t.create_experiment("exp", None, false)
        .await
        .expect("create");
    let files = store.list(&store.path(LOG_DIR)).await.expect("list");
    let data = files
        .iter()
        .find(|m| m.location.as_ref().ends_with(".parquet"))
        .expect("a data file");
    store
        .put(&data.location, bytes::Bytes::from_static(b"not parquet"))
        .await
        .expect("damage");
    let error = tracking(&store)
        .refresh()
        .await
        .expect_err("damaged")
        .to_string();
    assert!(
        error.contains("corrupt database file 'experiments/log/data/"),
        "{error}"
    );
}
