//! A look at the tokens of SQL text before the parser sees it. sqlparser 0.62
//! (DataFusion 55's) takes time exponential in the length of a dotted chain
//! (`a.b.c.…`) when the statement then fails to parse: after each period it
//! tries the rest as an expression and, when that fails, as a name, so every
//! period doubles the work, and whatever the chain's brackets or parentheses
//! hold is parsed again each time (`a.…[b.…[c.`: the periods of the nested
//! names count too). Fuzzing found statements of 60 and 240 bytes that kept a
//! core busy for minutes, which over Flight SQL is one client holding a server
//! core. sqlparser 0.63 fixed it (apache/datafusion-sqlparser-rs#2344), which
//! DataFusion 55 cannot take; until then such chains, longer than any real
//! name, are refused here, in linear time.

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, Tokenizer};

/// Most parts of a dotted name, with the parts of the names nested in its
/// brackets and parentheses (`catalog.schema.table.column` and struct fields
/// under it fit many times over).
pub const MAX_DOTTED_PARTS: usize = 12;

/// The chain being read at one level of brackets.
#[derive(Clone, Copy, Default)]
struct Chain {
    /// Periods of the chains this level is nested in (each re-parses it).
    inherited: usize,
    /// Periods of this level's chain, each between two other tokens.
    periods: usize,
    /// Where the outermost chain counted started.
    start: Option<Location>,
}

/// Refuses `sql` when it holds a dotted chain of more than
/// [`MAX_DOTTED_PARTS`] parts, counting the parts of the chains nested in its
/// brackets and parentheses. Text that does not tokenize is left to the
/// parser, which reports it.
pub fn check_shape(sql: &str) -> Result<()> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() else {
        return Ok(());
    };
    let mut chain = Chain::default();
    let mut outer: Vec<Chain> = Vec::new();
    let mut after_period = false;
    for token in tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
    {
        let at = token.span.start;
        match token.token {
            Token::Period => {
                if after_period || chain.periods == 0 && chain.start.is_none() {
                    // Two periods in a row, or a leading one: a new chain starts here.
                    chain.periods = 0;
                    if chain.inherited == 0 {
                        chain.start = None;
                    }
                }
                chain.periods += 1;
                after_period = true;
                if chain.inherited + chain.periods + 1 > MAX_DOTTED_PARTS {
                    return Err(too_long(chain.start.unwrap_or(at)));
                }
            }
            Token::LBracket | Token::LParen => {
                // What the brackets hold is parsed again for each period of the chain they follow.
                outer.push(chain);
                let inherited = chain.inherited + chain.periods;
                chain = Chain {
                    inherited,
                    periods: 0,
                    start: if inherited > 0 { chain.start } else { None },
                };
                after_period = false;
            }
            Token::RBracket | Token::RParen => {
                // The chain the brackets followed may go on (`a.b[1].c`, `a.f(x).g`).
                chain = outer.pop().unwrap_or(Chain {
                    start: Some(at),
                    ..Chain::default()
                });
                after_period = false;
            }
            _ => {
                if !after_period {
                    // Two other tokens in a row: any chain has ended; this one may start the next.
                    chain.periods = 0;
                    if chain.inherited == 0 {
                        chain.start = Some(at);
                    }
                }
                after_period = false;
            }
        }
    }
    Ok(())
}

fn too_long(at: Location) -> DataFusionError {
    DataFusionError::SQL(
        Box::new(ParserError::ParserError(format!(
            "a dotted name with more than {MAX_DOTTED_PARTS} parts, counting those of the names \
             in its brackets (the SQL parser would take too long on it; write at most \
             {MAX_DOTTED_PARTS}) at Line: {}, Column: {}",
            at.line, at.column
        ))),
        None,
    )
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

    /// The second find: chains of 12 parts each, nested in each other's
    /// brackets (11 s for two levels before this check counted them together).
    #[test]
    fn chains_nested_in_brackets_count_together() {
        let nested = format!("SELECT {}[{}[a.", chain(12), chain(12));
        let err = check_shape(&nested).expect_err("refused").to_string();
        assert!(
            err.contains("counting those of the names in its brackets"),
            "{err}"
        );
        assert!(err.contains("at Line: 1, Column: 8"), "{err}");
        let found = include_bytes!("../../tests/data/fuzz/sql/nested-chains.sql");
        assert!(check_shape(&String::from_utf8_lossy(found)).is_err());
        assert!(check_shape(&format!("SELECT {}(x.", chain(12))).is_err());
        // Real nesting passes: subscripts, calls, method chains, subqueries.
        check_shape("SELECT s.t.c[1].f.g, a.f(x.y).g, (SELECT u.v FROM c.s.t) FROM c.s.t")
            .expect("fine");
        check_shape(&format!("SELECT f({}), g({}) FROM t", chain(12), chain(12)))
            .expect("calls of no chain inherit nothing");
        check_shape(&format!("SELECT {}[1].{}", chain(6), chain(6))).expect("12 in all");
        check_shape(&format!("SELECT {}[1].{}", chain(6), chain(7))).expect_err("13 in all");
        check_shape("SELECT a]).b.c FROM t((").expect("unbalanced brackets are the parser's");
    }
}
