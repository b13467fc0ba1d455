#![doc = include_str!("../README.md")]

mod client;
pub mod contact;
mod generated;
pub mod retry;
pub mod template;

pub use client::ClientBuilder;
pub use contact::{Metadata, MetadataError, Tag, TagError, Tags};
pub use generated::{Client, ClientInfo, ResponseValue, builder, types};
pub use template::{
    InvalidVariable, ParameterRule, Placeholders, Variables, VariablesError, VariablesJsonError,
    render_preview,
};
