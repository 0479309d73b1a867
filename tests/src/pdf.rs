//! Just enough PDF reading to check a generated document without external tools: that it is
//! a complete file, which font programs and images it embeds, and which Unicode characters
//! its fonts' ToUnicode maps cover (so the text is real, extractable Chinese, not boxes).

use flate2::read::ZlibDecoder;
use std::collections::BTreeSet;
use std::io::Read;

/// What a PDF contains.
#[derive(Debug, Default)]
pub struct PdfFacts {
    /// Embedded TrueType font programs (`/FontFile2`).
    pub truetype_fonts: usize,
    /// JPEG images (`/DCTDecode`) and their `(width, height)`.
    pub jpeg_images: Vec<(u32, u32)>,
    /// Characters the ToUnicode maps can produce.
    pub mapped: BTreeSet<char>,
    /// Pages.
    pub pages: usize,
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The integer after `/Key ` in `dictionary`.
fn integer_after(dictionary: &[u8], key: &[u8]) -> Option<u32> {
    let at = find(dictionary, key, 0)? + key.len();
    let digits: String = dictionary[at..]
        .iter()
        .skip_while(|byte| byte.is_ascii_whitespace())
        .take_while(|byte| byte.is_ascii_digit())
        .map(|&byte| char::from(byte))
        .collect();
    digits.parse().ok()
}

/// Reads `bytes`; `None` if it is not a complete PDF.
pub fn read(bytes: &[u8]) -> Option<PdfFacts> {
    let trimmed = bytes.trim_ascii_end();
    if !bytes.starts_with(b"%PDF-") || !trimmed.ends_with(b"%%EOF") {
        return None;
    }
    let mut facts = PdfFacts {
        truetype_fonts: count(bytes, b"/FontFile2"),
        // `/Type/Page` and `/Type /Page`, but not `/Pages`.
        pages: count(bytes, b"/Type/Page") + count(bytes, b"/Type /Page")
            - count(bytes, b"/Type/Pages")
            - count(bytes, b"/Type /Pages"),
        ..PdfFacts::default()
    };
    let mut at = 0;
    while let Some(start) = find(bytes, b"stream", at) {
        let dictionary_start = bytes[..start]
            .windows(2)
            .rposition(|window| window == b"<<")
            .unwrap_or(0);
        let dictionary = &bytes[dictionary_start..start];
        let mut data_start = start + b"stream".len();
        if bytes.get(data_start) == Some(&b'\r') {
            data_start += 1;
        }
        if bytes.get(data_start) == Some(&b'\n') {
            data_start += 1;
        }
        let end = find(bytes, b"endstream", data_start)?;
        let data = &bytes[data_start..end];
        if find(dictionary, b"/DCTDecode", 0).is_some() {
            facts.jpeg_images.push((
                integer_after(dictionary, b"/Width")?,
                integer_after(dictionary, b"/Height")?,
            ));
        } else if find(dictionary, b"/FlateDecode", 0).is_some() {
            let mut inflated = Vec::new();
            if ZlibDecoder::new(data).read_to_end(&mut inflated).is_ok() {
                collect_mapped(&inflated, &mut facts.mapped);
            }
        }
        at = end + b"endstream".len();
    }
    Some(facts)
}

/// Adds the targets of `bfchar` entries (`<glyph> <UTF-16BE>`) of a CMap.
fn collect_mapped(cmap: &[u8], mapped: &mut BTreeSet<char>) {
    let text = String::from_utf8_lossy(cmap);
    for section in text.split("beginbfchar").skip(1) {
        let body = section.split("endbfchar").next().unwrap_or("");
        let hex: Vec<&str> = body
            .split(['<', '>'])
            .map(str::trim)
            .filter(|piece| !piece.is_empty())
            .collect();
        for pair in hex.chunks(2) {
            let Some(target) = pair.get(1) else { continue };
            let units: Vec<u16> = (0..target.len() / 4)
                .filter_map(|i| u16::from_str_radix(&target[i * 4..i * 4 + 4], 16).ok())
                .collect();
            mapped.extend(char::decode_utf16(units).filter_map(Result::ok));
        }
    }
}
