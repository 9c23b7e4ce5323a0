//! Text for people: numbers with their decimals and thousands separators,
//! times in UTC, names cut to fit, and escaping for HTML and SVG (feature and
//! model names are user text).

use chrono::{DateTime, TimeZone, Utc};

/// `value` with `digits` decimals and thousands separators; `-0` prints as `0`.
pub fn format_fixed(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_string()
        } else if value > 0.0 {
            "∞".to_string()
        } else {
            "−∞".to_string()
        };
    }
    let text = format!("{value:.digits$}");
    let text = if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    };
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A measured value for people: four significant decimals for values below
/// 10 (`0.9132`, `3.1416`), fewer as values grow (`123.46`, `12,346`), and
/// scientific notation for very small or very large magnitudes.
///
/// ```
/// use firnml::report::format::format_value;
/// assert_eq!(format_value(0.91324), "0.9132");
/// assert_eq!(format_value(12345.678), "12,346");
/// assert_eq!(format_value(3.0), "3.0000");
/// assert_eq!(format_value(0.00001234), "1.234e-5");
/// ```
pub fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if value.is_finite() && magnitude != 0.0 && !(1e-3..1e12).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let digits = if magnitude < 10.0 {
        4
    } else if magnitude < 1000.0 {
        2
    } else {
        0
    };
    format_fixed(value, digits)
}

/// Escapes `text` for XML and HTML text and attribute values.
///
/// ```
/// use firnml::report::format::escape;
/// assert_eq!(escape(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// An RFC 3339 time as people read it, in UTC: `2026-12-04 21:05:09 UTC`
/// (the text itself when it is not a time).
pub fn readable_time(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_string(),
        |t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        },
    )
}

/// Milliseconds since the Unix epoch as people read them, in UTC.
pub fn readable_millis(millis: i64) -> String {
    Utc.timestamp_millis_opt(millis).single().map_or_else(
        || millis.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// A duration in seconds: `0.42 s`, `12.3 s`, `4 min 05 s`.
pub fn readable_seconds(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "—".to_string();
    }
    if seconds < 10.0 {
        format!("{seconds:.2} s")
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_naturally() {
        assert_eq!(format_value(0.0), "0.0000");
        assert_eq!(format_value(-0.5), "-0.5000");
        assert_eq!(format_value(42.4242), "42.42");
        assert_eq!(format_value(2.5e13), "2.500e13");
        assert_eq!(format_fixed(-0.0001, 2), "0.00");
        assert_eq!(format_fixed(-1234567.891, 1), "-1,234,567.9");
        assert_eq!(format_fixed(f64::NAN, 2), "NaN");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("a<b & c>\"d\" 'e'"),
            "a&lt;b &amp; c&gt;&quot;d&quot; &#39;e&#39;"
        );
        assert_eq!(
            escape("bell\u{7}"),
            "bell\u{fffd}",
            "control characters are not XML"
        );
        assert_eq!(escape("日本語"), "日本語");
    }

    #[test]
    fn truncates_long_names() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a_very_long_feature_name", 10), "a_very_lo…");
        assert_eq!(truncate("日本語テキスト", 4), "日本語…");
    }

    #[test]
    fn times_and_durations_read_naturally() {
        assert_eq!(
            readable_time("2026-12-04T21:05:09.123+01:00"),
            "2026-12-04 20:05:09 UTC"
        );
        assert_eq!(readable_time("yesterday"), "yesterday");
        assert_eq!(readable_millis(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(readable_seconds(0.4242), "0.42 s");
        assert_eq!(readable_seconds(12.34), "12.3 s");
        assert_eq!(readable_seconds(245.0), "4 min 05 s");
        assert_eq!(readable_seconds(f64::NAN), "—");
    }
}
