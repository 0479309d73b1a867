//! The candidate's fees as one model: each fee is a [`FeeAccount`] (orders, the payment
//! that paid it, surplus payments, the ledger of applied transactions), named by a
//! [`FeeKind`]: the registration fee, the exam fee, or one art/PE category's fee. One
//! command creates an order for any of them, one decision applies a payment to whichever
//! account holds the order, and three events record it all.

use super::art_pe::ArtCategory;
use super::command::Provider;
use super::event::Payment;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Which fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FeeKind {
    /// 报名费, in the registration window after first login.
    Registration,
    /// 考试费, in its own window once the form is signed.
    Exam,
    /// One art/PE professional exam category's fee, in the art/PE window.
    ArtPe(ArtCategory),
}

impl FeeKind {
    /// A short, bounded name for metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            FeeKind::Registration => "registration",
            FeeKind::Exam => "exam",
            FeeKind::ArtPe(_) => "art_pe",
        }
    }
}

/// One fee's account: orders, the payment, and every transaction applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeAccount {
    /// Orders created, oldest first.
    pub orders: Vec<FeeOrder>,
    /// The payment that paid the fee. Once set, never unset.
    pub paid: Option<Payment>,
    /// Payments beyond the first (paid twice, e.g. by a relative). Not refunded.
    pub surplus: Vec<Payment>,
    /// `provider/transaction` of every payment applied: the exactly-once ledger.
    pub applied_transactions: BTreeSet<String>,
}

/// One fee order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeOrder {
    /// Our order number.
    pub order_id: String,
    /// Provider.
    pub provider: Provider,
    /// Amount due in fen.
    pub amount_fen: u32,
    /// When created.
    pub created_at: Timestamp,
}

/// What happened to a fee account (every fee event, old or new, is one of these).
#[derive(Debug, Clone, Copy)]
pub(crate) enum FeeChange<'a> {
    /// An order was created.
    Ordered {
        order_id: &'a str,
        provider: Provider,
        amount_fen: u32,
        at: Timestamp,
    },
    /// A payment paid the fee.
    Paid(&'a Payment),
    /// A payment arrived for a fee already paid.
    Surplus(&'a Payment),
}

impl FeeAccount {
    /// Applies `change`.
    pub(crate) fn apply(&mut self, change: FeeChange<'_>) {
        match change {
            FeeChange::Ordered {
                order_id,
                provider,
                amount_fen,
                at,
            } => self.orders.push(FeeOrder {
                order_id: order_id.to_owned(),
                provider,
                amount_fen,
                created_at: at,
            }),
            FeeChange::Paid(payment) => {
                self.applied_transactions.insert(payment.ledger_key());
                self.paid.get_or_insert_with(|| payment.clone());
            }
            FeeChange::Surplus(payment) => {
                self.applied_transactions.insert(payment.ledger_key());
                self.surplus.push(payment.clone());
            }
        }
    }
}
