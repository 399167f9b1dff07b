//! OAuth hardening: app websites, the consent page's headers, codes that
//! work once and whose replay revokes what they gave, PKCE S256 only.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::json;

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

#[tokio::test]
async fn an_app_website_must_be_an_http_url_with_a_host() {
    let s = TestServer::start().await;
    let register = |website: String| {
        let s = &s;
        async move {
            s.post("/api/v1/apps", None, json!({"client_name": "x", "redirect_uris": OOB, "website": website})).await
        }
    };
    for bad in ["javascript:alert(document.cookie)", "data:text/html,<script>1</script>", "https://", "app.example"] {
        let r = register(bad.to_string()).await;
        assert_eq!(r.status.as_u16(), 422, "{bad}: {}", r.body);
        assert_eq!(r.body["error"], "Validation failed: Website is invalid");
    }
    let long = format!("https://app.example/{}", "a".repeat(2000));
    let r = register(long).await;
    assert_eq!(r.status.as_u16(), 422);
    assert_eq!(r.body["error"], "Validation failed: Website is too long (maximum is 2000 characters)");
    let ok = register("https://app.example/about".into()).await.ok();
    assert_eq!(ok["website"], "https://app.example/about");
}

#[tokio::test]
async fn the_consent_page_is_not_cached_sniffed_framed_or_readable_by_other_sites() {
    let s = TestServer::start().await;
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={OOB}&scope=read",
        s.url,
        s.app().client_id
    );
    let page = s.http.get(&url).header("origin", "https://evil.example").send().await.expect("page");
    assert_eq!(page.status(), 200);
    let h = page.headers();
    let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).expect("a CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    assert_eq!(h.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(h.get("access-control-allow-origin").is_none(), "not readable cross-origin: {h:?}");
    // The form's answer (which may show a code) neither.
    let form = [("response_type", "code"), ("client_id", s.app().client_id.as_str()), ("redirect_uri", OOB)];
    let posted = s
        .http
        .post(format!("{}/oauth/authorize", s.url))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert!(posted.headers().get("access-control-allow-origin").is_none());
    assert_eq!(posted.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    // The JSON API stays open to browser clients.
    let api = s.http.get(format!("{}/api/v1/instance", s.url)).header("origin", "https://app.example").send().await;
    assert!(api.expect("instance").headers().get("access-control-allow-origin").is_some());
}
