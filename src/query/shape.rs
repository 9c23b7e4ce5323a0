//! A look at the tokens of SQL text before the parser sees it. sqlparser 0.62
//! (DataFusion 55's) takes time exponential in the length of a dotted chain
//! (`a.b.c.…`) when the statement then fails to parse: fuzzing found a
//! 60-byte statement that kept a core busy for minutes, which over Flight SQL
//! is one client holding a server core. sqlparser 0.63 fixed it (apache/
//! datafusion-sqlparser-rs#2344), which DataFusion 55 cannot take; until then
//! chains longer than any real name are refused here, in linear time.

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// Most parts of a dotted name (`catalog.schema.table.column` and struct
/// fields under it fit many times over).
pub const MAX_DOTTED_PARTS: usize = 12;

/// Refuses `sql` when it holds a dotted chain of more than
/// [`MAX_DOTTED_PARTS`] parts. Text that does not tokenize is left to the
/// parser, which reports it.
pub fn check_shape(sql: &str) -> Result<()> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() else {
        return Ok(());
    };
    // `periods`: the periods of the chain being read, each between two other tokens.
    let (mut periods, mut after_period) = (0usize, false);
    let mut start = None;
    for token in tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        if token.token == Token::Period {
            if after_period || periods == 0 && start.is_none() {
                // Two periods in a row, or a leading one: a new chain starts here.
                (periods, start) = (0, None);
            }
            periods += 1;
            after_period = true;
            if periods + 1 > MAX_DOTTED_PARTS {
                let at = start.unwrap_or(token.span.start);
                return Err(DataFusionError::SQL(
                    Box::new(ParserError::ParserError(format!(
                        "a dotted name with more than {MAX_DOTTED_PARTS} parts (the SQL parser would take too \
                         long on it; write at most {MAX_DOTTED_PARTS}) at Line: {}, \
                         Column: {}",
                        at.line, at.column
                    ))),
                    None,
                ));
            }
        } else {
            if !after_period {
                // Two other tokens in a row: any chain has ended; this one may start the next.
                (periods, start) = (0, Some(token.span.start));
            }
            after_period = false;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(parts: usize) -> String {
        vec!["a"; parts].join(".")
    }

    #[test]
    fn real_names_pass() {
        check_shape("SELECT c.s.t.col, x.y FROM c.s.t JOIN u ON t.id = u.id").expect("fine");
        check_shape(&format!("SELECT {} FROM t", chain(MAX_DOTTED_PARTS))).expect("at the limit");
        check_shape("SELECT 1.5, '.a.b.c.d.e.f.g.h.i.j.k.l.m.n' FROM t").expect("numbers, strings");
        check_shape("SELECT 'unterminated").expect("left to the parser");
    }

    #[test]
    fn long_chains_are_refused_with_their_place() {
        let sql = format!("SELECT 1,\n  {}.", chain(MAX_DOTTED_PARTS + 1));
        let err = check_shape(&sql).expect_err("refused").to_string();
        assert!(err.contains("more than 12 parts"), "{err}");
        assert!(err.contains("at Line: 2, Column: 3"), "{err}");
        // The fuzzer's find: minutes in the parser before this check.
        let found = "SELECT:v.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.l[o.";
        assert!(crate::sql::parse_sql(found).is_err());
    }
}
