//! Parameters of prepared statements. Clients write `?` (JDBC, ODBC, most
//! drivers) or `$1`, `$2`, … (PostgreSQL style); `?`s are numbered in the order
//! they appear. Bound values are written into the statement as SQL literals of
//! their type, and the statement then runs exactly as the shell would run it —
//! so parameters work in every statement, Firn's own included
//! (`CREATE MODEL … AS SELECT … WHERE segment = ?`).

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use tonic::Status;

/// A statement with its placeholders numbered `$1…$n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Numbered {
    /// The statement text.
    pub(crate) sql: String,
    /// The number of parameters (the highest `$n`).
    pub(crate) count: usize,
}

/// The byte offsets and texts of the statement's placeholder tokens.
fn placeholders(sql: &str) -> Result<Vec<(usize, String)>, Status> {
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| Status::invalid_argument(format!("SQL error: {e}")))?;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut found = Vec::new();
    for token in tokens {
        if let Token::Placeholder(text) = token.token {
            let location = token.span.start;
            let line_start = usize::try_from(location.line)
                .ok()
                .and_then(|line| line.checked_sub(1))
                .and_then(|line| line_starts.get(line).copied())
                .ok_or_else(|| Status::internal("placeholder position out of range"))?;
            let column = usize::try_from(location.column)
                .unwrap_or(1)
                .saturating_sub(1);
            let offset = sql[line_start..]
                .char_indices()
                .nth(column)
                .map(|(i, _)| line_start + i)
                .ok_or_else(|| Status::internal("placeholder position out of range"))?;
            found.push((offset, text));
        }
    }
    Ok(found)
}

/// The position (1-based) of a `$n` placeholder.
fn dollar_number(text: &str) -> Option<usize> {
    text.strip_prefix('$')?.parse().ok().filter(|n| *n > 0)
}

/// Numbers `?` placeholders `$1…$n` in order; counts `$n` ones. Mixing the two
/// styles is an error; other placeholders (`:name`) are left to the planner.
pub(crate) fn number(sql: &str) -> Result<Numbered, Status> {
    let found = placeholders(sql)?;
    let questions = found.iter().filter(|(_, t)| t == "?").count();
    let highest = found
        .iter()
        .filter_map(|(_, t)| dollar_number(t))
        .max()
        .unwrap_or(0);
    if questions > 0 && highest > 0 {
        return Err(Status::invalid_argument(
            "a statement may use '?' or '$1, $2, …' placeholders, not both",
        ));
    }
    if questions == 0 {
        return Ok(Numbered {
            sql: sql.to_string(),
            count: highest,
        });
    }
    let mut out = String::with_capacity(sql.len() + questions * 2);
    let mut last = 0;
    let mut n = 0;
    for (offset, text) in found {
        if text == "?" {
            n += 1;
            out.push_str(&sql[last..offset]);
            out.push_str(&format!("${n}"));
            last = offset + 1;
        }
    }
    out.push_str(&sql[last..]);
    Ok(Numbered { sql: out, count: n })
}

/// The statement with row `row` of `params` written in for `$1…$n`.
pub(crate) fn bind(
    numbered: &Numbered,
    params: &RecordBatch,
    row: usize,
) -> Result<String, Status> {
    if params.num_columns() != numbered.count {
        return Err(Status::invalid_argument(format!(
            "the statement has {} parameter{}, {} {} bound",
            numbered.count,
            if numbered.count == 1 { "" } else { "s" },
            params.num_columns(),
            if params.num_columns() == 1 {
                "was"
            } else {
                "were"
            },
        )));
    }
    let literals = params
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            literal(column, row)
                .map_err(|e| Status::invalid_argument(format!("parameter ${}: {e}", i + 1)))
        })
        .collect::<Result<Vec<String>, Status>>()?;
    let mut out = String::with_capacity(numbered.sql.len() + 16 * literals.len());
    let mut last = 0;
    for (offset, text) in placeholders(&numbered.sql)? {
        if let Some(n) = dollar_number(&text) {
            let value = literals.get(n - 1).ok_or_else(|| {
                Status::invalid_argument(format!("placeholder ${n} has no bound value"))
            })?;
            out.push_str(&numbered.sql[last..offset]);
            out.push_str(value);
            last = offset + text.len();
        }
    }
    out.push_str(&numbered.sql[last..]);
    Ok(out)
}

