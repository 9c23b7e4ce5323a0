//! A parser that wraps DataFusion's `DFParser`: it peeks at the leading tokens,
//! parses Firn's statements itself and hands everything else to DataFusion.

use datafusion::error::Result;
use datafusion::sql::parser::{DFParser, DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::tokenizer::Token;

use datafusion::sql::sqlparser::parser::Parser;

use crate::query::shape::check_shape;
use crate::sql::alter_model::{AlterModel, parse_alter_model, starts_alter_model};
use crate::sql::create_entity::{CreateEntity, parse_create_entity, starts_create_entity};
use crate::sql::create_feature_view::{
    CreateFeatureView, parse_create_feature_view, starts_create_feature_view,
};
use crate::sql::create_model::{CreateModel, parse_create_model, starts_create_model};
use crate::sql::create_training_set::{
    CreateTrainingSet, parse_create_training_set, starts_create_training_set,
};
use crate::sql::describe_feature_view::{
    DescribeFeatureView, parse_describe_feature_view, starts_describe_feature_view,
};
use crate::sql::describe_model::{DescribeModel, parse_describe_model, starts_describe_model};
use crate::sql::drop_entity::{DropEntity, parse_drop_entity, starts_drop_entity};
use crate::sql::drop_feature_view::{
    DropFeatureView, parse_drop_feature_view, starts_drop_feature_view,
};
use crate::sql::drop_model::{DropModel, parse_drop_model, starts_drop_model};
use crate::sql::monitor::{
    CreateMonitor, DropMonitor, RunMonitor, parse_create_monitor, parse_drop_monitor,
    parse_run_monitor, starts_create_monitor, starts_drop_monitor, starts_run_monitor,
};
use crate::sql::show::{Show, parse_show, starts_show};
use crate::sql::verify_model::{VerifyModel, parse_verify_model, starts_verify_model};

/// One parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub enum FirnStatement {
    /// A statement DataFusion understands.
    DataFusion(Box<DFStatement>),
    /// `CREATE MODEL … OPTIONS (…) AS query`.
    CreateModel(Box<CreateModel>),
    /// `ALTER MODEL …`.
    AlterModel(AlterModel),
    /// `DROP MODEL …`.
    DropModel(DropModel),
    /// `SHOW MODELS`, `SHOW VERSIONS IN MODEL m`, `SHOW EXPERIMENTS`, `SHOW RUNS`,
    /// `SHOW ENTITIES`, `SHOW FEATURE VIEWS`.
    Show(Show),
    /// `CREATE ENTITY …`.
    CreateEntity(CreateEntity),
    /// `DROP ENTITY …`.
    DropEntity(DropEntity),
    /// `CREATE FEATURE VIEW … AS query`.
    CreateFeatureView(Box<CreateFeatureView>),
    /// `DROP FEATURE VIEW …`.
    DropFeatureView(DropFeatureView),
    /// `DESCRIBE FEATURE VIEW …`.
    DescribeFeatureView(DescribeFeatureView),
    /// `DESCRIBE MODEL …`.
    DescribeModel(DescribeModel),
    /// `CREATE TRAINING SET … FROM spine USING view:version …`.
    CreateTrainingSet(Box<CreateTrainingSet>),
    /// `VERIFY MODEL m[@v]`.
    VerifyModel(VerifyModel),
    /// `CREATE MONITOR … ON MODEL … DATA '…'`.
    CreateMonitor(Box<CreateMonitor>),
    /// `RUN MONITOR name`.
    RunMonitor(RunMonitor),
    /// `DROP MONITOR [IF EXISTS] name`.
    DropMonitor(DropMonitor),
}

impl std::fmt::Display for FirnStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FirnStatement::DataFusion(statement) => write!(f, "{statement}"),
            FirnStatement::CreateModel(statement) => write!(f, "{statement}"),
            FirnStatement::AlterModel(statement) => write!(f, "{statement}"),
            FirnStatement::DropModel(statement) => write!(f, "{statement}"),
            FirnStatement::Show(statement) => write!(f, "{statement}"),
            FirnStatement::CreateEntity(statement) => write!(f, "{statement}"),
            FirnStatement::DropEntity(statement) => write!(f, "{statement}"),
            FirnStatement::CreateFeatureView(statement) => write!(f, "{statement}"),
            FirnStatement::DropFeatureView(statement) => write!(f, "{statement}"),
            FirnStatement::DescribeFeatureView(statement) => write!(f, "{statement}"),
            FirnStatement::DescribeModel(statement) => write!(f, "{statement}"),
            FirnStatement::CreateTrainingSet(statement) => write!(f, "{statement}"),
            FirnStatement::VerifyModel(statement) => write!(f, "{statement}"),
            FirnStatement::CreateMonitor(statement) => write!(f, "{statement}"),
            FirnStatement::RunMonitor(statement) => write!(f, "{statement}"),
            FirnStatement::DropMonitor(statement) => write!(f, "{statement}"),
        }
    }
}

