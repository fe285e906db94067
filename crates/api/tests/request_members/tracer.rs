//! A serde `Deserializer` that reads no input: it walks a type's derived `Deserialize` impl and
//! records every struct member path it is asked for (`solutionConfig.hpoConfig.hpoObjective.type`,
//! `eventList[].properties`), so a test can see a request shape's members without constructing one.

use std::cell::RefCell;

use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

/// Every member path of `T`, nested ones included, in declaration order.
pub fn member_paths<T: de::DeserializeOwned>() -> Vec<String> {
    let out = RefCell::new(Vec::new());
    T::deserialize(Tracer { prefix: String::new(), out: &out, depth: 0 })
        .unwrap_or_else(|e| panic!("cannot trace {}: {e}", std::any::type_name::<T>()));
    out.into_inner()
}

/// Request shapes nest a handful of levels; a recursive shape would otherwise never end.
const MAX_DEPTH: usize = 16;

struct Tracer<'a> {
    prefix: String,
    out: &'a RefCell<Vec<String>>,
    depth: usize,
}

impl<'a> Tracer<'a> {
    fn child(&self, prefix: String) -> Result<Tracer<'a>, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(format!("{prefix} nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(Tracer { prefix, out: self.out, depth: self.depth + 1 })
    }
}

macro_rules! leaf {
    ($($method:ident => $visit:ident($($value:expr)?)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit($($value)?)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Tracer<'_> {
    type Error = Error;

    leaf! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i8(0),
        deserialize_i16 => visit_i16(0),
        deserialize_i32 => visit_i32(0),
        deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u8(0),
        deserialize_u16 => visit_u16(0),
        deserialize_u32 => visit_u32(0),
        deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f32(0.0),
        deserialize_f64 => visit_f64(0.0),
        deserialize_char => visit_char('a'),
        deserialize_str => visit_str(""),
        deserialize_string => visit_str(""),
        deserialize_bytes => visit_bytes(&[]),
        deserialize_byte_buf => visit_bytes(&[]),
        deserialize_unit => visit_unit(),
        deserialize_identifier => visit_str(""),
        deserialize_ignored_any => visit_unit(),
        // A free-form JSON member (`serde_json::Value`): one member, nothing inside to list.
        deserialize_any => visit_unit(),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let element = self.child(format!("{}[]", self.prefix))?;
        visitor.visit_seq(OneElement(Some(element)))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // A string-keyed map: its values are listed under the map's own path.
        let value = self.child(self.prefix.clone())?;
        visitor.visit_map(Members { keys: vec!["key"], values: vec![value] })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            let path = if self.prefix.is_empty() { field.to_string() } else { format!("{}.{field}", self.prefix) };
            self.out.borrow_mut().push(path.clone());
            values.push(self.child(path)?);
        }
        visitor.visit_map(Members { keys: fields.to_vec(), values })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom(format!("enum {name} in a request shape: teach the tracer its variants")))
    }
}

/// The members of a struct (or the one entry of a map), each value traced under its own path.
struct Members<'a> {
    keys: Vec<&'static str>,
    values: Vec<Tracer<'a>>,
}

impl<'de> de::MapAccess<'de> for Members<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.keys.is_empty() {
            return Ok(None);
        }
        let key: StrDeserializer<Error> = self.keys.remove(0).into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self.values.remove(0))
    }
}

/// A sequence of one element, traced under `{path}[]`.
struct OneElement<'a>(Option<Tracer<'a>>);

impl<'de> de::SeqAccess<'de> for OneElement<'_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Error> {
        self.0.take().map(|t| seed.deserialize(t)).transpose()
    }
}
