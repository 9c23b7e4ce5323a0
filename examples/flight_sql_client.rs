//! A Flight SQL client in Rust (arrow-flight's `FlightSqlServiceClient`)
//! talking to `firn serve`: a query, a prepared statement with a parameter and
//! an update, printed as tables.
//!
//! ```sh
//! firn serve churn.firn --token s3cret &
//! cargo run --example flight_sql_client -- grpc://127.0.0.1:50051 s3cret
//! cargo run --example flight_sql_client      # starts its own in-process server
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::sync::Arc;

use arrow_flight::FlightInfo;
use arrow_flight::sql::client::FlightSqlServiceClient;
use firnml::arrow::array::{ArrayRef, Int64Array, RecordBatch};
use firnml::arrow::util::pretty::pretty_format_batches;
use firnml::server::{Credentials, ServerConfig};
use futures::TryStreamExt;
use tonic::transport::Channel;

type Error = Box<dyn std::error::Error>;

/// Fetches every endpoint of a result.
async fn fetch(
    client: &mut FlightSqlServiceClient<Channel>,
    info: FlightInfo,
) -> Result<Vec<RecordBatch>, Error> {
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint
            .ticket
            .ok_or("the server sent an endpoint without a ticket")?;
        let stream = client.do_get(ticket).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

async fn demo(url: &str, token: Option<&str>) -> Result<(), Error> {
    let channel = Channel::from_shared(url.to_string())?.connect().await?;
    let mut client = FlightSqlServiceClient::new(channel);
    if let Some(token) = token {
        client.set_token(token.to_string());
    }

    let info = client
        .execute("SELECT 'Firn' AS engine, 40 + 2 AS answer".into(), None)
        .await?;
    println!(
        "{}",
        pretty_format_batches(&fetch(&mut client, info).await?)?
    );

    client
        .execute_update(
            "CREATE OR REPLACE TABLE squares AS SELECT value AS n, value * value AS square \
             FROM generate_series(1, 10)"
                .into(),
            None,
        )
        .await?;

    // `?` and `$1` placeholders both work; the value is bound as Arrow data.
    let mut statement = client
        .prepare(
            "SELECT n, square FROM squares WHERE n > ? ORDER BY n".into(),
            None,
        )
        .await?;
    let above: ArrayRef = Arc::new(Int64Array::from(vec![7]));
    statement.set_parameters(RecordBatch::try_from_iter([("above", above)])?)?;
    let info = statement.execute().await?;
    println!(
        "{}",
        pretty_format_batches(&fetch(&mut client, info).await?)?
    );
    statement.close().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    if let Some(url) = args.next() {
        return demo(&url, args.next().as_deref()).await;
    }
    // No server given: start one in-process on a free port, with a token.
    let db = firnml::Database::in_memory().await?;
    let config = ServerConfig {
        port: 0,
        credentials: Credentials::new().with_token("example-token")?,
        ..ServerConfig::default()
    };
    let server = firnml::server::start(db, config).await?;
    let url = format!("grpc://{}", server.local_addr());
    println!("started {url}");
    demo(&url, Some("example-token")).await?;
    server.shutdown().await?;
    Ok(())
}
