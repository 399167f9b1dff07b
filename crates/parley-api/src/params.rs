//! Request parameters read the way Mastodon (Rails) reads them, because real
//! clients depend on it.
//!
//! Every endpoint merges the query string with the body, whatever its type:
//! JSON, `application/x-www-form-urlencoded` or `multipart/form-data`. Form
//! keys use Rails' bracket syntax (`poll[options][]=a`, `ids[0]=1`,
//! `fields_attributes[0][name]=x`). Values are then read leniently by
//! [`Lenient`]: booleans from `true`/`"true"`/`"1"`/`1`/`"on"`, numbers from
//! numeric strings, lists from arrays or `{"0": …, "1": …}` hashes, an empty
//! string as "absent" for optional values.
//!
//! Parameter structs must not use `#[serde(flatten)]`: serde buffers flattened
//! fields and reads them without this leniency. Use two extractors instead.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use parley_app::auth::{OAuthError, OAuthErrorKind};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::ApiError;

/// Parameters from the query string and the body, merged (the body wins).
pub struct Params<T>(pub T);

/// [`Params`] for the OAuth endpoints (`/oauth/token`, `/oauth/revoke`):
/// parameters that cannot be read are refused as RFC 6749 §5.2 says, with
/// `400 {"error":"invalid_request","error_description":…}`, since OAuth
/// clients read only that shape. A body over the size limit stays 413.
pub struct OAuthParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OAuthParams<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Params::<T>::from_request(req, state).await {
            Ok(Params(p)) => Ok(OAuthParams(p)),
            Err(ApiError::Malformed(description) | ApiError::InvalidParam(description)) => {
                Err(ApiError::OAuth(OAuthError { kind: OAuthErrorKind::InvalidRequest, description }))
            }
            Err(ApiError::MissingParam(name)) => Err(ApiError::OAuth(OAuthError {
                kind: OAuthErrorKind::InvalidRequest,
                description: format!("The request is missing a required parameter: {name}."),
            })),
            Err(other) => Err(other),
        }
    }
}

/// Parameters from the query string only (for GET handlers that also take a path).
pub struct Query<T>(pub T);

/// One path segment (an ID, a hashtag). A segment that cannot be read (not
/// UTF-8) names nothing, so it gets the same JSON 404 as an unknown ID.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(p)| PathParam(p))
            .map_err(|_| ApiError::App(parley_app::AppError::NotFound))
    }
}

/// A body that could not be read: too large (413), or malformed (400).
fn unreadable(status: axum::http::StatusCode, message: String) -> ApiError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::Malformed(message)
    }
}

/// Deepest bracket nesting accepted in a parameter name (Rails refuses more than 32).
const MAX_DEPTH: usize = 32;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (root, _) = read_parameters(req, state, None).await?;
        decode(root).map(Params)
    }
}

/// [`Params`] with the files of a `multipart/form-data` body (`file`,
/// `thumbnail`, `avatar`, `header`): each field sent with a file name is
/// read as bytes, and refused (413) as soon as it streams past
/// `media.max_image_bytes`, before it is held whole.
pub struct ParamsWithFiles<T>(pub T, pub Files);

/// Uploaded files by field name.
#[derive(Debug, Default)]
pub struct Files(Vec<(String, axum::body::Bytes)>);

impl Files {
    /// The file sent as `name`, if any.
    pub fn take(&mut self, name: &str) -> Option<axum::body::Bytes> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.swap_remove(at).1)
    }
}

impl<T: DeserializeOwned> FromRequest<crate::AppState> for ParamsWithFiles<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &crate::AppState) -> Result<Self, ApiError> {
        let limit = state.settings().media.max_image_bytes;
        let (root, files) = read_parameters(req, state, Some(limit)).await?;
        Ok(ParamsWithFiles(decode(root)?, Files(files)))
    }
}

