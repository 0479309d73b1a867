//! Workspace-level tests live in `tests/tests/`. This library is empty on purpose: the
//! package exists so that `cargo test --workspace` runs tests that span crates.
