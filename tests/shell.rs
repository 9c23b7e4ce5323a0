//! The `firn` binary used as a person would: `-c`, `-f`, `--set`, `--format`, a persistent
//! database, `gen-data`, and the REPL fed through a pipe.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const FIRN: &str = env!("CARGO_BIN_EXE_firn");

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `firn ARGS` with `stdin` as standard input, in `dir`.
fn firn_in(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(FIRN)
        .args(args)
        .current_dir(dir)
        .env("HOME", dir) // never touch the real history file
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start firn");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for firn").into()
}

fn firn(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    firn_in(dir.path(), args, "")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write script");
    path.display().to_string()
}

#[test]
fn command_prints_a_table() {
    let run = firn(&["-c", "SELECT 1"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("| 1 "), "{run:?}");

    let run = firn(&["-c", "SELECT 1 AS one, 'a' AS letter"]);
    assert_eq!(
        run.stdout,
        "+-----+--------+\n\
         | one | letter |\n\
         +-----+--------+\n\
         | 1   | a      |\n\
         +-----+--------+\n",
        "{run:?}"
    );
    assert_eq!(run.stderr, "", "{run:?}");
}

#[test]
fn command_runs_several_statements_and_ddl_prints_nothing() {
    let run = firn(&[
        "--format",
        "csv",
        "-c",
        "CREATE TABLE t AS SELECT 1 AS x; SELECT x + 1 AS y FROM t; SELECT 'a;b' AS s",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "y\n2\ns\na;b\n", "{run:?}");
}

#[test]
fn csv_and_json_formats() {
    let sql = "SELECT * FROM (VALUES (1, 'x,y'), (2, NULL)) AS t(id, name) ORDER BY id";
    let run = firn(&["--format", "csv", "-c", sql]);
    assert_eq!(run.stdout, "id,name\n1,\"x,y\"\n2,\n", "{run:?}");
    let run = firn(&["--format", "json", "-c", sql]);
    assert_eq!(
        run.stdout, "[{\"id\":1,\"name\":\"x,y\"},{\"id\":2,\"name\":null}]\n",
        "{run:?}"
    );
    // An empty result still has its header.
    let run = firn(&["--format", "csv", "-c", "SELECT 1 AS a WHERE false"]);
    assert_eq!(run.stdout, "a\n", "{run:?}");
    let run = firn(&["--format", "xml", "-c", "SELECT 1"]);
    assert_ne!(run.code, Some(0), "{run:?}");
}

#[test]
fn script_error_names_its_line_and_stops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = write(
        dir.path(),
        "broken.sql",
        "-- a script with an error; on line 5\n\
         SELECT 'first' AS step;\n\
         \n\
         /* the next statement fails */\n\
         SELECT\n  no_such_column\nFROM (SELECT 1 AS x);\n\
         SELECT 'never' AS step;\n",
    );
    let run = firn_in(dir.path(), &["--format", "csv", "-f", &script], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "step\nfirst\n", "{run:?}");
    assert!(
        run.stderr.starts_with(&format!("Error at {script}:5: ")),
        "{run:?}"
    );
    assert!(run.stderr.contains("no_such_column"), "{run:?}");
}

#[test]
fn command_error_names_its_line() {
    let run = firn(&["-c", "SELECT 1;\nSELECT 2;\n\nSELEC 3;"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("Error at line 4: "), "{run:?}");
}

#[test]
fn variables_from_the_command_line_and_scripts() {
    let run = firn(&[
        "--set",
        "n=5",
        "--format",
        "csv",
        "-c",
        "SELECT ${n} AS n, ${m:-7} AS m, '${who:-nobody}' AS who",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "n,m,who\n5,7,nobody\n", "{run:?}");

    // `\set` in an earlier item affects later ones; -c and -f run in the order given.
    let dir = tempfile::tempdir().expect("tempdir");
    let script = write(dir.path(), "vars.sql", "SELECT ${a} AS a, ${b} AS b;\n");
    let run = firn_in(
        dir.path(),
        &[
            "--format",
            "csv",
            "-c",
            "\\set a 1",
            "-f",
            &script,
            "-c",
            "\\set b 3\nSELECT ${b} AS b",
        ],
        "",
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("vars.sql:1: ")
            && run.stderr.contains("undefined variable 'b' at line 1"),
        "{run:?}"
    );
    let run = firn_in(
        dir.path(),
        &[
            "--format",
            "csv",
            "-c",
            "\\set a 1",
            "-c",
            "\\set b 2",
            "-f",
            &script,
        ],
        "",
    );
    assert_eq!(run.stdout, "a,b\n1,2\n", "{run:?}");

    let run = firn(&["--set", "1x=2", "-c", "SELECT 1"]);
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("invalid variable name"), "{run:?}");
}

#[test]
fn backslash_commands_in_scripts() {
    let run = firn(&[
        "-c",
        "\\timing on\nSELECT 1 AS one;\n\\timing off\n\\format json\nSELECT 2 AS two;",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("| one |"), "{run:?}");
    assert!(run.stdout.contains("1 row in "), "{run:?}");
    assert!(run.stdout.ends_with("[{\"two\":2}]\n"), "{run:?}");
    assert_eq!(run.stdout.matches(" in ").count(), 1, "{run:?}");

    let run = firn(&["-c", "SELECT 1;\n\\frobnicate"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("Error at line 2: unknown command '\\frobnicate'")
            && run.stderr.contains("\\timing"),
        "{run:?}"
    );

    // \q stops everything that follows.
    let run = firn(&[
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS a;\n\\q\nSELECT 2 AS b;",
        "-c",
        "SELECT 3 AS c",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "a\n1\n"),
        "{run:?}"
    );
}

#[test]
fn include_runs_scripts_and_reports_their_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    write(
        dir.path(),
        "sub/inner.sql",
        "SELECT 'inner' AS who;\n\nSELECT oops;\n",
    );
    write(
        dir.path(),
        "sub/outer.sql",
        "SELECT 'outer' AS who;\n\\ir inner.sql\nSELECT 'never';\n",
    );
    let run = firn_in(dir.path(), &["--format", "csv", "-f", "sub/outer.sql"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "who\nouter\nwho\ninner\n", "{run:?}");
    assert!(
        run.stderr.starts_with("Error at sub/inner.sql:3: "),
        "{run:?}"
    );

    let run = firn_in(dir.path(), &["-c", "SELECT 1;\n\\i missing.sql"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .starts_with("Error at line 2: cannot read script 'missing.sql'"),
        "{run:?}"
    );

    write(dir.path(), "loop.sql", "\\i loop.sql\n");
    let run = firn_in(dir.path(), &["-f", "loop.sql"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("nest more than"), "{run:?}");
}

#[test]
fn persistent_database_keeps_tables_between_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("churn.firn").display().to_string();
    let run = firn_in(
        dir.path(),
        &[&db, "-c", "CREATE TABLE t AS SELECT 1 AS x"],
        "",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "", "{run:?}");
    let run = firn_in(
        dir.path(),
        &[&db, "--format", "csv", "-c", "SELECT x FROM t"],
        "",
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "x\n1\n"),
        "{run:?}"
    );

    // Without a DB argument nothing is kept.
    let run = firn_in(dir.path(), &["-c", "CREATE TABLE u AS SELECT 1 AS x"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let run = firn_in(dir.path(), &["-c", "SELECT x FROM u"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
}

#[test]
fn gen_data_writes_both_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("data");
    let out_arg = out.display().to_string();
    let run = firn(&[
        "gen-data",
        "--customers",
        "25",
        "--seed",
        "7",
        "--out",
        &out_arg,
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("25 customers"), "{run:?}");

    let customers = std::fs::read_to_string(out.join("customers.csv")).expect("customers.csv");
    let orders = std::fs::read_to_string(out.join("orders.csv")).expect("orders.csv");
    assert_eq!(
        customers.lines().next(),
        Some("CUSTOMER_ID,SEGMENT,REGISTRATION_DATE,REGION")
    );
    assert_eq!(
        orders.lines().next(),
        Some("ORDER_ID,CUSTOMER_ID,ORDER_DATE,ORDER_AMOUNT,STATUS")
    );
    assert_eq!(customers.lines().count(), 26);
    assert!(orders.lines().count() > 1, "no orders:\n{orders}");

    // The same seed gives the same bytes.
    let again = dir.path().join("again");
    let again_arg = again.display().to_string();
    let run = firn(&[
        "gen-data",
        "--customers",
        "25",
        "--seed",
        "7",
        "--out",
        &again_arg,
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let orders_again = std::fs::read_to_string(again.join("orders.csv")).expect("orders.csv");
    assert_eq!(orders, orders_again);
}

#[test]
fn piped_repl_runs_statements_and_continues_after_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = "SELECT 1 AS one;\n\
                 \\format csv\n\
                 SELECT 'a;b'\n  AS s\n;\n\
                 -- a comment line\n\
                 SELECT nope;\n\
                 SELECT 3 AS three; SELECT 4 AS four;\n\
                 \\q\n\
                 SELECT 5 AS five;\n";
    let run = firn_in(dir.path(), &[], input);
    // Piped input with an error fails, but the statements after it still ran.
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stdout, "+-----+\n| one |\n+-----+\n| 1   |\n+-----+\ns\na;b\nthree\n3\nfour\n4\n",
        "{run:?}"
    );
    assert!(run.stderr.starts_with("Error: "), "{run:?}");
    assert!(run.stderr.contains("nope"), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    // Piped input is not a person: no history file is written.
    assert!(!dir.path().join(".firn_history").exists());
}

#[test]
fn piped_repl_runs_a_last_statement_without_semicolon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = firn_in(
        dir.path(),
        &["--format", "csv"],
        "SELECT 1 AS a;\nSELECT 2 AS b",
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "a\n1\nb\n2\n"),
        "{run:?}"
    );
}

#[test]
fn missing_script_fails() {
    let run = firn(&["-f", "does-not-exist.sql"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .starts_with("Error: cannot read script 'does-not-exist.sql'"),
        "{run:?}"
    );
}

#[test]
fn closed_output_pipe_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(FIRN)
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT * FROM generate_series(1, 2000000)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start firn");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read a line");
    assert_eq!(first, "value\n");
    // The reader is dropped here, like `| head -1`.
    let run: Run = child.wait_with_output().expect("wait for firn").into();
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:?}");
}

/// The README's main command: the whole seed pipeline on the project's own data,
/// in an in-memory database, exporting the risk list.
#[test]
fn the_readme_pipeline_runs_on_the_projects_own_data() {
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = format!("out_dir={}", out.path().display());
    let run = firn_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["-q", "-f", "sql/pipeline.sql", "--set", &out_dir],
        "",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("customer_churn_predictor"), "{run:?}");
    let csv = std::fs::read_to_string(out.path().join("churn_risk_list.csv")).expect("CSV export");
    let rows = csv.lines().count() - 1;
    assert!(rows > 100, "{rows} high-risk customers in the demo data");
    assert!(out.path().join("churn_risk_list.parquet").is_file());
}

#[test]
fn export_writes_a_model_in_xgboost_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db").display().to_string();
    let run = firn_in(
        dir.path(),
        &[
            &db,
            "-q",
            "-c",
            "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 4, max_depth 2) \
             AS SELECT CAST(value AS DOUBLE) AS x, CASE WHEN value > 50 THEN 1 ELSE 0 END AS y \
             FROM generate_series(1, 100)",
        ],
        "",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let out = dir.path().join("m.json");
    let out_arg = out.display().to_string();
    let run = firn_in(
        dir.path(),
        &[&db, "export", "model", "m@v1", "--out", &out_arg],
        "",
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("wrote m@v1 (4 trees)"), "{run:?}");
    let json = std::fs::read_to_string(&out).expect("written");
    assert!(
        json.starts_with("{\"learner\":"),
        "{}",
        &json[..json.len().min(80)]
    );
    assert_eq!(
        json.matches("\"tree_param\"").count(),
        4,
        "one entry per tree"
    );

    let run = firn_in(
        dir.path(),
        &[&db, "export", "model", "nope", "--out", &out_arg],
        "",
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("unknown model 'nope'"), "{run:?}");
    let missing = dir.path().join("missing").display().to_string();
    let run = firn_in(
        dir.path(),
        &[&missing, "export", "model", "m", "--out", &out_arg],
        "",
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("is not a Firn database"), "{run:?}");
    assert!(
        !dir.path().join("missing").exists(),
        "export never creates a database"
    );
}

/// One step of typing on a terminal: wait until the screen shows `after` (if given), then type.
struct Type<'a> {
    after: Option<&'a str>,
    keys: &'a str,
}

/// Type `keys` once the last step's output has settled.
fn keys(keys: &str) -> Type<'_> {
    Type { after: None, keys }
}

/// Type `keys` once the screen shows `text` (a statement has started, a prompt is back).
fn once<'a>(text: &'a str, keys: &'a str) -> Type<'a> {
    Type {
        after: Some(text),
        keys,
    }
}

/// The REPL on a real pseudo-terminal (util-linux's `script`), typed into step by step as a
/// person types, each step after the screen shows what it waits for (up to a minute) and a
/// pause. Returns what the terminal received, escape sequences included.
fn on_a_terminal(dir: &Path, steps: &[Type<'_>]) -> String {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    // A terminal of 80 columns (`script` leaves the size at 0 x 0, which means "unknown").
    let command = format!("stty cols 80 rows 24 && exec '{FIRN}'");
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(dir)
        .env("HOME", dir)
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start firn under script(1) (util-linux)");
    let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        })
    };
    let shown = |text: &str| {
        let bytes = screen.lock().unwrap();
        without_escapes(&String::from_utf8_lossy(&bytes)).contains(text)
    };
    let mut input = child.stdin.take().expect("stdin is piped");
    for step in steps {
        if let Some(text) = step.after {
            let waited = Instant::now();
            while !shown(text) {
                assert!(
                    waited.elapsed() < Duration::from_secs(60),
                    "the terminal never showed {text:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        std::thread::sleep(Duration::from_millis(700));
        input.write_all(step.keys.as_bytes()).expect("type");
        input.flush().expect("flush");
    }
    drop(input);
    child.wait().expect("wait for script");
    reader.join().expect("reader thread");
    let bytes = screen.lock().unwrap();
    String::from_utf8_lossy(&bytes).replace('\r', "")
}

/// `text` without ANSI escape sequences (cursor movement, colours).
fn without_escapes(text: &str) -> String {
    console::strip_ansi_codes(text).into_owned()
}

#[test]
fn tab_completes_and_colours_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = on_a_terminal(
        dir.path(),
        &[
            keys("CREATE TABLE customers_xyz AS SELECT 42 AS answer;\n"),
            // Typed ahead: the completion words are read again before the next prompt.
            keys("SELECT answer FROM customers_x\t;\n"),
            once("1 row", "SELECT predict_l\t\n"),
            keys("\\q\n"),
        ],
    );
    // Keywords are drawn bold and numbers in cyan as they are typed.
    assert!(raw.contains("\u{1b}[1mSELECT\u{1b}[0m"), "{raw}");
    assert!(raw.contains("\u{1b}[36m42\u{1b}[0m"), "{raw}");
    let screen = without_escapes(&raw);
    assert!(
        screen.contains("SELECT answer FROM customers_xyz;"),
        "the table name completes: {screen}"
    );
    assert!(
        screen.contains("| 42     |"),
        "and the query runs: {screen}"
    );
    assert!(
        screen.contains("SELECT predict_label"),
        "Firn's functions complete: {screen}"
    );
}

#[test]
fn ctrl_c_stops_training_clears_the_bar_and_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = std::time::Instant::now();
    let raw = on_a_terminal(
        dir.path(),
        &[
            keys(
                "SELECT * FROM train_model('slow', 'SELECT value % 23 AS x, value % 7 AS z, \
                 CAST(value % 23 >= 11 AS INT) AS y FROM generate_series(1, 20000)', 'type', \
                 'gbdt_classifier', 'label', 'y', 'search', 'random', 'n_iter', 500, 'cv', 3, \
                 'max_depth', 'int(2,6)');\n",
            ),
            // Ctrl-C once the search is under way (its bar is on the screen).
            once("search: 500 candidates", "\u{3}"),
            once(
                "Cancelled.",
                "SELECT count(*) AS models FROM firn.models;\n",
            ),
            once("1 row", "\\q\n"),
        ],
    );
    let screen = without_escapes(&raw);
    assert!(
        screen.contains("search: 500 candidates x 3 folds"),
        "the bar was shown: {screen}"
    );
    let cancelled = screen
        .find("Cancelled.")
        .expect("Ctrl-C cancels the statement");
    let count = screen[cancelled..]
        .find("| 0      |")
        .map(|at| cancelled + at);
    assert!(count.is_some(), "nothing was published: {screen}");
    let after = &screen[count.unwrap_or(cancelled)..];
    assert!(
        !after.contains("search: "),
        "the bar is gone once the statement is cancelled: {after}"
    );
    // 500 candidates x 3 folds would take minutes; the session ended within seconds.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn a_person_sees_40_rows_cells_cut_to_the_screen_and_expanded_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = on_a_terminal(
        dir.path(),
        &[
            keys("SELECT value FROM generate_series(1, 100);\n"),
            once("(40 shown)", "SELECT repeat('x', 500) AS wide;\n"),
            once("1 row", "\\x on\n"),
            keys("SELECT 1 AS a, 'two' AS b;\n"),
            keys("\\q\n"),
        ],
    );
    let screen = without_escapes(&raw);
    assert!(screen.contains("100 rows (40 shown)"), "{screen}");
    assert!(!screen.contains("| 41 "), "row 41 is not shown: {screen}");
    assert!(screen.contains('…'), "the wide cell is cut: {screen}");
    assert!(
        !screen.contains(&"x".repeat(400)),
        "not printed whole: {screen}"
    );
    assert!(
        screen.contains("a | 1") && screen.contains("b | two"),
        "{screen}"
    );
}
