//! The options of a drift report, read once from their text:
//! `'psi_threshold=0.1'` (several as `'a=1, b=2'`).

use datafusion::common::{Result, plan_err};

/// The default PSI from which a feature is flagged.
pub(crate) const DEFAULT_PSI_THRESHOLD: f64 = 0.2;

/// Every option a drift report knows.
const KNOWN: &[&str] = &["psi_threshold"];

/// A drift report's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DriftOptions {
    /// A feature is flagged when its PSI is at least this.
    pub psi_threshold: f64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            psi_threshold: DEFAULT_PSI_THRESHOLD,
        }
    }
}

impl DriftOptions {
    /// Reads `text`: comma-separated `name=value` pairs (empty: the defaults).
    pub(crate) fn parse(text: &str) -> Result<Self> {
        let mut options = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = pair.split_once('=') else {
                return plan_err!(
                    "drift_report: option '{pair}' is not name=value; expected e.g. 'psi_threshold=0.1'"
                );
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if seen.contains(&name) {
                return plan_err!("drift_report: option '{name}' is given twice");
            }
            match name.as_str() {
                "psi_threshold" => {
                    options.psi_threshold = match value.parse::<f64>() {
                        Ok(v) if v.is_finite() && v > 0.0 => v,
                        _ => {
                            return plan_err!(
                                "drift_report: psi_threshold must be a positive number, got '{value}'"
                            );
                        }
                    }
                }
                _ => {
                    return plan_err!(
                        "drift_report: unknown option '{name}'; known options: {}",
                        KNOWN.join(", ")
                    );
                }
            }
            seen.push(name);
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_threshold_and_refuses_the_rest() {
        assert_eq!(DriftOptions::parse("").ok(), Some(DriftOptions::default()));
        let parsed = DriftOptions::parse(" PSI_threshold = 0.1 ").ok();
        assert_eq!(parsed.map(|o| o.psi_threshold), Some(0.1));
        let message = |text: &str| match DriftOptions::parse(text) {
            Err(e) => e.strip_backtrace(),
            Ok(o) => panic!("{text} gave {o:?}"),
        };
        assert!(message("bins=20").contains("unknown option 'bins'; known options: psi_threshold"));
        assert!(message("psi_threshold=-1").contains("positive number, got '-1'"));
        assert!(message("psi_threshold=x").contains("got 'x'"));
        assert!(message("psi_threshold").contains("not name=value"));
        assert!(message("psi_threshold=1, psi_threshold=2").contains("given twice"));
    }
}
