//! The kill -9 soak (`run --kills N`): while the journeys run, the server the loadtest
//! started is killed with SIGKILL `N` times — no shutdown, nothing flushed — and started
//! again on the same data directory and address; the verification pass afterwards reads
//! back every write that was acknowledged, before or after any kill, and finds each exactly
//! once. Requests in flight at a kill get no answer and widen what the pass accepts instead
//! of being guessed.
//!
//! The moments come from `--kill-seed`: the same seed kills at the same moments of the run
//! (which requests are in flight then still depends on the machine's timing).

use crate::population::Dice;
use crate::setup::{SetupError, Spawned};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to do.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Kills.
    pub kills: u32,
    /// The seed of their moments.
    pub seed: u64,
    /// Mean time from one restart to the next kill; each wait is uniform in half to one and
    /// a half times it.
    pub mean_interval_seconds: f64,
}

impl Plan {
    /// The wait before each kill, in order (seconds).
    pub fn waits(&self) -> Vec<f64> {
        let mut dice = Dice::new(self.seed, 0, 0x6b11);
        (0..self.kills)
            .map(|_| {
                dice.between(
                    self.mean_interval_seconds * 0.5,
                    self.mean_interval_seconds * 1.5,
                )
            })
            .collect()
    }
}

/// One kill.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Kill {
    /// Seconds after the run began.
    pub at_seconds: f64,
    /// From the kill until `/healthz` answered again (recovery included).
    pub restart_seconds: f64,
}

/// What the soak did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Soak {
    /// `--kill-seed`.
    pub seed: u64,
    /// Kills planned.
    pub planned: u32,
    /// Kills done, each followed by a restart that answered.
    pub kills: Vec<Kill>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

impl Soak {
    /// Every planned kill was done and the server came back each time.
    pub fn completed(&self) -> bool {
        self.error.is_none() && self.kills.len() == self.planned as usize
    }
}

/// Kills and restarts `server` as `plan` says, from `began`.
pub async fn run(
    plan: Plan,
    server: Arc<tokio::sync::Mutex<Spawned>>,
    probe: crate::client::Http,
    began: Instant,
) -> Soak {
    let mut soak = Soak {
        seed: plan.seed,
        planned: plan.kills,
        kills: Vec::new(),
        error: None,
    };
    for wait in plan.waits() {
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        let at = began.elapsed().as_secs_f64();
        let killed = Instant::now();
        let restarted: Result<(), SetupError> = server.lock().await.kill_and_restart(&probe).await;
        if let Err(error) = restarted {
            soak.error = Some(error.to_string());
            return soak;
        }
        soak.kills.push(Kill {
            at_seconds: at,
            restart_seconds: killed.elapsed().as_secs_f64(),
        });
    }
    soak
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_kills_at_the_same_moments() {
        let plan = Plan {
            kills: 5,
            seed: 7,
            mean_interval_seconds: 4.0,
        };
        assert_eq!(plan.waits(), plan.waits());
        assert!(plan.waits().iter().all(|wait| (2.0..6.0).contains(wait)));
        let other = Plan { seed: 8, ..plan };
        assert_ne!(plan.waits(), other.waits());
    }
}
