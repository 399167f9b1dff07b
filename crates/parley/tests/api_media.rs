//! Media over HTTP: uploads (`/api/v2/media`), attaching them to statuses,
//! the files served back, hostile files, metadata stripping, avatars and
//! headers, and removing files nobody uses.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::io::Cursor;

use common::{TestServer, User, ids};
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).expect("encode");
    out
}

fn photo(width: u32, height: u32) -> Vec<u8> {
    let img =
        RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 7) as u8]));
    encode(DynamicImage::ImageRgb8(img), ImageFormat::Png)
}

/// Sends a multipart form: `(name, file name or "" for a text field, bytes)`.
async fn multipart(
    s: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    fields: Vec<(&str, &str, Vec<u8>)>,
) -> common::Reply {
    let mut form = Form::new();
    for (name, file_name, bytes) in fields {
        let part = if file_name.is_empty() {
            Part::text(String::from_utf8(bytes).expect("text field"))
        } else {
            // The declared type is a lie on purpose: the server must look at the bytes.
            Part::bytes(bytes).file_name(file_name.to_string()).mime_str("image/png").expect("mime")
        };
        form = form.part(name.to_string(), part);
    }
    let resp = s
        .http
        .request(method, format!("{}{}", s.url, path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    TestServer::reply(resp).await
}

async fn upload(s: &TestServer, user: &User, bytes: Vec<u8>) -> common::Reply {
    multipart(s, Method::POST, "/api/v2/media", &user.token, vec![("file", "photo.png", bytes)]).await
}

/// A stored file by its URL (which names the public origin).
async fn fetch(s: &TestServer, url: &str, range: Option<&str>) -> reqwest::Response {
    let path = url.strip_prefix(&s.public).unwrap_or(url);
    let mut req = s.http.get(format!("{}{}", s.url, path));
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.expect("file")
}

#[tokio::test]
async fn an_upload_is_processed_attached_and_served() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let media = multipart(
        &s,
        Method::POST,
        "/api/v2/media",
        &alice.token,
        vec![
            ("file", "map.png", photo(1280, 720)),
            ("description", "", b"A map of the three consulates".to_vec()),
            ("focus", "", b"0.5,-0.25".to_vec()),
        ],
    )
    .await
    .ok();
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "A map of the three consulates");
    assert_eq!(media["remote_url"], Value::Null);
    assert_eq!(
        media["meta"],
        json!({
            "original": {"width": 1280, "height": 720, "size": "1280x720", "aspect": 1280.0 / 720.0},
            "small": {"width": 640, "height": 360, "size": "640x360", "aspect": 640.0 / 360.0},
            "focus": {"x": 0.5, "y": -0.25}
        })
    );
    assert_eq!(media["blurhash"].as_str().map(str::len), Some(28));
    let url = media["url"].as_str().expect("url").to_string();
    assert!(url.starts_with(&format!("{}/system/media/", s.public)) && url.ends_with(".jpg"), "{url}");

    // The file comes back as what it is, inert, cached for ever, in ranges.
    let resp = fetch(&s, &url, None).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    let whole = resp.bytes().await.expect("bytes");
    let decoded = image::load_from_memory(&whole).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (1280, 720));
    let part = fetch(&s, &url, Some("bytes=2-11")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 2-11/{}", whole.len()));
    assert_eq!(part.bytes().await.expect("range").as_ref(), &whole[2..12]);
    let past = fetch(&s, &url, Some(&format!("bytes={}-", whole.len() + 5))).await;
    assert_eq!(past.status(), 416);
    let preview = fetch(&s, media["preview_url"].as_str().expect("preview"), None).await;
    let small = image::load_from_memory(&preview.bytes().await.expect("bytes")).expect("preview");
    assert_eq!((small.width(), small.height()), (640, 360));

    // Attached to a status (no text needed), with Mastodon's entity.
    let status = s.status(&alice, json!({"media_ids": [media["id"]]})).await;
    assert_eq!(status["media_attachments"], json!([media.clone()]));
    let sid = status["id"].as_str().expect("id").to_string();
    let read = s.get(&format!("/api/v1/statuses/{sid}"), None).await.ok();
    assert_eq!(read["media_attachments"][0]["url"], url);
    // Once attached, the upload is no longer the owner's to change or delete.
    let mid = media["id"].as_str().expect("id");
    s.call(Method::PUT, &format!("/api/v1/media/{mid}"), Some(&alice.token), json!({"description": "x"}))
        .await
        .expect(404);
    s.call(Method::DELETE, &format!("/api/v1/media/{mid}"), Some(&alice.token), Value::Null).await.expect(404);
    s.status(&alice, json!({"status": "text only"})).await;

    // `only_media` on the account's statuses and the public timeline.
    let only = s.get(&format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id), None).await.ok();
    assert_eq!(ids(&only), vec![sid.clone()]);
    let public = s.get("/api/v1/timelines/public?only_media=true", None).await.ok();
    assert_eq!(ids(&public), vec![sid.clone()]);
    s.assert_in_step().await;

    // Deleting the status removes its files (nothing else uses them).
    s.call(Method::DELETE, &format!("/api/v1/statuses/{sid}"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(fetch(&s, &url, None).await.status(), 404);
}

#[tokio::test]
async fn attaching_follows_mastodons_rules() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let mut mine = Vec::new();
    for _ in 0..5 {
        mine.push(upload(&s, &alice, photo(64, 48)).await.ok()["id"].clone());
    }
    let too_many =
        s.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "media_ids": mine})).await.expect(422);
    assert_eq!(too_many["error"], "Cannot attach more than 4 files");
    let with_poll = json!({"status": "x", "media_ids": [mine[0]], "poll": {"options": ["a", "b"], "expires_in": 600}});
    s.post("/api/v1/statuses", Some(&alice.token), with_poll).await.expect(422);
    let theirs = upload(&s, &bob, photo(64, 48)).await.ok()["id"].clone();
    let stolen =
        s.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "media_ids": [theirs]})).await.expect(422);
    assert_eq!(
        stolen["error"],
        format!("Media {} not found or already attached to another post", theirs.as_str().expect("id"))
    );
    // Another's upload is not even visible to read.
    let theirs_id = theirs.as_str().expect("id");
    s.get(&format!("/api/v1/media/{theirs_id}"), Some(&alice.token)).await.expect(404);

    let four = s.status(&alice, json!({"status": "four", "media_ids": mine[..4]})).await;
    assert_eq!(four["media_attachments"].as_array().map(Vec::len), Some(4));
    let again = s
        .post("/api/v1/statuses", Some(&alice.token), json!({"status": "x", "media_ids": [mine[0]]}))
        .await
        .expect(422);
    assert!(again["error"].as_str().expect("error").contains("already attached"), "{again}");

    // An edit drops one, adds the fifth, and rewrites a description; the history keeps each version's.
    let sid = four["id"].as_str().expect("id");
    let edited = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{sid}"),
            Some(&alice.token),
            json!({"status": "four, edited", "media_ids": [mine[1], mine[4]],
                   "media_attributes": [{"id": mine[1], "description": "now described"}]}),
        )
        .await
        .ok();
    let got: Vec<Value> =
        edited["media_attachments"].as_array().expect("list").iter().map(|m| m["id"].clone()).collect();
    assert_eq!(got, vec![mine[1].clone(), mine[4].clone()]);
    assert_eq!(edited["media_attachments"][0]["description"], "now described");
    let history = s.get(&format!("/api/v1/statuses/{sid}/history"), None).await.ok();
    assert_eq!(history[0]["media_attachments"].as_array().map(Vec::len), Some(4));
    assert_eq!(history[0]["media_attachments"][1]["description"], Value::Null);
    assert_eq!(history[1]["media_attachments"][0]["description"], "now described");
    s.assert_in_step().await;

    // An unattached upload can be described, then deleted.
    let loose = upload(&s, &alice, photo(30, 30)).await.ok();
    let lid = loose["id"].as_str().expect("id");
    let put = s
        .call(
            Method::PUT,
            &format!("/api/v1/media/{lid}"),
            Some(&alice.token),
            json!({"description": "later", "focus": "0,1"}),
        )
        .await
        .ok();
    assert_eq!(put["description"], "later");
    assert_eq!(put["meta"]["focus"], json!({"x": 0.0, "y": 1.0}));
    s.call(Method::PUT, &format!("/api/v1/media/{lid}"), Some(&alice.token), json!({"focus": "2,0"})).await.expect(422);
    s.call(Method::DELETE, &format!("/api/v1/media/{lid}"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(fetch(&s, loose["url"].as_str().expect("url"), None).await.status(), 404);
}

/// A PNG that claims `width`×`height` in a few bytes: the decompression bomb.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of zeros: all it takes for a few gigabytes of pixels.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00, 0x00, 0xc2, 0xa0, 0xf7, 0x4f, 0x6d, 0x0e],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn hostile_files_are_refused_cheaply() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let started = std::time::Instant::now();
    let bomb = upload(&s, &alice, png_bomb(50_000, 50_000)).await.expect(422);
    assert!(bomb["error"].as_str().expect("error").contains("dimensions"), "{bomb}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused from the header, not decoded");

    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>".to_vec();
    let whole = photo(200, 100);
    let truncated = whole[..whole.len() / 2].to_vec();
    let mut corrupt = whole.clone();
    for b in corrupt.iter_mut().skip(60) {
        *b = 0x5a;
    }
    for (what, bytes) in
        [("svg", svg), ("html", html), ("truncated", truncated), ("corrupt", corrupt), ("empty", Vec::new())]
    {
        let refused = upload(&s, &alice, bytes).await.expect(422);
        assert!(refused["error"].as_str().is_some_and(|e| e.starts_with("Validation failed")), "{what}: {refused}");
    }
    // No file at all, and a file over the limit (refused while it streams).
    let missing =
        multipart(&s, Method::POST, "/api/v2/media", &alice.token, vec![("description", "", b"x".to_vec())]).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    let huge = vec![0u8; 17 * 1024 * 1024];
    let too_big = upload(&s, &alice, huge).await.expect(413);
    assert!(too_big["error"].is_string());
    // Nothing was stored by any of them.
    let left: Vec<_> = std::fs::read_dir(s.data_dir().join("media")).expect("media dir").collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A TIFF/EXIF block with an orientation (6: turn 90° clockwise) and a GPS position.
fn exif_with_gps() -> Vec<u8> {
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0112, 3, 1, [0, 6, 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 68u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (n, d) in [(55u32, 1u32), (45, 1), (0, 1)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    t
}

fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let jpeg = encode(
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
            image::Rgb([if x < width / 2 { 250 } else { 5 }, 90, 90])
        })),
        ImageFormat::Jpeg,
    );
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&exif_with_gps());
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn a_photo_comes_out_upright_without_its_gps_position() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let sent = jpeg_with_exif(80, 40);
    // The test's own file does carry a GPS position (so the check below can fail).
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(&sent)).expect("EXIF in the upload");
    assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());

    let media = upload(&s, &alice, sent).await.ok();
    // Orientation 6 turned it: 80×40 becomes 40×80.
    assert_eq!(media["meta"]["original"]["width"], 40);
    assert_eq!(media["meta"]["original"]["height"], 80);
    for key in ["url", "preview_url"] {
        let body = fetch(&s, media[key].as_str().expect("url"), None).await.bytes().await.expect("bytes");
        match exif::Reader::new().read_from_container(&mut Cursor::new(body.as_ref())) {
            Err(exif::Error::NotFound(_)) => {}
            Ok(_) => panic!("{key} still has EXIF"),
            Err(e) => panic!("{key}: {e}"),
        }
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("Exif"), "{key}: no EXIF block of any kind");
    }
}

