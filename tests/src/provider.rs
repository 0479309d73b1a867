//! Payment provider doubles: small HTTP servers that speak each provider's documented
//! protocol with the tests' own keys (`tests/keys/`), so the gateway is tested against
//! what WeChat Pay, Alipay and UnionPay really send and expect:
//!
//! - **WeChat Pay API v3**: `POST /v3/pay/transactions/native|h5` and `GET
//!   /v3/pay/transactions/out-trade-no/{id}?mchid=…`; our `Authorization:
//!   WECHATPAY2-SHA256-RSA2048 …` is verified with the merchant's public key; answers are
//!   signed with the platform key (`Wechatpay-*` headers); unknown orders are 404
//!   `ORDER_NOT_EXIST`.
//! - **Alipay**: the gateway's form (`alipay.trade.precreate`, `alipay.trade.query`), our
//!   RSA2 `sign` verified with the app's public key; answers `{"…_response": {…}, "sign"}`
//!   signed over the response object's text; unknown orders `40004 ACQ.TRADE_NOT_EXIST`.
//! - **UnionPay 5.1.0**: `frontTransReq.do` (the form the payer's browser posts) and
//!   `queryTrans.do`, our signature verified with the merchant certificate's key; answers
//!   and notifications signed with UnionPay's key, its certificate in `signPubKeyCert`;
//!   unknown orders `respCode 34`.
//!
//! Notifications are built by [`crate::payments::Signer`]; [`notify_until_acknowledged`]
//! delivers them on WeChat Pay's retry schedule. Every request whose signature did not
//! verify is counted ([`Double::unverified_requests`]): the tests expect none.

use crate::Response;
use crate::payments::{Payment, Signer, cst, form, joined, unix_now};
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// WeChat Pay's notification retry schedule: the waits after each failed delivery
/// (15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min ×3, 60 min, 3 h ×3, 6 h ×2).
pub const WECHAT_RETRY_SCHEDULE_SECONDS: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/// The merchant ids the doubles know the gateway by.
pub const WECHAT_MCHID: &str = "1900000109";
/// WeChat Pay `appid`.
pub const WECHAT_APPID: &str = "wxd678efh567hg6787";
/// WeChat Pay platform certificate's serial.
pub const WECHAT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";
/// WeChat Pay APIv3 key.
pub const WECHAT_API_V3_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
/// Alipay `app_id`.
pub const ALIPAY_APP_ID: &str = "2021000122671234";
/// UnionPay `merId`.
pub const UNIONPAY_MER_ID: &str = "777290058110048";

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("keys")
}

fn key_file(name: &str) -> String {
    std::fs::read_to_string(keys().join(name)).expect("test key")
}

/// The provider's signer for `provider` in the doubles (its own keys, the merchant ids
/// above).
pub fn double_signer(provider: &str) -> Signer {
    match provider {
        "wechat_pay" => {
            let mut signer = Signer::new(
                &key_file("wechat-platform-test.pem"),
                WECHAT_SERIAL,
                WECHAT_MCHID,
                WECHAT_APPID,
            );
            signer.api_v3_key = *WECHAT_API_V3_KEY;
            signer
        }
        "alipay" => Signer::new(&key_file("alipay-platform-test.pem"), "", ALIPAY_APP_ID, ""),
        "unionpay" => Signer::new(
            &key_file("unionpay-sign-test.pem"),
            &key_file("unionpay-sign-test.crt"),
            UNIONPAY_MER_ID,
            "",
        ),
        other => panic!("no provider {other}"),
    }
}

/// An order as the provider holds it.
#[derive(Debug, Clone)]
struct Order {
    amount_fen: u64,
    txn_time: String,
    state: Trade,
}

#[derive(Debug, Clone)]
enum Trade {
    NotPaid,
    Paid(Payment),
    Closed,
}

#[derive(Default)]
struct Ledger {
    orders: HashMap<String, Order>,
    forged: HashSet<String>,
    unverified: usize,
    created: usize,
}

