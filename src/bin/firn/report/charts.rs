//! Which charts a model card shows and the numbers behind them: for
//! classifiers ROC (with the compared version's), precision-recall, the
//! threshold sweep, cumulative gains, calibration and the confusion matrix;
//! for regressors predicted-vs-actual; for both importance by gain, mean
//! |SHAP| and the SHAP beeswarm.

use datafusion::common::Result;
use firnml_udfs::metrics::{ConfusionMatrix, pr_auc, pr_curve, roc_auc, roc_curve};
use firnml_udfs::model::{FeatureKind, Objective, TreeEnsemble, importance};

use super::bars::bar_chart;
use super::beeswarm::{SwarmFeature, beeswarm_chart, category_positions, numeric_positions};
use super::calibration::calibration_chart;
use super::compare::Comparison;
use super::confusion::confusion_chart;
use super::evaluation::Evaluation;
use super::format::format_value;
use super::gains::{Decile, deciles, gains_chart};
use super::pr::pr_chart;
use super::roc::{OperatingPoint, RocSeries, roc_chart};
use super::scatter::scatter_chart;
use super::sweep::{SweepPoint, sweep, sweep_chart, table_thresholds};
use firnml::ml::metric::evaluate;

/// One picture of the card.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name beside `index.html`, e.g. `roc.svg`.
    pub file: &'static str,
    /// What the picture shows, in a sentence.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
    /// Whether it takes two columns of the card's grid.
    pub wide: bool,
}

/// The charts and the metrics recomputed on the evaluated rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// The charts, in the order the card shows them.
    pub charts: Vec<Chart>,
    /// Metrics on the evaluated rows, by name (the names `CREATE MODEL` stores).
    pub metrics: Vec<(String, f64)>,
    /// Charts that could not be drawn, and why.
    pub notes: Vec<String>,
    /// Classifiers: the metrics at the table's thresholds.
    pub sweep: Vec<SweepPoint>,
    /// Classifiers: the deciles of rows ranked by score.
    pub deciles: Vec<Decile>,
    /// Each feature's importance by gain (0 for features no split uses).
    pub gains: Vec<(String, f64)>,
}

/// Draws every chart for `model` evaluated as `evaluation`, at `threshold`.
pub fn figures(
    model: &TreeEnsemble,
    evaluation: &Evaluation,
    threshold: f64,
    label: &str,
    name: &str,
    compare: Option<&Comparison>,
) -> Result<Figures> {
    let objective = model.objective();
    let scores = &evaluation.predictions;
    let labels = &evaluation.data.labels;
    let metrics = evaluate(objective, scores, labels, threshold)?
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    let gains = model
        .features()
        .iter()
        .map(|f| {
            let gain = importance(model)
                .into_iter()
                .find(|i| i.feature == f.name)
                .map_or(0.0, |i| i.gain);
            (f.name.clone(), gain)
        })
        .collect();
    let mut figures = Figures {
        charts: Vec::new(),
        metrics,
        notes: Vec::new(),
        sweep: Vec::new(),
        deciles: Vec::new(),
        gains,
    };
    match objective {
        Objective::BinaryLogistic => classifier_charts(
            &mut figures,
            scores,
            labels,
            threshold,
            label,
            name,
            compare,
        )?,
        Objective::SquaredError => {
            let stats = |name: &str| {
                figures
                    .metrics
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or_else(|| "—".to_string(), |(_, v)| format_value(*v))
            };
            let subtitle = format!(
                "RMSE {} · R² {} · {} rows",
                stats("rmse"),
                stats("r2"),
                labels.len()
            );
            figures.charts.push(Chart {
                file: "predicted-vs-actual.svg",
                caption: "Each dot is a row: its prediction against its actual value; dots on \
                          the dashed line are predicted exactly."
                    .into(),
                svg: scatter_chart(labels, scores, &subtitle, label),
                wide: false,
            });
        }
    }
    explanation_charts(&mut figures, model, evaluation);
    Ok(figures)
}

