//! Scaling of the public parsers: each must take time linear in its input.
//!
//! Every parser that reads caller- or server-supplied text runs on inputs of 10 KB, 100 KB and
//! 1 MB: phone parsing and [`mask`], placeholder extraction, [`Placeholders::check`] and
//! [`Placeholders::unexpected`], [`Variables`] from JSON, [`Tags`] from CSV and
//! [`Tags::extend`], the `X-Qyvo-Signature` header and the webhook secret. Criterion reports
//! bytes per second, which stays flat across the three sizes for a linear parser.
//!
//! After criterion, a scaling check times each parser alone at 10 KB and 100 KB (the best of a
//! few rounds, so a busy machine only adds noise the best round filters out) and panics when
//! the cost per byte grows more than [`MAX_GROWTH`]-fold: linear code stays near 1×, a
//! quadratic parser grows about 10×.
//!
//! Run with `cargo bench -p qyvo --bench parsers`; a criterion filter such as
//! `-- '/(10|100)KB'` leaves out the 1 MB inputs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use qyvo::phone::mask;
use qyvo::webhook::{SignatureHeader, WebhookSecret};
use qyvo::{
    contact::{Tag, Tags},
    phone::PhoneNumber,
    template::{Placeholders, Variables},
};

/// Input sizes, in bytes, with their labels.
const SIZES: [(&str, usize); 3] = [("10KB", 10_000), ("100KB", 100_000), ("1MB", 1_000_000)];

/// Largest accepted growth of the cost per byte from 10 KB to 100 KB.
const MAX_GROWTH: f64 = 3.0;

/// A prepared run of one parser over one input, returning something to keep it alive.
type Work = Box<dyn FnMut() -> usize>;

/// One parser: its name and how to prepare a run over an input of about `bytes` bytes; the
/// preparation returns the exact input size with the work.
struct Parser {
    name: &'static str,
    prepare: fn(usize) -> (usize, Work),
}

/// `item(0) item(1) …` concatenated until at least `bytes` long.
fn repeated(bytes: usize, item: impl Fn(usize) -> String) -> String {
    let mut text = String::with_capacity(bytes + 64);
    for index in 0.. {
        if text.len() >= bytes {
            break;
        }
        text.push_str(&item(index));
    }
    text
}

/// A number-shaped string: `+1` and groups of digits, every character accepted by the parser.
fn number_shaped(bytes: usize) -> String {
    format!("+1{}", repeated(bytes, |_| " 415 555 0123".to_owned()))
}

/// A template body of distinct placeholders.
fn body(bytes: usize) -> String {
    repeated(bytes, |i| format!("Hi {{{{name_{i}}}}}, "))
}

/// A comma-separated list of distinct tags.
fn csv(bytes: usize) -> String {
    repeated(bytes, |i| format!("tag-{i}, "))
}

/// Placeholders and variables of about `bytes` bytes together, no key matching a placeholder:
/// every placeholder is missing and every key unexpected.
fn mismatched(bytes: usize) -> (usize, Placeholders, Variables) {
    let body = body(bytes / 2);
    let pairs = repeated(bytes / 2, |i| format!("key_{i}=value "));
    let variables = pairs
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .collect();
    (
        body.len() + pairs.len(),
        Placeholders::from_body(&body),
        variables,
    )
}

/// Work that runs `parse` over `text`, with the size of `text`.
fn over(text: String, parse: fn(&str) -> usize) -> (usize, Work) {
    (text.len(), Box::new(move || parse(black_box(&text))))
}

