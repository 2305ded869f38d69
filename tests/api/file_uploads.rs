//! FileUploadAnswer: files submitted through the worker simulator, kept with
//! the assignment, and read back through GetFileUploadURL (JSON through
//! `aws-sdk-mturk`, legacy through signed requests) at an address on this
//! server that works for 60 seconds of emulated time, for the HIT's owner only.

use base64::Engine as _;
use serde_json::json;

use crate::both_backends;
use crate::common::documents::{free_text, EXTERNAL_QUESTION};
use crate::common::sdk::{new_hit, sdk, turk_code};
use crate::common::{xml_text, TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

const WORKER: &str = "A1FILEWORKER";
const FORM: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>photo</QuestionIdentifier><QuestionContent><Text>Upload a photo</Text></QuestionContent><AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>64</MaxFileSizeInBytes><MinFileSizeInBytes>4</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification></Question><Question><QuestionIdentifier>caption</QuestionIdentifier><QuestionContent><Text>Caption</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"#;
const CAPTION: &str = r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>caption</QuestionIdentifier><FreeText>A cat</FreeText></Answer></QuestionFormAnswers>"#;
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\nnot really a png";

async fn form_hit(app: &TestApp, question: &str) -> String {
    let c = sdk(app, DEV_KEY, DEV_SECRET);
    let out = c
        .create_hit()
        .title("Photograph your cat")
        .description("One photo")
        .reward("0.10")
        .max_assignments(2)
        .lifetime_in_seconds(3600)
        .assignment_duration_in_seconds(600)
        .question(question)
        .send()
        .await
        .unwrap();
    out.hit().unwrap().hit_id().unwrap().to_owned()
}

async fn accept(app: &TestApp, hit: &str) -> String {
    let a = app.control("POST", &format!("/workers/{WORKER}/assignments"), Some(json!({ "HITId": hit }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["AssignmentId"].as_str().unwrap().to_owned()
}

fn file(name: &str, bytes: &[u8]) -> serde_json::Value {
    json!({ "Name": name, "ContentBase64": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

async fn submit(app: &TestApp, assignment: &str, body: serde_json::Value) -> crate::common::Answer {
    app.control("POST", &format!("/assignments/{assignment}/submit"), Some(body)).await
}

/// GETs an address; `(status, body bytes, content-disposition)`.
async fn download(app: &TestApp, url: &str) -> (u16, Vec<u8>, String) {
    let res = app.http.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let disposition =
        res.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, res.bytes().await.unwrap().to_vec(), disposition)
}

both_backends!(
    a_file_submitted_by_a_worker_downloads_through_both_faces_for_sixty_seconds,
    |app: TestApp| async move {
        let hit = form_hit(&app, FORM).await;
        let assignment = accept(&app, &hit).await;
        let done =
            submit(&app, &assignment, json!({ "Answer": CAPTION, "Files": { "photo": file("cat.png", PHOTO) } })).await;
        assert_eq!(done.status, 200, "{}", done.body);

        // The answer carries the caption, then the file's size and key.
        let c = sdk(&app, DEV_KEY, DEV_SECRET);
        let got = c.get_assignment().assignment_id(&assignment).send().await.unwrap();
        let answer = got.assignment().unwrap().answer().unwrap().to_owned();
        let expected_start =
            "<Answer><QuestionIdentifier>caption</QuestionIdentifier><FreeText>A cat</FreeText></Answer>\
         <Answer><QuestionIdentifier>photo</QuestionIdentifier><UploadedFileSizeInBytes>24</UploadedFileSizeInBytes>\
         <UploadedFileKey>";
        assert!(answer.contains(expected_start), "{answer}");
        let key = xml_text(&answer, "UploadedFileKey").unwrap();
        assert_eq!(key.len(), 40, "{answer}");

        // JSON: an address on the host the SDK used.
        let json_url = c
            .get_file_upload_url()
            .assignment_id(&assignment)
            .question_identifier("photo")
            .send()
            .await
            .unwrap()
            .file_upload_url()
            .unwrap()
            .to_owned();
        assert!(json_url.starts_with(&format!("{}/_files/", app.base)), "{json_url}");
        let (status, bytes, disposition) = download(&app, &json_url).await;
        assert_eq!((status, bytes.as_slice()), (200, PHOTO));
        assert_eq!(disposition, "attachment; filename=\"cat.png\"");

        // Legacy, twenty seconds later: another address for the same file.
        app.advance(20);
        let legacy =
            app.call("GetFileUploadURL", &[("AssignmentId", &assignment), ("QuestionIdentifier", "photo")]).await.ok();
        assert!(legacy
            .body
            .contains("<GetFileUploadURLResult><Request><IsValid>True</IsValid></Request><FileUploadURL>"));
        let legacy_url = legacy.text("FileUploadURL").unwrap();
        assert_ne!(legacy_url, json_url);
        assert_eq!(download(&app, &legacy_url).await.1, PHOTO);

        // The JSON address lives 60 seconds: at 59 it works, at 60 it is gone;
        // the legacy one, issued 20 seconds later, still works until 80.
        app.advance(39);
        assert_eq!(download(&app, &json_url).await.0, 200);
        app.advance(1);
        assert_eq!(download(&app, &json_url).await.0, 404);
        assert_eq!(download(&app, &legacy_url).await.0, 200);
        app.advance(20);
        assert_eq!(download(&app, &legacy_url).await.0, 404);
        assert_eq!(download(&app, &format!("{}/_files/not-a-token", app.base)).await.0, 404);
    }
);

/// GetFileUploadURL (legacy, signed) sent with extra headers; the address it answers.
async fn url_with_headers(app: &TestApp, assignment: &str, headers: &[(&str, String)]) -> String {
    let params = [("AssignmentId", assignment), ("QuestionIdentifier", "photo")];
    let form = app.signed(DEV_KEY, DEV_SECRET, "GetFileUploadURL", &params);
    let mut request = app
        .http
        .post(format!("{}/", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(crate::common::serde_urlencoded(&form));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let body = request.send().await.unwrap().text().await.unwrap();
    xml_text(&body, "FileUploadURL").unwrap_or_else(|| panic!("{body}"))
}

both_backends!(the_address_is_built_from_the_host_the_caller_used, |app: TestApp| async move {
    let hit = form_hit(&app, FORM).await;
    let assignment = accept(&app, &hit).await;
    assert_eq!(submit(&app, &assignment, json!({ "Files": { "photo": file("a.bin", b"abcd") } })).await.status, 200);
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let url = url_with_headers(&app, &assignment, &[("Host", format!("localhost:{port}"))]).await;
    assert!(url.starts_with(&format!("http://localhost:{port}/_files/")), "{url}");
    // boto 2 sends Host without the port: the listener's port is added.
    let no_port = url_with_headers(&app, &assignment, &[("Host", "localhost".to_owned())]).await;
    assert!(no_port.starts_with(&format!("http://localhost:{port}/_files/")), "{no_port}");
    // Behind a proxy: the host it forwarded for.
    let forwarded = [("X-Forwarded-Host", "turk.example.org".to_owned()), ("X-Forwarded-Proto", "https".to_owned())];
    let proxied = url_with_headers(&app, &assignment, &forwarded).await;
    assert!(proxied.starts_with("https://turk.example.org/_files/"), "{proxied}");
    // It works from there (localhost resolves to this server).
    assert_eq!(download(&app, &url).await.1, b"abcd");
    // A file with no other answers: the answer document holds only the file.
    let got = sdk(&app, DEV_KEY, DEV_SECRET).get_assignment().assignment_id(&assignment).send().await.unwrap();
    let answer = got.assignment().unwrap().answer().unwrap().to_owned();
    assert_eq!(answer.matches("<Answer>").count(), 1, "{answer}");
    assert!(answer.contains("<UploadedFileSizeInBytes>4</UploadedFileSizeInBytes>"), "{answer}");
});

both_backends!(only_the_hits_owner_gets_an_address_and_only_for_an_uploaded_file, |app: TestApp| async move {
    let hit = form_hit(&app, FORM).await;
    let assignment = accept(&app, &hit).await;
    assert_eq!(
        submit(&app, &assignment, json!({ "Answer": CAPTION, "Files": { "photo": file("cat.png", PHOTO) } }))
            .await
            .status,
        200
    );
    let other = sdk(&app, OTHER_KEY, OTHER_SECRET);
    let refused = other.get_file_upload_url().assignment_id(&assignment).question_identifier("photo").send().await;
    assert_eq!(turk_code(refused), "AWS.MechanicalTurk.PermissionDenied");
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "GetFileUploadURL",
        &[("AssignmentId", &assignment), ("QuestionIdentifier", "photo")],
    )
    .await
    .err("AWS.MechanicalTurk.PermissionDenied");

    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    for question in ["caption", "nope"] {
        let r = c.get_file_upload_url().assignment_id(&assignment).question_identifier(question).send().await;
        assert_eq!(turk_code(r), "AWS.MechanicalTurk.InvalidParameterValue", "{question}");
        app.call("GetFileUploadURL", &[("AssignmentId", &assignment), ("QuestionIdentifier", question)])
            .await
            .err("AWS.MechanicalTurk.InvalidParameterValue");
    }
    let unknown = "3AAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let r = c.get_file_upload_url().assignment_id(unknown).question_identifier("photo").send().await;
    assert_eq!(turk_code(r), "AWS.MechanicalTurk.AssignmentDoesNotExist");
    app.call("GetFileUploadURL", &[("AssignmentId", &assignment)]).await.err("AWS.MissingParameters");
    app.call("GetFileUploadURL", &[("QuestionIdentifier", "photo")]).await.err("AWS.MissingParameters");

    // Work still in progress has no file to show.
    let in_progress = app.control("POST", "/workers/A1SECONDWORKER/assignments", Some(json!({ "HITId": hit }))).await;
    let in_progress = in_progress.json()["AssignmentId"].as_str().unwrap().to_owned();
    let r = c.get_file_upload_url().assignment_id(&in_progress).question_identifier("photo").send().await;
    assert_eq!(turk_code(r), "AWS.MechanicalTurk.AssignmentDoesNotExist");
});

both_backends!(files_outside_the_questions_limits_or_for_other_questions_are_refused, |app: TestApp| async move {
    let hit = form_hit(&app, FORM).await;
    let assignment = accept(&app, &hit).await;
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "three bytes, under the minimum of 4",
            json!({ "Files": { "photo": file("a", b"abc") } }),
            "AWS.ParameterOutOfRange",
        ),
        (
            "65 bytes, over the maximum of 64",
            json!({ "Files": { "photo": file("a", &[7u8; 65]) } }),
            "AWS.ParameterOutOfRange",
        ),
        (
            "a file for a free-text question",
            json!({ "Files": { "caption": file("a", b"abcd") } }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a file for a question the form lacks",
            json!({ "Files": { "other": file("a", b"abcd") } }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "content that is not base64",
            json!({ "Files": { "photo": { "Name": "a", "ContentBase64": "***" } } }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an empty name",
            json!({ "Files": { "photo": file("", b"abcd") } }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "the file's question answered in Answer too",
            json!({ "Answer": free_text("x").replace(">q<", ">photo<"), "Files": { "photo": file("a", b"abcd") } }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        ("no files at all", json!({ "Files": {} }), "AWS.MechanicalTurk.InvalidParameterValue"),
        ("neither Answer nor Files", json!({}), "AWS.MissingParameters"),
    ];
    for (what, body, code) in cases {
        let a = submit(&app, &assignment, body).await;
        assert_eq!(a.status, 400, "{what}: {}", a.body);
        assert_eq!(a.json()["Code"], code, "{what}: {}", a.body);
    }
    // Nothing of that was kept: the assignment is still in progress, and the
    // limits themselves are accepted.
    assert_eq!(submit(&app, &assignment, json!({ "Files": { "photo": file("a", &[1u8; 64]) } })).await.status, 200);
    let url = sdk(&app, DEV_KEY, DEV_SECRET)
        .get_file_upload_url()
        .assignment_id(&assignment)
        .question_identifier("photo")
        .send()
        .await
        .unwrap()
        .file_upload_url()
        .unwrap()
        .to_owned();
    assert_eq!(download(&app, &url).await.1, vec![1u8; 64]);

    // An ExternalQuestion HIT has no FileUploadAnswer question.
    let external = new_hit(&sdk(&app, DEV_KEY, DEV_SECRET), "external", "0.10", 1, vec![]).await;
    let on_external = accept(&app, &external).await;
    let a = submit(&app, &on_external, json!({ "Files": { "photo": file("a", b"abcd") } })).await;
    assert_eq!(a.json()["Code"], "AWS.MechanicalTurk.InvalidParameterValue", "{}", a.body);
    assert!(EXTERNAL_QUESTION.contains("ExternalQuestion"));
});
