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

/// A HIT of a group: its title, keywords, reward and slots make its HIT
/// type. Returns (HITId, HITTypeId).
async fn create_grouped(
    app: &TestApp,
    title: &str,
    keywords: &str,
    reward: &str,
    slots: &str,
    lifetime: &str,
) -> (String, String) {
    let params = [
        ("Title", title),
        ("Description", "A HIT of the group tests"),
        ("Keywords", keywords),
        ("Reward.1.Amount", reward),
        ("Reward.1.CurrencyCode", "USD"),
        ("AssignmentDurationInSeconds", "600"),
        ("LifetimeInSeconds", lifetime),
        ("MaxAssignments", slots),
        ("Question", HTML_QUESTION),
    ];
    let hit = app.call("CreateHIT", &params).await.ok().text("HITId").unwrap();
    let hit_type = app.call("GetHIT", &[("HITId", &hit)]).await.ok().text("HITTypeId").unwrap();
    (hit, hit_type)
}

/// The groups of a list page, in order: (HITTypeId, HITs available).
fn groups(page: &str) -> Vec<(String, i64)> {
    page.split("<tr data-group-id=\"")
        .skip(1)
        .map(|row| {
            let id = row.split('"').next().unwrap().to_owned();
            let available = row.split("class=\"available\">").nth(1).unwrap().split('<').next().unwrap();
            (id, available.parse().unwrap())
        })
        .collect()
}

/// The group ids of a list page, in order.
fn group_ids(page: &str) -> Vec<String> {
    groups(page).into_iter().map(|(t, _)| t).collect()
}

/// The `rel="next"` link of a page.
fn next_link(page: &str) -> Option<String> {
    let before = page.split_once("rel=\"next\"")?.0;
    let href = before.rsplit("href=\"").next()?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#38;", "&"))
}

