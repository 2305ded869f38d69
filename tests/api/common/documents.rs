//! The XML documents tests send: a qualification test, its answer key and a
//! worker's answers.

/// A one-question test (sky colour: blue or red).
pub const QUESTION_FORM: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier><QuestionContent><Text>Sky colour?</Text></QuestionContent><AnswerSpecification><SelectionAnswer><Selections><Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection><Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection></Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"#;
/// Its answer key: blue scores 1, as a percentage.
pub const ANSWER_KEY: &str = r#"<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier><AnswerOption><SelectionIdentifier>blue</SelectionIdentifier><AnswerScore>1</AnswerScore></AnswerOption></Question><QualificationValueMapping><PercentageMapping><MaximumSummedScore>1</MaximumSummedScore></PercentageMapping></QualificationValueMapping></AnswerKey>"#;

/// A worker's answers choosing `choice`.
pub fn answer(choice: &str) -> String {
    format!(
        r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>color</QuestionIdentifier><SelectionIdentifier>{choice}</SelectionIdentifier></Answer></QuestionFormAnswers>"#
    )
}

/// An ExternalQuestion HIT question.
pub const EXTERNAL_QUESTION: &str = r#"<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>"#;

/// A worker's answers: `text` as the free text of question `q`.
pub fn free_text(text: &str) -> String {
    format!(
        r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>{text}</FreeText></Answer></QuestionFormAnswers>"#
    )
}
