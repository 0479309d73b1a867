//! The verification pass: after the run, read back every acknowledged registration and check
//! that what was acknowledged is in storage exactly once — the capture with its serial number,
//! the order, the payment applied once however many copies of its notification were sent,
//! and one form version per acknowledged save. Writes that got no answer may or may not have
//! happened; they widen the accepted range instead of being guessed.

use crate::client::{Call, Http};
use crate::journey::{Ack, Entry};
use crate::stats::Class;
use hyper::Method;
use serde::Serialize;
use serde_json::Value;

/// What the pass found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Verification {
    /// Acknowledged captures read back.
    pub registrations_checked: u64,
    /// Acknowledged payments among them.
    pub payments_checked: u64,
    /// Notification copies those payments were sent with.
    pub notification_copies: u64,
    /// Acknowledged form saves among them.
    pub form_saves_checked: u64,
    /// Records in storage added by the run (province progress, after − before).
    pub records_added: u64,
    /// Every discrepancy, one line each (capped at 100 lines; `discrepancy_count` is exact).
    pub discrepancies: Vec<String>,
    /// How many discrepancies in all.
    pub discrepancy_count: u64,
}

impl Verification {
    /// Whether everything acknowledged is there exactly once.
    pub fn passed(&self) -> bool {
        self.discrepancy_count == 0
    }

    fn discrepancy(&mut self, line: String) {
        self.discrepancy_count += 1;
        if self.discrepancies.len() < 100 {
            self.discrepancies.push(line);
        }
    }
}

/// Checks one stored record against what its journey was told.
pub fn check(entry: &Entry, stored: &Value, verification: &mut Verification) {
    let index = entry.index;
    verification.registrations_checked += 1;
    if entry.serial.as_deref() != stored["serial_number"].as_str() {
        verification.discrepancy(format!(
            "candidate {index}: acknowledged serial {:?}, stored {}",
            entry.serial, stored["serial_number"]
        ));
    }
    let orders = stored["fee_orders"].as_array().map_or(0, Vec::len);
    let expected_orders = match entry.order {
        Ack::Yes => 1..=1,
        Ack::Unknown => 0..=1,
        Ack::No => 0..=0,
    };
    if !expected_orders.contains(&orders) {
        verification.discrepancy(format!(
            "candidate {index}: {orders} fee orders stored, order {:?}",
            entry.order
        ));
    }
    let paid = stored["fee_paid"].as_bool() == Some(true);
    let surplus = stored["surplus_payments"].as_u64().unwrap_or(u64::MAX);
    if entry.payment == Ack::Yes {
        verification.payments_checked += 1;
        verification.notification_copies += u64::from(entry.notifications_sent);
        if !paid {
            verification.discrepancy(format!(
                "candidate {index}: payment acknowledged but not stored"
            ));
        }
    }
    if entry.payment == Ack::No && paid {
        verification.discrepancy(format!(
            "candidate {index}: paid although no notification was acknowledged"
        ));
    }
    if surplus != 0 {
        verification.discrepancy(format!(
            "candidate {index}: {surplus} surplus payments (a notification applied twice)"
        ));
    }
    // The gaokao's form versions; the adult exam's saves of information and volunteers.
    let version = stored["form_version"]
        .as_u64()
        .or_else(|| stored["edits"].as_u64())
        .unwrap_or(u64::MAX);
    let low = u64::from(entry.form_saves);
    let high = low + u64::from(entry.form_saves_unknown);
    verification.form_saves_checked += low;
    if !(low..=high).contains(&version) {
        verification.discrepancy(format!(
            "candidate {index}: form version {version}, acknowledged saves {low} (+{} unanswered)",
            entry.form_saves_unknown
        ));
    }
}

