//! A look at the page headers of a Parquet column chunk before any decoder
//! reads it. parquet 59's readers trust a page header's counts: a dictionary
//! page of a 9-row model file that claims two billion values makes the reader
//! allocate 7.8 GB (found by cargo-fuzz on the model file reader), and when
//! such an allocation fails Rust aborts the process, which no `catch_unwind`
//! contains. Each page must lie inside its chunk, claim no more values than
//! its row group has rows (for columns that are not repeated) and no more than
//! [`MAX_PAGE_BYTES`] once decompressed.
//!
//! Page headers are Thrift's compact protocol; parquet keeps its own reader of
//! them private, so this module reads them as parquet does — the fields it
//! knows by their own type, the rest skipped as its reader skips them — and
//! refuses where the two could read the same bytes differently: a check that
//! saw other fields than parquet then reads would protect nothing (cargo-fuzz
//! found such a header on the first try of this check).

/// Most bytes one page may claim decompressed: far above what Parquet writers
/// emit (parquet-rs writes pages of about 1 MiB), far below memory.
pub const MAX_PAGE_BYTES: i64 = 256 << 20;

/// Deepest nesting of Thrift structs and lists read (a page header nests 3).
const MAX_DEPTH: u32 = 16;

/// Checks the pages of one column chunk (`chunk`: its bytes, from its first
/// page to its end); `rows`: its row group's rows; `repeated`: whether a row
/// may hold several values. Returns what is wrong, with the page's offset in
/// the chunk.
pub fn check_chunk(chunk: &[u8], rows: i64, repeated: bool) -> Result<(), String> {
    let mut at = 0usize;
    while at < chunk.len() {
        let mut reader = Compact {
            bytes: &chunk[at..],
            at: 0,
        };
        let header = reader
            .read_struct(PAGE_HEADER, 0)
            .map_err(|e| format!("the page header at byte {at} of its chunk is damaged: {e}"))?;
        let compressed = header.int(3).unwrap_or(-1);
        let uncompressed = header.int(2).unwrap_or(-1);
        let room = chunk.len() - at - reader.at;
        if compressed < 0 || compressed as u64 > room as u64 {
            return Err(format!(
                "the page at byte {at} of its chunk claims {compressed} bytes; {room} remain in the chunk"
            ));
        }
        if !(0..=MAX_PAGE_BYTES).contains(&uncompressed) {
            return Err(format!(
                "the page at byte {at} of its chunk claims {uncompressed} bytes decompressed \
                 (at most {MAX_PAGE_BYTES} are read)"
            ));
        }
        // 5: data page (v1), 7: dictionary page, 8: data page v2; field 1 of each is num_values.
        for (field, kind) in [(5, "data"), (7, "dictionary"), (8, "data")] {
            let Some(values) = header.child(field).map(|page| page.int(1).unwrap_or(-1)) else {
                continue;
            };
            if values < 0 || (!repeated && values > rows) {
                return Err(format!(
                    "the {kind} page at byte {at} of its chunk claims {values} values; \
                     its row group has {rows} rows"
                ));
            }
        }
        at += reader.at + compressed as usize;
    }
    Ok(())
}

/// The fields parquet 59 reads by their id, as the type it knows them by
/// whatever type the bytes give (any other field it skips by the bytes' type).
/// A field whose bytes say another type is refused: the two readers would
/// part there.
type Schema = &'static [(i16, Known)];

enum Known {
    I32,
    Bool,
    Struct(Schema),
}

/// `PageHeader` as parquet's `read_thrift_without_stats` reads it (the
/// statistics inside data page headers are skipped by their bytes' type).
const PAGE_HEADER: Schema = &[
    (1, Known::I32), // type
    (2, Known::I32), // uncompressed_page_size
    (3, Known::I32), // compressed_page_size
    (4, Known::I32), // crc
    (5, Known::Struct(DATA_PAGE)),
    (6, Known::Struct(&[])), // index page
    (7, Known::Struct(DICTIONARY_PAGE)),
    (8, Known::Struct(DATA_PAGE_V2)),
];
/// num_values, encoding, definition and repetition level encodings.
const DATA_PAGE: Schema = &[
    (1, Known::I32),
    (2, Known::I32),
    (3, Known::I32),
    (4, Known::I32),
];
/// num_values, encoding, is_sorted.
const DICTIONARY_PAGE: Schema = &[(1, Known::I32), (2, Known::I32), (3, Known::Bool)];
/// num_values, num_nulls, num_rows, encoding, level byte lengths, is_compressed.
const DATA_PAGE_V2: Schema = &[
    (1, Known::I32),
    (2, Known::I32),
    (3, Known::I32),
    (4, Known::I32),
    (5, Known::I32),
    (6, Known::I32),
    (7, Known::Bool),
];

