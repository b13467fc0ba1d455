//! Many workers, one token: separate OS processes sharing a quota through Redis, poller
//! replicas sharing a checkpoint and its lease through PostgreSQL, campaign workers splitting
//! recipients through PostgreSQL, killed with SIGKILL at random, and Redis or PostgreSQL going
//! down mid-run.
//!
//! Processes, not tasks: this binary runs itself as each worker (`QYVO_WORKER` names the
//! role), against a local Qyvo server, Redis and PostgreSQL that live in the parent and so
//! survive every kill. It has its own `main` (no libtest harness) because a worker must run
//! its role and nothing else; the trials run one at a time, since they measure time.
//!
//! Each trial prints its figures (quota used, 429s, takeover time, unknown outcomes).

#![allow(
    clippy::unwrap_used,
    reason = "a test: a failed unwrap is a failed assertion"
)]

#[path = "../examples/workers/app.rs"]
mod app;
#[path = "support/recipients.rs"]
mod recipients;
#[path = "support/servers.rs"]
mod servers;

use std::{
    collections::{BTreeMap, HashMap},
    io::{BufRead as _, BufReader, Write as _},
    process::{Child, ChildStdin, Command, ExitCode, Stdio},
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use futures_util::{StreamExt as _, stream};
use libtest_mimic::{Failed, Trial};
use qyvo::{
    campaign::{CampaignReport, Campaigns, NewCampaign},
    postgres::Postgres,
    prelude::*,
    ratelimit::RedisRateLimiter,
};
use qyvo_mock::{MockServer, Operation, seed};
use qyvo_test_tools::{Gated, Tool};
use recipients::order_shipped;
use tokio::runtime::Runtime;

/// The role this process plays when it is a worker.
const ROLE: &str = "QYVO_WORKER";

/// The scaled quota the server enforces in the quota trials: 120 per rolling 2 s.
const LIMIT: u32 = 120;
const WINDOW: Duration = Duration::from_secs(2);

/// The pollers' interval and lease.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
const LEASE_TTL: Duration = Duration::from_secs(1);

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"))
}

fn main() -> ExitCode {
    if let Ok(role) = std::env::var(ROLE) {
        return worker(&role);
    }
    let mut args = libtest_mimic::Arguments::from_args();
    args.test_threads = Some(1);
    let postgres = Arc::new(OnceLock::new());
    let trials = vec![
        qyvo_test_tools::test(
            "four_processes_share_one_quota_through_redis",
            REDIS,
            shared_quota,
        ),
        qyvo_test_tools::test(
            "four_processes_with_in_process_limiters_overrun_it",
            &[],
            in_process_quota,
        ),
        qyvo_test_tools::test(
            "redis_down_mid_run_falls_back_without_stopping",
            REDIS,
            redis_down,
        ),
        trial_with(
            &postgres,
            "three_poller_replicas_deliver_each_message_once_across_a_kill",
            pollers,
        ),
        trial_with(
            &postgres,
            "three_campaign_workers_killed_at_random_never_send_twice",
            campaign_kills,
        ),
        qyvo_test_tools::test(
            "postgres_down_mid_campaign_stops_workers_and_resumes",
            POSTGRES,
            postgres_down,
        ),
    ];
    let exit = qyvo_test_tools::run_with(args, trials);
    drop(postgres);
    exit
}

/// The server a trial starts: Redis for the shared limiter's, PostgreSQL for the pollers' and
/// campaigns'.
const REDIS: &[Tool] = &[Tool::Redis];
const POSTGRES: &[Tool] = &[Tool::Postgres];

/// A trial on the PostgreSQL server the trials share (started by the first that needs it).
fn trial_with(
    postgres: &Arc<OnceLock<servers::Postgres>>,
    name: &'static str,
    test: fn(&servers::Postgres),
) -> Gated {
    let postgres = Arc::clone(postgres);
    let trial = Trial::test(name, move || {
        test(postgres.get_or_init(servers::Postgres::start));
        Ok::<(), Failed>(())
    });
    qyvo_test_tools::test_trial(trial, POSTGRES)
}

