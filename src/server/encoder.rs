//! A query's result as Flight messages (Arrow IPC), each message body
//! allocated at the size of the one before.
//!
//! arrow-flight 59's `FlightDataEncoder` starts every message body as an empty
//! `Vec` (its `IpcWriteContext` is never asked to keep the last capacity), so
//! each batch's body grows by doubling: a chain of reallocations, copies and
//! fresh page faults, 2.5 % of the server's CPU when streaming 10M rows
//! (benches/RESULTS.md, "Flight SQL streaming"). Results with dictionary-encoded
//! columns go through arrow-flight's encoder, which turns them into plain
//! columns (what clients expect); everything else is encoded here, message for
//! message as arrow-flight would.

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::{FlightData, SchemaAsIpc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::ipc::writer::{
    DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions,
};
use futures::stream::{self, BoxStream};
use futures::{StreamExt, future};

/// Largest message body aimed at, as arrow-flight's encoder does: larger
/// batches are sent as several zero-copy slices (gRPC clients refuse messages
/// past 4 MiB by default).
const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// The messages of a result: its schema, then its batches.
pub(crate) fn encode_result(
    schema: SchemaRef,
    batches: BoxStream<'static, Result<RecordBatch, FlightError>>,
) -> BoxStream<'static, Result<FlightData, FlightError>> {
    let has_dictionaries = schema
        .flattened_fields()
        .iter()
        .any(|field| matches!(field.data_type(), DataType::Dictionary(..)));
    if has_dictionaries {
        return FlightDataEncoderBuilder::new()
            .with_schema(schema)
            .build(batches)
            .boxed();
    }
    let mut encoder = Encoder::new();
    let head = encoder.schema_message(&schema);
    let body = batches.flat_map(move |batch| {
        let messages = batch.and_then(|batch| encoder.batch_messages(&batch));
        match messages {
            Ok(messages) => stream::iter(messages.into_iter().map(Ok)).left_stream(),
            Err(e) => stream::once(future::ready(Err(e))).right_stream(),
        }
    });
    stream::once(future::ready(Ok(head))).chain(body).boxed()
}

/// Encodes batches of a schema without dictionaries, keeping each message
/// body's capacity for the next.
struct Encoder {
    options: IpcWriteOptions,
    generator: IpcDataGenerator,
    dictionaries: DictionaryTracker,
    context: IpcWriteContext,
}

impl Encoder {
    fn new() -> Self {
        let mut context = IpcWriteContext::default();
        context.set_reserve_scratch(true);
        Self {
            options: IpcWriteOptions::default(),
            generator: IpcDataGenerator::default(),
            dictionaries: DictionaryTracker::new(false),
            context,
        }
    }

    fn schema_message(&self, schema: &SchemaRef) -> FlightData {
        SchemaAsIpc::new(schema, &self.options).into()
    }

    /// One message per slice of `batch` (none for an empty batch).
    fn batch_messages(&mut self, batch: &RecordBatch) -> Result<Vec<FlightData>, FlightError> {
        let mut messages = Vec::new();
        for slice in slices(batch) {
            let (_dictionaries, encoded) = self.generator.encode(
                &slice,
                &mut self.dictionaries,
                &self.options,
                &mut self.context,
            )?;
            messages.push(encoded.into());
        }
        Ok(messages)
    }
}

