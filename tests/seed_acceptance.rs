//! Acceptance on the seed hands-on's own data (`../shared/seed-data`): the SQL
//! scripts run through the `firn` binary into a database on disk; the labels and
//! every feature of every customer are then checked against an independent
//! computation written here in plain Rust (no SQL, no DataFusion).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use firnml::Database;
use firnml::arrow::array::{AsArray, RecordBatch};
use firnml::arrow::compute::cast;
use firnml::arrow::datatypes::{DataType, Float64Type, Int64Type};

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

    // Features: all 3,000 customers, every feature, to 1e-9.
    let features = db
        .sql("SELECT * FROM customer_features_v2")
        .await
        .expect("features");
    let features =
        firnml::arrow::compute::concat_batches(&features[0].schema(), &features).expect("concat");
    assert_eq!(features.num_rows(), 3000);
    let ids = column_str(&features, "customer_id");
    let segments = column_str(&features, "segment");
    type Pick = fn(&Expected) -> f64;
    let checks: [(&str, Pick); 7] = [
        ("days_since_last_order", |e| e.days_since_last_order),
        ("total_order_count", |e| e.total_order_count),
        ("order_count_2024", |e| e.order_count_2024),
        ("total_order_amount", |e| e.total_order_amount),
        ("avg_order_amount", |e| e.avg_order_amount),
        ("total_amount_2024", |e| e.total_amount_2024),
        ("return_rate", |e| e.return_rate),
    ];
    for (name, pick) in checks {
        let values = column_f64(&features, name);
        for (id, value) in ids.iter().zip(values) {
            let want = pick(&expected[id]);
            assert!(
                close(value, want),
                "{name} of {id}: firn {value}, expected {want}"
            );
        }
    }
    for (id, segment) in ids.iter().zip(segments) {
        assert_eq!(expected[id].segment, segment, "segment of {id}");
    }

    // The training set is the label spine joined with v2.
    let training = db
        .sql("SELECT count(*), sum(is_churned) FROM training_dataset")
        .await
        .expect("training set");
    assert_eq!(
        training[0].column(0).as_primitive::<Int64Type>().value(0),
        3000
    );
    assert_eq!(
        training[0].column(1).as_primitive::<Int64Type>().value(0),
        1084
    );
}
