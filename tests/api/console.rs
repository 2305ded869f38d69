//! The web console (issue 14) over HTTP: the guard, the form token, the
//! security headers, and that a page's action is the API's operation
//! (QuestionForm answers stored as QuestionFormAnswers; a batch made whole or
//! not at all). The browser tests of tests/clients/browser drive the same
//! pages in Chromium.

use crate::both_backends;
use crate::common::documents::QUESTION_FORM;
use crate::common::{serde_urlencoded, TestApp, DEV_KEY};

const WORKER: &str = "A2CONSOLEWORKER";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// `name=value` of a `Set-Cookie` header of `r` whose name is `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// A browser session: the form-token cookie and the token itself.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
    token: String,
}

impl Browser {
    pub(crate) async fn open(base: &str) -> Self {
        let http = client();
        let r = http.get(format!("{base}/worker")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let cookie = set_cookie(&r, "mturk_local_csrf").expect("a form-token cookie");
        let token = cookie.split_once('=').unwrap().1.to_owned();
        let page = r.text().await.unwrap();
        assert!(page.contains(&format!("name=\"csrf\" value=\"{token}\"")), "the page's forms carry the token");
        Self { http, base: base.to_owned(), cookie, token }
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut pairs: Vec<(String, String)> = vec![("csrf".into(), self.token.clone())];
        pairs.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(serde_urlencoded(&pairs))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.unwrap()
    }
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

async fn country(app: &TestApp) -> serde_json::Value {
    app.control("GET", &format!("/workers/{WORKER}"), None).await.json()["Locale"]["Country"].clone()
}

#[tokio::test]
async fn a_post_without_this_browsers_form_token_or_from_another_site_changes_nothing() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let browser = Browser::open(&app.base).await;
    let form = [("worker_id", WORKER), ("country", "DE")];
    // No token at all, a token of another browser, and the right token sent cross-site.
    let bare = client()
        .post(format!("{}/worker", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("worker_id=A2CONSOLEWORKER&country=DE")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    let forged = browser
        .http
        .post(format!("{}/worker", app.base))
        .header("cookie", &browser.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&worker_id={WORKER}&country=DE", "0".repeat(48)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "http://evil.example")] {
        let r = browser
            .http
            .post(format!("{}/worker", app.base))
            .header("cookie", &browser.cookie)
            .header(name, value)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={}&worker_id={WORKER}&country=DE", browser.token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
    }
    assert_eq!(country(&app).await, "US", "the simulator's default profile is untouched");
    // The same form from the console itself goes through.
    let ok = browser.post("/worker", &form).await;
    assert_eq!(ok.status(), 303);
    assert!(location(&ok).starts_with(&format!("/worker/{WORKER}?notice=")));
    assert_eq!(country(&app).await, "DE");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_hit_content_is_sandboxed() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let browser = Browser::open(&app.base).await;
    let page = browser.get(&format!("/worker/{WORKER}")).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for part in ["default-src 'none'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = "<!DOCTYPE html><html><body><form><input name=\"x\"></form></body></html>";
    let question = format!(
        "<HTMLQuestion xmlns=\"http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd\">\
         <HTMLContent><![CDATA[{html}]]></HTMLContent><FrameHeight>300</FrameHeight></HTMLQuestion>"
    );
    let hit = create_hit(&app, &question).await;
    let content =
        browser.get(&format!("/worker-content/{hit}?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&workerId={WORKER}")).await;
    let csp = content.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("sandbox allow-forms allow-scripts;"), "{csp}");
    assert!(csp.contains(&format!("form-action {}/mturk/externalSubmit", app.base)), "{csp}");
    assert!(csp.contains("connect-src 'none'") && csp.contains("frame-ancestors 'self'"), "{csp}");
    assert_eq!(content.text().await.unwrap(), html);
    let preview = browser.get(&format!("/worker/{WORKER}/hits/{hit}")).await.text().await.unwrap();
    assert!(preview.contains("sandbox=\"allow-forms allow-scripts\""));
    assert!(preview
        .contains(&format!("src=\"/worker-content/{hit}?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&#38;hitId={hit}")));
}

async fn create_hit(app: &TestApp, question: &str) -> String {
    create_hit_with(app, question, &[]).await
}

async fn create_hit_with(app: &TestApp, question: &str, extra: &[(&str, &str)]) -> String {
    create_hit_paying(app, "0.10", question, extra).await
}

async fn create_hit_paying(app: &TestApp, reward: &str, question: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("Title", "Console HIT"),
        ("Description", "A HIT for the console tests"),
        ("Reward.1.Amount", reward),
        ("Reward.1.CurrencyCode", "USD"),
        ("AssignmentDurationInSeconds", "600"),
        ("LifetimeInSeconds", "86400"),
        ("Question", question),
    ];
    params.extend_from_slice(extra);
    app.call("CreateHIT", &params).await.ok().text("HITId").unwrap()
}

const HTML_QUESTION: &str = "<HTMLQuestion xmlns=\"http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd\"><HTMLContent><![CDATA[<p>secret task</p>]]></HTMLContent><FrameHeight>300</FrameHeight></HTMLQuestion>";

#[tokio::test]
async fn a_hit_whose_requirement_guards_preview_shows_no_content_to_a_worker_without_it() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let browser = Browser::open(&app.base).await;
    let qt = app.create_type("Preview guard", &[]).await;
    let hit = create_hit_with(
        &app,
        HTML_QUESTION,
        &[
            ("QualificationRequirement.1.QualificationTypeId", qt.as_str()),
            ("QualificationRequirement.1.Comparator", "Exists"),
            ("QualificationRequirement.1.RequiredToPreview", "true"),
        ],
    )
    .await;
    let path = format!("/worker-content/{hit}?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&workerId={WORKER}");
    let refused = browser.get(&path).await;
    assert_eq!(refused.status(), 403);
    assert!(!refused.text().await.unwrap().contains("secret task"));
    assert_eq!(browser.get(&format!("/worker-content/{hit}")).await.status(), 400, "no workerId");
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("SendNotification", "false")],
    )
    .await
    .ok();
    assert_eq!(browser.get(&path).await.text().await.unwrap(), "<p>secret task</p>");
}

