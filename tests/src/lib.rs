//! Harness for workspace-level tests: start the real `registration` binary on a free
//! loopback port with its own data directory, talk HTTP/1.1 to it over a plain socket, and
//! kill it (SIGKILL) when asked. The tests themselves are in `tests/tests/`.

pub mod fixtures;
pub mod kafka;
pub mod operators;
pub mod payments;
pub mod pdf;
pub mod provider;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every test candidate's name. 喆 is outside GB2312, as many real names' characters are, so
/// printed documents are checked against the whole of Simplified Chinese.
pub const CANDIDATE_NAME: &str = "李喆";

/// The login password `pay_authenticate_and_set_passwords` sets.
pub const LOGIN_PASSWORD: &str = "Login2024x";

/// The save password `pay_authenticate_and_set_passwords` sets.
pub const SAVE_PASSWORD: &str = "Save2024y";

/// The demo operators' password the harness starts servers with.
pub const DEMO_PASSWORD: &str = "demo-Password-1";

/// A running server.
pub struct Server {
    child: Child,
    /// Its address, `127.0.0.1:PORT`.
    pub address: String,
    /// Its admin listener (`/metrics`), `127.0.0.1:PORT`.
    pub admin_address: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Whether it takes payments through the provider doubles (`REG_PAYMENTS_FILE`) rather
    /// than the demo's sandbox: notifications are signed accordingly.
    doubles: bool,
}

/// A response: status and JSON body (`Value::Null` when not JSON).
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Parsed body.
    pub body: Value,
    /// The body as text (lossy).
    pub text: String,
    /// The body's bytes.
    pub bytes: Vec<u8>,
    /// Status line and headers, lower-cased.
    pub head: String,
}

impl Response {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The `Retry-After` header, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.head
            .lines()
            .find_map(|line| line.strip_prefix("retry-after:"))
            .and_then(|value| value.trim().parse().ok())
    }
}

/// Builds `binary` of `package` (debug, like the tests) and returns its path.
pub fn build(package: &str, binary: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", binary])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {binary} failed");
    // target/debug/deps/<test> → target/debug/<binary>
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join(binary)
}

fn binary() -> PathBuf {
    build("gateway", "registration")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port()
}

impl Server {
    /// Starts a server on a fresh data directory.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    /// Starts a server with extra environment variables.
    pub fn start_with(data_dir: &Path, environment: &[(&str, &str)]) -> Server {
        Server::start_logging(data_dir, environment, Stdio::null(), Stdio::null())
    }