/// One provider's double.
pub struct Double {
    /// `wechat_pay`, `alipay` or `unionpay`.
    pub provider: &'static str,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    signer: Signer,
    ledger: Arc<Mutex<Ledger>>,
}

/// A request the double received.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What the double answers.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn public_key(pem: &str) -> PKey<Public> {
    PKey::public_key_from_pem(pem.as_bytes()).expect("public key")
}

fn verifies(key: &PKey<Public>, message: &[u8], signature_base64: &str) -> bool {
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature_base64) else {
        return false;
    };
    openssl::sign::Verifier::new(MessageDigest::sha256(), key)
        .and_then(|mut verifier| verifier.verify_oneshot(&signature, message))
        .unwrap_or(false)
}

/// The public key of the merchant's UnionPay signing certificate (what `certId` names).
fn merchant_certificate_key() -> PKey<Public> {
    let certificate =
        openssl::x509::X509::from_pem(key_file("unionpay-merchant-test.crt").as_bytes())
            .expect("certificate");
    certificate.public_key().expect("its key")
}

impl Double {
    /// Starts `provider`'s double.
    pub fn start(provider: &'static str) -> Double {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let double = Double {
            provider,
            url,
            signer: double_signer(provider),
            ledger: Arc::default(),
        };
        let (signer, ledger) = (double.signer.clone(), Arc::clone(&double.ledger));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Some(request) = read_request(&stream) else {
                    continue;
                };
                let answer = match provider {
                    "wechat_pay" => wechat(&signer, &ledger, &request),
                    "alipay" => alipay(&signer, &ledger, &request),
                    _ => unionpay(&signer, &ledger, &request),
                };
                let mut head = format!("HTTP/1.1 {} X\r\n", answer.status);
                for (name, value) in &answer.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    answer.body.len()
                ));
                let mut stream = &stream;
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&answer.body);
            }
        });
        double
    }

    /// The payer pays the order (its full amount) as transaction `transaction_id`; returns
    /// the payment. The double must have been asked to create the order.
    pub fn pay(&self, order_id: &str, transaction_id: &str) -> Payment {
        let amount = self.order(order_id).amount_fen;
        self.pay_amount(order_id, transaction_id, amount)
    }

    /// The payer pays `amount_fen` for the order (a provider bug or a forgery in the
    /// tests that need one).
    pub fn pay_amount(&self, order_id: &str, transaction_id: &str, amount_fen: u64) -> Payment {
        let payment = Payment::now(order_id, transaction_id, amount_fen);
        let mut ledger = self.ledger.lock().expect("ledger");
        let order = ledger.orders.entry(order_id.to_owned()).or_insert(Order {
            amount_fen,
            txn_time: String::new(),
            state: Trade::NotPaid,
        });
        order.state = Trade::Paid(payment.clone());
        payment
    }

    /// The order is closed without payment.
    pub fn close(&self, order_id: &str) {
        if let Some(order) = self.ledger.lock().expect("ledger").orders.get_mut(order_id) {
            order.state = Trade::Closed;
        }
    }

    /// Answers about `order_id` are signed with the wrong key (a forgery in transit).
    pub fn forge_answers_about(&self, order_id: &str) {
        self.ledger
            .lock()
            .expect("ledger")
            .forged
            .insert(order_id.to_owned());
    }

    /// The notification the provider sends for `payment`: headers and body.
    pub fn notification(&self, payment: &Payment) -> (Vec<(String, String)>, Vec<u8>) {
        self.signer.notification(self.provider, payment)
    }

    /// This provider's signer (to build refused notifications from genuine parts).
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Requests whose signature did not verify.
    pub fn unverified_requests(&self) -> usize {
        self.ledger.lock().expect("ledger").unverified
    }

    /// Payments the gateway created here.
    pub fn created(&self) -> usize {
        self.ledger.lock().expect("ledger").created
    }

    fn order(&self, order_id: &str) -> Order {
        self.ledger
            .lock()
            .expect("ledger")
            .orders
            .get(order_id)
            .cloned()
            .unwrap_or_else(|| panic!("{} never created {order_id}", self.provider))
    }
}

