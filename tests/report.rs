//! Model cards: a model trained with CREATE MODEL in a temporary database gets
//! a card through the library and through `firn DB report model`, whose
//! numbers are recomputed independently, whose files are well-formed, and
//! whose mistakes are clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

/// The model card (part of the `firn` binary), driven here through its own API too.
#[path = "../src/bin/firn/report/mod.rs"]
#[allow(dead_code, unused_imports)]
mod report;

#[path = "support/test_env.rs"]
#[allow(dead_code)]
mod test_env;

use std::path::Path;
use std::process::Command;

use firnml::Database;
use firnml::arrow::array::AsArray;
use firnml::arrow::datatypes::Float64Type;
use firnml::metrics::roc_auc;
use firnml::ml::split::train_test_split;
use firnml::ml::{Dataset, GbdtParams, default_trainer};
use firnml::model::{CompactForest, Objective};
use firnml::registry::{ModelRef, NewVersion};
use report::format::format_value;
use report::{CardRequest, DataSource, ModelCard};

const FIRN: &str = env!("CARGO_BIN_EXE_firn");

/// 400 rows: two numbers, a category, a feature whose name needs escaping, and a
/// label that depends on them with some noise.
const TABLE: &str = r#"CREATE TABLE t AS
    SELECT value AS id,
           CAST((value * 37) % 101 AS DOUBLE) AS x1,
           CAST((value * 13) % 7 AS DOUBLE) AS x2,
           CASE value % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS kind,
           CAST((value * 7) % 11 AS DOUBLE) AS "x<&>",
           CASE WHEN (value * 37) % 101 + ((value * 13) % 7) * 6 + (value % 3) * 10
                     + (value * 17) % 29 > 85 THEN 1 ELSE 0 END AS y
    FROM generate_series(1, 400)"#;

const MODEL: &str = "CREATE MODEL m OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
    n_estimators 20, max_depth 3, seed 7, comment '<b>first</b> & co') AS SELECT * FROM t";

async fn database(dir: &Path) -> Database {
    let db = Database::open(dir.to_string_lossy()).await.expect("open");
    db.sql(TABLE).await.expect("table");
    db.sql(MODEL).await.expect("model");
    db
}

/// Balanced tags: every element opened is closed, in order (`void` elements excepted).
fn check_balanced(doc: &str, void: &[&str]) -> Result<usize, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = 0;
    let mut rest = doc;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>').ok_or("unclosed '<'")?;
        let tag = &after[..end];
        rest = &after[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        elements += 1;
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            return Err(format!("bad tag <{tag}>"));
        }
        if !tag.ends_with('/') && !void.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(elements)
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

/// The held-out AUC computed here, without the report code: split the
/// training query's rows the way CREATE MODEL does and score them.
async fn independent_auc(db: &Database) -> (f64, usize) {
    let (manifest, model) = db
        .registry()
        .load(&ModelRef::parse("m@v1").expect("ref"))
        .await
        .expect("load");
    let split = manifest.split.expect("split recorded");
    let batches = db.sql("SELECT * FROM t").await.expect("rows");
    let names: Vec<String> = manifest.signature.iter().map(|f| f.name.clone()).collect();
    let data = Dataset::for_training(&batches, "y", Some(&names), Objective::BinaryLogistic)
        .expect("dataset");
    let (_, test) =
        train_test_split(&data.labels, split.test_fraction, split.seed, true).expect("split");
    let test = data.subset(&test);
    let scores: Vec<f64> = CompactForest::new(&model)
        .predict_margin(&test.column_slices())
        .into_iter()
        .map(|m| Objective::BinaryLogistic.transform(m))
        .collect();
    let auc = roc_auc(&scores, &test.labels)
        .expect("auc")
        .expect("both classes");
    let stored = manifest
        .metrics
        .iter()
        .find(|(n, _)| n == "roc_auc")
        .map(|(_, v)| *v);
    assert_eq!(stored, Some(auc), "CREATE MODEL scored the same rows");
    (auc, test.rows())
}

