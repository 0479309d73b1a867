//! A payment provider double, for the reconciliation tests. It follows what WeChat Pay
//! documents for merchants:
//!
//! - **Query order**: it answers `GET /orders/<order_id>` with the order's trade state
//!   (`SUCCESS` with transaction id, amount and time; `NOTPAY`; `CLOSED`; `ORDER_NOT_EXIST`
//!   for orders it never saw), the body signed under the merchant key (`X-Signature`).
//! - **Notifications**: signed like the answers, retried on the documented schedule until
//!   the merchant answers with the success body (`{"code": "SUCCESS"}`), then never again.

use crate::{Response, sign};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// WeChat Pay's notification retry schedule: the waits after each failed delivery
/// (15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min ×3, 60 min, 3 h ×3, 6 h ×2).
pub const WECHAT_RETRY_SCHEDULE_SECONDS: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/// The provider.
pub struct ProviderDouble {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    orders: Arc<Mutex<HashMap<String, Value>>>,
    forged: Arc<Mutex<HashSet<String>>>,
}

impl ProviderDouble {
    /// Starts answering queries, signing with `merchant_key_hex`.
    pub fn start(merchant_key_hex: &str) -> ProviderDouble {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let key = hex::decode(merchant_key_hex).expect("hex key");
        let orders: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
        let forged: Arc<Mutex<HashSet<String>>> = Arc::default();
        let (served, forgeries) = (Arc::clone(&orders), Arc::clone(&forged));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Headers until the blank line; queries have no body.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let order_id = request_line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|path| path.strip_prefix("/orders/"))
                    .unwrap_or_default()
                    .to_owned();
                let answer = served
                    .lock()
                    .expect("orders")
                    .get(&order_id)
                    .cloned()
                    .unwrap_or_else(
                        || json!({"order_id": order_id, "trade_state": "ORDER_NOT_EXIST"}),
                    )
                    .to_string();
                let signing_key: &[u8] = if forgeries.lock().expect("forged").contains(&order_id) {
                    b"not the merchant key"
                } else {
                    &key
                };
                let signature = sign(signing_key, answer.as_bytes());
                let _ = write!(
                    &stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-signature: {signature}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        ProviderDouble {
            url,
            orders,
            forged,
        }
    }

    /// The order was paid by transaction `transaction_id`.
    pub fn paid(&self, order_id: &str, transaction_id: &str, amount_fen: u64) {
        self.set(
            order_id,
            json!({"order_id": order_id, "trade_state": "SUCCESS", "transaction_id": transaction_id,
                   "amount_fen": amount_fen, "paid_at_ms": 1_700_000_000_000i64}),
        );
    }

    /// The order's state is `trade_state` (`NOTPAY`, `CLOSED`, ...).
    pub fn state(&self, order_id: &str, trade_state: &str) {
        self.set(
            order_id,
            json!({"order_id": order_id, "trade_state": trade_state}),
        );
    }

    fn set(&self, order_id: &str, answer: Value) {
        self.orders
            .lock()
            .expect("orders")
            .insert(order_id.to_owned(), answer);
    }

    /// Answers about `order_id` are signed with the wrong key (a forgery in transit).
    pub fn forge_answers_about(&self, order_id: &str) {
        self.forged
            .lock()
            .expect("forged")
            .insert(order_id.to_owned());
    }
}

/// Delivers a notification the way the provider does: `send` once, then again after each
/// wait of the schedule (scaled by `scale`, so tests need not wait hours) until the answer
/// is the success body. Returns the attempts made and whether it was acknowledged.
pub fn notify_until_acknowledged(
    mut send: impl FnMut() -> Option<Response>,
    scale: f64,
) -> (usize, bool) {
    let acknowledged = |answer: &Option<Response>| {
        answer
            .as_ref()
            .is_some_and(|r| r.status == 200 && r.body["code"].as_str() == Some("SUCCESS"))
    };
    let mut attempts = 1;
    if acknowledged(&send()) {
        return (attempts, true);
    }
    for wait in WECHAT_RETRY_SCHEDULE_SECONDS {
        std::thread::sleep(Duration::from_secs_f64(wait as f64 * scale));
        attempts += 1;
        if acknowledged(&send()) {
            return (attempts, true);
        }
    }
    (attempts, false)
}
