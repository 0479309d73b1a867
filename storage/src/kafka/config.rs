//! Configuration of the Kafka log, with units in the names.

use crate::record::Partition;

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
    /// Replication factor used when this node creates the topics.
    pub replication_factor: i32,
    /// How long the producer keeps retrying one write before it is failed
    /// (`message.timeout.ms`); the caller's request fails with it, nothing is acknowledged.
    pub delivery_timeout_seconds: u64,
    /// How long the producer waits to fill a batch (`linger.ms`): the Kafka side of group
    /// commit, many writes in one `acks=all` round trip.
    pub linger_milliseconds: u64,
    /// How long a write waits, after Kafka acknowledged it, for this node's projection to
    /// apply it (read-your-writes). Past it the request fails rather than hang.
    pub apply_timeout_seconds: u64,
    /// Consumer-group session timeout: how soon a dead node's shards move elsewhere.
    pub session_timeout_seconds: u64,
}

impl KafkaConfig {
    /// Defaults for `brokers`, advertising `advertised_url`.
    pub fn new(brokers: impl Into<String>, advertised_url: impl Into<String>) -> KafkaConfig {
        KafkaConfig {
            brokers: brokers.into(),
            topic_prefix: "registration".into(),
            group_id: "registration-gateways".into(),
            advertised_url: advertised_url.into(),
            replication_factor: 3,
            delivery_timeout_seconds: 30,
            linger_milliseconds: 2,
            apply_timeout_seconds: 30,
            session_timeout_seconds: 10,
        }
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
    use super::*;

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
