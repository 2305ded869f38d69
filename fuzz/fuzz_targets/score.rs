//! `documents::score` over arbitrary answer keys and answers, including the
//! extreme scores and mappings no hand-written document would try.
//!
//! Properties: no panic or overflow; a Range result is one of the configured
//! values; a Percentage result has the sign of the summed score.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use mturk_local::documents::{score, AnswerKey, AnswerOption, Answers, KeyQuestion, ValueMapping};

#[derive(Debug, Arbitrary)]
enum Mapping {
    Sum,
    Percentage(i64),
    Scale(i64),
    Range(Vec<(i64, i64, i64)>, i64),
}

#[derive(Debug, Arbitrary)]
struct Input {
    questions: Vec<(u8, Vec<(Vec<u8>, i64)>, i64)>,
    mapping: Mapping,
    answers: Vec<(u8, Vec<u8>)>,
}

fn ids(raw: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = raw.iter().map(|b| format!("s{}", b % 8)).collect();
    out.sort();
    out
}

fuzz_target!(|input: Input| {
    let mapping = match input.mapping {
        Mapping::Sum => ValueMapping::Sum,
        // parse_answer_key only ever produces a positive maximum.
        Mapping::Percentage(maximum) => ValueMapping::Percentage { maximum: maximum.checked_abs().unwrap_or(1).max(1) },
        Mapping::Scale(multiplier) => ValueMapping::Scale { multiplier },
        Mapping::Range(ranges, out_of_range) => ValueMapping::Range { ranges, out_of_range },
    };
    let key = AnswerKey {
        questions: input
            .questions
            .iter()
            .map(|(id, options, default_score)| KeyQuestion {
                id: format!("q{}", id % 8),
                options: options
                    .iter()
                    .map(|(selections, score)| AnswerOption { selections: ids(selections), score: *score })
                    .collect(),
                default_score: *default_score,
            })
            .collect(),
        mapping,
    };
    let answers =
        Answers { answers: input.answers.iter().map(|(id, sel)| (format!("q{}", id % 8), ids(sel))).collect() };
    let value = score(&key, &answers);
    if let ValueMapping::Range { ranges, out_of_range } = &key.mapping {
        assert!(value == *out_of_range || ranges.iter().any(|(_, _, v)| *v == value));
    }
    if let ValueMapping::Percentage { .. } = &key.mapping {
        let plain = score(&AnswerKey { questions: key.questions.clone(), mapping: ValueMapping::Sum }, &answers);
        // Rounding never changes the sign of the sum.
        assert!(value == 0 || value.signum() == plain.signum(), "sum {plain} became {value}");
    }
});