#[tokio::test]
async fn the_workers_list_reads_the_marketplace_a_page_at_a_time() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let browser = Browser::open(&app.base).await;
    let mut hits = Vec::new();
    for _ in 0..30 {
        hits.push(create_hit(&app, HTML_QUESTION).await);
        app.advance(1);
    }
    let first = browser.get(&format!("/worker/{WORKER}")).await.text().await.unwrap();
    let rows = |page: &str| hits.iter().filter(|h| page.contains(&format!("data-hit-id=\"{h}\""))).count();
    assert_eq!(rows(&first), 25);
    assert!(first.contains(&format!("data-hit-id=\"{}\"", hits[0])), "oldest first");
    let next = first.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let next = next.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    let second = browser.get(&next).await.text().await.unwrap();
    assert_eq!(rows(&second), 5);
    assert!(second.contains(&format!("data-hit-id=\"{}\"", hits[29])));
    assert!(!second.contains("rel=\"next\""));
    let found = browser.get(&format!("/worker/{WORKER}?q=no+such+words")).await.text().await.unwrap();
    assert_eq!(rows(&found), 0);
    // Newest first: the first page starts with the last HIT, the next page ends with the first.
    let newest = browser.get(&format!("/worker/{WORKER}?sort=newest")).await.text().await.unwrap();
    assert_eq!(rows(&newest), 25);
    let at = |page: &str, h: &str| page.find(&format!("data-hit-id=\"{h}\"")).unwrap();
    assert!(at(&newest, &hits[29]) < at(&newest, &hits[28]));
    let next = newest.split("rel=\"next\"").next().unwrap().rsplit("href=\"").next().unwrap();
    let next = next.split('"').next().unwrap().replace("&amp;", "&");
    let rest = browser.get(&next).await.text().await.unwrap();
    assert_eq!(rows(&rest), 5);
    assert!(at(&rest, &hits[1]) < at(&rest, &hits[0]));
}

