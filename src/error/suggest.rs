//! "Did you mean …?": the known name closest to a misspelt one, for error messages
//! (`max_dept` → `max_depth`).

use datafusion::common::utils::datafusion_strsim::levenshtein;

/// The candidate closest to `given` (ignoring case), if it is close enough to be
/// a misspelling: about a third of its length in edits (and at least one).
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    let allowed = given.chars().count().div_ceil(3).max(1);
    candidates
        .into_iter()
        .map(|c| (levenshtein(&given, &c.to_ascii_lowercase()), c))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// `; did you mean 'x'?` for the closest candidate, or nothing.
pub fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(given, candidates)
        .map(|c| format!("; did you mean '{c}'?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_names() {
        let options = ["max_depth", "learning_rate", "label", "exclude"];
        assert_eq!(closest("max_dept", options), Some("max_depth"));
        assert_eq!(closest("LEARNING_RATE", options), Some("learning_rate"));
        assert_eq!(closest("lable", options), Some("label"));
        assert_eq!(closest("colour", options), None);
        assert_eq!(did_you_mean("colour", options), "");
        assert_eq!(
            did_you_mean("excluded", options),
            "; did you mean 'exclude'?"
        );
    }
}
