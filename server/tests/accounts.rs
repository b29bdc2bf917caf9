//! Accounts and sessions over real HTTP against a real server on port 0.

mod common;

use common::{TestServer, PASSWORD};
use serde_json::Value;

async fn form(
    client: &reqwest::Client,
    url: String,
    fields: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let res = client.post(url).form(fields).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap_or(Value::Null), headers)
}

#[tokio::test]
async fn register_login_logout_and_bearer_tokens() {
    let server = TestServer::start().await;
    let browser = server.client();

    // Register: 200, the user back, an HttpOnly SameSite cookie and a redirect hint.
    let (status, user, headers) = form(
        &browser,
        server.url("/api/register"),
        &[("username", "Alice"), ("display_name", "Alice A."), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["username"], "alice", "usernames are stored lower-case");
    assert_eq!(user["display_name"], "Alice A.");
    let cookie = headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("confab_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let token = cookie.trim_start_matches("confab_session=").split(';').next().unwrap().to_string();
    assert_eq!(token.len(), 43, "256 bits, base64url");

    // The cookie authenticates.
    let me: Value = browser.get(server.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "alice");

    // The token is stored hashed, never as is.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(server_pool(&server).await.pool())
        .await
        .unwrap();
    assert!(!stored.is_empty() && stored.iter().all(|h| h.len() == 64 && *h != token));

    // Logout ends the session on the server, not just in the browser.
    let (status, _, headers) = form(&browser, server.url("/api/logout"), &[]).await;
    assert_eq!(status, 200);
    assert!(headers.get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    let stale = reqwest::Client::new()
        .get(server.url("/api/me"))
        .header("cookie", format!("confab_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.json::<Value>().await.unwrap(), Value::Null, "logged-out token no longer works");

    // Log in again (any case), then a bearer token works without cookies.
    let (status, user, _) =
        form(&browser, server.url("/api/login"), &[("username", "ALICE"), ("password", PASSWORD)]).await;
    assert_eq!(status, 200);
    assert_eq!(user["username"], "alice");
    let (status, token, _) =
        form(&server.client(), server.url("/api/token"), &[("username", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(status, 200);
    let token = token.as_str().unwrap().to_string();
    let me: Value = reqwest::Client::new()
        .get(server.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    // A made-up token is anonymous, and protected endpoints say 401.
    let res = reqwest::Client::new().get(server.url("/api/rooms")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
}

async fn server_pool(server: &TestServer) -> server::storage::Storage {
    server::storage::Storage::connect(&format!("sqlite://{}/confab.db", server.dir.path().display()), "test".into())
        .await
        .unwrap()
}

#[tokio::test]
async fn registration_refuses_duplicates_and_bad_input_with_clear_errors() {
    let server = TestServer::start().await;
    let c = server.client();
    let ok = form(&c, server.url("/api/register"), &[("username", "bob"), ("password", PASSWORD)]).await;
    assert_eq!(ok.0, 200);
    assert_eq!(ok.1["display_name"], "bob", "display name defaults to the username");

    // (form fields, status, field named in the error, words in the message)
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("username", "BOB"), ("password", PASSWORD)], 409, "username", "taken"),
        (&[("username", "ab"), ("password", PASSWORD)], 422, "username", "3 to 32"),
        (&[("username", "no spaces"), ("password", PASSWORD)], 422, "username", "only letters"),
        (&[("username", "carol"), ("password", "short")], 422, "password", "at least 8"),
        (&[("username", "carol"), ("password", &"x".repeat(300))], 422, "password", "at most"),
    ];
    for (fields, status, field, text) in cases {
        let (got, body, _) = form(&server.client(), server.url("/api/register"), fields).await;
        assert_eq!(got, *status, "{fields:?}: {body}");
        assert_eq!(body["field"], *field, "{body}");
        assert!(body["message"].as_str().unwrap().contains(text), "{body}");
    }
    // Every field's problem at once: the form is told all it must fix in one answer.
    let long_name = "n".repeat(200);
    let all_wrong = [("username", "a!"), ("display_name", long_name.as_str()), ("password", "x")];
    let (got, body, _) = form(&server.client(), server.url("/api/register"), &all_wrong).await;
    assert_eq!((got, body["field"].as_str()), (422, Some("username")), "{body}");
    let more: Vec<&str> = body["more"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(more, ["display_name", "password"], "{body}");
    assert!(body["more"][1]["message"].as_str().unwrap().contains("at least 8"), "{body}");
    // A taken name is said with the rest, after the rules broken.
    let taken_and_short = [("username", "Bob"), ("password", "x")];
    let (got, body, _) = form(&server.client(), server.url("/api/register"), &taken_and_short).await;
    assert_eq!((got, body["field"].as_str()), (422, Some("password")), "{body}");
    assert_eq!(body["more"][0]["field"], "username", "{body}");
    assert!(body["more"][0]["message"].as_str().unwrap().contains("taken"), "{body}");
    // A missing field is a 400, not a crash.
    let (got, body, _) = form(&server.client(), server.url("/api/register"), &[("username", "dave")]).await;
    assert_eq!(got, 400, "{body}");
    assert_eq!(body["code"], "bad_request");
}

#[tokio::test]
async fn wrong_credentials_get_one_generic_message() {
    let server = TestServer::start().await;
    server.register("erin").await;
    let (s1, b1, _) =
        form(&server.client(), server.url("/api/login"), &[("username", "erin"), ("password", "nope nope")]).await;
    let (s2, b2, _) =
        form(&server.client(), server.url("/api/login"), &[("username", "nobody"), ("password", PASSWORD)]).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2, "unknown user and wrong password look the same");
    assert_eq!(b1["message"], "Wrong username or password.");
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_username_and_per_ip() {
    let server = TestServer::start_with(|c| {
        c.login_burst_per_user = 3;
        c.login_burst_per_ip = 6;
    })
    .await;
    server.register("frank").await; // uses one attempt (token) for frank
    let attempt = |user: &'static str| {
        let c = server.client();
        let url = server.url("/api/login");
        async move { form(&c, url, &[("username", user), ("password", "wrong password")]).await }
    };
    assert_eq!(attempt("frank").await.0, 401);
    assert_eq!(attempt("frank").await.0, 401);
    let (status, body, headers) = attempt("frank").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "rate_limited");
    assert!(headers.get("retry-after").is_some());
    // Even the right password waits now.
    let (status, ..) =
        form(&server.client(), server.url("/api/login"), &[("username", "frank"), ("password", PASSWORD)]).await;
    assert_eq!(status, 429);
    // Spraying other names from the same IP hits the per-IP limit.
    let mut last = 0;
    for name in ["g1", "g2", "g3", "g4"] {
        last = attempt(name).await.0;
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn pages_redirect_to_login_and_hygiene_endpoints_work() {
    let server = TestServer::start().await;
    let c = server.client();
    // Browsers ask for HTML; that is what turns a guard into a real 302.
    let page = |path: &str| c.get(server.url(path)).header("accept", "text/html").send();
    let res = page("/chat").await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/login?next=/chat");
    let res = page("/chat/42").await.unwrap();
    assert_eq!(res.headers()["location"], "/login?next=/chat/42");

    let res = c.get(server.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // No other site may frame a page (clickjacking a Delete or a Leave), nor anything be sniffed.
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["content-security-policy"], "frame-ancestors 'none'");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let html = res.text().await.unwrap();
    assert!(html.contains("action=\"/api/login\""), "the login form posts without JavaScript");

    let health: Value = c.get(server.url("/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let metrics = c.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("confab_http_requests_total"));

    let res = c.get(server.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);

    // A logged-in visitor gets the page itself.
    let alice = server.register("alice").await;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/chat"))
        .header("accept", "text/html")
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn cross_origin_posts_and_oversized_bodies_are_refused() {
    let server = TestServer::start().await;
    let res = server
        .client()
        .post(server.url("/api/register"))
        .header("origin", "http://evil.example")
        .form(&[("username", "mallory"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let same = server
        .client()
        .post(server.url("/api/register"))
        .header("origin", server.base.clone())
        .form(&[("username", "mallory"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);

    let huge = "x".repeat(200 * 1024);
    let res = server
        .client()
        .post(server.url("/api/login"))
        .form(&[("username", "mallory"), ("password", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}
