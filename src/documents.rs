//! The XML documents that travel inside parameters: QuestionForm (tests),
//! AnswerKey and QuestionFormAnswers. This module checks that they are
//! well-formed and in the right schema namespace (else
//! `AWS.MechanicalTurk.XMLParseError`, spec §3.7) and turns them into plain
//! data for `ops`. Nothing is resolved over the network; DTDs are refused.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::{MturkError, Result};
use crate::mturk_error;

/// Deepest element nesting we accept in any document.
const MAX_DEPTH: usize = 128;

/// An element met while walking a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// Local name.
    pub name: String,
    /// Namespace URI, if bound.
    pub namespace: Option<String>,
    /// Path of local names from the root, this one included.
    pub path: Vec<String>,
    /// Text directly inside the element (trimmed, concatenated).
    pub text: String,
    /// Attributes by local name, unescaped, in document order.
    pub attributes: Vec<(String, String)>,
}

fn parse_error(what: &str, detail: impl std::fmt::Display) -> MturkError {
    mturk_error!(XmlParseError, "There was an error parsing the XML in {what}: {detail}")
}

/// Whether `c` may appear in an XML 1.0 document (the `Char` production).
#[must_use]
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn illegal_char(what: &str, c: char) -> MturkError {
    parse_error(what, format!("the character U+{:04X} is not allowed in XML 1.0", u32::from(c)))
}

/// Walks a whole document and returns every element with its text, in
/// document order. Fails unless the document is well-formed, has exactly one
/// root and no DOCTYPE.
pub mod form;

pub(crate) fn elements(what: &str, xml: &str) -> Result<Vec<Element>> {
    // quick-xml checks neither raw characters nor character references
    // against XML 1.0's `Char` production; a document holding U+0001 (raw or
    // as `&#1;`) would be stored and served back as XML no parser can read.
    if let Some(c) = xml.chars().find(|c| !is_xml_char(*c)) {
        return Err(illegal_char(what, c));
    }
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().check_end_names = true;
    reader.config_mut().trim_text(true);
    let mut stack: Vec<usize> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<Element> = Vec::new();
    let mut roots = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| parse_error(what, e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.is_empty() {
                    roots += 1;
                    if roots > 1 {
                        return Err(parse_error(what, "the document has more than one root element"));
                    }
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(parse_error(what, format!("elements are nested more than {MAX_DEPTH} deep")));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let namespace = match ns {
                    ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(prefix) => {
                        return Err(parse_error(
                            what,
                            format!("unknown namespace prefix {}", String::from_utf8_lossy(&prefix)),
                        ))
                    }
                };
                let mut attributes = Vec::new();
                for attr in e.attributes() {
                    let attr = attr.map_err(|err| parse_error(what, err))?;
                    let value = attr.unescape_value().map_err(|err| parse_error(what, err))?;
                    if let Some(c) = value.chars().find(|c| !is_xml_char(*c)) {
                        return Err(illegal_char(what, c));
                    }
                    let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                    attributes.push((key, value.into_owned()));
                }
                path.push(name.clone());
                out.push(Element { name, namespace, path: path.clone(), text: String::new(), attributes });
                if matches!(event, Event::Start(_)) {
                    stack.push(out.len() - 1);
                } else {
                    path.pop();
                }
            }
            Event::End(_) => {
                stack.pop();
                path.pop();
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| parse_error(what, e))?;
                if let Some(c) = text.chars().find(|c| !is_xml_char(*c)) {
                    return Err(illegal_char(what, c));
                }
                match stack.last() {
                    Some(&i) => out[i].text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(parse_error(what, "text outside the root element")),
                }
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t).into_owned();
                match stack.last() {
                    Some(&i) => out[i].text.push_str(&text),
                    None => return Err(parse_error(what, "CDATA outside the root element")),
                }
            }
            Event::DocType(_) => return Err(parse_error(what, "DOCTYPE declarations are not allowed")),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(parse_error(what, "the document ends inside an element"));
    }
    if roots == 0 {
        return Err(parse_error(what, "the document has no root element"));
    }
    Ok(out)
}