/// Reads one file field chunk by chunk, refusing it past `limit` bytes.
async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    let mut data = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| unreadable(e.status(), format!("Error occurred while parsing request parameters: {e}")))?
    {
        if data.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data.into())
}

/// The query string and the body merged, and (when `file_limit` is given)
/// the files of a multipart body.
async fn read_parameters<S: Send + Sync>(
    req: Request,
    state: &S,
    file_limit: Option<usize>,
) -> Result<(Map<String, Value>, Vec<(String, axum::body::Bytes)>), ApiError> {
    let mut files = Vec::new();
    let mut root = Map::new();
    if let Some(q) = req.uri().query() {
        merge_pairs(&mut root, form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())))?;
    }
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| unreadable(e.status(), format!("Error occurred while parsing request parameters: {e}")))?;
        let mut pairs = Vec::new();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| unreadable(e.status(), format!("Error occurred while parsing request parameters: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            if let Some(limit) = file_limit
                && field.file_name().is_some()
            {
                files.push((name, read_file(field, limit).await?));
                continue;
            }
            let text = field
                .text()
                .await
                .map_err(|e| unreadable(e.status(), format!("Error occurred while parsing request parameters: {e}")))?;
            pairs.push((name, text));
        }
        merge_pairs(&mut root, pairs)?;
    } else {
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| unreadable(e.status(), format!("Error occurred while reading the request body: {e}")))?;
        if !body.is_empty() {
            if content_type.starts_with("application/json") || content_type.ends_with("+json") {
                let value: Value = serde_json::from_slice(&body)
                    .map_err(|_| ApiError::Malformed("Error occurred while parsing request parameters".into()))?;
                match value {
                    Value::Object(obj) => {
                        for (k, v) in obj {
                            root.insert(k, v);
                        }
                    }
                    _ => {
                        return Err(ApiError::Malformed("Error occurred while parsing request parameters".into()));
                    }
                }
            } else {
                // Rails parses form bodies without a content type too, as many clients send them.
                merge_pairs(&mut root, form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), v.into_owned())))?;
            }
        }
    }
    Ok((root, files))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut root = Map::new();
        if let Some(q) = parts.uri.query() {
            merge_pairs(
                &mut root,
                form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
            )?;
        }
        decode(root).map(Query)
    }
}

/// Reads `T` from merged parameters, naming the offending parameter on failure.
pub fn decode<T: DeserializeOwned>(root: Map<String, Value>) -> Result<T, ApiError> {
    let value = normalize(Value::Object(root));
    serde_path_to_error::deserialize(Lenient(value)).map_err(|e| {
        let path = e.path().to_string();
        let at_root = path == "." || path.is_empty();
        let inner = e.into_inner().to_string();
        if let Some(field) = inner.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            ApiError::MissingParam(if at_root { field.to_string() } else { format!("{path}.{field}") })
        } else {
            let path = if at_root { "parameters" } else { path.as_str() };
            ApiError::InvalidParam(format!("Validation failed: {path} {inner}"))
        }
    })
}

/// Inserts form pairs into a nested value, following Rails' bracket rules.
pub fn merge_pairs(
    root: &mut Map<String, Value>,
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ApiError> {
    for (key, value) in pairs {
        let segments = split_key(&key);
        if segments.len() > MAX_DEPTH {
            return Err(ApiError::Malformed(format!(
                "Error occurred while parsing request parameters: more than {MAX_DEPTH} levels of nesting"
            )));
        }
        let Some((first, rest)) = segments.split_first() else {
            continue;
        };
        if first.is_empty() {
            continue;
        }
        let slot = root.entry(first.clone()).or_insert(Value::Null);
        insert_at(slot, rest, Value::String(value));
    }
    Ok(())
}

/// `a[b][][c]` → `["a", "b", "", "c"]`. What does not parse as brackets
/// (`a[b`, `a[b]c`) is one last segment, as written, as Rack 3 reads it: so
/// `min_id[x` is a hash under `min_id`, never `min_id` itself; the `Link`
/// header drops every form of the cursor names, bracketed ones included.
fn split_key(key: &str) -> Vec<String> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => return vec![key.to_string()],
    };
    let mut out = vec![head.to_string()];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        out.push(stripped[..end].to_string());
        rest = &stripped[end + 1..];
    }
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

