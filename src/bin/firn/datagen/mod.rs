//! Deterministic generator of the project's own demo data (see data/README.md).
//!
//! [`generate`] writes `customers.csv` and `orders.csv` with the schema of the
//! churn hands-on's data: customers with a segment, registration date and region,
//! and their orders from 2022-12-29 to 2024-12-31. The same seed produces the
//! same bytes on every platform and every version of Rust: the generator uses its
//! own PRNG, its own calendar arithmetic and only basic floating-point operations.
//!
//! ```no_run
//! # fn demo() -> firnml::Result<()> {
//! use firnml::datagen::{generate, GenConfig};
//! let summary = generate(&GenConfig { customers: 3_000, seed: 42, out_dir: "data".into() })?;
//! println!("{} customers, {} orders", summary.customers, summary.orders);
//! # Ok(()) }
//! ```

mod calendar;
mod format;
mod model;

mod sink;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use calendar::DateTable;
use firnml::{Error, Result};
use format::{id_width, push_amount, push_padded};
use model::{Order, REGIONS};
use sink::AtomicCsv;

/// The largest number of customers [`generate`] accepts.
pub const MAX_CUSTOMERS: u64 = 1_000_000_000;

/// What to generate and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Number of customers (at least 1); each gets about 6.7 orders on average.
    pub customers: u64,
    /// The seed: the same seed and customer count always give the same files.
    pub seed: u64,
    /// Directory that receives `customers.csv` and `orders.csv` (created if missing).
    pub out_dir: PathBuf,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSummary {
    /// Rows written to `customers.csv`.
    pub customers: u64,
    /// Rows written to `orders.csv`.
    pub orders: u64,
}

/// Header of `customers.csv`.
pub const CUSTOMERS_HEADER: &str = "CUSTOMER_ID,SEGMENT,REGISTRATION_DATE,REGION";
/// Header of `orders.csv`.
pub const ORDERS_HEADER: &str = "ORDER_ID,CUSTOMER_ID,ORDER_DATE,ORDER_AMOUNT,STATUS";

/// Writes `customers.csv` and `orders.csv` into `config.out_dir`.
///
/// Each file is written under a temporary name in the directory and renamed
/// into place when complete, so a failure never leaves a partial file under
/// the final name (an existing file is replaced only by a complete one).
pub fn generate(config: &GenConfig) -> Result<GenSummary> {
    let n = config.customers;
    if n == 0 || n > MAX_CUSTOMERS {
        return Err(Error::Unsupported(format!(
            "cannot generate {n} customers: the count must be between 1 and {MAX_CUSTOMERS}"
        )));
    }
    let dir = &config.out_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating directory '{}'", dir.display()), e))?;

    // Pass 1: count the orders, so order ids get their final zero-padded width.
    let mut orders: Vec<Order> = Vec::with_capacity(128);
    let mut total_orders = 0u64;
    for index in 0..n {
        model::customer(config.seed, index, &mut orders);
        total_orders += orders.len() as u64;
    }

    // Pass 2: regenerate each customer (streams are per customer) and write.
    let dates = DateTable::new(model::REG_START, model::ORDER_END);
    let customer_width = id_width(n, 5);
    let order_width = id_width(total_orders, 6);
    let mut customers_csv = AtomicCsv::create(dir, "customers.csv")?;
    let mut orders_csv = AtomicCsv::create(dir, "orders.csv")?;
    customers_csv
        .buf
        .extend_from_slice(CUSTOMERS_HEADER.as_bytes());
    customers_csv.buf.push(b'\n');
    orders_csv.buf.extend_from_slice(ORDERS_HEADER.as_bytes());
    orders_csv.buf.push(b'\n');

    let mut customer_id: Vec<u8> = Vec::with_capacity(32);
    let mut order_id = 0u64;
    for index in 0..n {
        let customer = model::customer(config.seed, index, &mut orders);
        customer_id.clear();
        customer_id.extend_from_slice(b"CUST_");
        push_padded(&mut customer_id, index + 1, customer_width);

        let row = &mut customers_csv.buf;
        row.extend_from_slice(&customer_id);
        row.push(b',');
        row.extend_from_slice(customer.segment.name());
        row.push(b',');
        row.extend_from_slice(dates.get(customer.registered));
        row.push(b',');
        row.extend_from_slice(REGIONS[customer.region]);
        row.push(b'\n');
        customers_csv.row_done()?;

        for order in &orders {
            order_id += 1;
            let row = &mut orders_csv.buf;
            row.extend_from_slice(b"ORD_");
            push_padded(row, order_id, order_width);
            row.push(b',');
            row.extend_from_slice(&customer_id);
            row.push(b',');
            row.extend_from_slice(dates.get(order.day));
            row.push(b',');
            push_amount(row, order.cents);
            row.push(b',');
            row.extend_from_slice(order.status.name());
            row.push(b'\n');
        }
        orders_csv.row_done()?;
    }

    // Both files are complete on disk before either takes its final name.
    customers_csv.finish()?;
    orders_csv.finish()?;
    customers_csv.commit()?;
    orders_csv.commit()?;
    Ok(GenSummary {
        customers: n,
        orders: order_id,
    })
}
