//! Trigger pollers against the stateful mock server, on tokio's paused clock.

use std::{collections::HashSet, path::PathBuf, time::Duration};

use futures_util::StreamExt as _;
use qyvo::{
    poll::{
        Checkpoint, CheckpointError, CheckpointStore, FileCheckpointStore, Lease,
        MemoryCheckpointStore, PAGE_SIZE, PollError, PollEvent, PollStream, StartFrom, TriggerItem,
    },
    prelude::*,
    retry::RetryPolicy,
    types::MessageTypeFilter,
};
use qyvo_mock::{Fault, Injection, MockServer, Operation, StatusCode, seed};
use serde_json::json;

const PHONE: &str = "+14155550123";
const INTERVAL: Duration = Duration::from_secs(30);

async fn server() -> MockServer {
    MockServer::builder()
        .rate_limit(100_000, Duration::from_secs(60))
        .start()
        .await
        .expect("the mock binds 127.0.0.1")
}

/// A client without retries or proactive limiting, so the poller sees every failure.
fn client_with_token(server: &MockServer, token: &str) -> Client {
    ClientBuilder::new(token)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::none())
        .without_rate_limiter()
        .build()
        .expect("a loopback client builds")
}

fn client(server: &MockServer) -> Client {
    client_with_token(server, server.token())
}

type Event<T> = Result<PollEvent<T>, PollError>;

/// The next event within `within` (of paused time), or `None` when none came.
async fn next_within<T>(stream: &mut PollStream<T>, within: Duration) -> Option<Event<T>> {
    tokio::time::timeout(within, stream.next())
        .await
        .ok()
        .flatten()
}

/// The ids of the next `n` items, failing on anything else or when they do not come in time.
async fn take_ids<T: TriggerItem + std::fmt::Debug>(
    stream: &mut PollStream<T>,
    n: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < n {
        match next_within(stream, 10 * INTERVAL).await {
            Some(Ok(PollEvent::Item(item))) => ids.push(item.id().to_owned()),
            other => panic!("expected an item, got {other:?}"),
        }
    }
    ids
}

/// Drives the stream through its first poll, which must deliver nothing.
async fn prime<T: std::fmt::Debug>(stream: &mut PollStream<T>) {
    let event = next_within(stream, Duration::from_secs(1)).await;
    assert!(event.is_none(), "the first poll delivered {event:?}");
}

/// Polls for `span` and fails on any event.
async fn assert_quiet<T: std::fmt::Debug>(stream: &mut PollStream<T>, span: Duration) {
    let event = next_within(stream, span).await;
    assert!(event.is_none(), "unexpected {event:?}");
}

fn replies(server: &MockServer, texts: &[&str]) -> Vec<String> {
    texts
        .iter()
        .map(|text| {
            server
                .contact_reply(server.token(), PHONE, text)
                .expect("the mock records the reply")
        })
        .collect()
}

/// A checkpoint file in a fresh temporary directory, removed with it when the guard drops.
fn checkpoint_file(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("qyvo-poll-{name}-"))
        .tempdir()
        .expect("the temp dir is writable");
    let file = dir.path().join("checkpoint.json");
    (dir, file)
}