// ---------------------------------------------------------------------------------------------
// Workers: this binary, run again with `QYVO_WORKER` set.

fn worker(role: &str) -> ExitCode {
    // Warnings (the Redis fallback's) go to stderr, which the parent reads.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        match role {
            "quota" => quota_worker().await,
            "poller" => poller_worker().await,
            "campaign" => campaign_worker().await,
            other => panic!("unknown role {other}"),
        }
    })
}

fn client_builder() -> ClientBuilder {
    ClientBuilder::new(var("QYVO_W_TOKEN")).base_url(var("QYVO_W_BASE_URL"))
}

/// Sends `QYVO_W_COUNT` requests, eight at a time, once the parent says go.
async fn quota_worker() -> ExitCode {
    let mut builder = client_builder().rate_limit(LIMIT, WINDOW);
    if let Ok(redis) = std::env::var("QYVO_W_REDIS") {
        // A second for Redis to answer: the machine running the tests is busy, and this run
        // measures Redis, not the fallback (which `redis_down` does).
        let redis = RedisRateLimiter::open(&redis)
            .unwrap()
            .timeout(Duration::from_secs(1));
        builder = builder.rate_limiter(redis);
    }
    let client = builder.build().unwrap();
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let count: usize = var("QYVO_W_COUNT").parse().unwrap();
    let results: Vec<_> = stream::iter(0..count)
        .map(|_| client.me().send())
        .buffer_unordered(8)
        .collect()
        .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!("done ok={ok} failed={}", count - ok);
    ExitCode::SUCCESS
}

/// The example's inbox replica: prints every event, its checkpoint shared through PostgreSQL.
async fn poller_worker() -> ExitCode {
    let postgres = Postgres::new(&var("QYVO_W_POSTGRES")).unwrap();
    let client = client_builder().build().unwrap();
    match app::poll_inbox(&client, postgres, POLL_INTERVAL, LEASE_TTL).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            println!("fatal {error}");
            ExitCode::FAILURE
        }
    }
}

