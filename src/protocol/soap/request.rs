//! Reading a SOAP 1.1 request (the first step of the SOAP face): the
//! envelope is parsed strictly (well-formed UTF-8, no DOCTYPE, XML 1.0
//! characters only, bounded depth), its one body element names the
//! operation in the namespace of a published version, and each of the
//! operation's `Request` elements becomes the same [`Params`] the REST face
//! decodes from `Name.N.Field` parameters, so both faces share the legacy
//! dispatch table's decoders.
//!
//! The mapping from elements to parameter names (spec §1.3's flattening, run
//! backwards) is:
//!
//! * a child with no element children is a simple value: `Name=text` when it
//!   occurs once in its parent, `Name.1`, `Name.2`, … when it repeats
//!   (`WorkerId` of NotifyWorkers, `IntegerValue` of a requirement);
//! * a child with element children is a structure: each occurrence gets its
//!   index, `Name.N.`, and its own children are named under it
//!   (`Reward.1.Amount`, `QualificationRequirement.2.LocaleValue.1.Country`);
//! * an element with `xsi:nil="true"` is absent.
//!
//! Every decoder reads both spellings of a single value (`Name` and
//! `Name.1`) and both of a single structure (`Name.Field` and
//! `Name.1.Field`), so the mapping needs no knowledge of the schema.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::documents::is_xml_char;
use crate::error::MturkError;
use crate::mturk_error;
use crate::protocol::legacy_xml::dispatch::{self, Operation};
use crate::protocol::legacy_xml::params::Params;
use crate::protocol::legacy_xml::VERSIONS;

/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAP 1.2 envelope namespace, which this service does not speak (the
/// WSDL binds SOAP 1.1 only).
pub const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
/// A version's namespace is this followed by the version
/// (`http://requester.mturk.amazonaws.com/doc/2014-08-15`, the WSDL's
/// `targetNamespace`).
pub const NAMESPACE_PREFIX: &str = "http://requester.mturk.amazonaws.com/doc/";
/// Elements nested deeper than this are refused (a requirement's locale is
/// seven levels down from the envelope).
const MAX_DEPTH: usize = 32;
/// The most `Request` elements one call may batch. The schema says
/// unbounded; a bound keeps one call's work bounded.
pub const MAX_REQUESTS: usize = 100;

/// The namespace of a published version.
#[must_use]
pub fn namespace(version: &str) -> String {
    format!("{NAMESPACE_PREFIX}{version}")
}

/// Which SOAP 1.1 fault code (§4.4.1) a refused envelope gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The root is not a SOAP 1.1 `Envelope`.
    VersionMismatch,
    /// A header marked `mustUnderstand` that this service does not know.
    MustUnderstand,
    /// Anything else wrong with the request.
    Client,
}

impl FaultCode {
    /// The local part of the fault code, under the envelope's prefix.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VersionMismatch => "VersionMismatch",
            Self::MustUnderstand => "MustUnderstand",
            Self::Client => "Client",
        }
    }
}

/// An envelope refused before any operation ran.
#[derive(Debug)]
pub struct EnvelopeError {
    /// The fault code.
    pub code: FaultCode,
    /// The MTurk error (its code goes in the fault's detail).
    pub error: MturkError,
}

fn client(error: MturkError) -> EnvelopeError {
    EnvelopeError { code: FaultCode::Client, error }
}

fn not_xml(detail: impl std::fmt::Display) -> EnvelopeError {
    client(mturk_error!(XmlParseError, "The request is not a well-formed XML document: {detail}"))
}

/// One call: the operation element's header values and its requests.
#[derive(Debug)]
pub struct Call {
    /// The operation.
    pub op: &'static Operation,
    /// The version its namespace names.
    pub version: &'static str,
    /// `AWSAccessKeyId`.
    pub access_key_id: Option<String>,
    /// `Timestamp`, as sent.
    pub timestamp: Option<String>,
    /// `Signature`.
    pub signature: Option<String>,
    /// One entry per `Request` element, in document order: its parameters,
    /// or why they could not be read (answered in that request's result).
    pub requests: Vec<Result<Params, MturkError>>,
}

/// One parsed element.
#[derive(Debug, Default)]
struct Node {
    name: String,
    namespace: Option<String>,
    /// `xsi:nil="true"`.
    nil: bool,
    /// `soapenv:mustUnderstand="1"`.
    must_understand: bool,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn is(&self, namespace: &str, name: &str) -> bool {
        self.name == name && self.namespace.as_deref() == Some(namespace)
    }
}

