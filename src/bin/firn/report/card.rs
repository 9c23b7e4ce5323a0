//! The model card page: one self-contained HTML file (inline CSS and SVG, no
//! scripts, no external assets) showing who the model is, what it was
//! trained on, how it does on the evaluated rows, and the charts.

use std::fmt::Write;

use firnml_udfs::model::{Objective, TreeEnsemble};

use super::charts::Figures;
use super::compare::Comparison;
use super::evaluation::{Evaluation, FingerprintCheck};
use super::format::{
    escape, format_fixed, format_value, readable_millis, readable_seconds, readable_time,
};
use super::slices::Slice;
use super::training_run::TrainingRun;
use firnml::registry::{SignatureKind, VersionInfo};

/// The page's style: readable on screen and on paper, no web fonts.
const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
       color: #222; background: #f6f7f9; margin: 0; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; } h1 .version { color: #1f6fb4; }
h2 { font-size: 19px; margin: 34px 0 10px; border-bottom: 1px solid #dde1e6; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 8px; }
.badge { display: inline-block; border-radius: 10px; padding: 1px 9px; margin-right: 6px;
         font-size: 13px; background: #e3ecf7; color: #1f4f80; }
.badge.default { background: #1f6fb4; color: #fff; }
.comment { font-size: 16px; margin: 10px 0; }
.warning { background: #fff4e5; border-left: 4px solid #e68a00; padding: 8px 12px; margin: 10px 0; }
.ok { color: #1a7f37; } .bad { color: #b42318; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.tile { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.tile .value { font-size: 24px; font-weight: 600; } .tile .name { color: #555; font-size: 13px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; }
figure { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; margin: 0; padding: 8px;
         display: flex; flex-direction: column; min-width: 0; }
figure.wide { grid-column: span 2; }
@media (max-width: 940px) { figure.wide { grid-column: auto; } }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #444; font-size: 13px; padding: 6px 6px 2px; }
.origin { font-size: 12px; border-radius: 8px; padding: 0 7px; }
.origin.set { background: #1f6fb4; color: #fff; } .origin.search { background: #e8710a; color: #fff; }
.origin.default { color: #777; } .unused { color: #b42318; font-size: 12px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; }
table { border-collapse: collapse; background: #fff; margin: 6px 0; }
th, td { border: 1px solid #dde1e6; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #fff; border: 1px solid #dde1e6; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
footer { color: #777; font-size: 12px; margin-top: 40px; }
";

/// Everything the page shows.
pub struct CardInput<'a> {
    /// The version, whether it is the default, and its aliases.
    pub info: &'a VersionInfo,
    /// The model itself (for its size and objective).
    pub model: &'a TreeEnsemble,
    /// The evaluated rows.
    pub evaluation: &'a Evaluation,
    /// The charts and recomputed metrics.
    pub figures: &'a Figures,
    /// The decision threshold of the classifier charts.
    pub threshold: f64,
    /// Problems the reader must know about.
    pub warnings: &'a [String],
    /// `--by`: the column and its slices (and how many were left out).
    pub slices: Option<(&'a str, &'a [Slice], usize)>,
    /// `--compare`: the other version on the same rows.
    pub comparison: Option<&'a Comparison>,
    /// The experiment run that trained the version, if logged.
    pub run: Option<&'a TrainingRun>,
}

/// Metrics that are counts, printed as integers.
fn is_count(name: &str) -> bool {
    matches!(name, "tp" | "fp" | "tn" | "fn")
}

fn metric_text(name: &str, value: f64) -> String {
    if is_count(name) && value.is_finite() {
        format_fixed(value, 0)
    } else {
        format_value(value)
    }
}

/// A two-column table of `(name, value)` rows; both are escaped.
fn key_values(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table>\n");
    for (key, value) in rows {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(key),
            escape(value)
        );
    }
    out.push_str("</table>\n");
}

/// The training parameters, each marked as set in OPTIONS, chosen by the
/// search, or a default.
fn parameters(out: &mut String, manifest: &firnml::registry::Manifest) {
    let Some(origins) = &manifest.param_origins else {
        out.push_str(
            "<p class=\"meta\">This version was published before Firn recorded which \
             parameters the statement set.</p>\n",
        );
        let params: Vec<(&str, String)> = manifest
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        key_values(out, &params);
        return;
    };
    out.push_str("<table>\n<tr><th>parameter</th><th>value</th><th>from</th></tr>\n");
    for (name, value) in &manifest.params {
        let origin = origins
            .iter()
            .find(|(n, _)| n == name)
            .map_or("default", |(_, o)| o.as_str());
        let (class, text) = match origin {
            "set" => ("set", "set in OPTIONS"),
            "search" => ("search", "chosen by the search"),
            _ => ("default", "default"),
        };
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td><td><span class=\"origin {class}\">{text}</span></td></tr>",
            escape(name),
            escape(value)
        );
    }
    out.push_str("</table>\n");
}

/// The page as HTML.
pub fn render(input: &CardInput<'_>) -> String {
    let manifest = &input.info.manifest;
    let mut out = String::new();
    let name = format!("{}@{}", manifest.name, manifest.version);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>Model card: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&name)
    );
    header(&mut out, input);
    for warning in input.warnings {
        let _ = writeln!(out, "<p class=\"warning\">⚠ {}</p>", escape(warning));
    }
    tiles(&mut out, input);
    charts(&mut out, input);
    tables_section(&mut out, input);
    slices_section(&mut out, input);
    evaluation_section(&mut out, input);
    metrics_section(&mut out, input);
    run_section(&mut out, input);
    model_section(&mut out, input);
    out.push_str(
        "<footer>Written by <code>firn report model</code>. The charts are also in the SVG \
         files beside this page. The same model and data give the same page.</footer>\n\
         </main>\n</body>\n</html>\n",
    );
    out
}

fn header(out: &mut String, input: &CardInput<'_>) {
    let manifest = &input.info.manifest;
    let _ = writeln!(
        out,
        "<h1>{} <span class=\"version\">@{}</span></h1>",
        escape(&manifest.name),
        escape(&manifest.version)
    );
    out.push_str("<p class=\"meta\">");
    if input.info.is_default {
        out.push_str("<span class=\"badge default\">default version</span>");
    }
    for alias in &input.info.aliases {
        let _ = write!(out, "<span class=\"badge\">@{}</span>", escape(alias));
    }
    let kind = match input.model.objective() {
        Objective::BinaryLogistic => "binary classifier",
        Objective::SquaredError => "regressor",
    };
    let _ = writeln!(
        out,
        "{kind} · {} trees · {} features · created {}</p>",
        input.model.num_trees(),
        manifest.signature.len(),
        escape(&readable_time(&manifest.created_at))
    );
    if let Some(run) = input.run {
        let _ = writeln!(
            out,
            "<p class=\"meta\">trained in run <b>{}</b> of experiment <b>{}</b></p>",
            escape(&run.name),
            escape(&run.experiment)
        );
    }
    if let Some(comment) = &manifest.comment {
        let _ = writeln!(out, "<p class=\"comment\">{}</p>", escape(comment));
    }
}

/// The headline numbers on the evaluated rows.
fn tiles(out: &mut String, input: &CardInput<'_>) {
    let metric = |name: &str| {
        input
            .figures
            .metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite())
    };
    let threshold = format_fixed(input.threshold, 2);
    let names: Vec<(&str, String)> = match input.model.objective() {
        Objective::BinaryLogistic => vec![
            ("roc_auc", "ROC AUC".into()),
            ("pr_auc", "average precision".into()),
            ("f1", format!("F1 at {threshold}")),
            ("precision", format!("precision at {threshold}")),
            ("recall", format!("recall at {threshold}")),
            ("accuracy", format!("accuracy at {threshold}")),
        ],
        Objective::SquaredError => vec![
            ("rmse", "RMSE".into()),
            ("mae", "MAE".into()),
            ("r2", "R²".into()),
        ],
    };
    out.push_str("<div class=\"tiles\">\n");
    let _ = writeln!(
        out,
        "<div class=\"tile\"><div class=\"value\">{}</div><div class=\"name\">rows evaluated</div></div>",
        format_fixed(input.evaluation.data.rows() as f64, 0)
    );
    for (key, title) in names {
        let value = metric(key).map_or_else(|| "—".to_string(), format_value);
        let _ = writeln!(
            out,
            "<div class=\"tile\"><div class=\"value\">{value}</div><div class=\"name\">{}</div></div>",
            escape(&title)
        );
    }
    out.push_str("</div>\n");
}

fn charts(out: &mut String, input: &CardInput<'_>) {
    out.push_str("<h2>Charts</h2>\n<div class=\"charts\">\n");
    for chart in &input.figures.charts {
        let _ = writeln!(
            out,
            "<figure id=\"{}\"{}>\n{}<figcaption>{} <a href=\"{}\">SVG</a></figcaption>\n</figure>",
            escape(chart.file.trim_end_matches(".svg")),
            if chart.wide { " class=\"wide\"" } else { "" },
            chart.svg,
            escape(&chart.caption),
            escape(chart.file)
        );
    }
    out.push_str("</div>\n");
    for note in &input.figures.notes {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(note));
    }
}

/// A number for a table cell: "—" when undefined.
fn cell(value: f64) -> String {
    if value.is_finite() {
        format_value(value)
    } else {
        "—".to_string()
    }
}

/// The threshold sweep and the deciles (classifiers).
fn tables_section(out: &mut String, input: &CardInput<'_>) {
    let figures = input.figures;
    if figures.sweep.is_empty() && figures.deciles.is_empty() {
        return;
    }
    out.push_str("<div class=\"grid2\">\n");
    if !figures.sweep.is_empty() {
        out.push_str(
            "<div id=\"threshold-table\"><h2>By threshold</h2>\n<table>\n<tr><th>threshold</th>\
             <th>rows flagged</th><th>share flagged</th><th>precision</th><th>recall</th><th>F1</th></tr>\n",
        );
        for p in &figures.sweep {
            let mine = (p.threshold - input.threshold).abs() < 1e-9;
            let _ = writeln!(
                out,
                "<tr{}><td class=\"num\">{}{}</td><td class=\"num\">{}</td><td class=\"num\">{} %</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                if mine {
                    " style=\"font-weight:600\""
                } else {
                    ""
                },
                format_fixed(p.threshold, 2),
                if mine { " (model)" } else { "" },
                format_fixed(p.flagged as f64, 0),
                format_fixed(100.0 * p.flagged_share, 1),
                cell(p.precision),
                cell(p.recall),
                cell(p.f1)
            );
        }
        out.push_str("</table>\n</div>\n");
    }
    if !figures.deciles.is_empty() {
        out.push_str(
            "<div id=\"lift-table\"><h2>Lift by decile</h2>\n<table>\n<tr><th>decile (highest scores first)</th>\
             <th>rows</th><th>positives</th><th>lift</th><th>positives found so far</th></tr>\n",
        );
        for d in &figures.deciles {
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{} %</td></tr>",
                d.decile,
                format_fixed(d.rows as f64, 0),
                format_fixed(d.positives as f64, 0),
                if d.lift.is_finite() {
                    format_fixed(d.lift, 2)
                } else {
                    "—".into()
                },
                format_fixed(100.0 * d.cumulative_capture, 1)
            );
        }
        out.push_str("</table>\n</div>\n");
    }
    out.push_str("</div>\n");
}

/// `--by`: each slice's size and metrics.
fn slices_section(out: &mut String, input: &CardInput<'_>) {
    let Some((column, slices, left_out)) = input.slices else {
        return;
    };
    let names: &[(&str, &str)] = match input.model.objective() {
        Objective::BinaryLogistic => &[
            ("roc_auc", "ROC AUC"),
            ("pr_auc", "average precision"),
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "F1"),
        ],
        Objective::SquaredError => &[("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²")],
    };
    let label_mean = match input.model.objective() {
        Objective::BinaryLogistic => "share positive",
        Objective::SquaredError => "mean label",
    };
    let _ = write!(
        out,
        "<h2 id=\"slices\">Metrics by {}</h2>\n<table>\n<tr><th>{}</th><th>rows</th><th>{label_mean}</th>",
        escape(column),
        escape(column)
    );
    for (_, title) in names {
        let _ = write!(out, "<th>{title}</th>");
    }
    out.push_str("</tr>\n");
    for slice in slices {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            escape(&slice.value),
            format_fixed(slice.rows as f64, 0),
            cell(slice.label_mean)
        );
        for (name, _) in names {
            let value = slice
                .metrics
                .iter()
                .find(|(n, _)| n == name)
                .map_or(f64::NAN, |(_, v)| *v);
            let _ = write!(out, "<td class=\"num\">{}</td>", cell(value));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "<p class=\"meta\">… and {left_out} smaller slices not shown.</p>"
        );
    }
}

