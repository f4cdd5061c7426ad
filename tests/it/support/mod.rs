//! Helpers shared by the integration tests.

pub mod app;
pub mod chat;
pub mod redis;
pub mod serve;
