//! Load test (issue 5).
