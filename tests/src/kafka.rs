//! A Kafka for the scale-out tests: librdkafka's in-process `MockCluster` (the real
//! protocol over loopback TCP) with the two topics created, and the server options that
//! point a `registration` process at it.

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

/// A mock cluster with `<prefix>.candidates` (one partition per shard) and
/// `<prefix>.organisation`; dropped with the test.
pub struct MockKafka {
    /// Keeps the brokers alive.
    pub cluster: MockCluster<'static, DefaultProducerContext>,
    prefix: String,
    brokers: String,
    shards: u32,
    replication: i32,
}

impl MockKafka {
    /// `brokers` brokers, topics for `shards` shards, replicated `brokers` times.
    pub fn new(prefix: &str, brokers: i32, shards: u32) -> MockKafka {
        let cluster = MockCluster::new(brokers).expect("mock cluster");
        cluster
            .create_topic(&format!("{prefix}.candidates"), shards as i32, brokers)
            .expect("candidates topic");
        cluster
            .create_topic(&format!("{prefix}.organisation"), 1, brokers)
            .expect("organisation topic");
        cluster
            .create_topic(&format!("{prefix}.audit"), 1, brokers)
            .expect("audit topic");
        let bootstrap = cluster.bootstrap_servers();
        MockKafka {
            cluster,
            prefix: prefix.to_owned(),
            brokers: bootstrap,
            shards,
            replication: brokers,
        }
    }

    /// The server options for `log = kafka` on this cluster, nodes in one group.
    pub fn environment(&self) -> Vec<(String, String)> {
        kafka_environment(&self.brokers, &self.prefix, self.replication, self.shards)
    }
}

/// The server options for `log = kafka` on `brokers` (any Kafka-protocol broker).
pub fn kafka_environment(
    brokers: &str,
    prefix: &str,
    replication: i32,
    shards: u32,
) -> Vec<(String, String)> {
    [
        ("REG_LOG", "kafka".to_owned()),
        ("REG_KAFKA_BROKERS", brokers.to_owned()),
        ("REG_KAFKA_TOPIC_PREFIX", prefix.to_owned()),
        ("REG_KAFKA_GROUP_ID", format!("{prefix}-gateways")),
        ("REG_KAFKA_REPLICATION_FACTOR", replication.to_string()),
        ("REG_KAFKA_SESSION_TIMEOUT_SECONDS", "6".to_owned()),
        ("REG_SHARD_COUNT", shards.to_string()),
        // Every test node listens on loopback: redirects go nowhere else.
        ("REG_REDIRECT_ALLOW", "http://127.0.0.1:".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}
