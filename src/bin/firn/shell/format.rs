//! Printing query results as a table, CSV or JSON, and the timing footer.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::{csv, json};
use datafusion::error::DataFusionError;

use super::display::{Screen, Shown, column_text, render_table};
use firnml::{Error, QueryOutput, Result};

/// How the shell prints query results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A boxed text table (the header is printed even when there are no rows).
    #[default]
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects, one per row; nulls are written as `null`.
    Json,
}

impl OutputFormat {
    /// Whether the output is meant for programs: informational lines then go to stderr.
    pub fn is_machine_readable(self) -> bool {
        matches!(self, OutputFormat::Csv | OutputFormat::Json)
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        })
    }
}

impl FromStr for OutputFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(OutputFormat::Table),
            "csv" => Ok(OutputFormat::Csv),
            "json" => Ok(OutputFormat::Json),
            _ => Err(Error::Unsupported(format!(
                "unknown output format '{s}': use table, csv or json"
            ))),
        }
    }
}

/// Writes a statement's result in `format` (a table as `screen` allows; CSV and
/// JSON whole) and says how many rows it printed. A result without columns (DDL,
/// `SET`, …) prints nothing.
pub fn write_output(
    out: &mut impl Write,
    format: OutputFormat,
    output: &QueryOutput,
    screen: &Screen,
) -> Result<Shown> {
    let total = row_count(output);
    let mut shown = Shown {
        total,
        shown: total,
    };
    if output.schema.fields().is_empty() {
        return Ok(shown);
    }
    match format {
        OutputFormat::Table => {
            let (table, table_shown) = render_table(output, screen)?;
            shown = table_shown;
            writeln!(out, "{table}").map_err(write_error)?;
        }
        OutputFormat::Csv => {
            // Each batch goes through a buffer, so a closed pipe stays an I/O error (the CSV
            // writer would turn it into text).
            let empty = [RecordBatch::new_empty(output.schema.clone())];
            let batches = if output.batches.is_empty() {
                &empty[..] // still print the header
            } else {
                &output.batches[..]
            };
            for (i, batch) in batches.iter().enumerate() {
                let mut writer = csv::WriterBuilder::new()
                    .with_header(i == 0)
                    .build(Vec::new());
                writer
                    .write(&stringify_nested(batch)?)
                    .map_err(arrow_write_error)?;
                out.write_all(&writer.into_inner()).map_err(write_error)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, json::writer::JsonArray>(&mut *out);
            for batch in &output.batches {
                writer.write(batch).map_err(arrow_write_error)?;
            }
            writer.finish().map_err(arrow_write_error)?;
            writeln!(out).map_err(write_error)?;
        }
    }
    Ok(shown)
}

/// The number of rows in a result.
pub fn row_count(output: &QueryOutput) -> usize {
    output.batches.iter().map(RecordBatch::num_rows).sum()
}

/// The `\timing` footer: `3 rows in 1.2 ms`, `17130 rows (40 shown) in 2.1 s`, or
/// `OK in 1.2 ms` for a result without columns.
pub fn footer(output: &QueryOutput, shown: Shown, elapsed: Duration) -> String {
    let time = format_duration(elapsed);
    if output.schema.fields().is_empty() {
        return format!("OK in {time}");
    }
    format!("{} in {time}", shown.describe())
}

/// A duration for people: `0.4 ms`, `12.3 ms`, `2.35 s`.
pub fn format_duration(elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// CSV cannot hold lists, structs or maps: print such columns as text instead.
fn stringify_nested(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch.columns().iter().any(|c| c.data_type().is_nested()) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !column.data_type().is_nested() {
            fields.push(field.clone());
            columns.push(column.clone());
            continue;
        }
        let text = StringArray::from(column_text(column.as_ref())?);
        fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
        columns.push(Arc::new(text));
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns).map_err(DataFusionError::from)?)
}

fn write_error(err: std::io::Error) -> Error {
    Error::io("writing output", err)
}

