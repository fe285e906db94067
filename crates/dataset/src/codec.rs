//! The little-endian binary reader and writer behind every binary format of Reko: the record
//! batch encoding ([`crate::batch`]) and the engine's model payloads. One bounds-checked reader
//! ([`ByteReader`]: every length is checked against the remaining input before it is read, so
//! corrupt input is an error, never a panic or a huge allocation) and one writer
//! ([`ByteWriter`]); each format keeps its own layout and error messages ([`CodecError`]).

/// Why a buffer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Fewer bytes left than `what` needs.
    #[error("truncated: need {need} bytes for {what} at offset {offset}, {left} left")]
    Truncated { what: String, offset: usize, need: usize, left: usize },
    /// A count times its item size overflows.
    #[error("length overflow reading {what}")]
    Overflow { what: String },
    /// A string that is not UTF-8.
    #[error("{what} is not valid UTF-8")]
    NotUtf8 { what: String },
    /// Bytes left after the last field.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

/// A bounds-checked little-endian reader over a byte slice. `what` arguments name the field
/// being read, for the error.
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> ByteReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes not read yet (to check a count against before allocating for it).
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::Truncated {
                what: what.to_string(),
                offset: self.pos,
                need: n,
                left: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The next `count` items of `width` bytes each, as one slice.
    pub fn fixed(&mut self, count: usize, width: usize, what: &str) -> Result<&'a [u8], CodecError> {
        let n = count.checked_mul(width).ok_or_else(|| CodecError::Overflow { what: what.to_string() })?;
        self.bytes(n, what)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], CodecError> {
        Ok(self.bytes(N, what)?.try_into().expect("N bytes"))
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, CodecError> {
        Ok(self.bytes(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, CodecError> {
        self.array(what).map(u16::from_le_bytes)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, CodecError> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, CodecError> {
        self.array(what).map(u64::from_le_bytes)
    }

    pub fn i64(&mut self, what: &str) -> Result<i64, CodecError> {
        self.array(what).map(i64::from_le_bytes)
    }

    pub fn f32(&mut self, what: &str) -> Result<f32, CodecError> {
        self.array(what).map(f32::from_le_bytes)
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, CodecError> {
        self.array(what).map(f64::from_le_bytes)
    }

    /// Fills `out` with the next `out.len()` floats.
    pub fn f32s_into(&mut self, out: &mut [f32], what: &str) -> Result<(), CodecError> {
        let bytes = self.fixed(out.len(), 4, what)?;
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = f32::from_le_bytes(c.try_into().expect("4 bytes"));
        }
        Ok(())
    }

    /// The next `n` bytes as UTF-8.
    pub fn utf8(&mut self, n: usize, what: &str) -> Result<&'a str, CodecError> {
        std::str::from_utf8(self.bytes(n, what)?).map_err(|_| CodecError::NotUtf8 { what: what.to_string() })
    }

    /// A string prefixed with its `u32` byte length ([`ByteWriter::str`]).
    pub fn str(&mut self, what: &str) -> Result<&'a str, CodecError> {
        let n = self.u32(what)? as usize;
        self.utf8(n, what)
    }

    /// Checks that the whole buffer was read.
    pub fn finish(&self) -> Result<(), CodecError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(CodecError::Trailing(n)),
        }
    }
}

/// A little-endian writer, the counterpart of [`ByteReader`].
#[derive(Debug, Clone, Default)]
pub struct ByteWriter {
    buf: Vec<u8>,
}

impl ByteWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        Self { buf: Vec::with_capacity(n) }
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn i32(&mut self, v: i32) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn f32(&mut self, v: f32) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn f64(&mut self, v: f64) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn f32s(&mut self, v: &[f32]) {
        v.iter().for_each(|&x| self.f32(x));
    }

    /// A string prefixed with its `u32` byte length.
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.bytes(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let mut w = ByteWriter::new();
        w.u8(7);
        w.u16(513);
        w.u32(70_000);
        w.u64(1 << 40);
        w.i64(-3);
        w.f32(1.5);
        w.f64(-2.25);
        w.f32s(&[0.5, 4.0]);
        w.str("ü");
        let b = w.into_bytes();
        let mut r = ByteReader::new(&b);
        assert_eq!(r.u8("a").unwrap(), 7);
        assert_eq!(r.u16("b").unwrap(), 513);
        assert_eq!(r.u32("c").unwrap(), 70_000);
        assert_eq!(r.u64("d").unwrap(), 1 << 40);
        assert_eq!(r.i64("e").unwrap(), -3);
        assert_eq!(r.f32("f").unwrap(), 1.5);
        assert_eq!(r.f64("g").unwrap(), -2.25);
        let mut fs = [0f32; 2];
        r.f32s_into(&mut fs, "h").unwrap();
        assert_eq!(fs, [0.5, 4.0]);
        assert_eq!(r.str("i").unwrap(), "ü");
        r.finish().unwrap();
        let mut r = ByteReader::new(&b[..3]);
        r.u8("a").unwrap();
        assert_eq!(r.u32("c"), Err(CodecError::Truncated { what: "c".into(), offset: 1, need: 4, left: 2 }));
        assert_eq!(r.finish(), Err(CodecError::Trailing(2)));
        assert!(matches!(r.fixed(usize::MAX, 8, "x"), Err(CodecError::Overflow { .. })));
        assert!(matches!(ByteReader::new(&[1, 0, 0, 0, 0xff]).str("s"), Err(CodecError::NotUtf8 { .. })));
    }
}
