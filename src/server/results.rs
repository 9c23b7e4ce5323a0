//! Results between `GetFlightInfo` and `DoGet`: a statement is submitted when
//! the client asks for its flight info (a query is planned, anything else runs
//! then, once); the result waits under a random handle, which the ticket
//! carries, until the client fetches it. Fetching takes it: a ticket is good
//! for one `DoGet`. Streams count themselves while they live, so a client that
//! goes away mid-stream is seen to stop its query.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use arrow_flight::error::FlightError;
use arrow_flight::sql::{ProstMessageExt, TicketStatementQuery};
use arrow_flight::{FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::prelude::DataFrame;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::Status;

use crate::error::Error;
use crate::server::encoder;
use crate::server::status::{datafusion_status, status};
use crate::session::statement_timeout;
use crate::session::{QueryOutput, Submitted};

/// Unread results a session keeps; the oldest is dropped beyond this.
const MAX_PENDING: usize = 32;

/// The stream `DoGet` answers with.
pub(crate) type FlightDataStream = Pin<Box<dyn Stream<Item = Result<FlightData, Status>> + Send>>;

/// A result waiting to be fetched.
pub(crate) enum Pending {
    /// A planned query: it runs when fetched.
    Query(DataFrame),
    /// The result of a statement that already ran.
    Done(QueryOutput),
}

impl From<Submitted> for Pending {
    fn from(submitted: Submitted) -> Self {
        match submitted {
            Submitted::Query(frame) => Pending::Query(frame),
            Submitted::Done(output) => Pending::Done(output),
        }
    }
}

impl Pending {
    /// The result's schema.
    pub(crate) fn schema(&self) -> SchemaRef {
        match self {
            Pending::Query(frame) => Arc::clone(frame.schema().inner()),
            Pending::Done(output) => Arc::clone(&output.schema),
        }
    }

    /// The number of rows, when known before running.
    fn num_rows(&self) -> Option<usize> {
        match self {
            Pending::Query(_) => None,
            Pending::Done(output) => Some(output.num_rows()),
        }
    }
}

/// A session's unread results.
#[derive(Default)]
pub(crate) struct PendingResults {
    entries: Mutex<VecDeque<(Vec<u8>, Pending)>>,
}

impl PendingResults {
    /// Keeps `pending` and returns its flight info, whose ticket fetches it.
    pub(crate) fn insert(
        &self,
        pending: Pending,
        descriptor: FlightDescriptor,
    ) -> Result<FlightInfo, Status> {
        let handle = uuid::Uuid::new_v4().as_bytes().to_vec();
        let info = flight_info(&pending, handle.clone(), descriptor)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_PENDING {
            entries.pop_front();
        }
        entries.push_back((handle, pending));
        Ok(info)
    }

    /// Takes the result a ticket names.
    pub(crate) fn take(&self, handle: &[u8]) -> Option<Pending> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let at = entries.iter().position(|(h, _)| h == handle)?;
        entries.remove(at).map(|(_, pending)| pending)
    }
}

fn flight_info(
    pending: &Pending,
    handle: Vec<u8>,
    descriptor: FlightDescriptor,
) -> Result<FlightInfo, Status> {
    let ticket = TicketStatementQuery {
        statement_handle: handle.into(),
    };
    let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec()));
    let total = pending.num_rows().map_or(-1, |n| n as i64);
    Ok(FlightInfo::new()
        .try_with_schema(pending.schema().as_ref())
        .map_err(|e| Status::internal(format!("cannot encode the result schema: {e}")))?
        .with_endpoint(endpoint)
        .with_descriptor(descriptor)
        .with_total_records(total)
        .with_total_bytes(-1))
}

/// Counts the result streams alive now.
#[derive(Debug, Default)]
pub(crate) struct StreamCounter {
    active: AtomicUsize,
}

impl StreamCounter {
    /// Streams being sent now.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// A stream that counts itself in a [`StreamCounter`] until dropped.
struct Counted<S> {
    inner: S,
    counter: Arc<StreamCounter>,
}

impl<S> Counted<S> {
    fn new(inner: S, counter: Arc<StreamCounter>) -> Self {
        counter.active.fetch_add(1, Ordering::SeqCst);
        Self { inner, counter }
    }
}

impl<S> Drop for Counted<S> {
    fn drop(&mut self) {
        self.counter.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S: Stream + Unpin> Stream for Counted<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// Runs (a query) or replays (a finished statement) a result as Flight data.
/// Dropping the stream — the client went away — stops the query.
pub(crate) async fn stream(
    pending: Pending,
    counter: &Arc<StreamCounter>,
) -> Result<FlightDataStream, Status> {
    let (schema, batches) = match pending {
        Pending::Query(frame) => {
            let timeout = statement_timeout(&frame);
            let stream = frame
                .execute_stream()
                .await
                .map_err(|e| datafusion_status(&e))?;
            let schema = stream.schema();
            let batches = stream
                .map_err(|e| FlightError::Tonic(Box::new(datafusion_status(&e))))
                .boxed();
            let batches = match timeout {
                Some(timeout) => Deadline::new(batches, timeout).boxed(),
                None => batches,
            };
            (schema, batches)
        }
        Pending::Done(output) => (
            output.schema,
            futures::stream::iter(output.batches.into_iter().map(Ok)).boxed(),
        ),
    };
    let encoded = encoder::encode_result(schema, batches).map_err(Status::from);
    Ok(Box::pin(Counted::new(
        Prefetched::spawn(encoded.boxed()),
        Arc::clone(counter),
    )))
}

/// The statement timeout of the session that planned `frame`.
fn statement_timeout(frame: &DataFrame) -> Option<Duration> {
    statement_timeout::in_options(frame.task_ctx().session_config().options())
}

/// A query's batches until its statement timeout: then one error, and the end
/// (dropping the inner stream stops the query).
struct Deadline<S> {
    inner: Option<S>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
}

impl<S> Deadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner: Some(inner),
            sleep: Box::pin(tokio::time::sleep(timeout)),
            timeout,
        }
    }
}

impl<S, T> Stream for Deadline<S>
where
    S: Stream<Item = Result<T, FlightError>> + Unpin,
{
    type Item = Result<T, FlightError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        if let Poll::Ready(item) = inner.poll_next_unpin(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.inner = None;
            let error = Error::StatementTimeout {
                seconds: self.timeout.as_secs(),
            };
            return Poll::Ready(Some(Err(FlightError::Tonic(Box::new(status(&error))))));
        }
        Poll::Pending
    }
}

/// Encoded messages a result keeps ready ahead of the network.
const PREFETCH: usize = 4;

/// A stream computed and encoded by its own task, a few messages ahead of the
/// consumer, so running the query and encoding Arrow IPC overlap with sending
/// (which happens on the connection's task). Dropping it aborts the task, which
/// stops the query.
struct Prefetched {
    messages: futures::channel::mpsc::Receiver<Result<FlightData, Status>>,
    task: tokio::task::JoinHandle<()>,
}

impl Prefetched {
    fn spawn(mut source: futures::stream::BoxStream<'static, Result<FlightData, Status>>) -> Self {
        let (mut sender, messages) = futures::channel::mpsc::channel(PREFETCH);
        let task = tokio::spawn(async move {
            while let Some(message) = source.next().await {
                if futures::SinkExt::send(&mut sender, message).await.is_err() {
                    break;
                }
            }
        });
        Self { messages, task }
    }
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream for Prefetched {
    type Item = Result<FlightData, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.messages.poll_next_unpin(cx)
    }
}
