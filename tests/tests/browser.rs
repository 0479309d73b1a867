//! The candidate portal in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`, `fantoccini`), on a phone-sized window (390×844). A point captures the
//! candidate (through the API: the console comes next); the candidate then registers through
//! the portal alone — first login, the fee paid in the demo's sandbox, real-person
//! authentication (the sandbox's), passwords (a refusal shown beside its field), the pledge,
//! the form (a wrong save password refused beside its field, then saved), and the printable
//! form downloaded; then a paused registration's page. Every page passes axe-core's WCAG 2.1
//! A/AA rules with no serious or critical violation. Screenshots of every step go to
//! `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them
//! the test says SKIPPED — except under CI (`CI=true`), where it fails.

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::Server;

/// chromedriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn start_driver() -> Option<Driver> {
    if !installed("chromedriver") || !installed("chromium") {
        assert!(
            std::env::var("CI").is_err(),
            "chromium and chromedriver must be installed in CI (.ci/run installs them)"
        );
        println!(
            "SKIPPED: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver { child, url })
}

fn screenshots() -> PathBuf {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-screenshots");
    std::fs::create_dir_all(&directory).expect("screenshot directory");
    directory
}

async fn browser(driver: &Driver, profile: &Path) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({"binary": "/usr/bin/chromium", "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--lang=zh-CN",
            // A synthetic camera (a test pattern), allowed without asking: the console's
            // capture takes a photo with it.
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            format!("--user-data-dir={}", profile.display()),
        ]}),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session");
    client.set_window_size(390, 844).await.expect("phone-sized");
    client
}

async fn shot(client: &fantoccini::Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("saved");
}

/// axe-core, from the npm registry at build time (`tests/build.rs`).
const AXE: &str = include_str!(concat!(env!("OUT_DIR"), "/axe.min.js"));

/// Runs axe-core's WCAG 2.1 A/AA rules on the page: no serious or critical violation.
async fn accessible(client: &fantoccini::Client, name: &str) {
    client
        .execute(AXE, vec![])
        .await
        .expect("axe-core injected");
    let violations = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core ran");
    assert_eq!(violations, json!([]), "{name}: accessibility violations");
}

async fn fill(client: &fantoccini::Client, id: &str, text: &str) {
    let input = client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id} on the page"));
    input.clear().await.expect("cleared");
    input.send_keys(text).await.expect("typed");
}

/// Submits the form posting to `form_action` and waits for the next page to load (a mark
/// left on this document must be gone, and the new one complete).
async fn submit(client: &fantoccini::Client, form_action: &str) {
    // The form posting exactly there, else the first whose action starts so (a list's).
    let exact = format!("form[action='{form_action}'] button[type=submit]");
    let prefix = format!("form[action^='{form_action}'] button[type=submit]");
    let selector = if client.find(Locator::Css(&exact)).await.is_ok() {
        exact
    } else {
        prefix
    };
    click_and_wait(client, &selector).await;
}

