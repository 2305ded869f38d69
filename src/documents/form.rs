//! A QuestionForm as a worker's page shows it: its content and its answer
//! specifications, read from the document (QuestionForm.xsd 2005-10-01:
//! `Overview` and `Question` items; content `Title`, `Text`, `List`,
//! `Binary`, `Application`, `EmbeddedBinary`, `FormattedContent`; answers
//! `FreeTextAnswer`, `SelectionAnswer`, `FileUploadAnswer`), and the
//! `QuestionFormAnswers` document built from what the worker entered,
//! checked against those specifications.

use super::{elements, parse_error, Element, ANSWERS_NS};
use crate::error::Result;
use crate::mturk_error;

/// One piece of content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `Title`.
    Title(String),
    /// `Text`.
    Text(String),
    /// `List` of `ListItem`s.
    List(Vec<String>),
    /// `Binary` (or `EmbeddedBinary`): a media file by URL.
    Binary {
        /// `MimeType/Type` (`image`, `audio`, `video`).
        kind: String,
        /// `DataURL`.
        url: String,
        /// `AltText`.
        alt: String,
    },
    /// `Application` (`JavaApplet`, `Flash`): shown as a note, never run.
    Application(String),
    /// `FormattedContent`: XHTML the page shows as text (it is not run).
    Formatted(String),
}

/// `FreeTextAnswer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FreeText {
    /// `Constraints/IsNumeric`, with its `minValue` and `maxValue`.
    pub numeric: Option<(Option<i64>, Option<i64>)>,
    /// `Constraints/Length` `minLength`.
    pub min_length: Option<usize>,
    /// `Constraints/Length` `maxLength`.
    pub max_length: Option<usize>,
    /// `Constraints/AnswerFormatRegex` `regex` (shown, not enforced here).
    pub regex: Option<String>,
    /// `DefaultText`.
    pub default_text: String,
    /// `NumberOfLinesSuggestion`.
    pub lines: usize,
}

/// One `Selection`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `SelectionIdentifier`.
    pub id: String,
    /// Its `Text` (or `FormattedContent`, or a `Binary`'s alt text).
    pub label: String,
}

/// How a question is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerSpec {
    /// Free text.
    FreeText(FreeText),
    /// A choice.
    Selection {
        /// `MinSelectionCount` (default 1).
        min: usize,
        /// `MaxSelectionCount` (default 1).
        max: usize,
        /// `StyleSuggestion`: `radiobutton`, `checkbox`, `list`, `dropdown`,
        /// `combobox` or `multichooser`.
        style: String,
        /// The choices.
        selections: Vec<Selection>,
        /// `OtherSelection`: free text besides the choices.
        other: Option<FreeText>,
    },
    /// A file (`MinFileSizeInBytes`, `MaxFileSizeInBytes`).
    FileUpload {
        /// Smallest size.
        min: i64,
        /// Largest size.
        max: i64,
    },
}

impl AnswerSpec {
    /// A selection shown as a drop-down or list (`dropdown`, `list`,
    /// `combobox`, `multichooser`) rather than radio buttons or check boxes.
    #[must_use]
    pub fn is_select(&self) -> bool {
        matches!(self, Self::Selection { style, .. } if matches!(style.as_str(), "dropdown" | "list" | "combobox" | "multichooser"))
    }

    /// A selection that takes several choices.
    #[must_use]
    pub fn is_multiple(&self) -> bool {
        matches!(self, Self::Selection { style, max, .. } if *max > 1 || matches!(style.as_str(), "checkbox" | "multichooser"))
    }
}

/// One `Question`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// `QuestionIdentifier`.
    pub id: String,
    /// `DisplayName`.
    pub display_name: Option<String>,
    /// `IsRequired` (default false).
    pub required: bool,
    /// `QuestionContent`.
    pub content: Vec<Content>,
    /// `AnswerSpecification`.
    pub answer: AnswerSpec,
}

/// An item of the form, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `Overview`.
    Overview(Vec<Content>),
    /// `Question`.
    Question(Box<Question>),
}

/// What a worker entered for one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entered {
    /// Free text (or the `OtherSelection` text).
    pub text: Option<String>,
    /// Chosen selection identifiers.
    pub selections: Vec<String>,
    /// A file was chosen for this question (a `FileUploadAnswer`, whose
    /// `Answer` the submission adds with the stored file).
    pub file: bool,
}

