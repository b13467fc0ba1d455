//! Benchmark 1, client overhead: requests per second through the SDK against raw `reqwest` +
//! `serde_json` making the same calls to the same loopback server at the same concurrency.
//!
//! Run with `cargo bench -p qyvo --bench overhead`. Prints one table; with
//! `-- --instructions` it also prints the instructions per request that valgrind's callgrind
//! counts for each client (see [`instructions`]).
//!
//! The server is a minimal axum app answering canned bodies (captured once from `qyvo-mock`,
//! so they are realistic): no state, no locks, no journal, so its per-request cost is routing
//! plus a copy of a few hundred bytes, and both clients see exactly the same server. Client and
//! server share one current-thread runtime: no cross-thread wake-ups, whose cost depends on
//! scheduling luck rather than on the client, so one request costs the same CPU every time and
//! throughput is bound by the client's work plus a fixed server and kernel share (which dilutes
//! the ratio equally for every variant; `qyvo-mock` itself, with its journal and state lock,
//! would dilute it more). The raw client *is* the SDK client's `reqwest::Client` (taken from a second
//! SDK client through `ClientInfo::client`), so both use identical reqwest settings (timeouts,
//! default headers, redirect policy) and each has its own connection pool. Raw calls decode into
//! the same generated types with `serde_json`, so the difference is the SDK's own work: the
//! hooks (limiter, retry bookkeeping, tracing span, response bounding), progenitor's builder and
//! header copy.
//!
//! The machine this runs on may be shared, so wall-clock req/s drifts by tens of percent from
//! one second to the next. Two defences: rounds interleave the variants (raw, SDK without
//! limiter, SDK with limiter; the order rotates every round) and the ratios are medians of
//! per-round ratios; and next to req/s the table shows the CPU time this process (client and
//! server) spends per request, read from `/proc/self/task/*/schedstat` on Linux, which other
//! processes cannot inflate. The CPU ratio raw/SDK is the overhead figure to trust, in two
//! forms: the median of per-round ratios, and the ratio of each variant's best round (on a
//! virtual machine, stolen time still shows up as CPU time, and interference only ever adds
//! time, so the best round is the closest to a client's own cost).
//!
//! Even so, figures move by a few percent between runs on a busy host. Instruction counts do
//! not: `-- --instructions` runs each client alone under callgrind, twice, and reports the
//! difference per request (so start-up cancels out) — the same answer on every run.

use std::{
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{Router, http::header, response::IntoResponse, routing};
use qyvo::{Client, ClientBuilder, ClientInfo as _, types};
use qyvo_mock::{MockServer, Operation};

const PHONE: &str = "+14155550123";
const ROUNDS: usize = 21;
const RUN: Duration = Duration::from_millis(200);
const CONCURRENCY: [usize; 2] = [1, 16];

/// The two operations measured.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `GET /triggers/new-message-received`.
    Trigger,
    /// `POST /actions/get-contact`.
    GetContact,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Trigger => "GET new-message-received",
            Op::GetContact => "POST get-contact",
        }
    }

    async fn sdk(self, client: &Client) {
        match self {
            Op::Trigger => {
                let messages = client
                    .new_message_received()
                    .send()
                    .await
                    .expect("the trigger answers");
                assert!(!messages.is_empty());
            }
            Op::GetContact => {
                let contact = client
                    .get_contact()
                    .body_map(|b| b.phone(Some(PHONE.to_owned())))
                    .send()
                    .await
                    .expect("the contact is found");
                assert_eq!(contact.phone, PHONE);
            }
        }
    }

    async fn raw(self, http: &reqwest::Client, base: &str) {
        match self {
            Op::Trigger => {
                let response = http
                    .get(format!("{base}/triggers/new-message-received"))
                    .send()
                    .await
                    .expect("the trigger answers");
                assert!(response.status().is_success());
                let bytes = response.bytes().await.expect("the body arrives");
                let messages: Vec<types::InboundMessage> =
                    serde_json::from_slice(&bytes).expect("the body decodes");
                assert!(!messages.is_empty());
            }
            Op::GetContact => {
                let response = http
                    .post(format!("{base}/actions/get-contact"))
                    .json(&serde_json::json!({ "phone": PHONE }))
                    .send()
                    .await
                    .expect("the contact is found");
                assert!(response.status().is_success());
                let bytes = response.bytes().await.expect("the body arrives");
                let contact: types::Contact =
                    serde_json::from_slice(&bytes).expect("the body decodes");
                assert_eq!(contact.phone, PHONE);
            }
        }
    }
}

/// The clients compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Raw,
    Sdk,
    SdkLimited,
}

const VARIANTS: [Variant; 3] = [Variant::Raw, Variant::Sdk, Variant::SdkLimited];
const OPS: [Op; 2] = [Op::Trigger, Op::GetContact];

/// Canned bodies captured from the mock.
struct Bodies {
    messages: String,
    contact: String,
}

