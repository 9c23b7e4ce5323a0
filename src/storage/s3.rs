//! Databases in S3-compatible object storage (`s3://bucket/prefix`): the store
//! is configured from the usual `AWS_*` environment variables (endpoint,
//! region, credentials, `AWS_ALLOW_HTTP`), like every AWS tool, so a location
//! never carries a secret and can be shown as it is.
//!
//! Two settings are Firn's, not the environment's:
//! - conditional puts are always on (`If-None-Match: *` for `PutMode::Create`):
//!   the commit protocol of tables, the registry and the feature store rests on
//!   put-if-absent, so `AWS_CONDITIONAL_PUT=disabled` may not turn it off;
//! - retries are bounded (a few, within [`RETRY_TIMEOUT`]), and opening gives
//!   up after [`OPEN_DEADLINE`], so a wrong endpoint fails in seconds rather
//!   than after object_store's default three minutes of retrying.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path;
use object_store::{BackoffConfig, ClientConfigKey, ListResult, ObjectStore, RetryConfig};
use url::Url;

use crate::error::{Error, Result};

/// Retries of one request (transient errors, throttling) before it fails.
const MAX_RETRIES: usize = 5;
/// No retry starts this long after a request's first attempt.
const RETRY_TIMEOUT: Duration = Duration::from_secs(15);
/// Opening a database gives up when the store has not answered by then.
const OPEN_DEADLINE: Duration = Duration::from_secs(20);

/// Where an `s3://` database is: its bucket, its prefix in the bucket and the
/// endpoint that serves the bucket (for messages).
#[derive(Debug, Clone)]
pub struct S3Location {
    bucket: String,
    prefix: Path,
    endpoint: String,
    /// Whether `AWS_ACCESS_KEY_ID` gave keys (otherwise the client asks the
    /// instance metadata service, and its failure needs explaining).
    has_keys: bool,
}

impl S3Location {
    /// Parses `s3://bucket[/prefix]`, refusing what Firn would have to ignore
    /// or could leak: credentials, a query, a fragment, an unusable prefix.
    pub fn parse(url: &Url) -> Result<Self> {
        let bad = |why: &str| {
            Error::Unsupported(format!(
                "'{}' is not a usable S3 location: {why}; expected s3://bucket/prefix \
                 (endpoint, region and credentials come from the AWS_* environment variables)",
                redacted(url)
            ))
        };
        if url.scheme() != "s3" {
            return Err(bad("the scheme is not s3://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "it carries credentials, which belong in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment"));
        }
        if url.port().is_some() {
            return Err(bad(
                "a bucket has no port (the endpoint goes in AWS_ENDPOINT_URL)",
            ));
        }
        let bucket = match url.host_str() {
            Some(bucket) if !bucket.is_empty() => bucket.to_string(),
            _ => return Err(bad("it names no bucket")),
        };
        let prefix = Path::from_url_path(url.path())
            .map_err(|e| bad(&format!("the prefix is not a valid object path ({e})")))?;
        let builder = builder(url);
        Ok(Self {
            bucket,
            prefix,
            endpoint: endpoint_from(&builder),
            has_keys: builder
                .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
                .is_some(),
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The database's prefix inside the bucket (empty: the bucket's root).
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The endpoint serving the bucket, as messages name it (never with credentials).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `s3://bucket/prefix`, for display (no trailing `/`).
    pub fn display(&self) -> String {
        if self.prefix.as_ref().is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// `s3://bucket/prefix/`: the URL DataFusion reads the database's files under.
    pub fn base_url(&self) -> Result<Url> {
        let mut url = Url::parse(&format!("s3://{}/", self.bucket)).map_err(|e| {
            Error::Unsupported(format!("bucket '{}' makes no URL: {e}", self.bucket))
        })?;
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
            segments.extend(self.prefix.parts().map(|p| p.as_ref().to_string()));
            segments.push("");
        }
        Ok(url)
    }
}

/// The object store for an `s3://` URL, configured from the environment with
/// Firn's settings (conditional puts, bounded retries). Executors of a cluster
/// register the same store in their runtimes.
pub(crate) fn object_store_for(url: &Url) -> Result<Arc<dyn ObjectStore>> {
    let location = S3Location::parse(url)?;
    let builder = builder(url);
    let allow_http = builder
        .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if location.endpoint.starts_with("http://") && !allow_http {
        // object_store would retry a request it may not send; say why at once.
        return Err(Error::Unavailable {
            location: location.display(),
            reason: format!(
                "{} is a plain http:// endpoint; set AWS_ALLOW_HTTP=true to use it",
                location.endpoint
            ),
            source: None,
        });
    }
    let store = builder.build().map_err(|e| Error::Unavailable {
        location: location.display(),
        reason: format!(
            "the S3 client cannot be configured from the AWS_* environment variables: {e}"
        ),
        source: Some(Box::new(e)),
    })?;
    Ok(Arc::new(store))
}

/// The builder for `url`: the environment first, then the URL's bucket and Firn's settings.
fn builder(url: &Url) -> AmazonS3Builder {
    AmazonS3Builder::from_env()
        .with_url(url.as_str())
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: MAX_RETRIES,
            retry_timeout: RETRY_TIMEOUT,
        })
}

/// The endpoint the builder will talk to, as a user would write it.
fn endpoint_from(builder: &AmazonS3Builder) -> String {
    let configured = builder
        .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
    match configured {
        Some(endpoint) => match Url::parse(&endpoint) {
            Ok(url) => redacted(&url).trim_end_matches('/').to_string(),
            Err(_) => endpoint,
        },
        None => {
            let region = builder
                .get_config_value(&AmazonS3ConfigKey::Region)
                .unwrap_or_else(|| "us-east-1".to_string());
            format!("AWS S3 ({region})")
        }
    }
}

/// `url` without user name and password.
fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// Lists the top of the database's prefix: the first request of an open, so
/// a missing bucket, refused credentials or an unreachable endpoint fail here,
/// within [`OPEN_DEADLINE`], with an error that names the bucket and endpoint.
pub(crate) async fn list_top(store: &dyn ObjectStore, location: &S3Location) -> Result<ListResult> {
    let listing = store.list_with_delimiter(Some(location.prefix()));
    match tokio::time::timeout(OPEN_DEADLINE, listing).await {
        Ok(Ok(listing)) => Ok(listing),
        Ok(Err(e)) => Err(Error::Unavailable {
            location: location.display(),
            reason: explain(&e, location),
            source: Some(Box::new(e)),
        }),
        Err(_) => Err(Error::Unavailable {
            location: location.display(),
            reason: format!(
                "{} did not answer within {} s; check AWS_ENDPOINT_URL and the network",
                location.endpoint(),
                OPEN_DEADLINE.as_secs()
            ),
            source: None,
        }),
    }
}

/// What went wrong with the first request, in terms of what to check.
fn explain(error: &object_store::Error, location: &S3Location) -> String {
    let (bucket, endpoint) = (location.bucket(), location.endpoint());
    match s3_error_code(error).as_deref() {
        Some("NoSuchBucket") => {
            return format!("bucket '{bucket}' does not exist at {endpoint}; create it first");
        }
        Some(
            code @ ("InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AccessDenied"
            | "InvalidToken"
            | "ExpiredToken"),
        ) => {
            return format!(
                "{endpoint} refused the credentials for bucket '{bucket}' ({code}); check \
                 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)"
            );
        }
        _ => {}
    }
    if !location.has_keys && error_chain(error).contains("169.254.") {
        return format!(
            "no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and the \
             instance metadata service the client asked instead gave none ({error})"
        );
    }
    if let Some(http) = http_error(error) {
        match http.kind() {
            HttpErrorKind::Connect | HttpErrorKind::Timeout => {
                return format!(
                    "cannot connect to {endpoint} for bucket '{bucket}': {}; check \
                     AWS_ENDPOINT_URL (and AWS_ALLOW_HTTP=true for an http:// endpoint)",
                    root_cause(http)
                );
            }
            _ => {}
        }
    }
    format!("{endpoint} answered for bucket '{bucket}': {error}")
}

/// The S3 error code (`<Code>NoSuchBucket</Code>`) in an error's chain, if any.
fn s3_error_code(error: &object_store::Error) -> Option<String> {
    let text = error_chain(error);
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].to_string())
}

