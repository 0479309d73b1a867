//! Calls to the providers' APIs (HTTPS through OpenSSL; plain HTTP for the tests' doubles).

use std::time::Duration;

/// A provider's answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, by lower-case name.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A header by name, case-insensitive.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }
}

/// The client the providers share: only its timeout is kept (awc's client is per thread,
/// so one is made per call; provider calls are one per order or query, not per request).
#[derive(Debug, Clone, Copy)]
pub struct HttpClient {
    timeout: Duration,
}

impl HttpClient {
    /// Calls that give up after `timeout`.
    pub fn new(timeout: Duration) -> HttpClient {
        HttpClient { timeout }
    }

    /// Sends `body` (if any) with `headers` and reads the whole answer (at most 1 MiB).
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Response, String> {
        let method = awc::http::Method::from_bytes(method.as_bytes())
            .map_err(|error| format!("method: {error}"))?;
        let client = awc::Client::builder().timeout(self.timeout).finish();
        let mut request = client.request(method, url);
        for (name, value) in headers {
            request = request.insert_header((*name, value.as_str()));
        }
        let sent = match body {
            Some(body) => request.send_body(body).await,
            None => request.send().await,
        };
        let mut response = sent.map_err(|error| format!("{url}: {error}"))?;
        let body = response
            .body()
            .limit(1 << 20)
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        Ok(Response {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body: body.to_vec(),
        })
    }
}
