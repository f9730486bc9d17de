//! The fuzz targets' checks on stable, in `cargo test`: every committed input of `fuzz/`
//! (seed corpora and the inputs of earlier crashes) and a few thousand inputs from a fixed-seed
//! generator go through the same functions the libFuzzer targets call. Each test also asserts
//! what the check made of its inputs (seeds parse, crash inputs are refused, generated inputs
//! land on both sides), so a replay that silently skipped everything would fail.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use carbonext_domain::ValidationError;
use carbonext_fuzz_checks::filter_by::{self, Term};
use carbonext_fuzz_checks::{decimal, responses, timestamp, Outcome};

/// How many generated inputs each target gets.
const GENERATED: usize = 3_000;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir` whose name starts with `prefix`, sorted by name (none if `dir` is absent).
fn files(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.starts_with(prefix).then(|| {
                let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (name, data)
            })
        })
        .collect();
    files.sort();
    files
}

/// The committed seeds of a target: `fuzz/corpus/<target>/seed-*`. The other files there are
/// the fuzzer's own finds (thousands, git-ignored, absent on a fresh clone) and are not replayed.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    files(&fuzz_dir().join("corpus").join(target), "seed-")
}

/// The inputs of earlier crashes of a target: `fuzz/regressions/<target>/*`.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    files(&fuzz_dir().join("regressions").join(target), "")
}

/// One committed regression input, by name.
fn regression(target: &str, name: &str) -> Vec<u8> {
    let path = fuzz_dir().join("regressions").join(target).join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `target`'s check on `data`; whether it checked anything (rather than skipping).
fn checked(target: &str, data: &[u8]) -> bool {
    match target {
        "timestamp" => timestamp::check(data) != Outcome::Skipped,
        "decimal" => decimal::check(data).decimal_text != Outcome::Skipped,
        "responses" => responses::check(data) != Outcome::Skipped,
        "filter_by" => filter_by::check(data).is_some(),
        _ => panic!("no fuzz target {target}"),
    }
}

const TARGETS: [&str; 4] = ["timestamp", "decimal", "responses", "filter_by"];

#[test]
fn every_regression_input_is_checked_without_panic() {
    // Every directory of fuzz/regressions is a target's (a misspelt one would never replay).
    let dirs = fs::read_dir(fuzz_dir().join("regressions")).expect("fuzz/regressions");
    for dir in dirs {
        let name = dir.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(TARGETS.contains(&name.as_ref()), "fuzz/regressions/{name}");
    }
    let mut replayed = 0;
    for target in TARGETS {
        for (name, data) in regressions(target) {
            assert!(checked(target, &data), "{target}/{name} was skipped");
            replayed += 1;
        }
    }
    assert!(replayed >= 2, "{replayed} regression inputs");
}

/// A fixed-seed generator (xorshift64*): the same inputs on every run and every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias does not matter here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A few random edits of `data`: replace, insert or delete a byte (from `alphabet` or any byte),
/// or cut the tail off.
fn mutate(rng: &mut Rng, data: &[u8], alphabet: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() + 1);
        let byte = if rng.chance(90) {
            *rng.pick(alphabet)
        } else {
            rng.next() as u8
        };
        match rng.below(4) {
            0 if at < out.len() => out[at] = byte,
            1 => out.insert(at, byte),
            2 if at < out.len() => {
                out.remove(at);
            }
            3 => out.truncate(at),
            _ => out.insert(at, byte),
        }
    }
    out
}

/// Counts how often each outcome occurred.
fn tally<T: std::hash::Hash + Eq>(outcomes: impl IntoIterator<Item = T>) -> HashMap<T, usize> {
    let mut counts = HashMap::new();
    for outcome in outcomes {
        *counts.entry(outcome).or_insert(0) += 1;
    }
    counts
}

fn count<T: std::hash::Hash + Eq>(counts: &HashMap<T, usize>, outcome: T) -> usize {
    counts.get(&outcome).copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// timestamp

#[test]
fn timestamp_seeds_parse_and_keep_their_properties() {
    let seeds = seeds("timestamp");
    assert!(seeds.len() >= 20, "{} timestamp seeds", seeds.len());
    for (name, data) in &seeds {
        assert_eq!(timestamp::check(data), Outcome::Accepted, "seed {name}");
    }
}

#[test]
fn timestamp_year_crash_is_refused() {
    // Found by fuzzing: `-2-02-12T0:12:13.7117` parsed, but `Timestamp::from_utc` of its
    // instant wrote `-0002-…`, which did not parse back.
    let data = regression("timestamp", "crash-year-outside-0000-9999");
    assert_eq!(data, b"-2-02-12T0:12:13.7117");
    assert_eq!(timestamp::check(&data), Outcome::Refused);
}

/// Timestamp-shaped text with every field possibly out of range, odd widths, signs and zones.
fn timestamp_text(rng: &mut Rng) -> String {
    let year = match rng.below(6) {
        0 => {
            let width = 1 + rng.below(4);
            format!("-{}", rng.digits(width))
        }
        1 => rng.digits(5),
        2 => {
            let width = 1 + rng.below(3);
            rng.digits(width)
        }
        3 => format!("{:04}", 9990 + rng.below(10)),
        _ => format!("{:04}", rng.below(10_000)),
    };
    let two = |rng: &mut Rng, max: usize| {
        if rng.chance(10) {
            rng.below(max).to_string()
        } else {
            format!("{:02}", rng.below(max))
        }
    };
    let mut text = format!("{year}-{}-{}", two(rng, 14), two(rng, 33));
    if rng.chance(85) {
        let (h, m, s) = (two(rng, 25), two(rng, 61), two(rng, 62));
        text.push_str(&format!("T{h}:{m}:{s}"));
        if rng.chance(70) {
            let width = rng.below(11);
            text.push('.');
            text.push_str(&rng.digits(width));
        }
        let zone = *rng.pick(&[
            "", "", "Z", "Z", "z", "+03:00", "-03:00", "+14:00", "-12:00", "+24:00", "+00:30",
            "+0300", " ",
        ]);
        text.push_str(zone);
    }
    text
}

#[test]
fn timestamp_generated_inputs_keep_the_properties() {
    let mut rng = Rng(0x7133_57A3_9D1E_0001);
    let seeds = seeds("timestamp");
    let outcomes = tally((0..GENERATED).map(|i| {
        let data = if i % 3 == 0 {
            let (_, seed) = rng.pick(&seeds);
            mutate(&mut rng, seed, b"0123456789-:.TZ+ ")
        } else {
            timestamp_text(&mut rng).into_bytes()
        };
        timestamp::check(&data)
    }));
    assert!(
        count(&outcomes, Outcome::Accepted) >= GENERATED / 10,
        "{outcomes:?}"
    );
    assert!(
        count(&outcomes, Outcome::Refused) >= GENERATED / 10,
        "{outcomes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// decimal

#[test]
fn decimal_seeds_parse_and_keep_their_properties() {
    let seeds = seeds("decimal");
    assert!(seeds.len() >= 30, "{} decimal seeds", seeds.len());
    for (name, data) in &seeds {
        let outcome = decimal::check(data);
        // Every seed is a number of a documented example: plain ones are exact decimal text,
        // the others (`1e3`) JSON numbers.
        if !data.contains(&b'e') {
            assert_eq!(
                outcome.decimal_text,
                Outcome::Accepted,
                "seed {name}: {outcome:?}"
            );
        }
        assert!(
            outcome.decimal_text == Outcome::Accepted || outcome.json_number == Outcome::Accepted,
            "seed {name}: {outcome:?}"
        );
        assert_ne!(outcome.vcu_amount, Outcome::Skipped, "seed {name}");
    }
    let json = tally(
        seeds
            .iter()
            .map(|(_, data)| decimal::check(data).json_number),
    );
    assert!(count(&json, Outcome::Accepted) >= 30, "{json:?}");
}

/// Number-shaped text: sign, leading zeros, long digit runs (beyond 28 significant digits),
/// fraction, exponent, and now and then a stray character.
fn decimal_text(rng: &mut Rng) -> String {
    let mut text = String::new();
    text.push_str(rng.pick::<&str>(&["", "", "", "-", "+", "--"]));
    let width = *rng.pick(&[0, 1, 1, 2, 3, 5, 10, 20, 29, 30, 40]);
    text.push_str(&rng.digits(width));
    if rng.chance(70) {
        text.push('.');
        let width = *rng.pick(&[0, 1, 2, 3, 6, 12, 28, 29, 35]);
        text.push_str(&rng.digits(width));
    }
    if rng.chance(15) {
        text.push_str(rng.pick::<&str>(&["e", "E", "e-", "e+"]));
        let width = 1 + rng.below(3);
        text.push_str(&rng.digits(width));
    }
    if rng.chance(5) {
        let at = rng.below(text.len() + 1);
        text.insert(at, *rng.pick(&[' ', '_', ',', 'x', '\u{661}', '.']));
    }
    text
}

#[test]
fn decimal_generated_inputs_keep_the_properties() {
    let mut rng = Rng(0xDEC1_3A15_0000_0002);
    let seeds = seeds("decimal");
    let outcomes: Vec<decimal::Decimals> = (0..GENERATED)
        .map(|i| {
            let data = if i % 3 == 0 {
                let (_, seed) = rng.pick(&seeds);
                mutate(&mut rng, seed, b"0123456789-.eE+")
            } else {
                decimal_text(&mut rng).into_bytes()
            };
            decimal::check(&data)
        })
        .collect();
    for (what, counts) in [
        (
            "DecimalText",
            tally(outcomes.iter().map(|o| o.decimal_text)),
        ),
        ("VcuAmount", tally(outcomes.iter().map(|o| o.vcu_amount))),
        ("JSON number", tally(outcomes.iter().map(|o| o.json_number))),
    ] {
        assert!(
            count(&counts, Outcome::Accepted) >= GENERATED / 10,
            "{what}: {counts:?}"
        );
        assert!(
            count(&counts, Outcome::Refused) >= GENERATED / 10,
            "{what}: {counts:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// responses

#[test]
fn response_seeds_decode_and_round_trip() {
    let seeds = seeds("responses");
    assert!(seeds.len() >= 25, "{} response seeds", seeds.len());
    for (name, data) in &seeds {
        assert_eq!(
            responses::check(data),
            Outcome::Accepted,
            "seed {name} as {}",
            responses::shape(data[0])
        );
    }
    // The seeds cover every shape but `bool` (the body of delete_user is empty).
    let shapes = tally(seeds.iter().map(|(_, data)| data[0] % responses::SHAPES));
    assert!(shapes.len() >= 20, "shapes seeded: {shapes:?}");
}

#[test]
fn response_generated_inputs_keep_the_properties() {
    let mut rng = Rng(0x8E59_0A5E_0000_0003);
    let seeds = seeds("responses");
    let outcomes = tally((0..GENERATED).map(|_| {
        let (_, seed) = rng.pick(&seeds);
        let mut data = mutate(&mut rng, seed, b"{}[]\",:0123456789.-eEtrufalsn ");
        // Now and then decode a body as another shape than its own.
        if rng.chance(20) && !data.is_empty() {
            data[0] = rng.below(usize::from(responses::SHAPES)) as u8;
        }
        responses::check(&data)
    }));
    assert!(
        count(&outcomes, Outcome::Accepted) >= GENERATED / 20,
        "{outcomes:?}"
    );
    assert!(
        count(&outcomes, Outcome::Refused) >= GENERATED / 10,
        "{outcomes:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// filter_by

#[test]
fn filter_by_empty_value_crash_is_refused() {
    // Found by fuzzing: an unknown status with empty text rendered `status_in:` (and
    // `status_in:Paid-`, a stray separator).
    let data = regression("filter_by", "crash-empty-status-value");
    let input = filter_by::decode(&data).expect("the crash input decodes");
    assert_eq!(input.terms, [Term::StatusIn(vec![String::new()])]);
    let rendered = filter_by::check(&data).expect("decodes");
    let empty = Err(ValidationError::Empty {
        what: "a filter value",
    });
    assert_eq!(rendered.orders, empty);
    assert_eq!(rendered.invoices, empty);
}

#[test]
fn filter_by_empty_values_are_refused_not_rendered() {
    // The two shapes of the crash, built directly rather than from bytes.
    for terms in [
        vec![Term::StatusIn(vec![String::new()])],
        vec![Term::StatusIn(vec!["Paid".into(), String::new()])],
        vec![Term::CreatedFrom(0), Term::Status(String::new())],
    ] {
        let rendered = filter_by::check_input(filter_by::Input {
            terms: terms.clone(),
            sort: Some((1, true)),
            page_size: None,
        });
        assert!(
            matches!(rendered.orders, Err(ValidationError::Empty { .. })),
            "{terms:?} rendered {:?}",
            rendered.orders
        );
        assert_eq!(rendered.order_sort.as_deref(), Some("vcuAmount_asc"));
    }
}

#[test]
fn filter_by_generated_inputs_keep_the_properties() {
    let mut rng = Rng(0xF117_E2B7_0000_0004);
    let mut rendered = 0;
    let mut refused = 0;
    let mut decoded = 0;
    for _ in 0..GENERATED {
        let len = rng.below(160);
        let data = rng.bytes(len);
        let Some(outcome) = filter_by::check(&data) else {
            continue;
        };
        decoded += 1;
        for result in [&outcome.orders, &outcome.invoices] {
            match result {
                Ok(Some(_)) => rendered += 1,
                Ok(None) => {}
                Err(_) => refused += 1,
            }
        }
    }
    assert!(decoded >= GENERATED / 2, "{decoded} of {GENERATED} decoded");
    assert!(rendered >= GENERATED / 10, "{rendered} rendered");
    assert!(refused >= GENERATED / 20, "{refused} refused");
}
