//! The demo's sandbox: a stand-in for the three providers' servers, so that a newcomer can
//! pay a fee on a laptop with no merchant account — through the very code a real payment
//! takes.
//!
//! In the demo every provider module runs in sandbox mode: creating an order returns a pay
//! link to `POST /v1/sandbox/orders/{order_id}/pay` instead of calling the provider; paying
//! there records the payment in the sandbox's own ledger (which answers order queries, as
//! the provider's would) and builds the provider's notification — WeChat Pay's encrypted
//! JSON, Alipay's or UnionPay's signed form — signed with the sandbox's key, which the
//! provider module verifies and reads like any other before the payment is applied.
//!
//! The sandbox's key pair and certificate are published in the repository
//! (`gateway/sandbox/`) — like the demo's operator passwords they protect nothing: the
//! sandbox is refused outside the demo (`REG_DEMO=false`), and every answer involving it
//! says 沙箱/sandbox.

use super::keys::{Certificate, PrivateKey};
use super::{Paid, Provider};
use engine::time::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The sandbox's private key (PKCS#8 PEM), as the providers' servers hold theirs.
pub const PRIVATE_KEY_PEM: &str = include_str!("../../sandbox/sandbox-provider.pem");
/// Its certificate (WeChat Pay's platform certificate and UnionPay's signing certificate
/// in the sandbox).
pub const CERTIFICATE_PEM: &str = include_str!("../../sandbox/sandbox-provider.crt");
/// WeChat Pay's APIv3 key in the sandbox.
pub const WECHAT_API_V3_KEY: &[u8; 32] = b"sandbox-apiv3-key-not-a-secret!!";
/// The merchant ids the sandbox's orders are made for.
pub const MERCHANT_ID: &str = "SANDBOX";

/// The sandbox ledger's size: the oldest payments are forgotten beyond it (the demo's
/// record keeps them; only sandbox queries would miss them).
const LEDGER_CAPACITY: usize = 100_000;

/// The demo's stand-in for the providers.
pub struct Sandbox {
    public_url: String,
    key: PrivateKey,
    certificate: Certificate,
    ledger: Mutex<HashMap<String, Paid>>,
    sequence: AtomicU64,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Sandbox")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox whose pay links start with `public_url`.
    pub fn new(public_url: &str) -> Sandbox {
        Sandbox {
            public_url: public_url.trim_end_matches('/').to_owned(),
            key: PrivateKey::from_pem(PRIVATE_KEY_PEM).unwrap_or_else(|| {
                unreachable!("the sandbox key compiled into the binary is a PKCS#8 RSA key")
            }),
            certificate: certificate(),
            ledger: Mutex::default(),
            sequence: AtomicU64::new(0),
        }
    }

    /// The key the sandbox signs notifications with.
    pub(crate) fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The sandbox's certificate.
    pub(crate) fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// How the candidate "pays" an order: a link to the sandbox, shown as a QR code.
    pub fn instructions(&self, order_id: &str) -> super::PayInstructions {
        let link = format!("{}/v1/sandbox/orders/{order_id}/pay", self.public_url);
        super::PayInstructions::new(super::PayMethod::Qr, link, true)
    }

    /// Records a payment of `amount_fen` for `order_id` by `provider` at `now`: a new
    /// transaction each time (paying twice is paying twice, as at a real provider).
    pub fn pay(&self, provider: Provider, order_id: &str, amount_fen: u32, now: Timestamp) -> Paid {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let paid = Paid {
            order_id: order_id.to_owned(),
            transaction_id: format!(
                "{MARK}{}-{}-{sequence}",
                provider.name().replace('_', ""),
                now.0
            ),
            amount_fen,
            paid_at: now,
        };
        let mut ledger = self
            .ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ledger.len() >= LEDGER_CAPACITY && !ledger.contains_key(order_id) {
            ledger.clear();
        }
        ledger.insert(order_id.to_owned(), paid.clone());
        paid
    }

    /// What the sandbox's ledger says about an order (its newest payment).
    pub fn paid(&self, order_id: &str) -> Option<Paid> {
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(order_id)
            .cloned()
    }
}

/// What every sandbox transaction id starts with (the providers' own are digits).
const MARK: &str = "SANDBOX-";

/// Whether a payment was made in the sandbox, so that what shows it says 沙箱.
pub fn is_sandbox_transaction(transaction_id: &str) -> bool {
    transaction_id.starts_with(MARK)
}

/// A transaction id recorded by a sandbox deployment, marked as such (every payment in the
/// demo is a sandbox payment, whoever signed its notification with the published key).
pub fn marked(transaction_id: String) -> String {
    if is_sandbox_transaction(&transaction_id) {
        transaction_id
    } else {
        format!("{MARK}{transaction_id}")
    }
}

/// The sandbox's certificate, read.
pub(crate) fn certificate() -> Certificate {
    Certificate::from_pem(CERTIFICATE_PEM).unwrap_or_else(|| {
        unreachable!("the sandbox certificate compiled into the binary is an RSA certificate")
    })
}
