//! Token helpers shared by Firn's statement parsers: matching words that are
//! not SQL keywords (`MODEL`, `MODELS`, `ALIAS` …), reading names, and printing
//! identifiers so that they parse back to the same text.

use std::fmt;

use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::{Token, Word};

/// The unquoted word at position `n` ahead, if there is one.
pub(crate) fn word_at<'a>(parser: &'a Parser<'_>, n: usize) -> Option<&'a str> {
    match &parser.peek_nth_token_ref(n).token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.as_str()),
        _ => None,
    }
}

/// Whether the next tokens are the unquoted words `words` (any case).
pub(crate) fn peek_words(parser: &Parser<'_>, words: &[&str]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(n, word)| word_at(parser, n).is_some_and(|w| w.eq_ignore_ascii_case(word)))
}

/// Consumes the next token when it is the unquoted word `word`.
pub(crate) fn parse_word(parser: &mut Parser<'_>, word: &str) -> bool {
    if peek_words(parser, &[word]) {
        parser.next_token();
        true
    } else {
        false
    }
}

/// An optional phrase such as `IF EXISTS` or `OR REPLACE`: false when its
/// first word is not next; once it is, the other words must follow.
pub(crate) fn parse_optional_words(
    parser: &mut Parser<'_>,
    words: &[&str],
) -> Result<bool, ParserError> {
    let Some((first, rest)) = words.split_first() else {
        return Ok(false);
    };
    if !parse_word(parser, first) {
        return Ok(false);
    }
    expect_words(parser, rest)?;
    Ok(true)
}

/// Consumes the unquoted words `words` in order, or fails naming what was expected.
pub(crate) fn expect_words(parser: &mut Parser<'_>, words: &[&str]) -> Result<(), ParserError> {
    for word in words {
        if !parse_word(parser, word) {
            let found = parser.peek_token();
            return parser.expected(word, found);
        }
    }
    Ok(())
}

/// An identifier's value: unquoted ones fold to lower case, as SQL does.
pub(crate) fn folded(word: &Word) -> String {
    match word.quote_style {
        None => word.value.to_ascii_lowercase(),
        Some(_) => word.value.clone(),
    }
}

/// A name: an identifier (folded unless quoted) or a string literal (exact).
pub(crate) fn parse_name(parser: &mut Parser<'_>, what: &str) -> Result<String, ParserError> {
    let token = parser.next_token();
    match &token.token {
        Token::Word(w) => Ok(folded(w)),
        Token::SingleQuotedString(s) => Ok(s.clone()),
        _ => parser.expected(what, token),
    }
}

/// A string literal.
pub(crate) fn parse_string(parser: &mut Parser<'_>, what: &str) -> Result<String, ParserError> {
    let token = parser.next_token();
    match &token.token {
        Token::SingleQuotedString(s) => Ok(s.clone()),
        _ => parser.expected(what, token),
    }
}

/// Writes `name` as an identifier that parses back to the same text.
pub(crate) fn write_identifier(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        f.write_str(name)
    } else {
        write!(f, "\"{}\"", name.replace('"', "\"\""))
    }
}

/// Writes `text` as a string literal.
pub(crate) fn write_string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    write!(f, "'{}'", text.replace('\'', "''"))
}

/// Writes `key 'value', …`, the inside of an `OPTIONS (…)` clause.
pub(crate) fn write_option_list(
    f: &mut fmt::Formatter<'_>,
    options: &[(String, String)],
) -> fmt::Result {
    for (i, (key, value)) in options.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_identifier(f, key)?;
        f.write_str(" ")?;
        write_string(f, value)?;
    }
    Ok(())
}

/// `'text'` as SQL source (for statements rewritten into queries).
pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