#[tokio::test]
async fn avatars_and_headers_are_images_always() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    assert_eq!(me["avatar"], format!("{}/avatars/original/missing.png", s.public));
    assert_eq!(me["header_static"], format!("{}/headers/original/missing.png", s.public));

    let transparent = encode(
        DynamicImage::ImageRgba8(RgbaImage::from_pixel(900, 600, image::Rgba([10, 200, 30, 128]))),
        ImageFormat::Png,
    );
    let updated = multipart(
        &s,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        &alice.token,
        vec![
            ("avatar", "me.png", photo(1000, 800)),
            ("header", "banner.png", transparent),
            ("display_name", "", b"Alice".to_vec()),
        ],
    )
    .await
    .ok();
    assert_eq!(updated["display_name"], "Alice");
    let avatar = updated["avatar"].as_str().expect("avatar").to_string();
    assert!(avatar.starts_with(&format!("{}/system/media/", s.public)), "{avatar}");
    assert_eq!(updated["avatar_static"], avatar);
    let img = image::load_from_memory(&fetch(&s, &avatar, None).await.bytes().await.expect("bytes")).expect("avatar");
    assert_eq!((img.width(), img.height()), (400, 400));
    let header = fetch(&s, updated["header"].as_str().expect("header"), None).await;
    assert_eq!(header.headers()["content-type"], "image/png", "transparency kept");
    let img = image::load_from_memory(&header.bytes().await.expect("bytes")).expect("header");
    assert_eq!((img.width(), img.height()), (1500, 500));
    // Statuses show the author with the avatar.
    let status = s.status(&alice, json!({"status": "hello"})).await;
    assert_eq!(status["account"]["avatar"], avatar);

    // A new avatar replaces the old file; a hostile one changes nothing.
    let again = multipart(
        &s,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        &alice.token,
        vec![("avatar", "b.png", photo(500, 500))],
    )
    .await
    .ok();
    assert_ne!(again["avatar"], avatar);
    assert_eq!(fetch(&s, &avatar, None).await.status(), 404);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec();
    multipart(&s, Method::PATCH, "/api/v1/accounts/update_credentials", &alice.token, vec![("avatar", "x.png", svg)])
        .await
        .expect(422);
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    assert_eq!(me["avatar"], again["avatar"]);
    s.assert_in_step().await;
}

