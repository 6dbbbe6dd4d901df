//! End-to-end tests live in `e2e/`; they drive the real `hireledger` binary.
