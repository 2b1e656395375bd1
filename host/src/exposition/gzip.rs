//! gzip for scrape bodies, compressing each probe's bytes once rather than on every scrape.
//!
//! A body is a sequence of chunks (one per probe, then the self-metrics). Each chunk is
//! deflated on its own and ended with a sync flush, which leaves it byte-aligned and not
//! final, so chunks can be laid one after another inside a single gzip member (what pigz does
//! to compress in parallel). The member's CRC-32 is combined from the chunks' CRCs. A chunk
//! that does not change between scrapes (a probe between two runs) is deflated once and its
//! compressed bytes are reused; only the self-metrics are compressed per scrape.
//!
//! The result is one ordinary gzip member: every decoder reads it (RFC 1951/1952), unlike a
//! concatenation of gzip members, which some clients stop reading after the first.

use flate2::{Compression, write::DeflateEncoder};
use std::io::Write;

/// One chunk's deflate stream: byte-aligned, no final block, no history shared with others.
#[derive(Debug)]
pub struct Deflated {
    bytes: Vec<u8>,
    crc: u32,
    len: u64,
}

impl Deflated {
    /// Compresses `data` at level 1: exposition text shrinks several times even at the
    /// fastest level, and a scrape should not wait on the compressor.
    pub fn new(data: &[u8]) -> Self {
        let mut encoder = DeflateEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
        // Writing to a Vec cannot fail; `flush` ends the chunk with a sync flush (an empty
        // stored block), which byte-aligns it without marking it the last.
        let _ = encoder.write_all(data);
        let _ = encoder.flush();
        // Take the bytes without `finish`, which would append a final block.
        let bytes = std::mem::take(encoder.get_mut());
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        Self { bytes, crc: crc.finalize(), len: data.len() as u64 }
    }
}

/// The gzip header: deflate, no flags, no modification time, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

/// An empty final stored block: BFINAL=1, BTYPE=00, then LEN=0 and NLEN=0xffff (the stream is
/// byte-aligned after the last chunk's sync flush).
const FINAL_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];

/// One gzip member holding `chunks` in order.
pub fn member<'a>(chunks: impl IntoIterator<Item = &'a Deflated>) -> Vec<u8> {
    let chunks: Vec<&Deflated> = chunks.into_iter().collect();
    let size = chunks.iter().map(|c| c.bytes.len()).sum::<usize>();
    let mut out = Vec::with_capacity(HEADER.len() + size + FINAL_BLOCK.len() + 8);
    out.extend_from_slice(&HEADER);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for chunk in chunks {
        out.extend_from_slice(&chunk.bytes);
        crc.combine(&crc32fast::Hasher::new_with_initial_len(chunk.crc, chunk.len));
        len += chunk.len;
    }
    out.extend_from_slice(&FINAL_BLOCK);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the uncompressed length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        // `GzDecoder` reads one member only: a body that needed more would fail here.
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn chunks_deflated_apart_read_back_as_one_member() {
        let parts: Vec<Vec<u8>> = vec![
            b"# TYPE a gauge\na 1\n".repeat(1000),
            Vec::new(),
            b"b{x=\"y\"} 2\n".to_vec(),
            (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect(), // barely compressible
        ];
        let chunks: Vec<Deflated> = parts.iter().map(|p| Deflated::new(p)).collect();
        let body = member(&chunks);
        assert_eq!(gunzip(&body), parts.concat());
        // The same cached chunks serve another body in another order.
        let body = member([&chunks[2], &chunks[0]]);
        assert_eq!(gunzip(&body), [parts[2].clone(), parts[0].clone()].concat());
    }

    #[test]
    fn an_empty_body_is_a_valid_member() {
        assert_eq!(gunzip(&member([])), b"");
    }

    #[test]
    fn the_trailer_carries_crc_and_length_of_the_whole() {
        let (a, b) = (b"hello ".repeat(10), b"world\n".repeat(10));
        let body = member([&Deflated::new(&a), &Deflated::new(&b)]);
        let whole = [a, b].concat();
        let trailer = &body[body.len() - 8..];
        assert_eq!(trailer[..4], crc32fast::hash(&whole).to_le_bytes());
        assert_eq!(trailer[4..], (whole.len() as u32).to_le_bytes());
    }
}
