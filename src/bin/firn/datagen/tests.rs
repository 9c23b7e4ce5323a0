//! Tests of the whole generator, checked by an independent pass over the CSV text.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use super::*;

fn read(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

fn gen_into(dir: &Path, customers: u64, seed: u64) -> GenSummary {
    let config = GenConfig {
        customers,
        seed,
        out_dir: dir.to_path_buf(),
    };
    match generate(&config) {
        Ok(summary) => summary,
        Err(e) => panic!("generate failed: {e}"),
    }
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => panic!("tempdir: {e}"),
    }
}

/// FNV-1a, to pin the exact output bytes without storing them.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    let sa = gen_into(a.path(), 400, 7);
    let sb = gen_into(b.path(), 400, 7);
    gen_into(c.path(), 400, 8);
    assert_eq!(sa, sb);
    for name in ["customers.csv", "orders.csv"] {
        assert_eq!(read(&a.path().join(name)), read(&b.path().join(name)));
        assert_ne!(read(&a.path().join(name)), read(&c.path().join(name)));
    }
    // Only the two final files remain: no temporary files are left behind.
    let mut names: Vec<String> = match fs::read_dir(a.path()) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => panic!("read_dir: {e}"),
    };
    names.sort();
    assert_eq!(names, ["customers.csv", "orders.csv"]);
}

#[test]
fn output_is_pinned_forever() {
    // If this fails, the generator's output changed: every published seed's data changes.
    let dir = tempdir();
    let summary = gen_into(dir.path(), 200, 1);
    let customers = read(&dir.path().join("customers.csv"));
    let orders = read(&dir.path().join("orders.csv"));
    assert_eq!(
        (
            summary.orders,
            fnv1a(customers.as_bytes()),
            fnv1a(orders.as_bytes())
        ),
        (1_394, 0x9B3A_637E_882D_9B79, 0xFF77_EB44_DD24_549A)
    );
}

#[test]
fn bad_arguments_are_rejected() {
    let dir = tempdir();
    for customers in [0, MAX_CUSTOMERS + 1] {
        let config = GenConfig {
            customers,
            seed: 1,
            out_dir: dir.path().to_path_buf(),
        };
        assert!(matches!(generate(&config), Err(Error::Unsupported(_))));
    }
    // An output "directory" that is a file: an I/O error, and no final files anywhere.
    let file = dir.path().join("not-a-dir");
    assert!(fs::write(&file, b"x").is_ok());
    let config = GenConfig {
        customers: 10,
        seed: 1,
        out_dir: file.clone(),
    };
    assert!(matches!(generate(&config), Err(Error::Io { .. })));
    assert!(!dir.path().join("customers.csv").exists());
}

/// Per-customer facts computed from the CSV text alone.
#[derive(Default)]
struct Facts {
    segment: String,
    orders_before_cutoff: u32,
    h1: u32,
    h2: u32,
    amount_before_cutoff: f64,
    returned_before_cutoff: u32,
    last_before_cutoff: String,
}