/// One value of `column` as an SQL literal of its type.
fn literal(column: &ArrayRef, row: usize) -> Result<String, String> {
    let value = ScalarValue::try_from_array(column, row).map_err(|e| e.to_string())?;
    if value.is_null() {
        return Ok("NULL".into());
    }
    let text = || -> Result<String, String> {
        let as_text = cast(&column.slice(row, 1), &DataType::Utf8).map_err(|e| e.to_string())?;
        match ScalarValue::try_from_array(&as_text, 0).map_err(|e| e.to_string())? {
            ScalarValue::Utf8(Some(text)) => Ok(text),
            other => Err(format!("cannot write {other:?} as text")),
        }
    };
    Ok(match &value {
        ScalarValue::Boolean(Some(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
        ScalarValue::Int8(_)
        | ScalarValue::Int16(_)
        | ScalarValue::Int32(_)
        | ScalarValue::Int64(_)
        | ScalarValue::UInt8(_)
        | ScalarValue::UInt16(_)
        | ScalarValue::UInt32(_)
        | ScalarValue::UInt64(_) => {
            // Parenthesised when negative so `a-$1` cannot become the comment `a--1`.
            let text = value.to_string();
            if text.starts_with('-') {
                format!("({text})")
            } else {
                text
            }
        }
        ScalarValue::Float16(_) | ScalarValue::Float32(_) | ScalarValue::Float64(_) => {
            let ScalarValue::Float64(Some(x)) = value
                .cast_to(&DataType::Float64)
                .map_err(|e| e.to_string())?
            else {
                return Err("not a number".into());
            };
            float(x)
        }
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => quote(s),
        ScalarValue::Decimal128(_, p, s) => {
            format!("CAST({} AS DECIMAL({p}, {s}))", quote(&text()?))
        }
        ScalarValue::Date32(_) | ScalarValue::Date64(_) => format!("DATE {}", quote(&text()?)),
        ScalarValue::TimestampSecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampNanosecond(..) => {
            format!("CAST({} AS TIMESTAMP)", quote(&text()?))
        }
        ScalarValue::Binary(Some(bytes))
        | ScalarValue::LargeBinary(Some(bytes))
        | ScalarValue::BinaryView(Some(bytes)) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("X'{hex}'")
        }
        _ => {
            return Err(format!(
                "values of type {} cannot be bound; bind numbers, booleans, strings, dates, timestamps or binary",
                column.data_type()
            ));
        }
    })
}

fn float(x: f64) -> String {
    if x.is_nan() {
        "CAST('NaN' AS DOUBLE)".into()
    } else if x.is_infinite() {
        format!(
            "CAST('{}' AS DOUBLE)",
            if x > 0.0 { "Infinity" } else { "-Infinity" }
        )
    } else {
        // Debug prints the shortest text that parses back to the same double,
        // always with a '.' or an exponent, so SQL reads it as a DOUBLE.
        let text = format!("{x:?}");
        if x < 0.0 { format!("({text})") } else { text }
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        BooleanArray, Date32Array, Float64Array, Int64Array, ListArray, StringArray,
        TimestampMicrosecondArray,
    };
    use datafusion::arrow::datatypes::Int32Type;

    use super::*;

    #[test]
    fn question_marks_are_numbered_outside_strings_and_comments() {
        let numbered =
            number("SELECT '?' AS q, a FROM t -- why?\nWHERE a = ? AND b IN (?, ?)").expect("ok");
        assert_eq!(
            numbered.sql,
            "SELECT '?' AS q, a FROM t -- why?\nWHERE a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(numbered.count, 3);
        let wide = number("SELECT 'é—ü',\t?\n  ,\t\t?").expect("ok");
        assert_eq!(wide.sql, "SELECT 'é—ü',\t$1\n  ,\t\t$2");
        assert_eq!(number("SELECT $2, $1").expect("ok").count, 2);
        assert_eq!(number("SELECT 1").expect("ok").count, 0);
        let err = number("SELECT ?, $1").unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn values_become_typed_literals() {
        let numbered = number("SELECT ?, ?, ?, ?, ?, ?, ?").expect("ok");
        let batch = RecordBatch::try_from_iter(vec![
            ("a", Arc::new(Int64Array::from(vec![Some(-3)])) as ArrayRef),
            ("b", Arc::new(Float64Array::from(vec![0.1])) as ArrayRef),
            ("c", Arc::new(StringArray::from(vec!["it's"])) as ArrayRef),
            ("d", Arc::new(BooleanArray::from(vec![true])) as ArrayRef),
            ("e", Arc::new(Date32Array::from(vec![19_723])) as ArrayRef),
            (
                "f",
                Arc::new(TimestampMicrosecondArray::from(vec![1_000_000])) as ArrayRef,
            ),
            (
                "g",
                Arc::new(Int64Array::from(vec![None::<i64>])) as ArrayRef,
            ),
        ])
        .expect("batch");
        assert_eq!(
            bind(&numbered, &batch, 0).expect("bound"),
            "SELECT (-3), 0.1, 'it''s', TRUE, DATE '2024-01-01', \
             CAST('1970-01-01T00:00:01' AS TIMESTAMP), NULL"
        );
        assert_eq!(float(-2.5), "(-2.5)");
        assert_eq!(float(1e300), "1e300");
        assert_eq!(float(f64::NAN), "CAST('NaN' AS DOUBLE)");
    }

    #[test]
    fn wrong_counts_and_types_are_invalid_arguments() {
        let numbered = number("SELECT $1, $2").expect("ok");
        let one = RecordBatch::try_from_iter(vec![(
            "a",
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
        )])
        .expect("batch");
        let err = bind(&numbered, &one, 0).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert_eq!(err.message(), "the statement has 2 parameters, 1 was bound");

        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)])]);
        let nested =
            RecordBatch::try_from_iter(vec![("a", Arc::new(list) as ArrayRef)]).expect("batch");
        let err = bind(&number("SELECT ?").expect("ok"), &nested, 0).unwrap_err();
        assert!(
            err.message()
                .starts_with("parameter $1: values of type List"),
            "{}",
            err.message()
        );
    }
}
