//! The application layer: the use cases, in the terms of the domain — what a candidate, a
//! point or a county can do — each one parse-free and render-free, so that the JSON API
//! (`routes/`) and the server-rendered pages to come call the same code. A handler parses,
//! authenticates, calls one use case and renders what it returns; no rule lives in a
//! handler or a template.
//!
//! Here so far: the candidate's own record ([`candidate`]), the point's capture
//! ([`capture`]), operators' decisions, work lists and progress ([`operator`]) and logging in
//! ([`session`]), county packages ([`package`]), the province's windows and admission
//! control ([`settings`]), what may be printed ([`documents`]; the PDFs are rendered by the
//! routes, like templates), payments and identity results from outside ([`payments`]: the
//! provider callbacks and the reconciliation alike). Node-to-node requests and the
//! reconciliation pass's own loop stay beside their transport.

pub mod candidate;
pub mod capture;
pub mod documents;
pub mod operator;
pub mod package;
pub mod payments;
pub mod session;
pub mod settings;