/// The three doubles, and the payments file that points the gateway at them.
pub struct Doubles {
    /// WeChat Pay.
    pub wechat_pay: Double,
    /// Alipay.
    pub alipay: Double,
    /// UnionPay.
    pub unionpay: Double,
    /// `REG_PAYMENTS_FILE` for the gateway.
    pub payments_file: PathBuf,
    _directory: tempfile::TempDir,
}

impl Doubles {
    /// Starts all three and writes the payments file.
    pub fn start() -> Doubles {
        let (wechat_pay, alipay, unionpay) = (
            Double::start("wechat_pay"),
            Double::start("alipay"),
            Double::start("unionpay"),
        );
        let directory = tempfile::tempdir().expect("directory");
        std::fs::write(directory.path().join("apiv3.key"), WECHAT_API_V3_KEY).expect("key");
        let key = |name: &str| keys().join(name).display().to_string();
        let file = json!({
            "wechat_pay": {"mchid": WECHAT_MCHID, "appid": WECHAT_APPID,
                "api_v3_key_file": "apiv3.key", "merchant_serial": "3775B6A45ACD588826D15E583A95F5DD",
                "merchant_private_key_file": key("wechat-merchant-test.pem"),
                "platform_certificate_files": [key("wechat-platform-test.crt")],
                "api_url": wechat_pay.url},
            "alipay": {"app_id": ALIPAY_APP_ID, "app_private_key_file": key("alipay-app-test.pem"),
                "alipay_public_key_file": key("alipay-platform-test.pub.pem"),
                "gateway_url": format!("{}/gateway.do", alipay.url)},
            "unionpay": {"mer_id": UNIONPAY_MER_ID,
                "signing_private_key_file": key("unionpay-merchant-test.pem"),
                "signing_certificate_file": key("unionpay-merchant-test.crt"),
                "verify_certificate_files": [key("unionpay-sign-test.crt")],
                "gateway_url": unionpay.url}
        });
        let payments_file = directory.path().join("payments.json");
        std::fs::write(&payments_file, file.to_string()).expect("payments file");
        Doubles {
            wechat_pay,
            alipay,
            unionpay,
            payments_file,
            _directory: directory,
        }
    }

    /// The double of `provider`.
    pub fn get(&self, provider: &str) -> &Double {
        match provider {
            "wechat_pay" => &self.wechat_pay,
            "alipay" => &self.alipay,
            _ => &self.unionpay,
        }
    }

    /// Posts a UnionPay payment form (a fee order's `pay`) to the double, as the payer's
    /// browser does: that is when UnionPay learns of the order.
    pub fn submit_form(&self, pay: &Value) {
        let action = pay["content"].as_str().expect("action");
        let path = action
            .strip_prefix(&self.unionpay.url)
            .expect("the form goes to UnionPay");
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pay["fields"].as_object().expect("fields") {
            form.append_pair(name, value.as_str().expect("text"));
        }
        let body = form.finish();
        let address = self.unionpay.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connects");
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        assert!(answer.contains("respCode=00"), "{answer}");
    }

    /// The environment a server needs to use them.
    pub fn environment(&self) -> Vec<(String, String)> {
        vec![(
            "REG_PAYMENTS_FILE".to_owned(),
            self.payments_file.display().to_string(),
        )]
    }
}

