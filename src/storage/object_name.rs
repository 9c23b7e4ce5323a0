//! The one rule for the names of Firn's stored objects — models, versions,
//! aliases, experiments, runs, entities, feature views: 1–128 ASCII letters,
//! digits, `_`, `-` and `.`, not starting with `.` and without `..`, so a name
//! is always one safe path segment (no `/`, whitespace or control characters
//! either). Names fold to lower case, as SQL folds unquoted identifiers.
//! Versions may not start with `_`: such directory names are kept for Firn's
//! own files.

use std::fmt::Display;

use crate::error::{Result, plan_error};

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Why a reserved device name is refused, for messages.
pub const RESERVED_REASON: &str =
    "it is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9), which no file may have";

/// Whether `value` is a name Windows keeps for devices (`con`, `nul.txt`,
/// `COM1`, …): a file of that name cannot exist there, so no object may have it.
pub fn is_reserved_on_windows(value: &str) -> bool {
    let stem = value
        .split('.')
        .next()
        .unwrap_or(value)
        .to_ascii_lowercase();
    matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
        || ["com", "lpt"].iter().any(|prefix| {
            stem.strip_prefix(prefix)
                .is_some_and(|n| n.len() == 1 && matches!(n.as_bytes()[0], b'1'..=b'9'))
        })
}

/// Checks `value` as a name of `kind` (for messages: `model name`, …) and
/// returns it folded to lower case. `separator` is the character references
/// use between name and version, with an example (`('@', "model@version")`),
/// named when it appears in a name; `version` reserves a leading `_`.
pub fn validate_name(
    kind: impl Display,
    value: &str,
    separator: (char, &str),
    version: bool,
) -> Result<String> {
    let bad = |reason: &str| {
        plan_error(format!(
            "invalid {kind} '{}': {reason}",
            value.escape_debug()
        ))
    };
    if value.is_empty() {
        return Err(bad("it is empty"));
    }
    if value.chars().count() > MAX_NAME_LEN {
        return Err(bad(&format!("longer than {MAX_NAME_LEN} characters")));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        let reason = match c {
            '/' | '\\' => "it must not contain '/' or '\\'".to_string(),
            c if c.is_control() => "it must not contain control characters".to_string(),
            c if c.is_whitespace() => "it must not contain whitespace".to_string(),
            c if c == separator.0 => format!("it must not contain '{c}' (write {})", separator.1),
            c => format!("'{c}' is not allowed; use letters, digits, '_', '-' and '.'"),
        };
        return Err(bad(&reason));
    }
    if value.starts_with('.') {
        return Err(bad("it must not start with '.'"));
    }
    if value.contains("..") {
        return Err(bad("it must not contain '..'"));
    }
    if is_reserved_on_windows(value) {
        return Err(bad(RESERVED_REASON));
    }
    if version && value.starts_with('_') {
        return Err(bad("versions starting with '_' are reserved for Firn"));
    }
    Ok(value.to_ascii_lowercase())
}
