//! XGBoost's JSON model format: the document `Booster.save_model("m.json")` writes.
//!
//! [`export`] writes a Firn model as a gbtree model that XGBoost's Python package loads
//! (`xgb.Booster(model_file=...)`) and scores like Firn; [`import`] reads a gbtree model saved
//! by XGBoost 1.6 or later (`binary:logistic` or `reg:squarederror`, numeric features) into a
//! validated [`TreeEnsemble`]. Checked against XGBoost 1.7.6, 2.1.4 and 3.2.0.
//!
//! # float32
//! XGBoost keeps split conditions, leaf values and `base_score` as `float32` and rounds each
//! input value to `float32` before comparing (`f32(x) < condition` goes left).
//! - Import turns a condition `c` into the smallest `f64` that rounds to `c` or above, so that
//!   Firn's `x < threshold` on `f64` inputs routes every row exactly as XGBoost does.
//! - Export writes each threshold `t` as the nearest `f32`. Rows with `x >= t` still go right;
//!   a row with `x < t` that rounds onto the condition (less than one float32 ulp below `t`)
//!   goes right in XGBoost instead of left. Forust's thresholds are training values, which
//!   themselves route correctly. Leaf values are rounded to `f32` (forust's already are).
//! - XGBoost sums margins in `float32`, so its margins differ from Firn's by about 1e-7 per tree.
//!
//! # base_score
//! `learner_model_param.base_score` is in probability space for `binary:logistic`
//! (`sigmoid` of Firn's margin). Export writes it as XGBoost 2.x does, a scalar string such as
//! `"5.125E-1"` with at most 9 significant digits: XGBoost 3.x reads that too, while 1.7 and
//! 2.1 silently read 3.x's spelling `"[5.125E-1]"`, or a longer number, as 0.5. Import accepts
//! both spellings. Firn's exact margin also goes into the `firn_base_margin` attribute, which
//! import prefers while it agrees with `base_score`, so export → import keeps the `f64`.
//!
//! # Categorical features
//! Exported as `"float"` features holding their ordinal code (the position among the sorted
//! categories, as Firn encodes them; missing or unseen = NaN): whoever scores the export with
//! XGBoost must encode strings the same way. The category lists go into the `firn_categories`
//! attribute, which import restores. XGBoost's own categorical splits are not imported.

mod export;
mod import;
mod json_path;
#[cfg(test)]
mod tests;

pub use export::export;
pub use import::import;

/// The root's entry in XGBoost's `parents` array.
const NO_PARENT: i32 = i32::MAX;
/// Attribute holding Firn's `base_score` margin as an exact `f64`.
const BASE_MARGIN_ATTR: &str = "firn_base_margin";
/// Attribute holding the categories of categorical features, as JSON.
const CATEGORIES_ATTR: &str = "firn_categories";
/// The most features an imported model may have.
const MAX_FEATURES: usize = 100_000;
/// The XGBoost release whose layout export writes (XGBoost 1.6 to 3.x load it).
const WRITTEN_VERSION: [u32; 3] = [2, 1, 0];