fn insert_at(slot: &mut Value, path: &[String], value: Value) {
    let Some((segment, rest)) = path.split_first() else {
        *slot = value;
        return;
    };
    if segment.is_empty() {
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        let Value::Array(items) = slot else { return };
        if rest.is_empty() {
            items.push(value);
            return;
        }
        // `a[][name]=x&a[][value]=y` fills the last hash until a key repeats.
        let next_key = &rest[0];
        let reuse = matches!(items.last(), Some(Value::Object(m)) if !m.contains_key(next_key));
        if !reuse {
            items.push(Value::Object(Map::new()));
        }
        if let Some(last) = items.last_mut() {
            insert_at(last, rest, value);
        }
        return;
    }
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(map) = slot {
        let child = map.entry(segment.clone()).or_insert(Value::Null);
        insert_at(child, rest, value);
    }
}

/// Hashes whose keys are all indices (`ids[0]`, `fields_attributes[1]`) become arrays.
fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let indexed = !map.is_empty()
                && map.keys().all(|k| !k.is_empty() && k.len() < 10 && k.bytes().all(|b| b.is_ascii_digit()));
            if indexed {
                let mut items: Vec<(u64, Value)> =
                    map.into_iter().map(|(k, v)| (k.parse::<u64>().unwrap_or(u64::MAX), normalize(v))).collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, normalize(v))).collect())
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        other => other,
    }
}

/// A JSON value read with Rails' leniency (see the module docs).
pub struct Lenient(pub Value);

type DeError = serde_json::Error;

fn invalid(value: &Value, expected: &str) -> DeError {
    let shown = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    let shown: String = shown.chars().take(40).collect();
    de::Error::custom(format!("is invalid (expected {expected}, got {shown})"))
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "on" | "t" | "yes" => Some(true),
            "false" | "0" | "off" | "f" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

fn as_number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                Some(Number::from(i))
            } else if let Ok(u) = s.parse::<u64>() {
                Some(Number::from(u))
            } else {
                s.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(Number::from_f64)
            }
        }
        _ => None,
    }
}

