//! The loadtest: replays a peak registration day against the gateway, open loop, and reports
//! it honestly — latency from the scheduled send time, shed apart from failed, a verification
//! pass that reads every acknowledged write back, and the machine's ceiling measured in the
//! same run. The binary (`src/main.rs`) wires these together; `benchmark.md` is the spec.

pub mod arrival;
pub mod ceiling;
pub mod client;
pub mod drive;
pub mod journey;
pub mod monitor;
pub mod population;
pub mod report;
pub mod setup;
pub mod soak;
pub mod stats;
pub mod storm;
pub mod verify;
