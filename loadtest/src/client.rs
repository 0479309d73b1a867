//! The HTTP side: a pooled HTTP/1.1 keep-alive client (hyper) with a cap on connections, and
//! the one place that sends a request, waits for its scheduled time, and records it.

use crate::stats::{Class, Outcome, Recorder};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Method;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A string field of the JSON body.
    pub fn field(&self, name: &str) -> Option<String> {
        self.json()[name].as_str().map(str::to_owned)
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// Which class it is reported under.
    pub class: Class,
    /// Method.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// JSON body.
    pub body: Option<Bytes>,
    /// Bearer token.
    pub token: Option<&'a str>,
    /// Idempotency-Key.
    pub idempotency: Option<String>,
    /// X-Signature (callbacks).
    pub signature: Option<String>,
    /// X-Queue-Ticket: a waiting-room place being presented.
    pub ticket: Option<String>,
    /// Headers as a payment provider sends them (its signature, its content type).
    pub headers: Arc<[(String, String)]>,
}

impl<'a> Call<'a> {
    /// A bodiless call.
    pub fn new(class: Class, method: Method, path: impl Into<String>) -> Call<'a> {
        Call {
            class,
            method,
            path: path.into(),
            body: None,
            token: None,
            idempotency: None,
            signature: None,
            ticket: None,
            headers: Arc::new([]),
        }
    }

    /// With a body and headers exactly as a payment provider sends them.
    pub fn provider(mut self, headers: Arc<[(String, String)]>, body: Bytes) -> Call<'a> {
        self.headers = headers;
        self.body = Some(body);
        self
    }

    /// With a JSON body.
    pub fn json(mut self, body: &serde_json::Value) -> Call<'a> {
        self.body = Some(Bytes::from(body.to_string()));
        self
    }

    /// With a bearer token.
    pub fn token(mut self, token: &'a str) -> Call<'a> {
        self.token = Some(token);
        self
    }

    /// With an idempotency key.
    pub fn idempotency(mut self, key: impl Into<String>) -> Call<'a> {
        self.idempotency = Some(key.into());
        self
    }

    /// With a signature over the body.
    pub fn signature(mut self, signature: String) -> Call<'a> {
        self.signature = Some(signature);
        self
    }
}

/// The client every journey shares.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
    connections: Arc<Semaphore>,
    timeout: Duration,
    recorder: Arc<Recorder>,
}

impl Http {
    /// A client for `base` (`http://host:port`) holding at most `connections` connections
    /// (requests beyond that wait for one; their wait counts in their latency).
    pub fn new(base: &str, connections: usize, timeout: Duration, recorder: Arc<Recorder>) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Http {
            client,
            base: base.trim_end_matches('/').into(),
            connections: Arc::new(Semaphore::new(connections.max(1))),
            timeout,
            recorder,
        }
    }

    /// The same client (pool, connection cap, recorder) for another server.
    pub fn with_base(&self, base: &str) -> Http {
        Http {
            base: base.trim_end_matches('/').into(),
            ..self.clone()
        }
    }

    /// The recorder.
    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }

    /// Sends `call` once (no recording, no schedule): for setup and verification.
    pub async fn send(&self, call: &Call<'_>) -> Result<Reply, String> {
        let _permit = self
            .connections
            .acquire()
            .await
            .map_err(|_| "client closed".to_owned())?;
        let mut request = hyper::Request::builder()
            .method(call.method.clone())
            .uri(format!("{}{}", self.base, call.path));
        if call.headers.is_empty() {
            request = request.header("Content-Type", "application/json");
        }
        for (name, value) in call.headers.iter() {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(token) = call.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(key) = &call.idempotency {
            request = request.header("Idempotency-Key", key.as_str());
        }
        if let Some(signature) = &call.signature {
            request = request.header("X-Signature", signature.as_str());
        }
        if let Some(ticket) = &call.ticket {
            request = request.header("X-Queue-Ticket", ticket.as_str());
        }
        let request = request
            .body(Full::new(call.body.clone().unwrap_or_default()))
            .map_err(|error| format!("request: {error}"))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| format!("transport: {error}"))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| format!("transport: {error}"))?
                .to_bytes();
            Ok(Reply { status, body })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| "transport: timed out".to_owned())?
    }

    /// Waits until `scheduled`, sends `call`, records it against `scheduled`, and returns
    /// how it went. A waiting-room ticket (503 `queued`) is honoured as a candidate's browser
    /// would: wait the estimated time, present the ticket, for up to `QUEUE_PATIENCE`; the
    /// time in the queue counts in the latency.
    pub async fn at(&self, scheduled: Instant, mut call: Call<'_>) -> Attempt {
        tokio::time::sleep_until(scheduled.into()).await;
        self.recorder.offered(call.class, scheduled);
        let result = loop {
            let result = self.send(&call).await;
            let ticket = match &result {
                Ok(reply) if reply.status == 503 => queue_place(reply),
                _ => None,
            };
            match ticket {
                Some((ticket, wait)) if scheduled.elapsed() + wait < QUEUE_PATIENCE => {
                    self.recorder.queued();
                    tokio::time::sleep(wait).await;
                    call.ticket = Some(ticket);
                }
                _ => break result,
            }
        };
        let finished = Instant::now();
        let (outcome, attempt) = match result {
            Ok(reply) if (200..300).contains(&reply.status) => (Outcome::Ok, Attempt::Ok(reply)),
            Ok(reply) => {
                let kind = format!(
                    "{} {} {}",
                    call.path_class(),
                    reply.status,
                    reply.field("code").unwrap_or_default()
                );
                let outcome = if reply.status == 429 || reply.status == 503 {
                    Outcome::Shed(kind)
                } else {
                    Outcome::Failed(kind)
                };
                (outcome, Attempt::Refused(reply))
            }
            Err(error) => (
                Outcome::Failed(format!("{} {error}", call.path_class())),
                Attempt::Unknown,
            ),
        };
        self.recorder
            .completed(call.class, scheduled, finished, outcome);
        attempt
    }
}

/// How long a simulated candidate stays in the waiting room before giving up.
const QUEUE_PATIENCE: Duration = Duration::from_secs(120);

/// The ticket and estimated wait of a 503 `queued` answer.
fn queue_place(reply: &Reply) -> Option<(String, Duration)> {
    let body = reply.json();
    let ticket = body["queue"]["ticket"].as_str()?.to_owned();
    let wait = body["queue"]["estimated_wait_seconds"]
        .as_f64()
        .unwrap_or(1.0)
        .clamp(0.1, 5.0);
    Some((ticket, Duration::from_secs_f64(wait)))
}

impl Call<'_> {
    /// The path with identifiers replaced, for failure kinds (bounded cardinality).
    fn path_class(&self) -> String {
        let shape: Vec<&str> = self
            .path
            .split('/')
            .map(|part| {
                if part.chars().any(|c| c.is_ascii_digit()) && part.len() > 6 {
                    "{id}"
                } else {
                    part
                }
            })
            .collect();
        format!("{} {}", self.method, shape.join("/"))
    }
}

/// How a scheduled request went.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// 2xx.
    Ok(Reply),
    /// Answered with a refusal.
    Refused(Reply),
    /// No answer (timeout, connection error): the write may or may not have happened.
    Unknown,
}

impl Attempt {
    /// The reply of a 2xx.
    pub fn ok(self) -> Option<Reply> {
        match self {
            Attempt::Ok(reply) => Some(reply),
            _ => None,
        }
    }
}