fn classifier_charts(
    figures: &mut Figures,
    scores: &[f64],
    labels: &[f64],
    threshold: f64,
    label: &str,
    name: &str,
    compare: Option<&Comparison>,
) -> Result<()> {
    let m = ConfusionMatrix::from_scores(scores, labels, threshold)?;
    let rate = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    match (roc_curve(scores, labels)?, roc_auc(scores, labels)?) {
        (Some(curve), Some(auc)) => {
            let operating = rate(m.fp, m.fp + m.tn)
                .zip(rate(m.tp, m.tp + m.fn_))
                .map(|(x, y)| OperatingPoint { threshold, x, y });
            let other = match compare {
                Some(c) => roc_curve(&c.predictions, labels)?
                    .zip(roc_auc(&c.predictions, labels)?)
                    .map(|(curve, auc)| (c.name.clone(), curve, auc)),
                None => None,
            };
            // Two versions of one model are told apart by their versions.
            let short = |full: &str| match (full.split_once('@'), name.split_once('@'), &other) {
                (Some((model, version)), Some((mine, _)), Some(_)) if model == mine => {
                    format!("@{version}")
                }
                _ => full.to_string(),
            };
            let mut series = vec![RocSeries {
                name: short(name),
                curve: &curve,
                auc,
            }];
            if let Some((name, curve, auc)) = &other {
                series.push(RocSeries {
                    name: short(name),
                    curve,
                    auc: *auc,
                });
            }
            let compared = match &other {
                Some((other, _, other_auc)) => format!(
                    " The orange curve is {other} (AUC {}) on the same rows.",
                    format_value(*other_auc)
                ),
                None => String::new(),
            };
            figures.charts.push(Chart {
                file: "roc.svg",
                caption: format!(
                    "How many positives the model finds (true-positive rate) for each share of \
                     negatives it flags by mistake, over every threshold. AUC {}: the chance \
                     that a random positive row scores above a random negative one.{compared}",
                    format_value(auc)
                ),
                svg: roc_chart(&series, operating),
                wide: false,
            });
        }
        _ => figures
            .notes
            .push("No ROC curve: the evaluated rows hold only one class.".into()),
    }
    match (pr_curve(scores, labels)?, pr_auc(scores, labels)?) {
        (Some(curve), Some(ap)) => {
            let positives = labels.iter().filter(|l| **l == 1.0).count();
            let base_rate = positives as f64 / labels.len().max(1) as f64;
            let operating = rate(m.tp, m.tp + m.fn_)
                .zip(rate(m.tp, m.tp + m.fp))
                .map(|(x, y)| OperatingPoint { threshold, x, y });
            figures.charts.push(Chart {
                file: "precision-recall.svg",
                caption: format!(
                    "Precision (how many flagged rows are positive) against recall (how many \
                     positives are flagged), over every threshold. Average precision {}; a \
                     random ranking stays at the base rate {}.",
                    format_value(ap),
                    format_value(base_rate)
                ),
                svg: pr_chart(&curve, ap, base_rate, operating),
                wide: false,
            });
        }
        _ => figures
            .notes
            .push("No precision-recall curve: the evaluated rows hold no positive label.".into()),
    }
    figures.sweep = sweep(scores, labels, &table_thresholds(threshold));
    figures.charts.push(Chart {
        file: "threshold-sweep.svg",
        caption: "Precision, recall, F1 and the share of rows flagged at every decision \
                  threshold (the dashed line is the model's): move the threshold to flag \
                  fewer rows more surely, or more rows to miss fewer positives. The table \
                  below gives the numbers."
            .into(),
        svg: sweep_chart(scores, labels, threshold),
        wide: false,
    });
    if labels.contains(&1.0) {
        figures.deciles = deciles(scores, labels);
        figures.charts.push(Chart {
            file: "gains.svg",
            caption: "Rows ranked by score, highest first: the share of all positives found \
                      in the top x % of rows. Plan a campaign with it: how many rows to \
                      contact to reach how many positives. Lift by decile is in the table below."
                .into(),
            svg: gains_chart(scores, labels),
            wide: false,
        });
    }
    figures.charts.push(Chart {
        file: "calibration.svg",
        caption: "Rows binned by predicted probability: the bin's mean prediction against the \
                  share of its rows that are positive. On the diagonal, a predicted 30 % means \
                  30 % of such rows are positive."
            .into(),
        svg: calibration_chart(scores, labels),
        wide: false,
    });
    figures.charts.push(Chart {
        file: "confusion-matrix.svg",
        caption: format!(
            "Rows by actual class and predicted class at the decision threshold {}.",
            super::format::format_fixed(threshold, 2)
        ),
        svg: confusion_chart(&m, threshold, label),
        wide: false,
    });
    Ok(())
}

