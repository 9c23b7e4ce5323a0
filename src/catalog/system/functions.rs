//! `firn.functions`: Firn's functions and statements with their syntax, a
//! description and an example — the reference inside the product, read from
//! `sql::reference`. `SHOW FUNCTIONS` and the shell's `\h` query it.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::SystemTable;
use crate::sql::reference::REFERENCE;

/// The `firn.functions` table.
#[derive(Debug, Default)]
pub struct FunctionsTable;

#[async_trait]
impl SystemTable for FunctionsTable {
    fn name(&self) -> &'static str {
        "functions"
    }

    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("function_name", DataType::Utf8, false),
            Field::new("function_type", DataType::Utf8, false),
            Field::new("section", DataType::Utf8, false),
            Field::new("syntax", DataType::Utf8, false),
            Field::new("description", DataType::Utf8, false),
            Field::new("example", DataType::Utf8, false),
        ]))
    }

    async fn batches(&self) -> Result<Vec<RecordBatch>> {
        let column = |f: fn(&crate::sql::reference::Entry) -> &'static str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(REFERENCE.iter().map(f)))
        };
        let columns = vec![
            column(|e| e.name),
            column(|e| e.kind.name()),
            column(|e| e.section),
            column(|e| e.syntax),
            column(|e| e.description),
            column(|e| e.example),
        ];
        Ok(vec![RecordBatch::try_new(self.schema(), columns)?])
    }
}
