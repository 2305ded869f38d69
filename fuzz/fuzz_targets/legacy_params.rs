//! The legacy parameter decoder (`Params::decode`) and its typed accessors.
//!
//! Input: `query` NUL `body` (no NUL: a query string only). Properties: no
//! panic; a decoded request has no empty names; re-encoding the decoded
//! parameters and decoding them again gives the same parameters.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mturk_local::protocol::legacy_xml::params::Params;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

fuzz_target!(|data: &[u8]| {
    let (query, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(query) = std::str::from_utf8(query) else { return };
    let Ok(params) = Params::decode(Some(query), body) else { return };

    for (name, _) in params.iter() {
        assert!(!name.is_empty(), "a decoded parameter has an empty name");
    }
    // The accessors every handler uses must refuse, never panic.
    let _ = params.required("Operation");
    let _ = params.int("IntegerValue");
    let _ = params.long("RetryDelayInSeconds");
    let _ = params.boolean("SendNotification");
    let _ = params.paging(100);
    let _ = params.paging(65_535);
    let _ = params.list("WorkerId");
    let _ = params.response_groups();
    for requirement in params.structures("QualificationRequirement") {
        let _ = requirement.structures("LocaleValue");
        let _ = requirement.list("IntegerValue");
    }
    let _ = params.check_xml_safe();

    let encoded = params
        .iter()
        .map(|(k, v)| {
            format!("{}={}", utf8_percent_encode(k, NON_ALPHANUMERIC), utf8_percent_encode(v, NON_ALPHANUMERIC))
        })
        .collect::<Vec<_>>()
        .join("&");
    let again = Params::decode(Some(&encoded), None).expect("re-encoded parameters decode");
    assert_eq!(again, params, "decoding is not stable under re-encoding");
});
