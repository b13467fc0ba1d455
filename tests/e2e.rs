//! End to end: all 24 operations through the SDK's generated methods, against the stateful mock,
//! with Prism's validating proxy (`prism proxy --errors openapi.yaml`) in between, so every
//! request and response is checked against the spec (issue 5, conformance).
//!
//! Needs Node.js and Prism (`QYVO_TEST_TOOLS=node`, see `qyvo_test_tools`): without them the
//! tests show as ignored, with the reason. Prism is started once for the binary and killed
//! after the last test; see `support/e2e.rs`.

// With `harness = false` the binary is not built with `cfg(test)`, so clippy's
// allow-unwrap-in-tests does not apply.
#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed assertion"
)]

#[path = "support/e2e.rs"]
mod e2e;

use std::{collections::BTreeSet, process::ExitCode, sync::Arc, time::Duration};

use e2e::{E2e, Sent, sent};
use qyvo::{
    Client, Error,
    contact::Tags,
    template::{Placeholders, Variables},
    types,
};
use qyvo_mock::{Fault, Operation, seed};
use qyvo_test_tools::{Tool, test_trial};
use serde_json::json;

/// One libtest trial per async test function, named after it, each needing Prism.
macro_rules! trials {
    ($e2e:expr; $($test:ident),* $(,)?) => {
        vec![$(test_trial($e2e.trial(stringify!($test), $test), &[Tool::Node])),*]
    };
}

fn main() -> ExitCode {
    let e2e = E2e::new();
    let trials = trials![e2e;
        a_shop_story_uses_every_operation,
        documented_errors_arrive_as_typed_variants,
        a_wrong_token_is_unauthenticated_on_every_operation,
        free_text_needs_the_24_hour_window,
        an_exhausted_quota_is_rate_limited_with_retry_after,
        off_spec_responses_are_caught,
    ];
    let code = qyvo_test_tools::run(trials);
    e2e.shutdown();
    code
}

/// Romain, the shop's customer in the story.
const ROMAIN: &str = "+14155550123";
/// A number that never wrote to the shop.
const NEVER_REPLIED: &str = "+14155550199";
/// An id no tenant has.
const UNKNOWN_ID: &str = "01J9ZZZZZZZZZZZZZZZZZZZZZZ";

