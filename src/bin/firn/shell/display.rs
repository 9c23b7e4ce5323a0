//! How a table result fits a screen: at most `max_rows` rows (the rest counted in
//! the footer, as DuckDB and datafusion-cli do), cells cut with `…` so the table
//! fits the terminal's width, or one `column | value` block per row (`\x`, psql's
//! expanded mode). CSV and JSON are for programs and are never cut.

use std::fmt::Write as _;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_schema;
use datafusion::error::DataFusionError;
use std::sync::Arc;

use firnml::{QueryOutput, Result};

/// The rows an interactive shell shows of a result by default.
pub const INTERACTIVE_MAX_ROWS: usize = 40;

/// The narrowest a cut column gets (its text, without the borders).
const MIN_COLUMN_WIDTH: usize = 8;

/// `\x`: one block per row instead of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Expanded {
    /// Always a table.
    #[default]
    Off,
    /// Always blocks.
    On,
    /// Blocks when the table would be wider than the terminal.
    Auto,
}

impl Expanded {
    /// The word `\x` prints and takes.
    pub fn word(self) -> &'static str {
        match self {
            Expanded::Off => "off",
            Expanded::On => "on",
            Expanded::Auto => "auto",
        }
    }
}

/// What the screen allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    /// Rows shown of a result; `None`: all.
    pub max_rows: Option<usize>,
    /// The terminal's width in characters; `None`: no limit (a pipe, a file).
    pub width: Option<usize>,
    /// `\x`.
    pub expanded: Expanded,
}

/// How many of a result's rows were printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Rows in the result.
    pub total: usize,
    /// Rows printed.
    pub shown: usize,
}

impl Shown {
    /// `17130 rows (40 shown)`, `1 row`.
    pub fn describe(&self) -> String {
        let rows = match self.total {
            1 => "1 row".to_string(),
            n => format!("{n} rows"),
        };
        if self.shown < self.total {
            format!("{rows} ({} shown)", self.shown)
        } else {
            rows
        }
    }
}

/// Writes `output` as a table (or blocks) for `screen`.
pub fn render_table(output: &QueryOutput, screen: &Screen) -> Result<(String, Shown)> {
    let total: usize = output.batches.iter().map(RecordBatch::num_rows).sum();
    let shown = screen.max_rows.map_or(total, |max| total.min(max));
    let batches = first_rows(&output.batches, shown);
    let counts = Shown { total, shown };
    let natural = || -> Result<String> {
        Ok(
            pretty_format_batches_with_schema(output.schema.clone(), &batches)
                .map_err(DataFusionError::from)?
                .to_string(),
        )
    };
    let names: Vec<String> = output
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    if screen.expanded == Expanded::On {
        return Ok((expanded(&names, &cells(&batches)?), counts));
    }
    let Some(width) = screen.width else {
        return Ok((natural()?, counts));
    };
    let rows = cells(&batches)?;
    let widths = column_widths(&names, &rows);
    if table_width(&widths) <= width {
        return Ok((natural()?, counts));
    }
    if screen.expanded == Expanded::Auto {
        return Ok((expanded(&names, &rows), counts));
    }
    let limit = fitting_limit(&widths, width);
    let cut = |text: &str| cut_to(text, limit);
    let fields: Vec<Field> = names
        .iter()
        .map(|name| Field::new(cut(name), DataType::Utf8, true))
        .collect();
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|c| {
            Arc::new(StringArray::from_iter(
                rows.iter().map(|row| row[c].as_deref().map(cut)),
            )) as ArrayRef
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(DataFusionError::from)?;
    let text = pretty_format_batches_with_schema(schema, &[batch])
        .map_err(DataFusionError::from)?
        .to_string();
    Ok((text, counts))
}

/// The first `n` rows of `batches`.
fn first_rows(batches: &[RecordBatch], n: usize) -> Vec<RecordBatch> {
    let mut left = n;
    let mut out = Vec::new();
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        out.push(batch.slice(0, take));
        left -= take;
    }
    out
}

/// Every cell as text (`None` for NULL), row by row.
fn cells(batches: &[RecordBatch]) -> Result<Vec<Vec<Option<String>>>> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|c| column_text(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[row].clone()).collect());
        }
    }
    Ok(rows)
}

/// A column's values as Arrow prints them (`None` for NULL).
pub fn column_text(column: &dyn Array) -> Result<Vec<Option<String>>> {
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(column, &options).map_err(DataFusionError::from)?;
    (0..column.len())
        .map(|row| {
            if column.is_null(row) {
                return Ok(None);
            }
            let text = formatter
                .value(row)
                .try_to_string()
                .map_err(DataFusionError::from)?;
            Ok(Some(text))
        })
        .collect()
}

