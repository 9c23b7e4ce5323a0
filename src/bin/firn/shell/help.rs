//! `\h [TOPIC]`: the reference inside the product, as psql's `\h` — a
//! function's or statement's syntax, description and example, read from
//! `firn.functions` (the same text `SHOW FUNCTIONS` shows).

use datafusion::arrow::array::{Array, AsArray};

use firnml::error::suggest::did_you_mean;
use firnml::{Error, Result, Session};

/// `\h` without a topic: what there is help on.
pub const TOPICS: &str = "SELECT section, function_type AS kind, \
     string_agg(function_name, ', ' ORDER BY function_name) AS names \
     FROM firn.functions GROUP BY section, function_type ORDER BY section, kind";

/// The help text of `topic` (`predict`, `CREATE MODEL`, `create`): every entry
/// named so, else every statement starting with it.
pub async fn help(session: &Session, topic: &str) -> Result<String> {
    let topic = topic
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let output = session
        .execute(
            "SELECT function_name, function_type, section, syntax, description, example \
             FROM firn.functions",
        )
        .await?;
    let mut entries: Vec<[String; 6]> = Vec::new();
    for batch in &output.batches {
        let text = |column: usize, row: usize| {
            let column = batch.column(column).as_string::<i32>();
            if column.is_null(row) {
                String::new()
            } else {
                column.value(row).to_string()
            }
        };
        for row in 0..batch.num_rows() {
            entries.push([0, 1, 2, 3, 4, 5].map(|c| text(c, row)));
        }
    }
    let mut chosen: Vec<&[String; 6]> = entries.iter().filter(|e| e[0] == topic).collect();
    if chosen.is_empty() {
        chosen = entries
            .iter()
            .filter(|e| e[1] == "statement" && e[0].starts_with(&format!("{topic} ")))
            .collect();
    }
    if chosen.is_empty() {
        let names = entries.iter().map(|e| e[0].as_str());
        return Err(Error::Unsupported(format!(
            "no help on '{topic}'{}; \\h lists the topics",
            did_you_mean(&topic, names)
        )));
    }
    let blocks: Vec<String> = chosen
        .iter()
        .map(|[name, kind, section, syntax, description, example]| {
            let what = if kind == "statement" {
                format!("{} ({section})", name.to_uppercase())
            } else {
                format!("{name} ({kind} function, {section})")
            };
            format!("{what}\n  {syntax}\n\n  {description}\n\n  Example:\n    {example};")
        })
        .collect();
    Ok(blocks.join("\n\n"))
}
