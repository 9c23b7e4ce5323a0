//! Column helpers shared by the system tables: UTC timestamps and string maps.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Builder, MapBuilder, StringBuilder, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::DataType;

pub use crate::storage::clock::timestamp_field;

/// Milliseconds since the Unix epoch of an RFC 3339 time; `None` if it is not one.
pub fn millis(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// A timestamp column from RFC 3339 strings (unparseable or missing → NULL).
pub fn timestamps<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    let millis: Vec<Option<i64>> = values.into_iter().map(|v| v.and_then(millis)).collect();
    Arc::new(TimestampMillisecondArray::from(millis).with_timezone("UTC"))
}

/// The type of a `MAP<VARCHAR, DOUBLE>` column as [`number_map`] builds it.
pub fn number_map_type() -> DataType {
    MapBuilder::new(None, StringBuilder::new(), Float64Builder::new())
        .finish()
        .data_type()
        .clone()
}

/// The type of a `MAP<VARCHAR, VARCHAR>` column as [`text_map`] builds it.
pub fn text_map_type() -> DataType {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
        .finish()
        .data_type()
        .clone()
}

/// A `MAP<VARCHAR, DOUBLE>` column, one map per row; non-finite values become NULL.
pub fn number_map<'a>(rows: impl IntoIterator<Item = &'a [(String, f64)]>) -> ArrayRef {
    let mut builder = MapBuilder::new(None, StringBuilder::new(), Float64Builder::new());
    for row in rows {
        for (key, value) in row {
            builder.keys().append_value(key);
            builder
                .values()
                .append_option(Some(*value).filter(|v| v.is_finite()));
        }
        // Appending an entry count that matches the keys and values cannot fail.
        let _ = builder.append(true);
    }
    Arc::new(builder.finish())
}

/// A `MAP<VARCHAR, VARCHAR>` column, one map per row.
pub fn text_map<'a>(rows: impl IntoIterator<Item = &'a [(String, String)]>) -> ArrayRef {
    let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for row in rows {
        for (key, value) in row {
            builder.keys().append_value(key);
            builder.values().append_value(value);
        }
        let _ = builder.append(true);
    }
    Arc::new(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_timestamps_have_the_declared_types() {
        let metrics = vec![("f1".to_string(), 0.5), ("nan".to_string(), f64::NAN)];
        let map = number_map([metrics.as_slice(), &[]]);
        assert_eq!(map.data_type(), &number_map_type());
        assert_eq!(map.len(), 2);
        let params = vec![("max_depth".to_string(), "5".to_string())];
        assert_eq!(text_map([params.as_slice()]).data_type(), &text_map_type());
        let times = timestamps([Some("2024-06-30T00:00:00.000Z"), Some("junk"), None]);
        assert_eq!(times.data_type(), &crate::storage::clock::timestamp_type());
        assert_eq!(times.null_count(), 2);
        assert_eq!(millis("1970-01-01T00:00:01Z"), Some(1000));
    }
}