fn evaluation_section(out: &mut String, input: &CardInput<'_>) {
    let evaluation = input.evaluation;
    out.push_str("<h2>Evaluation data</h2>\n");
    let _ = writeln!(
        out,
        "<p>The charts and the metrics “on these rows” use {}.</p>",
        escape(&evaluation.description)
    );
    let (class, text) = match &evaluation.fingerprint {
        FingerprintCheck::Matches(f) => (
            "ok",
            format!(
                "✓ Training data unchanged: the query's rows have the fingerprint recorded at training ({f}), so these are exactly the held-out rows."
            ),
        ),
        FingerprintCheck::Differs { recorded, now } => (
            "bad",
            format!(
                "✗ The training data changed since this version was trained (fingerprint {recorded} at training, {now} now): the rows evaluated are not exactly its held-out rows."
            ),
        ),
        FingerprintCheck::NotRecorded => (
            "bad",
            "The manifest records no training-data fingerprint, so the data could not be checked."
                .to_string(),
        ),
        FingerprintCheck::Failed(reason) => (
            "bad",
            format!(
                "✗ The training query no longer returns valid training data ({reason}): the rows evaluated are not exactly the held-out rows."
            ),
        ),
        FingerprintCheck::NotApplicable => (
            "meta",
            "The rows were given with --data; they are not compared with the training data."
                .to_string(),
        ),
    };
    let _ = writeln!(out, "<p class=\"{class}\">{}</p>", escape(&text));
    let _ = writeln!(out, "<pre>{}</pre>", escape(&evaluation.query));
}