/// The width of each column's widest cell (header included).
fn column_widths(names: &[String], rows: &[Vec<Option<String>>]) -> Vec<usize> {
    names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            rows.iter()
                .filter_map(|row| row[c].as_deref())
                .map(text_width)
                .chain([text_width(name)])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The printed width of a table: `| a | b |`.
fn table_width(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// The largest cell width (at least [`MIN_COLUMN_WIDTH`]) that makes the table
/// fit `width` when every wider cell is cut to it.
fn fitting_limit(widths: &[usize], width: usize) -> usize {
    let widest = widths.iter().copied().max().unwrap_or(0);
    let fits = |limit: usize| {
        let cut: Vec<usize> = widths.iter().map(|w| (*w).min(limit)).collect();
        table_width(&cut) <= width
    };
    let (mut low, mut high) = (MIN_COLUMN_WIDTH, widest.max(MIN_COLUMN_WIDTH));
    if !fits(low) {
        return low; // too many columns for the screen: the terminal wraps (or use \x)
    }
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(mid) { low = mid } else { high = mid - 1 }
    }
    low
}

fn text_width(text: &str) -> usize {
    console::measure_text_width(text)
}

/// `text` cut to `limit` characters, ending in `…` when cut.
fn cut_to(text: &str, limit: usize) -> String {
    console::truncate_str(text, limit, "…").into_owned()
}

/// psql's expanded layout: `-[ RECORD 1 ]-…` then `column | value` lines.
fn expanded(names: &[String], rows: &[Vec<Option<String>>]) -> String {
    let name_width = names.iter().map(|n| text_width(n)).max().unwrap_or(0);
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("(no rows)");
    }
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let title = format!("-[ RECORD {} ]", i + 1);
        let _ = write!(
            out,
            "{title}{}",
            "-".repeat((name_width + 3).saturating_sub(title.len()).max(1))
        );
        for (name, value) in names.iter().zip(row) {
            let pad = name_width - text_width(name);
            let _ = write!(
                out,
                "\n{name}{} | {}",
                " ".repeat(pad),
                value.as_deref().unwrap_or("")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    fn wide(rows: usize) -> QueryOutput {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("comment", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(0..rows as i64)),
                Arc::new(StringArray::from_iter((0..rows).map(|i| {
                    (i != 1).then(|| format!("{i} {}", "long text ".repeat(8)))
                }))),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        QueryOutput {
            schema,
            batches: vec![
                batch.slice(0, rows / 2),
                batch.slice(rows / 2, rows - rows / 2),
            ],
        }
    }

    fn render(output: &QueryOutput, screen: Screen) -> (String, Shown) {
        render_table(output, &screen).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn rows_past_the_limit_are_counted_not_printed() {
        let screen = Screen {
            max_rows: Some(3),
            ..Screen::default()
        };
        let (text, shown) = render(&wide(10), screen);
        assert_eq!(
            shown,
            Shown {
                total: 10,
                shown: 3
            }
        );
        assert_eq!(shown.describe(), "10 rows (3 shown)");
        assert_eq!(text.lines().count(), 3 + 4, "{text}");
        let (_, all) = render(&wide(2), screen);
        assert_eq!(all.describe(), "2 rows");
    }

    #[test]
    fn a_narrow_terminal_cuts_the_widest_cells() {
        let screen = Screen {
            width: Some(40),
            ..Screen::default()
        };
        let (text, _) = render(&wide(3), screen);
        for line in text.lines() {
            assert!(text_width(line) <= 40, "{line}\n{text}");
        }
        assert!(text.contains("…"), "{text}");
        assert!(text.contains("| 2  | 2 long"), "{text}");
        // Wide enough: the table as DataFusion prints it.
        let roomy = Screen {
            width: Some(200),
            ..Screen::default()
        };
        assert!(!render(&wide(3), roomy).0.contains('…'));
    }

    #[test]
    fn expanded_mode_prints_a_block_per_row() {
        let screen = Screen {
            expanded: Expanded::On,
            ..Screen::default()
        };
        let (text, _) = render(&wide(2), screen);
        assert!(text.starts_with("-[ RECORD 1 ]-"), "{text}");
        assert!(
            text.contains("\nid      | 0\ncomment | 0 long text"),
            "{text}"
        );
        assert!(text.contains("-[ RECORD 2 ]"), "{text}");
        assert!(text.ends_with("comment | "), "a NULL is empty: {text}");
        let auto = Screen {
            expanded: Expanded::Auto,
            width: Some(30),
            ..Screen::default()
        };
        assert!(render(&wide(2), auto).0.starts_with("-[ RECORD 1 ]"));
        let auto_wide = Screen {
            width: Some(300),
            ..auto
        };
        assert!(render(&wide(2), auto_wide).0.starts_with("+----"));
    }
}