both_backends!(the_workers_list_sorts_by_reward_in_the_database, |app: TestApp| async move {
    let browser = Browser::open(&app.base).await;
    let mut by_reward = Vec::new();
    for reward in ["0.10", "0.50", "0.30"] {
        by_reward.push((reward, create_hit_paying(&app, reward, HTML_QUESTION, &[]).await));
        app.advance(1);
    }
    let page = browser.get(&format!("/worker/{WORKER}?sort=reward")).await.text().await.unwrap();
    let at = |h: &str| page.find(&format!("data-hit-id=\"{h}\"")).unwrap();
    assert!(at(&by_reward[1].1) < at(&by_reward[2].1) && at(&by_reward[2].1) < at(&by_reward[0].1));
    let page = browser.get(&format!("/worker/{WORKER}?sort=reward-asc")).await.text().await.unwrap();
    let at = |h: &str| page.find(&format!("data-hit-id=\"{h}\"")).unwrap();
    assert!(at(&by_reward[0].1) < at(&by_reward[2].1) && at(&by_reward[2].1) < at(&by_reward[1].1));
    assert!(page.contains("<option value=\"reward-asc\" selected>"));
});

both_backends!(a_question_form_answered_in_the_page_is_stored_as_question_form_answers, |app: TestApp| async move {
    let browser = Browser::open(&app.base).await;
    let hit = create_hit(&app, QUESTION_FORM).await;
    let accepted = browser.post(&format!("/worker/{WORKER}/hits/{hit}/accept"), &[]).await;
    assert_eq!(accepted.status(), 303);
    let work = location(&accepted);
    let assignment = work.rsplit('/').next().unwrap().to_owned();
    let page = browser.get(&work).await.text().await.unwrap();
    assert!(page.contains("Sky colour?") && page.contains("name=\"s.color\" value=\"blue\""));
    // A selection the question does not have is refused, and nothing is stored.
    let bad = browser.post(&format!("{work}/submit"), &[("s.color", "green")]).await;
    assert!(location(&bad).contains("error="), "{}", location(&bad));
    let state = app.control("GET", &format!("/workers/{WORKER}/assignments"), None).await.json();
    assert_eq!(state["Assignments"][0]["Status"], "Accepted");
    let good = browser.post(&format!("{work}/submit"), &[("s.color", "blue")]).await;
    assert!(location(&good).contains("notice="), "{}", location(&good));
    let got = app.call("GetAssignment", &[("AssignmentId", &assignment)]).await.ok();
    assert_eq!(got.text("AssignmentStatus").as_deref(), Some("Submitted"));
    let answer = got.text("Answer").unwrap();
    assert!(
        answer
            .contains("<QuestionIdentifier>color</QuestionIdentifier><SelectionIdentifier>blue</SelectionIdentifier>"),
        "{answer}"
    );
    // The requester approves and pays a bonus in the console; the API sees both.
    let base = format!("/requester/{DEV_KEY}/assignments/{assignment}");
    let approved = browser.post(&format!("{base}/approve"), &[("hit_id", &hit), ("feedback", "Good")]).await;
    assert!(location(&approved).contains("notice="), "{}", location(&approved));
    let got = app.call("GetAssignment", &[("AssignmentId", &assignment)]).await.ok();
    assert_eq!(got.text("AssignmentStatus").as_deref(), Some("Approved"));
    assert_eq!(got.text("RequesterFeedback").as_deref(), Some("Good"));
    let bonus = [("hit_id", hit.as_str()), ("worker_id", WORKER), ("amount", "0.50"), ("reason", "Thanks")];
    let paid = browser.post(&format!("{base}/bonus"), &bonus).await;
    assert!(location(&paid).contains("notice="), "{}", location(&paid));
    let bonuses = app.call("GetBonusPayments", &[("HITId", &hit)]).await.ok();
    assert_eq!(bonuses.text("Amount").as_deref(), Some("0.50"));
    let page = browser.get(&format!("/requester/{DEV_KEY}/hits/{hit}")).await.text().await.unwrap();
    assert!(page.contains("<td>Thanks</td>") && page.contains("Approved"));
});

async fn count(app: &TestApp) -> String {
    app.call("SearchHITs", &[("PageSize", "100")]).await.ok().text("TotalNumResults").unwrap()
}