/// The integer and struct fields of a Thrift struct that its schema knows, by
/// field id; a field given twice counts as parquet counts it, the last time.
#[derive(Default, Debug)]
struct Fields {
    ints: Vec<(i16, i64)>,
    children: Vec<(i16, Fields)>,
}

impl Fields {
    fn int(&self, id: i16) -> Option<i64> {
        self.ints
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| *v)
    }

    fn child(&self, id: i16) -> Option<&Fields> {
        self.children
            .iter()
            .rev()
            .find(|(i, _)| *i == id)
            .map(|(_, f)| f)
    }
}

/// Thrift compact protocol types.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let byte = *self.bytes.get(self.at).ok_or("it ends early")?;
        self.at += 1;
        Ok(byte)
    }

    fn advance(&mut self, n: u64) -> Result<(), String> {
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(format!("a field claims {n} bytes; {left} remain"));
        }
        self.at += n as usize;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a varint is longer than 10 bytes".into())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn read_struct(&mut self, schema: Schema, depth: u32) -> Result<Fields, String> {
        if depth > MAX_DEPTH {
            return Err(format!("structs nest deeper than {MAX_DEPTH}"));
        }
        let mut fields = Fields::default();
        let mut last_id: i16 = 0;
        loop {
            let header = self.byte()?;
            // Type 0 ends the struct whatever the high bits hold, as in parquet's reader.
            if header & 0x0f == 0 {
                return Ok(fields);
            }
            let kind = header & 0x0f;
            let id = match header >> 4 {
                0 => i16::try_from(self.zigzag()?).map_err(|_| "a field id is out of range")?,
                delta => last_id
                    .checked_add(i16::from(delta))
                    .ok_or("a field id overflows")?,
            };
            last_id = id;
            match (schema.iter().find(|(known, _)| *known == id), kind) {
                (Some((_, Known::I32)), I32) => fields.ints.push((id, self.zigzag()?)),
                (Some((_, Known::Bool)), BOOL_TRUE | BOOL_FALSE) => {}
                (Some((_, Known::Struct(inner))), STRUCT) => fields
                    .children
                    .push((id, self.read_struct(inner, depth + 1)?)),
                (Some(_), other) => {
                    return Err(format!("field {id} has Thrift type {other}, not its own"));
                }
                (None, other) => self.skip(other, depth + 1)?,
            }
        }
    }

    /// Skips one value of `kind` exactly as parquet's reader does, so that both
    /// read the same bytes as the same fields: a bool takes no byte, even
    /// inside a list or map (where the compact protocol gives it one). Were
    /// the two to part, parquet would read headers this check never saw —
    /// cargo-fuzz found one that way, which held parquet's skipping for 17 s.
    fn skip(&mut self, kind: u8, depth: u32) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nest deeper than {MAX_DEPTH}"));
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.advance(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.advance(8),
            BINARY => {
                let len = self.varint()?;
                self.advance(len)
            }
            LIST | SET => {
                let header = self.byte()?;
                let size = match header >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.skip_elements(size, &[header & 0x0f], depth)
            }
            MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                self.skip_elements(size, &[types >> 4, types & 0x0f], depth)
            }
            STRUCT => self.read_struct(&[], depth).map(drop),
            UUID => self.advance(16),
            other => Err(format!("unknown Thrift type {other}")),
        }
    }

    /// Skips `size` elements, each one value of every kind in `kinds`. A list
    /// of more elements than bytes left is refused before looping: in a real
    /// header every element takes a byte at least (bools too, by the spec).
    fn skip_elements(&mut self, size: u64, kinds: &[u8], depth: u32) -> Result<(), String> {
        let left = (self.bytes.len() - self.at) as u64;
        if size.saturating_mul(kinds.len() as u64) > left {
            return Err(format!(
                "a list claims {size} elements; {left} bytes remain"
            ));
        }
        for _ in 0..size {
            for &kind in kinds {
                self.skip(kind, depth + 1)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact-protocol writer for the few shapes the tests need.
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn int_field(delta: u8, kind: u8, value: i64, out: &mut Vec<u8>) {
        out.push(delta << 4 | kind);
        varint(((value << 1) ^ (value >> 63)) as u64, out);
    }

    /// A page header: type, sizes, and a dictionary (7) or data (5) page header with num_values.
    fn page(kind: i64, uncompressed: i64, compressed: i64, sub: i16, values: i64) -> Vec<u8> {
        let mut out = Vec::new();
        int_field(1, I32, kind, &mut out);
        int_field(1, I32, uncompressed, &mut out);
        int_field(1, I32, compressed, &mut out);
        out.push(((sub - 3) as u8) << 4 | STRUCT);
        int_field(1, I32, values, &mut out);
        int_field(1, I32, 0, &mut out); // encoding
        out.push(0);
        out.push(0);
        out.extend(std::iter::repeat_n(0u8, compressed.max(0) as usize));
        out
    }

    #[test]
    fn pages_that_fit_pass() {
        let mut chunk = page(2, 40, 40, 7, 5);
        chunk.extend(page(0, 20, 20, 5, 9));
        assert_eq!(check_chunk(&chunk, 9, false), Ok(()));
    }

    #[test]
    fn a_dictionary_claiming_more_values_than_rows_is_refused() {
        let chunk = page(2, 40, 40, 7, 2_000_000_000);
        let err = check_chunk(&chunk, 9, false).expect_err("too many values");
        assert!(err.contains("dictionary page at byte 0"), "{err}");
        assert!(
            err.contains("claims 2000000000 values; its row group has 9 rows"),
            "{err}"
        );
        // a repeated column may hold more values than rows
        assert_eq!(check_chunk(&chunk, 9, true), Ok(()));
    }

    #[test]
    fn sizes_outside_the_chunk_or_memory_are_refused() {
        let mut chunk = page(0, 20, 20, 5, 9);
        chunk.truncate(chunk.len() - 1);
        let err = check_chunk(&chunk, 9, false).expect_err("short");
        assert!(err.contains("claims 20 bytes; 19 remain"), "{err}");
        let err = check_chunk(&page(0, MAX_PAGE_BYTES + 1, 4, 5, 1), 9, false).expect_err("big");
        assert!(err.contains("bytes decompressed"), "{err}");
        let err = check_chunk(&page(0, 4, -4, 5, 1), 9, false).expect_err("negative");
        assert!(err.contains("claims -4 bytes"), "{err}");
    }

    #[test]
    fn damaged_headers_are_errors_and_huge_lists_are_not_walked() {
        // a header that ends early
        assert!(check_chunk(&[0x15], 9, false).is_err());
        // a list field claiming 2^60 elements in a few bytes
        let mut chunk = vec![0x99, 0xf5]; // field 9 (unknown), a list of i32
        varint(1 << 60, &mut chunk);
        let err = check_chunk(&chunk, 9, false).expect_err("huge list");
        assert!(err.contains("elements"), "{err}");
        // a list of more bools than bytes, which parquet would skip one by one
        let mut chunk = vec![0x99, 0xf1]; // field 9, a list of bools
        varint(1 << 31, &mut chunk);
        chunk.extend([0u8; 8]);
        let err = check_chunk(&chunk, 9, false).expect_err("bools");
        assert!(err.contains("a list claims 2147483648 elements"), "{err}");
        // a known field whose bytes give another type (parquet would read it as its own)
        let mut chunk = Vec::new();
        int_field(1, I32, 0, &mut chunk);
        chunk.push(0x48); // field 5, data_page_header, as BINARY
        varint(3, &mut chunk);
        let err = check_chunk(&chunk, 9, false).expect_err("typed");
        assert!(
            err.contains("field 5 has Thrift type 8, not its own"),
            "{err}"
        );
        // structs nested past the limit
        let chunk = vec![0x9c; 64]; // field 9 (unknown), a struct, again and again
        let err = check_chunk(&chunk, 9, false).expect_err("deep");
        assert!(err.contains("nest deeper"), "{err}");
    }
}
