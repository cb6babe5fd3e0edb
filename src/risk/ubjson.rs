//! A reader for Universal Binary JSON, the format of XGBoost's `.ubj` model files, into
//! `serde_json::Value` so both model formats share one loader.
//!
//! XGBoost writes big-endian numbers and optimized containers (`[$d#L…` for float arrays).

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("UBJSON: {0}")]
pub struct UbjsonError(String);

/// Nesting deeper than this is not a model file.
const MAX_DEPTH: usize = 64;
/// The object markers, named so the code around them reads plainly.
const OBJECT_START: u8 = b'{';
const OBJECT_END: u8 = b'}';

pub fn parse(bytes: &[u8]) -> Result<Value, UbjsonError> {
    let mut r = Reader { b: bytes, i: 0 };
    let v = r.value(0)?;
    if r.i != bytes.len() {
        return Err(UbjsonError(format!("{} trailing bytes", bytes.len() - r.i)));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

fn err<T>(m: impl Into<String>) -> Result<T, UbjsonError> {
    Err(UbjsonError(m.into()))
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], UbjsonError> {
        let end = self
            .i
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(|| UbjsonError("unexpected end of data".into()))?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, UbjsonError> {
        Ok(self.take(1)?[0])
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], UbjsonError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn int_of(&mut self, marker: u8) -> Result<i64, UbjsonError> {
        Ok(match marker {
            b'i' => i64::from(i8::from_be_bytes(self.arr()?)),
            b'U' => i64::from(self.byte()?),
            b'I' => i64::from(i16::from_be_bytes(self.arr()?)),
            b'l' => i64::from(i32::from_be_bytes(self.arr()?)),
            b'L' => i64::from_be_bytes(self.arr()?),
            m => return err(format!("expected an integer marker, got {:?}", m as char)),
        })
    }

    fn length(&mut self) -> Result<usize, UbjsonError> {
        let m = self.byte()?;
        let n = self.int_of(m)?;
        let n = usize::try_from(n).map_err(|_| UbjsonError("negative length".into()))?;
        // Every element takes at least one byte, so a longer count is a lie.
        if n > self.b.len() - self.i + 1 {
            return err("a length exceeds the data");
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, UbjsonError> {
        let n = self.length()?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| UbjsonError("string is not UTF-8".into()))
    }

    fn value(&mut self, depth: usize) -> Result<Value, UbjsonError> {
        // No-op markers may repeat; skipping them in a loop keeps a file of nothing but `N`s
        // from exhausting the stack.
        let mut m = self.byte()?;
        while m == b'N' {
            m = self.byte()?;
        }
        self.typed(m, depth)
    }

    fn typed(&mut self, m: u8, depth: usize) -> Result<Value, UbjsonError> {
        if depth > MAX_DEPTH {
            return err("nested too deep");
        }
        Ok(match m {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::from(self.int_of(m)?),
            b'd' => float(f64::from(f32::from_be_bytes(self.arr()?))),
            b'D' => float(f64::from_be_bytes(self.arr()?)),
            b'C' => Value::String((self.byte()? as char).to_string()),
            b'S' | b'H' => Value::String(self.string()?),
            b'[' => self.array(depth)?,
            OBJECT_START => self.object(depth)?,
            b'N' => return err("a no-op marker cannot be a container's element type"),
            other => return err(format!("unknown marker {:?}", other as char)),
        })
    }

    /// Reads an optional `$type` and `#count` header.
    fn header(&mut self) -> Result<(Option<u8>, Option<usize>), UbjsonError> {
        let mut ty = None;
        if self.b.get(self.i) == Some(&b'$') {
            self.i += 1;
            ty = Some(self.byte()?);
        }
        let mut count = None;
        if self.b.get(self.i) == Some(&b'#') {
            self.i += 1;
            count = Some(self.length()?);
        } else if ty.is_some() {
            return err("a typed container needs a count");
        }
        Ok((ty, count))
    }

    fn array(&mut self, depth: usize) -> Result<Value, UbjsonError> {
        let (ty, count) = self.header()?;
        let mut out = Vec::with_capacity(count.unwrap_or(0).min(1 << 20));
        match count {
            Some(n) => {
                for _ in 0..n {
                    out.push(match ty {
                        Some(t) => self.typed(t, depth + 1)?,
                        None => self.value(depth + 1)?,
                    });
                }
            }
            None => loop {
                let m = self.byte()?;
                match m {
                    b']' => break,
                    b'N' => {}
                    _ => out.push(self.typed(m, depth + 1)?),
                }
            },
        }
        Ok(Value::Array(out))
    }

    fn object(&mut self, depth: usize) -> Result<Value, UbjsonError> {
        let (ty, count) = self.header()?;
        let mut map = Map::new();
        let mut read_pair = |r: &mut Self| -> Result<(), UbjsonError> {
            let k = r.string()?;
            let v = match ty {
                Some(t) => r.typed(t, depth + 1)?,
                None => r.value(depth + 1)?,
            };
            map.insert(k, v);
            Ok(())
        };
        match count {
            Some(n) => {
                for _ in 0..n {
                    read_pair(self)?;
                }
            }
            None => loop {
                if self.b.get(self.i) == Some(&OBJECT_END) {
                    self.i += 1;
                    break;
                }
                read_pair(self)?;
            },
        }
        Ok(Value::Object(map))
    }
}

fn float(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flood_of_no_op_markers_is_read_without_recursion() {
        let mut b = vec![b'N'; 5_000_000];
        b.extend([b'[', b'N', b'i', 7, b'N', b']']);
        assert_eq!(parse(&b).unwrap(), json!([7]));
        assert!(parse(&vec![b'N'; 1_000_000]).is_err());
    }

    #[test]
    fn reads_plain_and_optimized_containers() {
        // {"a": [1, 2.5f32], "s": "hi", "t": [$U#i 3 1 2 3]}
        let mut b = vec![b'{'];
        b.extend([b'U', 1, b'a', b'[', b'i', 1, b'd']);
        b.extend(2.5f32.to_be_bytes());
        b.push(b']');
        b.extend([b'U', 1, b's', b'S', b'U', 2, b'h', b'i']);
        b.extend([b'U', 1, b't', b'[', b'$', b'U', b'#', b'i', 3, 1, 2, 3]);
        b.push(b'}');
        assert_eq!(
            parse(&b).unwrap(),
            json!({"a": [1, 2.5], "s": "hi", "t": [1, 2, 3]})
        );
    }

    #[test]
    fn broken_data_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"[",
            b"{U",
            b"[$d#L\x7f\xff\xff\xff\xff\xff\xff\xff",
            b"S\xff",
            b"Q",
            b"[$d]",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = vec![b'['; 1000];
        assert!(parse(&deep).is_err());
    }
}
