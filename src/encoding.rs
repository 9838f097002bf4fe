//! The canonical binary encoding: big-endian integers, fixed-size byte strings and
//! length-prefixed byte strings, with a bounds-checked reader.
//!
//! Every hashed or signed structure (header, transfer, reward, block) is written with
//! [`Writer`] and read back with [`Reader`]; `docs/PROTOCOL.md` lists their layouts byte by byte.

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the structure did.
    #[error("unexpected end of input: needed {needed} more bytes at offset {offset}")]
    UnexpectedEnd {
        /// Where the read started.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// Bytes were left after the structure.
    #[error("{0} trailing bytes after the structure")]
    TrailingBytes(usize),
    /// A tag byte had no meaning.
    #[error("unknown {what} tag {tag}")]
    UnknownTag {
        /// What the tag selects.
        what: &'static str,
        /// The tag found.
        tag: u8,
    },
    /// A length was above its limit.
    #[error("{what} length {got} exceeds the limit {max}")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// The length found.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A field held an invalid value.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// Why it is invalid.
        reason: String,
    },
}

/// Appends canonical encodings to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// Returns an empty writer.
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }

    /// Returns an empty writer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Writer { buf: Vec::with_capacity(n) }
    }

    /// Writes one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Writes a big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Writes a big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Writes a big-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Writes bytes as they are (fixed-size fields).
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Writes a u8 length followed by the bytes. The caller guarantees `v.len() <= 255`.
    pub fn short_bytes(&mut self, v: &[u8]) -> &mut Self {
        debug_assert!(v.len() <= u8::MAX as usize);
        self.u8(v.len() as u8).bytes(v)
    }

    /// Writes a u16 length followed by the bytes. The caller guarantees `v.len() <= 65535`.
    pub fn var_bytes(&mut self, v: &[u8]) -> &mut Self {
        debug_assert!(v.len() <= u16::MAX as usize);
        self.u16(v.len() as u16).bytes(v)
    }

    /// Returns the bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Returns the bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }
}

/// Reads canonical encodings from a byte slice, never past its end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Returns a reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Returns the next `n` bytes.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] if fewer remain.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let remaining = self.data.len() - self.pos;
        if n > remaining {
            return Err(DecodeError::UnexpectedEnd { offset: self.pos, needed: n - remaining });
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads `N` bytes into an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// Reads a big-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Reads a u8-length-prefixed byte string of at most `max` bytes.
    pub fn short_bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u8()? as usize;
        if len > max {
            return Err(DecodeError::TooLong { what, got: len, max });
        }
        self.take(len)
    }

    /// Reads a u16-length-prefixed byte string of at most `max` bytes.
    pub fn var_bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()? as usize;
        if len > max {
            return Err(DecodeError::TooLong { what, got: len, max });
        }
        self.take(len)
    }

    /// Returns how many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Returns the current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Checks that the whole input was read.
    ///
    /// # Errors
    /// [`DecodeError::TrailingBytes`] if bytes are left.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian_and_round_trip() {
        let mut w = Writer::new();
        w.u8(1).u16(0x0203).u32(0x04050607).u64(0x08090a0b0c0d0e0f).short_bytes(b"hi");
        let bytes = w.into_bytes();
        assert_eq!(&bytes[..7], &[1, 2, 3, 4, 5, 6, 7]);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 0x0203);
        assert_eq!(r.u32().unwrap(), 0x04050607);
        assert_eq!(r.u64().unwrap(), 0x08090a0b0c0d0e0f);
        assert_eq!(r.short_bytes("x", 10).unwrap(), b"hi");
        r.finish().unwrap();
    }

    #[test]
    fn reader_refuses_to_read_past_the_end_and_over_limits() {
        let mut r = Reader::new(&[0, 5, 1]);
        assert_eq!(r.var_bytes("data", 10), Err(DecodeError::UnexpectedEnd { offset: 2, needed: 4 }));
        let mut r = Reader::new(&[9, 1]);
        assert!(matches!(r.short_bytes("data", 4), Err(DecodeError::TooLong { got: 9, .. })));
        assert_eq!(Reader::new(&[1]).finish(), Err(DecodeError::TrailingBytes(1)));
    }
}
