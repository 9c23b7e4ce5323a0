//! Hyper-parameter search: grid or random over declared ranges, each candidate
//! scored by cross-validation.
//!
//! Ranges are written as text (so SQL `OPTIONS` can carry them):
//! `int(3, 9)` (inclusive), `float(0.01, 0.3)`, `log(0.001, 0.3)` (log-uniform),
//! `choice(a, b, c)`. For a grid, `int` enumerates every integer and `float`/`log`
//! take a third argument, the number of evenly spaced points: `float(0.6, 1.0, 5)`.
//!
//! All candidates × folds fits are scheduled together across `threads` of
//! the base parameters (see `cv`); the results are the same for any thread count.

use datafusion::common::{Result, plan_err};

use crate::ml::cv::{CvResult, CvSettings, cross_validate_all};
use crate::ml::dataset::Dataset;
use crate::ml::metric::Metric;
use crate::ml::params::GbdtParams;
use crate::ml::progress::{NoProgress, Progress};
use crate::ml::rng::Rng;
use crate::ml::trainer::Trainer;

/// Largest grid Firn will train.
const MAX_GRID: usize = 10_000;

/// The values one parameter may take.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamRange {
    /// Integers `low..=high`.
    Int {
        /// Smallest value.
        low: i64,
        /// Largest value.
        high: i64,
    },
    /// Uniform reals in `[low, high]`; `points` for a grid.
    Float {
        /// Smallest value.
        low: f64,
        /// Largest value.
        high: f64,
        /// Grid points, if given.
        points: Option<usize>,
    },
    /// Log-uniform reals in `[low, high]` (both > 0); `points` for a grid.
    LogFloat {
        /// Smallest value.
        low: f64,
        /// Largest value.
        high: f64,
        /// Grid points, if given.
        points: Option<usize>,
    },
    /// One of the listed values.
    Choice(Vec<String>),
}

fn numbers(name: &str, args: &[&str]) -> Result<Vec<f64>> {
    args.iter()
        .map(|a| match a.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => plan_err!("range of {name}: '{a}' is not a number"),
        })
        .collect()
}

