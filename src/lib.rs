#![doc = include_str!("../README.md")]

pub mod bulk;
mod client;
pub mod contact;
mod error;
pub mod ext;
mod generated;
mod hooks;
mod json_path;
pub mod phone;
pub mod poll;
pub mod ratelimit;
pub mod retry;
pub mod template;
mod trace;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use client::{
    BASE_URL_ENV, ClientBuilder, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT, TOKEN_ENV, USER_AGENT,
};
pub use contact::{Metadata, MetadataError, Tag, TagError, Tags};
pub use error::Error;
pub use generated::{Client, ClientInfo, ResponseValue, builder, types};
pub use hooks::DEFAULT_MAX_RESPONSE_BYTES;
pub use template::{
    InvalidVariable, ParameterRule, Placeholders, Variables, VariablesError, VariablesJsonError,
    render_preview,
};

/// Everything a typical caller needs: `use qyvo::prelude::*;`.
pub mod prelude {
    pub use crate::ext::QyvoClientExt;
    pub use crate::{Client, ClientBuilder, ClientInfo as _, Error};
}
pub use phone::{PhoneError, PhoneNumber};