both_backends!(the_workers_list_folds_hits_into_groups_searched_sorted_and_paged_in_the_database, |app: TestApp| {
    async move {
        let browser = Browser::open(&app.base).await;
        let list = |query: String| {
            let b = &browser;
            async move { b.get(&format!("/worker/{WORKER}{query}")).await.text().await.unwrap() }
        };
        // Three groups of several HITs each (two slots per HIT in the first), made in turn...
        let mut apples = Vec::new();
        let mut apple_type = String::new();
        for _ in 0..30 {
            let (hit, t) = create_grouped(&app, "Sort apples", "fruit, red", "0.10", "2", "86400").await;
            apples.push(hit);
            apple_type = t;
            app.advance(1);
        }
        let (_, grapes) = create_grouped(&app, "Count grapes", "vine", "0.30", "1", "86400").await;
        create_grouped(&app, "Count grapes", "vine", "0.30", "1", "86400").await;
        app.advance(1);
        let (_, pears) = create_grouped(&app, "Weigh pears 100% [ripe]", "orchard", "0.50", "1", "86400").await;
        app.advance(1);
        // ...a group whose only HIT expires, and 25 groups of one HIT each.
        let (_, gone) = create_grouped(&app, "Short-lived", "soon", "0.20", "1", "60").await;
        let mut singles = Vec::new();
        for i in 0..25 {
            app.advance(1);
            singles.push(create_grouped(&app, &format!("Single {i}"), "one", "0.20", "1", "86400").await.1);
        }
        app.advance(120);

        // Oldest first: one row per group, 25 a page, the expired group absent.
        let first = list(String::new()).await;
        let page1 = groups(&first);
        assert_eq!(page1.len(), 25, "{first}");
        assert_eq!(page1[0], (apple_type.clone(), 30), "30 HITs folded into one row");
        assert_eq!(page1[1], (grapes.clone(), 2));
        assert_eq!(page1[2], (pears.clone(), 1));
        assert!(!first.contains(&gone), "a group with no open HIT is not listed");
        let second = browser.get(&next_link(&first).unwrap()).await.text().await.unwrap();
        let page2 = group_ids(&second);
        assert_eq!(page2.len(), 3);
        assert!(next_link(&second).is_none());
        assert_eq!(page2.last(), singles.last(), "the newest group ends the last page");
        let mut all: Vec<String> = page1.iter().map(|(t, _)| t.clone()).chain(page2).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 28, "every group once across the pages");

        // Newest first, and by reward either way (ties oldest first when ascending).
        let newest = list("?sort=newest".into()).await;
        assert_eq!(group_ids(&newest)[0], singles[24]);
        let tail = group_ids(&browser.get(&next_link(&newest).unwrap()).await.text().await.unwrap());
        assert_eq!(tail, [pears.clone(), grapes.clone(), apple_type.clone()]);
        let high = group_ids(&list("?sort=reward".into()).await);
        assert_eq!((&high[0], &high[1]), (&pears, &grapes));
        let low_page = list("?sort=reward-asc".into()).await;
        let low = group_ids(&low_page);
        assert_eq!(low[0], apple_type);
        assert_eq!(low[1], singles[0], "after the apples, the oldest of the $0.20 groups");
        assert!(low_page.contains("<option value=\"reward-asc\" selected>"));

        // Search over title, description and keywords, case-insensitive; LIKE's wildcards are literal.
        assert_eq!(group_ids(&list("?q=GRAPES".into()).await), [grapes.as_str()]);
        assert_eq!(group_ids(&list("?q=orchard".into()).await), [pears.as_str()]);
        assert_eq!(group_ids(&list("?q=100%25+%5Bripe".into()).await), [pears.as_str()]);
        assert_eq!(group_ids(&list("?q=%25".into()).await), [pears.as_str()], "% is a character, not a wildcard");
        assert!(group_ids(&list("?q=_".into()).await).is_empty(), "_ is a character, not a wildcard");
        assert_eq!(group_ids(&list("?q=group+tests".into()).await).len(), 25, "the description; a full page");
        assert!(group_ids(&list("?q=no+such+words".into()).await).is_empty());

        // Accept & Work takes the group's oldest HIT this worker has not taken; the count is this worker's.
        let accept = format!("/worker/{WORKER}/groups/{apple_type}/accept");
        for expected in &apples[..2] {
            let taken = browser.post(&accept, &[]).await;
            assert_eq!(taken.status(), 303);
            let work = browser.get(&location(&taken)).await.text().await.unwrap();
            assert!(work.contains(&format!("<dd id=\"hit-id\">{expected}</dd>")), "{work}");
        }
        assert_eq!(groups(&list(String::new()).await)[0], (apple_type.clone(), 28));
        let other = browser.get("/worker/A3OTHERCONSOLEWORKER").await.text().await.unwrap();
        assert_eq!(groups(&other)[0], (apple_type.clone(), 30), "another worker can still take all 30");

        // The group's page: the HIT Accept & Work would take, previewed, and the open HITs, paged.
        let page = browser.get(&format!("/worker/{WORKER}/groups/{apple_type}")).await.text().await.unwrap();
        assert!(page.contains(&format!("<span id=\"next-hit\">{}</span>", apples[2])), "{page}");
        let preview = format!("src=\"/worker-content/{}?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE", apples[2]);
        assert!(page.contains(&preview), "{page}");
        let rows = |page: &str| apples.iter().filter(|h| page.contains(&format!("data-hit-id=\"{h}\""))).count();
        assert_eq!(rows(&page), 25);
        let rest = browser.get(&next_link(&page).unwrap()).await.text().await.unwrap();
        assert_eq!(rows(&rest), 5);
        let missing = browser.get(&format!("/worker/{WORKER}/groups/3NOSUCHTYPE")).await;
        assert_eq!(missing.status(), 400);
        assert!(missing.text().await.unwrap().contains("HITType 3NOSUCHTYPE does not exist"));
    }
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

const FILE_FORM: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>photo</QuestionIdentifier><IsRequired>true</IsRequired><QuestionContent><Text>Upload a photo</Text></QuestionContent><AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>16</MaxFileSizeInBytes><MinFileSizeInBytes>4</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification></Question><Question><QuestionIdentifier>caption</QuestionIdentifier><QuestionContent><Text>Caption</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"#;

/// A `multipart/form-data` body as a browser sends it: text fields, then
/// files as (field, file name, bytes). Returns the content type and body.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----ConsoleTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Browser {
    async fn post_multipart(&self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> String {
        let mut all = vec![("csrf", self.token.as_str())];
        all.extend_from_slice(fields);
        let (content_type, body) = multipart(&all, files);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", content_type)
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        location(&r)
    }
}

both_backends!(a_file_upload_question_takes_a_file_in_the_page_within_its_size_limits, |app: TestApp| async move {
    let browser = Browser::open(&app.base).await;
    let hit = create_hit(&app, FILE_FORM).await;
    let accepted = browser.post(&format!("/worker/{WORKER}/hits/{hit}/accept"), &[]).await;
    let work = location(&accepted);
    let assignment = work.rsplit('/').next().unwrap().to_owned();
    let page = browser.get(&work).await.text().await.unwrap();
    assert!(page.contains("<label for=\"f.photo\">Your file (4 to 16 bytes)</label>"), "{page}");
    assert!(page.contains("<input type=\"file\" id=\"f.photo\" name=\"f.photo\" required>"), "{page}");
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    let submit = format!("{work}/submit");
    let status = || async {
        let all = app.control("GET", &format!("/workers/{WORKER}/assignments"), None).await.json();
        all["Assignments"][0]["Status"].as_str().unwrap().to_owned()
    };

    // Too large, too small, no file for the required question, a file for a text question: refused, nothing stored.
    let large = browser.post_multipart(&submit, &[("q.caption", "big")], &[("f.photo", "a.bin", &[7; 17])]).await;
    assert!(large.contains("error=AWS.ParameterOutOfRange"), "{large}");
    assert!(large.contains("17%20bytes"), "{large}");
    let small = browser.post_multipart(&submit, &[], &[("f.photo", "a.bin", b"abc")]).await;
    assert!(small.contains("error=AWS.ParameterOutOfRange"), "{small}");
    let none = browser.post_multipart(&submit, &[("q.caption", "no file")], &[("f.photo", "", b"")]).await;
    assert!(none.contains("error=") && none.contains("choose%20a%20file"), "{none}");
    let wrong =
        browser.post_multipart(&submit, &[], &[("f.photo", "a.bin", b"good!"), ("f.caption", "b.bin", b"text!")]).await;
    assert!(wrong.contains("error=") && wrong.contains("not%20a%20FileUploadAnswer"), "{wrong}");
    assert_eq!(status().await, "Accepted");

    // A good file is stored with the assignment, as the API stores it.
    let photo: &[u8] = b"\x89PNG\r\n\x1a\n--bytes";
    let done = browser.post_multipart(&submit, &[("q.caption", "A cat")], &[("f.photo", "cat.png", photo)]).await;
    assert!(done.contains("notice="), "{done}");
    assert_eq!(status().await, "Submitted");
    let answer = app.call("GetAssignment", &[("AssignmentId", &assignment)]).await.ok().text("Answer").unwrap();
    assert!(answer.contains("<QuestionIdentifier>caption</QuestionIdentifier><FreeText>A cat</FreeText>"), "{answer}");
    assert!(answer.contains("<UploadedFileSizeInBytes>15</UploadedFileSizeInBytes>"), "{answer}");
    let url = app
        .call("GetFileUploadURL", &[("AssignmentId", &assignment), ("QuestionIdentifier", "photo")])
        .await
        .ok()
        .text("FileUploadURL")
        .unwrap();
    let file = app.http.get(&url).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), photo);
});