/// A shop sets up Romain, ships his order, chats with him and enrolls him in automations.
async fn a_shop_story_uses_every_operation(e2e: Arc<E2e>) {
    let t = e2e.tenant().await;
    let c = &t.client;

    // Who am I, and what can I send?
    let me = t.call(Operation::Me, c.me().send()).await.unwrap();
    assert!(me.email.ends_with("@mock.qyvo.test"), "{me:?}");
    assert!(me.tenant.is_some());
    let offered = t
        .call(Operation::DropdownTemplates, c.dropdown_templates().send())
        .await
        .unwrap();
    let offered: Vec<_> = offered.iter().map(|o| o.id.as_str()).collect();
    assert!(offered.contains(&seed::ORDER_SHIPPED_TEMPLATE_ID));
    assert!(!offered.contains(&seed::SPRING_SALE_TEMPLATE_ID));
    let approved = t
        .call(
            Operation::ListTemplates,
            c.list_templates()
                .body_map(|b| b.status(Some(types::TemplateStatus::Approved)))
                .send(),
        )
        .await
        .unwrap();
    assert!(approved.iter().any(|s| s.name == "order_shipped"));
    assert!(
        approved
            .iter()
            .all(|s| s.status.as_deref() == Some("APPROVED"))
    );
    let template = t
        .call(
            Operation::GetTemplate,
            c.get_template()
                .body_map(|b| b.template_id(seed::ORDER_SHIPPED_TEMPLATE_ID))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(template.placeholders, ["1", "2", "3"]);
    let slots = t
        .call(
            Operation::DropdownTemplateVariables,
            c.dropdown_template_variables()
                .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                .send(),
        )
        .await
        .unwrap();
    let slots: Vec<_> = slots.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(slots, template.placeholders);

    // Romain becomes a contact.
    let tags: Tags = "vip, beta".parse().unwrap();
    let created = t
        .call(
            Operation::CreateContact,
            c.create_contact()
                .body_map(|b| {
                    b.phone(ROMAIN)
                        .name(Some("Romain".to_owned()))
                        .email(Some("romain@example.com".to_owned()))
                        .tags(tags)
                        .metadata(json!({"shopify_id": 42}).as_object().unwrap().clone())
                })
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.tags, ["vip", "beta"]);
    let id = created.id.clone();
    let updated = t
        .call(
            Operation::UpdateContact,
            c.update_contact()
                .body_map(|b| {
                    b.contact_id(Some(id.clone()))
                        .name(Some("Romain D.".to_owned()))
                })
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Romain D."));
    let added = t
        .call(
            Operation::AddTag,
            c.add_tag()
                .body_map(|b| b.contact_id(Some(id.clone())).tag("fr-FR"))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(added.tags, ["vip", "beta", "fr-FR"]);
    let removed = t
        .call(
            Operation::RemoveTag,
            c.remove_tag()
                .body_map(|b| b.phone(Some(ROMAIN.to_owned())).tag("beta"))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(removed.tags, ["vip", "fr-FR"]);
    let contact = t
        .call(
            Operation::GetContact,
            c.get_contact()
                .body_map(|b| b.email(Some("romain@example.com".to_owned())))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(contact.id, id);
    assert_eq!(contact.metadata.as_ref().unwrap()["shopify_id"], 42);
    let vips = t
        .call(
            Operation::SearchContacts,
            c.search_contacts()
                .body_map(|b| b.tag(Some("vip".to_owned())))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(
        vips.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    let listed = t
        .call(
            Operation::ListTags,
            c.list_tags()
                .body_map(|b| b.name(Some("fr".to_owned())))
                .send(),
        )
        .await
        .unwrap();
    assert!(
        listed.iter().any(|tag| matches!(tag,
            types::ListedTag::TagObject(o) if o.name.as_deref() == Some("fr-FR"))),
        "{listed:?}"
    );

    // His order ships: a template, checked locally first, in French.
    let variables: Variables = [
        ("1", "Romain"),
        ("2", "ORD-1042"),
        ("3", "https://track.example/ORD-1042"),
    ]
    .into_iter()
    .collect();
    Placeholders::from(template.placeholders.clone())
        .check(&variables)
        .unwrap();
    let shipped = t
        .call(
            Operation::SendTemplateMessage,
            c.send_template_message()
                .body_map(|b| {
                    b.phone(ROMAIN)
                        .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                        .language(Some("fr".to_owned()))
                        .variables(variables)
                })
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(shipped.contact_id.as_deref(), Some(id.as_str()));
    let outbound = t.outbound(ROMAIN);
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0].language.as_deref(), Some("fr"));

    // He replies; the shop polls for it and answers in free text inside the window.
    let reply = t.contact_replies(ROMAIN, "Merci ! Can I pick it up instead?");
    let inbox = t
        .call(
            Operation::NewMessageReceived,
            c.new_message_received()
                .message_type(types::MessageTypeFilter::Text)
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(inbox[0].id, reply);
    assert_eq!(inbox[0].contact_phone.as_deref(), Some(ROMAIN));
    let answer = t
        .call(
            Operation::SendTextMessage,
            c.send_text_message()
                .body_map(|b| b.phone(ROMAIN).message("Sure, *any day* after 10:00."))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status.as_deref(), Some("sent"));
    assert_eq!(t.outbound(ROMAIN).len(), 2);

    // Automations: a welcome sequence and a cart-recovery flow.
    let sequences = t
        .call(Operation::DropdownSequences, c.dropdown_sequences().send())
        .await
        .unwrap();
    assert!(sequences.iter().any(|o| o.id == seed::WELCOME_SEQUENCE_ID));
    assert!(!sequences.iter().any(|o| o.id == seed::DRAFT_SEQUENCE_ID));
    let sequence = t
        .call(
            Operation::GetSequence,
            c.get_sequence()
                .body_map(|b| b.sequence_id(seed::WELCOME_SEQUENCE_ID))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(sequence.status.as_deref(), Some("published"));
    let enrolled = t
        .call(
            Operation::TriggerSequence,
            c.trigger_sequence()
                .body_map(|b| {
                    b.sequence_id(seed::WELCOME_SEQUENCE_ID)
                        .contact_id(Some(id.clone()))
                        .context(json!({"coupon": "SPRING10"}).as_object().unwrap().clone())
                })
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(
        (enrolled.status().as_u16(), enrolled.status.as_str()),
        (201, "started")
    );
    let sessions = t
        .call(
            Operation::NewSequenceTriggered,
            c.new_sequence_triggered()
                .sequence_id(seed::WELCOME_SEQUENCE_ID)
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(Some(&sessions[0].id), enrolled.id.as_ref());

    let flows = t
        .call(Operation::DropdownFlows, c.dropdown_flows().send())
        .await
        .unwrap();
    assert!(flows.iter().any(|o| o.id == seed::CART_RECOVERY_FLOW_ID));
    let flow = t
        .call(
            Operation::GetFlow,
            c.get_flow()
                .body_map(|b| b.flow_id(seed::CART_RECOVERY_FLOW_ID))
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(flow.trigger_type.as_deref(), Some("shopify_cart_abandoned"));
    let trigger_flow = || {
        c.trigger_flow()
            .body_map(|b| {
                b.flow_id(seed::CART_RECOVERY_FLOW_ID)
                    .phone(Some(ROMAIN.to_owned()))
            })
            .send()
    };
    let first = t
        .call(Operation::TriggerFlow, trigger_flow())
        .await
        .unwrap();
    assert_eq!(
        (first.status().as_u16(), first.status.as_str()),
        (201, "started")
    );
    let again = t
        .call(Operation::TriggerFlow, trigger_flow())
        .await
        .unwrap();
    assert_eq!(
        (again.status().as_u16(), again.status.as_str(), &again.id),
        (200, "already_running", &None)
    );
    let flow_sessions = t
        .call(
            Operation::NewFlowTriggered,
            c.new_flow_triggered()
                .flow_id(seed::CART_RECOVERY_FLOW_ID)
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(flow_sessions.len(), 1);
    assert_eq!(Some(&flow_sessions[0].id), first.id.as_ref());
    assert_eq!(flow_sessions[0].contact_id.as_deref(), Some(id.as_str()));

    // A broadcast finishes; the campaign trigger shows it first.
    let campaign = t.campaign_finishes("Summer drop", 250);
    let campaigns = t
        .call(Operation::NewCampaignSent, c.new_campaign_sent().send())
        .await
        .unwrap();
    assert_eq!(campaigns[0].id, campaign);
    assert!(
        campaigns
            .iter()
            .any(|k| k.id == seed::BLACK_FRIDAY_CAMPAIGN_ID)
    );

    let used: BTreeSet<_> = t.journal().iter().filter_map(|e| e.operation).collect();
    let all: BTreeSet<_> = Operation::ALL.iter().copied().collect();
    assert_eq!(
        all.difference(&used).collect::<Vec<_>>(),
        Vec::<&Operation>::new(),
        "operations the story does not use"
    );
}

/// One documented error: the request that provokes it and the variant it must arrive as.
struct ErrorCase {
    name: &'static str,
    operation: Operation,
    request: for<'a> fn(&'a Client) -> Sent<'a>,
    expected: fn(&Error) -> bool,
}

fn not_found(error: &Error, thing: &str) -> bool {
    matches!(error, Error::NotFound { what, .. } if what == thing)
}

fn invalid_field(error: &Error, field: &str) -> bool {
    matches!(error, Error::Validation { fields, .. } if fields.contains_key(field))
}

const ERROR_CASES: &[ErrorCase] = &[
    ErrorCase {
        name: "get-contact of an unknown phone",
        operation: Operation::GetContact,
        request: |c| {
            sent(
                c.get_contact()
                    .body_map(|b| b.phone(Some(NEVER_REPLIED.to_owned())))
                    .send(),
            )
        },
        expected: |e| not_found(e, "contact"),
    },
    ErrorCase {
        name: "get-contact without a lookup key",
        operation: Operation::GetContact,
        request: |c| {
            sent(
                c.get_contact()
                    .body(types::GetContactRequest::default())
                    .send(),
            )
        },
        expected: |e| invalid_field(e, "contact_id"),
    },
    ErrorCase {
        name: "update-contact of an unknown id",
        operation: Operation::UpdateContact,
        request: |c| {
            sent(
                c.update_contact()
                    .body_map(|b| b.contact_id(Some(UNKNOWN_ID.to_owned())))
                    .send(),
            )
        },
        expected: |e| not_found(e, "contact"),
    },
    ErrorCase {
        name: "add-tag on an unknown contact",
        operation: Operation::AddTag,
        request: |c| {
            sent(
                c.add_tag()
                    .body_map(|b| b.phone(Some(NEVER_REPLIED.to_owned())).tag("vip"))
                    .send(),
            )
        },
        expected: |e| not_found(e, "contact"),
    },
    ErrorCase {
        name: "remove-tag on an unknown contact",
        operation: Operation::RemoveTag,
        request: |c| {
            sent(
                c.remove_tag()
                    .body_map(|b| b.contact_id(Some(UNKNOWN_ID.to_owned())).tag("vip"))
                    .send(),
            )
        },
        expected: |e| not_found(e, "contact"),
    },
    ErrorCase {
        name: "create-contact with an invalid email",
        operation: Operation::CreateContact,
        request: |c| {
            sent(
                c.create_contact()
                    .body_map(|b| b.phone(ROMAIN).email(Some("romain-at-example".to_owned())))
                    .send(),
            )
        },
        expected: |e| invalid_field(e, "email"),
    },
    ErrorCase {
        name: "update-contact with an invalid email",
        operation: Operation::UpdateContact,
        request: |c| {
            sent(
                c.update_contact()
                    .body_map(|b| {
                        b.phone(Some(ROMAIN.to_owned()))
                            .email(Some("romain@".to_owned()))
                    })
                    .send(),
            )
        },
        expected: |e| invalid_field(e, "email"),
    },
    ErrorCase {
        name: "get-template of an unknown id",
        operation: Operation::GetTemplate,
        request: |c| {
            sent(
                c.get_template()
                    .body_map(|b| b.template_id(UNKNOWN_ID))
                    .send(),
            )
        },
        expected: |e| not_found(e, "template"),
    },
    ErrorCase {
        name: "template-variables of an unknown template",
        operation: Operation::DropdownTemplateVariables,
        request: |c| {
            sent(
                c.dropdown_template_variables()
                    .template_id(UNKNOWN_ID)
                    .send(),
            )
        },
        expected: |e| not_found(e, "template"),
    },
    ErrorCase {
        name: "send-template of an unknown template",
        operation: Operation::SendTemplateMessage,
        request: |c| {
            sent(
                c.send_template_message()
                    .body_map(|b| b.phone(ROMAIN).template_id(UNKNOWN_ID))
                    .send(),
            )
        },
        expected: |e| not_found(e, "template"),
    },
    ErrorCase {
        name: "send-template with missing variables",
        operation: Operation::SendTemplateMessage,
        request: |c| {
            let variables: Variables = [("1", "Romain")].into_iter().collect();
            sent(
                c.send_template_message()
                    .body_map(|b| {
                        b.phone(ROMAIN)
                            .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                            .variables(variables)
                    })
                    .send(),
            )
        },
        expected: |e| {
            matches!(e, Error::MissingVariables { expected, missing, status: Some(422) }
                if expected == &["1", "2", "3"] && missing == &["2", "3"])
        },
    },
    ErrorCase {
        name: "send-template without an approved translation",
        operation: Operation::SendTemplateMessage,
        request: |c| {
            let variables: Variables = [("1", "20%")].into_iter().collect();
            sent(
                c.send_template_message()
                    .body_map(|b| {
                        b.phone(ROMAIN)
                            .template_id(seed::SPRING_SALE_TEMPLATE_ID)
                            .variables(variables)
                    })
                    .send(),
            )
        },
        expected: |e| matches!(e, Error::NoApprovedTranslation { .. }),
    },
    ErrorCase {
        name: "send-text to a contact who never wrote",
        operation: Operation::SendTextMessage,
        request: |c| {
            sent(
                c.send_text_message()
                    .body_map(|b| b.phone(NEVER_REPLIED).message("Hello?"))
                    .send(),
            )
        },
        expected: |e| matches!(e, Error::WindowClosed { .. }),
    },
    ErrorCase {
        name: "trigger-sequence of a draft",
        operation: Operation::TriggerSequence,
        request: |c| {
            sent(
                c.trigger_sequence()
                    .body_map(|b| {
                        b.sequence_id(seed::DRAFT_SEQUENCE_ID)
                            .phone(Some(ROMAIN.to_owned()))
                    })
                    .send(),
            )
        },
        expected: |e| not_found(e, "sequence"),
    },
    ErrorCase {
        name: "get-sequence of an unknown id",
        operation: Operation::GetSequence,
        request: |c| {
            sent(
                c.get_sequence()
                    .body_map(|b| b.sequence_id(UNKNOWN_ID))
                    .send(),
            )
        },
        expected: |e| not_found(e, "sequence"),
    },
    ErrorCase {
        name: "trigger-flow of a draft",
        operation: Operation::TriggerFlow,
        request: |c| {
            sent(
                c.trigger_flow()
                    .body_map(|b| {
                        b.flow_id(seed::DRAFT_FLOW_ID)
                            .phone(Some(ROMAIN.to_owned()))
                    })
                    .send(),
            )
        },
        expected: |e| not_found(e, "flow"),
    },
    ErrorCase {
        name: "get-flow of an unknown id",
        operation: Operation::GetFlow,
        request: |c| sent(c.get_flow().body_map(|b| b.flow_id(UNKNOWN_ID)).send()),
        expected: |e| not_found(e, "flow"),
    },
];

async fn documented_errors_arrive_as_typed_variants(e2e: Arc<E2e>) {
    let t = e2e.tenant().await;
    let mut wrong = Vec::new();
    for case in ERROR_CASES {
        match t.send(case.operation, (case.request)(&t.client)).await {
            Err(error) if (case.expected)(&error) => {
                assert!(!error.to_string().ends_with('.'), "{error}");
            }
            other => wrong.push(format!("{}: got {other:?}", case.name)),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        t.outbound(ROMAIN).is_empty(),
        "no failed send reached Romain"
    );
}

/// A minimal valid request of `operation`.
fn minimal(client: &Client, operation: Operation) -> Sent<'_> {
    let c = client;
    match operation {
        Operation::Me => sent(c.me().send()),
        Operation::NewMessageReceived => sent(c.new_message_received().send()),
        Operation::NewCampaignSent => sent(c.new_campaign_sent().send()),
        Operation::NewFlowTriggered => sent(c.new_flow_triggered().send()),
        Operation::NewSequenceTriggered => sent(c.new_sequence_triggered().send()),
        Operation::SendTemplateMessage => sent(
            c.send_template_message()
                .body_map(|b| b.phone(ROMAIN).template_id(seed::OPENING_HOURS_TEMPLATE_ID))
                .send(),
        ),
        Operation::SendTextMessage => sent(
            c.send_text_message()
                .body_map(|b| b.phone(ROMAIN).message("hi"))
                .send(),
        ),
        Operation::CreateContact => sent(c.create_contact().body_map(|b| b.phone(ROMAIN)).send()),
        Operation::UpdateContact => sent(
            c.update_contact()
                .body_map(|b| b.phone(Some(ROMAIN.to_owned())))
                .send(),
        ),
        Operation::GetContact => sent(
            c.get_contact()
                .body_map(|b| b.phone(Some(ROMAIN.to_owned())))
                .send(),
        ),
        Operation::SearchContacts => sent(
            c.search_contacts()
                .body(types::SearchContactsRequest::default())
                .send(),
        ),
        Operation::AddTag => sent(
            c.add_tag()
                .body_map(|b| b.phone(Some(ROMAIN.to_owned())).tag("vip"))
                .send(),
        ),
        Operation::RemoveTag => sent(
            c.remove_tag()
                .body_map(|b| b.phone(Some(ROMAIN.to_owned())).tag("vip"))
                .send(),
        ),
        Operation::ListTemplates => sent(
            c.list_templates()
                .body(types::ListTemplatesRequest::default())
                .send(),
        ),
        Operation::GetTemplate => sent(
            c.get_template()
                .body_map(|b| b.template_id(seed::OPENING_HOURS_TEMPLATE_ID))
                .send(),
        ),
        Operation::ListTags => sent(c.list_tags().body(types::ListTagsRequest::default()).send()),
        Operation::TriggerSequence => sent(
            c.trigger_sequence()
                .body_map(|b| {
                    b.sequence_id(seed::WELCOME_SEQUENCE_ID)
                        .phone(Some(ROMAIN.to_owned()))
                })
                .send(),
        ),
        Operation::GetSequence => sent(
            c.get_sequence()
                .body_map(|b| b.sequence_id(seed::WELCOME_SEQUENCE_ID))
                .send(),
        ),
        Operation::TriggerFlow => sent(
            c.trigger_flow()
                .body_map(|b| {
                    b.flow_id(seed::SUPPORT_MENU_FLOW_ID)
                        .phone(Some(ROMAIN.to_owned()))
                })
                .send(),
        ),
        Operation::GetFlow => sent(
            c.get_flow()
                .body_map(|b| b.flow_id(seed::SUPPORT_MENU_FLOW_ID))
                .send(),
        ),
        Operation::DropdownTemplates => sent(c.dropdown_templates().send()),
        Operation::DropdownSequences => sent(c.dropdown_sequences().send()),
        Operation::DropdownFlows => sent(c.dropdown_flows().send()),
        Operation::DropdownTemplateVariables => sent(
            c.dropdown_template_variables()
                .template_id(seed::ORDER_SHIPPED_TEMPLATE_ID)
                .send(),
        ),
        other => panic!("no minimal request for {other}"),
    }
}

async fn a_wrong_token_is_unauthenticated_on_every_operation(e2e: Arc<E2e>) {
    let stranger = e2e.stranger().await;
    for &operation in Operation::ALL {
        let answer = stranger
            .send(operation, minimal(&stranger.client, operation))
            .await;
        assert!(
            matches!(answer, Err(Error::Unauthenticated)),
            "{operation}: {answer:?}"
        );
    }
}

async fn free_text_needs_the_24_hour_window(e2e: Arc<E2e>) {
    // Exclusive: it moves the mock's clock for every tenant.
    let t = e2e.exclusive().await;
    let text = |message: &'static str| {
        t.client
            .send_text_message()
            .body_map(move |b| b.phone(ROMAIN).message(message))
            .send()
    };
    let closed = |answer: Result<_, Error>| matches!(answer, Err(Error::WindowClosed { .. }));

    assert!(closed(
        t.call(Operation::SendTextMessage, text("Hi!")).await
    ));
    t.contact_replies(ROMAIN, "Hello, is my order ready?");
    t.advance_clock(Duration::from_secs(23 * 3600));
    let inside = t
        .call(Operation::SendTextMessage, text("Yes, since this morning."))
        .await
        .unwrap();
    assert_eq!(inside.status.as_deref(), Some("sent"));
    t.advance_clock(Duration::from_secs(2 * 3600));
    assert!(closed(
        t.call(Operation::SendTextMessage, text("Still there?"))
            .await
    ));
    // A template is still allowed outside the window, and a new reply reopens it.
    t.send(
        Operation::SendTemplateMessage,
        minimal(&t.client, Operation::SendTemplateMessage),
    )
    .await
    .unwrap();
    t.contact_replies(ROMAIN, "Sorry, I was away");
    t.call(Operation::SendTextMessage, text("No problem!"))
        .await
        .unwrap();
    assert_eq!(t.outbound(ROMAIN).len(), 3);
}

async fn an_exhausted_quota_is_rate_limited_with_retry_after(e2e: Arc<E2e>) {
    let t = e2e.tenant().await;
    // The mock allows 120 requests per token per 60 s; the SDK's own limiter would hold the
    // 121st back, so it is off here.
    let client = t.client_builder().without_rate_limiter().build().unwrap();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..120 {
        let client = client.clone();
        burst.spawn(async move { client.me().send().await.map(|_| ()) });
    }
    for answer in burst.join_all().await {
        answer.unwrap();
    }
    let limited = t.call(Operation::Me, client.me().send()).await;
    match limited {
        Err(Error::RateLimited {
            retry_after: Some(wait),
        }) => assert!(
            (Duration::from_secs(1)..=Duration::from_secs(60)).contains(&wait),
            "{wait:?}"
        ),
        other => panic!("expected a 429 with Retry-After, got {other:?}"),
    }
}

async fn off_spec_responses_are_caught(e2e: Arc<E2e>) {
    // Exclusive: an injected fault hits whichever tenant asks next.
    let t = e2e.exclusive().await;
    let cases = [
        // Truncated JSON with a 200: the SDK alone would report a decode error.
        (Operation::GetTemplate, Fault::MalformedJson, 200),
        // An HTML error page where the spec says JSON: the SDK alone would accept it.
        (
            Operation::GetFlow,
            Fault::Html(qyvo_mock::StatusCode::BAD_GATEWAY),
            502,
        ),
    ];
    for (operation, fault, mock_status) in cases {
        t.inject(operation, fault.clone());
        let exchange = t.exchange(operation, minimal(&t.client, operation)).await;
        let [entry] = exchange.at_mock.as_slice() else {
            panic!(
                "{operation}: {} requests at the mock",
                exchange.at_mock.len()
            );
        };
        assert_eq!(
            (entry.fault.as_ref(), entry.status),
            (Some(&fault), Some(mock_status))
        );
        let violation = exchange.verdict().unwrap_err();
        assert!(violation.contains("Prism replaced"), "{violation}");
        assert!(
            matches!(exchange.answer, Err(Error::Server { status: 500, .. })),
            "{fault:?}: {:?}",
            exchange.answer
        );
    }
}
