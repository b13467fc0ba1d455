//! The quickstart's two tours: a full story against the bundled local Qyvo server, and a
//! read-only tour of a real workspace.

use std::{error::Error, io::Write, time::Duration};

use futures_util::StreamExt as _;
use qyvo::{
    Client, ClientBuilder,
    contact::Tag,
    poll::{PollEvent, StartFrom},
    prelude::*,
    template::Variables,
    types::TemplateStatus,
};
use qyvo_mock::{MockServer, seed};

type Result<T = ()> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The customer of the story (a US test number).
pub const CUSTOMER: &str = "+1 (415) 555-0123";

/// Starts the local server and walks a full story, printing each step to `out`.
pub async fn local_story(out: &mut (impl Write + Send)) -> Result<MockServer> {
    let server = MockServer::start().await?;
    writeln!(
        out,
        "No QYVO_TOKEN set: using the bundled local Qyvo server at {}",
        server.base_url()
    )?;
    let client = ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .build()?;

    step(out, 1, "Who am I?")?;
    let me = client.me().send().await?;
    let workspace = me
        .tenant
        .as_ref()
        .map_or("no workspace", |t| t.name.as_str());
    writeln!(out, "   {} in workspace {workspace:?}", me.email)?;

    step(
        out,
        2,
        "Upsert a contact (the phone is normalised to E.164 before sending)",
    )?;
    let contact = client
        .upsert_contact(CUSTOMER)
        .name("Romain")
        .tags(["vip", "newsletter"])
        .send()
        .await?;
    writeln!(
        out,
        "   {} {} tags={:?}",
        contact.id, contact.phone, contact.tags
    )?;

    step(out, 3, "List approved templates")?;
    let templates = client
        .list_templates()
        .body_map(|b| b.status(Some(TemplateStatus::Approved)))
        .send()
        .await?;
    for template in templates.iter() {
        writeln!(
            out,
            "   {} {} {:?}",
            template.id, template.name, template.languages
        )?;
    }

    step(
        out,
        4,
        "Send a template with variables (checked locally first)",
    )?;
    let variables = Variables::from_iter([
        ("1", "Romain"),
        ("2", "ORD-1042"),
        ("3", "https://shop.example/track/1042"),
    ]);
    let preview = qyvo::template::render_preview(
        "Hi {{1}}, your order {{2}} is shipping today. Track it: {{3}}",
        &variables,
    );
    writeln!(out, "   preview: {preview}")?;
    let sent = client
        .send_template(CUSTOMER, seed::ORDER_SHIPPED_TEMPLATE_ID, variables)
        .language("en")
        .send()
        .await?;
    writeln!(
        out,
        "   sent {} ({})",
        sent.id,
        sent.status.as_deref().unwrap_or("?")
    )?;
    let missing = client
        .send_template(
            CUSTOMER,
            seed::ORDER_SHIPPED_TEMPLATE_ID,
            Variables::from_iter([("1", "Romain")]),
        )
        .send()
        .await;
    if let Err(error) = missing {
        writeln!(
            out,
            "   a send with a missing variable is refused before it leaves: {error}"
        )?;
    }

    step(out, 5, "The contact replies")?;
    server.contact_reply(
        server.token(),
        "+14155550123",
        "Great, can I change the address?",
    )?;
    writeln!(out, "   (the local server recorded an inbound message)")?;

    step(out, 6, "Poll the reply")?;
    let mut inbox = client
        .poll_messages()
        .interval(Duration::from_secs(1))
        .start_from(StartFrom::CurrentPage)
        .send();
    if let Some(event) = inbox.next().await
        && let PollEvent::Item(message) = event?
    {
        let text = message
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap_or("");
        writeln!(
            out,
            "   {} wrote: {text}",
            message.contact_name.as_deref().unwrap_or("someone")
        )?;
    }
    drop(inbox);

    step(out, 7, "Answer with free text inside the 24-hour window")?;
    let answer = client
        .send_text(CUSTOMER, "Of course! Reply with the new address.")
        .send()
        .await?;
    writeln!(out, "   sent {}", answer.id)?;

    step(out, 8, "Tag the contact")?;
    let tag = Tag::try_from("address-change")?;
    let tagged = client
        .add_tag()
        .body_map(|b| b.phone(Some(contact.phone.clone())).tag(tag.as_str()))
        .send()
        .await?;
    writeln!(out, "   tags now {:?}", tagged.tags)?;

    step(
        out,
        9,
        "Trigger a sequence (a repeat answers already_running)",
    )?;
    for _ in 0..2 {
        let result = client
            .trigger_sequence()
            .body_map(|b| {
                b.sequence_id(seed::WELCOME_SEQUENCE_ID)
                    .phone(Some(contact.phone.clone()))
            })
            .send()
            .await?;
        writeln!(out, "   {} {}", result.status().as_u16(), result.status)?;
    }
    if let Some(quota) = client.rate_limit() {
        writeln!(
            out,
            "Done: {} of {} requests left in this minute.",
            quota.remaining, quota.limit
        )?;
    }
    Ok(server)
}

/// A read-only tour of the workspace behind `client`.
pub async fn live_tour(client: &Client, out: &mut (impl Write + Send)) -> Result {
    step(out, 1, "Who am I?")?;
    let me = client.me().send().await?;
    writeln!(out, "   {} (user {})", me.email, me.id)?;
    step(out, 2, "Templates")?;
    for template in client
        .list_templates()
        .body(qyvo::types::ListTemplatesRequest::default())
        .send()
        .await?
        .iter()
    {
        writeln!(
            out,
            "   {} {} {}",
            template.id,
            template.name,
            template.status.as_deref().unwrap_or("?")
        )?;
    }
    step(out, 3, "Latest inbound messages")?;
    for message in client.new_message_received().send().await?.iter().take(5) {
        writeln!(
            out,
            "   {} {} {}",
            message.created_at, message.type_, message.id
        )?;
    }
    writeln!(out, "Read-only tour done; nothing was sent.")?;
    Ok(())
}

fn step(out: &mut impl Write, number: u8, title: &str) -> std::io::Result<()> {
    writeln!(out, "\n{number}. {title}")
}
