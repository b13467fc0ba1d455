#![doc = include_str!("../README.md")]

mod client;
mod generated;
pub mod phone;
pub mod retry;

pub use client::ClientBuilder;
pub use generated::{Client, ClientInfo, ResponseValue, builder, types};
pub use phone::{PhoneError, PhoneNumber};