fn read_request(stream: &std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? <= 2 {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The signer answers are signed with (the wrong key when the order's answers are forged).
fn answer_signer(signer: &Signer, ledger: &Ledger, order_id: &str) -> Signer {
    if ledger.forged.contains(order_id) {
        let mut forger = Signer::new(&key_file("wechat-merchant-test.pem"), "", "", "");
        forger.key_name = signer.key_name.clone();
        forger
    } else {
        signer.clone()
    }
}

fn wechat(signer: &Signer, ledger: &Mutex<Ledger>, request: &Request) -> Answer {
    let mut ledger = ledger.lock().expect("ledger");
    let json = |status: u16, body: Value, signer: &Signer| {
        let body = body.to_string().into_bytes();
        let headers = signer.wechat_headers(&body, unix_now());
        Answer {
            status,
            headers,
            body,
        }
    };
    // "签名生成": our Authorization header, verified with the merchant's key.
    let authorized = request
        .header("Authorization")
        .and_then(|value| value.strip_prefix("WECHATPAY2-SHA256-RSA2048 "))
        .map(|fields| {
            fields
                .split(',')
                .filter_map(|field| field.split_once('='))
                .map(|(name, value)| (name.trim().to_owned(), value.trim_matches('"').to_owned()))
                .collect::<HashMap<_, _>>()
        })
        .is_some_and(|fields| {
            let message = format!(
                "{}\n{}\n{}\n{}\n{}\n",
                request.method,
                request.target,
                fields.get("timestamp").map_or("", String::as_str),
                fields.get("nonce_str").map_or("", String::as_str),
                String::from_utf8_lossy(&request.body)
            );
            fields.get("mchid").map(String::as_str) == Some(WECHAT_MCHID)
                && verifies(
                    &public_key(&key_file("wechat-merchant-test.pub.pem")),
                    message.as_bytes(),
                    fields.get("signature").map_or("", String::as_str),
                )
        });
    if !authorized {
        ledger.unverified += 1;
        return json(
            401,
            json!({"code": "SIGN_ERROR", "message": "签名错误"}),
            signer,
        );
    }
    if request.method == "POST" {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let order_id = body["out_trade_no"].as_str().unwrap_or_default().to_owned();
        let amount = body["amount"]["total"].as_u64().unwrap_or(0);
        let h5 = request.target.ends_with("/h5");
        if body["mchid"] != WECHAT_MCHID
            || body["appid"] != WECHAT_APPID
            || amount == 0
            || (h5 && body["scene_info"]["payer_client_ip"].as_str().is_none())
        {
            return json(
                400,
                json!({"code": "PARAM_ERROR", "message": "参数错误"}),
                signer,
            );
        }
        let known = ledger.orders.get(&order_id).map(|order| order.amount_fen);
        if known.is_some_and(|known| known != amount) {
            return json(
                400,
                json!({"code": "INVALID_REQUEST", "message": "订单号重复"}),
                signer,
            );
        }
        ledger.created += 1;
        ledger.orders.entry(order_id.clone()).or_insert(Order {
            amount_fen: amount,
            txn_time: String::new(),
            state: Trade::NotPaid,
        });
        let digest = hex::encode(&Sha256::digest(order_id.as_bytes())[..8]);
        return if h5 {
            json(
                200,
                json!({"h5_url": format!("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx{digest}")}),
                signer,
            )
        } else {
            json(
                200,
                json!({"code_url": format!("weixin://wxpay/bizpayurl?pr={digest}")}),
                signer,
            )
        };
    }
    let order_id = request
        .target
        .strip_prefix("/v3/pay/transactions/out-trade-no/")
        .and_then(|rest| rest.split_once("?mchid="))
        .map(|(order_id, _)| order_id.to_owned())
        .unwrap_or_default();
    let Some(order) = ledger.orders.get(&order_id).cloned() else {
        return json(
            404,
            json!({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}),
            signer,
        );
    };
    let answering = answer_signer(signer, &ledger, &order_id);
    let unpaid = Payment::now(&order_id, "", order.amount_fen);
    let body = match &order.state {
        Trade::Paid(payment) => signer.wechat_transaction(payment, "SUCCESS"),
        Trade::NotPaid => unpaid_transaction(signer, &unpaid, "NOTPAY"),
        Trade::Closed => unpaid_transaction(signer, &unpaid, "CLOSED"),
    };
    json(
        200,
        serde_json::from_str(&body).unwrap_or(Value::Null),
        &answering,
    )
}

/// A transaction object before payment: no transaction id, time or payer.
fn unpaid_transaction(signer: &Signer, payment: &Payment, trade_state: &str) -> String {
    let mut object: Value =
        serde_json::from_str(&signer.wechat_transaction(payment, trade_state)).unwrap_or_default();
    for field in ["transaction_id", "success_time", "payer"] {
        object.as_object_mut().map(|map| map.remove(field));
    }
    object.to_string()
}

fn alipay(signer: &Signer, ledger: &Mutex<Ledger>, request: &Request) -> Answer {
    let mut ledger = ledger.lock().expect("ledger");
    let mut parameters = parse_form(&request.body);
    let sign = parameters.remove("sign").unwrap_or_default();
    // "自行实现签名": all parameters but `sign`, sorted, empty values left out.
    let content = parameters
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    let method = parameters.get("method").cloned().unwrap_or_default();
    let biz: Value = parameters
        .get("biz_content")
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    let order_id = biz["out_trade_no"].as_str().unwrap_or_default().to_owned();
    let answering = answer_signer(signer, &ledger, &order_id);
    let answer = |object: Value, answering: &Signer| {
        // The sign covers the response object's exact text.
        let text = object.to_string();
        let name = format!("{}_response", method.replace('.', "_"));
        let body = format!(
            "{{\"{name}\":{text},\"sign\":\"{}\"}}",
            answering.sign(text.as_bytes())
        );
        Answer {
            status: 200,
            headers: vec![(
                "content-type".into(),
                "application/json;charset=utf-8".into(),
            )],
            body: body.into_bytes(),
        }
    };
    let verified = parameters.get("app_id").map(String::as_str) == Some(ALIPAY_APP_ID)
        && parameters.get("sign_type").map(String::as_str) == Some("RSA2")
        && verifies(
            &public_key(&key_file("alipay-app-test.pub.pem")),
            content.as_bytes(),
            &sign,
        );
    if !verified {
        ledger.unverified += 1;
        return answer(
            json!({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"}),
            signer,
        );
    }
    match method.as_str() {
        "alipay.trade.precreate" => {
            let amount = yuan_to_fen(biz["total_amount"].as_str().unwrap_or_default());
            let Some(amount) = amount.filter(|&amount| amount > 0) else {
                return answer(
                    json!({"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.INVALID_PARAMETER"}),
                    signer,
                );
            };
            ledger.created += 1;
            ledger.orders.entry(order_id.clone()).or_insert(Order {
                amount_fen: amount,
                txn_time: String::new(),
                state: Trade::NotPaid,
            });
            answer(
                json!({"code": "10000", "msg": "Success", "out_trade_no": order_id,
                       "qr_code": format!("https://qr.alipay.com/bax{}", hex::encode(&Sha256::digest(order_id.as_bytes())[..8]))}),
                signer,
            )
        }
        "alipay.trade.query" => {
            let Some(order) = ledger.orders.get(&order_id).cloned() else {
                return answer(
                    json!({"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}),
                    signer,
                );
            };
            let yuan = |fen: u64| format!("{}.{:02}", fen / 100, fen % 100);
            let object = match &order.state {
                Trade::Paid(payment) => json!({"code": "10000", "msg": "Success",
                    "trade_no": payment.transaction_id, "out_trade_no": order_id,
                    "trade_status": "TRADE_SUCCESS", "total_amount": yuan(payment.amount_fen),
                    "send_pay_date": cst(payment.paid_at)}),
                Trade::NotPaid => {
                    json!({"code": "10000", "msg": "Success", "out_trade_no": order_id,
                    "trade_status": "WAIT_BUYER_PAY", "total_amount": yuan(order.amount_fen)})
                }
                Trade::Closed => {
                    json!({"code": "10000", "msg": "Success", "out_trade_no": order_id,
                    "trade_status": "TRADE_CLOSED", "total_amount": yuan(order.amount_fen)})
                }
            };
            answer(object, &answering)
        }
        _ => answer(
            json!({"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}),
            signer,
        ),
    }
}

fn yuan_to_fen(text: &str) -> Option<u64> {
    let (yuan, fen) = text.split_once('.')?;
    (fen.len() == 2).then_some(())?;
    Some(yuan.parse::<u64>().ok()? * 100 + fen.parse::<u64>().ok()?)
}

fn unionpay(signer: &Signer, ledger: &Mutex<Ledger>, request: &Request) -> Answer {
    let mut ledger = ledger.lock().expect("ledger");
    let mut parameters = parse_form(&request.body);
    let signature = parameters.remove("signature").unwrap_or_default();
    let digest = hex::encode(Sha256::digest(joined(&parameters).as_bytes()));
    let verified = parameters.get("merId").map(String::as_str) == Some(UNIONPAY_MER_ID)
        && parameters.get("signMethod").map(String::as_str) == Some("01")
        && parameters.get("certId").map(String::as_str) == Some("68759585097")
        && verifies(&merchant_certificate_key(), digest.as_bytes(), &signature);
    let order_id = parameters.get("orderId").cloned().unwrap_or_default();
    let answering = answer_signer(signer, &ledger, &order_id);
    let answer = |object: BTreeMap<String, String>, answering: &Signer| Answer {
        status: 200,
        headers: vec![("content-type".into(), "text/plain;charset=UTF-8".into())],
        body: form(&answering.unionpay_signed(object)).into_bytes(),
    };
    let common = |resp_code: &str| -> BTreeMap<String, String> {
        [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("signMethod", "01"),
            ("merId", UNIONPAY_MER_ID),
            ("respCode", resp_code),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .chain([("orderId".to_owned(), order_id.clone())])
        .collect()
    };
    if !verified {
        ledger.unverified += 1;
        return answer(common("11"), signer);
    }
    if request.target.ends_with("/frontTransReq.do") {
        let amount = parameters
            .get("txnAmt")
            .and_then(|amount| amount.parse().ok())
            .unwrap_or(0);
        ledger.created += 1;
        ledger.orders.entry(order_id.clone()).or_insert(Order {
            amount_fen: amount,
            txn_time: parameters.get("txnTime").cloned().unwrap_or_default(),
            state: Trade::NotPaid,
        });
        return answer(common("00"), signer);
    }
    // queryTrans.do: the order is named by orderId and its original txnTime.
    let txn_time = parameters.get("txnTime").cloned().unwrap_or_default();
    let Some(order) = ledger
        .orders
        .get(&order_id)
        .filter(|order| order.txn_time.is_empty() || order.txn_time == txn_time)
        .cloned()
    else {
        return answer(common("34"), signer);
    };
    let mut object = common("00");
    match &order.state {
        Trade::Paid(payment) => {
            object.insert("origRespCode".into(), "00".into());
            object.insert("queryId".into(), payment.transaction_id.clone());
            object.insert("txnAmt".into(), payment.amount_fen.to_string());
        }
        Trade::NotPaid => {
            object.insert("origRespCode".into(), "05".into());
        }
        Trade::Closed => {
            object.insert("origRespCode".into(), "01".into());
        }
    }
    answer(object, &answering)
}

/// Whether `response` is `provider`'s "accepted": WeChat Pay 200/204, Alipay the text
/// `success`, UnionPay 200.
pub fn accepted(provider: &str, response: &Response) -> bool {
    match provider {
        "alipay" => response.status == 200 && response.text == "success",
        _ => matches!(response.status, 200 | 204),
    }
}

/// Delivers a notification the way WeChat Pay does: `send` once, then again after each
/// wait of the schedule (scaled by `scale`, so tests need not wait hours) until the answer
/// is accepted. Returns the attempts made and whether it was acknowledged.
pub fn notify_until_acknowledged(
    provider: &str,
    mut send: impl FnMut() -> Option<Response>,
    scale: f64,
) -> (usize, bool) {
    let acknowledged =
        |answer: &Option<Response>| answer.as_ref().is_some_and(|r| accepted(provider, r));
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
