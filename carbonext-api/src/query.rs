//! Query parameters written straight into a request's URL.
//!
//! progenitor's generated operations add each query parameter with its own
//! `RequestBuilder::query(&QueryParam::new(name, &value))` call: every call runs serde's
//! form serializer over an adaptor and makes the `url::Url` re-serialize its query. `cargo xtask
//! codegen` replaces those calls by [`QueryUrl::append`], which writes `name=value` onto the
//! URL text before reqwest parses it once. The encoding is the same `application/x-www-form-urlencoded`
//! one (`form_urlencoded::byte_serialize`, spaces as `+`); the tests check it against
//! progenitor's own path for every kind of value this API's parameters take.
//!
//! Only scalar values are written: strings, integers, booleans, characters, unit enum variants
//! (by their serialized name) and anything that serializes as one of those (a `Uuid`, a
//! `NaiveDate`, a [`crate::DecimalText`], a [`crate::Currency`]), each possibly in an `Option`
//! (`None` writes nothing). Anything else (lists, maps, floating-point and 128-bit numbers) is refused with
//! a message naming the parameter; no parameter of `openapi.yaml` takes one.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

/// The URL text of a request being built, with its query.
///
/// The operation's path (base URL and path, neither of which has a query of its own: a base
/// URL with a query would have the path written after it) is written once into a buffer with
/// room for the query; each [`QueryUrl::append`] adds `?name=value` or `&name=value`, and
/// [`QueryUrl::finish`] gives the text reqwest parses.
pub(crate) struct QueryUrl {
    text: String,
    has_query: bool,
}

/// Bytes reserved for the URL text, so that most URLs with their query need no reallocation.
const ROOM: usize = 128;

impl QueryUrl {
    /// The URL text `path` writes (`format_args!("{}/v1/prices", client.baseurl)`).
    pub(crate) fn new(path: fmt::Arguments<'_>) -> Self {
        let mut text = String::with_capacity(ROOM);
        fmt::Write::write_fmt(&mut text, path).expect("a String accepts any text");
        Self {
            text,
            has_query: false,
        }
    }

    /// Appends `name=value` to the query. A `None` value appends nothing.
    ///
    /// # Errors
    ///
    /// A message naming the parameter when `value` is not a scalar (see the module's docs);
    /// the URL is then unchanged.
    pub(crate) fn append<T>(&mut self, name: &str, value: &T) -> Result<(), String>
    where
        T: Serialize + ?Sized,
    {
        value
            .serialize(Param { url: self, name })
            .map_err(|Unsupported(kind)| {
                format!("query parameter `{name}`: {kind} cannot be written into a query string")
            })
    }

    /// The URL text.
    pub(crate) fn finish(self) -> String {
        self.text
    }
}

/// The one parameter being written.
struct Param<'a> {
    url: &'a mut QueryUrl,
    name: &'a str,
}

impl Param<'_> {
    fn write(self, value: &str) -> Result<(), Unsupported> {
        let url = self.url;
        url.text.push(if url.has_query { '&' } else { '?' });
        url.has_query = true;
        push_encoded(&mut url.text, self.name);
        url.text.push('=');
        push_encoded(&mut url.text, value);
        Ok(())
    }

    fn integer(self, value: impl itoa::Integer) -> Result<(), Unsupported> {
        self.write(itoa::Buffer::new().format(value))
    }
}

/// Writes `text` form-urlencoded. Text made only of the bytes that encoding keeps as they are
/// (the usual case: parameter names, numbers, amounts, dates, ids) is copied whole.
fn push_encoded(url: &mut String, text: &str) {
    if text.bytes().all(|b| KEPT[usize::from(b)]) {
        url.push_str(text);
    } else {
        url.extend(form_urlencoded::byte_serialize(text.as_bytes()));
    }
}

/// The bytes `form_urlencoded::byte_serialize` writes unchanged: ASCII letters and digits,
/// `*`, `-`, `.` and `_` (the tests compare the two on every byte).
static KEPT: [bool; 256] = {
    let mut kept = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        kept[b] = c.is_ascii_alphanumeric() || matches!(c, b'*' | b'-' | b'.' | b'_');
        b += 1;
    }
    kept
};

/// The kind of value that has no query form.
#[derive(Debug)]
struct Unsupported(&'static str);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        Unsupported("a value whose serialization failed")
    }
}