fn metrics_section(out: &mut String, input: &CardInput<'_>) {
    let stored = &input.info.manifest.metrics;
    let recomputed = &input.figures.metrics;
    let other = input.comparison;
    out.push_str("<h2>Metrics</h2>\n<table>\n<tr><th>metric</th><th>recorded at training</th><th>on these rows</th>");
    if let Some(other) = other {
        let _ = write!(out, "<th>{} on these rows</th>", escape(&other.name));
    }
    out.push_str("</tr>\n");
    let mut names: Vec<&str> = recomputed.iter().map(|(n, _)| n.as_str()).collect();
    for (name, _) in stored {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let find = |list: &[(String, f64)], name: &str| {
        list.iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| "—".to_string(), |(_, v)| metric_text(name, *v))
    };
    for name in names {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            escape(name),
            find(stored, name),
            find(recomputed, name)
        );
        if let Some(other) = other {
            let _ = write!(out, "<td class=\"num\">{}</td>", find(&other.metrics, name));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The experiment run: names, times, timings, fold scores and candidates.
fn run_section(out: &mut String, input: &CardInput<'_>) {
    out.push_str("<h2 id=\"training-run\">Training run</h2>\n");
    let Some(run) = input.run else {
        let text = match &input.info.manifest.run_id {
            Some(id) => format!("The run {id} is not in the experiment log."),
            None => "No experiment run is recorded for this version.".to_string(),
        };
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(&text));
        return;
    };
    let seconds = |name: &str| run.metric(name).map(readable_seconds);
    let mut rows: Vec<(&str, String)> = vec![
        ("experiment", run.experiment.clone()),
        ("run", run.name.clone()),
        ("status", run.status.clone()),
        ("started", readable_millis(run.started_at)),
    ];
    if let Some(ended) = run.ended_at {
        rows.push(("ended", readable_millis(ended)));
        rows.push((
            "took",
            readable_seconds((ended - run.started_at) as f64 / 1000.0),
        ));
    }
    if let Some(fit) = seconds("fit_seconds") {
        rows.push(("final fit", fit));
    }
    if let Some(tuning) = seconds("tuning_seconds") {
        rows.push(("search and cross-validation", tuning));
    }
    for (name, key) in [
        ("training rows", "rows_train"),
        ("held-out rows", "rows_test"),
    ] {
        if let Some(n) = run.metric(key) {
            rows.push((name, format_fixed(n, 0)));
        }
    }
    key_values(out, &rows);
    if let Some((metric, folds)) = &run.folds {
        let _ = write!(
            out,
            "<h3>Cross-validation</h3>\n<table id=\"cv-folds\">\n<tr><th>fold</th>"
        );
        for k in 1..=folds.len() {
            let _ = write!(out, "<th>{k}</th>");
        }
        let _ = write!(
            out,
            "<th>mean</th><th>std</th></tr>\n<tr><th>{}</th>",
            escape(metric)
        );
        for score in folds {
            let _ = write!(out, "<td class=\"num\">{}</td>", cell(*score));
        }
        let stat = |suffix: &str| {
            cell(
                run.metric(&format!("cv_{metric}_{suffix}"))
                    .unwrap_or(f64::NAN),
            )
        };
        let _ = writeln!(
            out,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n</table>",
            stat("mean"),
            stat("std")
        );
    }
    if !run.candidates.is_empty() {
        out.push_str(
            "<h3>Search candidates</h3>\n<table id=\"candidates\">\n<tr><th>candidate</th><th>parameters</th>\
             <th>CV mean</th><th>CV std</th><th>fit time</th></tr>\n",
        );
        for c in &run.candidates {
            let params: Vec<String> = c.params.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(
                out,
                "<tr{}><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                if c.best {
                    " style=\"font-weight:600\""
                } else {
                    ""
                },
                escape(&c.name),
                if c.best { " (chosen)" } else { "" },
                escape(&params.join(", ")),
                cell(c.cv_mean),
                cell(c.cv_std),
                readable_seconds(c.fit_seconds)
            );
        }
        out.push_str("</table>\n");
    }
}

