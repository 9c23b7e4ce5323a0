//! Monitoring: what a model version's training data looked like (its training
//! profile, recorded by `CREATE MODEL`) and how far new data has drifted from
//! it (`drift_report`). The definitions are the README's "Monitoring" section;
//! the math is one idea per file: [`quantile`] (numpy's default percentiles),
//! [`bins`] (decile bins), [`psi`], [`ks`], [`float_sort`] (the sort under
//! percentiles and sums).

pub(crate) mod bins;
pub(crate) mod drift;
pub(crate) mod float_sort;
pub(crate) mod ks;
pub(crate) mod monitors;
pub(crate) mod options;
pub(crate) mod profile;
pub(crate) mod psi;
pub(crate) mod quantile;
pub(crate) mod training_rows;
