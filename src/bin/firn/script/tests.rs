//! Tests of script splitting and variables.
use super::*;

fn sql(text: &str, line: usize) -> ScriptItem {
    ScriptItem::Sql {
        text: text.to_string(),
        line,
    }
}

fn cmd(text: &str, line: usize) -> ScriptItem {
    ScriptItem::Command {
        text: text.to_string(),
        line,
    }
}

#[test]
fn splits_on_semicolons_with_start_lines() {
    let items = split_script("SELECT 1;\n\nSELECT\n  2;\nSELECT 3");
    assert_eq!(
        items,
        vec![
            sql("SELECT 1", 1),
            sql("SELECT\n  2", 3),
            sql("SELECT 3", 5)
        ]
    );
}

#[test]
fn several_statements_on_one_line() {
    assert_eq!(
        split_script("SELECT 1; SELECT 2;SELECT 3;"),
        vec![sql("SELECT 1", 1), sql("SELECT 2", 1), sql("SELECT 3", 1)]
    );
}

#[test]
fn semicolons_inside_strings_and_identifiers_do_not_split() {
    let items = split_script("SELECT 'a;b' AS \"x;y\";\nSELECT 2;");
    assert_eq!(
        items,
        vec![sql("SELECT 'a;b' AS \"x;y\"", 1), sql("SELECT 2", 2)]
    );
}

#[test]
fn escaped_quotes() {
    let items = split_script("SELECT 'it''s; fine', \"a\"\"b;\";\nSELECT '';SELECT '''';");
    assert_eq!(
        items,
        vec![
            sql("SELECT 'it''s; fine', \"a\"\"b;\"", 1),
            sql("SELECT ''", 2),
            sql("SELECT ''''", 2),
        ]
    );
}

#[test]
fn comments_with_semicolons_and_quotes() {
    let text = "-- leading; it's a comment\n\
                SELECT 1 -- trailing; 'quote\n\
                ;\n\
                /* block; \"quote\n spanning ' lines; */ SELECT 2;\n\
                SELECT /* inner; */ 3;";
    assert_eq!(
        split_script(text),
        vec![
            sql("SELECT 1 -- trailing; 'quote", 2),
            sql("SELECT 2", 5),
            sql("SELECT /* inner; */ 3", 6),
        ]
    );
}

#[test]
fn nested_block_comments() {
    let items = split_script("/* a /* b; */ still comment; */ SELECT 1; SELECT 2");
    assert_eq!(items, vec![sql("SELECT 1", 1), sql("SELECT 2", 1)]);
}

#[test]
fn statement_line_skips_blank_and_comment_lines() {
    let items = split_script("SELECT 1;\n\n-- about the next one\n/* more */\n\n  SELECT 2;");
    assert_eq!(items, vec![sql("SELECT 1", 1), sql("SELECT 2", 6)]);
}

#[test]
fn drops_empty_statements() {
    assert_eq!(split_script(";;  ;\n-- only a comment\n;/* c */;"), vec![]);
    assert_eq!(split_script(""), vec![]);
    assert_eq!(split_script("   \n\n"), vec![]);
    assert_eq!(split_script("-- trailing comment"), vec![]);
}

#[test]
fn trailing_text_is_a_statement() {
    assert_eq!(
        split_script("SELECT 1;\nSELECT 2  \n"),
        vec![sql("SELECT 1", 1), sql("SELECT 2", 2)]
    );
}

#[test]
fn unterminated_string_is_still_returned() {
    assert_eq!(split_script("SELECT 'oops;"), vec![sql("SELECT 'oops;", 1)]);
}

#[test]
fn backslash_commands_are_whole_lines() {
    let text = "\\timing on\nSELECT 1;\n  \\format csv  \n\\set x a;b\nSELECT 2;";
    assert_eq!(
        split_script(text),
        vec![
            cmd("\\timing on", 1),
            sql("SELECT 1", 2),
            cmd("\\format csv", 3),
            cmd("\\set x a;b", 4),
            sql("SELECT 2", 5),
        ]
    );
}

#[test]
fn backslash_inside_a_statement_is_sql() {
    let items = split_script("SELECT\n\\d\n;\nSELECT 'a\n\\b';");
    assert_eq!(
        items,
        vec![sql("SELECT\n\\d", 1), sql("SELECT 'a\n\\b'", 4)]
    );
}

#[test]
fn backslash_after_a_comment_on_its_line_is_sql() {
    assert_eq!(split_script("/* x */ \\d"), vec![sql("\\d", 1)]);
    // A comment on an earlier line does not start a statement.
    assert_eq!(split_script("-- x\n\\d"), vec![cmd("\\d", 2)]);
}

#[test]
fn crlf_line_endings() {
    let text = "SELECT 1;\r\n\r\n-- c\r\nSELECT\r\n 2;\r\n\\timing on\r\nSELECT 3\r\n";
    assert_eq!(
        split_script(text),
        vec![
            sql("SELECT 1", 1),
            sql("SELECT\r\n 2", 4),
            cmd("\\timing on", 6),
            sql("SELECT 3", 7),
        ]
    );
}

#[test]
fn multibyte_text() {
    assert_eq!(
        split_script("SELECT 'é;ü' AS ü;\nSELECT 'ß'"),
        vec![sql("SELECT 'é;ü' AS ü", 1), sql("SELECT 'ß'", 2)]
    );
}

