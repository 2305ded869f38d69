//! Help and the requester statistics (legacy): the `Information` shape of the
//! 2014-08-15 XSD, and statistics of a scripted history checked against
//! numbers computed by hand.

use crate::common::{Backend, TestApp};

async fn app() -> TestApp {
    TestApp::spawn(&Backend::Sqlite).await
}

#[tokio::test]
async fn help_describes_an_operation_in_the_xsd_element_order() {
    let app = app().await;
    let a = app.call("Help", &[("About", "GetFileUploadURL")]).await.ok();
    let body = &a.body;
    let info = body.find("<Information><Request><IsValid>True</IsValid></Request><OperationInformation>");
    assert!(info.is_some(), "{body}");
    let expected = "<OperationInformation><Name>GetFileUploadURL</Name><Description>";
    assert!(body.contains(expected), "{body}");
    let order = [
        "<Description>",
        "<RequiredParameters><Parameter>AssignmentId</Parameter><Parameter>QuestionIdentifier</Parameter></RequiredParameters>",
        "<DefaultResponseGroups><ResponseGroup>Minimal</ResponseGroup></DefaultResponseGroups>",
        "<AvailableResponseGroups><ResponseGroup>Minimal</ResponseGroup><ResponseGroup>Request</ResponseGroup></AvailableResponseGroups>",
        "</OperationInformation></Information>",
    ];
    let mut at = 0;
    for part in order {
        let found = body[at..].find(part).unwrap_or_else(|| panic!("{part} missing after {at} in {body}"));
        at += found + part.len();
    }
    // No optional parameters: no AvailableParameters element at all.
    assert!(!body.contains("<AvailableParameters>"), "{body}");
}

#[tokio::test]
async fn help_answers_several_names_in_the_order_asked() {
    let app = app().await;
    let a = app.call("Help", &[("About.1", "SearchHITs"), ("About.2", "GetHIT"), ("HelpType", "Operation")]).await.ok();
    let search = a.body.find("<Name>SearchHITs</Name>").unwrap();
    let get = a.body.find("<Name>GetHIT</Name>").unwrap();
    assert!(search < get, "{}", a.body);
    assert_eq!(a.body.matches("<OperationInformation>").count(), 2);
    assert!(a.body.contains(
        "<AvailableParameters><Parameter>SortProperty</Parameter><Parameter>SortDirection</Parameter>\
         <Parameter>PageSize</Parameter><Parameter>PageNumber</Parameter></AvailableParameters>"
    ));
    assert!(a.body.contains("<ResponseGroup>HITQuestion</ResponseGroup>"));
}

#[tokio::test]
async fn help_describes_a_response_group_with_the_operations_that_take_it() {
    let app = app().await;
    let a = app.call("Help", &[("About", "HITQuestion"), ("HelpType", "ResponseGroup")]).await.ok();
    assert!(
        a.body.contains(
            "<ResponseGroupInformation><Name>HITQuestion</Name><ValidOperations><Operation>CreateHIT</Operation>\
             <Operation>GetAssignment</Operation><Operation>GetHIT</Operation><Operation>SearchHITs</Operation>\
             </ValidOperations><Elements><Element>Question</Element></Elements></ResponseGroupInformation>"
        ),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn help_refuses_unknown_names_and_types() {
    let app = app().await;
    const INVALID: &str = "AWS.MechanicalTurk.InvalidParameterValue";
    let cases: &[(&str, Vec<(&str, &str)>, &str)] = &[
        ("an unknown operation", vec![("About", "GetEverything")], INVALID),
        ("a name in the wrong case", vec![("About", "gethit")], INVALID),
        ("one unknown name among known ones", vec![("About.1", "GetHIT"), ("About.2", "Nope")], INVALID),
        ("an operation asked as a response group", vec![("About", "GetHIT"), ("HelpType", "ResponseGroup")], INVALID),
        ("an unknown help type", vec![("About", "GetHIT"), ("HelpType", "Everything")], INVALID),
        ("no About", vec![("HelpType", "Operation")], "AWS.MissingParameters"),
    ];
    for (what, params, code) in cases {
        let a = app.call("Help", params).await;
        assert_eq!(a.code().as_deref(), Some(*code), "{what}: {}", a.body);
    }
}
