//! A version's training profile, as stored in its manifest: the distribution of
//! every feature (and of the model's own predictions) over all the rows the
//! training query returned, held-out rows included. Drift reports compare new
//! data with it (see `crate::monitoring`), so it holds exactly what they need:
//! for numbers the 101 percentiles and the counts in the ten decile bins, for
//! text each category's count.

use serde::{Deserialize, Serialize};

/// Percentiles stored per numeric feature: 0 %, 1 %, …, 100 %.
pub const PERCENTILES: usize = 101;

/// Decile bins per numeric feature (edges at the 10 %…90 % percentiles).
pub const DECILE_BINS: usize = 10;

/// The distribution of a model version's training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingProfile {
    /// Rows the training query returned (held-out rows included).
    pub rows: u64,
    /// One profile per model feature, in model order.
    pub features: Vec<FeatureProfile>,
    /// The model's predictions on those rows (probabilities for a classifier).
    pub prediction: NumericProfile,
}

/// One feature's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// The feature's column name.
    pub name: String,
    /// Its distribution.
    #[serde(flatten)]
    pub distribution: Distribution,
}

/// A numeric or a categorical distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Numbers (booleans as 0/1, dates as days since 1970-01-01).
    Numeric(NumericProfile),
    /// Text.
    Categorical(CategoricalProfile),
}

/// A numeric distribution. NULL and NaN count as missing (`nulls`); everything
/// else describes the `count` non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Non-missing values.
    pub count: u64,
    /// Missing values (NULL or NaN).
    pub nulls: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (numpy's `std`, `ddof=0`).
    pub std: f64,
    /// The 0 %, 1 %, …, 100 % percentiles (numpy's default linear interpolation).
    pub percentiles: Vec<f64>,
    /// Values in each decile bin: `(-inf, p10]`, `(p10, p20]`, …, `(p90, inf)`.
    pub decile_counts: Vec<u64>,
}

/// A categorical distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    /// Missing values (NULL).
    pub nulls: u64,
    /// Every category seen, sorted, with its count and share of the non-missing values.
    pub categories: Vec<CategoryCount>,
}

/// One category of a categorical distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// The category.
    pub value: String,
    /// Rows with it.
    pub count: u64,
    /// `count` over the non-missing values.
    pub share: f64,
}

impl NumericProfile {
    /// The decile edges: the 10 %, 20 %, …, 90 % percentiles.
    pub fn decile_edges(&self) -> Vec<f64> {
        (1..DECILE_BINS)
            .filter_map(|d| self.percentiles.get(d * 10).copied())
            .collect()
    }

    /// What is wrong with this profile, if anything.
    fn problem(&self) -> Option<String> {
        if self.percentiles.len() != PERCENTILES {
            return Some(format!(
                "{} percentiles, expected {PERCENTILES}",
                self.percentiles.len()
            ));
        }
        if self.decile_counts.len() != DECILE_BINS {
            return Some(format!(
                "{} decile counts, expected {DECILE_BINS}",
                self.decile_counts.len()
            ));
        }
        if self.count == 0 {
            return Some("no values".to_string());
        }
        let numbers = [self.min, self.max, self.mean, self.std];
        if !numbers
            .iter()
            .chain(&self.percentiles)
            .all(|v| v.is_finite())
        {
            return Some("a value that is not a finite number".to_string());
        }
        if self.percentiles.windows(2).any(|w| w[0] > w[1]) {
            return Some("percentiles that decrease".to_string());
        }
        if self.decile_counts.iter().sum::<u64>() != self.count {
            return Some("decile counts that do not add up to its count".to_string());
        }
        None
    }
}

impl CategoricalProfile {
    /// Non-missing values.
    pub fn count(&self) -> u64 {
        self.categories.iter().map(|c| c.count).sum()
    }
}

impl TrainingProfile {
    /// The profile of feature `name`, if the model has it.
    pub fn feature(&self, name: &str) -> Option<&FeatureProfile> {
        self.features.iter().find(|f| f.name == name)
    }

    /// What is wrong with this profile (a damaged file), if anything.
    pub(crate) fn problem(&self) -> Option<String> {
        if let Some(problem) = self.prediction.problem() {
            return Some(format!("the prediction's profile has {problem}"));
        }
        for feature in &self.features {
            let problem = match &feature.distribution {
                Distribution::Numeric(numbers) => numbers.problem(),
                Distribution::Categorical(categories) => {
                    let sorted = categories
                        .categories
                        .windows(2)
                        .all(|w| w[0].value < w[1].value);
                    (!sorted).then(|| "categories that are not sorted and unique".to_string())
                }
            };
            if let Some(problem) = problem {
                return Some(format!("feature '{}' has {problem}", feature.name));
            }
        }
        None
    }
}
