"""Python baseline for `benches/phone.rs`: normalize the same inputs with `phonenumbers`.

Runs parse + is_valid_number + format E.164 over every line of `benches/data/phones.txt`
(`INPUT` or `REGION<TAB>INPUT`), single-threaded, and prints numbers per second for the
whole file and for the lines without and with a region, like the criterion groups.

    python -m venv .venv && .venv/bin/pip install -r benches/requirements.txt
    .venv/bin/python benches/phone_bench.py
"""

import pathlib
import time

import phonenumbers

DATA = pathlib.Path(__file__).with_name("data") / "phones.txt"
ROUNDS = 5
MIN_SECONDS = 1.0


def load():
    inputs = []
    for line in DATA.read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        region, sep, number = line.partition("\t")
        inputs.append((region, number) if sep else (None, line))
    return inputs


def normalize(region, number):
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def run_once(inputs):
    return sum(1 for region, number in inputs if normalize(region, number) is not None)


def measure(inputs):
    best = 0.0
    for _ in range(ROUNDS):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_SECONDS:
            run_once(inputs)
            count += len(inputs)
        best = max(best, count / elapsed)
    return best


def main():
    inputs = load()
    valid = run_once(inputs)  # warm up metadata loading
    print(f"{len(inputs)} inputs, {valid} valid; phonenumbers {phonenumbers.__version__}")
    subsets = {
        "all": inputs,
        "without_region": [line for line in inputs if line[0] is None],
        "with_region": [line for line in inputs if line[0] is not None],
    }
    for name, subset in subsets.items():
        print(f"{name}: {measure(subset):,.0f} numbers/s (best of {ROUNDS})")


if __name__ == "__main__":
    main()