macro_rules! lenient_number {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match as_number(&self.0) {
                Some(n) => n.$method(visitor),
                None => Err(invalid(&self.0, "a number")),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n.deserialize_any(visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(LenientSeq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(LenientMap { iter: map.into_iter(), value: None }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match as_bool(&self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(invalid(&self.0, "a boolean")),
        }
    }

    lenient_number!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0 {
            Value::Null => visitor.visit_none(),
            Value::String(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => visitor.visit_string(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            other => Err(invalid(&other, "a string")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(LenientSeq(items.into_iter())),
            Value::Null => visitor.visit_seq(LenientSeq(Vec::new().into_iter())),
            Value::Object(_) => Err(invalid(&self.0, "a list")),
            // A single value where a list is expected is a list of one.
            scalar => visitor.visit_seq(LenientSeq(vec![scalar].into_iter())),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(LenientMap { iter: map.into_iter(), value: None }),
            Value::Null => visitor.visit_map(LenientMap { iter: Map::new().into_iter(), value: None }),
            other => Err(invalid(&other, "a hash")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(invalid(&other, "one of the allowed values")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct tuple tuple_struct identifier
    }
}

struct LenientSeq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for LenientSeq {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(v) => seed.deserialize(Lenient(v)).map(Some),
            None => Ok(None),
        }
    }
}

struct LenientMap {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for LenientMap {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let value = self.value.take().unwrap_or(Value::Null);
        seed.deserialize(Lenient(value))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Map<String, Value> {
        let mut root = Map::new();
        merge_pairs(&mut root, pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .unwrap_or_else(|e| panic!("{e:?}"));
        root
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Poll {
        options: Vec<String>,
        expires_in: i64,
        #[serde(default)]
        multiple: bool,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Post {
        status: String,
        #[serde(default)]
        sensitive: bool,
        poll: Option<Poll>,
        in_reply_to_id: Option<String>,
        #[serde(default)]
        media_ids: Vec<String>,
    }

    #[test]
    fn rails_form_brackets_build_nested_values() {
        let root = form(&[
            ("status", "hi"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "300"),
            ("poll[multiple]", "1"),
            ("sensitive", "true"),
        ]);
        let post: Post = decode(root).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(post.poll, Some(Poll { options: vec!["a".into(), "b".into()], expires_in: 300, multiple: true }));
        assert!(post.sensitive);
    }

    #[test]
    fn malformed_brackets_are_a_key_of_their_own_as_in_rack() {
        // Found by fuzzing (fuzz/fuzz_targets/pagination.rs): `min_id[[x=1` was
        // read as `min_id=1`, and the `Link` header, which keeps every other
        // parameter, carried it into the "next" link, which then paged up from 1.
        let root = form(&[("min_id[[x", "1"), ("a[b]c", "2"), ("d[e", "3")]);
        assert_eq!(
            Value::Object(root),
            serde_json::json!({"min_id": {"[[x": "1"}, "a": {"b": {"c": "2"}}, "d": {"[e": "3"}})
        );
    }

    #[test]
    fn indexed_keys_become_lists() {
        let root = form(&[("ids[1]", "b"), ("ids[0]", "a")]);
        #[derive(Deserialize)]
        struct Ids {
            ids: Vec<String>,
        }
        let ids: Ids = decode(root).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ids.ids, vec!["a", "b"]);
    }

    #[test]
    fn array_of_hashes_fills_until_a_key_repeats() {
        let root = form(&[("f[][name]", "a"), ("f[][value]", "1"), ("f[][name]", "b"), ("f[][value]", "2")]);
        assert_eq!(
            Value::Object(root)["f"],
            serde_json::json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])
        );
    }

    #[test]
    fn json_with_stringly_values_is_accepted() {
        // Mastodon.py sends "sensitive": "0" inside JSON.
        let root = serde_json::json!({"status": "x", "sensitive": "0", "in_reply_to_id": 123, "poll": {"options": ["a", "b"], "expires_in": "600"}});
        let Value::Object(root) = root else { panic!() };
        let post: Post = decode(root).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!post.sensitive);
        assert_eq!(post.in_reply_to_id.as_deref(), Some("123"));
        assert_eq!(post.poll.map(|p| p.expires_in), Some(600));
    }

    #[test]
    fn booleans_in_every_spelling() {
        for (raw, want) in [("true", true), ("1", true), ("false", false), ("0", false)] {
            let post: Post = decode(form(&[("status", "x"), ("sensitive", raw)])).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(post.sensitive, want, "{raw}");
        }
        let Value::Object(json) = serde_json::json!({"status": "x", "sensitive": 1}) else { panic!() };
        assert!(decode::<Post>(json).map(|p| p.sensitive).unwrap_or(false));
    }

    #[test]
    fn missing_and_invalid_parameters_are_named() {
        match decode::<Post>(form(&[("sensitive", "1")])) {
            Err(ApiError::MissingParam(name)) => assert_eq!(name, "status"),
            other => panic!("{other:?}"),
        }
        match decode::<Post>(form(&[("status", "x"), ("sensitive", "maybe")])) {
            Err(ApiError::InvalidParam(msg)) => assert!(msg.contains("sensitive"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_strings_are_absent_options() {
        let post: Post = decode(form(&[("status", "x"), ("in_reply_to_id", "")])).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(post.in_reply_to_id, None);
    }
}