#[tokio::test]
async fn uploads_left_unattached_for_a_day_are_removed() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let loose = upload(&s, &alice, photo(50, 50)).await.ok();
    let kept = upload(&s, &alice, photo(60, 50)).await.ok();
    s.status(&alice, json!({"media_ids": [kept["id"]]})).await;
    let ctx = &s.running.services.ctx;
    let removed = parley_app::media::remove_unattached(ctx, chrono::Utc::now()).await.expect("clean");
    assert_eq!(removed, 0, "none is a day old yet");
    let tomorrow = chrono::Utc::now() + chrono::Duration::hours(25);
    let removed = parley_app::media::remove_unattached(ctx, tomorrow).await.expect("clean");
    assert_eq!(removed, 1);
    assert_eq!(fetch(&s, loose["url"].as_str().expect("url"), None).await.status(), 404);
    assert_eq!(fetch(&s, kept["url"].as_str().expect("url"), None).await.status(), 200);
    let id = loose["id"].as_str().expect("id");
    s.get(&format!("/api/v1/media/{id}"), Some(&alice.token)).await.expect(404);
}

#[tokio::test]
async fn the_instance_publishes_the_media_limits() {
    let s = TestServer::start().await;
    let v2 = s.get("/api/v2/instance", None).await.ok();
    let media = &v2["configuration"]["media_attachments"];
    assert_eq!(media["image_size_limit"], 16 * 1024 * 1024);
    assert_eq!(media["description_limit"], 1500);
    assert_eq!(media["image_matrix_limit"], 7680 * 4320);
    assert!(media["supported_mime_types"].as_array().expect("types").contains(&json!("image/webp")));
    assert_eq!(v2["configuration"]["statuses"]["max_media_attachments"], 4);
    let v1 = s.get("/api/v1/instance", None).await.ok();
    assert_eq!(v1["configuration"]["media_attachments"], *media);
}

#[tokio::test]
async fn uploads_of_the_same_bytes_share_a_file_until_the_last_goes() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let bytes = photo(120, 90);
    let first = upload(&s, &alice, bytes.clone()).await.ok();
    let second = upload(&s, &bob, bytes).await.ok();
    assert_eq!(first["url"], second["url"], "named by content");
    assert_ne!(first["id"], second["id"]);
    let status = s.status(&bob, json!({"media_ids": [second["id"]]})).await;
    let id = first["id"].as_str().expect("id");
    s.call(Method::DELETE, &format!("/api/v1/media/{id}"), Some(&alice.token), Value::Null).await.ok();
    let url = first["url"].as_str().expect("url");
    assert_eq!(fetch(&s, url, None).await.status(), 200, "bob's status still shows it");
    let sid = status["id"].as_str().expect("id");
    s.call(Method::DELETE, &format!("/api/v1/statuses/{sid}"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(fetch(&s, url, None).await.status(), 404, "the last one took the file with it");
}