/// `batch` cut into zero-copy slices of about [`MAX_MESSAGE_BYTES`] each.
fn slices(batch: &RecordBatch) -> Vec<RecordBatch> {
    let bytes: usize = batch
        .columns()
        .iter()
        .map(|column| column.get_buffer_memory_size())
        .sum();
    let rows = batch.num_rows();
    let parts = bytes.div_ceil(MAX_MESSAGE_BYTES).max(1);
    let rows_per_part = (rows / parts).max(1);
    (0..rows)
        .step_by(rows_per_part)
        .map(|offset| batch.slice(offset, rows_per_part.min(rows - offset)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_flight::decode::FlightRecordBatchStream;
    use datafusion::arrow::array::{Array, ArrayRef, DictionaryArray, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Int32Type, Schema};
    use futures::TryStreamExt;

    use super::*;

    async fn round_trip(
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> (usize, Vec<RecordBatch>, SchemaRef) {
        let messages: Vec<FlightData> =
            encode_result(schema, stream::iter(batches.into_iter().map(Ok)).boxed())
                .try_collect()
                .await
                .expect("encodes");
        let count = messages.len();
        let mut decoded =
            FlightRecordBatchStream::new_from_flight_data(stream::iter(messages).map(Ok));
        let mut out = Vec::new();
        while let Some(batch) = decoded.try_next().await.expect("decodes") {
            out.push(batch);
        }
        let schema = decoded.schema().cloned().expect("a schema message");
        (count, out, schema)
    }

    fn numbers(from: i64, rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let ids: Vec<i64> = (from..from + rows as i64).collect();
        let strings: Vec<Option<String>> = ids
            .iter()
            .map(|i| (i % 7 != 0).then(|| format!("segment_{}", i % 5)))
            .collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ids)) as ArrayRef,
                Arc::new(StringArray::from(strings)),
            ],
        )
        .expect("batch")
    }

    #[tokio::test]
    async fn batches_of_any_size_arrive_whole_and_in_order() {
        // 1, 8192 and 300,000 rows (about 6 MiB: sent as several messages), an
        // empty batch, and batches of different sizes one after another, so
        // the kept capacity is sometimes too small and sometimes too large.
        let batches = vec![
            numbers(0, 1),
            numbers(1, 8192),
            numbers(8193, 0),
            numbers(8193, 300_000),
            numbers(308_193, 17),
        ];
        let schema = batches[0].schema();
        let (messages, decoded, decoded_schema) =
            round_trip(Arc::clone(&schema), batches.clone()).await;
        assert_eq!(decoded_schema, schema);
        assert!(
            messages > 6,
            "the large batch is split: {messages} messages"
        );
        let concat = |b: &[RecordBatch]| {
            datafusion::arrow::compute::concat_batches(&schema, b).expect("concat")
        };
        assert_eq!(concat(&decoded), concat(&batches));
    }

    #[tokio::test]
    async fn an_empty_result_is_its_schema() {
        let schema = numbers(0, 0).schema();
        let (messages, decoded, decoded_schema) = round_trip(Arc::clone(&schema), vec![]).await;
        assert_eq!((messages, decoded.len()), (1, 0));
        assert_eq!(decoded_schema, schema);
    }

    #[tokio::test]
    async fn dictionary_columns_arrive_as_plain_columns() {
        let keys: DictionaryArray<Int32Type> = vec!["a", "b", "a"].into_iter().collect();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "d",
            keys.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(keys) as ArrayRef])
            .expect("batch");
        let (_, decoded, decoded_schema) = round_trip(schema, vec![batch]).await;
        assert_eq!(decoded_schema.field(0).data_type(), &DataType::Utf8);
        let values = decoded[0].column(0).as_any().downcast_ref::<StringArray>();
        let values: Vec<Option<&str>> = values.expect("strings").iter().collect();
        assert_eq!(values, vec![Some("a"), Some("b"), Some("a")]);
    }

    #[tokio::test]
    async fn an_error_in_the_query_reaches_the_client() {
        let schema = numbers(0, 0).schema();
        let batches = vec![
            Ok(numbers(0, 3)),
            Err(FlightError::ProtocolError("the query failed".into())),
        ];
        let results: Vec<Result<FlightData, FlightError>> =
            encode_result(schema, stream::iter(batches).boxed())
                .collect()
                .await;
        assert_eq!(results.len(), 3, "schema, batch, error");
        let last = results.last().expect("three");
        assert!(matches!(last, Err(FlightError::ProtocolError(m)) if m == "the query failed"));
    }
}