    /// Starts a server whose standard output and error go where the caller says.
    pub fn start_logging(
        data_dir: &Path,
        environment: &[(&str, &str)],
        stdout: impl Into<Stdio>,
        stderr: impl Into<Stdio>,
    ) -> Server {
        let address = format!("127.0.0.1:{}", free_port());
        let admin_address = format!("127.0.0.1:{}", free_port());
        let child = Command::new(binary())
            .env("REG_LISTEN", &address)
            .env("REG_ADMIN_LISTEN", &admin_address)
            .env("REG_DATA_DIR", data_dir)
            .env("REG_DEMO_PASSWORD", DEMO_PASSWORD)
            // The demo's own candidate would change every count; a test asks for it.
            .env("REG_DEMO_CANDIDATE", "false")
            .envs(environment.iter().copied())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("server starts");
        let server = Server {
            child,
            address,
            admin_address,
            data_dir: data_dir.to_owned(),
            doubles: environment
                .iter()
                .any(|(name, _)| *name == "REG_PAYMENTS_FILE"),
        };
        let started = Instant::now();
        while server
            .try_request("GET", "/healthz", None, &[])
            .is_none_or(|r| r.status != 200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "server did not become healthy"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Starts a server with extra environment variables given as owned pairs.
    pub fn start_with_all(data_dir: &Path, environment: &[(String, String)]) -> Server {
        let pairs: Vec<(&str, &str)> = environment
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        Server::start_with(data_dir, &pairs)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends raw bytes to the admin listener; panics if it does not answer.
    pub fn admin_raw(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Response {
        self.try_request_at(&self.admin_address, method, path, Some(body), headers)
            .unwrap_or_else(|| panic!("the admin listener: no answer to {method} {path}"))
    }

    /// The admin listener's `/metrics` (Prometheus text); panics if it does not answer.
    pub fn metrics(&self) -> String {
        self.try_request_at(&self.admin_address, "GET", "/metrics", None, &[])
            .expect("the admin listener answers")
            .text
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Option<Response> {
        self.try_request_at(&self.address, method, path, body, headers)
    }

    fn try_request_at(
        &self,
        address: &str,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Option<Response> {
        let mut stream = TcpStream::connect(address).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let body = body.unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        stream.write_all(body).ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).ok()?;
        let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let rest = &raw[split + 4..];
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let bytes = if head.contains("transfer-encoding: chunked") {
            dechunk(rest)
        } else {
            rest.to_vec()
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Some(Response {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            bytes,
            head,
        })
    }

    /// Sends a request; `None` if the server did not answer (e.g. it was killed).
    pub fn try_json(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        idempotency: Option<&str>,
    ) -> Option<Response> {
        let body = body.map(|b| b.to_string());
        let authorization = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(value) = &authorization {
            headers.push(("Authorization", value));
        }
        if let Some(key) = idempotency {
            headers.push(("Idempotency-Key", key));
        }
        self.try_request(method, path, body.as_deref().map(str::as_bytes), &headers)
    }

    /// Sends a signed callback; `None` if the server did not answer.
    pub fn try_callback(&self, path: &str, body: &Value, key_hex: &str) -> Option<Response> {
        let bytes = body.to_string().into_bytes();
        let signature = sign(&hex::decode(key_hex).expect("hex key"), &bytes);
        self.try_request(
            "POST",
            path,
            Some(&bytes),
            &[
                ("Content-Type", "application/json"),
                ("X-Signature", &signature),
            ],
        )
    }

    /// Sends `provider`'s notification of a payment, signed as the provider the server
    /// trusts signs (the demo's sandbox, or the doubles); `None` if the server did not
    /// answer.
    pub fn try_notify(
        &self,
        provider: &str,
        order_id: &str,
        transaction_id: &str,
        amount_fen: u64,
    ) -> Option<Response> {
        let payment = payments::Payment::now(order_id, transaction_id, amount_fen);
        let signer = if self.doubles {
            provider::double_signer(provider)
        } else {
            payments::Signer::sandbox(provider)
        };
        let (headers, body) = signer.notification(provider, &payment);
        self.try_signed(provider, &headers, &body)
    }

    /// Posts a notification (headers and body as the provider sends them) to `provider`'s
    /// notification route; `None` if the server did not answer.
    pub fn try_signed(
        &self,
        provider: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Option<Response> {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let path = format!("/v1/payments/{provider}/notify");
        self.try_request("POST", &path, Some(body), &headers)
    }

    /// [`Server::try_notify`]; panics if the server does not answer.
    pub fn notify(
        &self,
        provider: &str,
        order_id: &str,
        transaction_id: &str,
        amount_fen: u64,
    ) -> Response {
        self.try_notify(provider, order_id, transaction_id, amount_fen)
            .unwrap_or_else(|| panic!("no answer to {provider}'s notification"))
    }

    /// Sends raw bytes with the given headers; panics if the server does not answer.
    pub fn raw(&self, method: &str, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
        self.try_request(method, path, Some(body), headers)
            .unwrap_or_else(|| panic!("no answer to {method} {path}"))
    }

    /// Sends a JSON request with the given headers; panics if the server does not answer.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let body = body.map(|b| b.to_string());
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.try_request(method, path, body.as_deref().map(str::as_bytes), &all)
            .unwrap_or_else(|| panic!("no answer to {method} {path}"))
    }

    /// The first login of candidate `sequence` (captured already); returns the token.
    pub fn candidate(&self, sequence: u32) -> String {
        let body = serde_json::json!({"id_number": id_number(sequence), "name": CANDIDATE_NAME, "valid_until": "长期"});
        let response = self.request(
            "POST",
            "/v1/sessions/candidate/first-login",
            Some(&body),
            None,
            None,
        );
        assert_eq!(response.status, 200, "{}", response.text);
        response.body["token"].as_str().expect("token").to_owned()
    }

    /// Candidate `sequence` captured by `point` (an operator token of 430102-001), logged in,
    /// paid, authenticated and with passwords set; returns their key and session token.
    pub fn registered(&self, point: &str, sequence: u32) -> (String, String) {
        let captured = self.capture(point, "430102-001", sequence, &format!("cap-{sequence}"));
        assert_eq!(captured.status, 201, "{}", captured.text);
        let key = captured.body["key"].as_str().expect("key").to_owned();
        let token = self.candidate(sequence);
        self.pay_authenticate_and_set_passwords(&token, &key, sequence);
        (key, token)
    }

    /// Takes a logged-in candidate through payment (a signed WeChat Pay notification),
    /// real-person authentication and passwords, so that edits are allowed.
    pub fn pay_authenticate_and_set_passwords(&self, token: &str, key: &str, sequence: u32) {
        let order = self.request(
            "POST",
            "/v1/candidates/me/fee-orders",
            Some(&serde_json::json!({"provider": "wechat_pay"})),
            Some(token),
            Some("order"),
        );
        assert_eq!(order.status, 201, "{}", order.text);
        let paid = self.notify(
            "wechat_pay",
            order.body["order_id"].as_str().expect("order id"),
            &format!("tx-{sequence}"),
            order.body["amount_fen"].as_u64().expect("amount"),
        );
        assert_eq!(paid.status, 200, "{}", paid.text);
        let _ = key;
        let authenticated = self.authenticate(token, sequence, &format!("face-{sequence}"));
        assert_eq!(authenticated.status, 200, "{}", authenticated.text);
        let passwords = self.request(
            "PUT",
            "/v1/candidates/me/passwords",
            Some(
                &serde_json::json!({"login_password": LOGIN_PASSWORD, "save_password": SAVE_PASSWORD}),
            ),
            Some(token),
            Some("passwords"),
        );
        assert_eq!(passwords.status, 200, "{}", passwords.text);
    }

    /// Real-person authentication as it happens: the candidate starts it, the identity
    /// provider calls back (signed) with the ticket and the SHA-256 of the ID number it
    /// verified (candidate `sequence`'s). Returns the callback's answer.
    pub fn authenticate(&self, token: &str, sequence: u32, reference: &str) -> Response {
        let started = self.request(
            "POST",
            "/v1/candidates/me/identity-verification",
            None,
            Some(token),
            None,
        );
        assert_eq!(started.status, 201, "{}", started.text);
        let identity = serde_json::json!({
            "verification": started.body["verification"],
            "passed": true,
            "reference": reference,
            "id_number_sha256": id_number_sha256(&id_number(sequence)),
        });
        self.callback("/v1/identity/callback", &identity, &self.secret("identity"))
    }

    /// Sends a request; panics if the server does not answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        idempotency: Option<&str>,
    ) -> Response {
        self.try_json(method, path, body, token, idempotency)
            .unwrap_or_else(|| panic!("no answer to {method} {path}"))
    }

    /// Sends a raw, signed callback body; panics if the server does not answer.
    pub fn callback(&self, path: &str, body: &Value, key_hex: &str) -> Response {
        self.try_callback(path, body, key_hex)
            .unwrap_or_else(|| panic!("no answer to {path}"))
    }

    /// Captures candidate `sequence` at `point` with the operator `token`.
    pub fn capture(&self, token: &str, point: &str, sequence: u32, idempotency: &str) -> Response {
        let path = format!("/v1/points/{point}/captures");
        self.request(
            "POST",
            &path,
            Some(&capture_body(sequence)),
            Some(token),
            Some(idempotency),
        )
    }

    /// Logs an operator in; returns the token.
    pub fn operator(&self, username: &str) -> String {
        let response = self.request(
            "POST",
            "/v1/sessions/operator",
            Some(&serde_json::json!({"username": username, "password": DEMO_PASSWORD})),
            None,
            None,
        );
        assert_eq!(response.status, 200, "{username}: {}", response.text);
        response.body["token"].as_str().expect("token").to_owned()
    }

    /// A key from the server's generated secrets file.
    pub fn secret(&self, name: &str) -> String {
        let text =
            std::fs::read_to_string(self.data_dir.join("secrets.json")).expect("secrets file");
        let secrets: Value = serde_json::from_str(&text).expect("json");
        secrets[name].as_str().expect("key present").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(line_end) = rest.windows(2).position(|window| window == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.trim(), 16).ok());
        let tail = &rest[line_end + 2..];
        let Some(size) = size.filter(|&size| size > 0 && tail.len() >= size) else {
            break;
        };
        out.extend_from_slice(&tail[..size]);
        rest = tail[size..].strip_prefix(b"\r\n").unwrap_or(&tail[size..]);
    }
    out
}

/// Hex HMAC-SHA256, as the providers sign notifications.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// What an identity provider reports of the ID number it verified: hex SHA-256.
pub fn id_number_sha256(id_number: &str) -> String {
    use sha2::Digest as _;
    hex::encode(Sha256::digest(id_number.as_bytes()))
}

/// A valid ID number for `sequence`, born in 2005 in Changsha's Furong district.
pub fn id_number(sequence: u32) -> String {
    let birth =
        engine::time::Date::new(2005, 1 + sequence % 9, 1 + sequence % 28).expect("valid date");
    let id = engine::id_number::IdNumber::from_parts(430102, birth, (sequence % 1000) as u16)
        .expect("valid");
    id.expose().to_owned()
}

/// A capture request body for `sequence`.
pub fn capture_body(sequence: u32) -> Value {
    let id = id_number(sequence);
    let parsed = engine::id_number::IdNumber::parse(&id).expect("valid");
    let gender = match parsed.gender() {
        engine::id_number::Gender::Male => "male",
        engine::id_number::Gender::Female => "female",
    };
    let photo = engine::photo::synthetic_jpeg(480, 640, 30 * 1024, u64::from(sequence));
    serde_json::json!({
        "id_number": id,
        "name": CANDIDATE_NAME,
        "gender": gender,
        "ethnicity": 1,
        "birth_date": parsed.birth_date().to_string(),
        "address": "湖南省长沙市芙蓉区五一大道1号",
        "valid_until": "长期",
        "category": "physics",
        "mode": "card_read",
        "photo_base64": base64::engine::general_purpose::STANDARD.encode(photo),
    })
}

/// A valid registration form (plus the save password).
pub fn form_body(save_password: Option<&str>) -> Value {
    serde_json::json!({
        "save_password": save_password,
        "exam_type": "general",
        "first_subject": "physics",
        "electives": ["chemistry", "biology"],
        "graduation": "current",
        "school": "长沙市第一中学",
        "urban_rural_code": 111,
        "resume": [{"from": "2020-09", "to": null, "organisation": "长沙市第一中学", "role": "学生", "witness": "王老师"}],
    })
}