/// Checks the root element's local name and that its namespace is the MTurk
/// schema of that name (any schema version).
fn check_root(what: &str, elements: &[Element], root: &str) -> Result<()> {
    let first = &elements[0];
    let expected_ns_part = format!("/{root}.xsd");
    let ns_ok = first.namespace.as_deref().is_some_and(|ns| {
        ns.starts_with("http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/")
            && ns.ends_with(&expected_ns_part)
    });
    if first.name != root || !ns_ok {
        return Err(parse_error(
            what,
            format!(
                "the root element must be {root} in the namespace \
                 http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/<version>/{root}.xsd"
            ),
        ));
    }
    Ok(())
}

/// Checks a qualification test: a well-formed QuestionForm with at least one
/// Question. (An ExternalQuestion is not allowed as a test, spec §4.1.)
///
/// # Errors
/// `XMLParseError`.
pub fn check_question_form(xml: &str) -> Result<()> {
    let els = elements("Test", xml)?;
    check_root("Test", &els, "QuestionForm")?;
    if !els.iter().any(|e| e.path.len() == 2 && e.name == "Question") {
        return Err(parse_error("Test", "a QuestionForm needs at least one Question"));
    }
    Ok(())
}

/// The kinds of HIT question document (spec legacy-api.md §5.7).
const QUESTION_ROOTS: [&str; 3] = ["QuestionForm", "ExternalQuestion", "HTMLQuestion"];

/// Checks a HIT's Question: a well-formed QuestionForm, ExternalQuestion or
/// HTMLQuestion in its MTurk namespace, with the parts each needs.
///
/// # Errors
/// `XMLParseError`.
pub fn check_question(xml: &str) -> Result<()> {
    const WHAT: &str = "Question";
    let els = elements(WHAT, xml)?;
    let root = els[0].name.clone();
    if !QUESTION_ROOTS.contains(&root.as_str()) {
        return Err(parse_error(WHAT, "the root element must be QuestionForm, ExternalQuestion or HTMLQuestion"));
    }
    check_root(WHAT, &els, &root)?;
    let has = |child: &str| els.iter().any(|e| e.path.len() == 2 && e.name == child && !e.text.trim().is_empty());
    let ok = match root.as_str() {
        "ExternalQuestion" => has("ExternalURL") && has("FrameHeight"),
        "HTMLQuestion" => has("HTMLContent") && has("FrameHeight"),
        _ => els.iter().any(|e| e.path.len() == 2 && e.name == "Question"),
    };
    if !ok {
        return Err(parse_error(
            WHAT,
            "an ExternalQuestion needs ExternalURL and FrameHeight, an HTMLQuestion HTMLContent and FrameHeight, \
             and a QuestionForm at least one Question",
        ));
    }
    Ok(())
}

/// The `ExternalURL` of an ExternalQuestion, if `xml` is one.
#[must_use]
pub fn external_url(xml: &str) -> Option<String> {
    let els = elements("Question", xml).ok()?;
    (els.first()?.name == "ExternalQuestion")
        .then(|| els.iter().find(|e| e.name == "ExternalURL").map(|e| e.text.trim().to_owned()))
        .flatten()
}

/// The `HTMLContent` of an HTMLQuestion, if `xml` is one.
#[must_use]
pub fn html_content(xml: &str) -> Option<String> {
    let els = elements("Question", xml).ok()?;
    (els.first()?.name == "HTMLQuestion")
        .then(|| els.iter().find(|e| e.path.len() == 2 && e.name == "HTMLContent").map(|e| e.text.clone()))
        .flatten()
}

