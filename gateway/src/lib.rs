//! HTTP gateway (issue 3).
