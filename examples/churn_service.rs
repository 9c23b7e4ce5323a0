//! An embedded churn-scoring HTTP service: Firn inside an axum server.
//!
//! `POST /score` with a customer's features as JSON answers with the churn
//! probability and the features that pushed it most (TreeSHAP). The model is
//! whatever version the registry names — the default version of `--model`, or
//! an alias such as `churn@champion` — and is swapped, without a restart, when
//! that changes (`ALTER MODEL … SET DEFAULT`, a new alias target, …).
//!
//! ```sh
//! firn -f sql/pipeline.sql churn.firn      # data and features
//! firn churn.firn -c "CREATE MODEL customer_churn_predictor OPTIONS (type 'gbdt_classifier', \
//!     label 'is_churned', exclude 'customer_id') AS SELECT * FROM training_dataset"
//! cargo run --example churn_service -- churn.firn customer_churn_predictor 8080
//! curl -s localhost:8080/score -H 'content-type: application/json' -d '{"days_since_last_order": 120,
//!   "total_order_count": 2, "order_count_2024": 0, "total_order_amount": 80.5, "avg_order_amount": 40.25,
//!   "total_amount_2024": 0, "return_rate": 0.5, "segment": "Basic"}'
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test or bench may stop at the first failure

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use firnml::Database;
use firnml::scoring::{FeatureValue, Scorer};
use serde_json::{Value, json};

/// How many SHAP reasons a response lists.
const REASONS: usize = 3;

/// The service's state: the scorer, shared by all requests.
#[derive(Clone)]
struct App {
    scorer: Arc<Scorer>,
}

/// The HTTP routes: `POST /score` and `GET /model`.
fn router(scorer: Arc<Scorer>) -> Router {
    Router::new()
        .route("/score", post(score))
        .route("/model", get(model))
        .with_state(App { scorer })
}

async fn score(
    State(app): State<App>,
    Json(features): Json<HashMap<String, FeatureValue>>,
) -> Result<Json<Value>, (StatusCode, Json<Value>)> {
    match app.scorer.explain_named(&features, REASONS) {
        Ok(explained) => Ok(Json(json!({
            "model": explained.prediction.model,
            "version": explained.prediction.version,
            "probability": explained.prediction.value,
            "reasons": explained.contributions,
        }))),
        // A wrong feature (missing, text for a number, …) is the caller's mistake.
        Err(e) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": e.to_string() })),
        )),
    }
}

async fn model(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "reference": app.scorer.reference(),
        "version": app.scorer.version(),
        "features": app.scorer.features(),
    }))
}

/// Follows the registry: checks the scorer's reference every `period` and
/// loads the new version when it changed.
fn follow_registry(scorer: Arc<Scorer>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            match scorer.refresh().await {
                Ok(Some(version)) => eprintln!("now scoring with {} {version}", scorer.reference()),
                Ok(None) => {}
                // Keep serving the loaded version; say why the registry could not be read.
                Err(e) => eprintln!("cannot refresh {}: {e}", scorer.reference()),
            }
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(database), Some(reference)) = (args.next(), args.next()) else {
        eprintln!("usage: churn_service DB MODEL[@VERSION|@ALIAS] [PORT]");
        std::process::exit(2);
    };
    let port: u16 = args.next().map_or(Ok(8080), |p| p.parse())?;
    let db = Database::open(&database).await?;
    let scorer = Arc::new(db.scorer(&reference).await?);
    eprintln!(
        "scoring with {reference} {} on port {port}",
        scorer.version()
    );
    let _follower = follow_registry(Arc::clone(&scorer), Duration::from_secs(2));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router(scorer)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::Instant;

    use super::*;

    /// One HTTP/1.1 request with a JSON body; the status and the JSON answer.
    async fn call(
        addr: std::net::SocketAddr,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, Value) {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let response = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).expect("connect");
            stream.write_all(request.as_bytes()).expect("send");
            let mut response = String::new();
            stream.read_to_string(&mut response).expect("receive");
            response
        })
        .await
        .expect("client thread");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, serde_json::from_str(body).expect("a JSON body"))
    }

    async fn train(db: &Database, version: &str, depth: u32) {
        db.sql(&format!(
            "CREATE MODEL churn VERSION {version} OPTIONS (type 'gbdt_classifier', label 'is_churned', \
             n_estimators 30, max_depth {depth}, seed 1) AS SELECT * FROM customers"
        ))
        .await
        .expect("trained");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scores_explains_and_follows_the_default_version() {
        let db = Database::in_memory().await.expect("db");
        db.sql(
            "CREATE TABLE customers AS SELECT CAST(v % 200 AS DOUBLE) AS days_since_last_order, \
             CAST(v % 13 AS DOUBLE) AS total_order_count, \
             CASE WHEN v % 3 = 0 THEN 'Premium' ELSE 'Basic' END AS segment, \
             CAST(v % 200 > 90 AND v % 13 < 6 AS INT) AS is_churned FROM generate_series(1, 2000) AS s(v)",
        )
        .await
        .expect("data");
        train(&db, "v1", 3).await;
        let scorer = Arc::new(db.scorer("churn").await.expect("scorer"));
        let follower = follow_registry(Arc::clone(&scorer), Duration::from_millis(50));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(scorer)).await });

        let at_risk = r#"{"days_since_last_order": 150, "total_order_count": 2, "segment": "Basic", "customer_id": 7}"#;
        let (status, answer) = call(addr, "POST", "/score", at_risk).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["version"], "v1");
        let p = answer["probability"].as_f64().expect("probability");
        assert!(
            p > 0.5,
            "a silent, infrequent customer is at risk: {answer}"
        );
        let reasons = answer["reasons"].as_array().expect("reasons");
        assert_eq!(reasons.len(), REASONS);
        let shap: Vec<f64> = reasons
            .iter()
            .map(|r| r["shap"].as_f64().expect("shap"))
            .collect();
        assert!(
            shap.windows(2).all(|w| w[0].abs() >= w[1].abs()),
            "strongest first: {answer}"
        );
        // The label depends on recency and frequency, not on the segment.
        assert_eq!(reasons[2]["feature"], "segment", "{answer}");

        let (status, answer) =
            call(addr, "POST", "/score", r#"{"days_since_last_order": 1}"#).await;
        assert_eq!(status, 422);
        assert!(
            answer["error"]
                .as_str()
                .expect("message")
                .contains("missing features"),
            "{answer}"
        );

        // A new version becomes the default: the service picks it up by itself.
        train(&db, "v2", 4).await;
        db.registry()
            .set_default("churn", "v2")
            .await
            .expect("default");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, answer) = call(addr, "GET", "/model", "").await;
            if answer["version"] == "v2" {
                break;
            }
            assert!(Instant::now() < deadline, "still on {answer}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (status, answer) = call(addr, "POST", "/score", at_risk).await;
        assert_eq!(
            (status, answer["version"].as_str()),
            (200, Some("v2")),
            "{answer}"
        );
        follower.abort();
    }
}
