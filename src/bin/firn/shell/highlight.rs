//! Syntax colours for the line being typed: keywords bold, string literals green,
//! numbers cyan, `--` comments dim. Off when `NO_COLOR` is set (no-color.org).

use super::complete::KEYWORDS;

const BOLD: &str = "\x1b[1m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Whether the user asked for no colours.
pub fn colours_off() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// `line` with ANSI colours; the visible text is unchanged.
pub fn highlight_sql(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let len = if c == '\'' {
            // A string literal, to its closing quote ('' is a quote inside it) or the line's end.
            let mut end = rest.len();
            let mut chars = rest.char_indices().skip(1).peekable();
            while let Some((i, ch)) = chars.next() {
                if ch == '\'' {
                    if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                        chars.next();
                        continue;
                    }
                    end = i + 1;
                    break;
                }
            }
            paint(&mut out, GREEN, &rest[..end]);
            end
        } else if rest.starts_with("--") {
            paint(&mut out, DIM, rest);
            rest.len()
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .unwrap_or(rest.len());
            paint(&mut out, CYAN, &rest[..end]);
            end
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                paint(&mut out, BOLD, word);
            } else {
                out.push_str(word);
            }
            end
        } else {
            out.push(c);
            c.len_utf8()
        };
        rest = &rest[len..];
    }
    out
}

fn paint(out: &mut String, colour: &str, text: &str) {
    out.push_str(colour);
    out.push_str(text);
    out.push_str(RESET);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_strings_numbers_and_comments() {
        assert_eq!(
            highlight_sql("select x, 'it''s' FROM t1 WHERE n > 2.5 -- note"),
            format!(
                "{BOLD}select{RESET} x, {GREEN}'it''s'{RESET} {BOLD}FROM{RESET} t1 \
                 {BOLD}WHERE{RESET} n > {CYAN}2.5{RESET} {DIM}-- note{RESET}"
            )
        );
        // An open string runs to the end of the line; other text is kept as typed.
        assert_eq!(highlight_sql("'abc"), format!("{GREEN}'abc{RESET}"));
        assert_eq!(highlight_sql("ünïcode → x"), "ünïcode → x");
    }
}