impl ParamRange {
    /// Parses `int(a,b)`, `float(a,b[,n])`, `log(a,b[,n])` or `choice(x,…)`.
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let text = text.trim();
        let Some((kind, rest)) = text.split_once('(') else {
            return plan_err!(
                "range of {name}: expected int(a, b), float(a, b), log(a, b) or choice(x, …), got '{text}'"
            );
        };
        let Some(inner) = rest.trim_end().strip_suffix(')') else {
            return plan_err!("range of {name}: missing ')' in '{text}'");
        };
        let args: Vec<&str> = inner
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .collect();
        let points = |n: &str| -> Result<Option<usize>> {
            match n.parse::<usize>() {
                Ok(p) if p >= 1 => Ok(Some(p)),
                _ => {
                    plan_err!("range of {name}: grid points must be a positive integer, got '{n}'")
                }
            }
        };
        match (kind.trim().to_ascii_lowercase().as_str(), args.as_slice()) {
            ("int", [a, b]) => {
                let (low, high) = match (a.parse::<i64>(), b.parse::<i64>()) {
                    (Ok(low), Ok(high)) => (low, high),
                    _ => {
                        return plan_err!(
                            "range of {name}: int bounds must be integers, got '{text}'"
                        );
                    }
                };
                if low > high {
                    return plan_err!("range of {name}: {low} > {high}");
                }
                Ok(ParamRange::Int { low, high })
            }
            ("float" | "log", [a, b, rest @ ..]) if rest.len() <= 1 => {
                let bounds = numbers(name, &[a, b])?;
                let (low, high) = (bounds[0], bounds[1]);
                if low > high {
                    return plan_err!("range of {name}: {low} > {high}");
                }
                let points = rest.first().map(|n| points(n)).transpose()?.flatten();
                if kind.trim().eq_ignore_ascii_case("log") {
                    if low <= 0.0 {
                        return plan_err!("range of {name}: log bounds must be > 0");
                    }
                    Ok(ParamRange::LogFloat { low, high, points })
                } else {
                    Ok(ParamRange::Float { low, high, points })
                }
            }
            ("choice", values) if !values.is_empty() => Ok(ParamRange::Choice(
                values
                    .iter()
                    .map(|v| v.trim_matches('\'').to_string())
                    .collect(),
            )),
            _ => plan_err!(
                "range of {name}: expected int(a, b), float(a, b[, n]), log(a, b[, n]) or choice(x, …), got '{text}'"
            ),
        }
    }

    /// A random value.
    fn sample(&self, rng: &mut Rng) -> String {
        match self {
            ParamRange::Int { low, high } => {
                (low + rng.below((high - low) as u64 + 1) as i64).to_string()
            }
            ParamRange::Float { low, high, .. } => (low + (high - low) * rng.uniform()).to_string(),
            ParamRange::LogFloat { low, high, .. } => (low.ln()
                + (high.ln() - low.ln()) * rng.uniform())
            .exp()
            .to_string(),
            ParamRange::Choice(values) => values[rng.below(values.len() as u64) as usize].clone(),
        }
    }

    /// Every grid value.
    fn grid(&self, name: &str) -> Result<Vec<String>> {
        let spaced = |low: f64, high: f64, n: usize, map: &dyn Fn(f64) -> f64| -> Vec<String> {
            if n == 1 {
                return vec![map(low).to_string()];
            }
            (0..n)
                .map(|i| map(low + (high - low) * i as f64 / (n - 1) as f64).to_string())
                .collect()
        };
        match self {
            ParamRange::Int { low, high } => Ok((*low..=*high).map(|v| v.to_string()).collect()),
            ParamRange::Float {
                low,
                high,
                points: Some(n),
            } => Ok(spaced(*low, *high, *n, &|x| x)),
            ParamRange::LogFloat {
                low,
                high,
                points: Some(n),
            } => Ok(spaced(low.ln(), high.ln(), *n, &f64::exp)),
            ParamRange::Choice(values) => Ok(values.clone()),
            _ => plan_err!(
                "grid search over {name} needs a number of points, e.g. float(0.01, 0.3, 5)"
            ),
        }
    }
}

impl std::fmt::Display for ParamRange {
    /// The range as it is written in `OPTIONS`, e.g. `int(3, 9)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let points = |p: &Option<usize>| p.map(|n| format!(", {n}")).unwrap_or_default();
        match self {
            ParamRange::Int { low, high } => write!(f, "int({low}, {high})"),
            ParamRange::Float {
                low,
                high,
                points: p,
            } => write!(f, "float({low}, {high}{})", points(p)),
            ParamRange::LogFloat {
                low,
                high,
                points: p,
            } => write!(f, "log({low}, {high}{})", points(p)),
            ParamRange::Choice(values) => write!(f, "choice({})", values.join(", ")),
        }
    }
}

/// Named ranges to search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchSpace {
    /// (parameter, range), in declaration order.
    pub ranges: Vec<(String, ParamRange)>,
}

impl SearchSpace {
    /// Adds a range for parameter `name` (checked to be a training parameter).
    pub fn add(&mut self, name: &str, range: &str) -> Result<()> {
        if !GbdtParams::is_parameter(name) {
            return plan_err!("cannot search over '{name}': it is not a training parameter");
        }
        self.ranges
            .push((name.to_string(), ParamRange::parse(name, range)?));
        Ok(())
    }
}

/// How candidates are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Every combination.
    Grid,
    /// `n_iter` random draws.
    Random {
        /// Number of candidates.
        n_iter: usize,
    },
}

/// Settings of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// Grid or random.
    pub strategy: Strategy,
    /// Cross-validation folds per candidate.
    pub folds: usize,
    /// What candidates are ranked by.
    pub metric: Metric,
    /// Seed of the draws and of the folds.
    pub seed: u64,
    /// Decision threshold for threshold metrics.
    pub threshold: f64,
}

