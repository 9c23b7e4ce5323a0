//! The shell driven from code: scripts, commands and the REPL over a scripted reader.

use super::commands::*;
use super::format::*;
use super::repl::*;
use super::*;

type TestShell = Shell<Vec<u8>, Vec<u8>>;

async fn shell(format: OutputFormat) -> TestShell {
    let db = Database::in_memory().await.expect("in-memory database");
    let mut shell = Shell::new(db.session(), Vec::new(), Vec::new());
    shell.set_format(format);
    shell
}

fn output(shell: TestShell) -> (String, String) {
    let (out, err) = shell.into_writers();
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

fn lines(lines: &[&str]) -> Vec<ReadLine> {
    lines
        .iter()
        .map(|l| ReadLine::Line(l.to_string()))
        .collect()
}

#[tokio::test]
async fn script_variables_set_earlier_apply_later() {
    let mut shell = shell(OutputFormat::Csv).await;
    let flow = shell
        .run_script(
            "\\set n 2\nSELECT ${n} AS n;\n\\unset n\nSELECT ${n:-9} AS n;",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    assert_eq!(flow, Flow::Continue);
    assert_eq!(output(shell), ("n\n2\nn\n9\n".into(), String::new()));
}

#[tokio::test]
async fn script_errors_carry_file_and_line() {
    let mut shell = shell(OutputFormat::Csv).await;
    let source = Source::File("load.sql".into());
    let err = shell
        .run_script("SELECT 1 AS a;\n\n  SELECT ${missing};", &source)
        .await
        .expect_err("undefined variable");
    assert_eq!(err.line, Some(3));
    assert_eq!(err.file.as_deref(), Some(std::path::Path::new("load.sql")));
    let report = err.to_string();
    assert!(
        report.starts_with("Error at load.sql:3: undefined variable 'missing' at line 3"),
        "{report}"
    );
    let err = shell
        .run_script("SELECT 1;\nSELECT 1 +;", &Source::Interactive)
        .await
        .expect_err("bad SQL");
    assert!(err.to_string().starts_with("Error: "), "{err}");
}

#[tokio::test]
async fn timing_footer_and_quit() {
    let mut shell = shell(OutputFormat::Table).await;
    let flow = shell
        .run_script(
            "\\timing on\nCREATE TABLE t AS SELECT 1 AS x;\nSELECT x FROM t;\n\\q\nSELECT 2;",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    assert_eq!(flow, Flow::Quit);
    assert!(shell.timing());
    let (out, err) = output(shell);
    let footers: Vec<&str> = out.lines().filter(|l| l.contains(" ms")).collect();
    assert_eq!(footers.len(), 2, "{out}");
    assert!(footers[0].starts_with("OK in "), "{out}");
    assert!(footers[1].starts_with("1 row in "), "{out}");
    assert!(!out.contains("| 2"), "{out}");
    assert_eq!(err, "");
}

#[tokio::test]
async fn machine_readable_formats_send_the_footer_to_stderr() {
    let mut shell = shell(OutputFormat::Json).await;
    shell.set_timing(true);
    shell
        .run_script("SELECT 1 AS a", &Source::CommandLine)
        .await
        .expect("script runs");
    let (out, err) = output(shell);
    assert_eq!(out, "[{\"a\":1}]\n");
    assert!(err.starts_with("1 row in "), "{err}");
}

#[tokio::test]
async fn describe_and_list_tables() {
    let mut shell = shell(OutputFormat::Csv).await;
    shell
        .run_script(
            "CREATE TABLE orders AS SELECT 1 AS order_id, 'a' AS note;\n\\dt\n\\d orders",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    let (out, _) = output(shell);
    assert!(out.contains(",orders,"), "{out}");
    assert!(!out.contains("information_schema"), "{out}");
    assert!(
        !out.contains("firn,"),
        "system tables only with \\dS: {out}"
    );
    assert!(out.contains("order_id,BIGINT,NO\nnote,VARCHAR,NO"), "{out}");
}

/// `\d` lists tables, feature views and models together; `\d NAME` describes
/// whichever NAME is, in SQL's type names; `\dS` adds the system tables.
#[tokio::test]
async fn backslash_d_knows_feature_views_and_models() {
    let mut shell = shell(OutputFormat::Csv).await;
    shell
        .run_script(
            "CREATE TABLE t AS SELECT v AS id, CAST(v AS DOUBLE) / 7 AS x FROM generate_series(1, 60) s(v);
             CREATE ENTITY e KEYS (id);
             CREATE FEATURE VIEW fv VERSION v1 ENTITY e AS SELECT id, x FROM t;
             CREATE MODEL m OPTIONS (type 'gbdt_regressor', label 'x', n_estimators 2) AS SELECT id, x FROM t;
             \\d\n\\d fv\n\\d M\n\\dS",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    let (out, _) = output(shell);
    assert!(
        out.contains(
            "name,kind,detail\nfv,feature view,versions v1 (entity e)\nm,model,\"default v1, 1 version(s)\"\nt,table,\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("id,BIGINT,key,\nx,DOUBLE,feature,\ntable:t,,source,"),
        "{out}"
    );
    assert!(out.contains("param,n_estimators,2"), "{out}");
    assert!(out.contains("firn.model_versions,system table,"), "{out}");

    let mut shell = self::shell(OutputFormat::Csv).await;
    let err = shell
        .run_script("\\d nothing_here", &Source::CommandLine)
        .await
        .expect_err("unknown");
    assert!(
        err.to_string()
            .contains("no table, view, feature view or model named 'nothing_here'"),
        "{err}"
    );
}

/// A table result past `\maxrows` shows its first rows and says how many there
/// were; `\x` prints blocks; CSV is never cut; `--echo` prints each statement.
#[tokio::test]
async fn long_results_are_cut_and_counted() {
    let mut shell = shell(OutputFormat::Table).await;
    shell.set_echo(true);
    shell
        .run_script(
            "\\maxrows 2\nSELECT v FROM generate_series(1, 5) s(v);\n\\x on\nSELECT 1 AS a, 'b' AS b;\n\\format csv\nSELECT v FROM generate_series(1, 3) s(v);",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    let (out, _) = output(shell);
    assert!(
        out.starts_with(
            "\\maxrows 2\nSELECT v FROM generate_series(1, 5) s(v);\n+---+\n| v |\n+---+\n| 1 |\n| 2 |\n+---+\n5 rows (2 shown)\n"
        ),
        "{out}"
    );
    assert!(out.contains("-[ RECORD 1 ]-\na | 1\nb | b\n"), "{out}");
    assert!(out.ends_with("v\n1\n2\n3\n"), "{out}");
}

/// The interactive shell ends a table with its row count, and with `\timing` in
/// CSV the rows reach the output before the footer reaches stderr.
#[tokio::test]
async fn a_person_sees_the_row_count() {
    let mut shell = shell(OutputFormat::Table).await;
    shell.set_verbose(true);
    shell
        .run_script("SELECT 1 AS a", &Source::CommandLine)
        .await
        .expect("runs");
    let (out, _) = output(shell);
    assert!(out.ends_with("| 1 |\n+---+\n1 row\n"), "{out}");
}

#[tokio::test]
async fn help_and_variable_listing() {
    let mut shell = shell(OutputFormat::Table).await;
    shell.variables_mut().set("b", "2");
    shell
        .run_script(
            "\\set a 'one two'\n\\set\n\\?\n\\format",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    let (out, _) = output(shell);
    assert!(out.starts_with("a = 'one two'\nb = '2'\n"), "{out}");
    assert!(out.contains(HELP), "{out}");
    assert!(out.ends_with("Output format is table.\n"), "{out}");
}

#[tokio::test]
async fn backslash_h_prints_the_reference() {
    let mut reference = shell(OutputFormat::Table).await;
    reference
        .run_script(
            "\\h predict_label\n\\h  Create   Model\n\\h drop\n\\h",
            &Source::CommandLine,
        )
        .await
        .expect("script runs");
    let (out, _) = output(reference);
    assert!(
        out.contains(
            "predict_label (scalar function, scoring)\n  \
             predict_label('model[@version|@alias]', feature, … [, threshold])\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("CREATE MODEL (models)\n  CREATE MODEL name [VERSION v]"),
        "{out}"
    );
    assert!(
        out.contains("  Example:\n    CREATE MODEL churn OPTIONS ("),
        "{out}"
    );
    // A word that starts statements: every one of them.
    for statement in [
        "DROP MODEL",
        "DROP ENTITY",
        "DROP FEATURE VIEW",
        "DROP MONITOR",
    ] {
        assert!(
            out.contains(&format!("{statement} (")),
            "{statement}: {out}"
        );
    }
    // No topic: the topics, by section.
    assert!(out.contains("scoring"), "{out}");

    let error = shell(OutputFormat::Table)
        .await
        .run_script("\\h predikt", &Source::CommandLine)
        .await
        .expect_err("no such topic");
    assert!(
        error
            .to_string()
            .contains("no help on 'predikt'; did you mean 'predict'?"),
        "{error}"
    );
}

#[tokio::test]
async fn a_syntax_error_points_at_its_position() {
    let mut shell = shell(OutputFormat::Table).await;
    let error = shell
        .run_script(
            "SELECT 1;\nSELECT x\nFROM t WHERE x = = 1;",
            &Source::CommandLine,
        )
        .await
        .expect_err("a syntax error");
    let report = error.to_string();
    let caret = format!("\n  FROM t WHERE x = = 1\n  {}^", " ".repeat(17));
    assert!(
        report.starts_with("Error at line 2: syntax error: "),
        "{report}"
    );
    assert!(report.ends_with(&caret), "{report}");
    // Errors without a position stay one line.
    let error = shell
        .run_script("SELECT * FROM nowhere", &Source::CommandLine)
        .await
        .expect_err("no such table");
    assert!(!error.to_string().contains('\n'), "{error}");
}

#[tokio::test]
async fn repl_reads_multi_line_statements() {
    let mut shell = shell(OutputFormat::Csv).await;
    let mut reader = ScriptedReader::new(lines(&["SELECT", "  1 AS one", ";", ""]), true);
    let outcome = shell.repl(&mut reader).await;
    assert_eq!(outcome, ReplOutcome { errors: 0 });
    assert_eq!(
        reader.prompts,
        vec![
            PROMPT,
            CONTINUATION_PROMPT,
            CONTINUATION_PROMPT,
            PROMPT,
            PROMPT
        ]
    );
    assert_eq!(reader.history, vec!["SELECT\n  1 AS one\n;"]);
    assert_eq!(output(shell), ("one\n1\n".into(), String::new()));
}

#[tokio::test]
async fn repl_ctrl_c_drops_the_statement_being_typed() {
    let mut shell = shell(OutputFormat::Csv).await;
    let mut events = lines(&["SELECT 'dropped' AS d"]);
    events.push(ReadLine::Interrupted);
    events.extend(lines(&["SELECT 2 AS kept;"]));
    let mut reader = ScriptedReader::new(events, true);
    shell.repl(&mut reader).await;
    assert_eq!(reader.prompts[1], CONTINUATION_PROMPT);
    assert_eq!(reader.prompts[2], PROMPT);
    assert_eq!(output(shell).0, "kept\n2\n");
}

#[tokio::test]
async fn repl_errors_print_and_the_loop_goes_on() {
    let mut shell = shell(OutputFormat::Csv).await;
    let mut reader = ScriptedReader::new(
        lines(&["SELECT nope;", "\\bogus", "SELECT 3 AS three;"]),
        true,
    );
    let outcome = shell.repl(&mut reader).await;
    assert_eq!(outcome.errors, 2);
    let (out, err) = output(shell);
    assert_eq!(out, "three\n3\n");
    let errors: Vec<&str> = err.lines().collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].starts_with("Error: ") && errors[0].contains("nope"),
        "{err}"
    );
    assert!(
        errors[1].starts_with("Error: unknown command '\\bogus'"),
        "{err}"
    );
}

#[tokio::test]
async fn repl_backslash_command_inside_a_statement_runs_at_once() {
    let mut shell = shell(OutputFormat::Table).await;
    let mut reader = ScriptedReader::new(
        lines(&[
            "SELECT 'a",
            "\\not a command, inside a string'",
            "AS s",
            "\\format csv",
            ";",
        ]),
        true,
    );
    let outcome = shell.repl(&mut reader).await;
    assert_eq!(outcome.errors, 0);
    assert_eq!(shell.format(), OutputFormat::Csv);
    let (out, _) = output(shell);
    assert_eq!(out, "s\n\"a\n\\not a command, inside a string\"\n");
}

#[tokio::test]
async fn repl_quit_and_end_of_input() {
    let mut shell = shell(OutputFormat::Csv).await;
    let mut reader = ScriptedReader::new(lines(&["SELECT 1 AS a;", "\\q", "SELECT 2 AS b;"]), true);
    shell.repl(&mut reader).await;
    assert_eq!(output(shell).0, "a\n1\n");

    // A person leaving with Ctrl-D drops an unfinished statement; piped input runs it.
    for (interactive, expected) in [(true, ""), (false, "c\n3\n")] {
        let mut shell = self::shell(OutputFormat::Csv).await;
        let mut reader = ScriptedReader::from_text("SELECT 3 AS c", interactive);
        shell.repl(&mut reader).await;
        assert_eq!(output(shell).0, expected, "interactive: {interactive}");
    }
}

#[tokio::test]
async fn repl_confirms_commands_for_a_person() {
    let mut shell = shell(OutputFormat::Table).await;
    shell.set_verbose(true);
    let mut reader = ScriptedReader::from_text("\\timing\n\\timing\n\\format csv\n", true);
    shell.repl(&mut reader).await;
    let (out, err) = output(shell);
    assert_eq!(out, "Timing is on.\nTiming is off.\n");
    assert_eq!(err, "Output format is csv.\n");
}