#[test]
fn completeness() {
    assert!(is_complete("SELECT 1;"));
    assert!(is_complete("SELECT 1;  \n"));
    assert!(is_complete("SELECT 1; -- done"));
    assert!(is_complete("SELECT\n1\n;\n"));
    assert!(is_complete("\\d"));
    assert!(is_complete("  \\timing on\n"));
    assert!(!is_complete(""));
    assert!(!is_complete("   \n"));
    assert!(!is_complete("SELECT 1"));
    assert!(!is_complete("SELECT 1; SELECT 2"));
    assert!(!is_complete("SELECT 'a;"));
    assert!(!is_complete("SELECT \"a;"));
    assert!(!is_complete("SELECT 1 -- ;"));
    assert!(!is_complete("/* SELECT 1; "));
    assert!(!is_complete("SELECT 1; /* open"));
    assert!(!is_complete("-- just a comment;"));
}

#[test]
fn scan_reports_open_quotes_and_comments() {
    assert!(scan("SELECT 'abc").open);
    assert!(scan("/* abc").open);
    assert!(!scan("SELECT 'abc' -- 'x").open);
    assert!(scan("SELECT 1").pending.is_some());
}

#[test]
fn variable_names() {
    assert!(is_valid_name("x"));
    assert!(is_valid_name("_cut_off2"));
    assert!(!is_valid_name(""));
    assert!(!is_valid_name("2x"));
    assert!(!is_valid_name("a-b"));
    assert!(!is_valid_name("a b"));
}

#[test]
fn variables_set_get_unset() {
    let mut vars = Variables::new();
    assert_eq!(vars.get("a"), None);
    vars.set("b", "2");
    vars.set("a", "1");
    vars.set("a", "one");
    assert_eq!(vars.get("a"), Some("one"));
    assert_eq!(
        vars.iter().collect::<Vec<_>>(),
        vec![("a", "one"), ("b", "2")]
    );
    assert!(vars.unset("a"));
    assert!(!vars.unset("a"));
    assert_eq!(vars.get("a"), None);
}

#[test]
fn substitutes_values_and_defaults() -> Result<()> {
    let mut vars = Variables::new();
    vars.set("table", "orders");
    vars.set("empty", "");
    assert_eq!(
        vars.substitute("SELECT * FROM ${table} LIMIT ${n:-10}", 1)?,
        "SELECT * FROM orders LIMIT 10"
    );
    // A set variable wins over the default, even when empty.
    assert_eq!(
        vars.substitute("[${table:-x}][${empty:-x}]", 1)?,
        "[orders][]"
    );
    // Defaults may hold spaces, quotes and ':-'.
    assert_eq!(
        vars.substitute("${d:-DATE '2024-01-01'} ${e:-a:-b}", 1)?,
        "DATE '2024-01-01' a:-b"
    );
    assert_eq!(vars.substitute("${d:-}", 1)?, "");
    // Inside strings and quoted identifiers too.
    assert_eq!(
        vars.substitute("LOCATION '${dir:-data}/${table}.csv' AS \"${table}\"", 1)?,
        "LOCATION 'data/orders.csv' AS \"orders\""
    );
    // Adjacent references, and text without any.
    assert_eq!(vars.substitute("${table}${table}", 1)?, "ordersorders");
    assert_eq!(
        vars.substitute("SELECT $1, '$', '{'", 1)?,
        "SELECT $1, '$', '{'"
    );
    Ok(())
}

#[test]
fn values_are_not_rescanned() -> Result<()> {
    let mut vars = Variables::new();
    vars.set("a", "${b}");
    vars.set("q", "'");
    assert_eq!(vars.substitute("${a}", 1)?, "${b}");
    // A quote in a value does not change what is a comment afterwards.
    assert_eq!(
        vars.substitute("SELECT ${q} -- ${nope}\n, ${a}", 1)?,
        "SELECT ' -- ${nope}\n, ${b}"
    );
    Ok(())
}

#[test]
fn comments_are_not_substituted() -> Result<()> {
    let vars = Variables::new();
    let text = "SELECT 1 -- uses ${undefined}\n/* and ${other} */ + ${x:-2}";
    assert_eq!(
        vars.substitute(text, 1)?,
        "SELECT 1 -- uses ${undefined}\n/* and ${other} */ + 2"
    );
    Ok(())
}

#[test]
fn undefined_variable_names_variable_and_line() {
    let vars = Variables::new();
    let err = vars
        .substitute("SELECT 1,\n  'it''s',\n  ${cutoff}", 10)
        .unwrap_err()
        .to_string();
    assert!(err.contains("undefined variable 'cutoff'"), "{err}");
    assert!(err.contains("line 12"), "{err}");
}

#[test]
fn crlf_lines_are_counted_in_substitution_errors() {
    let err = Variables::new()
        .substitute("SELECT\r\n\r\n${x}", 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn malformed_references_are_errors() {
    let vars = Variables::new();
    let err = vars.substitute("SELECT ${oops", 4).unwrap_err().to_string();
    assert!(
        err.contains("unterminated") && err.contains("line 4"),
        "{err}"
    );
    let err = vars.substitute("SELECT ${1x}", 1).unwrap_err().to_string();
    assert!(err.contains("invalid variable reference '${1x}'"), "{err}");
    let err = vars.substitute("SELECT ${}", 1).unwrap_err().to_string();
    assert!(err.contains("invalid variable reference"), "{err}");
}