fn arrow_write_error(err: ArrowError) -> Error {
    match err {
        ArrowError::IoError(_, source) => write_error(source),
        other => Error::DataFusion(DataFusionError::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, Int64Array, ListArray};
    use datafusion::arrow::datatypes::Int64Type;

    fn output(batches: Vec<RecordBatch>, schema: SchemaRef) -> QueryOutput {
        QueryOutput { schema, batches }
    }

    fn sample() -> QueryOutput {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("a,b"), None])),
            ],
        )
        .unwrap();
        output(vec![batch], schema)
    }

    fn render(format: OutputFormat, output: &QueryOutput) -> String {
        let mut buf = Vec::new();
        write_output(&mut buf, format, output, &Screen::default()).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn table() {
        assert_eq!(
            render(OutputFormat::Table, &sample()),
            "+----+------+\n\
             | id | name |\n\
             +----+------+\n\
             | 1  | a,b  |\n\
             | 2  |      |\n\
             +----+------+\n"
        );
    }

    #[test]
    fn empty_results_keep_their_header() {
        let schema = sample().schema;
        let empty = output(vec![], schema.clone());
        assert_eq!(
            render(OutputFormat::Table, &empty),
            "+----+------+\n| id | name |\n+----+------+\n+----+------+\n"
        );
        assert_eq!(render(OutputFormat::Csv, &empty), "id,name\n");
        assert_eq!(render(OutputFormat::Json, &empty), "[]\n");
        let empty_batch = output(vec![RecordBatch::new_empty(schema.clone())], schema);
        assert_eq!(render(OutputFormat::Csv, &empty_batch), "id,name\n");
    }

    #[test]
    fn csv() {
        assert_eq!(
            render(OutputFormat::Csv, &sample()),
            "id,name\n1,\"a,b\"\n2,\n"
        );
    }

    #[test]
    fn csv_header_once_for_several_batches() {
        let mut two = sample();
        two.batches.push(two.batches[0].slice(0, 1));
        assert_eq!(
            render(OutputFormat::Csv, &two),
            "id,name\n1,\"a,b\"\n2,\n1,\"a,b\"\n"
        );
        assert_eq!(
            render(OutputFormat::Json, &two),
            "[{\"id\":1,\"name\":\"a,b\"},{\"id\":2,\"name\":null},{\"id\":1,\"name\":\"a,b\"}]\n"
        );
    }

    #[test]
    fn json_array_with_explicit_nulls() {
        assert_eq!(
            render(OutputFormat::Json, &sample()),
            "[{\"id\":1,\"name\":\"a,b\"},{\"id\":2,\"name\":null}]\n"
        );
    }

    #[test]
    fn results_without_columns_print_nothing() {
        let ddl = output(vec![], Arc::new(Schema::empty()));
        for format in [OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json] {
            assert_eq!(render(format, &ddl), "");
        }
    }

    #[test]
    fn csv_prints_nested_columns_as_text() {
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
        ]);
        let schema = Arc::new(Schema::new(vec![Field::new(
            "xs",
            list.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(list)]).unwrap();
        assert_eq!(
            render(OutputFormat::Csv, &output(vec![batch], schema)),
            // The csv crate quotes a lone empty field so the line is not blank.
            "xs\n\"[1, 2]\"\n\"\"\n"
        );
    }

    #[test]
    fn footers() {
        let ms = Duration::from_micros(1234);
        let all = |n| Shown { total: n, shown: n };
        assert_eq!(footer(&sample(), all(2), ms), "2 rows in 1.2 ms");
        let one = output(vec![sample().batches[0].slice(0, 1)], sample().schema);
        assert_eq!(footer(&one, all(1), ms), "1 row in 1.2 ms");
        let cut = Shown {
            total: 17130,
            shown: 40,
        };
        assert_eq!(footer(&one, cut, ms), "17130 rows (40 shown) in 1.2 ms");
        let ddl = output(vec![], Arc::new(Schema::empty()));
        assert_eq!(footer(&ddl, all(0), ms), "OK in 1.2 ms");
        assert_eq!(format_duration(Duration::from_millis(2346)), "2.35 s");
    }

    #[test]
    fn parses_formats() {
        assert_eq!("CSV".parse::<OutputFormat>().unwrap(), OutputFormat::Csv);
        assert_eq!(
            "table".parse::<OutputFormat>().unwrap(),
            OutputFormat::Table
        );
        let err = "xml".parse::<OutputFormat>().unwrap_err().to_string();
        assert!(err.contains("table, csv or json"), "{err}");
        assert_eq!(OutputFormat::Json.to_string(), "json");
    }
}
