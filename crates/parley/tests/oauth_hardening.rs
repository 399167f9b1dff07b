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

/// Signs `login` in on the consent page (OOB) and returns the code shown.
async fn code_for(s: &TestServer, client_id: &str, login: &str, extra: &[(&str, &str)]) -> String {
    let mut form: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", OOB),
        ("scope", "read"),
        ("login", login),
        ("password", "correct horse battery"),
    ];
    form.extend_from_slice(extra);
    let html = s
        .http
        .post(format!("{}/oauth/authorize", s.url))
        .form(&form)
        .send()
        .await
        .expect("consent")
        .text()
        .await
        .expect("html");
    let start = html.find("id=\"code\">").expect("code on the page") + "id=\"code\">".len();
    html[start..].split('<').next().expect("code").to_string()
}

// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_the_token_it_gave() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.register_app("read", OOB).await;
    let code = code_for(&s, &app.client_id, &alice.username, &[]).await;
    let exchange = json!({"grant_type": "authorization_code", "client_id": app.client_id, "client_secret": app.client_secret, "redirect_uri": OOB, "code": code});
    let token = s.post("/oauth/token", None, exchange.clone()).await.ok();
    let token = token["access_token"].as_str().expect("token").to_string();
    s.get("/api/v1/accounts/verify_credentials", Some(&token)).await.ok();
    let replay = s.post("/oauth/token", None, exchange).await.expect(400);
    assert_eq!(replay["error"], "invalid_grant");
    s.get("/api/v1/accounts/verify_credentials", Some(&token)).await.expect(401);
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_failed_redemption_leaves_the_code_to_its_client() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.register_app("read", OOB).await;
    let code = code_for(
        &s,
        &app.client_id,
        &alice.username,
        &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")],
    )
    .await;
    let attempt = |redirect_uri: &'static str, verifier: &'static str| json!({"grant_type": "authorization_code", "client_id": app.client_id, "redirect_uri": redirect_uri, "code": code, "code_verifier": verifier});
    let other = s.register_app("read", OOB).await;
    let stolen = json!({"grant_type": "authorization_code", "client_id": other.client_id, "client_secret": other.client_secret, "redirect_uri": OOB, "code": code, "code_verifier": VERIFIER});
    assert_eq!(s.post("/oauth/token", None, stolen).await.expect(400)["error"], "invalid_grant");
    assert_eq!(
        s.post("/oauth/token", None, attempt("https://evil.example/cb", VERIFIER)).await.expect(400)["error"],
        "invalid_grant"
    );
    assert_eq!(
        s.post("/oauth/token", None, attempt(OOB, "a-wrong-verifier-a-wrong-verifier-a-wrong-v")).await.expect(400)["error"],
        "invalid_grant"
    );
    let token = s.post("/oauth/token", None, attempt(OOB, VERIFIER)).await.ok();
    assert_eq!(token["scope"], "read");
}

#[tokio::test]
async fn pkce_plain_is_refused_as_the_metadata_lists_only_s256() {
    let s = TestServer::start().await;
    let meta = s.get("/.well-known/oauth-authorization-server", None).await.ok();
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={OOB}&scope=read&code_challenge={VERIFIER}&code_challenge_method=plain",
        s.url,
        s.app().client_id
    );
    let page = s.http.get(&url).send().await.expect("page");
    assert_eq!(page.status(), 400);
    assert!(page.text().await.expect("html").contains("S256"));
}