impl<'a> ser::Serializer for Param<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.write(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i128(self, _v: i128) -> Result<(), Unsupported> {
        Err(Unsupported("a 128-bit integer"))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u128(self, _v: u128) -> Result<(), Unsupported> {
        Err(Unsupported("a 128-bit integer"))
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Unsupported> {
        Err(Unsupported("a floating-point number"))
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Unsupported> {
        Err(Unsupported("a floating-point number"))
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.write(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.write(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported("a byte string"))
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported("a unit value"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported("a unit struct"))
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.write(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported("an enum variant with data"))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported("a list"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported("an enum variant with data"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported("a map"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported("a struct"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported("an enum variant with data"))
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::{Currency, DecimalText};

    /// The URL progenitor's own path gives: `RequestBuilder::query(&QueryParam::new(..))` per
    /// parameter, in order.
    fn progenitor_url(params: &[(&str, &dyn erased::Param)]) -> String {
        let client = reqwest::Client::new();
        let mut builder = client.get("http://127.0.0.1:1/v1/orders");
        for (name, value) in params {
            builder = value.add_to(builder, name);
        }
        builder.build().expect("a valid request").url().to_string()
    }

    /// The URL [`QueryUrl`] gives, as reqwest parses it.
    fn our_url(params: &[(&str, &dyn erased::Param)]) -> String {
        let mut url = QueryUrl::new(format_args!("{}/v1/orders", "http://127.0.0.1:1"));
        for (name, value) in params {
            value.append_to(&mut url, name).expect("a scalar value");
        }
        reqwest::Url::parse(&url.finish())
            .expect("a valid URL")
            .to_string()
    }

    /// Object-safe access to both encoders for values of different types.
    mod erased {
        use serde::Serialize;

        pub trait Param {
            fn add_to(
                &self,
                builder: reqwest::RequestBuilder,
                name: &str,
            ) -> reqwest::RequestBuilder;
            fn append_to(&self, url: &mut super::QueryUrl, name: &str) -> Result<(), String>;
        }

        impl<T: Serialize> Param for T {
            fn add_to(
                &self,
                builder: reqwest::RequestBuilder,
                name: &str,
            ) -> reqwest::RequestBuilder {
                builder.query(&progenitor_client::QueryParam::new(name, self))
            }
            fn append_to(&self, url: &mut super::QueryUrl, name: &str) -> Result<(), String> {
                url.append(name, self)
            }
        }
    }

    #[test]
    fn every_kind_of_parameter_is_encoded_as_progenitor_encodes_it() {
        let decimal: DecimalText = "0.020000".parse().unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
        let id = uuid::Uuid::parse_str("7c9e6679-7425-40de-944b-e07fc1f90ae7").unwrap();
        let filter = "metaData_like:lote 7 [cbx-key:a&b=c]|status_eq:Pending".to_owned();
        let unicode = "emissões ção + 100% ✓ #frag?q".to_owned();
        let check = |params: &[(&str, &dyn erased::Param)]| {
            assert_eq!(our_url(params), progenitor_url(params));
        };
        check(&[("vcu-amount", &Some(decimal))]);
        check(&[
            ("target-currency", &Some(Currency::Brl)),
            ("vcu-amount", &Some(decimal)),
        ]);
        check(&[("target-currency", &Some(Currency::Unknown("XYZ".into())))]);
        check(&[
            ("page", &NonZeroU32::new(3)),
            ("page-size", &None::<NonZeroU32>),
        ]);
        check(&[("startDate", &Some(date)), ("endDate", &Some(date))]);
        check(&[("customer-id", &Some(id))]);
        check(&[
            ("force-refresh", &Some(true)),
            ("include-permissions", &Some(false)),
        ]);
        check(&[("filter-by", &Some(filter)), ("sort-by", &Some(unicode))]);
        check(&[("na me&x=", &Some("v a+l".to_owned()))]);
        check(&[("page", &None::<NonZeroU32>), ("sort-by", &None::<String>)]);
        check(&[("n", &-42i64), ("c", &'ç'), ("u", &u64::MAX)]);
        check(&[
            ("a*-._Z9", &Some("*-._azAZ09")),
            ("~!'()", &Some("~!'()/:;,@$")),
        ]);
        let long = "x".repeat(300);
        check(&[
            ("long", &Some(long.clone())),
            ("longer", &Some(long + " y")),
        ]);
    }

    #[test]
    fn the_bytes_copied_whole_are_exactly_those_the_encoding_keeps() {
        for b in 0..=255u8 {
            let text = [b];
            let encoded: String = form_urlencoded::byte_serialize(&text).collect();
            assert_eq!(
                KEPT[usize::from(b)],
                encoded.as_bytes() == text,
                "byte {b:#04x}"
            );
        }
    }

    #[test]
    fn none_writes_nothing_and_the_first_parameter_gets_the_question_mark() {
        let mut url = QueryUrl::new(format_args!("{}/v1/x", "http://h"));
        url.append("a", &None::<u32>).unwrap();
        url.append("b", &Some(1u32)).unwrap();
        url.append("c", &Some("x y")).unwrap();
        assert_eq!(url.finish(), "http://h/v1/x?b=1&c=x+y");
        let url = QueryUrl::new(format_args!("{}/v1/x", "http://h"));
        assert_eq!(url.finish(), "http://h/v1/x");
    }

    #[test]
    fn non_scalar_values_are_refused_with_the_parameter_name_and_change_nothing() {
        let mut url = QueryUrl::new(format_args!("http://h/v1/x"));
        url.append("a", &1).unwrap();
        let refusals = [
            (url.append("ids", &vec![1, 2]), "a list"),
            (
                url.append("ratio", &Some(0.5f64)),
                "a floating-point number",
            ),
            (
                url.append("m", &std::collections::BTreeMap::from([(1, 2)])),
                "a map",
            ),
            (url.append("big", &1u128), "a 128-bit integer"),
        ];
        for (refused, kind) in refusals {
            let message = refused.expect_err("not a scalar");
            assert!(message.contains(kind), "{message}");
            assert!(message.starts_with("query parameter `"), "{message}");
        }
        assert_eq!(url.finish(), "http://h/v1/x?a=1");
    }
}