/// Clicks the button `selector` finds and waits for the next page to load.
async fn click_and_wait(client: &fantoccini::Client, selector: &str) {
    client
        .execute("window.__before_submit = true;", vec![])
        .await
        .expect("marked");
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|_| panic!("a button at {selector}"))
        .click()
        .await
        .expect("submitted");
    let started = Instant::now();
    loop {
        let loaded = client
            .execute(
                "return window.__before_submit === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no page after clicking {selector}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to 20 s) until an element at `selector` shows `text`; if none does, fails with
/// what the browser shows instead — its address, title, state and readable text, one short
/// line each (a page's markup on one line is no use in a CI log).
async fn await_text(client: &fantoccini::Client, selector: &str, text: &str) {
    let started = Instant::now();
    let script = "const [selector, text] = arguments;
        return [...document.querySelectorAll(selector)].some(e => e.textContent.includes(text));";
    loop {
        let found = client
            .execute(script, vec![json!(selector), json!(text)])
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        if found {
            return;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let shown = client
                .execute(
                    "return [location.href, document.title, document.readyState,
                        (document.body ? document.body.innerText : '(no body)').slice(0, 600)];",
                    vec![],
                )
                .await
                .map(|value| value.to_string())
                .unwrap_or_else(|error| format!("(the browser did not answer: {error})"));
            panic!("no {selector} showing {text:?}; the browser shows {shown}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn current_step(client: &fantoccini::Client) -> String {
    client
        .find(Locator::Css(".steps li.current"))
        .await
        .expect("a current step")
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_registers_through_the_portal_on_a_phone() {
    let Some(driver) = start_driver() else {
        return;
    };
    let data = tempfile::tempdir().expect("data");
    let server = tokio::task::spawn_blocking({
        let path = data.path().to_owned();
        move || std::sync::Arc::new(Server::start(&path))
    })
    .await
    .expect("server");
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 1, "cap-1");
    assert_eq!(captured.status, 201, "{}", captured.text);
    let profile = tempfile::tempdir().expect("profile");
    let client = browser(&driver, profile.path()).await;
    let base = format!("http://{}", server.address);

    // The API's reference for integrators: rendered from the generated document, legible
    // and accessible like every page.
    client
        .goto(&format!("{base}/api"))
        .await
        .expect("reference");
    await_text(&client, "h3 code", "POST /v1/payments/{provider}/notify").await;
    accessible(&client, "api reference").await;

    // First login with the captured ID-card facts.
    client.goto(&format!("{base}/")).await.expect("portal");
    shot(&client, "01-login").await;
    accessible(&client, "login").await;
    fill(&client, "id_number", &tests::id_number(1)).await;
    fill(&client, "name", tests::CANDIDATE_NAME).await;
    fill(&client, "valid_until", "长期").await;
    submit(&client, "/login").await;
    assert!(current_step(&client).await.contains("缴纳报名费"));
    shot(&client, "02-fee").await;
    accessible(&client, "fee").await;

    // The fee: an order, then paid in the sandbox.
    submit(&client, "/fee").await;
    let source = client.source().await.expect("page");
    assert!(
        source.contains("沙箱") && source.contains("不要重复支付"),
        "{source}"
    );
    shot(&client, "03-pay").await;
    accessible(&client, "pay").await;
    submit(&client, "/sandbox/pay").await;
    assert!(current_step(&client).await.contains("实人认证"));

    // Real-person authentication (the sandbox's), then passwords: identical ones are
    // refused beside the save-password field.
    submit(&client, "/verification").await;
    assert!(current_step(&client).await.contains("设置密码"));
    fill(&client, "login_password", tests::LOGIN_PASSWORD).await;
    fill(&client, "save_password", tests::LOGIN_PASSWORD).await;
    submit(&client, "/passwords").await;
    let error = client
        .find(Locator::Id("save_password-error"))
        .await
        .expect("the refusal beside its field")
        .text()
        .await
        .expect("text");
    assert!(error.contains("不能与登录密码相同"), "{error}");
    shot(&client, "04-passwords-refused").await;
    accessible(&client, "passwords refused").await;
    fill(&client, "login_password", tests::LOGIN_PASSWORD).await;
    fill(&client, "save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/passwords").await;

    // The pledge.
    assert!(current_step(&client).await.contains("诚信承诺"));
    client
        .find(Locator::Id("accept"))
        .await
        .expect("the pledge box")
        .click()
        .await
        .expect("ticked");
    submit(&client, "/pledge").await;

    // The form: a wrong save password is refused beside its field; then saved.
    assert!(current_step(&client).await.contains("填写报名表"));
    fill(&client, "school", "长沙市第一中学").await;
    fill(&client, "urban_rural_code", "111").await;
    fill(&client, "resume_from", "2020-09").await;
    fill(&client, "resume_organisation", "长沙市第一中学").await;
    fill(&client, "resume_role", "学生").await;
    fill(&client, "resume_witness", "王老师").await;
    fill(&client, "save_password", "Wrong2024z").await;
    submit(&client, "/form").await;
    let error = client
        .find(Locator::Id("save_password-error"))
        .await
        .expect("the refusal beside its field")
        .text()
        .await
        .expect("text");
    assert!(error.contains("保存密码不正确"), "{error}");
    shot(&client, "05-form-refused").await;
    accessible(&client, "form refused").await;
    fill(&client, "save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/form").await;
    let step = current_step(&client).await;
    assert!(
        step.contains("报名点确认签字"),
        "{step}: {}",
        client.source().await.unwrap_or_default()
    );
    shot(&client, "06-form-saved").await;
    accessible(&client, "form saved").await;

    // A bonus-point declaration from the province's list.
    choose(&client, "item", "bonus_points:少数民族加分").await;
    fill(&client, "documents", "民族证明-001").await;
    fill(&client, "declaration_save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/declarations").await;
    assert!(
        client
            .source()
            .await
            .expect("page")
            .contains("少数民族加分 · 待县区审核")
    );
    // A second one, withdrawn while pending (with the save password).
    choose(&client, "item", "bonus_points:烈士子女加分").await;
    fill(&client, "documents", "证明-002").await;
    fill(&client, "declaration_save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/declarations").await;
    fill(&client, "withdraw-password-2", tests::SAVE_PASSWORD).await;
    click_and_wait(
        &client,
        "form:has(#withdraw-password-2) button[type=submit]",
    )
    .await;
    let source = client.source().await.expect("page");
    assert!(source.contains("烈士子女加分 · 已撤回"), "withdrawn");

    // The province pauses registration: the next change is turned away by a page that says
    // so in Chinese, with when to come back, and retries by itself.
    let province = server.operator("province");
    let paused = server.request(
        "PUT",
        "/v1/admission/pause",
        Some(&json!({"paused": true, "retry_after_seconds": 5})),
        Some(&province),
        Some("pause"),
    );
    assert_eq!(paused.status, 200, "{}", paused.text);
    fill(&client, "save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/form").await;
    let source = client.source().await.expect("page");
    assert!(
        source.contains("暂停")
            && source.contains("分钟后再来")
            && source.contains("hx-trigger=\"every "),
        "{source}"
    );
    shot(&client, "07-paused").await;
    accessible(&client, "paused").await;
    let resumed = server.request(
        "PUT",
        "/v1/admission/pause",
        Some(&json!({"paused": false})),
        Some(&province),
        Some("resume"),
    );
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    // The page asks again by itself and shows the registration once admitted.
    let started = Instant::now();
    while client.find(Locator::Css(".steps")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the paused page did not come back by itself"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The printable form, downloaded with the browser's own session.
    let link = client
        .find(Locator::Css("a[href='/registration-form.pdf']"))
        .await
        .expect("the download link");
    assert!(link.text().await.expect("text").contains("报名登记表"));
    let session = client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|cookie| cookie.name() == "reg_session")
        .expect("the session cookie");
    assert_eq!(session.http_only(), Some(true));
    let cookie = format!("reg_session={}", session.value());
    let downloader = std::sync::Arc::clone(&server);
    let pdf = tokio::task::spawn_blocking(move || {
        downloader.raw("GET", "/registration-form.pdf", b"", &[("Cookie", &cookie)])
    })
    .await
    .expect("download");
    assert_eq!(pdf.status, 200);
    assert!(pdf.bytes.starts_with(b"%PDF"), "a PDF");

    // At the point, the operator confirms the signed form in the console; the candidate's
    // tracker then shows every step done.
    console_login(&client, &base, "point-430102-001").await;
    shot(&client, "08-console-sign").await;
    submit(&client, "/console/candidates/").await;
    // Then its moral-character evaluation (the same list, the next step's button).
    submit(&client, "/console/candidates/").await;
    let listing = client.source().await.expect("page");
    assert!(listing.contains("已品德评价"), "{listing}");
    // The county approves the declaration from its work list.
    submit(&client, "/console/logout").await;
    console_login(&client, &base, "county-430102").await;
    let list = client
        .find(Locator::Id("declarations"))
        .await
        .expect("the work list")
        .text()
        .await
        .expect("text");
    assert!(
        list.contains("少数民族加分") && list.contains("民族证明-001"),
        "{list}"
    );
    submit(&client, "/console/candidates/").await;
    client.goto(&format!("{base}/")).await.expect("portal");
    assert!(
        client
            .find(Locator::Css(".steps li.current"))
            .await
            .is_err(),
        "every step is done"
    );
    assert!(
        client.source().await.expect("page").contains("县区已通过"),
        "the county's approval shows on the candidate's page"
    );
    accessible(&client, "portal, all done").await;
    shot(&client, "08-signed").await;

    // A phone number (a wrong save password refused beside its own field), then the exam
    // fee paid in the sandbox and the admission ticket offered.
    fill(&client, "phone_number", "13800138000").await;
    fill(&client, "phone_save_password", "Wrong2024z").await;
    submit(&client, "/phone").await;
    let error = client
        .find(Locator::Id("phone_save_password-error"))
        .await
        .expect("the refusal beside the phone form's field")
        .text()
        .await
        .expect("text");
    assert!(error.contains("保存密码不正确"), "{error}");
    fill(&client, "phone_save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/phone").await;
    let source = client.source().await.expect("page");
    assert!(source.contains("当前：138"), "the phone is bound: {source}");
    // An art/PE category, its fee paid in the sandbox, its exam ticket offered.
    choose(&client, "category", "music").await;
    fill(&client, "main_item", "声乐").await;
    fill(&client, "art_save_password", tests::SAVE_PASSWORD).await;
    submit(&client, "/art-pe").await;
    assert!(client.source().await.expect("page").contains("音乐类"));
    submit(&client, "/art-pe/fee").await;
    submit(&client, "/sandbox/pay").await;
    let source = client.source().await.expect("page");
    assert!(
        source.contains("已缴费") && source.contains("/art-pe-ticket.pdf"),
        "the category is paid and its ticket offered"
    );
    submit(&client, "/exam-fee").await;
    shot(&client, "09-exam-fee-order").await;
    submit(&client, "/sandbox/pay").await;
    let ticket = client
        .find(Locator::Css("a[href='/admission-ticket.pdf']"))
        .await
        .expect("the admission ticket once the exam fee is paid");
    assert!(ticket.text().await.expect("text").contains("准考证"));
    accessible(&client, "portal, exam fee paid").await;
    shot(&client, "09-exam-fee").await;
    client.close().await.expect("closed");
}

async fn choose(client: &fantoccini::Client, select_id: &str, value: &str) {
    client
        .find(Locator::Css(&format!(
            "#{select_id} option[value='{value}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("#{select_id} offers {value}"))
        .click()
        .await
        .expect("chosen");
}

async fn console_login(client: &fantoccini::Client, base: &str, username: &str) {
    client
        .goto(&format!("{base}/console"))
        .await
        .expect("console");
    fill(client, "username", username).await;
    fill(client, "password", tests::DEMO_PASSWORD).await;
    submit(client, "/console/login").await;
}

/// The photo check's verdict once it differs from `before` (htmx swaps it in).
async fn verdict(client: &fantoccini::Client, before: &str) -> String {
    let started = Instant::now();
    loop {
        let text = match client.find(Locator::Id("photo-verdict")).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if !text.is_empty() && text != before {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no verdict on the photo (was: {before})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The dashboard's "captured" count (read again if htmx swaps the table mid-read).
async fn captured_count(client: &fantoccini::Client) -> u64 {
    let started = Instant::now();
    loop {
        let cell = client
            .find(Locator::Css("#progress td[data-status='captured']"))
            .await;
        if let Ok(text) = match cell {
            Ok(cell) => cell.text().await,
            Err(error) => Err(error),
        } {
            return text.trim().parse().unwrap_or(0);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no captured count"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A point operator captures a candidate with a photo file; the county operator sees the
/// dashboard count change without reloading and finds the candidate in a filtered list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_capture_and_watch_progress_in_the_console() {
    let Some(driver) = start_driver() else {
        return;
    };
    let data = tempfile::tempdir().expect("data");
    let server = tokio::task::spawn_blocking({
        let path = data.path().to_owned();
        move || std::sync::Arc::new(Server::start(&path))
    })
    .await
    .expect("server");
    let profile = tempfile::tempdir().expect("profile");
    let client = browser(&driver, profile.path()).await;
    client
        .set_window_size(1280, 900)
        .await
        .expect("a desk's screen");
    let base = format!("http://{}", server.address);

    // The point captures candidate 2: ID-card fields and a photo file.
    console_login(&client, &base, "point-430102-001").await;
    accessible(&client, "console workspace").await;
    // Where the browser has a camera API, the point may take the photo with it (the file
    // input stays either way).
    assert!(
        client
            .find(Locator::Id("camera-start"))
            .await
            .expect("the camera button")
            .is_displayed()
            .await
            .expect("displayed?"),
        "camera.js offers the camera"
    );
    let body = tests::capture_body(2);
    fill(
        &client,
        "id_number",
        body["id_number"].as_str().expect("id"),
    )
    .await;
    fill(&client, "name", "王小明").await;
    choose(&client, "gender", body["gender"].as_str().expect("gender")).await;
    fill(
        &client,
        "birth_date",
        body["birth_date"].as_str().expect("birth"),
    )
    .await;
    fill(&client, "address", "湖南省长沙市芙蓉区五一大道1号").await;
    // The camera: a frame taken, sized to the standard, and checked at once — the verdict
    // (whatever the synthetic camera's test pattern earns) is shown before anything is sent.
    client
        .find(Locator::Id("camera-start"))
        .await
        .expect("the camera button")
        .click()
        .await
        .expect("camera on");
    let started = Instant::now();
    loop {
        let take = client.find(Locator::Id("camera-take")).await.expect("take");
        let playing = client
            .execute(
                "return document.getElementById('camera-video').videoWidth > 0;",
                vec![],
            )
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        if playing && take.is_displayed().await.unwrap_or(false) {
            take.click().await.expect("photo taken");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the synthetic camera did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let camera_verdict = verdict(&client, "").await;
    assert!(
        camera_verdict.contains("照片合格") || camera_verdict.contains("照片不符合标准"),
        "{camera_verdict}"
    );
    shot(&client, "10-camera").await;
    let photo = profile.path().join("photo.jpg");
    std::fs::write(
        &photo,
        engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 2),
    )
    .expect("photo");
    client
        .find(Locator::Id("photo"))
        .await
        .expect("the photo input")
        .send_keys(&photo.display().to_string())
        .await
        .expect("chosen");
    let file_verdict = verdict(&client, &camera_verdict).await;
    assert!(
        file_verdict.contains("照片合格：480×640"),
        "a standard photo file is accepted before the capture is sent: {file_verdict}"
    );
    shot(&client, "10-capture").await;
    submit(&client, "/console/capture").await;
    let serial = client
        .find(Locator::Id("captured-serial"))
        .await
        .expect("the capture's serial number (see 10-capture.png)")
        .text()
        .await
        .expect("serial");
    assert_eq!(serial.len(), 8, "{serial}");
    accessible(&client, "console captured").await;
    // The point's list as a file, with the browser's operator session.
    let operator = client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|cookie| cookie.name() == "reg_operator")
        .expect("the operator's session cookie");
    let cookie = format!("reg_operator={}", operator.value());
    let exporter = std::sync::Arc::clone(&server);
    let csv = tokio::task::spawn_blocking(move || {
        exporter.raw(
            "GET",
            "/console/candidates.csv",
            b"",
            &[("Cookie", &cookie)],
        )
    })
    .await
    .expect("export");
    assert_eq!(csv.status, 200);
    assert!(
        csv.bytes.starts_with(b"\xEF\xBB\xBF") && csv.text.contains("王小明"),
        "{}",
        csv.text
    );

    // The county's dashboard: the count moves by itself when the point captures again.
    submit(&client, "/console/logout").await;
    console_login(&client, &base, "county-430102").await;
    let before = captured_count(&client).await;
    assert!(before >= 1, "the capture is counted");
    let point = server.operator("point-430102-001");
    let captured = server.capture(&point, "430102-001", 3, "cap-3");
    assert_eq!(captured.status, 201, "{}", captured.text);
    let started = Instant::now();
    while captured_count(&client).await != before + 1 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the dashboard did not update by itself"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    shot(&client, "11-dashboard").await;
    accessible(&client, "console dashboard").await;

    // The list, filtered by step and the start of the name.
    choose(&client, "status", "captured").await;
    fill(&client, "name-filter", "王").await;
    client
        .find(Locator::Css("form.filters button"))
        .await
        .expect("the filter button")
        .click()
        .await
        .expect("filtered");
    let started = Instant::now();
    loop {
        let rows = client
            .find_all(Locator::Css("#candidates tbody tr"))
            .await
            .expect("rows");
        let mut texts = Vec::new();
        for row in &rows {
            texts.push(row.text().await.unwrap_or_default());
        }
        if texts.len() == 1 && texts[0].contains("王小明") && texts[0].contains(&serial) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the filtered list shows only 王小明: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&client, "12-list").await;
    // The candidate's page: the record and its timeline, from the list.
    click_and_wait(&client, "#candidates tbody tr a").await;
    let timeline = client
        .find(Locator::Id("timeline"))
        .await
        .expect("the timeline")
        .text()
        .await
        .expect("text");
    assert!(
        timeline.contains("现场采集") && timeline.contains(&serial),
        "{timeline}"
    );
    accessible(&client, "console candidate").await;
    shot(&client, "12-timeline").await;
    client.goto(&format!("{base}/console")).await.expect("back");

    // A migrant worker's child captured at the designated point waits for the county's
    // eligibility audit, which the county approves from its list.
    let mut migrant = tests::capture_body(4);
    migrant["migrant_child"] = json!(true);
    let captured = server.request(
        "POST",
        "/v1/points/430102-001/captures",
        Some(&migrant),
        Some(&point),
        Some("cap-4"),
    );
    assert_eq!(captured.status, 201, "{}", captured.text);
    client
        .goto(&format!("{base}/console"))
        .await
        .expect("reload");
    click_and_wait(
        &client,
        "form:has(input[name='kind'][value='migrant_audit']) button[type=submit]",
    )
    .await;
    assert!(
        client
            .find(Locator::Css("input[name='kind'][value='migrant_audit']"))
            .await
            .is_err(),
        "the audit is no longer open"
    );

    // The county opens a fourth point and gives it serial numbers from what is left.
    fill(&client, "number", "4").await;
    fill(&client, "point_name", "长沙市第四中学").await;
    fill(&client, "expected_headcount", "300").await;
    submit(&client, "/console/points").await;
    let page = client.source().await.expect("page");
    assert!(
        page.contains("430102-004") && page.contains("长沙市第四中学"),
        "the new point is listed"
    );
    let free = page
        .split("未分配号段：")
        .nth(1)
        .and_then(|rest| rest.split('–').next())
        .and_then(|first| first.trim().parse::<u16>().ok())
        .expect("a run of unallocated numbers");
    fill(&client, "range_point", "430102-004").await;
    fill(&client, "first", &free.to_string()).await;
    fill(&client, "last", &(free + 99).to_string()).await;
    submit(&client, "/console/ranges").await;
    let page = client.source().await.expect("page");
    assert!(
        page.contains(&format!("{:04}–{:04}（0/100）", free, free + 99)),
        "the range is the new point's, none used"
    );
    accessible(&client, "console county administration").await;
    shot(&client, "12-points").await;

    // The county makes an account for a desk at its point; its one-time password must be
    // changed at the first login before anything else.
    fill(&client, "username", "desk-7").await;
    fill(&client, "scope", "point:430102-001").await;
    submit(&client, "/console/accounts").await;
    let one_time = client
        .find(Locator::Id("one-time-password"))
        .await
        .expect("the one-time password, shown once")
        .text()
        .await
        .expect("text");
    submit(&client, "/console/logout").await;
    client
        .goto(&format!("{base}/console"))
        .await
        .expect("console");
    fill(&client, "username", "desk-7").await;
    fill(&client, "password", &one_time).await;
    submit(&client, "/console/login").await;
    assert!(
        client
            .source()
            .await
            .expect("page")
            .contains("请先修改密码")
    );
    accessible(&client, "console password change").await;
    fill(&client, "current_password", &one_time).await;
    fill(&client, "new_password", "desk-Password-2026").await;
    submit(&client, "/console/password").await;
    fill(&client, "username", "desk-7").await;
    fill(&client, "password", "desk-Password-2026").await;
    submit(&client, "/console/login").await;
    assert!(
        client
            .find(Locator::Css("form[action='/console/capture']"))
            .await
            .is_ok(),
        "the desk's workspace after the change"
    );
    assert!(
        client
            .find(Locator::Css("a[href^='/console/login-cards.pdf']"))
            .await
            .is_ok()
    );
    submit(&client, "/console/logout").await;

    // The city sees its counties' submissions, and may return one.
    console_login(&client, &base, "city-4301").await;
    let counties = client
        .find(Locator::Id("counties"))
        .await
        .expect("the counties' submissions")
        .text()
        .await
        .expect("text");
    assert!(
        counties.contains("430102") && counties.contains("未报送"),
        "{counties}"
    );
    accessible(&client, "console city").await;
    submit(&client, "/console/logout").await;

    // The province sees the operators' actions in the audit trail.
    console_login(&client, &base, "province").await;
    fill(&client, "actor", "county-430102").await;
    click_and_wait(&client, "form:has(#actor) button[type=submit]").await;
    let trail = client.source().await.expect("page");
    assert!(
        trail.contains("county-430102") && trail.contains("/console/accounts"),
        "the county's account creation in the console is in the audit trail: {}",
        client
            .find(Locator::Id("audit"))
            .await
            .expect("the trail")
            .text()
            .await
            .unwrap_or_default()
    );
    // It extends the first window's close; the table says so.
    fill(&client, "until", "2099-12-31 23:00").await;
    submit(&client, "/console/windows").await;
    let windows = client
        .find(Locator::Id("windows"))
        .await
        .expect("the windows")
        .text()
        .await
        .expect("text");
    assert!(
        windows.contains("2099-12-31 23:00") && windows.contains("已延长 1 次"),
        "{windows}"
    );
    // Returning a city that has not submitted is refused, and says so.
    fill(&client, "reason", "数据需核对").await;
    submit(&client, "/console/city-returns").await;
    let refused = client.source().await.expect("page");
    assert!(refused.contains("not_submitted"), "the refusal is shown");
    accessible(&client, "console province").await;
    shot(&client, "13-province").await;
    client.close().await.expect("closed");
}

/// The province turns a region's rate down and opens the waiting room from the console (a
/// malformed number refused with its message first); a candidate of that region who comes
/// back too fast gets a queue page with their place, which lets them in by itself when it
/// is their turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_region_queues_the_candidate_who_then_gets_in_by_themselves() {
    let Some(driver) = start_driver() else {
        return;
    };
    let data = tempfile::tempdir().expect("data");
    let server = tokio::task::spawn_blocking({
        let path = data.path().to_owned();
        // The demo as a newcomer finds it: with the demo's own candidate.
        move || std::sync::Arc::new(Server::start_with(&path, &[("REG_DEMO_CANDIDATE", "true")]))
    })
    .await
    .expect("server");
    let profile = tempfile::tempdir().expect("profile");
    let client = browser(&driver, profile.path()).await;
    client
        .set_window_size(1280, 900)
        .await
        .expect("a desk's screen");
    let base = format!("http://{}", server.address);

    console_login(&client, &base, "province").await;
    fill(&client, "max_in_flight", "many").await;
    submit(&client, "/console/admission").await;
    let refused = client.source().await.expect("page");
    assert!(
        refused.contains("admission_field_invalid") && refused.contains("同时处理的考生请求上限"),
        "the malformed number is refused by name"
    );
    fill(&client, "max_in_flight", "128").await;
    fill(&client, "region_requests_per_second", "1").await;
    fill(&client, "admit_per_second_per_region", "1").await;
    submit(&client, "/console/admission").await;
    let saved = client
        .find(Locator::Id("region_requests_per_second"))
        .await
        .expect("the field")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(saved.as_deref(), Some("1"), "the setting is in force");
    accessible(&client, "console admission").await;
    shot(&client, "14-admission").await;
    submit(&client, "/console/logout").await;

    // The candidate logs in, then comes back faster than the region's rate.
    client.set_window_size(390, 844).await.expect("phone-sized");
    // The login page names the demo's candidate; the newcomer logs in as them.
    client.goto(&format!("{base}/")).await.expect("portal");
    let demo = client
        .find(Locator::Css("#demo-candidate code"))
        .await
        .expect("the demo candidate on the login page")
        .text()
        .await
        .expect("text");
    assert_eq!(demo.len(), 18, "{demo}");
    fill(&client, "id_number", &demo).await;
    fill(&client, "name", "李小满").await;
    fill(&client, "valid_until", "长期").await;
    submit(&client, "/login").await;
    let mut queued = false;
    for _ in 0..10 {
        client.goto(&format!("{base}/")).await.expect("again");
        if client.source().await.expect("page").contains("正在排队") {
            queued = true;
            break;
        }
    }
    assert!(queued, "a region over its rate queues the candidate");
    let place = client
        .find(Locator::Css("[role=status]"))
        .await
        .expect("the queue's status")
        .text()
        .await
        .expect("text");
    assert!(
        place.contains("您前面还有") && place.contains("自动进入"),
        "{place}"
    );
    assert!(
        client
            .get_all_cookies()
            .await
            .expect("cookies")
            .iter()
            .any(|cookie| cookie.name() == "reg_ticket"),
        "the ticket is kept for the retries"
    );
    shot(&client, "15-waiting-room").await;
    accessible(&client, "waiting room").await;
    let started = Instant::now();
    while client.find(Locator::Css(".steps")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the waiting room did not let the candidate in by itself"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(current_step(&client).await.contains("缴纳报名费"));
    client.close().await.expect("closed");
}

/// The adult exam in the browser: a candidate makes an account on a phone and fills the
/// registration in (a volunteer refused by the rules, with its message), chooses a point;
/// the point's operator confirms them in the console with the photo taken on site; the
/// candidate pays in the sandbox; the province numbers the tickets in the console; the
/// candidate downloads the admission ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adult_candidate_registers_is_confirmed_and_prints_the_ticket() {
    let Some(driver) = start_driver() else {
        return;
    };
    let data = tempfile::tempdir().expect("data");
    let server = tokio::task::spawn_blocking({
        let path = data.path().to_owned();
        move || std::sync::Arc::new(Server::start(&path))
    })
    .await
    .expect("server");
    let profile = tempfile::tempdir().expect("profile");
    let client = browser(&driver, profile.path()).await;
    let base = format!("http://{}", server.address);

    client
        .goto(&format!("{base}/adult"))
        .await
        .expect("adult portal");
    accessible(&client, "adult entry").await;
    fill(&client, "username", "zhou2026").await;
    fill(&client, "password", "Adult2026x").await;
    submit(&client, "/adult/register").await;
    assert!(current_step(&client).await.contains("诚信承诺"));
    client
        .find(Locator::Id("accept"))
        .await
        .expect("the pledge box")
        .click()
        .await
        .expect("ticked");
    submit(&client, "/adult/pledge").await;
    assert!(current_step(&client).await.contains("基本信息"));
    let birth = engine::time::Date::new(1995, 6, 1).expect("date");
    let id = engine::id_number::IdNumber::from_parts(430102, birth, 12).expect("id");
    fill(&client, "id_number", id.expose()).await;
    fill(&client, "name", "周成人").await;
    if id.gender() == engine::id_number::Gender::Female {
        choose(&client, "gender", "female").await;
    }
    for (field, value) in [
        ("ethnicity", "1"),
        ("birth_date", "1995-06-01"),
        ("political_status", "群众"),
        ("education", "高中"),
        ("foreign_language", "英语"),
        ("candidate_feature", "在职"),
        ("enrolment_category", "普通"),
        ("graduation_date", "2013-06-30"),
        ("graduation_school", "长沙市第一中学"),
        ("certificate_number", "430100201300123"),
        ("occupation", "企业职工"),
        ("work_start", "2014-03-01"),
        ("phone", "2380013800"),
        ("address", "湖南省长沙市芙蓉区五一大道1号"),
        ("postcode", "410011"),
        ("hukou_city", "4301"),
    ] {
        fill(&client, field, value).await;
    }
    submit(&client, "/adult/info").await;
    let error = client
        .find(Locator::Id("phone-error"))
        .await
        .expect("the phone's refusal beside it")
        .text()
        .await
        .expect("text");
    assert!(error.contains("11"), "{error}");
    accessible(&client, "adult info refused").await;
    fill(&client, "phone", "13800138000").await;
    submit(&client, "/adult/info").await;
    assert!(
        current_step(&client).await.contains("报考志愿"),
        "{}",
        client.source().await.unwrap_or_default()
    );
    fill(&client, "category", "文史").await;
    choose(&client, "first_level", "high_to_junior").await;
    for (field, value) in [
        ("first_school_code", "10542"),
        ("first_school", "湖南师范大学"),
        ("first_major_code", "120201"),
        ("first_major", "工商管理"),
        ("first_major_category", "管理学"),
        ("first_length_years", "3"),
        ("second_school_code", "10538"),
        ("second_school", "中南林业科技大学"),
        ("second_major_code", "120202"),
        ("second_major", "市场营销"),
        ("second_major_category", "管理学"),
        ("second_length_years", "3"),
    ] {
        fill(&client, field, value).await;
    }
    choose(&client, "second_level", "high_to_bachelor").await;
    submit(&client, "/adult/volunteers").await;
    let refused = client.source().await.expect("page");
    assert!(
        refused.contains("second_choice_level_not_allowed"),
        "高起专's second choice is only 高起专"
    );
    shot(&client, "20-adult-volunteers-refused").await;
    let kept = client
        .find(Locator::Css("#first_level option[selected]"))
        .await
        .expect("the typed level kept")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("high_to_junior"));
    choose(&client, "second_level", "high_to_junior").await;
    submit(&client, "/adult/volunteers").await;
    assert!(current_step(&client).await.contains("选择确认点"));
    choose(&client, "point", "430102-002").await;
    submit(&client, "/adult/point").await;
    let next = client
        .find(Locator::Id("next-step"))
        .await
        .expect("where to go")
        .text()
        .await
        .expect("text");
    assert!(next.contains("430102-002"), "{next}");
    accessible(&client, "adult point chosen").await;
    shot(&client, "21-adult-point").await;
    let session = client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|cookie| cookie.name() == "reg_session")
        .expect("the candidate's session");

    // The point confirms in the console, with the photo taken on site.
    client.set_window_size(1280, 900).await.expect("a desk");
    client.delete_all_cookies().await.expect("another person");
    console_login(&client, &base, "point-430102-002").await;
    let photo = profile.path().join("adult.jpg");
    std::fs::write(
        &photo,
        engine::photo::synthetic_jpeg(480, 640, 30 * 1024, 9),
    )
    .expect("photo");
    let input = client
        .find(Locator::Css("#adult-waiting input[type=file]"))
        .await
        .expect("the candidate waits at the point");
    input
        .send_keys(&photo.display().to_string())
        .await
        .expect("chosen");
    for check in ["qualification_checked", "pledge_transcribed"] {
        client
            .find(Locator::Css(&format!("#adult-waiting input[name={check}]")))
            .await
            .expect("a check")
            .click()
            .await
            .expect("ticked");
    }
    let waiting = client
        .find(Locator::Id("adult-waiting"))
        .await
        .expect("the list")
        .text()
        .await
        .expect("text");
    assert!(waiting.contains("高起专"), "{waiting}");
    accessible(&client, "console adult confirmation").await;
    shot(&client, "22-adult-confirm").await;
    submit(&client, "/console/adult/").await;
    assert!(
        client
            .find(Locator::Css("#adult-waiting tbody tr"))
            .await
            .is_err(),
        "nobody waits any more"
    );
    submit(&client, "/console/logout").await;

    // The candidate pays in the sandbox.
    client.set_window_size(390, 844).await.expect("phone");
    client.goto(&format!("{base}/adult")).await.expect("portal");
    client
        .add_cookie(session.clone())
        .await
        .expect("the candidate's session again");
    client.goto(&format!("{base}/adult")).await.expect("portal");
    assert!(current_step(&client).await.contains("网上缴费"));
    submit(&client, "/adult/fee").await;
    submit(&client, "/adult/sandbox/pay").await;
    assert!(
        client.find(Locator::Id("valid")).await.is_ok(),
        "paid and valid"
    );

    // The province numbers the tickets in the console.
    client.delete_all_cookies().await.expect("another person");
    client.set_window_size(1280, 900).await.expect("a desk");
    console_login(&client, &base, "province").await;
    submit(&client, "/console/adult/numbering").await;
    submit(&client, "/console/logout").await;

    // The candidate downloads the admission ticket.
    client.set_window_size(390, 844).await.expect("phone");
    client.goto(&format!("{base}/adult")).await.expect("portal");
    client.add_cookie(session).await.expect("session");
    client.goto(&format!("{base}/adult")).await.expect("portal");
    let link = client
        .find(Locator::Css("a[href='/adult/admission-ticket.pdf']"))
        .await
        .expect("the ticket once numbered");
    assert!(link.text().await.expect("text").contains("准考证"));
    accessible(&client, "adult ticket").await;
    shot(&client, "23-adult-ticket").await;
    let session = client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|cookie| cookie.name() == "reg_session")
        .expect("session");
    let cookie = format!("reg_session={}", session.value());
    let downloader = std::sync::Arc::clone(&server);
    let pdf = tokio::task::spawn_blocking(move || {
        downloader.raw(
            "GET",
            "/adult/admission-ticket.pdf",
            b"",
            &[("Cookie", &cookie)],
        )
    })
    .await
    .expect("download");
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    assert!(pdf.bytes.starts_with(b"%PDF"));
    // The candidate applies for admission without the exam; the city reviews it first in
    // the console, then the province.
    fill(&client, "exemption_reason", "全国劳动模范").await;
    submit(&client, "/adult/exemption").await;
    assert!(client.source().await.expect("page").contains("待市州审核"));
    client.delete_all_cookies().await.expect("another person");
    client.set_window_size(1280, 900).await.expect("a desk");
    for (operator, stage) in [("city-4301", "市州初审"), ("province", "省审核")] {
        console_login(&client, &base, operator).await;
        let list = client
            .find(Locator::Id("adult-exemptions"))
            .await
            .expect("the exemptions to review")
            .text()
            .await
            .expect("text");
        assert!(
            list.contains(stage) && list.contains("全国劳动模范"),
            "{list}"
        );
        accessible(
            &client,
            &format!("console adult administration ({operator})"),
        )
        .await;
        click_and_wait(
            &client,
            "#adult-exemptions form:has(input[name=approved][value=yes]) button",
        )
        .await;
        assert!(client.find(Locator::Id("adult-exemptions")).await.is_err());
        submit(&client, "/console/logout").await;
    }
    // A county proposes a confirmation point; its city and the province pass it.
    console_login(&client, &base, "county-430102").await;
    fill(&client, "adult_point_number", "9").await;
    fill(&client, "adult_point_name", "芙蓉区医卫类确认点").await;
    fill(&client, "adult_point_contact", "王老师").await;
    fill(&client, "adult_point_phone", "0731-1234567").await;
    client
        .find(Locator::Id("level_junior_to_bachelor"))
        .await
        .expect("a level")
        .click()
        .await
        .expect("ticked");
    submit(&client, "/console/adult/points").await;
    assert!(client.source().await.expect("page").contains("待市州审核"));
    accessible(&client, "console adult county").await;
    submit(&client, "/console/logout").await;
    for operator in ["city-4301", "province"] {
        console_login(&client, &base, operator).await;
        click_and_wait(
            &client,
            "#adult-points form:has(input[name=code][value='430102-009']):has(input[name=approved][value=yes]) button",
        )
        .await;
        submit(&client, "/console/logout").await;
    }
    client
        .goto(&format!("{base}/v1/adult/confirmation-points?city=4301"))
        .await
        .expect("points");
    assert!(client.source().await.expect("page").contains("430102-009"));
    client.close().await.expect("closed");
}