/// The transport error inside `error`, if any.
fn http_error(error: &object_store::Error) -> Option<&HttpError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(http) = current.downcast_ref::<HttpError>() {
            return Some(http);
        }
        source = current.source();
    }
    None
}

/// The innermost error under `error` ("Connection refused", …).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Every message in `error`'s chain, joined.
fn error_chain(error: &object_store::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        text.push_str(&current.to_string());
        text.push('\n');
        source = current.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(url: &str) -> Result<S3Location> {
        S3Location::parse(&Url::parse(url).expect("url"))
    }

    #[test]
    fn locations_parse_into_bucket_and_prefix() {
        let db = location("s3://lake/teams/firn/db1/").expect("valid");
        assert_eq!(db.bucket(), "lake");
        assert_eq!(db.prefix().as_ref(), "teams/firn/db1");
        assert_eq!(db.display(), "s3://lake/teams/firn/db1");
        assert_eq!(
            db.base_url().expect("url").as_str(),
            "s3://lake/teams/firn/db1/"
        );
        let root = location("s3://lake").expect("bucket root");
        assert_eq!(root.prefix().as_ref(), "");
        assert_eq!(root.display(), "s3://lake");
        assert_eq!(root.base_url().expect("url").as_str(), "s3://lake/");
    }

    #[test]
    fn locations_with_secrets_or_extras_are_refused_without_echoing_secrets() {
        let err = location("s3://AKIA:hunter2@lake/db").expect_err("credentials");
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        for url in [
            "s3://lake/db?region=x",
            "s3://lake/db#x",
            "s3://lake:9000/db",
            "s3://lake/a//b",
        ] {
            let err = location(url).expect_err(url);
            assert!(
                err.to_string().contains("expected s3://bucket/prefix"),
                "{err}"
            );
        }
    }

    #[test]
    fn s3_error_codes_are_read_from_the_response() {
        let error = object_store::Error::Generic {
            store: "S3",
            source: "Server returned non-2xx status code: 404 Not Found: <Error><Code>NoSuchBucket</Code></Error>".into(),
        };
        assert_eq!(s3_error_code(&error).as_deref(), Some("NoSuchBucket"));
        let db = location("s3://lake/db").expect("valid");
        assert!(explain(&error, &db).contains("bucket 'lake' does not exist"));
    }
}