/// The `FrameHeight` of an ExternalQuestion or HTMLQuestion (pixels; 0 asks
/// the worker's page to size the frame itself).
#[must_use]
pub fn frame_height(xml: &str) -> Option<i64> {
    let els = elements("Question", xml).ok()?;
    els.iter().find(|e| e.path.len() == 2 && e.name == "FrameHeight").and_then(|e| e.text.trim().parse().ok())
}

/// Checks an AnswerKey: well-formed, right namespace, and every score and
/// mapping value numeric.
///
/// # Errors
/// `XMLParseError`.
pub fn check_answer_key(xml: &str) -> Result<()> {
    parse_answer_key(xml).map(|_| ())
}

/// One scored option of an AnswerKey question: the exact set of selections
/// and its score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOption {
    /// The selection identifiers, sorted.
    pub selections: Vec<String>,
    /// Points for choosing exactly that set (may be negative).
    pub score: i64,
}

/// One question of an AnswerKey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyQuestion {
    /// `QuestionIdentifier`.
    pub id: String,
    /// The scored options.
    pub options: Vec<AnswerOption>,
    /// Score when no option matches (default 0).
    pub default_score: i64,
}

/// How the summed score becomes the qualification value (spec §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueMapping {
    /// The sum itself.
    Sum,
    /// `round(sum / max × 100)`.
    Percentage {
        /// `MaximumSummedScore`.
        maximum: i64,
    },
    /// `sum × multiplier`.
    Scale {
        /// `SummedScoreMultiplier`.
        multiplier: i64,
    },
    /// Ranges of sums mapped to values.
    Range {
        /// `(lower, upper, value)`, bounds inclusive.
        ranges: Vec<(i64, i64, i64)>,
        /// Value when no range matches.
        out_of_range: i64,
    },
}

/// A parsed AnswerKey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerKey {
    /// The questions, in document order.
    pub questions: Vec<KeyQuestion>,
    /// The value mapping.
    pub mapping: ValueMapping,
}

fn number(what: &str, field: &str, text: &str) -> Result<i64> {
    text.trim().parse().map_err(|_| parse_error(what, format!("{field} must be an integer, not {:?}", text.trim())))
}

