//! Checked requests: builders that wrap the generated ones and check what they take before
//! anything is sent.
//!
//! Made by the [`QyvoClientExt`](crate::prelude::QyvoClientExt) methods `send_template`,
//! `send_text` and `upsert_contact`. Each checks its phone number, and what else it takes
//! (template variables against the template, the text's length, tags, metadata), and fails
//! with a typed [`Error`](crate::Error) before any request when something is wrong; `body_map`
//! reaches every other field of the generated request, including fields a newer spec adds.
//! `Debug` never shows a full phone number, a name or message text.

mod send_template;
mod send_text;
mod upsert_contact;

pub use send_template::{CheckedSend, SendTemplate};
pub use send_text::SendText;
pub use upsert_contact::UpsertContact;