fn attr<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Reads a QuestionForm document; `None` for another kind of Question
/// (ExternalQuestion, HTMLQuestion).
///
/// # Errors
/// `XMLParseError` for a malformed document.
pub fn parse(xml: &str) -> Result<Option<Vec<Item>>> {
    let els = elements("Question", xml)?;
    if els[0].name != "QuestionForm" {
        return Ok(None);
    }
    let mut items: Vec<Item> = Vec::new();
    for e in &els {
        let p: Vec<&str> = e.path.iter().map(String::as_str).collect();
        match p.as_slice() {
            ["QuestionForm", "Overview"] => items.push(Item::Overview(Vec::new())),
            ["QuestionForm", "Overview", rest @ ..] => {
                if let Some(Item::Overview(content)) = items.last_mut() {
                    content_element(content, rest, e);
                }
            }
            ["QuestionForm", "Question"] => items.push(Item::Question(Box::new(Question {
                id: String::new(),
                display_name: None,
                required: false,
                content: Vec::new(),
                answer: AnswerSpec::FreeText(FreeText::default()),
            }))),
            ["QuestionForm", "Question", rest @ ..] => {
                if let Some(Item::Question(q)) = items.last_mut() {
                    question_element(q, rest, e);
                }
            }
            _ => {}
        }
    }
    if items.iter().any(|i| matches!(i, Item::Question(q) if q.id.is_empty())) {
        return Err(parse_error("QuestionForm", "every Question needs a QuestionIdentifier"));
    }
    Ok(Some(items))
}

fn text(e: &Element) -> String {
    e.text.trim().to_owned()
}

fn content_element(content: &mut Vec<Content>, path: &[&str], e: &Element) {
    match path {
        ["Title"] => content.push(Content::Title(text(e))),
        ["Text"] => content.push(Content::Text(text(e))),
        ["List"] => content.push(Content::List(Vec::new())),
        ["List", "ListItem"] => {
            if let Some(Content::List(items)) = content.last_mut() {
                items.push(text(e));
            }
        }
        ["Binary" | "EmbeddedBinary"] => {
            content.push(Content::Binary { kind: String::new(), url: String::new(), alt: String::new() });
        }
        ["Binary" | "EmbeddedBinary", "MimeType" | "EmbeddedMimeType", "Type"] => {
            if let Some(Content::Binary { kind, .. }) = content.last_mut() {
                *kind = text(e);
            }
        }
        ["Binary" | "EmbeddedBinary", "DataURL"] => {
            if let Some(Content::Binary { url, .. }) = content.last_mut() {
                *url = text(e);
            }
        }
        ["Binary" | "EmbeddedBinary", "AltText"] => {
            if let Some(Content::Binary { alt, .. }) = content.last_mut() {
                *alt = text(e);
            }
        }
        ["Application", kind] => content.push(Content::Application((*kind).to_owned())),
        ["FormattedContent"] => content.push(Content::Formatted(text(e))),
        _ => {}
    }
}

fn number<T: std::str::FromStr>(e: &Element) -> Option<T> {
    e.text.trim().parse().ok()
}

fn free_text_element(f: &mut FreeText, path: &[&str], e: &Element) {
    match path {
        ["Constraints", "IsNumeric"] => {
            f.numeric = Some((
                attr(e, "minValue").and_then(|v| v.trim().parse().ok()),
                attr(e, "maxValue").and_then(|v| v.trim().parse().ok()),
            ));
        }
        ["Constraints", "Length"] => {
            f.min_length = attr(e, "minLength").and_then(|v| v.trim().parse().ok());
            f.max_length = attr(e, "maxLength").and_then(|v| v.trim().parse().ok());
        }
        ["Constraints", "AnswerFormatRegex"] => f.regex = attr(e, "regex").map(str::to_owned),
        ["DefaultText"] => f.default_text.clone_from(&e.text),
        ["NumberOfLinesSuggestion"] => f.lines = number(e).unwrap_or(1),
        _ => {}
    }
}

