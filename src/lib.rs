#![doc = include_str!("../README.md")]

mod client;
mod generated;
pub mod retry;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use client::ClientBuilder;
pub use generated::{Client, ClientInfo, ResponseValue, builder, types};
