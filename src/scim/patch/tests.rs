//! Unit tests of the PATCH engine.
