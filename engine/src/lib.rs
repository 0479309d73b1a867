//! `engine`: the pure domain logic of provincial exam registration (报名信息采集).
//!
//! Commands go in, events or a typed [`Rejection`] come out, and state changes only by
//! applying events. There is no I/O here, no async runtime, and no clock: the instant of
//! every decision is passed in. Everything else in the workspace (actors, storage, the
//! gateway) wraps this crate, which is why it can be tested exhaustively and replayed.
//!
//! The parts:
//! - [`org`] and [`hunan`]: province → city → county → point, with GB/T 2260 codes.
//! - [`id_number`]: 18-character ID numbers and their check character.
//! - [`photo`]: measuring uploaded photos against the standard.
//! - [`serial`]: eight-digit serial numbers and the ranges counties give points.
//! - [`schedule`]: the province's windows.
//! - [`candidate`]: one candidate's registration lifecycle (`decide`, `evolve`).
//! - [`adult`]: the adult college entrance exam (成人高考), its own record and lifecycle,
//!   its calendar and the numbering of its admission tickets.
//! - [`county`]: a county's points, ranges and submission.
//! - [`scope`]: who may see and touch which records.
//! - [`key`]: pseudonymous candidate keys and their shards.

pub mod adult;
pub mod candidate;
pub mod county;
pub mod ethnicity;
pub mod hunan;
pub mod id_number;
pub mod key;
pub mod org;
pub mod photo;
pub mod rejection;
pub mod schedule;
pub mod scope;
pub mod serial;
pub mod text;
pub mod time;

pub use rejection::{Rejection, RejectionKind};
