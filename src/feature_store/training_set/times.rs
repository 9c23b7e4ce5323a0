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

/// The first value of `data_type` whose time (as [`to_micros`] reads it) is at
/// or after `micros`, when it can be told exactly: `None` for other types and
/// at the ends of a type's range, where the caller keeps every row.
pub fn first_at_or_after(micros: i64, data_type: &DataType) -> Option<ScalarValue> {
    let candidate = match micros_per_unit(data_type)? {
        Unit::Times(unit) => micros.div_euclid(unit) + i64::from(micros.rem_euclid(unit) != 0),
        Unit::Nanos => micros.checked_mul(1_000)?,
    };
    let value = scalar(candidate, data_type)?;
    let before = scalar(candidate.checked_sub(1)?, data_type)?;
    (time_of(&value)? >= micros && time_of(&before)? < micros).then_some(value)
}

/// The last value of `data_type` whose time (as [`to_micros`] reads it) is at
/// or before `micros`, when it can be told exactly (see [`first_at_or_after`]).
pub fn last_at_or_before(micros: i64, data_type: &DataType) -> Option<ScalarValue> {
    let candidate = match micros_per_unit(data_type)? {
        Unit::Times(unit) => micros.div_euclid(unit),
        Unit::Nanos => micros.checked_mul(1_000)?.checked_add(999)?,
    };
    let value = scalar(candidate, data_type)?;
    let after = scalar(candidate.checked_add(1)?, data_type)?;
    (time_of(&value)? <= micros && time_of(&after)? > micros).then_some(value)
}

/// How a type's integer counts relate to microseconds.
enum Unit {
    /// One unit is this many microseconds.
    Times(i64),
    /// Nanoseconds: a thousand units per microsecond.
    Nanos,
}

fn micros_per_unit(data_type: &DataType) -> Option<Unit> {
    Some(match data_type {
        DataType::Date32 => Unit::Times(MICROS_PER_DAY),
        DataType::Date64 | DataType::Timestamp(TimeUnit::Millisecond, _) => Unit::Times(1_000),
        DataType::Timestamp(TimeUnit::Second, _) => Unit::Times(1_000_000),
        DataType::Timestamp(TimeUnit::Microsecond, _) | DataType::Int64 => Unit::Times(1),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Unit::Nanos,
        _ => return None,
    })
}

/// `count` units of `data_type` as a scalar of that type, if it fits.
fn scalar(count: i64, data_type: &DataType) -> Option<ScalarValue> {
    let some = Some(count);
    Some(match data_type {
        DataType::Date32 => ScalarValue::Date32(Some(i32::try_from(count).ok()?)),
        DataType::Date64 => ScalarValue::Date64(some),
        DataType::Timestamp(TimeUnit::Second, tz) => ScalarValue::TimestampSecond(some, tz.clone()),
        DataType::Timestamp(TimeUnit::Millisecond, tz) => {
            ScalarValue::TimestampMillisecond(some, tz.clone())
        }
        DataType::Timestamp(TimeUnit::Microsecond, tz) => {
            ScalarValue::TimestampMicrosecond(some, tz.clone())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
            ScalarValue::TimestampNanosecond(some, tz.clone())
        }
        DataType::Int64 => ScalarValue::Int64(some),
        _ => return None,
    })
}

/// The time of a scalar, read as [`to_micros`] reads a column.
fn time_of(value: &ScalarValue) -> Option<i64> {
    let micros = to_micros(&value.to_array().ok()?).ok()?;
    (!micros.is_null(0)).then(|| micros.value(0))
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
    fn bounds_are_the_first_and_last_values_on_each_side_of_an_instant() {
        let day = MICROS_PER_DAY;
        let date = DataType::Date32;
        // An instant inside day 10: the first date at or after it is day 11, the last before it day 10.
        assert_eq!(
            first_at_or_after(10 * day + 1, &date),
            Some(ScalarValue::Date32(Some(11)))
        );
        assert_eq!(
            last_at_or_before(10 * day + 1, &date),
            Some(ScalarValue::Date32(Some(10)))
        );
        // On a day boundary both are that day, before the epoch too.
        assert_eq!(
            first_at_or_after(-3 * day, &date),
            Some(ScalarValue::Date32(Some(-3)))
        );
        assert_eq!(
            last_at_or_before(-3 * day, &date),
            Some(ScalarValue::Date32(Some(-3)))
        );
        assert_eq!(
            first_at_or_after(-3 * day + 5, &date),
            Some(ScalarValue::Date32(Some(-2)))
        );
        let tz: Option<Arc<str>> = Some("UTC".into());
        let ns = DataType::Timestamp(TimeUnit::Nanosecond, tz.clone());
        assert_eq!(
            first_at_or_after(7, &ns),
            Some(ScalarValue::TimestampNanosecond(Some(7_000), tz.clone()))
        );
        assert_eq!(
            last_at_or_before(7, &ns),
            Some(ScalarValue::TimestampNanosecond(Some(7_999), tz))
        );
        let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
        assert_eq!(
            first_at_or_after(-1, &ms),
            Some(ScalarValue::TimestampMillisecond(Some(0), None))
        );
        assert_eq!(
            last_at_or_before(-1, &ms),
            Some(ScalarValue::TimestampMillisecond(Some(-1), None))
        );
        // Where to_micros saturates the bound is still the exact one…
        assert_eq!(
            first_at_or_after(i64::MAX, &date),
            Some(ScalarValue::Date32(Some(
                i32::try_from(i64::MAX / day + 1).expect("fits")
            )))
        );
        // …past a type's range, or for a type that is not a time, none is claimed.
        assert_eq!(last_at_or_before(i64::MIN, &ns), None);
        assert_eq!(first_at_or_after(i64::MIN, &DataType::Int64), None);
        assert_eq!(first_at_or_after(5, &DataType::Utf8), None);
        // Every bound found is exact: checked against to_micros on neighbours.
        for unit in [
            DataType::Date32,
            DataType::Date64,
            DataType::Timestamp(TimeUnit::Second, None),
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Nanosecond, None),
        ] {
            for micros in [-day - 1, -1, 0, 1, 999, 1_000, 1_001, day - 1, day, day + 1] {
                let first = first_at_or_after(micros, &unit).expect("first");
                let last = last_at_or_before(micros, &unit).expect("last");
                assert!(time_of(&first).expect("time") >= micros, "{unit} {micros}");
                assert!(time_of(&last).expect("time") <= micros, "{unit} {micros}");
            }
        }
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