/// Reads back every acknowledged capture (as the province operator), `parallel` at a time,
/// and compares the storage's record count with the captures acknowledged.
pub async fn verify(
    http: &Http,
    province: &str,
    entries: &[Entry],
    records: Option<(u64, u64)>,
    parallel: usize,
) -> Verification {
    let mut verification = Verification {
        records_added: records.map_or(0, |(before, after)| after.saturating_sub(before)),
        ..Verification::default()
    };
    let captured: Vec<&Entry> = entries.iter().filter(|e| e.capture == Ack::Yes).collect();
    let unanswered = entries.iter().filter(|e| e.capture == Ack::Unknown).count() as u64;
    let acknowledged = captured.len() as u64;
    // The adult exam's registrations are not in the gaokao's progress counts: no count check.
    if records.is_some()
        && !(acknowledged..=acknowledged + unanswered).contains(&verification.records_added)
    {
        verification.discrepancy(format!(
            "storage gained {} records; {acknowledged} captures were acknowledged (+{unanswered} unanswered)",
            verification.records_added
        ));
    }
    for batch in captured.chunks(parallel.max(1)) {
        let mut reads = tokio::task::JoinSet::new();
        for entry in batch {
            let http = http.clone();
            let province = province.to_owned();
            let entry = (*entry).clone();
            reads.spawn(async move {
                let path = if records.is_some() {
                    format!("/v1/candidates/{}", entry.key.as_deref().unwrap_or("-"))
                } else {
                    format!(
                        "/v1/adult/registrations/{}",
                        entry.key.as_deref().unwrap_or("-")
                    )
                };
                let call = Call::new(Class::Read, Method::GET, path).token(&province);
                // A payment acknowledged from the server's inbox may still be being
                // recorded: read again (up to 10 s) until it is, then check.
                let mut reply = http.send(&call).await;
                for _ in 0..100 {
                    let pending = matches!(&reply, Ok(read) if read.status == 200
                        && read.json()["payments_being_recorded"].as_u64().unwrap_or(0) > 0);
                    if !pending {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    reply = http.send(&call).await;
                }
                (entry, reply)
            });
        }
        while let Some(joined) = reads.join_next().await {
            match joined {
                Ok((entry, Ok(reply))) if reply.status == 200 => {
                    check(&entry, &reply.json(), &mut verification);
                }
                Ok((entry, Ok(reply))) => verification.discrepancy(format!(
                    "candidate {}: acknowledged capture reads back as {}",
                    entry.index, reply.status
                )),
                Ok((entry, Err(error))) => verification.discrepancy(format!(
                    "candidate {}: could not read back: {error}",
                    entry.index
                )),
                Err(error) => verification.discrepancy(format!("reader failed: {error}")),
            }
        }
    }
    verification
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> Entry {
        Entry {
            index: 7,
            capture: Ack::Yes,
            key: Some("k".into()),
            serial: Some("01020001".into()),
            order: Ack::Yes,
            payment: Ack::Yes,
            notifications_sent: 3,
            form_saves: 2,
            form_saves_unknown: 0,
            finished: true,
        }
    }

    fn stored() -> Value {
        json!({"serial_number": "01020001", "fee_orders": ["GK..01"], "fee_paid": true,
               "surplus_payments": 0, "form_version": 2})
    }

    #[test]
    fn a_record_as_acknowledged_passes() {
        let mut verification = Verification::default();
        check(&entry(), &stored(), &mut verification);
        assert!(verification.passed(), "{:?}", verification.discrepancies);
        assert_eq!(verification.notification_copies, 3);
        assert_eq!(verification.form_saves_checked, 2);
    }

    #[test]
    fn every_kind_of_loss_or_duplication_is_reported() {
        let cases = [
            ("serial_number", json!("01020002"), "serial"),
            ("fee_orders", json!(["a", "b"]), "fee orders"),
            ("fee_paid", json!(false), "not stored"),
            ("surplus_payments", json!(1), "applied twice"),
            ("form_version", json!(3), "form version"),
            ("form_version", json!(1), "form version"),
        ];
        for (field, value, expected) in cases {
            let mut record = stored();
            record[field] = value;
            let mut verification = Verification::default();
            check(&entry(), &record, &mut verification);
            assert_eq!(verification.discrepancy_count, 1, "{field}");
            assert!(
                verification.discrepancies[0].contains(expected),
                "{field}: {:?}",
                verification.discrepancies
            );
        }
    }

    #[test]
    fn unanswered_writes_widen_the_range_instead_of_failing() {
        let mut unanswered = entry();
        unanswered.form_saves = 1;
        unanswered.form_saves_unknown = 1;
        for version in [1, 2] {
            let mut record = stored();
            record["form_version"] = json!(version);
            let mut verification = Verification::default();
            check(&unanswered, &record, &mut verification);
            assert!(verification.passed(), "version {version}");
        }
    }
}
