//! Times of the spine and of feature rows as microseconds since the Unix epoch,
//! so DATE, DATE64 and TIMESTAMP columns of any unit compare with each other.
//! A TIMESTAMP with a time zone counts from the UTC epoch, one without it is
//! taken as UTC.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::kernels::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `array` (a DATE or TIMESTAMP column) as microseconds since the epoch.
pub fn to_micros(array: &ArrayRef) -> Result<Int64Array> {
    Ok(match array.data_type() {
        DataType::Date32 => array
            .as_primitive::<Date32Type>()
            .unary(|d| i64::from(d).saturating_mul(MICROS_PER_DAY)),
        DataType::Date64 => array
            .as_primitive::<Date64Type>()
            .unary(|ms| ms.saturating_mul(1_000)),
        DataType::Timestamp(TimeUnit::Second, _) => array
            .as_primitive::<TimestampSecondType>()
            .unary(|s| s.saturating_mul(1_000_000)),
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .unary(|ms| ms.saturating_mul(1_000)),
        DataType::Timestamp(TimeUnit::Microsecond, _) => array
            .as_primitive::<TimestampMicrosecondType>()
            .unary(|us| us),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => array
            .as_primitive::<TimestampNanosecondType>()
            .unary(|ns| ns.div_euclid(1_000)),
        DataType::Int64 => array.as_primitive::<Int64Type>().clone(),
        other => return exec_err!("a time column is {other}, not a DATE or TIMESTAMP"),
    })
}

/// A constant time given as text (`'2024-06-30'`, `'2024-06-30 12:00:00'`), in microseconds.
pub fn parse_instant(text: &str, what: &str) -> Result<i64> {
    let value = ScalarValue::Utf8(Some(text.to_string()));
    match value.cast_to(&DataType::Timestamp(TimeUnit::Microsecond, None)) {
        Ok(ScalarValue::TimestampMicrosecond(Some(us), _)) => Ok(us),
        _ => plan_err!("{what} '{text}' is not a date or timestamp such as '2024-06-30'"),
    }
}

/// A fixed duration given as text (`'90 days'`, `'12 hours'`, `'1 day 6 hours'`), in microseconds.
pub fn parse_duration(text: &str, what: &str) -> Result<i64> {
    let value = ScalarValue::Utf8(Some(text.to_string()));
    let interval = value.cast_to(&DataType::Interval(
        datafusion::arrow::datatypes::IntervalUnit::MonthDayNano,
    ));
    match interval {
        Ok(ScalarValue::IntervalMonthDayNano(Some(v))) => {
            if v.months != 0 {
                return plan_err!(
                    "{what} '{text}' uses months or years, which have no fixed length; give days, hours, minutes or seconds"
                );
            }
            let micros = i64::from(v.days)
                .saturating_mul(MICROS_PER_DAY)
                .saturating_add(v.nanoseconds.div_euclid(1_000));
            if micros < 0 {
                return plan_err!("{what} '{text}' is negative");
            }
            Ok(micros)
        }
        _ => plan_err!("{what} '{text}' is not a duration such as '90 days' or '12 hours'"),
    }
}

/// Casts `array` to `data_type` when it is not of that type already.
pub fn cast_to(array: &ArrayRef, data_type: &DataType) -> Result<ArrayRef> {
    if array.data_type() == data_type {
        Ok(Arc::clone(array))
    } else {
        Ok(cast::cast(array.as_ref(), data_type)?)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date32Array, TimestampMillisecondArray};

    use super::*;

    #[test]
    fn dates_and_timestamps_share_one_scale() {
        let date: ArrayRef = Arc::new(Date32Array::from(vec![Some(1), None]));
        let micros = to_micros(&date).expect("date");
        assert_eq!(micros.value(0), MICROS_PER_DAY);
        assert!(micros.is_null(1));
        let ts: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![86_400_000]).with_timezone("UTC"));
        assert_eq!(to_micros(&ts).expect("ts").value(0), MICROS_PER_DAY);
        assert_eq!(
            parse_instant("1970-01-02", "cutoff").expect("date"),
            MICROS_PER_DAY
        );
        assert!(parse_instant("yesterday-ish", "cutoff").is_err());
    }

    #[test]
    fn durations_are_fixed_lengths() {
        assert_eq!(
            parse_duration("2 days", "lookback").expect("days"),
            2 * MICROS_PER_DAY
        );
        assert_eq!(
            parse_duration("1 day 12 hours", "lookback").expect("mixed"),
            36 * 3_600_000_000
        );
        let months = parse_duration("1 month", "lookback")
            .expect_err("months")
            .to_string();
        assert!(months.contains("no fixed length"), "{months}");
        assert!(parse_duration("soon", "lookback").is_err());
    }
}
