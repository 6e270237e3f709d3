//! End-to-end tests for the workspace live in `e2e/`; this library is empty.