/// Recognises the start of one of Firn's statements.
type Starts = fn(&Parser<'_>) -> bool;
/// Parses one of Firn's statements.
type Parse = fn(&mut Parser<'_>) -> Result<FirnStatement>;

/// Firn's own statements: each is recognised by its leading words and parsed
/// by its own module; everything else goes to DataFusion.
const FIRN_STATEMENTS: &[(Starts, Parse)] = &[
    (starts_create_model, |p| {
        Ok(FirnStatement::CreateModel(Box::new(parse_create_model(p)?)))
    }),
    (starts_alter_model, |p| {
        Ok(FirnStatement::AlterModel(parse_alter_model(p)?))
    }),
    (starts_drop_model, |p| {
        Ok(FirnStatement::DropModel(parse_drop_model(p)?))
    }),
    (starts_show, |p| Ok(FirnStatement::Show(parse_show(p)?))),
    (starts_create_entity, |p| {
        Ok(FirnStatement::CreateEntity(parse_create_entity(p)?))
    }),
    (starts_drop_entity, |p| {
        Ok(FirnStatement::DropEntity(parse_drop_entity(p)?))
    }),
    (starts_create_feature_view, |p| {
        Ok(FirnStatement::CreateFeatureView(Box::new(
            parse_create_feature_view(p)?,
        )))
    }),
    (starts_drop_feature_view, |p| {
        Ok(FirnStatement::DropFeatureView(parse_drop_feature_view(p)?))
    }),
    (starts_create_training_set, |p| {
        Ok(FirnStatement::CreateTrainingSet(Box::new(
            parse_create_training_set(p)?,
        )))
    }),
    (starts_describe_model, |p| {
        Ok(FirnStatement::DescribeModel(parse_describe_model(p)?))
    }),
    (starts_create_monitor, |p| {
        Ok(FirnStatement::CreateMonitor(Box::new(
            parse_create_monitor(p)?,
        )))
    }),
    (starts_run_monitor, |p| {
        Ok(FirnStatement::RunMonitor(parse_run_monitor(p)?))
    }),
    (starts_drop_monitor, |p| {
        Ok(FirnStatement::DropMonitor(parse_drop_monitor(p)?))
    }),
    (starts_verify_model, |p| {
        Ok(FirnStatement::VerifyModel(parse_verify_model(p)?))
    }),
    (starts_describe_feature_view, |p| {
        Ok(FirnStatement::DescribeFeatureView(
            parse_describe_feature_view(p)?,
        ))
    }),
];

/// Parser for Firn's dialect.
pub struct FirnParser<'a> {
    df: DFParser<'a>,
}

impl<'a> FirnParser<'a> {
    /// A parser over `sql`.
    pub fn new(sql: &'a str) -> Result<Self> {
        Ok(Self {
            df: DFParserBuilder::new(sql).build()?,
        })
    }

    /// Parses every `;`-separated statement.
    pub fn parse_statements(&mut self) -> Result<Vec<FirnStatement>> {
        let mut statements = Vec::new();
        loop {
            while self.df.parser.consume_token(&Token::SemiColon) {}
            if self.df.parser.peek_token().token == Token::EOF {
                return Ok(statements);
            }
            statements.push(self.parse_statement()?);
            let next = self.df.parser.peek_token();
            if next.token != Token::SemiColon && next.token != Token::EOF {
                return datafusion::common::plan_err!("expected ';' or end of input, found {next}");
            }
        }
    }

    /// Parses one statement.
    pub fn parse_statement(&mut self) -> Result<FirnStatement> {
        for (starts, parse) in FIRN_STATEMENTS {
            if starts(&self.df.parser) {
                return parse(&mut self.df.parser);
            }
        }
        Ok(FirnStatement::DataFusion(Box::new(
            self.df.parse_statement()?,
        )))
    }
}

/// Parses `sql` into statements (after [`check_shape`] looked at its tokens).
pub fn parse_sql(sql: &str) -> Result<Vec<FirnStatement>> {
    check_shape(sql)?;
    FirnParser::new(sql)?.parse_statements()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_round_trips_through_display() {
        let sql = "CREATE TABLE t AS SELECT 1 AS x; SELECT x FROM t WHERE x > 0;;";
        let statements = parse_sql(sql).expect("parses");
        assert_eq!(statements.len(), 2);
        for statement in statements {
            let printed = statement.to_string();
            let reparsed = parse_sql(&printed).expect("printed form parses");
            assert_eq!(reparsed, vec![statement], "round trip of {printed}");
        }
    }

    #[test]
    fn firn_statements_round_trip_through_display() {
        for sql in [
            "SHOW MODELS",
            "show versions in model Churn",
            "SHOW VERSIONS IN MODEL \"Odd Name\"",
            "SHOW EXPERIMENTS",
            "SHOW RUNS",
            "SHOW RUNS IN EXPERIMENT churn_prediction_experiment",
            "ALTER MODEL m SET DEFAULT VERSION V2",
            "ALTER MODEL m SET DEFAULT_VERSION = v2",
            "ALTER MODEL m VERSION v2 SET ALIAS champion",
            "ALTER MODEL m VERSION v2 SET ALIAS = champion",
            "ALTER MODEL m VERSION v2 SET COMMENT 'it''s better'",
            "ALTER MODEL m UNSET ALIAS champion",
            "ALTER MODEL m DROP ALIAS champion",
            "DROP MODEL m",
            "DROP MODEL IF EXISTS m VERSION v1",
            "SHOW ENTITIES",
            "show feature views",
            "CREATE ENTITY customer KEYS (customer_id) COMMENT 'a customer'",
            "CREATE OR REPLACE ENTITY IF NOT EXISTS \"Store Item\" KEYS (store, item)",
            "DROP ENTITY IF EXISTS customer",
            "DROP FEATURE VIEW customer_features",
            "DROP FEATURE VIEW IF EXISTS customer_features VERSION v1",
            "DESCRIBE FEATURE VIEW customer_features VERSION V2",
            "VERIFY MODEL churn VERSION v2",
            "VERIFY MODEL \"Odd Name\"",
            "desc feature view customer_features",
            "CREATE FEATURE VIEW f VERSION v1 ENTITY customer AS SELECT a, b FROM t",
            "CREATE OR REPLACE FEATURE VIEW IF NOT EXISTS f VERSION v1 ENTITY customer TIMESTAMP ts \
             MATERIALIZED COMMENT 'x' FEATURES (b COMMENT 'bee', \"C\" 'sea') AS WITH q AS (SELECT 1) SELECT * FROM q",
            "CREATE TRAINING SET t FROM labels USING f:v1",
            "CREATE OR REPLACE TRAINING SET IF NOT EXISTS \"T\" FROM public.labels USING f:v1, \"G\":\"V2\" \
             OPTIONS (fill '0', spine_timestamp as_of)",
            "CREATE TRAINING SET t FROM (SELECT a FROM b WHERE c > 1) USING f:v1 OPTIONS (lookback '90 days')",
        ] {
            let statements = parse_sql(sql).expect("parses");
            assert!(
                !matches!(statements.as_slice(), [FirnStatement::DataFusion(_)]),
                "{sql} is Firn's"
            );
            let printed = statements[0].to_string();
            let reparsed = parse_sql(&printed).expect("printed form parses");
            assert_eq!(reparsed, statements, "round trip of {printed}");
        }
        match parse_sql("ALTER MODEL M SET DEFAULT VERSION V2")
            .expect("parses")
            .as_slice()
        {
            [FirnStatement::AlterModel(alter)] => {
                assert_eq!(alter.name, "m");
                assert_eq!(
                    alter.action,
                    crate::modeling::ModelChange::SetDefault {
                        version: "v2".into()
                    }
                );
            }
            other => panic!("not ALTER MODEL: {other:?}"),
        }
    }

    #[test]
    fn firn_statement_errors_name_what_was_expected() {
        let error = |sql: &str| parse_sql(sql).expect_err(sql).to_string();
        assert!(error("SHOW VERSIONS m").contains("Expected: in"));
        assert!(error("ALTER MODEL m SET colour red").contains("Expected: default"));
        assert!(error("ALTER MODEL m VERSION v1 SET colour").contains("ALIAS or COMMENT"));
        assert!(
            error("ALTER MODEL m VERSION v1 SET COMMENT 42").contains("a string after SET COMMENT")
        );
        assert!(error("ALTER MODEL m RENAME TO n").contains("SET DEFAULT VERSION"));
        assert!(error("DROP MODEL IF m").contains("Expected: exists"));
    }

    #[test]
    fn other_show_and_drop_statements_stay_datafusion_s() {
        for sql in [
            "SHOW TABLES",
            "SHOW COLUMNS FROM t",
            "DROP TABLE model",
            "DROP VIEW models",
            "DROP VIEW feature",
            "CREATE VIEW feature AS SELECT 1",
            "DESCRIBE feature",
            "SHOW COLUMNS FROM entities",
        ] {
            let statements = parse_sql(sql).expect("parses");
            assert!(
                matches!(statements.as_slice(), [FirnStatement::DataFusion(_)]),
                "{sql}"
            );
        }
    }

    #[test]
    fn reports_garbage_after_a_statement() {
        let err = parse_sql("SELECT 1 SELECT 2").expect_err("two statements without ';'");
        assert!(err.to_string().contains("SELECT"), "{err}");
    }
}
