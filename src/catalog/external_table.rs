//! The stored text of a `CREATE EXTERNAL TABLE`: every part of the statement.
//!
//! DataFusion prints the statement back without its column list, constraints,
//! `PARTITIONED BY`, `UNBOUNDED` and `OPTIONS` (delimiter, header, compression,
//! null values, …), so a table replayed from that text on reopening would read
//! its files differently. [`definition_text`] writes every part, and is tested
//! to parse back to the very statement it was given.

use std::fmt::Write;

use datafusion::sql::parser::CreateExternalTable;
use datafusion::sql::sqlparser::ast::Value;

/// The statement as SQL, without `IF NOT EXISTS` / `OR REPLACE` (a replay
/// creates the table afresh) and with its locations as given (callers make
/// them absolute first).
pub fn definition_text(create: &CreateExternalTable) -> String {
    let mut sql = String::from("CREATE ");
    if create.unbounded {
        sql.push_str("UNBOUNDED ");
    }
    let _ = write!(sql, "EXTERNAL TABLE {}", create.name);
    let elements: Vec<String> = create
        .columns
        .iter()
        .map(ToString::to_string)
        .chain(create.constraints.iter().map(ToString::to_string))
        .collect();
    if !elements.is_empty() {
        let _ = write!(sql, " ({})", elements.join(", "));
    }
    let _ = write!(sql, " STORED AS {}", create.file_type);
    if !create.table_partition_cols.is_empty() {
        let _ = write!(
            sql,
            " PARTITIONED BY ({})",
            create.table_partition_cols.join(", ")
        );
    }
    for ordering in &create.order_exprs {
        let exprs: Vec<String> = ordering.iter().map(ToString::to_string).collect();
        let _ = write!(sql, " WITH ORDER ({})", exprs.join(", "));
    }
    let locations: Vec<String> = create.locations.iter().map(|l| quoted(l)).collect();
    match locations.as_slice() {
        [one] => {
            let _ = write!(sql, " LOCATION {one}");
        }
        many => {
            let _ = write!(sql, " LOCATION ({})", many.join(", "));
        }
    }
    if !create.options.is_empty() {
        let options: Vec<String> = create
            .options
            .iter()
            .map(|(key, value)| format!("{} {value}", quoted(key)))
            .collect();
        let _ = write!(sql, " OPTIONS ({})", options.join(", "));
    }
    sql
}

fn quoted(text: &str) -> String {
    Value::SingleQuotedString(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::{DFParser, Statement};

    use super::*;

    fn parse(sql: &str) -> CreateExternalTable {
        let mut statements = DFParser::parse_sql(sql).expect("parses");
        match statements.pop_front() {
            Some(Statement::CreateExternalTable(create)) => create,
            other => panic!("not CREATE EXTERNAL TABLE: {other:?}"),
        }
    }

    /// The text parses back to the same statement (IF NOT EXISTS / OR REPLACE aside).
    fn round_trip(sql: &str) {
        let mut original = parse(sql);
        original.if_not_exists = false;
        original.or_replace = false;
        let text = definition_text(&original);
        assert_eq!(parse(&text), original, "{sql}\n  stored as: {text}");
    }

    #[test]
    fn every_part_of_the_statement_survives() {
        for sql in [
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/d/a.csv'",
            "CREATE EXTERNAL TABLE IF NOT EXISTS t STORED AS CSV LOCATION '/d/a.csv'",
            "CREATE EXTERNAL TABLE t (id INT, d VARCHAR) STORED AS CSV LOCATION '/d/a.csv'",
            "CREATE EXTERNAL TABLE t (id INT NOT NULL, d VARCHAR, PRIMARY KEY (id)) \
             STORED AS CSV LOCATION '/d/a.csv'",
            "CREATE EXTERNAL TABLE \"Mixed Case\" (\"Id\" BIGINT) STORED AS PARQUET LOCATION '/d/'",
            "CREATE EXTERNAL TABLE t (a INT, year INT) STORED AS PARQUET PARTITIONED BY (year) \
             LOCATION '/d/'",
            "CREATE EXTERNAL TABLE t STORED AS PARQUET PARTITIONED BY (year INT, month VARCHAR) \
             LOCATION '/d/'",
            "CREATE EXTERNAL TABLE t (a INT, b INT) STORED AS CSV WITH ORDER (a ASC, b DESC NULLS LAST) \
             WITH ORDER (b) LOCATION '/d/a.csv'",
            "CREATE UNBOUNDED EXTERNAL TABLE t (a INT) STORED AS CSV LOCATION '/d/fifo'",
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/it''s/a.csv'",
            "CREATE EXTERNAL TABLE t STORED AS JSON LOCATION '/d/a.json' \
             OPTIONS ('format.compression' gzip)",
        ] {
            round_trip(sql);
        }
    }

    #[test]
    fn every_reader_option_survives() {
        // The options DataFusion 55's CSV, JSON and Parquet readers take
        // (datafusion_common::config: CsvOptions, JsonOptions, TableParquetOptions).
        let csv = [
            ("format.has_header", "false"),
            ("format.delimiter", "';'"),
            ("format.quote", "'\"'"),
            ("format.terminator", "'\\n'"),
            ("format.escape", "'\\\\'"),
            ("format.double_quote", "true"),
            ("format.newlines_in_values", "true"),
            ("format.compression", "'zstd'"),
            ("format.schema_infer_max_rec", "100"),
            ("format.date_format", "'%d/%m/%Y'"),
            ("format.datetime_format", "'%d/%m/%Y %H:%M'"),
            ("format.timestamp_format", "'%Y-%m-%dT%H:%M:%S'"),
            ("format.timestamp_tz_format", "'%Y-%m-%dT%H:%M:%S%z'"),
            ("format.time_format", "'%H:%M'"),
            ("format.null_value", "'NA'"),
            ("format.null_regex", "'^(NA|-)$'"),
            ("format.comment", "'#'"),
            ("format.truncated_rows", "true"),
        ];
        let json = [
            ("format.compression", "gzip"),
            ("format.schema_infer_max_rec", "10"),
        ];
        let parquet = [
            ("format.pruning", "false"),
            ("format.skip_metadata", "false"),
            ("format.metadata_size_hint", "65536"),
            ("format.pushdown_filters", "true"),
            ("format.reorder_filters", "true"),
            ("format.binary_as_string", "true"),
            ("format.coerce_int96", "'us'"),
            ("format.bloom_filter_on_read", "false"),
            ("format.schema_force_view_types", "false"),
        ];
        for (format, location, options) in [
            ("CSV", "/d/a.csv", &csv[..]),
            ("JSON", "/d/a.json", &json[..]),
            ("PARQUET", "/d/", &parquet[..]),
        ] {
            // Each option alone, then all together.
            for (key, value) in options {
                round_trip(&format!(
                    "CREATE EXTERNAL TABLE t STORED AS {format} LOCATION '{location}' \
                     OPTIONS ('{key}' {value})"
                ));
            }
            let all: Vec<String> = options.iter().map(|(k, v)| format!("'{k}' {v}")).collect();
            round_trip(&format!(
                "CREATE EXTERNAL TABLE t STORED AS {format} LOCATION '{location}' OPTIONS ({})",
                all.join(", ")
            ));
        }
    }
}
