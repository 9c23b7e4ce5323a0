//! The model card page: one self-contained HTML file (inline CSS and SVG, no
//! scripts, no external assets) showing who the model is, what it was
//! trained on, how it does on the evaluated rows, and the charts.

use std::fmt::Write;

use firnml_udfs::model::{Objective, TreeEnsemble};

use super::charts::Figures;
use super::evaluation::{Evaluation, FingerprintCheck};
use super::scale::{format_fixed, format_value};
use super::svg::escape;
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
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; margin: 0; padding: 8px;
         max-width: 100%; display: flex; flex-direction: column; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { width: 0; min-width: calc(100% - 12px); color: #444; font-size: 13px; padding: 6px 6px 2px; }
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
    evaluation_section(&mut out, input);
    metrics_section(&mut out, input);
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
        escape(&manifest.created_at)
    );
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
            "<figure id=\"{}\">\n{}<figcaption>{} <a href=\"{}\">SVG</a></figcaption>\n</figure>",
            escape(chart.file.trim_end_matches(".svg")),
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
    out.push_str("<h2>Metrics</h2>\n<table>\n<tr><th>metric</th><th>recorded at training</th><th>on these rows</th></tr>\n");
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
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            find(stored, name),
            find(recomputed, name)
        );
    }
    out.push_str("</table>\n");
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
            ("created at", manifest.created_at.clone()),
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
    out.push_str("<h2>Features</h2>\n<table>\n<tr><th>#</th><th>feature</th><th>kind</th><th>categories</th></tr>\n");
    for (i, feature) in manifest.signature.iter().enumerate() {
        let kind = match feature.kind {
            SignatureKind::Numeric => "numeric",
            SignatureKind::Categorical => "categorical",
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{kind}</td><td>{}</td></tr>",
            i + 1,
            escape(&feature.name),
            escape(&feature.categories.join(", "))
        );
    }
    out.push_str("</table>\n<h2>Parameters</h2>\n");
    let params: Vec<(&str, String)> = manifest
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    key_values(out, &params);
    out.push_str("<h2>Lineage</h2>\n");
    if manifest.lineage.is_empty() {
        out.push_str("<p class=\"meta\">No lineage recorded.</p>\n");
    }
    for entry in &manifest.lineage {
        let _ = writeln!(out, "<pre>{}</pre>", escape(entry));
    }
}