/// One evaluated parameter set.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The searched parameters' values.
    pub assignments: Vec<(String, String)>,
    /// The full parameters.
    pub params: GbdtParams,
    /// Its cross-validation.
    pub cv: CvResult,
}

/// All candidates and the best one.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// Candidates in evaluation order.
    pub candidates: Vec<Candidate>,
    /// Index of the best candidate by mean score.
    pub best: usize,
}

impl SearchResult {
    /// The best candidate.
    pub fn best(&self) -> &Candidate {
        &self.candidates[self.best]
    }
}

fn assignments(space: &SearchSpace, config: &SearchConfig) -> Result<Vec<Vec<(String, String)>>> {
    match config.strategy {
        Strategy::Random { n_iter } => {
            if n_iter == 0 {
                return plan_err!("random search needs n_iter >= 1");
            }
            let mut rng = Rng::new(config.seed);
            Ok((0..n_iter)
                .map(|_| {
                    space
                        .ranges
                        .iter()
                        .map(|(name, range)| (name.clone(), range.sample(&mut rng)))
                        .collect()
                })
                .collect())
        }
        Strategy::Grid => {
            let mut combos: Vec<Vec<(String, String)>> = vec![vec![]];
            for (name, range) in &space.ranges {
                let values = range.grid(name)?;
                if combos.len() * values.len() > MAX_GRID {
                    return plan_err!(
                        "the grid has more than {MAX_GRID} candidates; narrow it or use random search"
                    );
                }
                combos = combos
                    .into_iter()
                    .flat_map(|combo| {
                        values.iter().map(move |v| {
                            let mut next = combo.clone();
                            next.push((name.clone(), v.clone()));
                            next
                        })
                    })
                    .collect();
            }
            Ok(combos)
        }
    }
}

/// Cross-validates every candidate; the best has the best mean score.
pub fn search(
    trainer: &dyn Trainer,
    data: &Dataset,
    base: &GbdtParams,
    space: &SearchSpace,
    config: &SearchConfig,
) -> Result<SearchResult> {
    search_with_progress(trainer, data, base, space, config, &NoProgress)
}

