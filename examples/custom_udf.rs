//! A scalar function of your own beside Firn's: `risk_band(p)` turns a churn
//! probability into a label, in the same query as Firn's `predict(…)`. It is a
//! DataFusion `ScalarUDFImpl` registered on the session's context.
//!
//! ```sh
//! cargo run --example custom_udf
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::sync::Arc;

use firnml::arrow::array::{ArrayRef, AsArray, StringArray};
use firnml::arrow::datatypes::{DataType, Float64Type};
use firnml::arrow::util::pretty::pretty_format_batches;
use firnml::datafusion::common::{Result, exec_err};
use firnml::datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `risk_band(probability DOUBLE) -> VARCHAR`: `high` from 0.6, `medium` from 0.3, else `low`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RiskBand {
    signature: Signature,
}

impl RiskBand {
    fn new() -> Self {
        Self {
            signature: Signature::exact(vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

fn band(p: f64) -> &'static str {
    if p >= 0.6 {
        "high"
    } else if p >= 0.3 {
        "medium"
    } else {
        "low"
    }
}

impl ScalarUDFImpl for RiskBand {
    fn name(&self) -> &str {
        "risk_band"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [probability] = args.args.as_slice() else {
            return exec_err!("risk_band takes one argument");
        };
        let probabilities = probability.to_array(args.number_rows)?;
        let bands: StringArray = probabilities
            .as_primitive::<Float64Type>()
            .iter()
            .map(|p| p.map(band))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(bands) as ArrayRef))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = firnml::Database::in_memory().await?;
    let session = db.session();
    // Registered on this session's context, next to predict, auc, churn_labels, …
    session
        .context()
        .register_udf(ScalarUDF::new_from_impl(RiskBand::new()));

    session
        .sql(
            "CREATE TABLE customers AS SELECT value AS customer_id, \
             CAST(value % 120 AS DOUBLE) AS days_since_last_order, \
             CAST(value % 120 > 60 AS INT) AS is_churned FROM generate_series(1, 500)",
        )
        .await?;
    session
        .sql(
            "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'is_churned', \
             exclude 'customer_id', n_estimators 20, test_fraction 0) AS SELECT * FROM customers",
        )
        .await?;
    let batches = session
        .sql(
            "SELECT risk_band(predict('churn', days_since_last_order)) AS band, count(*) AS customers \
             FROM customers GROUP BY 1 ORDER BY 1",
        )
        .await?;
    println!("{}", pretty_format_batches(&batches)?);
    let total: i64 = batches
        .iter()
        .map(|b| {
            b.column(1)
                .as_primitive::<firnml::arrow::datatypes::Int64Type>()
                .iter()
                .flatten()
                .sum::<i64>()
        })
        .sum();
    assert_eq!(total, 500, "every customer is in one band");
    Ok(())
}
