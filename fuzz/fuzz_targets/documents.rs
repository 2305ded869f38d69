//! The XML documents that travel inside parameters: `check_question_form`
//! (Test), `parse_answer_key` (AnswerKey), `parse_answers` (a worker's
//! QuestionFormAnswers) and `score` over what parsed.
//!
//! Input: one document, or `AnswerKey` NUL `QuestionFormAnswers`. Property:
//! every document is accepted or refused with XMLParseError, never a panic;
//! a key and answers that both parse can always be scored.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mturk_local::documents::{check_answer_key, check_question_form, parse_answer_key, parse_answers, score};
use mturk_local::error::ErrorCode;

fn refused_as_xml(result: Result<(), mturk_local::error::MturkError>) {
    if let Err(e) = result {
        assert_eq!(e.code(), ErrorCode::XmlParseError, "{}", e.message());
    }
}

fuzz_target!(|data: &[u8]| {
    let (first, second) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(first) = std::str::from_utf8(first) else { return };
    refused_as_xml(check_question_form(first));
    refused_as_xml(check_answer_key(first));
    refused_as_xml(parse_answers(first).map(|_| ()));
    let key = parse_answer_key(first);
    let answers = match second.map(std::str::from_utf8) {
        Some(Ok(text)) => parse_answers(text),
        _ => parse_answers(first),
    };
    if let (Ok(key), Ok(answers)) = (key, answers) {
        let _ = score(&key, &answers);
    }
});
