//! Single-threaded normalization throughput of [`qyvo::phone::PhoneNumber`].
//!
//! Parses every line of `benches/data/phones.txt` (the same file `benches/phone_bench.py`
//! feeds to Python's `phonenumbers`), so criterion's elements/s is numbers per second.
//! A line is either `INPUT` or `REGION<TAB>INPUT`; besides the whole file (`phone/all`), the
//! lines without and with a region are measured apart, because national input also goes
//! through the region's international and national prefixes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qyvo::phone::PhoneNumber;

/// The shared input file.
const PHONES: &str = include_str!("data/phones.txt");

/// Splits the file into `(region, input)` pairs.
fn inputs() -> Vec<(Option<&'static str>, &'static str)> {
    PHONES
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('\t') {
            Some((region, input)) => (Some(region), input),
            None => (None, line),
        })
        .collect()
}

/// Normalizes one input the way an SDK user would.
fn normalize(region: Option<&str>, input: &str) -> Option<PhoneNumber> {
    match region {
        Some(region) => PhoneNumber::parse_with_region(input, region).ok(),
        None => input.parse().ok(),
    }
}

fn bench(c: &mut Criterion) {
    let all = inputs();
    // Warm the lazily compiled numbering plans, as a long-running service would be.
    let valid = all
        .iter()
        .filter(|(r, i)| normalize(*r, i).is_some())
        .count();
    eprintln!("{} inputs, {valid} valid", all.len());
    let (with_region, without_region): (Vec<_>, Vec<_>) = all
        .iter()
        .copied()
        .partition(|(region, _)| region.is_some());

    let mut group = c.benchmark_group("phone");
    for (name, inputs) in [
        ("all", &all),
        ("without_region", &without_region),
        ("with_region", &with_region),
    ] {
        group.throughput(Throughput::Elements(inputs.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                inputs
                    .iter()
                    .filter(|(region, input)| normalize(*region, black_box(input)).is_some())
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
