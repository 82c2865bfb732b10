//! Configuration, read once at start.