/// Parses an AnswerKey (spec §5.7).
///
/// # Errors
/// `XMLParseError` for malformed documents or non-numeric scores.
pub fn parse_answer_key(xml: &str) -> Result<AnswerKey> {
    const WHAT: &str = "AnswerKey";
    let els = elements(WHAT, xml)?;
    check_root(WHAT, &els, "AnswerKey")?;
    let mut questions: Vec<KeyQuestion> = Vec::new();
    let mut mapping = ValueMapping::Sum;
    let mut range_bounds: (Option<i64>, Option<i64>, Option<i64>) = (None, None, None);
    let mut ranges = Vec::new();
    let mut out_of_range = None;
    for e in &els {
        let p: Vec<&str> = e.path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["AnswerKey", "Question"] => {
                questions.push(KeyQuestion { id: String::new(), options: Vec::new(), default_score: 0 });
            }
            ["AnswerKey", "Question", "QuestionIdentifier"] => {
                if let Some(q) = questions.last_mut() {
                    e.text.trim().clone_into(&mut q.id);
                }
            }
            ["AnswerKey", "Question", "AnswerOption"] => {
                if let Some(q) = questions.last_mut() {
                    q.options.push(AnswerOption { selections: Vec::new(), score: 0 });
                }
            }
            ["AnswerKey", "Question", "AnswerOption", "SelectionIdentifier"] => {
                if let Some(o) = questions.last_mut().and_then(|q| q.options.last_mut()) {
                    o.selections.push(e.text.trim().to_owned());
                    o.selections.sort();
                }
            }
            ["AnswerKey", "Question", "AnswerOption", "AnswerScore"] => {
                let score = number(WHAT, "AnswerScore", &e.text)?;
                if let Some(o) = questions.last_mut().and_then(|q| q.options.last_mut()) {
                    o.score = score;
                }
            }
            ["AnswerKey", "Question", "DefaultScore"] => {
                let score = number(WHAT, "DefaultScore", &e.text)?;
                if let Some(q) = questions.last_mut() {
                    q.default_score = score;
                }
            }
            ["AnswerKey", "QualificationValueMapping", "PercentageMapping", "MaximumSummedScore"] => {
                let maximum = number(WHAT, "MaximumSummedScore", &e.text)?;
                if maximum <= 0 {
                    return Err(parse_error(WHAT, "MaximumSummedScore must be positive"));
                }
                mapping = ValueMapping::Percentage { maximum };
            }
            ["AnswerKey", "QualificationValueMapping", "ScaleMapping", "SummedScoreMultiplier"] => {
                mapping = ValueMapping::Scale { multiplier: number(WHAT, "SummedScoreMultiplier", &e.text)? };
            }
            ["AnswerKey", "QualificationValueMapping", "RangeMapping", "SummedScoreRange"] => {
                range_bounds = (None, None, None);
            }
            ["AnswerKey", "QualificationValueMapping", "RangeMapping", "SummedScoreRange", field] => {
                let v = number(WHAT, field, &e.text)?;
                match *field {
                    "InclusiveLowerBound" => range_bounds.0 = Some(v),
                    "InclusiveUpperBound" => range_bounds.1 = Some(v),
                    "QualificationValue" => range_bounds.2 = Some(v),
                    _ => {}
                }
                if let (Some(lo), Some(hi), Some(value)) = range_bounds {
                    ranges.push((lo, hi, value));
                    range_bounds = (None, None, None);
                }
            }
            ["AnswerKey", "QualificationValueMapping", "RangeMapping", "OutOfRangeQualificationValue"] => {
                out_of_range = Some(number(WHAT, "OutOfRangeQualificationValue", &e.text)?);
            }
            _ => {}
        }
    }
    if !ranges.is_empty() || out_of_range.is_some() {
        mapping = ValueMapping::Range { ranges, out_of_range: out_of_range.unwrap_or(0) };
    }
    if questions.iter().any(|q| q.id.is_empty()) {
        return Err(parse_error(WHAT, "every Question needs a QuestionIdentifier"));
    }
    Ok(AnswerKey { questions, mapping })
}

/// A question of a HIT's QuestionForm, as a file submission needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormQuestion {
    /// Its QuestionIdentifier.
    pub id: String,
    /// `(MinFileSizeInBytes, MaxFileSizeInBytes)` when its answer is a FileUploadAnswer.
    pub file_sizes: Option<(i64, i64)>,
}