const PARSERS: &[Parser] = &[
    Parser {
        name: "phone_parse",
        // Every character is read before the trailing `*` is refused.
        prepare: |bytes| {
            over(format!("{}*", number_shaped(bytes)), |text| {
                usize::from(text.parse::<PhoneNumber>().is_ok())
            })
        },
    },
    Parser {
        name: "phone_mask",
        prepare: |bytes| over(number_shaped(bytes), |text| mask(text).len()),
    },
    Parser {
        name: "placeholders_from_body",
        prepare: |bytes| over(body(bytes), |text| Placeholders::from_body(text).len()),
    },
    Parser {
        name: "placeholders_check",
        prepare: |bytes| {
            let (size, placeholders, variables) = mismatched(bytes);
            let work = move || {
                let err = black_box(&placeholders)
                    .check(black_box(&variables))
                    .expect_err("every placeholder is missing");
                err.missing.len() + err.unexpected.len()
            };
            (size, Box::new(work))
        },
    },
    Parser {
        name: "placeholders_unexpected",
        prepare: |bytes| {
            let (size, placeholders, variables) = mismatched(bytes);
            let work = move || {
                black_box(&placeholders)
                    .unexpected(black_box(&variables))
                    .len()
            };
            (size, Box::new(work))
        },
    },
    Parser {
        name: "variables_from_json",
        prepare: |bytes| {
            let pairs = repeated(bytes, |i| format!("\"key_{i}\":\"value\","));
            over(format!("{{{pairs}\"last\":\"value\"}}"), |text| {
                serde_json::from_str::<Variables>(text)
                    .expect("an object of strings")
                    .len()
            })
        },
    },
    Parser {
        name: "tags_from_csv",
        prepare: |bytes| over(csv(bytes), |text| Tags::from_csv(text).len()),
    },
    Parser {
        name: "tags_extend",
        prepare: |bytes| {
            let csv = csv(bytes);
            let pool: Vec<Tag> = Tags::from_csv(&csv).into_iter().collect();
            let work = move || {
                let mut tags = Tags::new();
                tags.extend(black_box(&pool).iter().cloned());
                tags.len()
            };
            (csv.len(), Box::new(work))
        },
    },
    Parser {
        name: "signature_header",
        prepare: |bytes| {
            let v1 = "ab".repeat(32);
            let tags = repeated(bytes, |_| format!(",v1={v1}"));
            over(format!("t=1717243200{tags}"), |text| {
                text.parse::<SignatureHeader>()
                    .expect("a well-formed header")
                    .signatures()
                    .len()
            })
        },
    },
    Parser {
        name: "webhook_secret",
        prepare: |bytes| {
            let secret = format!("whsec_{}", "0123456789abcdef".repeat(bytes / 16));
            over(secret, |text| usize::from(WebhookSecret::new(text).is_ok()))
        },
    },
];

fn bench(c: &mut Criterion) {
    for parser in PARSERS {
        let mut group = c.benchmark_group(parser.name);
        for (label, bytes) in SIZES {
            let (size, mut work) = (parser.prepare)(bytes);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_function(BenchmarkId::from_parameter(label), |b| b.iter(&mut work));
        }
        group.finish();
    }
}

/// The best time per byte of `work` over a few rounds of at least 50 ms each.
fn nanos_per_byte(size: usize, work: &mut Work) -> f64 {
    const ROUNDS: usize = 3;
    const ROUND: Duration = Duration::from_millis(50);
    (0..ROUNDS)
        .map(|_| {
            let (start, mut runs) = (Instant::now(), 0_u32);
            while runs == 0 || start.elapsed() < ROUND {
                black_box(work());
                runs += 1;
            }
            start.elapsed().as_nanos() as f64 / f64::from(runs) / size as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Panics unless every parser's cost per byte at 100 KB is within [`MAX_GROWTH`] of 10 KB.
fn check_scaling() {
    println!("\ncost per byte, 10 KB → 100 KB (limit {MAX_GROWTH}×)");
    let superlinear: Vec<&str> = PARSERS
        .iter()
        .filter(|parser| {
            let [small, large] = [10_000, 100_000].map(|bytes| {
                let (size, mut work) = (parser.prepare)(bytes);
                nanos_per_byte(size, &mut work)
            });
            let growth = large / small;
            println!(
                "{:<24} {small:>8.2} ns/B → {large:>8.2} ns/B  {growth:>5.2}×",
                parser.name
            );
            growth > MAX_GROWTH
        })
        .map(|parser| parser.name)
        .collect();
    assert!(
        superlinear.is_empty(),
        "not linear in their input: {superlinear:?}"
    );
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    check_scaling();
}
