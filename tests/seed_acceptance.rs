//! Acceptance on the seed hands-on's own data (`../shared/seed-data`): the SQL
//! scripts run through the `firn` binary into a database on disk; the labels and
//! every feature of every customer are then checked against an independent
//! computation written here in plain Rust (no SQL, no DataFusion).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use firnml::Database;
use firnml::arrow::array::{AsArray, RecordBatch};
use firnml::arrow::compute::cast;
use firnml::arrow::datatypes::{DataType, Float64Type};

const SEED_DIR: &str = "../shared/seed-data";

/// Days since 1970-01-01 of an ISO date (Howard Hinnant's days_from_civil).
fn days(date: &str) -> i64 {
    let mut parts = date
        .split('-')
        .map(|p| p.parse::<i64>().expect("numeric date part"));
    let (y, m, d) = (
        parts.next().expect("year"),
        parts.next().expect("month"),
        parts.next().expect("day"),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the seed data must be beside the project)",
            path.display()
        )
    });
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[derive(Debug, Default, Clone)]
struct Expected {
    segment: String,
    label: Option<i64>,
    days_since_last_order: f64,
    total_order_count: f64,
    order_count_2024: f64,
    total_order_amount: f64,
    avg_order_amount: f64,
    total_amount_2024: f64,
    return_rate: f64,
}

/// The seed guide's definitions, computed directly from the CSV rows.
fn independent_computation() -> HashMap<String, Expected> {
    let (window_start, cutoff, horizon_end) =
        (days("2024-01-01"), days("2024-06-30"), days("2024-12-31"));
    let mut customers: HashMap<String, Expected> =
        read_csv(&Path::new(SEED_DIR).join("customers.csv"))
            .into_iter()
            .map(|row| {
                (
                    row[0].clone(),
                    Expected {
                        segment: row[1].clone(),
                        ..Default::default()
                    },
                )
            })
            .collect();
    let mut last_order: HashMap<String, i64> = HashMap::new();
    let mut h1: HashMap<String, u32> = HashMap::new();
    let mut h2: HashMap<String, u32> = HashMap::new();
    let mut returned: HashMap<String, f64> = HashMap::new();
    for row in read_csv(&Path::new(SEED_DIR).join("orders.csv")) {
        let (id, date, amount, status) = (
            &row[1],
            days(&row[2]),
            row[3].parse::<f64>().expect("amount"),
            &row[4],
        );
        if (window_start..=cutoff).contains(&date) {
            *h1.entry(id.clone()).or_default() += 1;
        }
        if date > cutoff && date <= horizon_end {
            *h2.entry(id.clone()).or_default() += 1;
        }
        if date > cutoff {
            continue; // the leakage rule: features see nothing after the cutoff
        }
        let c = customers.get_mut(id).expect("order of a known customer");
        c.total_order_count += 1.0;
        c.total_order_amount += amount;
        if date >= window_start {
            c.order_count_2024 += 1.0;
            c.total_amount_2024 += amount;
        }
        if status == "RETURNED" {
            *returned.entry(id.clone()).or_default() += 1.0;
        }
        let last = last_order.entry(id.clone()).or_insert(date);
        *last = (*last).max(date);
    }
    for (id, c) in customers.iter_mut() {
        if c.total_order_count > 0.0 {
            c.avg_order_amount = c.total_order_amount / c.total_order_count;
            c.return_rate = returned.get(id).copied().unwrap_or(0.0) / c.total_order_count;
            c.days_since_last_order = (cutoff - last_order[id]) as f64;
        }
        if h1.get(id).copied().unwrap_or(0) > 0 {
            c.label = Some(i64::from(h2.get(id).copied().unwrap_or(0) == 0));
        }
    }
    customers
}

