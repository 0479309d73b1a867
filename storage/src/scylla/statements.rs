//! Every CQL statement the store sends, built once per keyspace and prepared at connect.
//! Writes carry `USING TIMESTAMP ?` (the log position), reads name their columns so row
//! mapping is checked against the schema by the tests below.

/// The statements' texts for one keyspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    /// Upsert a candidate's snapshot: key, serial, point, status, snapshot, timestamp.
    pub insert_candidate: String,
    /// A candidate's current status (read before moving its county/status index row).
    pub select_candidate_status: String,
    /// A candidate's snapshot by key.
    pub select_candidate: String,
    /// serial → key.
    pub insert_serial: String,
    /// The key holding a serial.
    pub select_serial: String,
    /// Index row by point: point, key, status, timestamp.
    pub insert_by_point: String,
    /// A point's candidates after a key, paged.
    pub select_by_point: String,
    /// Index row by county and status.
    pub insert_by_county_status: String,
    /// Removes the index row of the candidate's previous status.
    pub delete_by_county_status: String,
    /// Count of a county's candidates in one status.
    pub count_by_county_status: String,
    /// Upsert a county's snapshot.
    pub insert_county: String,
    /// A county's snapshot.
    pub select_county: String,
    /// Every county's code.
    pub select_county_codes: String,
    /// Remember a request's reply.
    pub insert_idempotency: String,
    /// A request's stored reply.
    pub select_idempotency: String,
    /// Store a photo.
    pub insert_photo: String,
    /// A photo.
    pub select_photo: String,
    /// Append an audit record.
    pub insert_audit: String,
    /// A day's newest audit records.
    pub select_audit: String,
    /// Upsert an adult-exam registration.
    pub insert_adult: String,
    /// An adult-exam registration's snapshot.
    pub select_adult: String,
    /// A confirmation point's index row.
    pub insert_adult_by_point: String,
    /// A point's adult-exam registrations after a key, paged.
    pub select_adult_by_point: String,
    /// Append one of a candidate's log records to their history.
    pub insert_history: String,
    /// A candidate's newest log records.
    pub select_history: String,
    /// Replace a setting.
    pub insert_setting: String,
    /// A setting.
    pub select_setting: String,
    /// Advance a partition's applied offset.
    pub insert_applied: String,
    /// Every partition's applied offset.
    pub select_applied: String,
}

