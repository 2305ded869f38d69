//! The legacy response envelope (spec §3): `<?xml version="1.0"?>`, a
//! newline, then compact XML with no namespace, always HTTP 200 `text/xml`.
//!
//! ```text
//! <{Op}Response><OperationRequest><RequestId>uuid</RequestId>[<Errors>auth errors</Errors>]</OperationRequest>
//!   <{Result}><Request><IsValid>True|False</IsValid>[echo][<Errors>…</Errors>]</Request>…data…</{Result}>
//! </{Op}Response>
//! ```
//!
//! This module owns the one legacy error renderer.

use crate::error::MturkError;

use super::params::is_xml_char;

/// A compact XML writer that escapes all text.
#[derive(Debug, Default)]
pub struct Xml {
    buf: String,
}

impl Xml {
    /// An empty fragment.
    #[must_use]
    pub fn new() -> Self {
        Self { buf: String::with_capacity(512) }
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
        self
    }

    /// `<name>escaped text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.buf, text);
        self.close(name)
    }

    /// A leaf only when `text` is present.
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    /// Appends an already-rendered fragment.
    pub fn raw(&mut self, fragment: &str) -> &mut Self {
        self.buf.push_str(fragment);
        self
    }

    /// The fragment so far.
    #[must_use]
    pub fn finish(self) -> String {
        self.buf
    }
}

/// Escapes text for element content. Characters XML 1.0 cannot carry are
/// replaced by U+FFFD, so output is always well-formed.
pub fn escape_into(out: &mut String, text: &str) {
    // Most text needs no escaping: copy it whole.
    if !text.chars().any(|c| matches!(c, '<' | '>' | '&' | '"' | '\'') || !is_xml_char(c)) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// The XML prolog every response starts with.
pub const PROLOG: &str = "<?xml version=\"1.0\"?>\n";

/// `<Errors>` with one `<Error>` per error (code, message with the server
/// time suffix, data).
pub fn render_errors(xml: &mut Xml, errors: &[&MturkError], epoch_ms: i64) {
    xml.open("Errors");
    for err in errors {
        xml.open("Error").leaf("Code", err.code().as_str());
        // Messages end with a space and the server time in ms (captured, spec §3.5).
        xml.leaf("Message", &format!("{} ({epoch_ms})", err.message()));
        for (k, v) in err.data() {
            xml.open("Data").leaf("Key", k).leaf("Value", v).close("Data");
        }
        xml.close("Error");
    }
    xml.close("Errors");
}

/// The parts of an envelope that do not depend on success or failure.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The root is `{operation}Response`.
    pub operation: &'a str,
    /// The lowercase UUID of this request.
    pub request_id: &'a str,
    /// Server time in ms for message suffixes.
    pub epoch_ms: i64,
}

fn open_frame(frame: Frame<'_>, auth_errors: Option<&MturkError>) -> Xml {
    let mut xml = Xml::new();
    xml.raw(PROLOG);
    xml.open(&format!("{}Response", frame.operation));
    operation_request(&mut xml, frame, auth_errors);
    xml
}

/// `<OperationRequest>`: the request id, and the errors that refused the
/// whole call (authentication, spec §2.4).
pub fn operation_request(xml: &mut Xml, frame: Frame<'_>, errors: Option<&MturkError>) {
    xml.open("OperationRequest").leaf("RequestId", frame.request_id);
    if let Some(err) = errors {
        render_errors(xml, &[err], frame.epoch_ms);
    }
    xml.close("OperationRequest");
}

/// One result element: `<Request>` (IsValid, the echo, the errors of a
/// refused request), then the data of a successful one.
pub fn result_element(xml: &mut Xml, element: &str, echo: &str, outcome: Result<&str, &MturkError>, epoch_ms: i64) {
    xml.open(element).open("Request");
    xml.leaf("IsValid", if outcome.is_ok() { "True" } else { "False" });
    xml.raw(echo);
    if let Err(err) = outcome {
        render_errors(xml, &[err], epoch_ms);
    }
    xml.close("Request");
    if let Ok(body) = outcome {
        xml.raw(body);
    }
    xml.close(element);
}

/// An authentication (or pre-dispatch) error: inside
/// `OperationRequest/Errors`, nothing after it (spec §2.4, §3.6).
#[must_use]
pub fn service_error(frame: Frame<'_>, err: &MturkError) -> String {
    let mut xml = open_frame(frame, Some(err));
    xml.close(&format!("{}Response", frame.operation));
    xml.finish()
}

/// A success or request-level error inside the result element.
///
/// `echo` is the rendered `ResponseGroup=Request` echo (empty when not
/// asked); `body` is the result data after `Request` (ignored on error).
#[must_use]
pub fn result(frame: Frame<'_>, result_element: &str, echo: &str, outcome: Result<&str, &MturkError>) -> String {
    let mut xml = open_frame(frame, None);
    self::result_element(&mut xml, result_element, echo, outcome, frame.epoch_ms);
    xml.close(&format!("{}Response", frame.operation));
    xml.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mturk_error;

    const FRAME: Frame<'static> =
        Frame { operation: "RevokeQualification", request_id: "5218189c-1d7e-49a3-abbf-672fb5e77c66", epoch_ms: 1 };

    #[test]
    fn success_envelope_is_compact_and_unnamespaced() {
        let out = result(FRAME, "RevokeQualificationResult", "", Ok(""));
        assert_eq!(
            out,
            "<?xml version=\"1.0\"?>\n<RevokeQualificationResponse><OperationRequest><RequestId>\
             5218189c-1d7e-49a3-abbf-672fb5e77c66</RequestId></OperationRequest><RevokeQualificationResult>\
             <Request><IsValid>True</IsValid></Request></RevokeQualificationResult></RevokeQualificationResponse>"
        );
    }

    #[test]
    fn errors_carry_code_message_suffix_and_data() {
        let err = mturk_error!(QualificationDoesNotExist, "gone").with_data("K", "<v>");
        let out = result(FRAME, "RevokeQualificationResult", "", Err(&err));
        assert!(out.contains(
            "<Request><IsValid>False</IsValid><Errors><Error><Code>AWS.MechanicalTurk.QualificationDoesNotExist\
             </Code><Message>gone (1)</Message><Data><Key>K</Key><Value>&lt;v&gt;</Value></Data></Error></Errors>\
             </Request></RevokeQualificationResult>"
        ));
        let auth = service_error(FRAME, &mturk_error!(NotAuthorized, "no"));
        assert!(auth.ends_with(
            "</RequestId><Errors><Error><Code>AWS.NotAuthorized</Code><Message>no (1)</Message></Error></Errors>\
             </OperationRequest></RevokeQualificationResponse>"
        ));
    }

    #[test]
    fn escaping_keeps_every_character_a_client_could_send() {
        let mut s = String::new();
        escape_into(&mut s, "a<b&c\"d'e>é\u{1}");
        assert_eq!(s, "a&lt;b&amp;c&quot;d&apos;e&gt;é\u{FFFD}");
    }
}