#[tokio::test]
async fn classifier_card_shows_the_held_out_rows_recomputed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(&dir.path().join("db")).await;
    let card = ModelCard::build(&db, "M", DataSource::HeldOut)
        .await
        .expect("card");
    let (auc, rows) = independent_auc(&db).await;
    assert_eq!((card.model.as_str(), card.version.as_str()), ("m", "v1"));
    assert_eq!(card.rows, rows);
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);

    let auc = format_value(auc);
    let html = card.html();
    assert!(
        html.contains(&format!(
            "<div class=\"value\">{auc}</div><div class=\"name\">ROC AUC</div>"
        )),
        "AUC {auc} on the card"
    );
    let roc = card.file("roc.svg").expect("roc.svg");
    assert!(roc.contains(&format!("m@v1 (AUC {auc})")), "{roc}");
    assert!(html.contains("Training data unchanged"));
    assert!(html.contains(&format!("the {rows} held-out rows of the training query")));
    // User text is escaped everywhere: the comment and a feature's name.
    assert!(html.contains("&lt;b&gt;first&lt;/b&gt; &amp; co"));
    assert!(!html.contains("<b>first"));
    assert!(html.contains("x&lt;&amp;&gt;"));
    assert!(
        card.file("shap-summary.svg")
            .expect("beeswarm")
            .contains("x&lt;&amp;&gt;")
    );

    let names: Vec<&str> = card.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "roc.svg",
            "precision-recall.svg",
            "threshold-sweep.svg",
            "gains.svg",
            "calibration.svg",
            "confusion-matrix.svg",
            "shap-summary.svg",
            "importance-gain.svg",
            "importance-shap.svg",
            "index.html"
        ]
    );
    for (name, contents) in &card.files {
        if name.ends_with(".svg") {
            let elements = check_balanced(contents, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(elements > 10, "{name} draws something");
            assert!(contents.starts_with("<svg "), "{name}");
            assert!(contents.contains("xmlns=\"http://www.w3.org/2000/svg\""));
            // Each SVG is also inline in the page.
            assert!(html.contains(contents.as_str()), "{name} inline");
        }
    }
    check_balanced(html, &["meta"]).expect("balanced HTML");
    assert!(!html.contains("<script"), "no scripts");
    let links = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !links.contains("http:") && !links.contains("https:"),
        "no external assets"
    );

    // Deterministic: the same model and data give the same bytes.
    let again = ModelCard::build(&db, "m@v1", DataSource::HeldOut)
        .await
        .expect("card again");
    assert_eq!(again, card);

    let out = dir.path().join("card");
    let written = card.write(&out).expect("write");
    assert_eq!(written.len(), card.files.len());
    assert_eq!(written.last(), Some(&out.join("index.html")));
    assert_eq!(
        std::fs::read_to_string(out.join("roc.svg")).expect("read"),
        roc
    );
}

#[tokio::test]
async fn data_option_evaluates_the_rows_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path()).await;
    let query = "SELECT * FROM t WHERE id % 2 = 0";
    let card = ModelCard::build(&db, "m", DataSource::Given(query.into()))
        .await
        .expect("card");
    assert_eq!(card.rows, 200);
    // The same AUC through SQL: predict(…) and the auc aggregate.
    let batches = db
        .sql(r#"SELECT auc(predict('m@v1', x1, x2, kind, "x<&>"), y) FROM t WHERE id % 2 = 0"#)
        .await
        .expect("auc in SQL");
    let sql_auc = batches[0].column(0).as_primitive::<Float64Type>().value(0);
    let card_auc = card
        .metrics
        .iter()
        .find(|(n, _)| n == "roc_auc")
        .map(|(_, v)| *v)
        .expect("auc");
    assert!(
        (sql_auc - card_auc).abs() < 1e-12,
        "{sql_auc} vs {card_auc}"
    );
    assert!(
        card.html()
            .contains(&format!("m@v1 (AUC {})", format_value(sql_auc)))
    );
    assert!(card.html().contains("200 rows given with --data"));
    assert!(card.html().contains("not compared with the training data"));

    let table = ModelCard::build(&db, "m", DataSource::Given("t".into()))
        .await
        .expect("a table name");
    assert_eq!(table.rows, 400);
}

