//! Configuration of the Kafka log, with units in the names.

use crate::error::StorageError;
use crate::record::Partition;
use rdkafka::config::ClientConfig;

/// How to reach Kafka and how this node takes part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`: `host:port[,host:port...]`.
    pub brokers: String,
    /// Topic names start with this: `<prefix>.candidates`, `<prefix>.organisation`,
    /// `<prefix>.audit`.
    pub topic_prefix: String,
    /// The consumer group whose assignment decides which node owns which shard.
    pub group_id: String,
    /// This node's HTTP base URL (`http://10.0.0.7:8080`), published with its shards so
    /// other nodes can redirect writes here.
    pub advertised_url: String,
    /// This node's admin listener as other nodes reach it (`http://10.0.0.7:9090`), for
    /// node-to-node requests; published beside `advertised_url`. `None`: this node takes
    /// none (the counties' serials cannot be asked of it from another node).
    pub internal_url: Option<String>,
    /// Replication factor used when this node creates the topics.
    pub replication_factor: i32,
    /// How long the producer keeps retrying one write before it is failed
    /// (`message.timeout.ms`); the caller's request fails with it, nothing is acknowledged.
    pub delivery_timeout_seconds: u64,
    /// How long the producer waits to fill a batch (`linger.ms`): the Kafka side of group
    /// commit, many writes in one `acks=all` round trip.
    pub linger_milliseconds: u64,
    /// How long the follower's fetch may wait at the broker for new records
    /// (`fetch.wait.max.ms`). Kafka answers a waiting fetch as soon as a record arrives, so
    /// this only bounds idle polling there; a broker that holds the fetch for the whole
    /// wait (tansu 0.6) adds it to every write's apply wait, and wants it small.
    pub fetch_wait_milliseconds: u64,
    /// How long a write waits, after Kafka acknowledged it, for this node's projection to
    /// apply it (read-your-writes). Past it the request fails rather than hang.
    pub apply_timeout_seconds: u64,
    /// Consumer-group session timeout: how soon a dead node's shards move elsewhere.
    pub session_timeout_seconds: u64,
    /// TLS and authentication to the brokers.
    pub security: KafkaSecurity,
}

/// How every client of this node reaches the brokers. A real deployment uses TLS and SCRAM
/// (`SASL_SSL`), with ACLs on the brokers that give the gateways' user its topics and
/// groups only (deploy/k8s/kafka.yaml).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct KafkaSecurity {
    /// TLS to the brokers.
    pub tls: bool,
    /// The CA certificate (PEM) the brokers' certificates must chain to (default: the
    /// system's CAs).
    pub ca_file: Option<std::path::PathBuf>,
    /// SCRAM-SHA-512 user name and password. Only over TLS.
    pub scram: Option<(String, String)>,
}

