//! Free text that people type and other people read (names, addresses, schools, reasons).

/// Whether `c` may not appear in stored text: control characters, and the invisible
/// formatting characters that make text display differently from what it holds —
/// bidirectional embeddings, overrides, isolates and marks (a name that renders reversed in
/// a list or on a printed form), zero-width characters and the byte-order mark.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Whether `text` holds any [`is_forbidden`] character.
pub fn has_forbidden(text: &str) -> bool {
    text.chars().any(is_forbidden)
}

#[cfg(test)]
mod tests {
    use super::has_forbidden;

    /// Security audit item 23: bidi control characters were allowed in names.
    #[test]
    fn item_23_bidi_and_invisible_characters_are_forbidden() {
        assert!(!has_forbidden("李喆"));
        assert!(!has_forbidden("买买提·艾力"));
        for sneaky in [
            "李\u{202E}喆",
            "\u{2066}张三\u{2069}",
            "张\u{200B}三",
            "\u{FEFF}张三",
            "张\u{200F}三",
            "张\n三",
        ] {
            assert!(has_forbidden(sneaky), "{sneaky:?}");
        }
    }
}
