//! Supervised actors (issue 3).