/// A server beyond loopback with control token `s3cret`, and its base URL on loopback.
async fn token_app() -> (TestApp, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("capability.db").display());
    let app = TestApp::spawn_on(&url, Some(dir), |s| {
        s.server.listen = "0.0.0.0:0".into();
        s.control.token = "s3cret".into();
    })
    .await;
    let base = app.base.replace("0.0.0.0", "127.0.0.1");
    (app, base)
}

#[tokio::test]
async fn with_a_control_token_a_hit_frame_submits_through_its_assignments_capability_only() {
    let (app, base) = token_app().await;
    let http = client();
    let hit = create_hit(&app, HTML_QUESTION).await;
    let second = create_hit_paying(&app, "0.20", HTML_QUESTION, &[]).await;
    let accept = |hit: String| {
        let http = &http;
        let base = &base;
        async move {
            let r = http
                .post(format!("{base}/_local/workers/{WORKER}/assignments"))
                .bearer_auth("s3cret")
                .json(&serde_json::json!({ "HITId": hit }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()["AssignmentId"].as_str().unwrap().to_owned()
        }
    };
    let mine = accept(hit.clone()).await;
    let other = accept(second.clone()).await;

    // The work page gives the frame a capability prefix as turkSubmitTo, and the frame's policy lets it post there.
    let page = http
        .get(format!("{base}/worker/{WORKER}/assignments/{mine}"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let src = page.split("<iframe class=\"hit\"").nth(1).unwrap().split("src=\"").nth(1).unwrap();
    let src = src.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    let submit_to = src.split("turkSubmitTo=").nth(1).unwrap().split('&').next().unwrap();
    let submit_to = percent_encoding::percent_decode_str(submit_to).decode_utf8().unwrap().into_owned();
    assert!(submit_to.starts_with(&format!("{base}/_submit/")), "{submit_to}");
    let content = http.get(format!("{base}{src}")).bearer_auth("s3cret").send().await.unwrap();
    let csp = content.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("form-action {base}/mturk/externalSubmit {base}/_submit/;")), "{csp}");

    // Without a cookie or a token (as the sandboxed frame posts): a wrong mac, or another assignment's, is refused.
    let post = |to: String, assignment: String| {
        let http = &http;
        async move {
            http.post(format!("{to}/mturk/externalSubmit"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("assignmentId={assignment}&colour=teal"))
                .send()
                .await
                .unwrap()
        }
    };
    // Read through the control plane (GetAssignment answers only once an assignment is submitted).
    let status = |assignment: String| {
        let http = &http;
        let base = &base;
        async move {
            let r = http.get(format!("{base}/_local/workers/{WORKER}/assignments")).bearer_auth("s3cret").send().await;
            let all: serde_json::Value = r.unwrap().json().await.unwrap();
            let all = all["Assignments"].as_array().unwrap().clone();
            let a = all.into_iter().find(|a| a["AssignmentId"] == assignment.as_str()).unwrap();
            a["Status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(post(base.clone(), mine.clone()).await.status(), 401, "the plain route still needs the token");
    let forged = post(format!("{base}/_submit/{}", "0".repeat(64)), mine.clone()).await;
    assert_eq!(forged.status(), 401);
    let body: serde_json::Value = forged.json().await.unwrap();
    assert_eq!(body["Code"], "MturkLocal.Unauthorized");
    assert!(body["Message"].as_str().unwrap().contains("not made for assignment"), "{body}");
    let borrowed = post(submit_to.clone(), other.clone()).await;
    assert_eq!(borrowed.status(), 401, "a mac of one assignment does not submit another");
    assert_eq!(status(mine.clone()).await, "Accepted");
    assert_eq!(status(other.clone()).await, "Accepted");

    // The assignment's own capability submits it, and only it.
    let ok = post(submit_to.clone(), mine.clone()).await;
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("was submitted"));
    assert_eq!(status(mine.clone()).await, "Submitted");
    assert_eq!(status(other).await, "Accepted");
    let answer = app.call("GetAssignment", &[("AssignmentId", &mine)]).await.ok().text("Answer").unwrap();
    assert!(answer.contains("<QuestionIdentifier>colour</QuestionIdentifier><FreeText>teal</FreeText>"), "{answer}");
}