impl Statements {
    /// The statements for `keyspace`.
    pub fn new(keyspace: &str) -> Statements {
        let k = keyspace;
        Statements {
            insert_candidate: format!(
                "INSERT INTO {k}.candidates (key, serial, point, status, snapshot) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?"
            ),
            select_candidate_status: format!("SELECT status FROM {k}.candidates WHERE key = ?"),
            select_candidate: format!("SELECT snapshot FROM {k}.candidates WHERE key = ?"),
            insert_serial: format!(
                "INSERT INTO {k}.candidates_by_serial (serial, key) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_serial: format!("SELECT key FROM {k}.candidates_by_serial WHERE serial = ?"),
            insert_by_point: format!(
                "INSERT INTO {k}.candidates_by_point (point, key, status) VALUES (?, ?, ?) USING TIMESTAMP ?"
            ),
            select_by_point: format!(
                "SELECT key, status FROM {k}.candidates_by_point WHERE point = ? AND key > ? LIMIT ?"
            ),
            insert_by_county_status: format!(
                "INSERT INTO {k}.candidates_by_county_status (county, status, key, point) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
            ),
            delete_by_county_status: format!(
                "DELETE FROM {k}.candidates_by_county_status USING TIMESTAMP ? WHERE county = ? AND status = ? AND key = ?"
            ),
            count_by_county_status: format!(
                "SELECT COUNT(*) FROM {k}.candidates_by_county_status WHERE county = ? AND status = ?"
            ),
            insert_county: format!(
                "INSERT INTO {k}.counties (code, snapshot) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_county: format!("SELECT snapshot FROM {k}.counties WHERE code = ?"),
            select_county_codes: format!("SELECT code FROM {k}.counties"),
            insert_idempotency: format!(
                "INSERT INTO {k}.idempotency (key, outcome) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_idempotency: format!("SELECT outcome FROM {k}.idempotency WHERE key = ?"),
            insert_photo: format!(
                "INSERT INTO {k}.photos (sha256, bytes) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_photo: format!("SELECT bytes FROM {k}.photos WHERE sha256 = ?"),
            insert_audit: format!(
                "INSERT INTO {k}.audit (day, at_ms, sequence, record) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
            ),
            select_audit: format!("SELECT record FROM {k}.audit WHERE day = ? LIMIT ?"),
            insert_adult: format!(
                "INSERT INTO {k}.adult_candidates (key, point, status, snapshot) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
            ),
            select_adult: format!("SELECT snapshot FROM {k}.adult_candidates WHERE key = ?"),
            insert_adult_by_point: format!(
                "INSERT INTO {k}.adult_by_point (point, key, status) VALUES (?, ?, ?) USING TIMESTAMP ?"
            ),
            select_adult_by_point: format!(
                "SELECT key, status FROM {k}.adult_by_point WHERE point = ? AND key > ? LIMIT ?"
            ),
            insert_history: format!(
                "INSERT INTO {k}.candidate_history (key, log_offset, position, record) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
            ),
            select_history: format!(
                "SELECT record FROM {k}.candidate_history WHERE key = ? LIMIT ?"
            ),
            insert_setting: format!(
                "INSERT INTO {k}.settings (name, value) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_setting: format!("SELECT value FROM {k}.settings WHERE name = ?"),
            insert_applied: format!(
                "INSERT INTO {k}.applied_offsets (partition, next) VALUES (?, ?) USING TIMESTAMP ?"
            ),
            select_applied: format!("SELECT partition, next FROM {k}.applied_offsets"),
        }
    }

    /// Every statement with a bounded name (the metric label).
    pub fn all(&self) -> [(&'static str, &str); 29] {
        [
            ("insert_candidate", &self.insert_candidate),
            ("select_candidate_status", &self.select_candidate_status),
            ("select_candidate", &self.select_candidate),
            ("insert_serial", &self.insert_serial),
            ("select_serial", &self.select_serial),
            ("insert_by_point", &self.insert_by_point),
            ("select_by_point", &self.select_by_point),
            ("insert_by_county_status", &self.insert_by_county_status),
            ("delete_by_county_status", &self.delete_by_county_status),
            ("count_by_county_status", &self.count_by_county_status),
            ("insert_county", &self.insert_county),
            ("select_county", &self.select_county),
            ("select_county_codes", &self.select_county_codes),
            ("insert_idempotency", &self.insert_idempotency),
            ("select_idempotency", &self.select_idempotency),
            ("insert_photo", &self.insert_photo),
            ("select_photo", &self.select_photo),
            ("insert_audit", &self.insert_audit),
            ("select_audit", &self.select_audit),
            ("insert_adult", &self.insert_adult),
            ("select_adult", &self.select_adult),
            ("insert_adult_by_point", &self.insert_adult_by_point),
            ("select_adult_by_point", &self.select_adult_by_point),
            ("insert_history", &self.insert_history),
            ("select_history", &self.select_history),
            ("insert_setting", &self.insert_setting),
            ("select_setting", &self.select_setting),
            ("insert_applied", &self.insert_applied),
            ("select_applied", &self.select_applied),
        ]
    }
}

/// The schema's statements for `keyspace` with `replication_factor`, in order.
pub fn schema(keyspace: &str, replication_factor: u32) -> Vec<String> {
    include_str!("../../schema/scylla.cql")
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .split(';')
        .map(|statement| {
            statement
                .trim()
                .replace("{keyspace}", keyspace)
                .replace("{replication_factor}", &replication_factor.to_string())
        })
        .filter(|statement| !statement.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// table → (columns, primary-key columns), read from the schema's CREATE TABLEs.
    fn tables() -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
        let mut tables = BTreeMap::new();
        for statement in schema("ks", 3) {
            let Some(rest) = statement.strip_prefix("CREATE TABLE IF NOT EXISTS ks.") else {
                continue;
            };
            let (name, body) = rest.split_once('(').expect("a column list");
            let body = body.rsplit_once(')').expect("closing parenthesis").0;
            let mut columns = BTreeSet::new();
            let mut key = BTreeSet::new();
            for line in body.lines().map(str::trim).filter(|line| !line.is_empty()) {
                if let Some(primary) = line.strip_prefix("PRIMARY KEY") {
                    key.extend(
                        primary
                            .split(|c: char| !c.is_alphanumeric() && c != '_')
                            .filter(|word| !word.is_empty())
                            .map(str::to_owned),
                    );
                    continue;
                }
                let column = line.split_whitespace().next().expect("a column name");
                if line.contains("PRIMARY KEY") {
                    key.insert(column.to_owned());
                }
                columns.insert(column.to_owned());
            }
            tables.insert(name.trim().to_owned(), (columns, key));
        }
        tables
    }

    fn words(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '.' && c != '*' && c != '?')
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_schema_splits_into_a_keyspace_and_every_table() {
        let statements = schema("ks", 3);
        assert!(statements[0].starts_with("CREATE KEYSPACE IF NOT EXISTS ks"));
        assert!(statements[0].contains("'replication_factor': 3"));
        assert!(statements.iter().all(|s| !s.contains("{keyspace}")));
        let names: Vec<_> = tables().into_keys().collect();
        assert_eq!(
            names,
            [
                "adult_by_point",
                "adult_candidates",
                "applied_offsets",
                "audit",
                "candidate_history",
                "candidates",
                "candidates_by_county_status",
                "candidates_by_point",
                "candidates_by_serial",
                "counties",
                "idempotency",
                "photos",
                "settings",
            ]
        );
        // No LWT, no counters: safe on tablets keyspaces.
        assert!(statements.iter().all(|s| !s.contains(" counter")));
    }

    /// Every statement names a table of the schema and only its columns; reads and deletes
    /// select by the full partition key; writes are timestamped and never conditional.
    #[test]
    fn every_statement_uses_only_the_schema_and_its_keys() {
        let tables = tables();
        let statements = Statements::new("ks");
        for (name, text) in statements.all() {
            let words = words(text);
            let table = words
                .iter()
                .find_map(|word| word.strip_prefix("ks."))
                .unwrap_or_else(|| panic!("{name}: no table"));
            let (columns, key) = tables
                .get(table)
                .unwrap_or_else(|| panic!("{name}: unknown table {table}"));
            let keywords = [
                "INSERT",
                "INTO",
                "VALUES",
                "USING",
                "TIMESTAMP",
                "SELECT",
                "FROM",
                "WHERE",
                "AND",
                "LIMIT",
                "DELETE",
                "COUNT",
                "*",
                "?",
            ];
            for word in &words {
                if word.starts_with("ks.") || keywords.contains(&word.as_str()) {
                    continue;
                }
                assert!(
                    columns.contains(word),
                    "{name}: {word} is not a column of {table}"
                );
            }
            assert!(
                !text.contains(" IF "),
                "{name}: no lightweight transactions"
            );
            if text.starts_with("INSERT") || text.starts_with("DELETE") {
                assert!(
                    text.contains("USING TIMESTAMP ?"),
                    "{name}: writes are timestamped"
                );
            }
            if let Some((_, condition)) = text.split_once(" WHERE ") {
                let restricted: BTreeSet<String> = words_of_condition(condition);
                let partition_key: BTreeSet<String> = partition_key(table, &tables);
                assert!(
                    partition_key.is_subset(&restricted),
                    "{name}: must restrict the whole partition key {partition_key:?}"
                );
                assert!(
                    restricted.is_subset(key),
                    "{name}: restricts a non-key column"
                );
            }
            let placeholders = text.matches('?').count();
            assert!(placeholders >= 1 || name == "select_county_codes" || name == "select_applied");
        }
    }

    fn words_of_condition(condition: &str) -> BTreeSet<String> {
        condition
            .split(" AND ")
            .filter_map(|clause| clause.split_whitespace().next())
            .filter(|word| *word != "LIMIT")
            .map(str::to_owned)
            .collect()
    }

    fn partition_key(
        table: &str,
        tables: &BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    ) -> BTreeSet<String> {
        let schema = schema("ks", 3);
        let create = schema
            .iter()
            .find(|s| s.starts_with(&format!("CREATE TABLE IF NOT EXISTS ks.{table} ")))
            .expect("table");
        match create.split_once("PRIMARY KEY ((") {
            Some((_, rest)) => rest
                .split_once(')')
                .expect("partition key")
                .0
                .split(',')
                .map(|c| c.trim().to_owned())
                .collect(),
            None => tables[table].1.iter().take(1).cloned().collect(),
        }
    }
}