#[tokio::test]
async fn changed_training_data_is_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path()).await;
    db.sql("INSERT INTO t SELECT id + 1000, x1, x2, kind, \"x<&>\", 1 - y FROM t WHERE id <= 40")
        .await
        .expect("more rows");
    let card = ModelCard::build(&db, "m", DataSource::HeldOut)
        .await
        .expect("card");
    assert_eq!(card.warnings.len(), 1);
    assert!(card.warnings[0].contains("changed since it was trained"));
    assert!(
        card.html()
            .contains("The training data changed since this version was trained")
    );
    assert_eq!(card.rows, 88, "20 % of 440 rows");
}

#[tokio::test]
async fn regressor_card_plots_predicted_against_actual() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path()).await;
    db.sql(
        "CREATE MODEL r OPTIONS (type 'gbdt_regressor', label 'x1', features 'x2, kind, y', \
         n_estimators 10, seed 3) AS SELECT * FROM t",
    )
    .await
    .expect("regressor");
    let card = ModelCard::build(&db, "r", DataSource::HeldOut)
        .await
        .expect("card");
    assert!(card.file("roc.svg").is_none());
    assert!(
        card.warnings.is_empty(),
        "features given out of column order still match"
    );
    assert!(card.html().contains("Training data unchanged"));
    let scatter = card.file("predicted-vs-actual.svg").expect("scatter");
    assert_eq!(
        scatter.matches("<circle").count(),
        card.rows + 1,
        "a dot per row + legend"
    );
    let (manifest, _) = db
        .registry()
        .load(&ModelRef::parse("r").expect("ref"))
        .await
        .expect("load");
    let rmse = manifest
        .metrics
        .iter()
        .find(|(n, _)| n == "rmse")
        .map(|(_, v)| *v);
    let recomputed = card
        .metrics
        .iter()
        .find(|(n, _)| n == "rmse")
        .map(|(_, v)| *v);
    assert_eq!(rmse, recomputed);
    let rmse = format_value(rmse.expect("rmse"));
    assert!(card.html().contains(&format!(
        "<div class=\"value\">{rmse}</div><div class=\"name\">RMSE</div>"
    )));
    assert!(card.html().contains("regressor"));
}