fn question_element(q: &mut Question, path: &[&str], e: &Element) {
    match path {
        ["QuestionIdentifier"] => q.id = text(e),
        ["DisplayName"] => q.display_name = Some(text(e)),
        ["IsRequired"] => q.required = e.text.trim() == "true",
        ["QuestionContent", rest @ ..] => content_element(&mut q.content, rest, e),
        ["AnswerSpecification", "FreeTextAnswer"] => q.answer = AnswerSpec::FreeText(FreeText::default()),
        ["AnswerSpecification", "FreeTextAnswer", rest @ ..] => {
            if let AnswerSpec::FreeText(f) = &mut q.answer {
                free_text_element(f, rest, e);
            }
        }
        ["AnswerSpecification", "SelectionAnswer"] => {
            q.answer = AnswerSpec::Selection {
                min: 1,
                max: 1,
                style: "radiobutton".to_owned(),
                selections: Vec::new(),
                other: None,
            };
        }
        ["AnswerSpecification", "SelectionAnswer", rest @ ..] => {
            if let AnswerSpec::Selection { min, max, style, selections, other } = &mut q.answer {
                match rest {
                    ["MinSelectionCount"] => *min = number(e).unwrap_or(1),
                    ["MaxSelectionCount"] => *max = number(e).unwrap_or(1),
                    ["StyleSuggestion"] => *style = text(e),
                    ["Selections", "Selection"] => {
                        selections.push(Selection { id: String::new(), label: String::new() });
                    }
                    ["Selections", "Selection", "SelectionIdentifier"] => {
                        if let Some(s) = selections.last_mut() {
                            s.id = text(e);
                        }
                    }
                    ["Selections", "Selection", "Text" | "FormattedContent"]
                    | ["Selections", "Selection", "Binary", "AltText"] => {
                        if let Some(s) = selections.last_mut() {
                            s.label = text(e);
                        }
                    }
                    ["Selections", "OtherSelection"] => *other = Some(FreeText::default()),
                    ["Selections", "OtherSelection", rest @ ..] => {
                        if let Some(f) = other {
                            free_text_element(f, rest, e);
                        }
                    }
                    _ => {}
                }
            }
        }
        ["AnswerSpecification", "FileUploadAnswer"] => {
            q.answer = AnswerSpec::FileUpload { min: 1, max: super::MAX_FILE_SIZE };
        }
        ["AnswerSpecification", "FileUploadAnswer", field] => {
            if let AnswerSpec::FileUpload { min, max } = &mut q.answer {
                match *field {
                    "MinFileSizeInBytes" => *min = number(e).unwrap_or(1),
                    "MaxFileSizeInBytes" => *max = number(e).unwrap_or(super::MAX_FILE_SIZE),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn invalid(q: &Question, why: &str) -> crate::error::MturkError {
    let name = q.display_name.as_deref().unwrap_or(&q.id);
    mturk_error!(InvalidParameterValue, "The answer to \"{name}\" {why}.")
        .with_data("QuestionIdentifier", q.id.as_str())
}

fn check_free_text(q: &Question, f: &FreeText, value: &str) -> Result<()> {
    let chars = value.chars().count();
    if let Some(min) = f.min_length.filter(|m| chars < *m) {
        return Err(invalid(q, &format!("must have at least {min} characters")));
    }
    if let Some(max) = f.max_length.filter(|m| chars > *m) {
        return Err(invalid(q, &format!("must have at most {max} characters")));
    }
    if let Some((min, max)) = f.numeric {
        let Ok(n) = value.trim().parse::<i64>() else {
            return Err(invalid(q, "must be a whole number"));
        };
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            let range = format!(
                "{}..{}",
                min.map(|m| m.to_string()).unwrap_or_default(),
                max.map(|m| m.to_string()).unwrap_or_default()
            );
            return Err(invalid(q, &format!("must be in the range {range}")));
        }
    }
    Ok(())
}

/// The `QuestionFormAnswers` document for what the worker entered, checked
/// against each question's specification: required questions answered,
/// lengths and numeric ranges of free text, the number of selections and
/// that each is one of the question's. A question left empty gets no
/// `Answer`; a file question gets none here either (the file's `Answer` is
/// added when the file is stored), but a required one needs its file.
///
/// # Errors
/// `InvalidParameterValue` naming the question whose answer is not valid.
pub fn answers(items: &[Item], entered: &dyn Fn(&str) -> Entered) -> Result<String> {
    let mut doc = format!("<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\">");
    for item in items {
        let Item::Question(q) = item else { continue };
        let got = entered(&q.id);
        let text = got.text.as_deref().filter(|t| !t.is_empty());
        let body = match &q.answer {
            AnswerSpec::FreeText(f) => match text {
                None => None,
                Some(t) => {
                    check_free_text(q, f, t)?;
                    Some(format!("<FreeText>{}</FreeText>", quick_xml::escape::escape(t)))
                }
            },
            AnswerSpec::Selection { min, max, selections, other, .. } => {
                let mut chosen: Vec<&str> = Vec::new();
                for s in &got.selections {
                    if !selections.iter().any(|x| &x.id == s) {
                        return Err(invalid(q, &format!("names {s:?}, which is not one of its selections")));
                    }
                    if !chosen.contains(&s.as_str()) {
                        chosen.push(s);
                    }
                }
                let other_text = match (other, text) {
                    (Some(f), Some(t)) => {
                        check_free_text(q, f, t)?;
                        Some(t)
                    }
                    _ => None,
                };
                let count = chosen.len() + usize::from(other_text.is_some());
                if count == 0 {
                    None
                } else {
                    if count < *min || count > *max {
                        return Err(invalid(q, &format!("must choose between {min} and {max} selections")));
                    }
                    let mut body = String::new();
                    for s in &chosen {
                        body.push_str("<SelectionIdentifier>");
                        body.push_str(&quick_xml::escape::escape(*s));
                        body.push_str("</SelectionIdentifier>");
                    }
                    if let Some(t) = other_text {
                        body.push_str("<OtherSelectionText>");
                        body.push_str(&quick_xml::escape::escape(t));
                        body.push_str("</OtherSelectionText>");
                    }
                    Some(body)
                }
            }
            AnswerSpec::FileUpload { .. } => {
                if got.file {
                    // Its Answer comes with the stored file.
                    continue;
                }
                if q.required {
                    return Err(invalid(q, "is required: choose a file"));
                }
                None
            }
        };
        match body {
            Some(body) => {
                doc.push_str("<Answer><QuestionIdentifier>");
                doc.push_str(&quick_xml::escape::escape(&q.id));
                doc.push_str("</QuestionIdentifier>");
                doc.push_str(&body);
                doc.push_str("</Answer>");
            }
            None if q.required => return Err(invalid(q, "is required")),
            None => {}
        }
    }
    doc.push_str("</QuestionFormAnswers>");
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd">
      <Overview><Title>Colours</Title><List><ListItem>one</ListItem><ListItem>two</ListItem></List></Overview>
      <Question><QuestionIdentifier>age</QuestionIdentifier><IsRequired>true</IsRequired>
        <QuestionContent><Text>Your age?</Text></QuestionContent>
        <AnswerSpecification><FreeTextAnswer><Constraints><IsNumeric minValue="18" maxValue="99"/></Constraints></FreeTextAnswer></AnswerSpecification></Question>
      <Question><QuestionIdentifier>colour</QuestionIdentifier>
        <QuestionContent><Text>Colours?</Text></QuestionContent>
        <AnswerSpecification><SelectionAnswer><MinSelectionCount>1</MinSelectionCount><MaxSelectionCount>2</MaxSelectionCount><StyleSuggestion>checkbox</StyleSuggestion>
          <Selections><Selection><SelectionIdentifier>r</SelectionIdentifier><Text>Red</Text></Selection><Selection><SelectionIdentifier>g</SelectionIdentifier><Text>Green</Text></Selection><Selection><SelectionIdentifier>b</SelectionIdentifier><Text>Blue</Text></Selection></Selections>
        </SelectionAnswer></AnswerSpecification></Question>
    </QuestionForm>"#;

    fn entered(age: &str, colours: &[&str]) -> impl Fn(&str) -> Entered {
        let age = age.to_owned();
        let colours: Vec<String> = colours.iter().map(|c| (*c).to_owned()).collect();
        move |id: &str| match id {
            "age" => Entered { text: Some(age.clone()), selections: vec![], file: false },
            _ => Entered { text: None, selections: colours.clone(), file: false },
        }
    }

    #[test]
    fn a_form_is_read_with_its_content_and_constraints() {
        let items = parse(FORM).unwrap().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            Item::Overview(vec![Content::Title("Colours".into()), Content::List(vec!["one".into(), "two".into()])])
        );
        let Item::Question(q) = &items[1] else { panic!("not a question") };
        assert!(q.required);
        assert_eq!(
            q.answer,
            AnswerSpec::FreeText(FreeText { numeric: Some((Some(18), Some(99))), ..FreeText::default() })
        );
        let Item::Question(q) = &items[2] else { panic!("not a question") };
        let AnswerSpec::Selection { max, style, selections, .. } = &q.answer else { panic!("not a selection") };
        assert_eq!((*max, style.as_str(), selections.len()), (2, "checkbox", 3));
        assert_eq!(selections[1], Selection { id: "g".into(), label: "Green".into() });
        assert_eq!(parse("<HTMLQuestion xmlns=\"x\"><HTMLContent>a</HTMLContent></HTMLQuestion>").unwrap(), None);
    }

    #[test]
    fn answers_become_a_question_form_answers_document_that_parses() {
        let items = parse(FORM).unwrap().unwrap();
        let doc = answers(&items, &entered("30", &["r", "b"])).unwrap();
        let parsed = crate::documents::parse_answers(&doc).unwrap();
        assert_eq!(parsed.answers.len(), 2);
        assert!(doc.contains("<FreeText>30</FreeText>"));
        assert!(
            doc.contains("<SelectionIdentifier>r</SelectionIdentifier><SelectionIdentifier>b</SelectionIdentifier>")
        );
    }

    #[test]
    fn answers_outside_the_specification_are_refused_by_question() {
        let items = parse(FORM).unwrap().unwrap();
        for (age, colours, why) in [
            ("12", &["r"][..], "range"),
            ("abc", &["r"][..], "whole number"),
            ("", &["r"][..], "required"),
            ("30", &["r", "g", "b"][..], "between 1 and 2"),
            ("30", &["x"][..], "not one of its selections"),
        ] {
            let err = answers(&items, &entered(age, colours)).unwrap_err();
            assert!(err.message().contains(why), "{age} {colours:?}: {}", err.message());
        }
    }
}