/// The password stays out of logs and panics.
impl std::fmt::Debug for KafkaSecurity {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KafkaSecurity")
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("scram_user", &self.scram.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl KafkaSecurity {
    /// librdkafka's properties for it. Refuses SCRAM without TLS: the password would cross
    /// the network in a form an eavesdropper can replay against a weak setup, and the
    /// records (candidates' state) in clear.
    pub fn properties(&self) -> Result<Vec<(&'static str, String)>, StorageError> {
        let protocol = match (self.tls, &self.scram) {
            (false, None) => "plaintext",
            (true, None) => "ssl",
            (true, Some(_)) => "sasl_ssl",
            (false, Some(_)) => {
                return Err(StorageError::Kafka(
                    "Kafka SCRAM credentials are only sent over TLS: set the Kafka TLS option"
                        .into(),
                ));
            }
        };
        let mut properties = vec![("security.protocol", protocol.to_owned())];
        if self.tls {
            properties.push(("ssl.endpoint.identification.algorithm", "https".into()));
            if let Some(ca_file) = &self.ca_file {
                properties.push(("ssl.ca.location", ca_file.display().to_string()));
            }
        }
        if let Some((username, password)) = &self.scram {
            properties.push(("sasl.mechanism", "SCRAM-SHA-512".into()));
            properties.push(("sasl.username", username.clone()));
            properties.push(("sasl.password", password.clone()));
        }
        Ok(properties)
    }
}

impl KafkaConfig {
    /// What this node publishes with each shard it owns (the offset commit's metadata).
    pub(crate) fn published_urls(&self) -> String {
        NodeUrls {
            public: self.advertised_url.clone(),
            internal: self.internal_url.clone(),
        }
        .to_metadata()
    }

    /// Defaults for `brokers`, advertising `advertised_url`.
    pub fn new(brokers: impl Into<String>, advertised_url: impl Into<String>) -> KafkaConfig {
        KafkaConfig {
            brokers: brokers.into(),
            topic_prefix: "registration".into(),
            group_id: "registration-gateways".into(),
            advertised_url: advertised_url.into(),
            internal_url: None,
            replication_factor: 3,
            delivery_timeout_seconds: 30,
            linger_milliseconds: 2,
            fetch_wait_milliseconds: 10,
            apply_timeout_seconds: 30,
            session_timeout_seconds: 10,
            security: KafkaSecurity::default(),
        }
    }

    /// A client configuration for the brokers, with this node's security settings.
    pub(crate) fn client(&self) -> Result<ClientConfig, StorageError> {
        let mut client = ClientConfig::new();
        client.set("bootstrap.servers", &self.brokers);
        for (key, value) in self.security.properties()? {
            client.set(key, value);
        }
        Ok(client)
    }
}

/// Where each log partition lives in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// One Kafka partition per candidate shard.
    pub candidates: String,
    /// One partition: county events and settings.
    pub organisation: String,
    /// One partition: the operator audit trail.
    pub audit: String,
    /// Candidate shards (= partitions of `candidates`).
    pub shard_count: u32,
}

impl Topics {
    /// The topics for `prefix` and `shard_count` shards.
    pub fn new(prefix: &str, shard_count: u32) -> Topics {
        Topics {
            candidates: format!("{prefix}.candidates"),
            organisation: format!("{prefix}.organisation"),
            audit: format!("{prefix}.audit"),
            shard_count,
        }
    }

    /// The Kafka topic and partition of a log partition.
    pub fn locate(&self, partition: Partition) -> (&str, i32) {
        match partition {
            Partition::Candidates(shard) => (&self.candidates, shard as i32),
            Partition::Organisation => (&self.organisation, 0),
            Partition::Audit => (&self.audit, 0),
        }
    }

    /// The log partition of a Kafka topic and partition, if it is one of ours.
    pub fn partition_of(&self, topic: &str, partition: i32) -> Option<Partition> {
        let index = u32::try_from(partition).ok()?;
        if topic == self.candidates && index < self.shard_count {
            Some(Partition::Candidates(index))
        } else if topic == self.organisation && index == 0 {
            Some(Partition::Organisation)
        } else if topic == self.audit && index == 0 {
            Some(Partition::Audit)
        } else {
            None
        }
    }

    /// Every log partition, candidates first.
    pub fn all(&self) -> impl Iterator<Item = Partition> + '_ {
        (0..self.shard_count)
            .map(Partition::Candidates)
            .chain([Partition::Organisation, Partition::Audit])
    }

    /// How many log partitions there are.
    pub fn count(&self) -> usize {
        self.shard_count as usize + 2
    }

