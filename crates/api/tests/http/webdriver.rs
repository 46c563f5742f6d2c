//! A minimal W3C WebDriver client over reqwest, driving headless Chromium through chromedriver on
//! 127.0.0.1. Only what the console's browser tests need: no extra dependency. Every wait is
//! bounded; dropping a [`Browser`] ends the session and the chromedriver process (which takes
//! its Chromium with it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Longest wait for any one condition.
pub const WAIT: Duration = Duration::from_secs(15);

pub const ENTER: &str = "\u{E007}";
pub const TAB: &str = "\u{E004}";

/// Where Chromium and chromedriver are, or why the browser tests cannot run here.
pub fn locate() -> Result<(PathBuf, PathBuf), String> {
    let find = |var: &str, names: &[&str]| -> Option<PathBuf> {
        if let Ok(p) = std::env::var(var) {
            return Some(PathBuf::from(p)).filter(|p| p.exists());
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.exists())
    };
    let chromium = find(
        "CLIENTELE_TEST_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    )
    .ok_or("no chromium at $CLIENTELE_TEST_CHROMIUM or on PATH (Debian: chromium)")?;
    let driver = find("CLIENTELE_TEST_CHROMEDRIVER", &["chromedriver"]).ok_or(
        "no chromium at $CLIENTELE_TEST_CHROMEDRIVER or on PATH: chromedriver is missing \
         (Debian: chromium-driver)",
    )?;
    Ok((chromium, driver))
}

pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

#[derive(Clone, Debug)]
pub struct Element(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session in a
    /// fresh profile, with every host name except 127.0.0.1 unresolvable (the console must work
    /// offline).
    pub async fn start(chromium: &Path, driver: &Path) -> Browser {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg("--allowed-origins=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            http,
            base,
            session: String::new(),
            driver: child,
            _profile: tempfile::tempdir().expect("profile dir"),
        };
        let started = Instant::now();
        loop {
            let ready = browser
                .http
                .get(format!("{}/status", browser.base))
                .send()
                .await
                .ok();
            if let Some(r) = ready {
                if let Ok(v) = r.json::<Value>().await {
                    if v["value"]["ready"] == true {
                        break;
                    }
                }
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not answer on {}",
                browser.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = browser._profile.path().display().to_string();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--lang=en-US",
                    format!("--user-data-dir={profile}"),
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                    "--window-size=1280,900",
                ]
            }
        }}});
        let v = browser.call("POST", "/session", Some(caps)).await;
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        browser
            .cmd(
                "POST",
                "timeouts",
                Some(json!({"implicit": 0, "pageLoad": 30000, "script": 10000})),
            )
            .await;
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let res = req.send().await.expect("webdriver request");
        let v: Value = res.json().await.expect("webdriver JSON");
        if v["value"].get("error").is_some() {
            return json!({"error": v["value"].clone()});
        }
        v["value"].clone()
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = self
            .call(method, &format!("/session/{}/{path}", self.session), body)
            .await;
        assert!(v.get("error").is_none(), "{method} {path}: {v}");
        v
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn title(&self) -> String {
        self.cmd("GET", "title", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn source(&self) -> String {
        self.cmd("GET", "source", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn find_now(&self, css: &str) -> Option<Element> {
        let v = self
            .call(
                "POST",
                &format!("/session/{}/element", self.session),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().map(|id| Element(id.to_string()))
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find_now(css).await {
                return e;
            }
            assert!(
                started.elapsed() < WAIT,
                "no element {css} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.find_now(css).await.is_some()
    }

    /// The text of every element matching `css`, read at one instant (a swap in between cannot
    /// leave stale references).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let v = self
            .cmd(
                "POST",
                "execute/sync",
                Some(json!({
                    "script": "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent.trim())",
                    "args": [css],
                })),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn click(&self, e: &Element) {
        self.cmd("POST", &format!("element/{}/click", e.0), None)
            .await;
    }

    pub async fn click_on(&self, css: &str) {
        let e = self.find(css).await;
        self.click(&e).await;
    }

    pub async fn clear(&self, e: &Element) {
        self.cmd("POST", &format!("element/{}/clear", e.0), None)
            .await;
    }

    pub async fn type_into(&self, e: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Replaces the value of the input matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.clear(&e).await;
        self.type_into(&e, text).await;
    }

    pub async fn text(&self, e: &Element) -> String {
        self.cmd("GET", &format!("element/{}/text", e.0), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn text_of(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.text(&e).await
    }

    pub async fn property(&self, e: &Element, name: &str) -> Value {
        self.cmd("GET", &format!("element/{}/property/{name}", e.0), None)
            .await
    }

    /// The element that has the keyboard focus.
    pub async fn active(&self) -> Element {
        let started = Instant::now();
        loop {
            let v = self
                .call(
                    "GET",
                    &format!("/session/{}/element/active", self.session),
                    None,
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return Element(id.to_string());
            }
            assert!(started.elapsed() < WAIT, "nothing has the focus: {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses keys on whatever has the focus.
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.cmd(
            "POST",
            "actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
        self.cmd("DELETE", "actions", None).await;
    }

    pub async fn cookies(&self) -> Vec<Value> {
        self.cmd("GET", "cookie", None)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Runs a script in the page (WebDriver's own channel, which the page's CSP does not govern).
    pub async fn script(&self, js: &str) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// The browser console's messages since the last call.
    pub async fn console_log(&self) -> Vec<String> {
        let v = self
            .call(
                "POST",
                &format!("/session/{}/se/log", self.session),
                Some(json!({"type": "browser"})),
            )
            .await;
        let entries = v
            .as_array()
            .unwrap_or_else(|| panic!("chromedriver returned no browser log: {v}"));
        entries
            .iter()
            .filter_map(|m| m["message"].as_str().map(str::to_string))
            .collect()
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Waits until `check` holds for the page source, or fails with `what`.
    pub async fn wait_for_source(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let src = self.source().await;
            if check(&src) {
                return src;
            }
            assert!(
                started.elapsed() < WAIT,
                "timed out waiting for {what} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's title is `title`.
    pub async fn wait_for_title(&self, title: &str) {
        let started = Instant::now();
        loop {
            let t = self.title().await;
            if t == title {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "title {t:?}, waiting for {title:?} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.cmd("GET", "screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .expect("base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Saves a PNG of the whole page at the current width (the window grows to fit, then shrinks
    /// back).
    pub async fn full_screenshot(&self, path: &Path, width: u32, max_height: u32) {
        let h = self
            .script("return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .unwrap_or(900) as u32;
        let chrome = self
            .script("return window.outerHeight - window.innerHeight")
            .await
            .as_u64()
            .unwrap_or(0) as u32;
        self.resize(width, (h + chrome).clamp(300, max_height))
            .await;
        self.screenshot(path).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the session ends Chromium; killing chromedriver takes whatever is left.
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        let c = reqwest::Client::builder()
                            .no_proxy()
                            .timeout(Duration::from_secs(10))
                            .build();
                        if let Ok(c) = c {
                            let _ = c.delete(url).send().await;
                        }
                    });
                }
            })
            .join();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