both_backends!(a_batch_with_a_bad_row_makes_no_hit_and_a_good_one_makes_one_per_row, |app: TestApp| async move {
    let browser = Browser::open(&app.base).await;
    assert_eq!(count(&app).await, "0");
    let fields = |csv: &'static str| {
        vec![
            ("name", "Words"),
            ("title", "Translate"),
            ("description", "A word"),
            ("reward", "0.05"),
            ("assignments", "1"),
            ("lifetime", "3600"),
            ("duration", "600"),
            ("auto_approval", "3600"),
            ("frame_height", "400"),
            ("template", "<p>${word}</p><form><input name=\"t\"></form>"),
            ("csv", csv),
        ]
    };
    let path = format!("/requester/{DEV_KEY}/batches");
    // Line 3 has a field too many; the template's ${word} has no column in the second.
    let refused = browser.post(&path, &fields("word,lang\napple,en\npear,fr,x\n")).await;
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Line 3: "), "{page}");
    let refused = browser.post(&path, &fields("term\napple\n")).await;
    assert!(refused.text().await.unwrap().contains("${word} has no column"));
    assert_eq!(count(&app).await, "0", "a refused batch makes no HIT");
    let made = browser.post(&path, &fields("word,lang\napple,en\npear,fr\n")).await;
    assert_eq!(made.status(), 303, "{}", made.text().await.unwrap());
    assert_eq!(count(&app).await, "2");
    let batch = browser.get(location(&made).split('?').next().unwrap()).await.text().await.unwrap();
    assert!(batch.contains("<td>apple</td>") && batch.contains("<td>pear</td>"));
});

#[tokio::test]
async fn beyond_loopback_the_console_needs_the_token_and_a_login_sets_it_in_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("off.db").display());
    let off = TestApp::spawn_on(&url, Some(dir), |s| s.server.listen = "0.0.0.0:0".into()).await;
    let base = off.base.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(client().get(format!("{base}/worker")).send().await.unwrap().status(), 403);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("token.db").display());
    let app = TestApp::spawn_on(&url, Some(dir), |s| {
        s.server.listen = "0.0.0.0:0".into();
        s.control.token = "s3cret".into();
    })
    .await;
    let base = app.base.replace("0.0.0.0", "127.0.0.1");
    let http = client();
    let away = http.get(format!("{base}/requester")).send().await.unwrap();
    assert_eq!(away.status(), 303);
    assert_eq!(location(&away), "/console/login?next=%2Frequester");
    let login = |token: &'static str| {
        http.post(format!("{base}/console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}&next=%2Frequester"))
            .send()
    };
    assert_eq!(login("wrong").await.unwrap().status(), 401);
    let ok = login("s3cret").await.unwrap();
    assert_eq!(location(&ok), "/requester");
    let cookie = set_cookie(&ok, "mturk_local_console").unwrap();
    let page = http.get(format!("{base}/requester")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(DEV_KEY));
    let bearer = http.get(format!("{base}/requester")).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(bearer.status(), 200);
    // A login never sends the browser off this server.
    let elsewhere = http
        .post(format!("{base}/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=s3cret&next=%2F%2Fevil.example%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&elsewhere), "/worker");
}

both_backends!(the_event_log_shows_a_requesters_events_with_their_deliveries, |app: TestApp| async move {
    // A HIT type whose HITCreated events go to an address with no mail server configured: the
    // event is recorded, and its delivery fails with a reason the page shows.
    let hit = create_hit(&app, HTML_QUESTION).await;
    let hit_type = app.call("GetHIT", &[("HITId", &hit)]).await.ok().text("HITTypeId").unwrap();
    app.call(
        "SetHITTypeNotification",
        &[
            ("HITTypeId", &hit_type),
            ("Notification.1.Destination", "requester@example.com"),
            ("Notification.1.Transport", "Email"),
            ("Notification.1.Version", "2006-05-05"),
            ("Notification.1.EventType.1", "HITCreated"),
            ("Active", "true"),
        ],
    )
    .await
    .ok();
    let second = create_hit(&app, HTML_QUESTION).await;

    let browser = Browser::open(&app.base).await;
    let page = browser.get(&format!("/requester/{DEV_KEY}/events")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("HITCreated"), "{html}");
    assert!(html.contains(&second), "the event of the HIT created after the setting: {html}");
    assert!(!html.contains(&hit), "no event for the HIT created before it: {html}");
    assert!(html.contains("Email requester@example.com"), "its delivery: {html}");
    // Another requester's log does not show it.
    let other = browser.get(&format!("/requester/{}/events", crate::common::OTHER_KEY)).await.text().await.unwrap();
    assert!(!other.contains(&second), "{other}");
    assert!(other.contains("No events yet"), "{other}");
});