    /// A dense index for per-partition tables (`0..count()`).
    pub fn index(&self, partition: Partition) -> usize {
        match partition {
            Partition::Candidates(shard) => shard as usize,
            Partition::Organisation => self.shard_count as usize,
            Partition::Audit => self.shard_count as usize + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    /// What a node publishes reads back as the same two URLs; an older node's lone URL is
    /// its public one.
    #[test]
    fn published_urls_read_back() {
        let mut config = KafkaConfig::new("localhost:9092", "http://10.0.0.7:8080");
        assert_eq!(
            NodeUrls::from_metadata(&config.published_urls()),
            Some(NodeUrls {
                public: "http://10.0.0.7:8080".into(),
                internal: None
            })
        );
        config.internal_url = Some("http://10.0.0.7:9090".into());
        assert_eq!(
            NodeUrls::from_metadata(&config.published_urls()),
            Some(NodeUrls {
                public: "http://10.0.0.7:8080".into(),
                internal: Some("http://10.0.0.7:9090".into())
            })
        );
        assert_eq!(NodeUrls::from_metadata(""), None);
    }

    use super::*;

    /// Security audit item 6: every client spoke PLAINTEXT without authentication.
    #[test]
    fn item_6_kafka_clients_use_tls_and_scram_when_configured() {
        let get = |security: &KafkaSecurity, key: &str| {
            security
                .properties()
                .expect("valid")
                .into_iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value)
        };
        let plain = KafkaSecurity::default();
        assert_eq!(
            get(&plain, "security.protocol").as_deref(),
            Some("plaintext")
        );
        let tls = KafkaSecurity {
            tls: true,
            ca_file: Some("/etc/kafka/ca.crt".into()),
            scram: None,
        };
        assert_eq!(get(&tls, "security.protocol").as_deref(), Some("ssl"));
        assert_eq!(
            get(&tls, "ssl.ca.location").as_deref(),
            Some("/etc/kafka/ca.crt")
        );
        assert_eq!(
            get(&tls, "ssl.endpoint.identification.algorithm").as_deref(),
            Some("https")
        );
        let scram = KafkaSecurity {
            scram: Some(("registration-gateway".into(), "s3cret".into())),
            ..tls
        };
        assert_eq!(
            get(&scram, "security.protocol").as_deref(),
            Some("sasl_ssl")
        );
        assert_eq!(
            get(&scram, "sasl.mechanism").as_deref(),
            Some("SCRAM-SHA-512")
        );
        assert_eq!(
            get(&scram, "sasl.username").as_deref(),
            Some("registration-gateway")
        );
        assert!(
            !format!("{scram:?}").contains("s3cret"),
            "the password in Debug"
        );
        let in_clear = KafkaSecurity {
            tls: false,
            ..scram
        };
        assert!(in_clear.properties().is_err(), "SCRAM without TLS");
        // The clients really accept them (librdkafka is built with TLS and SASL).
        let mut config = KafkaConfig::new("localhost:9093", "http://a");
        config.security = KafkaSecurity {
            tls: true,
            ca_file: None,
            ..in_clear
        };
        let producer: Result<rdkafka::producer::BaseProducer, _> =
            config.client().expect("valid").create();
        assert!(producer.is_ok(), "{:?}", producer.err());
    }

    #[test]
    fn partitions_map_to_topics_and_back() {
        let topics = Topics::new("reg", 4);
        for partition in topics.all() {
            let (topic, index) = topics.locate(partition);
            assert_eq!(topics.partition_of(topic, index), Some(partition));
        }
        assert_eq!(
            topics.locate(Partition::Candidates(3)),
            ("reg.candidates", 3)
        );
        assert_eq!(topics.partition_of("reg.candidates", 4), None);
        assert_eq!(topics.partition_of("reg.organisation", 1), None);
        assert_eq!(topics.partition_of("other", 0), None);
        assert_eq!(topics.index(Partition::Organisation), 4);
        assert_eq!(topics.index(Partition::Audit), 5);
        assert_eq!(topics.count(), 6);
        assert_eq!(topics.locate(Partition::Audit), ("reg.audit", 0));
        assert_eq!(topics.partition_of("reg.audit", 0), Some(Partition::Audit));
    }
}

/// Where another node is reached, as it published them with the shards it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUrls {
    /// The public listener: writes are redirected here.
    pub public: String,
    /// The admin listener: node-to-node requests go here. `None` from a node that
    /// published none (an older version, or one without an admin URL).
    pub internal: Option<String>,
}

impl NodeUrls {
    /// `public` alone, or `public internal` (URLs hold no spaces).
    fn to_metadata(&self) -> String {
        match &self.internal {
            Some(internal) => format!("{} {internal}", self.public),
            None => self.public.clone(),
        }
    }

    /// Reads what [`Self::to_metadata`] wrote; `None` for nothing published.
    pub(crate) fn from_metadata(metadata: &str) -> Option<NodeUrls> {
        let mut parts = metadata.split_whitespace();
        let public = parts.next()?.to_owned();
        Some(NodeUrls {
            public,
            internal: parts.next().map(str::to_owned),
        })
    }
}