#[tokio::test]
async fn mistakes_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path()).await;
    db.sql(
        "CREATE MODEL all_rows OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
         n_estimators 3, test_fraction 0) AS SELECT * FROM t",
    )
    .await
    .expect("model without held-out rows");
    let error = |reference: &'static str, source: DataSource| {
        let db = db.clone();
        async move {
            ModelCard::build(&db, reference, source)
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    let given = |sql: &str| DataSource::Given(sql.into());
    assert!(error("nope", DataSource::HeldOut).await.contains("nope"));
    assert!(
        error("m@v9", DataSource::HeldOut)
            .await
            .contains("no version or alias 'v9'")
    );
    assert!(
        error("../m", DataSource::HeldOut)
            .await
            .contains("invalid model name")
    );
    assert!(error("m", given("SELECT x1, x2 FROM t")).await.contains(
        "the --data query has no column 'y', the model's label; its columns are: x1, x2"
    ));
    assert!(
        error("m", given("DROP TABLE t"))
            .await
            .contains("must be one query")
    );
    assert!(
        error("m", given("SELECT * FROM t WHERE false"))
            .await
            .contains("has no rows")
    );
    assert!(
        error("m", given("missing_table"))
            .await
            .contains("missing_table")
    );
    assert!(
        error("m", given("SELECT id, x1, y FROM t"))
            .await
            .contains("no column 'x2', a feature of the model")
    );
    assert!(
        error("all_rows", DataSource::HeldOut)
            .await
            .contains("trained on every row (test_fraction 0): it has no held-out rows")
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM t").await.expect("t is intact")[0].num_rows(),
        1
    );
    // A model published through the library records no label or training query.
    let batches = db.sql("SELECT x1, y FROM t").await.expect("rows");
    let data = Dataset::for_training(&batches, "y", None, Objective::BinaryLogistic).expect("data");
    let params = GbdtParams {
        n_estimators: 2,
        ..GbdtParams::default()
    };
    let model = default_trainer().fit(&data, &params).expect("fit");
    db.registry()
        .publish(&model, NewVersion::new("bare", "v1"))
        .await
        .expect("publish");
    assert!(
        error("bare", given("t"))
            .await
            .contains("model bare@v1 does not record its label column")
    );
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn firn(args: &[&str]) -> Run {
    let output = Command::new(FIRN).args(args).output().expect("run firn");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn the_cli_writes_the_same_card() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_dir = dir.path().join("db");
    let db = database(&db_dir).await;
    let expected = ModelCard::build(&db, "m@v1", DataSource::HeldOut)
        .await
        .expect("card");
    drop(db);
    let db_path = db_dir.to_string_lossy().into_owned();
    let out = dir.path().join("out");
    let out_path = out.to_string_lossy().into_owned();

    let run = firn(&[&db_path, "report", "model", "m@v1", "--out", &out_path]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("wrote the model card of m@v1 (80 rows evaluated, 9 charts)"),
        "{}",
        run.stdout
    );
    for (name, contents) in &expected.files {
        let written = std::fs::read_to_string(out.join(name)).expect("written");
        assert_eq!(&written, contents, "{name} as the library builds it");
    }

    let data = firn(&[
        &db_path,
        "report",
        "model",
        "m",
        "--out",
        &out_path,
        "--data",
        "SELECT * FROM t WHERE id <= 100",
    ]);
    assert_eq!(data.code, Some(0), "{}", data.stderr);
    assert!(
        data.stdout.contains("(100 rows evaluated"),
        "{}",
        data.stdout
    );

    let missing = dir.path().join("missing").to_string_lossy().into_owned();
    let a_file = db_dir.join("firn.json").to_string_lossy().into_owned();
    let cases: [(&[&str], &str); 5] = [
        (
            &[&db_path, "report", "model", "nope", "--out", &out_path],
            "model 'nope'",
        ),
        (
            &["report", "model", "m", "--out", &out_path],
            "firn report needs a database",
        ),
        (
            &[&missing, "report", "model", "m", "--out", &out_path],
            "is not a Firn database",
        ),
        (
            &[&db_path, "report", "model", "m", "--out", &a_file],
            "cannot write the model card",
        ),
        (
            &[
                &db_path,
                "report",
                "model",
                "m",
                "--out",
                &out_path,
                "--data",
                "SELECT x1 FROM t",
            ],
            "has no column 'y'",
        ),
    ];
    for (args, message) in cases {
        let run = firn(args);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert!(
        !dir.path().join("missing").exists(),
        "a report creates no database"
    );
    // Arguments that don't go together are usage errors.
    assert_eq!(
        firn(&[
            &db_path, "-c", "SELECT 1", "report", "model", "m", "--out", &out_path
        ])
        .code,
        Some(2)
    );
    assert_eq!(
        firn(&[&db_path, "gen-data", "--customers", "3"]).code,
        Some(2)
    );
    assert_eq!(
        firn(&[&db_path, "report", "model", "m"]).code,
        Some(2),
        "--out is required"
    );
}

/// Two versions of `c` on `t` plus a constant column: v1 with fixed
/// parameters, v2 from a grid search with 3-fold cross-validation.
async fn two_versions(dir: &Path) -> Database {
    let db = database(dir).await;
    db.sql("CREATE TABLE t2 AS SELECT *, 1.0 AS constant FROM t")
        .await
        .expect("t2");
    db.sql(
        "CREATE MODEL c OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
         n_estimators 20, max_depth 3, seed 7) AS SELECT * FROM t2",
    )
    .await
    .expect("c v1");
    db.sql(
        "CREATE MODEL c OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', \
         n_estimators 10, max_depth 'int(2,4)', search 'grid', cv 3, seed 7) AS SELECT * FROM t2",
    )
    .await
    .expect("c v2");
    db
}

fn metric_of(metrics: &[(String, f64)], name: &str) -> f64 {
    metrics
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[tokio::test]
async fn card_compares_slices_and_tells_how_the_version_was_trained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = two_versions(dir.path()).await;
    let request = CardRequest {
        source: DataSource::HeldOut,
        by: Some("kind".into()),
        compare: Some("previous".into()),
    };
    let card = ModelCard::build_with(&db, "c@v2", request.clone())
        .await
        .expect("card");
    assert_eq!(card.version, "v2");
    let html = card.html();

    // --compare previous: c@v1 on c@v2's held-out rows. Both split with seed 7,
    // so these are also v1's own held-out rows, where CREATE MODEL measured it.
    let (v1, _) = db
        .registry()
        .load(&ModelRef::parse("c@v1").expect("ref"))
        .await
        .expect("v1");
    let v1_auc = format_value(metric_of(&v1.metrics, "roc_auc"));
    let roc = card.file("roc.svg").expect("roc");
    assert!(roc.contains(&format!(">\n@v1 (AUC {v1_auc})")), "{roc}");
    assert!(roc.contains(">\n@v2 (AUC"), "{roc}");
    assert!(
        html.contains("<th>c@v1 on these rows</th>"),
        "metrics side by side"
    );
    assert!(
        html.contains(&format!("<td class=\"num\">{v1_auc}</td></tr>")),
        "v1's AUC in the comparison column"
    );
    assert!(
        card.warnings
            .iter()
            .any(|w| w.contains("may have been trained on")),
        "{:?}",
        card.warnings
    );

    // --by kind: one row per value, the rows add up, each slice's AUC recomputed here.
    assert!(html.contains("<h2 id=\"slices\">Metrics by kind</h2>"));
    let counted: usize = ["a", "b", "c"]
        .iter()
        .map(|kind| {
            let start = html
                .find(&format!("<tr><th>{kind}</th><td class=\"num\">"))
                .unwrap_or_else(|| panic!("slice {kind}"));
            let rest = &html[start..];
            let cells: Vec<&str> = rest
                .split("<td class=\"num\">")
                .skip(1)
                .take(1)
                .map(|c| c.split('<').next().unwrap_or_default())
                .collect();
            cells[0].replace(',', "").parse::<usize>().expect("rows")
        })
        .sum();
    assert_eq!(counted, card.rows);

    // The run: names, fold scores, candidates; parameters marked by origin.
    assert!(
        html.contains("trained in run <b>v2</b> of experiment <b>c</b>"),
        "run names"
    );
    assert!(html.contains("<table id=\"cv-folds\">"), "fold scores");
    assert!(html.contains("<th>3</th><th>mean</th>"), "three folds");
    assert_eq!(html.matches("v2-candidate-").count(), 3, "three candidates");
    assert_eq!(html.matches(" (chosen)").count(), 1, "one chosen");
    assert!(html.contains(
        "<tr><th>n_estimators</th><td>10</td><td><span class=\"origin set\">set in OPTIONS</span>"
    ));
    assert!(html.contains("<tr><th>max_depth</th>") && html.contains("chosen by the search"));
    assert!(html.contains("<tr><th>learning_rate</th><td>0.3</td><td><span class=\"origin default\">default</span>"), "{html}");
    // The constant column is never split on.
    let constant = html.find("<td>constant</td>").expect("constant feature");
    assert!(
        html[constant..]
            .split("</tr>")
            .next()
            .unwrap_or_default()
            .contains("unused")
    );
    // Readable dates, the sweep and the deciles.
    assert!(!html.contains("+00:00"), "no RFC 3339 on the card");
    assert!(html.contains(" UTC</td>"), "readable times");
    assert!(html.contains("0.50 (model)"));
    assert!(html.contains("<div id=\"lift-table\">"));
    assert_eq!(
        ModelCard::build_with(&db, "c@v2", request)
            .await
            .expect("again"),
        card,
        "deterministic"
    );

    // Mistakes.
    let err = |by: Option<&str>, compare: Option<&str>, model: &'static str| {
        let db = db.clone();
        let request = CardRequest {
            source: DataSource::HeldOut,
            by: by.map(String::from),
            compare: compare.map(String::from),
        };
        async move {
            ModelCard::build_with(&db, model, request)
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    assert!(
        err(None, Some("previous"), "c")
            .await
            .contains("c@v1 is the first version of c")
    );
    assert!(
        err(Some("knd"), None, "c@v2")
            .await
            .contains("no column 'knd'")
    );
    assert!(err(None, Some("v9"), "c@v2").await.contains("v9"));
    // m's rows (table t) lack the column `constant` that c@v1 reads.
    let missing = err(None, Some("c@v1"), "m").await;
    assert!(
        missing.contains("--compare: c@v1 cannot score these rows") && missing.contains("constant"),
        "{missing}"
    );
    db.sql(
        "CREATE MODEL r OPTIONS (type 'gbdt_regressor', label 'x1', features 'x2, kind', \
         n_estimators 3) AS SELECT * FROM t",
    )
    .await
    .expect("regressor");
    assert!(
        err(None, Some("r@v1"), "c@v2")
            .await
            .contains("only models of the same kind can be compared")
    );
}

/// The card as a person sees it: Chromium opens the written page, and the
/// browser's own DOM and screenshot show every chart drawn.
#[tokio::test]
async fn the_card_renders_in_a_real_browser() {
    let chromium = test_env::chromium();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = two_versions(&dir.path().join("db")).await;
    let request = CardRequest {
        source: DataSource::HeldOut,
        by: Some("kind".into()),
        compare: Some("previous".into()),
    };
    let card = ModelCard::build_with(&db, "c@v2", request)
        .await
        .expect("card");
    let out = dir.path().join("card");
    card.write(&out).expect("write");
    let page = format!("file://{}", out.join("index.html").display());
    let profile = dir.path().join("chromium-profile");
    let browse = |extra: &[String]| -> String {
        let mut child = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1400,3200",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&page)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run chromium");
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
        });
        // A browser that hangs must not hang the test run.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for chromium") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("chromium did not finish within 120 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(status.success(), "chromium: {status}");
        reader.join().expect("reader").expect("chromium's output")
    };
    let dom = browse(&["--dump-dom".to_string()]);
    for chart in [
        "roc",
        "precision-recall",
        "threshold-sweep",
        "gains",
        "calibration",
        "confusion-matrix",
        "shap-summary",
    ] {
        let at = dom
            .find(&format!("<figure id=\"{chart}\""))
            .unwrap_or_else(|| panic!("the browser's page has no {chart} chart"));
        let figure = &dom[at..dom[at..].find("</figure>").map_or(dom.len(), |e| at + e)];
        assert!(figure.contains("<svg"), "{chart} holds an SVG");
        assert!(
            figure.contains("<polyline") || figure.contains("<rect") || figure.contains("<circle"),
            "{chart} draws something"
        );
    }
    for table in [
        "threshold-table",
        "lift-table",
        "slices",
        "cv-folds",
        "candidates",
    ] {
        assert!(
            dom.contains(&format!("id=\"{table}\"")),
            "{table} in the page"
        );
    }
    let shot = dir.path().join("card.png");
    browse(&[format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 1400, "the window's width");
    // A blank 1400 × 3200 page compresses to a few kB; charts and tables do not.
    assert!(
        png.len() > 100_000,
        "the page shows something: {} bytes",
        png.len()
    );
}