/// [`search`], reporting one step per fold of every candidate to `progress`.
pub fn search_with_progress(
    trainer: &dyn Trainer,
    data: &Dataset,
    base: &GbdtParams,
    space: &SearchSpace,
    config: &SearchConfig,
    progress: &dyn Progress,
) -> Result<SearchResult> {
    if space.ranges.is_empty() {
        return plan_err!("a search needs at least one parameter range");
    }
    if !config.metric.fits(base.objective) {
        return plan_err!(
            "metric '{}' does not apply to objective '{}'",
            config.metric.name(),
            base.objective.name()
        );
    }
    let assignments = assignments(space, config)?;
    // Every candidate's parameters are checked before anything is trained.
    let mut params = Vec::with_capacity(assignments.len());
    for assignment in &assignments {
        let mut candidate = base.clone();
        for (name, value) in assignment {
            candidate.set(name, value)?;
        }
        params.push(candidate);
    }
    progress.start(
        &format!(
            "search: {} candidates x {} folds",
            assignments.len(),
            config.folds
        ),
        (assignments.len() * config.folds) as u64,
    );
    let settings = CvSettings {
        folds: config.folds,
        metric: config.metric,
        seed: config.seed,
        threshold: config.threshold,
        threads: base.threads,
    };
    let results = cross_validate_all(trainer, data, &params, &settings, progress)?;
    let candidates: Vec<Candidate> = assignments
        .into_iter()
        .zip(params)
        .zip(results)
        .map(|((assignments, params), cv)| Candidate {
            assignments,
            params,
            cv,
        })
        .collect();
    let better = |a: f64, b: f64| {
        if config.metric.greater_is_better() {
            a > b
        } else {
            a < b
        }
    };
    let mut best = 0;
    for (i, c) in candidates.iter().enumerate() {
        if better(c.cv.mean, candidates[best].cv.mean) {
            best = i;
        }
    }
    progress.finish();
    Ok(SearchResult { candidates, best })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::forust::ForustTrainer;

    #[test]
    fn parses_ranges() {
        assert_eq!(
            ParamRange::parse("max_depth", "int(3, 9)").expect("int"),
            ParamRange::Int { low: 3, high: 9 }
        );
        assert_eq!(
            ParamRange::parse("subsample", "float(0.6,1.0,3)")
                .expect("float")
                .grid("subsample")
                .expect("grid"),
            vec!["0.6", "0.8", "1"]
        );
        assert!(matches!(
            ParamRange::parse("lr", "log(0.01, 0.3)").expect("log"),
            ParamRange::LogFloat { .. }
        ));
        assert_eq!(
            ParamRange::parse("objective", "choice(a, 'b')").expect("choice"),
            ParamRange::Choice(vec!["a".into(), "b".into()])
        );
        for bad in [
            "int(9, 3)",
            "int(1.5, 3)",
            "float(a, b)",
            "log(0, 1)",
            "uniform(1, 2)",
            "int(1, 2",
            "choice()",
        ] {
            assert!(
                ParamRange::parse("x", bad).is_err(),
                "{bad} should be refused"
            );
        }
        let mut space = SearchSpace::default();
        assert!(
            space
                .add("max_dept", "int(1, 2)")
                .expect_err("typo")
                .to_string()
                .contains("not a training parameter")
        );
    }

    #[test]
    fn random_search_is_seeded_and_picks_the_best_mean() {
        let data = crate::ml::forust::tests::synthetic(600, 3);
        let mut space = SearchSpace::default();
        space.add("max_depth", "int(2, 5)").expect("range");
        space
            .add("learning_rate", "float(0.05, 0.3)")
            .expect("range");
        let base = GbdtParams {
            n_estimators: 10,
            ..GbdtParams::default()
        };
        let config = SearchConfig {
            strategy: Strategy::Random { n_iter: 4 },
            folds: 3,
            metric: Metric::F1,
            seed: 42,
            threshold: 0.5,
        };
        let result = search(&ForustTrainer, &data, &base, &space, &config).expect("search");
        assert_eq!(result.candidates.len(), 4);
        let best = result.best().cv.mean;
        assert!(
            result
                .candidates
                .iter()
                .all(|c| c.cv.mean <= best && c.cv.fold_scores.len() == 3)
        );
        assert!(best > 0.6, "F1 {best} on an easy problem");
        let again = search(&ForustTrainer, &data, &base, &space, &config).expect("search");
        assert_eq!(
            again
                .candidates
                .iter()
                .map(|c| &c.assignments)
                .collect::<Vec<_>>(),
            result
                .candidates
                .iter()
                .map(|c| &c.assignments)
                .collect::<Vec<_>>()
        );
        assert_eq!(again.best().cv.fold_scores, result.best().cv.fold_scores);
    }

    #[test]
    fn grid_search_enumerates_combinations_and_checks_values() {
        let data = crate::ml::forust::tests::synthetic(300, 4);
        let mut space = SearchSpace::default();
        space.add("max_depth", "int(2, 3)").expect("range");
        space
            .add("min_child_weight", "choice(1, 5)")
            .expect("range");
        let base = GbdtParams {
            n_estimators: 5,
            ..GbdtParams::default()
        };
        let config = SearchConfig {
            strategy: Strategy::Grid,
            folds: 2,
            metric: Metric::RocAuc,
            seed: 1,
            threshold: 0.5,
        };
        let result = search(&ForustTrainer, &data, &base, &space, &config).expect("grid");
        assert_eq!(result.candidates.len(), 4);
        let mut bad = SearchSpace::default();
        bad.add("max_depth", "int(0, 2)").expect("parses");
        let err = search(&ForustTrainer, &data, &base, &bad, &config).expect_err("max_depth 0");
        assert!(err.to_string().contains("option max_depth"), "{err}");
        let wrong_metric = SearchConfig {
            metric: Metric::Rmse,
            ..config
        };
        assert!(search(&ForustTrainer, &data, &base, &space, &wrong_metric).is_err());
    }
}