#[tokio::test(start_paused = true)]
async fn the_first_poll_starts_from_now_unless_asked_to_replay() {
    let server = server().await;
    let old = replies(&server, &["before 1", "before 2"]);
    let client = client(&server);

    let mut from_now = client.poll_messages().jitter(0.0).send();
    prime(&mut from_now).await;
    assert_eq!(server.count(Operation::NewMessageReceived), 1);
    let new = replies(&server, &["after"]);
    assert_eq!(take_ids(&mut from_now, 1).await, new);

    let mut replay = client
        .poll_messages()
        .jitter(0.0)
        .start_from(StartFrom::CurrentPage)
        .send();
    let expected: Vec<_> = old.into_iter().chain(new).collect();
    assert_eq!(take_ids(&mut replay, 3).await, expected);
    assert_quiet(&mut replay, 3 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn new_replies_come_oldest_first_exactly_once_over_several_polls() {
    let server = server().await;
    let mut stream = client(&server).poll_messages().jitter(0.0).send();
    prime(&mut stream).await;
    let mut delivered = Vec::new();
    let mut sent = Vec::new();
    for round in [&["a", "b"][..], &["c", "d", "e"], &["f"]] {
        // Replies of one round share a second: the tie-breaking is exercised too.
        let ids = replies(&server, round);
        delivered.extend(take_ids(&mut stream, ids.len()).await);
        sent.extend(ids);
    }
    assert_quiet(&mut stream, 4 * INTERVAL).await;
    assert_eq!(delivered, sent);
    assert!(server.count(Operation::NewMessageReceived) >= 7);
}

#[tokio::test(start_paused = true)]
async fn the_message_type_filter_is_sent_and_honoured() {
    let server = server().await;
    let mut images = client(&server)
        .poll_messages()
        .message_type(MessageTypeFilter::Image)
        .jitter(0.0)
        .send();
    prime(&mut images).await;
    replies(&server, &["just text"]);
    let image = server
        .receive_message(server.token(), PHONE, "image", json!({"caption": "a cat"}))
        .unwrap();
    assert_eq!(take_ids(&mut images, 1).await, [image]);
    assert_quiet(&mut images, 2 * INTERVAL).await;
    let journal = server.journal();
    assert!(
        journal
            .iter()
            .filter(|e| e.operation == Some(Operation::NewMessageReceived))
            .all(|e| e.query.as_deref() == Some("message_type=image")),
        "{journal:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn campaigns_are_polled_and_replayed_oldest_first() {
    let server = server().await;
    let client = client(&server);
    let mut replay = client
        .poll_campaigns()
        .jitter(0.0)
        .start_from(StartFrom::CurrentPage)
        .send();
    assert_eq!(
        take_ids(&mut replay, 2).await,
        [
            seed::BLACK_FRIDAY_CAMPAIGN_ID,
            seed::SPRING_LAUNCH_CAMPAIGN_ID
        ]
    );
    let mut campaigns = client.poll_campaigns().jitter(0.0).send();
    prime(&mut campaigns).await;
    let first = server.add_campaign(server.token(), "June", 10).unwrap();
    // The mock lists campaigns of one second oldest first; a second apart they are ordered.
    server.advance_clock(Duration::from_secs(1));
    let second = server.add_campaign(server.token(), "July", 20).unwrap();
    assert_eq!(take_ids(&mut campaigns, 2).await, [first, second]);
    assert_quiet(&mut campaigns, 2 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn flow_sessions_are_polled_with_the_flow_filter() {
    let server = server().await;
    let client = client(&server);
    let mut sessions = client
        .poll_flow_sessions()
        .flow_id(seed::CART_RECOVERY_FLOW_ID)
        .jitter(0.0)
        .send();
    prime(&mut sessions).await;
    let mut started = Vec::new();
    for (flow, phone) in [
        (seed::CART_RECOVERY_FLOW_ID, "+14155550101"),
        (seed::SUPPORT_MENU_FLOW_ID, "+14155550102"),
        (seed::CART_RECOVERY_FLOW_ID, "+14155550103"),
    ] {
        let result = client
            .trigger_flow()
            .body_map(|b| b.flow_id(flow).phone(Some(phone.to_owned())))
            .send()
            .await
            .unwrap()
            .into_inner();
        if flow == seed::CART_RECOVERY_FLOW_ID {
            started.push(result.id.unwrap());
        }
    }
    assert_eq!(take_ids(&mut sessions, 2).await, started);
    assert_quiet(&mut sessions, 2 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn sequence_sessions_are_polled() {
    let server = server().await;
    let client = client(&server);
    let mut sessions = client.poll_sequence_sessions().jitter(0.0).send();
    prime(&mut sessions).await;
    let mut started = Vec::new();
    for (sequence, phone) in [
        (seed::WELCOME_SEQUENCE_ID, "+14155550101"),
        (seed::WINBACK_SEQUENCE_ID, "+14155550102"),
    ] {
        let result = client
            .trigger_sequence()
            .body_map(|b| b.sequence_id(sequence).phone(Some(phone.to_owned())))
            .send()
            .await
            .unwrap()
            .into_inner();
        started.push(result.id.unwrap());
    }
    assert_eq!(take_ids(&mut sessions, 2).await, started);
    assert_quiet(&mut sessions, 2 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn a_burst_larger_than_a_page_yields_a_gap_then_the_newest_page() {
    let server = server().await;
    let mut stream = client(&server).poll_messages().jitter(0.0).send();
    prime(&mut stream).await;
    let before = replies(&server, &["seen"]);
    assert_eq!(take_ids(&mut stream, 1).await, before);
    let texts: Vec<String> = (0..PAGE_SIZE + 50).map(|n| format!("burst {n}")).collect();
    let burst = replies(
        &server,
        &texts.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    match next_within(&mut stream, 2 * INTERVAL).await {
        Some(Ok(PollEvent::Gap { since })) => assert_eq!(since.id(), Some(before[0].as_str())),
        other => panic!("expected a gap, got {other:?}"),
    }
    assert_eq!(take_ids(&mut stream, PAGE_SIZE).await, burst[50..]);
    assert_quiet(&mut stream, 3 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn a_file_checkpoint_survives_a_restart_without_duplicates() {
    let server = server().await;
    let client = client(&server);
    let (_dir, file) = checkpoint_file("restart");
    let store = || FileCheckpointStore::new(&file);

    let mut first = client.poll_messages().jitter(0.0).store(store()).send();
    prime(&mut first).await;
    assert!(file.exists(), "the starting point is saved at once");
    let handled = replies(&server, &["one", "two", "three"]);
    assert_eq!(take_ids(&mut first, 3).await, handled);
    // Asking for more means "done with those": the checkpoint moves past them.
    assert_quiet(&mut first, Duration::from_secs(1)).await;
    drop(first);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(saved["id"], handled[2].as_str());

    let unhandled = replies(&server, &["four", "five"]);
    let mut second = client.poll_messages().jitter(0.0).store(store()).send();
    // Crash right after taking the items, before asking for more: at least once.
    assert_eq!(take_ids(&mut second, 2).await, unhandled);
    drop(second);
    let mut third = client.poll_messages().jitter(0.0).store(store()).send();
    assert_eq!(take_ids(&mut third, 2).await, unhandled);
    assert_quiet(&mut third, 3 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_checkpoint_file_is_a_typed_error_that_ends_the_stream() {
    let server = server().await;
    let (_dir, file) = checkpoint_file("corrupt");
    std::fs::write(&file, b"{\"id\": \"01J0").unwrap();
    let mut stream = client(&server)
        .poll_messages()
        .jitter(0.0)
        .store(FileCheckpointStore::new(&file))
        .send();
    match stream.next().await {
        Some(Err(
            error @ PollError::Checkpoint {
                source: CheckpointError::Corrupt { .. },
            },
        )) => {
            assert!(error.is_fatal());
            assert!(
                std::error::Error::source(&error)
                    .unwrap()
                    .to_string()
                    .ends_with("checkpoint.json is corrupt")
            );
        }
        other => panic!("expected a corrupt checkpoint, got {other:?}"),
    }
    assert!(stream.next().await.is_none());
    assert_eq!(server.count(Operation::NewMessageReceived), 0);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_and_lose_nothing() {
    let server = server().await;
    let store = MemoryCheckpointStore::new();
    let mut stream = client(&server)
        .poll_messages()
        .jitter(0.0)
        .store(store.clone())
        .send();
    prime(&mut stream).await;
    let saved = store.get();
    let sent = replies(&server, &["during", "the outage"]);
    server.inject(
        Injection::new(Fault::Status(StatusCode::SERVICE_UNAVAILABLE))
            .on(Operation::NewMessageReceived)
            .times(2),
    );
    let mut waits = Vec::new();
    for _ in 0..2 {
        match next_within(&mut stream, 10 * INTERVAL).await {
            Some(Err(PollError::Transient {
                source: Error::Server { status: 503, .. },
                retry_in,
            })) => waits.push(retry_in),
            other => panic!("expected a transient error, got {other:?}"),
        }
        assert_eq!(
            store.get(),
            saved,
            "a failed poll does not move the checkpoint"
        );
    }
    assert_eq!(waits, [2 * INTERVAL, 4 * INTERVAL]);
    let started = tokio::time::Instant::now();
    assert_eq!(take_ids(&mut stream, 2).await, sent);
    assert!(started.elapsed() >= 4 * INTERVAL);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_the_backoff_is_honoured() {
    let server = server().await;
    let mut stream = client(&server).poll_campaigns().jitter(0.0).send();
    prime(&mut stream).await;
    server.inject(
        Injection::new(Fault::TooManyRequests {
            retry_after_secs: 200,
        })
        .on(Operation::NewCampaignSent),
    );
    match next_within(&mut stream, 2 * INTERVAL).await {
        Some(Err(PollError::Transient { retry_in, .. })) => {
            assert_eq!(retry_in, Duration::from_secs(200));
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    let polls = server.count(Operation::NewCampaignSent);
    assert_quiet(&mut stream, Duration::from_secs(199)).await;
    assert_eq!(server.count(Operation::NewCampaignSent), polls);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_ends_the_stream() {
    let server = server().await;
    let mut stream = client_with_token(&server, "not-a-token")
        .poll_messages()
        .jitter(0.0)
        .send();
    match stream.next().await {
        Some(Err(error @ PollError::Fatal { .. })) => {
            assert!(matches!(
                std::error::Error::source(&error).and_then(|e| e.downcast_ref::<Error>()),
                Some(Error::Unauthenticated)
            ));
        }
        other => panic!("expected a fatal error, got {other:?}"),
    }
    assert!(stream.next().await.is_none());
    assert_eq!(server.count(Operation::NewMessageReceived), 1);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_stops_polling() {
    let server = server().await;
    let mut stream = client(&server).poll_messages().jitter(0.0).send();
    // Polls at 0, 30, 60 and 90 s.
    assert_quiet(&mut stream, Duration::from_secs(95)).await;
    assert_eq!(server.count(Operation::NewMessageReceived), 4);
    drop(stream);
    replies(&server, &["nobody listens"]);
    tokio::time::sleep(20 * INTERVAL).await;
    assert_eq!(server.count(Operation::NewMessageReceived), 4);
}

#[tokio::test(start_paused = true)]
async fn items_are_unique_across_a_long_run_with_ties() {
    let server = server().await;
    let mut stream = client(&server).poll_messages().jitter(0.0).send();
    prime(&mut stream).await;
    let mut sent = Vec::new();
    let mut delivered = Vec::new();
    for round in 0..10 {
        let texts: Vec<String> = (0..round * 7 % 40 + 1)
            .map(|n| format!("{round}/{n}"))
            .collect();
        let ids = replies(
            &server,
            &texts.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        delivered.extend(take_ids(&mut stream, ids.len()).await);
        sent.extend(ids);
    }
    assert_eq!(delivered, sent);
    assert_eq!(delivered.iter().collect::<HashSet<_>>().len(), sent.len());
}

/// A store that replicas share, in memory, with a lease of `ttl` on tokio's clock: the part of
/// a shared store the poller relies on (`PgCheckpointStore` is tested on PostgreSQL in
/// `tests/postgres.rs`).
#[derive(Clone)]
struct LeasedStore {
    shared: std::sync::Arc<std::sync::Mutex<Leases>>,
    /// This replica's name, and the fencing token of the lease it last took.
    me: &'static str,
    token: std::sync::Arc<std::sync::Mutex<Option<u64>>>,
    ttl: Duration,
}

#[derive(Default)]
struct Leases {
    checkpoint: Option<Checkpoint>,
    holder: Option<(&'static str, tokio::time::Instant)>,
    fencing_token: u64,
    unavailable: bool,
}

impl LeasedStore {
    fn replicas<const N: usize>(ttl: Duration) -> [Self; N] {
        let shared = std::sync::Arc::default();
        ["a", "b", "c", "d"][..N]
            .iter()
            .map(|me| Self {
                shared: std::sync::Arc::clone(&shared),
                me,
                token: std::sync::Arc::default(),
                ttl,
            })
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_else(|_| unreachable!())
    }

    fn leases(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.shared.lock().expect("not poisoned")
    }

    fn down() -> CheckpointError {
        CheckpointError::Unavailable {
            source: "the store is down".into(),
        }
    }
}

impl CheckpointStore for LeasedStore {
    async fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let leases = self.leases();
        if leases.unavailable {
            return Err(Self::down());
        }
        Ok(leases.checkpoint.clone())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
        let mut leases = self.leases();
        if leases.unavailable {
            return Err(Self::down());
        }
        let mine = leases.holder.is_some_and(|(holder, _)| holder == self.me)
            && *self.token.lock().expect("not poisoned") == Some(leases.fencing_token);
        if !mine {
            return Err(CheckpointError::LeaseLost);
        }
        leases.checkpoint = Some(checkpoint.clone());
        leases.holder = Some((self.me, tokio::time::Instant::now() + self.ttl));
        Ok(())
    }

    async fn lease(&self) -> Result<Lease, CheckpointError> {
        let mut leases = self.leases();
        if leases.unavailable {
            return Err(Self::down());
        }
        let now = tokio::time::Instant::now();
        match leases.holder {
            Some((holder, until)) if holder != self.me && until > now => Ok(Lease::HeldElsewhere),
            holder => {
                if holder.is_none_or(|(holder, _)| holder != self.me) {
                    leases.fencing_token += 1;
                }
                leases.holder = Some((self.me, now + self.ttl));
                *self.token.lock().expect("not poisoned") = Some(leases.fencing_token);
                Ok(Lease::Held {
                    fencing_token: leases.fencing_token,
                })
            }
        }
    }
}

/// The lease's TTL in the lease tests.
const TTL: Duration = Duration::from_secs(90);

/// Two replicas of one inbox poller over a leased store; the first holds the lease and has
/// made its first poll.
async fn two_replicas(
    server: &MockServer,
) -> (
    PollStream<qyvo::types::InboundMessage>,
    PollStream<qyvo::types::InboundMessage>,
) {
    let client = client(server);
    let [a, b] = LeasedStore::replicas(TTL);
    let mut first = client.poll_messages().jitter(0.0).store(a).send();
    let second = client.poll_messages().jitter(0.0).store(b).send();
    assert_eq!(acquired(&mut first, INTERVAL).await, 1);
    prime(&mut first).await;
    (first, second)
}

async fn acquired<T: std::fmt::Debug>(stream: &mut PollStream<T>, within: Duration) -> u64 {
    match next_within(stream, within).await {
        Some(Ok(PollEvent::LeaseAcquired { fencing_token })) => fencing_token,
        other => panic!("expected the lease, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn one_replica_polls_and_another_takes_over_from_its_checkpoint() {
    let server = server().await;
    let (mut first, mut second) = two_replicas(&server).await;
    // The second replica stands by while the first is alive: it polls nothing.
    tokio::join!(
        assert_quiet(&mut first, 5 * INTERVAL),
        assert_quiet(&mut second, 5 * INTERVAL)
    );
    let handled = replies(&server, &["one", "two", "three"]);
    assert_eq!(take_ids(&mut first, 3).await, handled);
    assert_quiet(&mut first, Duration::from_secs(1)).await;
    let polls = server.count(Operation::NewMessageReceived);
    drop(first);

    // The holder died: within its lease's TTL (and one standby interval) the second takes
    // over, from the checkpoint the first saved, and delivers only what came since.
    let unhandled = replies(&server, &["four", "five"]);
    let died = tokio::time::Instant::now();
    assert_eq!(acquired(&mut second, TTL + 2 * INTERVAL).await, 2);
    assert!(died.elapsed() <= TTL + INTERVAL, "{:?}", died.elapsed());
    assert_eq!(server.count(Operation::NewMessageReceived), polls);
    assert_eq!(take_ids(&mut second, 2).await, unhandled);
    assert_quiet(&mut second, 3 * INTERVAL).await;
}

#[tokio::test(start_paused = true)]
async fn a_replica_that_lost_its_lease_saves_nothing_and_stands_by() {
    let server = server().await;
    let (mut first, mut second) = two_replicas(&server).await;
    let slow = replies(&server, &["slow"]);
    assert_eq!(take_ids(&mut first, 1).await, slow);
    // The first replica's consumer stalls past the lease's TTL: the second takes over and,
    // since the first never saved past "slow", delivers it again (at least once).
    assert_eq!(acquired(&mut second, TTL + 2 * INTERVAL).await, 2);
    assert_eq!(take_ids(&mut second, 1).await, slow);
    // Back, the first replica's save is refused: it stands by and says so.
    assert!(matches!(
        next_within(&mut first, Duration::from_secs(1)).await,
        Some(Ok(PollEvent::LeaseLost))
    ));
    let later = replies(&server, &["later"]);
    assert_eq!(take_ids(&mut second, 1).await, later);
    tokio::join!(
        assert_quiet(&mut first, 5 * INTERVAL),
        assert_quiet(&mut second, 5 * INTERVAL)
    );
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_store_pauses_the_poller_without_ending_it() {
    let server = server().await;
    let client = client(&server);
    let [a] = LeasedStore::replicas(TTL);
    let shared = a.clone();
    let mut poller = client.poll_messages().jitter(0.0).store(a).send();
    assert_eq!(acquired(&mut poller, INTERVAL).await, 1);
    prime(&mut poller).await;
    shared.leases().unavailable = true;
    let polls = server.count(Operation::NewMessageReceived);
    let waiting = replies(&server, &["while the store is down"]);
    for _ in 0..3 {
        match next_within(&mut poller, 10 * INTERVAL).await {
            Some(Err(error @ PollError::StoreUnavailable { .. })) => assert!(!error.is_fatal()),
            other => panic!("expected the store to be unavailable, got {other:?}"),
        }
    }
    // No replica can prove it holds the lease: nothing is polled.
    assert_eq!(server.count(Operation::NewMessageReceived), polls);
    shared.leases().unavailable = false;
    assert_eq!(take_ids(&mut poller, 1).await, waiting);
}