/// The example's campaign worker: runs the campaign `QYVO_W_CAMPAIGN` with four lanes until
/// nothing is left to claim.
async fn campaign_worker() -> ExitCode {
    let postgres = Postgres::new(&var("QYVO_W_POSTGRES")).unwrap();
    let client = client_builder().build().unwrap();
    match app::send_campaign(&client, postgres, &var("QYVO_W_CAMPAIGN")).await {
        Ok(report) => println!("done {report:?}"),
        Err(error) => println!("error {error} transient={}", error.is_transient()),
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------
// The parent's side: workers as child processes.

/// What a worker printed, with when the parent read it.
type Lines = Arc<Mutex<Vec<(Instant, String)>>>;

/// A worker process, its output read by threads of the parent.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines,
    stderr: Lines,
}

impl Worker {
    fn spawn(role: &str, env: &[(&str, String)]) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(ROLE, role)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let read = |pipe: Box<dyn std::io::Read + Send>| {
            let lines = Lines::default();
            let sink = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push((Instant::now(), line));
                }
            });
            lines
        };
        Self {
            stdin: child.stdin.take(),
            stdout: read(Box::new(child.stdout.take().unwrap())),
            stderr: read(Box::new(child.stderr.take().unwrap())),
            child,
        }
    }

    fn lines(&self) -> Vec<(Instant, String)> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        let lines = self.stderr.lock().unwrap();
        lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    /// The first line starting with `prefix`, waiting up to `within` for it.
    fn wait_for(&self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some((_, line)) = self
                .lines()
                .into_iter()
                .find(|(_, l)| l.starts_with(prefix))
            {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no {prefix:?} from the worker within {within:?}: {:?}\n{}",
                self.lines(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn mock(runtime: &Runtime, limit: u32, window: Duration) -> MockServer {
    runtime.block_on(async {
        MockServer::builder()
            .rate_limit(limit, window)
            .start()
            .await
            .unwrap()
    })
}

fn server_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("QYVO_W_BASE_URL", server.base_url()),
        ("QYVO_W_TOKEN", server.token().to_owned()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared quota.

/// What a quota run measured on the server.
#[derive(Debug)]
struct Quota {
    accepted: usize,
    refused: usize,
    failed: usize,
    /// How fully the requests after the first window used the quota: one window divided by
    /// the mean time between each and the request `LIMIT` before it.
    utilisation: f64,
    elapsed: Duration,
}

/// Four quota workers sending `each` requests; `during` runs while they do.
fn quota_run(
    server: &MockServer,
    redis: Option<&str>,
    each: usize,
    during: impl FnOnce(),
) -> (Quota, Vec<Worker>) {
    let mut env = server_env(server);
    env.push(("QYVO_W_COUNT", each.to_string()));
    if let Some(redis) = redis {
        env.push(("QYVO_W_REDIS", redis.to_owned()));
    }
    let mut workers: Vec<_> = (0..4).map(|_| Worker::spawn("quota", &env)).collect();
    for worker in &workers {
        worker.wait_for("ready", Duration::from_secs(30));
    }
    let start = Instant::now();
    for worker in &mut workers {
        worker.say("go");
    }
    during();
    let failed = workers
        .iter()
        .map(|w| {
            let done = w.wait_for("done", Duration::from_secs(90));
            done.rsplit("failed=")
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    let elapsed = start.elapsed();
    let journal: Vec<_> = server
        .journal()
        .into_iter()
        .filter(|e| e.operation == Some(Operation::Me))
        .collect();
    let accepted: Vec<_> = journal
        .iter()
        .filter(|e| e.status == Some(200))
        .map(|e| e.at)
        .collect();
    let refused = journal.iter().filter(|e| e.status == Some(429)).count();
    // In a rolling window, request `i` may come one window after request `i - LIMIT` at the
    // earliest: the quota is fully used when each comes exactly then.
    let mut times = accepted.clone();
    times.sort();
    let limit = LIMIT as usize;
    let waits: Vec<f64> = (limit..times.len())
        .map(|i| {
            (times[i] - times[i - limit])
                .to_std()
                .unwrap()
                .as_secs_f64()
        })
        .collect();
    let mean_wait = waits.iter().sum::<f64>() / waits.len() as f64;
    let quota = Quota {
        accepted: accepted.len(),
        refused,
        failed,
        utilisation: WINDOW.as_secs_f64() / mean_wait,
        elapsed,
    };
    (quota, workers)
}

fn shared_quota() {
    let redis = servers::Redis::start();
    let runtime = Runtime::new().unwrap();
    let server = mock(&runtime, LIMIT, WINDOW);
    let (quota, workers) = quota_run(&server, Some(&redis.url()), 150, || {});
    for worker in &workers {
        let stderr = worker.stderr();
        assert!(
            !stderr.contains("unreachable"),
            "redis was used throughout: {stderr}"
        );
    }
    println!(
        "shared limiter on redis: 4 processes, {} requests accepted in {:.1} s, {} refused \
         (429), {} failed, {:.1}% of the quota used after the first window",
        quota.accepted,
        quota.elapsed.as_secs_f64(),
        quota.refused,
        quota.failed,
        quota.utilisation * 100.0
    );
    assert_eq!(quota.refused, 0, "no 429: {quota:?}");
    assert_eq!((quota.accepted, quota.failed), (600, 0), "{quota:?}");
    assert!(quota.utilisation >= 0.98, "{quota:?}");
    assert!(quota.utilisation <= 1.0, "{quota:?}");
}

fn in_process_quota() {
    let runtime = Runtime::new().unwrap();
    let server = mock(&runtime, LIMIT, WINDOW);
    let (quota, _) = quota_run(&server, None, 150, || {});
    println!(
        "in-process limiters: 4 processes, {} requests accepted in {:.1} s, {} refused (429), \
         {} failed after their retries, {:.1}% of the quota used after the first window",
        quota.accepted,
        quota.elapsed.as_secs_f64(),
        quota.refused,
        quota.failed,
        quota.utilisation * 100.0
    );
    // Each process keeps to the quota alone, and together they overrun it until the quota
    // headers of the answers tell each what the others sent.
    assert!(quota.refused > 0, "{quota:?}");
}

fn redis_down() {
    let mut redis = servers::Redis::start();
    let runtime = Runtime::new().unwrap();
    let server = mock(&runtime, LIMIT, WINDOW);
    let url = redis.url();
    let mut killed_at = None;
    let (quota, workers) = quota_run(&server, Some(&url), 150, || {
        std::thread::sleep(WINDOW + WINDOW / 4);
        redis.kill();
        killed_at = Some(chrono::Utc::now());
    });
    let killed_at = killed_at.unwrap();
    let after = server
        .journal()
        .iter()
        .filter(|e| e.status == Some(200) && e.at > killed_at)
        .count();
    let outage = (chrono::Utc::now() - killed_at).to_std().unwrap();
    println!(
        "redis killed mid-run: 4 processes sent all {} requests ({} failed), {} refused (429); \
         {after} accepted in the {:.1} s after the kill ({:.0}% of the quota per window: each \
         process at most its fallback quarter, less while the quota headers show the token \
         busy)",
        quota.accepted,
        quota.failed,
        quota.refused,
        outage.as_secs_f64(),
        after as f64 / outage.as_secs_f64() * WINDOW.as_secs_f64() / f64::from(LIMIT) * 100.0
    );
    assert_eq!((quota.accepted, quota.failed), (600, 0), "{quota:?}");
    for worker in &workers {
        let stderr = worker.stderr();
        assert_eq!(
            stderr.matches("redis is unreachable").count(),
            1,
            "one warning per process: {stderr}"
        );
    }
    assert!(quota.refused <= 8, "{quota:?}");
}

// ---------------------------------------------------------------------------------------------
// Poller replicas.

/// A migrated database of its own on `server`.
fn database(server: &servers::Postgres, runtime: &Runtime, name: &str) -> (Postgres, String) {
    server.create_database(name);
    let config = server.config(name);
    let postgres = Postgres::new(&config).unwrap();
    runtime.block_on(postgres.migrate()).unwrap();
    (postgres, config)
}

fn pollers(postgres: &servers::Postgres) {
    const BURSTS: usize = 50;
    const BURST: usize = 20;
    let runtime = Runtime::new().unwrap();
    let (_, config) = database(postgres, &runtime, "pollers");
    let server = mock(&runtime, 1_000_000, Duration::from_secs(60));
    let mut env = server_env(&server);
    env.push(("QYVO_W_POSTGRES", config));
    let mut replicas: Vec<_> = (0..3).map(|_| Worker::spawn("poller", &env)).collect();
    // Wait until one replica holds the lease and has made its first poll.
    servers::wait_until(
        "no replica took the lease",
        Duration::from_secs(30),
        || {
            replicas
                .iter()
                .any(|r| r.lines().iter().any(|(_, l)| l.starts_with("lease")))
        },
        String::new,
    );
    std::thread::sleep(5 * POLL_INTERVAL);

    let mut sent = Vec::new();
    let mut killed = None;
    for burst in 0..BURSTS {
        for i in 0..BURST {
            let phone = format!("+1415555{:04}", i % 7);
            sent.push(
                server
                    .contact_reply(server.token(), &phone, &format!("message {burst}-{i}"))
                    .unwrap(),
            );
        }
        if burst == BURSTS / 2 {
            let holder = holder(&replicas);
            replicas[holder].kill();
            killed = Some((holder, Instant::now()));
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    let (killed, killed_at) = killed.unwrap();

    // Every message reaches some replica.
    let deadline = Instant::now() + Duration::from_secs(20);
    let deliveries = loop {
        let deliveries = deliveries(&replicas);
        if sent.iter().all(|id| deliveries.contains_key(id)) || Instant::now() > deadline {
            break deliveries;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for replica in &mut replicas {
        replica.kill();
    }
    let lost: Vec<_> = sent
        .iter()
        .filter(|id| !deliveries.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "{} messages never delivered", lost.len());
    assert_eq!(deliveries.len(), sent.len(), "nothing else was delivered");
    // A message delivered twice was first delivered by the replica that was killed after it
    // delivered it and before it saved the checkpoint past it (at least once); no two live
    // replicas ever delivered the same message.
    let repeated: Vec<_> = deliveries.values().filter(|by| by.len() > 1).collect();
    for by in &repeated {
        assert!(by.contains(&killed), "delivered by {by:?}");
        assert_eq!(by.len(), 2, "delivered by {by:?}");
    }
    let takeover = replicas
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != killed)
        .flat_map(|(_, r)| r.lines())
        .filter(|(at, l)| l.starts_with("lease") && *at > killed_at)
        .map(|(at, _)| at - killed_at)
        .min()
        .expect("another replica took over");
    let gaps = replicas
        .iter()
        .flat_map(Worker::lines)
        .filter(|(_, l)| l == "gap" || l.starts_with("error") || l.starts_with("fatal"))
        .count();
    println!(
        "3 poller replicas: {} messages in bursts of {BURST}, each delivered by one replica; \
         the lease holder killed mid-stream, another took over {} ms later (lease TTL {} ms, \
         interval {} ms); {} delivered again after the kill, 0 lost",
        sent.len(),
        takeover.as_millis(),
        LEASE_TTL.as_millis(),
        POLL_INTERVAL.as_millis(),
        repeated.len()
    );
    assert_eq!(gaps, 0, "no gap nor error");
    assert!(takeover <= LEASE_TTL + POLL_INTERVAL + Duration::from_millis(500));
}

/// The replica that took the lease last and has not lost it since.
fn holder(replicas: &[Worker]) -> usize {
    replicas
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let lines = r.lines();
            let last = lines
                .iter()
                .rev()
                .find(|(_, l)| l.starts_with("lease") || l == "lost")?;
            last.1.starts_with("lease").then_some((last.0, i))
        })
        .max()
        .expect("a replica holds the lease")
        .1
}

/// Which replicas delivered each message id.
fn deliveries(replicas: &[Worker]) -> HashMap<String, Vec<usize>> {
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, replica) in replicas.iter().enumerate() {
        for (_, line) in replica.lines() {
            if let Some(id) = line.strip_prefix("item ") {
                by_id.entry(id.to_owned()).or_default().push(index);
            }
        }
    }
    by_id
}

// ---------------------------------------------------------------------------------------------
// Campaign workers.

fn phone(index: usize) -> String {
    format!("+33142{:06}", 780_000 + index)
}

fn create_campaign(runtime: &Runtime, postgres: Postgres, id: &str, count: usize) {
    let recipients = (0..count).map(|i| order_shipped(phone(i)));
    let created = runtime.block_on(Campaigns::new(postgres).create(NewCampaign::new(
        id,
        seed::ORDER_SHIPPED_TEMPLATE_ID,
        recipients,
    )));
    assert!(created.unwrap());
}

/// Checks the end state: nobody messaged twice, every recipient sent or unknown (messaged at
/// most once), nothing left to do. Returns the report.
fn settled(runtime: &Runtime, server: &MockServer, postgres: Postgres, id: &str) -> CampaignReport {
    let report = runtime
        .block_on(Campaigns::new(postgres.clone()).report(id))
        .unwrap();
    let rows: BTreeMap<String, String> = runtime.block_on(async {
        let client = postgres.connect().await.unwrap();
        client
            .query(
                "SELECT phone, status FROM qyvo_campaign_recipients WHERE campaign_id = $1",
                &[&id],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    });
    assert_eq!(rows.len() as u64, report.total);
    for (phone, status) in &rows {
        let received = server
            .outbound_messages(server.token(), phone)
            .unwrap()
            .len();
        match status.as_str() {
            "sent" => assert_eq!(received, 1, "{phone}"),
            "sending" | "unknown" => assert!(received <= 1, "{phone} received {received}"),
            other => panic!("a recipient ended {other}"),
        }
    }
    assert!(report.is_done(), "{report:?}");
    report
}

fn campaign_kills(postgres: &servers::Postgres) {
    const RECIPIENTS: usize = 1_000;
    const KILLS: usize = 8;
    let runtime = Runtime::new().unwrap();
    let (database, config) = database(postgres, &runtime, "campaign_kills");
    create_campaign(&runtime, database.clone(), "kills", RECIPIENTS);
    let server = mock(&runtime, 1_000_000, Duration::from_secs(60));
    let mut env = server_env(&server);
    env.push(("QYVO_W_POSTGRES", config));
    env.push(("QYVO_W_CAMPAIGN", "kills".to_owned()));
    let mut workers: Vec<_> = (0..3).map(|_| Worker::spawn("campaign", &env)).collect();
    let mut rng = fastrand::Rng::with_seed(14);
    let started = Instant::now();
    let mut kills = 0;
    for _ in 0..KILLS {
        // A real process is killed at a real moment: no clock to pause here.
        std::thread::sleep(Duration::from_millis(rng.u64(100..500)));
        let victim = rng.usize(0..workers.len());
        if workers[victim].running() {
            workers[victim].kill();
            kills += 1;
        }
        workers[victim] = Worker::spawn("campaign", &env);
    }
    for worker in &workers {
        let done = worker.wait_for("done", Duration::from_secs(90));
        assert!(done.starts_with("done"), "{done}");
    }
    let elapsed = started.elapsed();
    let report = settled(&runtime, &server, database, "kills");
    assert_eq!(report.total, RECIPIENTS as u64);
    assert_eq!(report.rejected, 0);
    println!(
        "campaign: 3 workers, {RECIPIENTS} recipients, {kills} SIGKILLs (each worker restarted), \
         {:.1} s: {} sent once, {} unknown (sending when a worker died: never sent again), 0 \
         messaged twice",
        elapsed.as_secs_f64(),
        report.sent,
        report.sending + report.unknown
    );
}

fn postgres_down() {
    const RECIPIENTS: usize = 600;
    let mut postgres = servers::Postgres::start();
    let runtime = Runtime::new().unwrap();
    let (database, config) = database(&postgres, &runtime, "down");
    create_campaign(&runtime, database.clone(), "down", RECIPIENTS);
    let server = mock(&runtime, 1_000_000, Duration::from_secs(60));
    let mut env = server_env(&server);
    env.push(("QYVO_W_POSTGRES", config));
    env.push(("QYVO_W_CAMPAIGN", "down".to_owned()));
    let workers: Vec<_> = (0..3).map(|_| Worker::spawn("campaign", &env)).collect();
    // Let them get going, then crash PostgreSQL under them.
    servers::wait_until(
        "the workers did not send 100 messages",
        Duration::from_secs(30),
        || server.count(Operation::SendTemplateMessage) >= 100,
        || workers.iter().map(Worker::stderr).collect(),
    );
    let crashed_at = Instant::now();
    postgres.crash();
    let sent_before = server.count(Operation::SendTemplateMessage);
    let mut stopped = Duration::ZERO;
    for worker in &workers {
        let end = worker.wait_for("", Duration::from_secs(30));
        assert!(
            end.starts_with("error the campaign database failed transient=true"),
            "{end}"
        );
        let (at, _) = worker.lines()[0].clone();
        stopped = stopped.max(at.saturating_duration_since(crashed_at));
    }
    // A worker that cannot write an intent sends nothing more.
    std::thread::sleep(Duration::from_millis(200));
    let sent_while_down = server.count(Operation::SendTemplateMessage) - sent_before;
    postgres.restart();
    let resumed = Worker::spawn("campaign", &env);
    let done = resumed.wait_for("", Duration::from_secs(60));
    assert!(done.starts_with("done"), "{done}");
    let report = settled(&runtime, &server, database, "down");
    println!(
        "postgres crashed mid-campaign after {sent_before} sends: all 3 workers stopped within \
         {} ms with a transient database error, {sent_while_down} sends finished after the \
         crash (already under way); after a restart one worker resumed: {} sent, {} unknown, \
         0 messaged twice",
        stopped.as_millis(),
        report.sent,
        report.sending + report.unknown
    );
    assert!(stopped < Duration::from_secs(10));
    assert!(sent_while_down <= 3 * 4, "at most the sends under way");
}