fn model_section(out: &mut String, input: &CardInput<'_>) {
    let manifest = &input.info.manifest;
    out.push_str("<h2>Model</h2>\n");
    let split = manifest.split.map_or_else(
        || "not recorded".to_string(),
        |s| {
            format!(
                "{} % held out, seed {}, {}, threshold {}",
                format_fixed(100.0 * s.test_fraction, 0),
                s.seed,
                if s.stratified {
                    "stratified by class"
                } else {
                    "not stratified"
                },
                format_fixed(s.threshold, 2)
            )
        },
    );
    let aliases = if input.info.aliases.is_empty() {
        "none".to_string()
    } else {
        input.info.aliases.join(", ")
    };
    key_values(
        out,
        &[
            ("name", manifest.name.clone()),
            ("version", manifest.version.clone()),
            (
                "default version",
                if input.info.is_default { "yes" } else { "no" }.into(),
            ),
            ("aliases", aliases),
            ("created at", readable_time(&manifest.created_at)),
            ("objective", manifest.objective.clone()),
            (
                "label",
                manifest
                    .label
                    .clone()
                    .unwrap_or_else(|| "not recorded".into()),
            ),
            ("trees", input.model.num_trees().to_string()),
            ("trainer", manifest.trainer.clone()),
            ("train/test split", split),
            (
                "training data fingerprint",
                manifest.training_data_fingerprint.clone(),
            ),
            (
                "run",
                manifest.run_id.clone().unwrap_or_else(|| "none".into()),
            ),
            ("model file", manifest.model_file.clone()),
        ],
    );
    out.push_str("<h2 id=\"features\">Features</h2>\n<table>\n<tr><th>#</th><th>feature</th><th>kind</th><th>importance (gain)</th><th>categories</th></tr>\n");
    for (i, feature) in manifest.signature.iter().enumerate() {
        let kind = match feature.kind {
            SignatureKind::Numeric => "numeric",
            SignatureKind::Categorical => "categorical",
        };
        let gain = input
            .figures
            .gains
            .iter()
            .find(|(n, _)| *n == feature.name)
            .map_or(0.0, |(_, g)| *g);
        let importance = if gain > 0.0 {
            format_value(gain)
        } else {
            "0 <span class=\"unused\">⚠ unused: no tree splits on it</span>".to_string()
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{kind}</td><td class=\"num\">{importance}</td><td>{}</td></tr>",
            i + 1,
            escape(&feature.name),
            escape(&feature.categories.join(", "))
        );
    }
    out.push_str("</table>\n<h2 id=\"parameters\">Parameters</h2>\n");
    parameters(out, manifest);
    out.push_str("<h2>Lineage</h2>\n");
    if manifest.lineage.is_empty() {
        out.push_str("<p class=\"meta\">No lineage recorded.</p>\n");
    }
    for entry in &manifest.lineage {
        let _ = writeln!(out, "<pre>{}</pre>", escape(entry));
    }
}