#[test]
fn schema_ranges_and_churn_structure() {
    let dir = tempdir();
    let summary = gen_into(dir.path(), 3_000, 2024);
    let customers = read(&dir.path().join("customers.csv"));
    let orders = read(&dir.path().join("orders.csv"));

    let mut lines = customers.lines();
    assert_eq!(lines.next(), Some(CUSTOMERS_HEADER));
    let mut facts: HashMap<String, Facts> = HashMap::new();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 4, "{line}");
        assert_eq!(f[0], format!("CUST_{:05}", i + 1));
        assert!(["Basic", "Standard", "Premium"].contains(&f[1]), "{line}");
        assert!(
            is_date(f[2]) && ("2021-07-01"..="2023-06-30").contains(&f[2]),
            "{line}"
        );
        assert!(["North", "South", "East", "West"].contains(&f[3]), "{line}");
        let facts_row = Facts {
            segment: f[1].to_string(),
            ..Facts::default()
        };
        assert!(facts.insert(f[0].to_string(), facts_row).is_none());
    }
    assert_eq!(facts.len() as u64, summary.customers);

    let mut lines = orders.lines();
    assert_eq!(lines.next(), Some(ORDERS_HEADER));
    let mut count = 0u64;
    let mut amounts = 0.0;
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 5, "{line}");
        assert_eq!(f[0], format!("ORD_{:06}", i + 1));
        assert!(
            is_date(f[2]) && ("2022-12-29"..="2024-12-31").contains(&f[2]),
            "{line}"
        );
        let amount: f64 = f[3].parse().unwrap_or(f64::NAN);
        assert!((50.0..=450.0).contains(&amount), "{line}");
        assert!(
            f[3].split('.')
                .nth(1)
                .is_some_and(|d| (1..=2).contains(&d.len())),
            "{line}"
        );
        assert!(
            ["FULFILLED", "RETURNED", "CANCELLED"].contains(&f[4]),
            "{line}"
        );
        let Some(c) = facts.get_mut(f[1]) else {
            panic!("order of unknown customer: {line}")
        };
        let date = f[2];
        if date <= "2024-06-30" {
            c.orders_before_cutoff += 1;
            c.amount_before_cutoff += amount;
            c.returned_before_cutoff += u32::from(f[4] == "RETURNED");
            if date > c.last_before_cutoff.as_str() {
                c.last_before_cutoff = date.to_string();
            }
            c.h1 += u32::from(date >= "2024-01-01");
        } else {
            c.h2 += 1;
        }
        count += 1;
        amounts += amount;
    }
    assert_eq!(count, summary.orders);
    let per_customer = count as f64 / 3_000.0;
    assert!(
        (6.0..7.5).contains(&per_customer),
        "{per_customer} orders per customer"
    );
    let mean_amount = amounts / count as f64;
    assert!(
        (190.0..250.0).contains(&mean_amount),
        "mean amount {mean_amount}"
    );
    assert!(
        facts.values().all(|c| c.orders_before_cutoff + c.h2 > 0),
        "every customer has an order"
    );

    // Labels under the seed definition.
    let labelled: Vec<(&Facts, bool)> = facts
        .values()
        .filter(|c| c.h1 > 0)
        .map(|c| (c, c.h2 == 0))
        .collect();
    assert!(labelled.len() >= 2_900, "{} labelled", labelled.len());
    let rate = |seg: Option<&str>| {
        let of_seg: Vec<bool> = labelled
            .iter()
            .filter(|(c, _)| seg.is_none_or(|s| c.segment == s))
            .map(|&(_, churned)| churned)
            .collect();
        of_seg.iter().filter(|&&x| x).count() as f64 / of_seg.len() as f64
    };
    let overall = rate(None);
    let (basic, standard, premium) = (
        rate(Some("Basic")),
        rate(Some("Standard")),
        rate(Some("Premium")),
    );
    assert!((0.30..=0.40).contains(&overall), "churn {overall}");
    assert!(
        basic > standard && standard > premium,
        "{basic} {standard} {premium}"
    );

    // Churners look different on average: fewer, smaller, older orders, more returns.
    let mean = |churned: bool, f: &dyn Fn(&Facts) -> f64| {
        let v: Vec<f64> = labelled
            .iter()
            .filter(|l| l.1 == churned)
            .map(|l| f(l.0))
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let n = |c: &Facts| f64::from(c.orders_before_cutoff);
    let avg = |c: &Facts| c.amount_before_cutoff / f64::from(c.orders_before_cutoff);
    let ret = |c: &Facts| f64::from(c.returned_before_cutoff) / f64::from(c.orders_before_cutoff);
    let h1 = |c: &Facts| f64::from(c.h1);
    let last_month = |c: &Facts| {
        c.last_before_cutoff[5..7]
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    assert!(mean(true, &n) < mean(false, &n));
    assert!(mean(true, &h1) < mean(false, &h1));
    assert!(mean(true, &avg) < mean(false, &avg));
    assert!(mean(true, &ret) > mean(false, &ret));
    assert!(mean(true, &last_month) < mean(false, &last_month));
    // ... but not perfectly separable: some churners look active and vice versa.
    assert!(labelled.iter().any(|(c, churned)| *churned && c.h1 >= 2));
    assert!(labelled.iter().any(|(c, churned)| !*churned && c.h1 == 1));
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Writes the committed demo data: `cargo test --lib datagen -- --ignored write_committed_demo_data`
/// (the same as `firn gen-data --customers 3000 --seed 42 --out data`).
#[test]
#[ignore = "writes data/ in the source tree"]
fn write_committed_demo_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let summary = gen_into(&dir, 3_000, 42);
    println!(
        "wrote {} customers, {} orders to {}",
        summary.customers,
        summary.orders,
        dir.display()
    );
}