/// Captures realistic answers from `qyvo-mock`.
async fn capture() -> Bodies {
    let mock = MockServer::start().await.expect("the mock starts");
    for text in ["Hi!", "Do you ship to Canada?", "Thanks, see you"] {
        mock.contact_reply(mock.token(), PHONE, text)
            .expect("the message is recorded");
    }
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", mock.base_url());
    let token = mock.token().to_owned();
    let body = |request: reqwest::RequestBuilder| {
        let request = request.bearer_auth(&token);
        async move {
            let response = request.send().await.expect("the mock answers");
            response.text().await.expect("a body")
        }
    };
    let messages = body(http.get(url("/triggers/new-message-received"))).await;
    let contact = body(
        http.post(url("/actions/get-contact"))
            .json(&serde_json::json!({ "phone": PHONE })),
    )
    .await;
    assert_eq!(mock.count(Operation::GetContact), 1);
    Bodies { messages, contact }
}

/// Starts the canned server as a task of the current runtime; returns its base URL.
async fn serve(bodies: Bodies) -> String {
    let answer = |body: String| {
        move || async move {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (
                        header::HeaderName::from_static("x-ratelimit-limit"),
                        "1000000",
                    ),
                    (
                        header::HeaderName::from_static("x-ratelimit-remaining"),
                        "999999",
                    ),
                ],
                body,
            )
                .into_response()
        }
    };
    let app = Router::new()
        .route(
            "/api/v1/triggers/new-message-received",
            routing::get(answer(bodies.messages)),
        )
        .route(
            "/api/v1/actions/get-contact",
            routing::post(answer(bodies.contact)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("the server runs") });
    format!("http://{addr}/api/v1")
}

fn sdk_client(base: &str, limited: bool) -> Client {
    let builder = ClientBuilder::new("bench-token").base_url(base);
    let builder = if limited {
        builder.rate_limit(1_000_000, Duration::from_secs(1))
    } else {
        builder.without_rate_limiter()
    };
    builder.build().expect("a loopback client builds")
}

/// CPU time used so far by every thread of this process (Linux), in nanoseconds.
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// One measurement: requests per second and CPU nanoseconds per request.
#[derive(Clone, Copy)]
struct Sample {
    rps: f64,
    cpu_ns: Option<f64>,
}

