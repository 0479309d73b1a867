//! Printable documents (PDF), generated server-side from the stored record.
//!
//! Chinese must render on any printer the candidate or the point has, so the font is embedded
//! (subset to the glyphs used) rather than referenced: Noto Sans SC, which `build.rs` obtained
//! from the npm registry and verified against its published hash. Nothing is fetched at run
//! time. The drawing primitives (`Sheet`) are here; each document is a file of its own and
//! only decides what goes where.

pub mod adult_forms;
pub mod exam_materials;
pub mod login_card;
pub mod registration_form;
pub mod ticket;

use krilla::Document;
use krilla::color::{luma, rgb};
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::{Page, PageSettings};
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use std::sync::LazyLock;

/// The embedded font's bytes, compiled in.
static FONT_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/NotoSansSC-Regular.ttf"));

/// Parsed once; `Font` is a cheap handle.
static FONT: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(FONT_BYTES.into(), 0));

/// A4 portrait, in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Why a document could not be produced. None of these is the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The compiled-in font did not parse (a broken build).
    #[error("the embedded CJK font could not be read")]
    Font,
    /// The stored photo is not a JPEG the PDF writer accepts.
    #[error("the stored photo could not be embedded: {0}")]
    Photo(String),
    /// The PDF writer refused the document.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// Horizontal placement of text in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// From the left edge plus padding.
    Left,
    /// Centred.
    Centre,
}

/// One page being drawn: y grows downwards, units are points.
pub struct Sheet<'a> {
    surface: Surface<'a>,
    font: Font,
}

/// Width of `text` at `size`, estimated from the font's design: CJK and full-width forms are
/// one em, everything else about half. Good enough to fit cells; never used for justification.
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

impl<'a> Sheet<'a> {
    /// Writes `text` with its baseline at `(x, y)`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.surface.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// Writes `text` centred on the page width at baseline `y`.
    pub fn centred(&mut self, y: f32, size: f32, text: &str) {
        let x = (A4.0 - text_width(text, size)) / 2.0;
        self.text(x, y, size, text);
    }

    /// Writes `text` inside the cell `rect`, shrinking it until it fits the width, vertically
    /// centred.
    pub fn in_cell(&mut self, rect: Rect, size: f32, align: Align, text: &str) {
        const PADDING: f32 = 4.0;
        let available = (rect.width() - 2.0 * PADDING).max(1.0);
        let mut size = size;
        while size > 5.0 && text_width(text, size) > available {
            size -= 0.5;
        }
        let x = match align {
            Align::Left => rect.left() + PADDING,
            Align::Centre => rect.left() + (rect.width() - text_width(text, size)) / 2.0,
        };
        // Baseline so that the em box sits in the middle of the cell.
        let y = rect.top() + rect.height() / 2.0 + size * 0.36;
        self.text(x, y, size, text);
    }

    /// Strokes the outline of `rect`, optionally filling it light grey (label cells).
    pub fn cell(&mut self, rect: Rect, shaded: bool) {
        let mut builder = PathBuilder::new();
        builder.push_rect(rect);
        let Some(path) = builder.finish() else {
            return;
        };
        let fill = shaded.then(|| Fill {
            paint: luma::Color::new(236).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        });
        self.surface.set_fill(fill);
        self.surface.set_stroke(Some(Stroke {
            width: 0.6,
            ..Stroke::default()
        }));
        self.surface.draw_path(&path);
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill::default()));
    }

    /// Draws a horizontal rule.
    pub fn rule(&mut self, x0: f32, x1: f32, y: f32) {
        let mut builder = PathBuilder::new();
        builder.move_to(x0, y);
        builder.line_to(x1, y);
        if let Some(path) = builder.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                width: 0.8,
                paint: rgb::Color::new(60, 60, 60).into(),
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(Fill::default()));
        }
    }

    /// Places a JPEG in `rect`, stretched to it (the photo rules fix its aspect ratio).
    pub fn jpeg(&mut self, rect: Rect, jpeg: Vec<u8>) -> Result<(), DocumentError> {
        let image = Image::from_jpeg(jpeg.into(), true).map_err(DocumentError::Photo)?;
        let size = Size::from_wh(rect.width(), rect.height())
            .ok_or_else(|| DocumentError::Photo("empty photo box".into()))?;
        self.surface
            .push_transform(&Transform::from_translate(rect.left(), rect.top()));
        self.surface.draw_image(image, size);
        self.surface.pop();
        Ok(())
    }
}

/// A rectangle from its top-left corner and size. Layout constants are ours, so a refusal
/// here is a layout bug, reported rather than panicking.
pub fn rect(x: f32, y: f32, width: f32, height: f32) -> Result<Rect, DocumentError> {
    Rect::from_xywh(x, y, width, height)
        .ok_or_else(|| DocumentError::Write(format!("empty box at ({x}, {y})")))
}

/// Renders a one-page A4 document: `draw` fills the page.
pub fn one_page(
    title: &str,
    draw: impl FnOnce(&mut Sheet<'_>) -> Result<(), DocumentError>,
) -> Result<Vec<u8>, DocumentError> {
    let mut draw = Some(draw);
    pages(title, 1, |sheet, _| match draw.take() {
        Some(draw) => draw(sheet),
        None => Ok(()),
    })
}

/// Renders an A4 document of `count` pages (at least one): `draw` fills page `index`.
pub fn pages(
    title: &str,
    count: usize,
    mut draw: impl FnMut(&mut Sheet<'_>, usize) -> Result<(), DocumentError>,
) -> Result<Vec<u8>, DocumentError> {
    let font = FONT.clone().ok_or(DocumentError::Font)?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("zh-CN".to_owned())
            .creator("gaokao registration engine".to_owned()),
    );
    let settings = PageSettings::from_wh(A4.0, A4.1)
        .ok_or_else(|| DocumentError::Write("page size".into()))?;
    for index in 0..count.max(1) {
        let mut page: Page<'_> = document.start_page_with(settings.clone());
        // Dropping the sheet (its surface) writes the content stream into the page.
        let drawn = draw(
            &mut Sheet {
                surface: page.surface(),
                font: font.clone(),
            },
            index,
        );
        page.finish();
        drawn?;
    }
    document
        .finish()
        .map_err(|error| DocumentError::Write(error.to_string()))
}
