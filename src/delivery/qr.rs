//! QR codes of an activation code: a PNG to send in the chat, and text blocks for a terminal.
//!
//! The traveller scans the PNG with the phone that will hold the eSIM while the chat is
//! open on another screen. Both renderings use error correction level M (15% of the code
//! may be damaged) and the quiet zone of four modules the QR standard asks for, because
//! scanners find codes drawn tight against other content unreliably.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, on every side.
const QUIET_ZONE_MODULES: usize = 4;

/// Pixels per module side in the PNG of a typical activation code, big enough for a camera
/// to read from a screen across a desk.
const MAX_MODULE_PX: usize = 10;

/// Pixels per module side below which a phone screen makes modules too small to scan.
const MIN_MODULE_PX: usize = 4;

/// The longest side of the PNG. Long texts get smaller modules instead of a bigger image,
/// which keeps the file small and the whole code on screen.
const MAX_SIDE_PX: usize = 1000;

/// The PNG's gray values, 8-bit.
const DARK: u8 = 0x00;
const LIGHT: u8 = 0xff;

/// Why text could not be drawn as a QR code.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// Empty text would make a valid but useless code; it is a bug upstream.
    #[error("nothing to encode in a qr code")]
    Empty,
    /// More bytes than the largest QR code holds at this error correction level.
    #[error("{len_bytes} bytes do not fit in a qr code")]
    TooLong { len_bytes: usize },
    /// Any other refusal of the QR encoder.
    #[error("qr encoding failed")]
    Encode(#[source] qrcode::types::QrError),
    /// The PNG encoder failed, which writing into memory should never do.
    #[error("png encoding failed")]
    Png(#[source] image::ImageError),
}

/// Draws `text` as a black-on-white grayscale PNG with square, unsmoothed modules.
pub fn render_png(text: &str) -> Result<Vec<u8>, QrError> {
    // Most of the time goes here, to the QR encoder scoring all eight mask patterns
    // (about 0.8 of 1 ms for a typical activation code); drawing and compressing are cheap.
    let modules = Modules::encode(text)?;
    let module_px = (MAX_SIDE_PX / modules.side).clamp(MIN_MODULE_PX, MAX_MODULE_PX);
    let side_px = modules.side * module_px;
    let pixels = modules.to_pixels(module_px);

    // Adaptive filtering turns the repeated rows into zeros, so even the fast compressor
    // keeps a typical code near 4 KB (and the largest QR code under 40 KB) in about a tenth
    // of the time of the default one, which would save only 2 KB.
    let side = u32::try_from(side_px).expect("a qr code is at most 1000 px wide");
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(&pixels, side, side, ExtendedColorType::L8)
        .map_err(QrError::Png)?;
    Ok(png)
}

/// Draws `text` with Unicode half blocks, two rows of modules per line of text, for a
/// terminal with a dark background.
///
/// Scanners expect dark modules on a light ground. A block character is drawn in the
/// terminal's text colour, which on the usual dark theme is the light one, so the blocks
/// paint the *light* modules (and the quiet zone) and dark modules stay background. On a
/// light-themed terminal the code comes out inverted, which some scanners refuse.
///
/// Every line ends with `\n`. The code is an odd number of modules tall, so the bottom half
/// of the last line is one more row of quiet zone.
pub fn render_terminal(text: &str) -> Result<String, QrError> {
    let modules = Modules::encode(text)?;
    let lines = modules.side.div_ceil(2);
    let mut out = String::with_capacity(lines * (modules.side * '█'.len_utf8() + 1));

    for y in (0..modules.side).step_by(2) {
        for x in 0..modules.side {
            let top_light = !modules.is_dark(x, y);
            let bottom_light = !modules.is_dark(x, y + 1);
            out.push(match (top_light, bottom_light) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// The modules of a QR code with its quiet zone, row by row, `true` for dark.
struct Modules {
    /// Modules per side, quiet zone included.
    side: usize,
    dark: Vec<bool>,
}

impl Modules {
    fn encode(text: &str) -> Result<Self, QrError> {
        if text.is_empty() {
            return Err(QrError::Empty);
        }
        let code =
            QrCode::with_error_correction_level(text, EcLevel::M).map_err(|error| match error {
                qrcode::types::QrError::DataTooLong => QrError::TooLong {
                    len_bytes: text.len(),
                },
                other => QrError::Encode(other),
            })?;

        let width = code.width();
        let side = width + 2 * QUIET_ZONE_MODULES;
        let mut dark = vec![false; side * side];
        for (i, color) in code.into_colors().into_iter().enumerate() {
            let (x, y) = (i % width, i / width);
            dark[(y + QUIET_ZONE_MODULES) * side + x + QUIET_ZONE_MODULES] = color == Color::Dark;
        }
        Ok(Self { side, dark })
    }

    /// Whether the module at column `x`, row `y` is dark; anything outside is quiet zone.
    fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.side && y < self.side && self.dark[y * self.side + x]
    }

    /// The 8-bit gray pixels of the code, `module_px` pixels per module side.
    fn to_pixels(&self, module_px: usize) -> Vec<u8> {
        let row_px = self.side * module_px;
        let mut pixels = Vec::with_capacity(row_px * row_px);

        // Each row of modules becomes one row of pixels, copied `module_px` times.
        for row in self.dark.chunks_exact(self.side) {
            let start = pixels.len();
            for &dark in row {
                let value = if dark { DARK } else { LIGHT };
                pixels.extend(std::iter::repeat_n(value, module_px));
            }
            for _ in 1..module_px {
                pixels.extend_from_within(start..start + row_px);
            }
        }
        pixels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Activation strings of the usual lengths, and longer ones that still must fit.
    const ACTIVATION_STRINGS: &[&str] = &[
        "LPA:1$rsp-eu.example-sm-dp.com$5A1F0C3B9E7D42A6B8C1D0E2F3A4B5C6",
        "LPA:1$smdp.example.net$K2-1ABCD-XYZ9$1.3.6.1.4.1.31746$1",
        "LPA:1$consumer-smdp.provider-with-a-long-name.example.com$\
         QR-G-5C-1LS-1W1Z9P7$1.3.6.1.4.1.31746.1.500.200.101$1",
        "LPA:1$smdp.example.net$$",
    ];

    /// A string of `len` printable ASCII bytes shaped like a (very) long activation code.
    fn long_activation(len: usize) -> String {
        let mut text = String::from("LPA:1$smdp.example.net$");
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-ABCDEF.";
        let mut i = 0;
        while text.len() < len {
            text.push(char::from(alphabet[(i * 7 + i / 3) % alphabet.len()]));
            i += 1;
        }
        text
    }

    fn decode_png(png: &[u8]) -> String {
        let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .expect("a valid png")
            .to_luma8();
        decode_luma(image)
    }

    fn decode_luma(image: image::GrayImage) -> String {
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one qr code in the image");
        let (_meta, content) = grids[0].decode().expect("a readable qr code");
        content
    }

    #[test]
    fn the_png_decodes_to_the_exact_text() {
        let long = [
            long_activation(120),
            long_activation(300),
            long_activation(1200),
        ];
        let texts = ACTIVATION_STRINGS
            .iter()
            .copied()
            .chain(long.iter().map(String::as_str));

        for text in texts {
            let png = render_png(text).unwrap();

            assert_eq!(decode_png(&png), text, "{} bytes", text.len());
        }
    }

    #[test]
    fn the_png_is_a_png() {
        let png = render_png(ACTIVATION_STRINGS[0]).unwrap();

        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn the_png_stays_small_up_to_300_characters() {
        for len in (40..=300).step_by(20) {
            let text = long_activation(len);

            let png = render_png(&text).unwrap();

            assert!(png.len() <= 50_000, "{len} chars gave {} bytes", png.len());
        }
    }

    #[test]
    fn the_png_is_crisp_black_on_white_with_a_quiet_zone() {
        let png = render_png(ACTIVATION_STRINGS[0]).unwrap();

        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let modules = Modules::encode(ACTIVATION_STRINGS[0]).unwrap();
        let module_px = image.width() as usize / modules.side;

        assert_eq!(image.width(), image.height());
        assert_eq!(
            image.width() as usize,
            modules.side * module_px,
            "whole modules"
        );
        assert_eq!(module_px, MAX_MODULE_PX);
        for (x, y, pixel) in image.enumerate_pixels() {
            let (x, y) = (x as usize / module_px, y as usize / module_px);
            let expected = if modules.is_dark(x, y) { DARK } else { LIGHT };
            assert_eq!(pixel.0[0], expected, "module ({x}, {y})");
        }
        let quiet_px = (QUIET_ZONE_MODULES * module_px) as u32;
        assert!(
            image
                .enumerate_pixels()
                .filter(|(x, y, _)| *x < quiet_px || *y < quiet_px)
                .all(|(_, _, pixel)| pixel.0[0] == LIGHT)
        );
        // The finder pattern's corner is the first dark module.
        assert_eq!(image.get_pixel(quiet_px, quiet_px).0[0], DARK);
    }

    #[test]
    fn long_texts_get_smaller_modules_but_no_bigger_image() {
        let text = long_activation(2300);

        let png = render_png(&text).unwrap();

        let image = image::load_from_memory(&png).unwrap();
        assert!(image.width() as usize <= MAX_SIDE_PX, "{}", image.width());
        assert!(png.len() <= 50_000, "{} bytes", png.len());
        assert_eq!(decode_png(&png), text);
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_refused() {
        let text = long_activation(3000);

        assert!(matches!(
            render_png(&text),
            Err(QrError::TooLong { len_bytes: 3000 })
        ));
        assert!(matches!(
            render_terminal(&text),
            Err(QrError::TooLong { len_bytes: 3000 })
        ));
    }

    #[test]
    fn empty_text_is_refused() {
        assert!(matches!(render_png(""), Err(QrError::Empty)));
        assert!(matches!(render_terminal(""), Err(QrError::Empty)));
    }

    #[test]
    fn the_terminal_rendering_has_two_module_rows_per_line() {
        let text = ACTIVATION_STRINGS[0];
        let side = Modules::encode(text).unwrap().side;

        let rendered = render_terminal(text).unwrap();

        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines.len(), side.div_ceil(2));
        assert!(lines.iter().all(|line| line.chars().count() == side));
        assert!(rendered.ends_with('\n'));
        assert!(
            rendered
                .chars()
                .all(|c| matches!(c, '█' | '▀' | '▄' | ' ' | '\n'))
        );
        // The quiet zone is light: two full lines of blocks at the top.
        assert!(lines[..2].iter().all(|line| line.chars().all(|c| c == '█')));
    }

    #[test]
    fn the_terminal_rendering_scans_as_the_text_on_a_dark_background() {
        let text = ACTIVATION_STRINGS[1];
        let rendered = render_terminal(text).unwrap();

        // Redraw the characters as a dark-themed terminal would: blocks light, rest dark.
        let lines: Vec<Vec<char>> = rendered
            .lines()
            .map(|line| line.chars().collect())
            .collect();
        let (width, height) = (lines[0].len(), lines.len() * 2);
        let cell_px = 6;
        let image = image::GrayImage::from_fn(
            (width * cell_px) as u32,
            (height * cell_px) as u32,
            |x, y| {
                let (column, row) = (x as usize / cell_px, y as usize / cell_px);
                let glyph = lines[row / 2][column];
                let light = matches!((glyph, row % 2 == 0), ('█', _) | ('▀', true) | ('▄', false));
                image::Luma([if light { LIGHT } else { DARK }])
            },
        );

        assert_eq!(decode_luma(image), text);
    }

    #[test]
    fn rendering_an_activation_string_is_quick() {
        // Not a timing assertion (CI machines vary); it keeps the hot path exercised in the
        // same shape as production: encode, rasterise, compress.
        for _ in 0..20 {
            let png = render_png(ACTIVATION_STRINGS[0]).unwrap();
            assert!(!png.is_empty());
        }
    }
}