fn attribute_is_true(value: &str) -> bool {
    matches!(value.trim(), "1" | "true")
}

/// Parses a whole document into its root element.
fn parse(body: &[u8]) -> Result<Node, EnvelopeError> {
    let text = std::str::from_utf8(body).map_err(|_| not_xml("the body is not UTF-8"))?;
    // quick-xml checks characters against XML 1.0's `Char` production
    // neither raw nor as references (the same check as documents.rs).
    if let Some(c) = text.chars().find(|c| !is_xml_char(*c)) {
        return Err(not_xml(format!("the character U+{:04X} is not allowed in XML 1.0", u32::from(c))));
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(not_xml)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(not_xml("the document has more than one root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(not_xml(format!("elements are nested more than {MAX_DEPTH} deep")));
                }
                let namespace = match ns {
                    ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(prefix) => {
                        return Err(not_xml(format!(
                            "the namespace prefix {} is not declared",
                            String::from_utf8_lossy(&prefix)
                        )))
                    }
                };
                let mut node = Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    namespace,
                    ..Node::default()
                };
                for attr in e.attributes() {
                    let attr = attr.map_err(not_xml)?;
                    let value = attr.unescape_value().map_err(not_xml)?;
                    match attr.key.local_name().as_ref() {
                        b"nil" => node.nil = attribute_is_true(&value),
                        b"mustUnderstand" => node.must_understand = attribute_is_true(&value),
                        _ => {}
                    }
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(node);
                } else {
                    attach(&mut stack, &mut root, node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| not_xml("an end tag without its start"))?;
                attach(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(not_xml)?;
                match stack.last_mut() {
                    Some(node) => node.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(not_xml("text outside the root element")),
                }
            }
            Event::CData(t) => match stack.last_mut() {
                Some(node) => node.text.push_str(&String::from_utf8_lossy(&t)),
                None => return Err(not_xml("CDATA outside the root element")),
            },
            // No entity of a DTD is ever expanded: a DOCTYPE is refused outright.
            Event::DocType(_) => {
                return Err(client(mturk_error!(
                    XmlParseError,
                    "The request contains a DOCTYPE declaration; SOAP messages must not have one."
                )))
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(not_xml("the document ends inside an element"));
    }
    root.ok_or_else(|| not_xml("the document has no root element"))
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

/// Reads a SOAP request body into a [`Call`].
///
/// # Errors
/// [`EnvelopeError`] for anything that is not a SOAP 1.1 envelope holding
/// one known operation of a published version.
pub fn read(body: &[u8]) -> Result<Call, EnvelopeError> {
    let root = parse(body)?;
    if root.name != "Envelope" || root.namespace.as_deref() != Some(SOAP_ENV) {
        let found = root.namespace.as_deref().unwrap_or("no namespace");
        let detail = if root.namespace.as_deref() == Some(SOAP12_ENV) {
            "SOAP 1.2 is not served; the WSDL binds SOAP 1.1".to_owned()
        } else {
            format!("the root element is {} in {found}", root.name)
        };
        // SOAP 1.1 §4.4.1: VersionMismatch for an envelope in another namespace.
        return Err(EnvelopeError {
            code: FaultCode::VersionMismatch,
            error: mturk_error!(
                InvalidParameterValue,
                "The request is not a SOAP 1.1 envelope ({detail}); expected Envelope in {SOAP_ENV}."
            ),
        });
    }
    let mut body_element = None;
    for part in root.children {
        if part.is(SOAP_ENV, "Header") {
            if let Some(header) = part.children.iter().find(|h| h.must_understand) {
                return Err(EnvelopeError {
                    code: FaultCode::MustUnderstand,
                    error: mturk_error!(
                        InvalidParameterValue,
                        "The SOAP header {} is marked mustUnderstand, and this service does not understand it.",
                        header.name
                    ),
                });
            }
        } else if part.is(SOAP_ENV, "Body") && body_element.is_none() {
            body_element = Some(part);
        } else {
            return Err(client(mturk_error!(
                InvalidParameterValue,
                "The SOAP envelope holds an unexpected element {}; it may hold a Header and one Body.",
                part.name
            )));
        }
    }
    let body =
        body_element.ok_or_else(|| client(mturk_error!(InvalidParameterValue, "The SOAP envelope has no Body.")))?;
    let mut elements = body.children.into_iter();
    let (Some(operation), None) = (elements.next(), elements.next()) else {
        return Err(client(mturk_error!(
            InvalidParameterValue,
            "The SOAP Body must hold exactly one operation element."
        )));
    };
    operation_call(operation)
}

/// The call an operation element makes.
fn operation_call(element: Node) -> Result<Call, EnvelopeError> {
    let namespace = element.namespace.clone().unwrap_or_default();
    let version = namespace
        .strip_prefix(NAMESPACE_PREFIX)
        .and_then(|v| VERSIONS.iter().copied().find(|known| *known == v))
        .ok_or_else(|| {
            client(mturk_error!(
                InvalidParameterValue,
                "The operation element {} is in the namespace {:?}, which is not the namespace of a \
                 published version ({NAMESPACE_PREFIX}<version>, for example {NAMESPACE_PREFIX}2014-08-15).",
                element.name,
                namespace
            ))
        })?;
    let op = dispatch::find(&element.name).ok_or_else(|| {
        client(mturk_error!(
            InvalidParameterValue,
            "The operation {} is not an operation of the AWSMechanicalTurkRequester service.",
            element.name
        ))
    })?;
    let mut call = Call { op, version, access_key_id: None, timestamp: None, signature: None, requests: Vec::new() };
    let mut seen: Vec<&'static str> = Vec::new();
    for child in element.children {
        // Qualified, as the schema's elementFormDefault says; unqualified children are accepted too.
        if child.namespace.as_deref().is_some_and(|ns| ns != namespace) {
            return Err(client(mturk_error!(
                InvalidParameterValue,
                "The element {} of {} is in another namespace than its operation.",
                child.name,
                op.name
            )));
        }
        if child.name == "Request" {
            if call.requests.len() == MAX_REQUESTS {
                return Err(client(mturk_error!(
                    ParameterOutOfRange,
                    "One call may batch at most {MAX_REQUESTS} Request elements."
                )));
            }
            call.requests.push(request_params(&child, &namespace));
            continue;
        }
        let Some(field) = ["AWSAccessKeyId", "Timestamp", "Signature", "Validate", "Credential"]
            .into_iter()
            .find(|f| *f == child.name)
        else {
            return Err(client(mturk_error!(
                InvalidParameterValue,
                "The element {} is not part of the operation {}; it holds AWSAccessKeyId, Timestamp, \
                 Signature, Validate, Credential and Request.",
                child.name,
                op.name
            )));
        };
        if seen.contains(&field) || !child.children.is_empty() {
            return Err(client(mturk_error!(
                InvalidParameterValue,
                "The element {field} of {} must appear at most once, as a simple value.",
                op.name
            )));
        }
        seen.push(field);
        let value = (!child.nil).then(|| child.text.trim().to_owned()).filter(|v| !v.is_empty());
        match field {
            "AWSAccessKeyId" => call.access_key_id = value,
            "Timestamp" => call.timestamp = value,
            "Signature" => call.signature = value,
            // Validate ("check only", deprecated in the 2014 docs) and Credential (reserved) change nothing.
            _ => {}
        }
    }
    // The schema's operation elements require one Request (GetQualificationScore's allows none);
    // an operation sent without one is answered as one empty request.
    if call.requests.is_empty() {
        call.requests.push(Ok(Params::default()));
    }
    Ok(call)
}

/// The parameters of one `Request` element.
fn request_params(request: &Node, namespace: &str) -> Result<Params, MturkError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    flatten("", request, namespace, &mut pairs)?;
    Ok(Params::from_pairs(pairs))
}

/// Names `node`'s children under `prefix` (the module's mapping).
fn flatten(prefix: &str, node: &Node, namespace: &str, out: &mut Vec<(String, String)>) -> Result<(), MturkError> {
    let mut totals: HashMap<&str, usize> = HashMap::new();
    for child in &node.children {
        *totals.entry(child.name.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for child in &node.children {
        let path = format!("{prefix}{}", child.name);
        if child.namespace.as_deref().is_some_and(|ns| ns != namespace) {
            return Err(mturk_error!(
                InvalidParameterValue,
                "The element {path} is in another namespace than its operation (embedded XML such as a \
                 Question is sent as escaped text)."
            ));
        }
        let index = seen.entry(child.name.as_str()).or_default();
        *index += 1;
        if child.nil {
            continue;
        }
        if child.children.is_empty() {
            let name = if totals[child.name.as_str()] == 1 { path } else { format!("{path}.{index}") };
            let value = if child.name == "Amount" && !prefix.is_empty() {
                price_amount(&child.text)
            } else {
                child.text.clone()
            };
            out.push((name, value));
        } else {
            if !child.text.trim().is_empty() {
                return Err(mturk_error!(
                    InvalidParameterValue,
                    "The element {path} holds both text and elements; a value is one or the other \
                     (escape embedded XML such as a Question)."
                ));
            }
            flatten(&format!("{path}.{index}."), child, namespace, out)?;
        }
    }
    Ok(())
}

/// A `Price`'s `Amount` (an `xs:decimal` in the schema) as the money
/// decoders read it. Amazon's Java SDK (1.6.2, `RequesterService.createHIT`
/// with a `double` reward) sends the exact binary expansion of the double,
/// `0.05000000000000000277555756156289135105907917022705078125` for 0.05, and
/// the live service took it (the SDK's own samples create HITs that way): a
/// decimal that is the double nearest a whole number of cents is read as
/// those cents. Anything else is passed on as sent, for the decoders to judge.
fn price_amount(text: &str) -> String {
    let trimmed = text.trim();
    let Some((whole, fraction)) = trimmed.split_once('.') else { return text.to_owned() };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if fraction.len() <= 2 || !digits(whole) || !digits(fraction) {
        return text.to_owned();
    }
    let Ok(value) = trimmed.parse::<f64>() else { return text.to_owned() };
    let cents = format!("{value:.2}");
    if value.is_finite() && cents.parse::<f64>().is_ok_and(|c| c.to_bits() == value.to_bits()) {
        cents
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const NS: &str = "http://requester.mturk.amazonaws.com/doc/2014-08-15";

    fn envelope(operation: &str, inner: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"{SOAP_ENV}\"><soap:Body><{operation} \
             xmlns=\"{NS}\"><AWSAccessKeyId>AK</AWSAccessKeyId><Timestamp>T</Timestamp><Signature>S</Signature>\
             {inner}</{operation}></soap:Body></soap:Envelope>"
        )
    }

    fn pairs(params: &Params) -> Vec<(String, String)> {
        params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    #[test]
    fn repeated_and_nested_elements_map_onto_the_rest_parameter_names() {
        let body = envelope(
            "CreateHIT",
            "<Request><Title>t</Title><Reward><Amount>0.50</Amount><CurrencyCode>USD</CurrencyCode></Reward>\
             <QualificationRequirement><QualificationTypeId>A</QualificationTypeId><Comparator>In</Comparator>\
             <IntegerValue>1</IntegerValue><IntegerValue>2</IntegerValue><LocaleValue><Country>US</Country>\
             <Subdivision>WA</Subdivision></LocaleValue><LocaleValue><Country>CA</Country></LocaleValue>\
             </QualificationRequirement><QualificationRequirement><QualificationTypeId>B</QualificationTypeId>\
             <Comparator>Exists</Comparator></QualificationRequirement>\
             <Question>&lt;QuestionForm/&gt;</Question><Keywords xsi:nil=\"true\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/></Request>",
        );
        let call = read(body.as_bytes()).unwrap();
        assert_eq!(call.op.name, "CreateHIT");
        assert_eq!(call.version, "2014-08-15");
        assert_eq!(call.access_key_id.as_deref(), Some("AK"));
        let params = call.requests.into_iter().next().unwrap().unwrap();
        let expected: Vec<(String, String)> = [
            ("Question", "<QuestionForm/>"),
            ("QualificationRequirement.1.Comparator", "In"),
            ("QualificationRequirement.1.IntegerValue.1", "1"),
            ("QualificationRequirement.1.IntegerValue.2", "2"),
            ("QualificationRequirement.1.LocaleValue.1.Country", "US"),
            ("QualificationRequirement.1.LocaleValue.1.Subdivision", "WA"),
            ("QualificationRequirement.1.LocaleValue.2.Country", "CA"),
            ("QualificationRequirement.1.QualificationTypeId", "A"),
            ("QualificationRequirement.2.Comparator", "Exists"),
            ("QualificationRequirement.2.QualificationTypeId", "B"),
            ("Reward.1.Amount", "0.50"),
            ("Reward.1.CurrencyCode", "USD"),
            ("Title", "t"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut got = pairs(&params);
        let mut want = expected;
        got.sort();
        want.sort();
        assert_eq!(got, want);
        // What the decoders read from them.
        let reqs = params.structures("QualificationRequirement");
        assert_eq!(reqs[0].list("IntegerValue"), ["1", "2"]);
        assert_eq!(reqs[0].structures("LocaleValue")[1].get("Country"), Some("CA"));
        assert_eq!(params.structures("Reward")[0].get("Amount"), Some("0.50"));
    }

    #[test]
    fn every_request_element_is_one_request_in_order() {
        let body = envelope(
            "RevokeQualification",
            "<Request><SubjectId>W1</SubjectId></Request><Request><SubjectId>W2</SubjectId></Request>",
        );
        let call = read(body.as_bytes()).unwrap();
        let subjects: Vec<String> =
            call.requests.iter().map(|r| r.as_ref().unwrap().get("SubjectId").unwrap().to_owned()).collect();
        assert_eq!(subjects, ["W1", "W2"]);
        let none = read(envelope("GetAccountBalance", "").as_bytes()).unwrap();
        assert_eq!(none.requests.len(), 1);
    }

    #[test]
    fn bad_envelopes_get_their_fault_codes() {
        let cases: Vec<(&str, String, FaultCode, ErrorCode)> = vec![
            ("not XML", "not xml <".to_owned(), FaultCode::Client, ErrorCode::XmlParseError),
            (
                "a DOCTYPE",
                format!("<!DOCTYPE x [<!ENTITY e \"boom\">]>{}", envelope("GetAccountBalance", "")),
                FaultCode::Client,
                ErrorCode::XmlParseError,
            ),
            (
                "SOAP 1.2",
                envelope("GetAccountBalance", "").replace(SOAP_ENV, SOAP12_ENV),
                FaultCode::VersionMismatch,
                ErrorCode::InvalidParameterValue,
            ),
            (
                "an unpublished version",
                envelope("GetAccountBalance", "").replace("2014-08-15", "2099-01-01"),
                FaultCode::Client,
                ErrorCode::InvalidParameterValue,
            ),
            ("an unknown operation", envelope("StealHIT", ""), FaultCode::Client, ErrorCode::InvalidParameterValue),
            (
                "more requests than a batch may hold",
                envelope("GetAccountBalance", &"<Request/>".repeat(MAX_REQUESTS + 1)),
                FaultCode::Client,
                ErrorCode::ParameterOutOfRange,
            ),
            (
                "elements nested too deep",
                envelope("GetAccountBalance", &format!("<Request>{}{}</Request>", "<a>".repeat(40), "</a>".repeat(40))),
                FaultCode::Client,
                ErrorCode::XmlParseError,
            ),
            (
                "a stray child",
                envelope("GetAccountBalance", "<Operation>x</Operation>"),
                FaultCode::Client,
                ErrorCode::InvalidParameterValue,
            ),
            (
                "a header it must understand",
                envelope("GetAccountBalance", "")
                    .replace("<soap:Body>", "<soap:Header><Sec soap:mustUnderstand=\"1\"/></soap:Header><soap:Body>"),
                FaultCode::MustUnderstand,
                ErrorCode::InvalidParameterValue,
            ),
        ];
        for (what, body, code, error) in cases {
            let err = read(body.as_bytes()).expect_err(what);
            assert_eq!((err.code, err.error.code()), (code, error), "{what}");
        }
    }

    #[test]
    fn a_price_sent_as_a_doubles_expansion_is_read_as_its_cents() {
        assert_eq!(price_amount("0.05000000000000000277555756156289135105907917022705078125"), "0.05");
        assert_eq!(price_amount("0.1000000000000000055511151231257827021181583404541015625"), "0.10");
        assert_eq!(price_amount("1.5"), "1.5");
        // Not a whole number of cents: left for the decoder to refuse.
        assert_eq!(price_amount("0.505"), "0.505");
        assert_eq!(
            price_amount("-0.05000000000000000277555756156289135105907917022705078125"),
            "-0.05000000000000000277555756156289135105907917022705078125"
        );
        assert_eq!(price_amount("abc.def"), "abc.def");
    }

    #[test]
    fn mixed_content_is_refused_in_its_request_only() {
        let body = envelope(
            "CreateHIT",
            "<Request><Question>text<QuestionForm/></Question></Request><Request><Title>t</Title></Request>",
        );
        let call = read(body.as_bytes()).unwrap();
        assert_eq!(call.requests[0].as_ref().unwrap_err().code(), ErrorCode::InvalidParameterValue);
        assert!(call.requests[1].is_ok());
    }
}