/// Measures `variant` running `op` from `concurrency` tasks for [`RUN`].
async fn measure(variant: Variant, op: Op, concurrency: usize, base: &str) -> Sample {
    // A fresh client per run: same pool state (cold, then warmed below) for every variant.
    let client = Arc::new(sdk_client(base, variant == Variant::SdkLimited));
    let raw = client.client().clone();
    let call = {
        let base = base.to_owned();
        move |client: Arc<Client>, raw: reqwest::Client| {
            let base = base.clone();
            async move {
                match variant {
                    Variant::Raw => op.raw(&raw, &base).await,
                    Variant::Sdk | Variant::SdkLimited => op.sdk(&client).await,
                }
            }
        }
    };
    // Warm the pool: one connection per task.
    let warm: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(call(client.clone(), raw.clone())))
        .collect();
    for task in warm {
        task.await.expect("warm-up");
    }
    let cpu_before = process_cpu_ns();
    let started = Instant::now();
    let deadline = started + RUN;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, raw, call) = (client.clone(), raw.clone(), call.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    call(client.clone(), raw.clone()).await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0u64;
    for worker in workers {
        total += worker.await.expect("a worker");
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu_ns()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Sample {
        rps: total as f64 / elapsed.as_secs_f64(),
        cpu_ns: cpu.map(|ns| ns as f64 / total as f64),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn best(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::INFINITY, f64::min)
}

/// Sends `n` requests of `op`, one at a time, through `variant` (the callgrind subject).
async fn sequential(variant: Variant, op: Op, n: usize, base: &str) {
    let client = sdk_client(base, variant == Variant::SdkLimited);
    for _ in 0..n {
        match variant {
            Variant::Raw => op.raw(client.client(), base).await,
            Variant::Sdk | Variant::SdkLimited => op.sdk(&client).await,
        }
    }
}

/// Instructions per request of each client, counted by callgrind.
///
/// Each (operation, client) pair runs in a child process under `valgrind --tool=callgrind`
/// twice, with [`FEW`] and [`MANY`] sequential requests; the difference of the two totals over
/// `MANY - FEW` is the cost of one request (client, server and runtime in this process; the
/// kernel is not counted), with start-up and warm-up cancelled out. Deterministic: the same
/// binary gives the same counts however busy the machine is.
fn instructions() {
    const FEW: usize = 500;
    const MANY: usize = 1500;
    let Ok(me) = std::env::current_exe() else {
        println!("instructions: cannot find this benchmark's executable");
        return;
    };
    let count = |variant: Variant, op: Op, n: usize| -> Option<u64> {
        let out = std::env::temp_dir().join(format!(
            "qyvo-overhead-{}-{variant:?}-{op:?}-{n}.callgrind",
            std::process::id()
        ));
        let status = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(&me)
            .args([
                "--count",
                &format!("{variant:?}"),
                &format!("{op:?}"),
                &n.to_string(),
            ])
            .output()
            .ok()?
            .status;
        let profile = std::fs::read_to_string(&out).ok();
        let _ = std::fs::remove_file(&out);
        let total = profile?
            .lines()
            .find_map(|line| {
                line.strip_prefix("totals:")
                    .or(line.strip_prefix("summary:"))
            })?
            .trim()
            .parse()
            .ok()?;
        status.success().then_some(total)
    };
    println!(
        "\ninstructions per request (callgrind; client + server + runtime, {} requests)",
        MANY - FEW
    );
    println!(
        "{:<26} | {:>8} {:>8} {:>8} | {:>7} {:>7}",
        "operation", "raw", "sdk", "lim", "sdk", "lim"
    );
    for op in OPS {
        let per_request = VARIANTS.map(|variant| {
            let (few, many) = (count(variant, op, FEW)?, count(variant, op, MANY)?);
            Some(many.checked_sub(few)? as f64 / (MANY - FEW) as f64)
        });
        let [Some(raw), Some(sdk), Some(lim)] = per_request else {
            println!("{:<26} | valgrind is not available or failed", op.name());
            continue;
        };
        println!(
            "{:<26} | {raw:>8.0} {sdk:>8.0} {lim:>8.0} | {:>6.3}x {:>6.3}x",
            op.name(),
            raw / sdk,
            raw / lim
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, variant, op, n] = args.as_slice()
        && flag == "--count"
    {
        let variant = VARIANTS
            .into_iter()
            .find(|v| format!("{v:?}") == *variant)
            .expect("a variant");
        let op = OPS
            .into_iter()
            .find(|o| format!("{o:?}") == *op)
            .expect("an operation");
        let n = n.parse().expect("a request count");
        runtime.block_on(async {
            let base = serve(capture().await).await;
            sequential(variant, op, n, &base).await;
        });
        return;
    }
    let base = runtime.block_on(async { serve(capture().await).await });
    println!(
        "client overhead: {ROUNDS} interleaved rounds of {} ms per cell; req/s and CPU µs per \
         request (client + server) are medians; rps and cpu are medians of per-round ratios, \
         best is the ratio of each variant's best round",
        RUN.as_millis()
    );
    println!(
        "{:<26} {:>4} | {:>8} {:>8} {:>8} | {:>6} {:>6} {:>6} | {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7}",
        "operation",
        "conc",
        "raw/s",
        "sdk/s",
        "lim/s",
        "raw µs",
        "sdk µs",
        "lim µs",
        "sdk rps",
        "cpu",
        "best",
        "lim rps",
        "cpu",
        "best"
    );
    let variants = VARIANTS;
    for op in OPS {
        for concurrency in CONCURRENCY {
            let mut samples: [Vec<Sample>; 3] = Default::default();
            for round in 0..ROUNDS {
                for k in 0..variants.len() {
                    let i = (round + k) % variants.len();
                    samples[i].push(runtime.block_on(measure(variants[i], op, concurrency, &base)));
                }
            }
            let [raw, sdk, lim] = &samples;
            let rps = |s: &[Sample]| median(s.iter().map(|s| s.rps).collect());
            // CPU µs per request of every round, if this platform measures it.
            let cpu_us = |s: &[Sample]| {
                s.iter()
                    .map(|s| s.cpu_ns.map(|ns| ns / 1000.0))
                    .collect::<Option<Vec<_>>>()
            };
            let rps_ratio =
                |s: &[Sample]| median(s.iter().zip(raw).map(|(s, r)| s.rps / r.rps).collect());
            // Efficiency: raw CPU per request over SDK CPU per request (1.0 = no overhead).
            let cpu_ratio = |s: &[Sample]| {
                s.iter()
                    .zip(raw)
                    .map(|(s, r)| Some(r.cpu_ns? / s.cpu_ns?))
                    .collect::<Option<Vec<_>>>()
                    .map(median)
            };
            // The same from each variant's best round.
            let least = |s: &[Sample]| cpu_us(s).map(|us| best(us.into_iter()));
            let best_ratio = |s: &[Sample]| Some(least(raw)? / least(s)?);
            let show = |v: Option<f64>, digits: usize| {
                v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
            };
            println!(
                "{:<26} {:>4} | {:>8.0} {:>8.0} {:>8.0} | {:>6} {:>6} {:>6} | {:>6.3}x {:>6}x {:>6}x | {:>6.3}x {:>6}x {:>6}x",
                op.name(),
                concurrency,
                rps(raw),
                rps(sdk),
                rps(lim),
                show(cpu_us(raw).map(median), 1),
                show(cpu_us(sdk).map(median), 1),
                show(cpu_us(lim).map(median), 1),
                rps_ratio(sdk),
                show(cpu_ratio(sdk), 3),
                show(best_ratio(sdk), 3),
                rps_ratio(lim),
                show(cpu_ratio(lim), 3),
                show(best_ratio(lim), 3),
            );
        }
    }
    if args.iter().any(|arg| arg == "--instructions") {
        instructions();
    }
}
