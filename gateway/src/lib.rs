//! `gateway`: the registration service around the engine.
//!
//! Today it holds the demo province ([`demo`]) that the main binary seeds into the embedded
//! store; the HTTP API, sessions and admission control arrive with issues 3 and 4.

pub mod demo;