/// The questions of a HIT's Question document: every Question of a
/// QuestionForm; none for an ExternalQuestion or HTMLQuestion (their answers
/// are whatever the page posts).
///
/// # Errors
/// `XMLParseError` (a stored Question was checked when the HIT was created).
pub fn form_questions(xml: &str) -> Result<Vec<FormQuestion>> {
    let els = elements("Question", xml)?;
    if els[0].name != "QuestionForm" {
        return Ok(Vec::new());
    }
    let mut out: Vec<FormQuestion> = Vec::new();
    let number = |e: &Element| e.text.trim().parse::<i64>().ok();
    for e in &els {
        let p: Vec<&str> = e.path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["QuestionForm", "Question"] => out.push(FormQuestion { id: String::new(), file_sizes: None }),
            ["QuestionForm", "Question", "QuestionIdentifier"] => {
                if let Some(q) = out.last_mut() {
                    e.text.trim().clone_into(&mut q.id);
                }
            }
            // The schema's limits when a size is missing or unreadable: 1 to 2,000,000,000 bytes.
            ["QuestionForm", "Question", "AnswerSpecification", "FileUploadAnswer"] => {
                if let Some(q) = out.last_mut() {
                    q.file_sizes = Some((1, MAX_FILE_SIZE));
                }
            }
            ["QuestionForm", "Question", "AnswerSpecification", "FileUploadAnswer", "MaxFileSizeInBytes"] => {
                if let Some((_, max)) = out.last_mut().and_then(|q| q.file_sizes.as_mut()) {
                    *max = number(e).unwrap_or(MAX_FILE_SIZE);
                }
            }
            ["QuestionForm", "Question", "AnswerSpecification", "FileUploadAnswer", "MinFileSizeInBytes"] => {
                if let Some((min, _)) = out.last_mut().and_then(|q| q.file_sizes.as_mut()) {
                    *min = number(e).unwrap_or(1);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The largest file a FileUploadAnswer may ask for (QuestionForm.xsd 2005-10-01,
/// `MaxFileSizeType`).
pub const MAX_FILE_SIZE: i64 = 2_000_000_000;

/// A worker's answers: question identifier → selected identifiers (or free text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    /// `(QuestionIdentifier, selections)` in document order; free text counts
    /// as one selection.
    pub answers: Vec<(String, Vec<String>)>,
}

/// Parses QuestionFormAnswers.
///
/// # Errors
/// `XMLParseError`.
pub fn parse_answers(xml: &str) -> Result<Answers> {
    const WHAT: &str = "Answer";
    let els = elements(WHAT, xml)?;
    check_root(WHAT, &els, "QuestionFormAnswers")?;
    let mut out = Answers::default();
    for e in &els {
        let p: Vec<&str> = e.path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["QuestionFormAnswers", "Answer"] => out.answers.push((String::new(), Vec::new())),
            ["QuestionFormAnswers", "Answer", "QuestionIdentifier"] => {
                if let Some(a) = out.answers.last_mut() {
                    e.text.trim().clone_into(&mut a.0);
                }
            }
            ["QuestionFormAnswers", "Answer", "SelectionIdentifier" | "FreeText" | "OtherSelectionText"] => {
                if let Some(a) = out.answers.last_mut() {
                    a.1.push(e.text.trim().to_owned());
                    a.1.sort();
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Scores answers against a key and maps the sum to a qualification value
/// (spec §5.7): an option scores only when the worker chose exactly its set.
#[must_use]
pub fn score(key: &AnswerKey, answers: &Answers) -> i64 {
    let sum: i64 = key
        .questions
        .iter()
        .map(|q| {
            let chosen = answers.answers.iter().find(|(id, _)| id == &q.id).map(|(_, sel)| sel);
            chosen.and_then(|sel| q.options.iter().find(|o| &o.selections == sel)).map_or(q.default_score, |o| o.score)
        })
        .fold(0i64, i64::saturating_add);
    match &key.mapping {
        ValueMapping::Sum => sum,
        ValueMapping::Percentage { maximum } => {
            // round(sum / max × 100), half away from zero, in integers. In i128
            // the products cannot overflow (|sum| × 200 < 2^72), and the result
            // is clamped back to i64; scores near i64::MAX overflowed before
            // (found by `cargo fuzz run score`). The maximum is positive when
            // parsed; `max(1)` keeps a hand-built key from dividing by zero.
            let q = i128::from(sum) * 200 / i128::from((*maximum).max(1));
            let rounded = (q + q.signum()) / 2;
            i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
        }
        ValueMapping::Scale { multiplier } => sum.saturating_mul(*multiplier),
        ValueMapping::Range { ranges, out_of_range } => {
            ranges.iter().find(|(lo, hi, _)| (*lo..=*hi).contains(&sum)).map_or(*out_of_range, |(_, _, v)| *v)
        }
    }
}

/// The namespace of `QuestionFormAnswers` documents (2005-10-01).
const ANSWERS_NS: &str =
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd";

/// One uploaded file's `Answer` in a `QuestionFormAnswers` document.
#[derive(Debug, Clone, Copy)]
pub struct UploadedFileAnswer<'a> {
    /// The question it answers.
    pub question_id: &'a str,
    /// `UploadedFileSizeInBytes`.
    pub size_bytes: i64,
    /// `UploadedFileKey`.
    pub file_key: &'a str,
}

/// `answer` (a `QuestionFormAnswers` document, or none) with one `Answer` per
/// uploaded file after its own answers, each with `UploadedFileSizeInBytes`
/// and `UploadedFileKey` as QuestionFormAnswers.xsd (2005-10-01) defines them.
#[must_use]
pub fn with_uploaded_files(answer: Option<&str>, files: &[UploadedFileAnswer<'_>]) -> String {
    let mut elements = String::new();
    for f in files {
        elements.push_str("<Answer><QuestionIdentifier>");
        elements.push_str(&quick_xml::escape::escape(f.question_id));
        elements.push_str("</QuestionIdentifier><UploadedFileSizeInBytes>");
        elements.push_str(&f.size_bytes.to_string());
        elements.push_str("</UploadedFileSizeInBytes><UploadedFileKey>");
        elements.push_str(&quick_xml::escape::escape(f.file_key));
        elements.push_str("</UploadedFileKey></Answer>");
    }
    match answer {
        // Before the root's end tag: the files' answers follow the others.
        Some(a) => {
            let trimmed = a.trim_end();
            let at = trimmed.rfind("</").unwrap_or(trimmed.len());
            format!("{}{elements}{}", &trimmed[..at], &trimmed[at..])
        }
        None => format!("<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\">{elements}</QuestionFormAnswers>"),
    }
}

/// The QuestionFormAnswers of a form posted by an ExternalQuestion page:
/// each field a FreeText answer whose QuestionIdentifier is its name.
/// Callers refuse text XML cannot carry first (see [`is_xml_char`]).
#[must_use]
pub fn free_text_answers<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut answers = format!("<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\">");
    for (name, value) in fields {
        answers.push_str("<Answer><QuestionIdentifier>");
        answers.push_str(&quick_xml::escape::escape(name));
        answers.push_str("</QuestionIdentifier><FreeText>");
        answers.push_str(&quick_xml::escape::escape(value));
        answers.push_str("</FreeText></Answer>");
    }
    answers.push_str("</QuestionFormAnswers>");
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    const QF: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier><QuestionContent><Text>2+2?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"#;

    fn key(mapping: &str) -> String {
        format!(
            r#"<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier><AnswerOption><SelectionIdentifier>a</SelectionIdentifier><AnswerScore>10</AnswerScore></AnswerOption><AnswerOption><SelectionIdentifier>b</SelectionIdentifier><SelectionIdentifier>c</SelectionIdentifier><AnswerScore>5</AnswerScore></AnswerOption><DefaultScore>-2</DefaultScore></Question><Question><QuestionIdentifier>q2</QuestionIdentifier><AnswerOption><SelectionIdentifier>x</SelectionIdentifier><AnswerScore>10</AnswerScore></AnswerOption></Question>{mapping}</AnswerKey>"#
        )
    }

    fn answers(q1: &[&str], q2: &[&str]) -> Answers {
        let sel = |s: &[&str]| {
            s.iter().fold(String::new(), |acc, x| acc + "<SelectionIdentifier>" + x + "</SelectionIdentifier>")
        };
        parse_answers(&format!(
            r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q1</QuestionIdentifier>{}</Answer><Answer><QuestionIdentifier>q2</QuestionIdentifier>{}</Answer></QuestionFormAnswers>"#,
            sel(q1),
            sel(q2)
        ))
        .unwrap()
    }

    #[test]
    fn a_question_form_must_be_well_formed_and_namespaced() {
        assert!(check_question_form(QF).is_ok());
        assert!(check_question_form("<QuestionForm><Question/></QuestionForm>").is_err());
        assert!(check_question_form(&QF.replace("</QuestionForm>", "")).is_err());
        assert!(check_question_form("not xml").is_err());
        assert!(check_question_form(&format!("{QF}<extra/>")).is_err());
        assert!(check_question_form(&format!("<!DOCTYPE x [<!ENTITY e \"e\">]>{QF}")).is_err());
        let deep = format!("{}{}", "<a>".repeat(500), "</a>".repeat(500));
        assert!(check_question_form(&deep).is_err());
    }

    #[test]
    fn exact_selection_sets_score_and_others_get_the_default() {
        let k = parse_answer_key(&key("")).unwrap();
        assert_eq!(score(&k, &answers(&["a"], &["x"])), 20);
        assert_eq!(score(&k, &answers(&["c", "b"], &["x"])), 15);
        assert_eq!(score(&k, &answers(&["b"], &[])), -2);
    }

    #[test]
    fn mappings_turn_the_sum_into_a_value() {
        let pct = "<QualificationValueMapping><PercentageMapping><MaximumSummedScore>30</MaximumSummedScore></PercentageMapping></QualificationValueMapping>";
        assert_eq!(score(&parse_answer_key(&key(pct)).unwrap(), &answers(&["a"], &["x"])), 67);
        let scale = "<QualificationValueMapping><ScaleMapping><SummedScoreMultiplier>3</SummedScoreMultiplier></ScaleMapping></QualificationValueMapping>";
        assert_eq!(score(&parse_answer_key(&key(scale)).unwrap(), &answers(&["a"], &[])), 30);
        let range = "<QualificationValueMapping><RangeMapping><SummedScoreRange><InclusiveLowerBound>0</InclusiveLowerBound><InclusiveUpperBound>10</InclusiveUpperBound><QualificationValue>1</QualificationValue></SummedScoreRange><SummedScoreRange><InclusiveLowerBound>11</InclusiveLowerBound><InclusiveUpperBound>20</InclusiveUpperBound><QualificationValue>2</QualificationValue></SummedScoreRange><OutOfRangeQualificationValue>0</OutOfRangeQualificationValue></RangeMapping></QualificationValueMapping>";
        let k = parse_answer_key(&key(range)).unwrap();
        assert_eq!(score(&k, &answers(&["a"], &["x"])), 2);
        assert_eq!(score(&k, &answers(&["a"], &[])), 1);
        assert_eq!(score(&k, &answers(&["b"], &[])), 0);
    }

    #[test]
    fn percentages_of_extreme_sums_are_clamped_not_overflowed() {
        // Regression (cargo fuzz run score): a sum near i64::MAX over a maximum
        // of 1 overflowed `q + q.signum()`, a panic in debug builds.
        let huge = |default_score: i64, maximum: i64| AnswerKey {
            questions: vec![KeyQuestion { id: "q1".into(), options: Vec::new(), default_score }],
            mapping: ValueMapping::Percentage { maximum },
        };
        let none = Answers::default();
        assert_eq!(score(&huge(8_860_211_588_363_845_632, 1), &none), i64::MAX);
        assert_eq!(score(&huge(i64::MIN, 1), &none), i64::MIN);
        assert_eq!(score(&huge(i64::MAX, i64::MAX), &none), 100);
        assert_eq!(score(&huge(-1, 3), &none), -33);
        assert_eq!(score(&huge(1, 0), &none), 100);
        // The same through the documents a requester and a worker send.
        let key_xml = key("<QualificationValueMapping><PercentageMapping><MaximumSummedScore>1</MaximumSummedScore></PercentageMapping></QualificationValueMapping>")
            .replace("<AnswerScore>10</AnswerScore>", "<AnswerScore>9223372036854775807</AnswerScore>");
        assert_eq!(score(&parse_answer_key(&key_xml).unwrap(), &answers(&["a"], &["x"])), i64::MAX);
    }

    #[test]
    fn non_numeric_scores_are_parse_errors() {
        let bad = key("").replace("<AnswerScore>10</AnswerScore>", "<AnswerScore>ten</AnswerScore>");
        assert_eq!(parse_answer_key(&bad).unwrap_err().code(), crate::error::ErrorCode::XmlParseError);
    }
}