fn run_scripts(db_dir: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_firn"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg(db_dir)
        .args(["-q", "--set", &format!("data_dir={SEED_DIR}")])
        .args([
            "-f",
            "sql/01_data_exploration.sql",
            "-f",
            "sql/02_features.sql",
        ])
        .output()
        .expect("firn runs");
    assert!(
        output.status.success(),
        "scripts failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn column_f64(batch: &RecordBatch, name: &str) -> Vec<f64> {
    let column = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"));
    let column = cast(column, &DataType::Float64).expect("numeric");
    column
        .as_primitive::<Float64Type>()
        .iter()
        .map(|v| v.expect("no nulls"))
        .collect()
}

fn column_str(batch: &RecordBatch, name: &str) -> Vec<String> {
    let column = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"));
    let column = cast(column, &DataType::Utf8).expect("text");
    column
        .as_string::<i32>()
        .iter()
        .map(|v| v.expect("no nulls").to_string())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn labels_and_features_match_an_independent_computation() {
    let expected = independent_computation();
    assert_eq!(expected.len(), 3000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db_dir: PathBuf = dir.path().join("seed.firn");
    run_scripts(&db_dir);
    let db = Database::open(db_dir.to_str().expect("utf-8"))
        .await
        .expect("open the scripts' database");

    // Labels: the seed's facts, and every customer's label.
    let labels = db
        .sql("SELECT customer_id, is_churned FROM churn_labels")
        .await
        .expect("labels");
    let labels =
        firnml::arrow::compute::concat_batches(&labels[0].schema(), &labels).expect("concat");
    let ids = column_str(&labels, "customer_id");
    let churned = column_f64(&labels, "is_churned");
    assert_eq!(ids.len(), 3000, "3,000 labelled customers");
    assert_eq!(churned.iter().sum::<f64>(), 1084.0, "1,084 churned");
    for (id, label) in ids.iter().zip(&churned) {
        assert_eq!(expected[id].label, Some(*label as i64), "label of {id}");
    }
    let mut by_segment: HashMap<&str, (f64, f64)> = HashMap::new();
    for (id, label) in ids.iter().zip(&churned) {
        let entry = by_segment.entry(expected[id].segment.as_str()).or_default();
        entry.0 += label;
        entry.1 += 1.0;
    }
    for (segment, pct) in [("Basic", 50.6), ("Standard", 35.3), ("Premium", 17.1)] {
        let (churned, total) = by_segment[segment];
        assert!(
            ((100.0 * churned / total) - pct).abs() < 0.05,
            "{segment}: {churned}/{total}"
        );
    }

    // Features: both versions of the feature view, all 3,000 customers, every feature, to 1e-9.
    type Pick = fn(&Expected) -> f64;
    let v1_checks: [(&str, Pick); 5] = [
        ("days_since_last_order", |e| e.days_since_last_order),
        ("total_order_count", |e| e.total_order_count),
        ("order_count_2024", |e| e.order_count_2024),
        ("total_order_amount", |e| e.total_order_amount),
        ("avg_order_amount", |e| e.avg_order_amount),
    ];
    let v2_checks: [(&str, Pick); 2] = [
        ("total_amount_2024", |e| e.total_amount_2024),
        ("return_rate", |e| e.return_rate),
    ];
    let check_features = |batch: &RecordBatch, checks: &[(&str, Pick)], what: &str| {
        let ids = column_str(batch, "customer_id");
        for (name, pick) in checks {
            let values = column_f64(batch, name);
            for (id, value) in ids.iter().zip(values) {
                let want = pick(&expected[id]);
                assert!(
                    close(value, want),
                    "{what}: {name} of {id}: firn {value}, expected {want}"
                );
            }
        }
    };
    let v1 = all_rows(&db, "SELECT * FROM feature_view('customer_features', 'v1')").await;
    assert_eq!(
        column_names(&v1),
        V1_COLUMNS,
        "v1 has the first five features"
    );
    assert_eq!(v1.num_rows(), 3000);
    check_features(&v1, &v1_checks, "v1");

    let v2 = all_rows(&db, "SELECT * FROM feature_view('customer_features', 'v2')").await;
    assert_eq!(v2.num_rows(), 3000);
    let mut v2_columns = V1_COLUMNS.to_vec();
    v2_columns.extend(["total_amount_2024", "return_rate", "segment"]);
    assert_eq!(column_names(&v2), v2_columns, "v2 = v1 + three features");
    check_features(&v2, &v1_checks, "v2");
    check_features(&v2, &v2_checks, "v2");
    for (id, segment) in column_str(&v2, "customer_id")
        .iter()
        .zip(column_str(&v2, "segment"))
    {
        assert_eq!(expected[id].segment, segment, "segment of {id}");
    }

    // The registered objects, as the seed registers them.
    let views = all_rows(
        &db,
        "SELECT feature_view, version, entity, features FROM firn.feature_views ORDER BY 1, 2",
    )
    .await;
    assert_eq!(
        column_str(&views, "version"),
        ["v1", "v2", "v1"],
        "customer_features v1, v2 and customer_monthly v1"
    );
    assert_eq!(column_f64(&views, "features"), [5.0, 8.0, 4.0]);
    assert_eq!(
        column_str(&views, "entity"),
        ["customer", "customer", "customer"]
    );

    // The training set: the label spine joined with v2, the seed's columns in the seed's order.
    let training = all_rows(&db, "SELECT * FROM training_dataset").await;
    let mut training_columns = v2_columns.clone();
    training_columns.push("is_churned");
    assert_eq!(column_names(&training), training_columns);
    assert_eq!(training.num_rows(), 3000);
    check_features(&training, &v1_checks, "training_dataset");
    check_features(&training, &v2_checks, "training_dataset");
    let ids = column_str(&training, "customer_id");
    for ((id, label), segment) in ids
        .iter()
        .zip(column_f64(&training, "is_churned"))
        .zip(column_str(&training, "segment"))
    {
        assert_eq!(expected[id].label, Some(label as i64), "label of {id}");
        assert_eq!(expected[id].segment, segment, "segment of {id}");
    }
    assert_eq!(
        column_f64(&training, "is_churned").iter().sum::<f64>(),
        1084.0
    );

    point_in_time_training_set_matches(&db).await;
}

const V1_COLUMNS: [&str; 6] = [
    "customer_id",
    "days_since_last_order",
    "total_order_count",
    "order_count_2024",
    "total_order_amount",
    "avg_order_amount",
];

async fn all_rows(db: &Database, sql: &str) -> RecordBatch {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let schema = batches.first().map(|b| b.schema()).expect("a batch");
    firnml::arrow::compute::concat_batches(&schema, &batches).expect("concat")
}

fn column_names(batch: &RecordBatch) -> Vec<&str> {
    batch
        .schema_ref()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect()
}

/// The monthly snapshots joined point in time: every row of `training_dataset_pit`
/// equals what the orders known before the row's `as_of` say.
async fn point_in_time_training_set_matches(db: &Database) {
    let orders: Vec<(String, i64, f64)> = read_csv(&Path::new(SEED_DIR).join("orders.csv"))
        .into_iter()
        .map(|row| {
            (
                row[1].clone(),
                days(&row[2]),
                row[3].parse::<f64>().expect("amount"),
            )
        })
        .collect();
    // The spine: labels at cutoffs 2024-03-31 and 2024-06-30, stamped the day after.
    let mut spine: HashMap<(String, i64), i64> = HashMap::new();
    for (start, cutoff, end, as_of) in [
        ("2023-10-01", "2024-03-31", "2024-09-30", "2024-04-01"),
        ("2024-01-01", "2024-06-30", "2024-12-31", "2024-07-01"),
    ] {
        let (start, cutoff, end) = (days(start), days(cutoff), days(end));
        let mut window: HashMap<&str, (u32, u32)> = HashMap::new();
        for (id, date, _) in &orders {
            let entry = window.entry(id.as_str()).or_default();
            if (start..=cutoff).contains(date) {
                entry.0 += 1;
            }
            if *date > cutoff && *date <= end {
                entry.1 += 1;
            }
        }
        for (id, (h1, h2)) in window {
            if h1 > 0 {
                spine.insert((id.to_string(), days(as_of)), i64::from(h2 == 0));
            }
        }
    }
    let pit = all_rows(db, "SELECT * FROM training_dataset_pit").await;
    assert_eq!(
        column_names(&pit),
        [
            "customer_id",
            "as_of",
            "orders_to_date",
            "orders_90d",
            "amount_90d",
            "days_since_last_order",
            "customer_monthly__feature_timestamp",
            "is_churned"
        ]
    );
    assert_eq!(pit.num_rows(), spine.len(), "one row per spine row");
    let as_of = column_str(&pit, "as_of");
    let used = column_str(&pit, "customer_monthly__feature_timestamp");
    let ids = column_str(&pit, "customer_id");
    let columns: Vec<Vec<f64>> = [
        "orders_to_date",
        "orders_90d",
        "amount_90d",
        "days_since_last_order",
        "is_churned",
    ]
    .iter()
    .map(|c| column_f64(&pit, c))
    .collect();
    for (row, id) in ids.iter().enumerate() {
        let at = days(&as_of[row]);
        // Snapshots are taken on the first of each month; as_of is one, so it is the one used.
        assert_eq!(
            used[row], as_of[row],
            "snapshot used by {id} at {}",
            as_of[row]
        );
        let before: Vec<&(String, i64, f64)> = orders
            .iter()
            .filter(|(o, date, _)| o == id && *date < at)
            .collect();
        let recent: Vec<&&(String, i64, f64)> = before
            .iter()
            .filter(|(_, date, _)| *date >= at - 90)
            .collect();
        let last = before
            .iter()
            .map(|(_, date, _)| *date)
            .max()
            .expect("an order");
        let want = [
            before.len() as f64,
            recent.len() as f64,
            recent.iter().map(|(_, _, amount)| amount).sum::<f64>(),
            (at - last) as f64,
            spine[&(id.clone(), at)] as f64,
        ];
        for (column, want) in columns.iter().zip(want) {
            assert!(
                close(column[row], want),
                "{id} at {}: got {}, expected {want}",
                as_of[row],
                column[row]
            );
        }
    }
}

/// Runs the whole seed pipeline (`sql/pipeline.sql`) into `db_dir`, exporting to
/// `out_dir` — from another working directory, as `\\ir` makes its parts found
/// beside it wherever it is run from.
fn run_pipeline(db_dir: &Path, out_dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data_dir = std::path::absolute(root.join(SEED_DIR)).expect("absolute");
    let output = Command::new(env!("CARGO_BIN_EXE_firn"))
        .current_dir(std::env::temp_dir())
        .arg(db_dir)
        .args(["-q", "--set", &format!("data_dir={}", data_dir.display())])
        .args(["--set", &format!("out_dir={}", out_dir.display())])
        .arg("-f")
        .arg(root.join("sql/pipeline.sql"))
        .output()
        .expect("firn runs");
    assert!(
        output.status.success(),
        "pipeline failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn one_f64(db: &Database, sql: &str) -> f64 {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    column_f64(&batches[0], batches[0].schema().field(0).name())[0]
}

async fn strings(db: &Database, sql: &str) -> Vec<String> {
    let batches = db.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| column_str(b, b.schema().field(0).name()))
        .collect()
}

#[tokio::test]
async fn the_pipeline_trains_registers_and_scores_as_the_seed_describes() {
    use firnml::arrow::array::{ArrayRef, Float64Array, StringArray};
    use firnml::model::{CompactForest, encode_columns};
    use firnml::registry::ModelRef;
    use std::sync::Arc;

    let dir = tempfile::tempdir().expect("tempdir");
    let (db_dir, out_dir) = (dir.path().join("seed.firn"), dir.path().join("out"));
    run_pipeline(&db_dir, &out_dir);
    let db = Database::open(db_dir.to_str().expect("utf-8"))
        .await
        .expect("open the pipeline's database");

    // Training (03): the search's held-out F1 and AUC tell the seed's story (XGBoost: F1 0.78-0.81, AUC 0.90-0.91).
    let f1 = one_f64(
        &db,
        "SELECT metrics['f1'] FROM firn.model_versions WHERE model = 'churn_search'",
    )
    .await;
    let auc = one_f64(
        &db,
        "SELECT metrics['roc_auc'] FROM firn.model_versions WHERE model = 'churn_search'",
    )
    .await;
    assert!((0.76..=0.84).contains(&f1), "search test F1 {f1}");
    assert!((0.88..=0.93).contains(&auc), "search test AUC {auc}");
    let candidates = one_f64(
        &db,
        "SELECT count(*) FROM firn.runs WHERE parent_run = 'random_search'",
    )
    .await;
    assert_eq!(candidates, 5.0, "5 candidates, each a run");

    // Experiments (04): the three runs with the seed's parameters, and their test metrics.
    let runs = strings(
        &db,
        "SELECT run || ':' || \"params.max_depth\" || ',' || \"params.learning_rate\" || ',' || \
         \"params.n_estimators\" || ',' || \"params.scale_pos_weight\" \
         FROM compare_runs('churn_prediction_experiment') ORDER BY run",
    )
    .await;
    assert_eq!(
        runs,
        vec![
            "run_balanced:5,0.1,150,3",
            "run_baseline:5,0.1,100,2",
            "run_deeper:10,0.1,100,2"
        ]
    );
    for run in ["run_baseline", "run_deeper", "run_balanced"] {
        let f1 = one_f64(
            &db,
            &format!("SELECT metrics['f1'] FROM firn.runs WHERE run = '{run}'"),
        )
        .await;
        assert!((0.74..=0.84).contains(&f1), "{run} test F1 {f1}");
    }

    // Registry (05): v1 and v2 with the seed's parameters and comments; v2 is the default.
    let versions = strings(
        &db,
        "SELECT version || ':' || params['max_depth'] || ',' || params['n_estimators'] || ',' || \
         params['scale_pos_weight'] || ':' || CAST(is_default AS VARCHAR) || ':' || comment \
         FROM firn.model_versions WHERE model = 'customer_churn_predictor' ORDER BY version",
    )
    .await;
    assert_eq!(
        versions,
        vec![
            "v1:5,150,3:false:balanced configuration from churn_prediction_experiment",
            "v2:6,200,3:true:parameter improvement"
        ]
    );

    // Production (06): the risk list equals an independent scoring of the independently
    // computed features with the default version's trees.
    let expected = independent_computation();
    let regions: HashMap<String, String> = read_csv(&Path::new(SEED_DIR).join("customers.csv"))
        .into_iter()
        .map(|row| (row[0].clone(), row[3].clone()))
        .collect();
    let (_, model) = db
        .registry()
        .load(&ModelRef::parse("customer_churn_predictor").expect("reference"))
        .await
        .expect("default version");
    let mut ids: Vec<&String> = expected.keys().collect();
    ids.sort();
    let numeric = |pick: fn(&Expected) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            ids.iter().map(|id| pick(&expected[*id])),
        ))
    };
    let arrays: Vec<ArrayRef> = vec![
        numeric(|e| e.days_since_last_order),
        numeric(|e| e.total_order_count),
        numeric(|e| e.order_count_2024),
        numeric(|e| e.total_order_amount),
        numeric(|e| e.avg_order_amount),
        numeric(|e| e.total_amount_2024),
        numeric(|e| e.return_rate),
        Arc::new(StringArray::from_iter_values(
            ids.iter().map(|id| expected[*id].segment.as_str()),
        )),
    ];
    let names: Vec<&str> = model.features().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "days_since_last_order",
            "total_order_count",
            "order_count_2024",
            "total_order_amount",
            "avg_order_amount",
            "total_amount_2024",
            "return_rate",
            "segment"
        ]
    );
    let columns = encode_columns(model.features(), &arrays).expect("encode");
    let slices: Vec<&[f64]> = columns.iter().map(|c| &c[..]).collect();
    let probabilities: Vec<f64> = CompactForest::new(&model)
        .predict_margin(&slices)
        .into_iter()
        .map(|m| model.objective().transform(m))
        .collect();
    let mut want: Vec<(String, String, String, f64)> = ids
        .iter()
        .zip(&probabilities)
        .filter(|(_, p)| **p >= 0.5)
        .map(|(id, p)| {
            (
                (*id).clone(),
                expected[*id].segment.clone(),
                regions[*id].clone(),
                *p,
            )
        })
        .collect();
    want.sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));

    let list = db
        .sql("SELECT * FROM churn_risk_list")
        .await
        .expect("risk list");
    let list = firnml::arrow::compute::concat_batches(&list[0].schema(), &list).expect("concat");
    let schema = list.schema();
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        columns,
        vec!["customer_id", "segment", "region", "churn_probability"]
    );
    let got_ids = column_str(&list, "customer_id");
    let got_p = column_f64(&list, "churn_probability");
    assert_eq!(got_ids.len(), want.len(), "high-risk customers");
    assert!(
        want.len() > 1000 && want.len() < 2000,
        "{} high-risk customers",
        want.len()
    );
    for (i, (id, segment, region, p)) in want.iter().enumerate() {
        assert_eq!(&got_ids[i], id, "row {i} of the sorted risk list");
        assert!(
            close(got_p[i], *p),
            "probability of {id}: firn {}, expected {p}",
            got_p[i]
        );
        assert_eq!(&column_str(&list, "segment")[i], segment);
        assert_eq!(&column_str(&list, "region")[i], region);
    }

    // The exports hold the same list.
    let csv = std::fs::read_to_string(out_dir.join("churn_risk_list.csv")).expect("CSV export");
    let csv_ids: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default())
        .collect();
    assert_eq!(
        csv.lines().next(),
        Some("customer_id,segment,region,churn_probability")
    );
    assert_eq!(
        csv_ids,
        got_ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    db.sql(&format!(
        "CREATE EXTERNAL TABLE exported STORED AS PARQUET LOCATION '{}'",
        out_dir.join("churn_risk_list.parquet").display()
    ))
    .await
    .expect("read the Parquet export");
    let parquet_rows = one_f64(&db, "SELECT count(*) FROM exported").await;
    assert_eq!(parquet_rows as usize, want.len());

    // VERIFY MODEL: every version the pipeline made is reproduced bit for bit
    // from its lineage (the same data, trees, predictions, Firn and trainer).
    let versions = strings(
        &db,
        "SELECT model || '@' || version FROM firn.model_versions ORDER BY model, version",
    )
    .await;
    assert!(versions.len() >= 3, "the seed's versions: {versions:?}");
    for reference in &versions {
        let statuses = strings(
            &db,
            &format!("SELECT check || ': ' || status || ' (' || detail || ')' FROM verify_model('{reference}')"),
        )
        .await;
        assert!(
            statuses.iter().all(|s| s.contains(": identical (")) && statuses.len() == 6,
            "VERIFY MODEL {reference}: {statuses:#?}"
        );
    }
}