/// The SHAP beeswarm, importance by gain (from the trees) and mean |SHAP|
/// (from the sampled rows' SHAP values).
fn explanation_charts(figures: &mut Figures, model: &TreeEnsemble, evaluation: &Evaluation) {
    let swarm = swarm_features(model, evaluation);
    let rows = evaluation.sample.len();
    if rows == 0 {
        figures.charts.push(gain_chart(model));
        return;
    }
    let unit = match model.objective() {
        Objective::BinaryLogistic => "log-odds of class 1",
        Objective::SquaredError => "the prediction",
    };
    let sampled = if rows < evaluation.data.rows() {
        format!(
            "{rows} of {} rows, sampled with a fixed seed",
            evaluation.data.rows()
        )
    } else {
        format!("all {rows} rows")
    };
    figures.charts.push(Chart {
        file: "shap-summary.svg",
        caption: format!(
            "Each dot is a row: how much the feature pushed its prediction up (right) or down \
             (left), coloured by the feature's value (categorical features by category \
             order). Over {sampled}."
        ),
        svg: beeswarm_chart(
            &swarm,
            &format!("{sampled} · features by mean |SHAP|"),
            &format!("SHAP value (impact on {unit})"),
        ),
        wide: true,
    });
    figures.charts.push(gain_chart(model));
    let means: Vec<(String, f64)> = swarm
        .iter()
        .map(|f| (f.name.clone(), f.mean_abs()))
        .collect();
    figures.charts.push(Chart {
        file: "importance-shap.svg",
        caption: format!(
            "How far each feature moves predictions on average (mean |SHAP value|, impact on \
             {unit}), over {sampled}."
        ),
        svg: bar_chart(
            "Feature importance (mean |SHAP|)",
            &format!("over {sampled}"),
            &format!("mean |SHAP value| (impact on {unit})"),
            &means,
        ),
        wide: false,
    });
}

/// Importance by gain, read from the trees.
fn gain_chart(model: &TreeEnsemble) -> Chart {
    let gains: Vec<(String, f64)> = importance(model)
        .into_iter()
        .map(|f| (f.feature, f.gain))
        .collect();
    Chart {
        file: "importance-gain.svg",
        caption: "How much each feature's splits improve the training loss on average \
                  (XGBoost's 'gain' importance): what the trees rely on."
            .into(),
        svg: bar_chart(
            "Feature importance (gain)",
            "average loss reduction of the splits on each feature",
            "Average gain per split",
            &gains,
        ),
        wide: false,
    }
}

/// Each feature's SHAP values and colour positions over the sampled rows.
fn swarm_features(model: &TreeEnsemble, evaluation: &Evaluation) -> Vec<SwarmFeature> {
    let width = model.features().len() + 1;
    model
        .features()
        .iter()
        .enumerate()
        .map(|(j, spec)| {
            let shap: Vec<f64> = evaluation
                .shap
                .chunks_exact(width)
                .map(|row| row[j])
                .collect();
            let values: Vec<f64> = evaluation
                .sample
                .iter()
                .map(|&i| {
                    evaluation
                        .data
                        .columns
                        .get(j)
                        .and_then(|c| c.get(i))
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect();
            let colour = match &spec.kind {
                FeatureKind::Numeric => numeric_positions(&values),
                FeatureKind::Categorical { categories } => {
                    category_positions(&values, categories.len())
                }
            };
            SwarmFeature {
                name: spec.name.clone(),
                shap,
                colour,
            }
        })
        .collect()
}
