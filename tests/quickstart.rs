//! The README's main command, `cargo run --example quickstart`, runs its local story here.

#[path = "../examples/quickstart/story.rs"]
mod story;

use qyvo_mock::Operation;

#[tokio::test]
async fn the_local_story_runs_every_step() {
    let mut out = Vec::new();
    let server = story::local_story(&mut out)
        .await
        .expect("the story completes");
    let text = String::from_utf8(out).unwrap();
    for step in 1..=9 {
        assert!(
            text.contains(&format!("\n{step}. ")),
            "step {step} missing:\n{text}"
        );
    }
    assert!(
        text.contains("+14155550123 tags=[\"vip\", \"newsletter\"]"),
        "{text}"
    );
    assert!(
        text.contains("Romain wrote: Great, can I change the address?"),
        "{text}"
    );
    assert!(
        text.contains("refused before it leaves: template variables missing: 2, 3"),
        "{text}"
    );
    assert!(
        text.contains("201 started") && text.contains("200 already_running"),
        "{text}"
    );
    assert_eq!(
        server.count(Operation::SendTemplateMessage),
        1,
        "the refused send never left"
    );
    assert_eq!(server.count(Operation::SendTextMessage), 1);
    let outbound = server
        .outbound_messages(server.token(), "+14155550123")
        .unwrap();
    assert_eq!(outbound.len(), 2);
}

#[tokio::test]
async fn the_live_tour_only_reads() {
    let server = qyvo_mock::MockServer::start().await.unwrap();
    server
        .contact_reply(server.token(), "+14155550123", "hello")
        .unwrap();
    let client = qyvo::ClientBuilder::new(server.token())
        .base_url(server.base_url())
        .build()
        .unwrap();
    let mut out = Vec::new();
    story::live_tour(&client, &mut out)
        .await
        .expect("the tour completes");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("order_shipped APPROVED"), "{text}");
    assert!(
        text.contains(" text "),
        "the inbound message is listed:\n{text}"
    );
    let operations: Vec<_> = server
        .journal()
        .iter()
        .filter_map(|e| e.operation)
        .collect();
    assert_eq!(
        operations,
        [
            Operation::Me,
            Operation::ListTemplates,
            Operation::NewMessageReceived
        ]
    );
}
