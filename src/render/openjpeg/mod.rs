//! The second C wall: JPEG 2000 regions decoded by OpenJPEG directly, as IIPImage does.
//!
//! libvips' JPEG 2000 loader (8.14) decodes whole codestream tiles one at a time through a
//! single codec per opened image, behind one lock, with OpenJPEG's own threads: a
//! 1000x1000 crop decodes every 512 px tile it touches (2.4 million pixels), and
//! concurrent renders of one image queue on that lock. OpenJPEG itself can decode just a
//! window at a reduced resolution (`opj_set_decode_area`, `opj_set_decoded_resolution_
//! factor`), skipping the code blocks outside it. So a render of a JPEG 2000 region makes
//! its own codec, asks for exactly its window at its reduction, and decodes it on its own
//! thread; renders run side by side, one per render slot.
//!
//! [`decode_region`] answers `Ok(None)` for what it does not handle (an image origin off
//! the grid's corner, subsampled or signed components, more than 16 bits, colour spaces
//! other than grey and RGB): the caller then reads through libvips, which does.
//!
//! `ffi` declares the C functions and is private here; `stream` feeds OpenJPEG from a
//! [`Source`]. `unsafe_code` is allowed for this module alone, on its `mod` line.

mod ffi;
mod stream;

use crate::iiif::Rect;
use crate::source::{Source, SourceError};
use std::ffi::{c_char, c_void, CStr};
use std::sync::{Arc, Mutex, PoisonError};

/// How a decoded region's bands are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Colour {
    /// One band, or grey and alpha.
    Grey,
    /// Three bands, or RGB and alpha.
    Rgb,
}

/// A region's pixels, interleaved, 8 or 16 bits a sample (native byte order), with the
/// values left-justified as libvips does (a 12-bit sample fills 16 bits).
pub(crate) struct DecodedRegion {
    pub(crate) pixels: Vec<u8>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bands: u32,
    pub(crate) sixteen_bits: bool,
    pub(crate) colour: Colour,
    /// The embedded ICC profile, if any.
    pub(crate) icc: Option<Vec<u8>>,
}

/// Why a decode failed: the source's own failure, or OpenJPEG's messages.
#[derive(Debug)]
pub(crate) enum DecodeFailure {
    Source(SourceError),
    Codec(String),
}

/// Decodes `area` (in the pixels of resolution `reduce`: the full size divided by
/// `2^reduce`) of the JPEG 2000 in `source`. `Ok(None)`: a layout this path leaves to
/// libvips.
pub(crate) fn decode_region(
    source: Arc<dyn Source>,
    reduce: u32,
    area: Rect,
) -> Result<Option<DecodedRegion>, DecodeFailure> {
    let Some(format) = codec_format(source.as_ref())? else {
        return Ok(None);
    };
    let mut decoder = Decoder::new(source, format)?;
    let image = decoder.read_header()?;
    // SAFETY: read_header returned a live image, owned by `decoder` until it drops.
    let header = unsafe { &*image };
    let Some(expected) = layout(header) else {
        return Ok(None);
    };
    // SAFETY: a live codec set up for decoding; false means the file has fewer levels.
    if unsafe { ffi::opj_set_decoded_resolution_factor(decoder.codec, reduce) } == 0 {
        return Ok(None);
    }
    let window = |start: u32, length: u32, limit: u32| -> Option<(i32, i32)> {
        let from = u64::from(start) << reduce;
        let to = (u64::from(start) + u64::from(length)) << reduce;
        let to = to.min(u64::from(limit));
        Some((i32::try_from(from).ok()?, i32::try_from(to).ok()?))
    };
    let (Some((x0, x1)), Some((y0, y1))) = (
        window(area.x, area.width, header.x1),
        window(area.y, area.height, header.y1),
    ) else {
        return Ok(None);
    };
    // SAFETY: live codec and image; the window lies inside the image (clamped above).
    if unsafe { ffi::opj_set_decode_area(decoder.codec, image, x0, y0, x1, y1) } == 0 {
        return Err(decoder.failure("set the decode area"));
    }
    // SAFETY: live codec, stream and image.
    if unsafe { ffi::opj_decode(decoder.codec, decoder.stream, image) } == 0 {
        return Err(decoder.failure("decode"));
    }
    // SAFETY: after a successful decode the image and its components are live and
    // `comps` holds `numcomps` entries, each with `w * h` samples.
    let decoded = unsafe { &*image };
    // Decoding may change the components: a palette (JP2 `pclr`) expands one into three.
    // What this path cannot pack goes to libvips after all.
    let Some(layout) = components(decoded).filter(|after| after.bands == expected.bands) else {
        return Ok(None);
    };
    pack(decoded, layout, area)
        .map(Some)
        .map_err(DecodeFailure::Codec)
}

/// The codec for the container: a JP2 file or a bare codestream.
fn codec_format(source: &dyn Source) -> Result<Option<i32>, DecodeFailure> {
    let head = source.read_at(0, 12).map_err(DecodeFailure::Source)?;
    Ok(
        if head.starts_with(&[0, 0, 0, 0x0c, b'j', b'P', b' ', b' ']) {
            Some(ffi::OPJ_CODEC_JP2)
        } else if head.starts_with(&[0xff, 0x4f, 0xff, 0x51]) {
            Some(ffi::OPJ_CODEC_J2K)
        } else {
            None
        },
    )
}

/// What the header says about the pixels, when this path handles them.
#[derive(Clone, Copy)]
struct Layout {
    bands: u32,
    precision: u32,
    colour: Colour,
}

/// The header's layout, for an image whose origin is the grid's corner.
fn layout(image: &ffi::OpjImage) -> Option<Layout> {
    if image.x0 != 0 || image.y0 != 0 {
        return None;
    }
    components(image)
}

/// The components' layout (a decoded image's origin is its window's).
fn components(image: &ffi::OpjImage) -> Option<Layout> {
    if !(1..=4).contains(&image.numcomps) {
        return None;
    }
    // SAFETY: the header's image holds `numcomps` components.
    let comps = unsafe { std::slice::from_raw_parts(image.comps, image.numcomps as usize) };
    let precision = comps[0].prec;
    let plain = comps
        .iter()
        .all(|c| c.dx == 1 && c.dy == 1 && c.sgnd == 0 && c.prec == precision);
    if !plain || !(1..=16).contains(&precision) {
        return None;
    }
    let bands = image.numcomps;
    let colour = match (image.color_space, bands) {
        (ffi::OPJ_CLRSPC_GRAY, 1 | 2) => Colour::Grey,
        (ffi::OPJ_CLRSPC_SRGB, 3 | 4) => Colour::Rgb,
        (ffi::OPJ_CLRSPC_UNSPECIFIED | ffi::OPJ_CLRSPC_UNKNOWN, 1 | 2) => Colour::Grey,
        (ffi::OPJ_CLRSPC_UNSPECIFIED | ffi::OPJ_CLRSPC_UNKNOWN, 3 | 4) => Colour::Rgb,
        _ => return None,
    };
    Some(Layout {
        bands,
        precision,
        colour,
    })
}

/// Interleaves the decoded planes into 8 or 16-bit samples.
fn pack(image: &ffi::OpjImage, layout: Layout, area: Rect) -> Result<DecodedRegion, String> {
    // SAFETY: as in decode_region.
    let comps = unsafe { std::slice::from_raw_parts(image.comps, image.numcomps as usize) };
    let (width, height) = (area.width, area.height);
    let samples = width as usize * height as usize;
    let mut planes = Vec::with_capacity(comps.len());
    for comp in comps {
        if comp.w != width || comp.h != height || comp.data.is_null() {
            return Err(format!(
                "decoded {}x{} where {width}x{height} was asked",
                comp.w, comp.h
            ));
        }
        // SAFETY: a decoded component holds w * h samples at `data`.
        planes.push(unsafe { std::slice::from_raw_parts(comp.data, samples) });
    }
    let sixteen_bits = layout.precision > 8;
    let container = if sixteen_bits { 16 } else { 8 };
    let shift = container - layout.precision;
    let top = (1i32 << layout.precision) - 1;
    let bands = planes.len();
    let mut pixels = vec![0u8; samples * bands * (container as usize / 8)];
    let sample = |plane: &[i32], at: usize| (plane[at].clamp(0, top) as u16) << shift;
    if sixteen_bits {
        for (at, pixel) in pixels.chunks_exact_mut(2 * bands).enumerate() {
            for (band, bytes) in pixel.chunks_exact_mut(2).enumerate() {
                bytes.copy_from_slice(&sample(planes[band], at).to_ne_bytes());
            }
        }
    } else {
        for (at, pixel) in pixels.chunks_exact_mut(bands).enumerate() {
            for (band, byte) in pixel.iter_mut().enumerate() {
                *byte = sample(planes[band], at) as u8;
            }
        }
    }
    let icc = (!image.icc_profile_buf.is_null() && image.icc_profile_len > 0).then(|| {
        // SAFETY: OpenJPEG's profile buffer holds icc_profile_len bytes.
        unsafe { std::slice::from_raw_parts(image.icc_profile_buf, image.icc_profile_len as usize) }
            .to_vec()
    });
    Ok(DecodedRegion {
        pixels,
        width,
        height,
        bands: layout.bands,
        sixteen_bits,
        colour: layout.colour,
        icc,
    })
}

/// One codec, its stream and its image, destroyed together; OpenJPEG's error messages.
struct Decoder {
    codec: *mut ffi::OpjCodec,
    stream: *mut ffi::OpjStream,
    image: *mut ffi::OpjImage,
    /// Boxed so its address, given to OpenJPEG's error handler, never moves.
    messages: Box<Mutex<String>>,
    source_failure: Arc<Mutex<Option<SourceError>>>,
    /// Storage for `opj_dparameters_t`, 8-byte aligned.
    parameters: Vec<u64>,
}

impl Decoder {
    fn new(source: Arc<dyn Source>, format: i32) -> Result<Self, DecodeFailure> {
        let source_failure = Arc::new(Mutex::new(None));
        let mut decoder = Decoder {
            codec: std::ptr::null_mut(),
            stream: std::ptr::null_mut(),
            image: std::ptr::null_mut(),
            messages: Box::new(Mutex::new(String::new())),
            source_failure: Arc::clone(&source_failure),
            parameters: vec![0u64; ffi::DPARAMETERS_BYTES / 8],
        };
        // SAFETY: the parameter storage outlives the setup call (OpenJPEG copies what it
        // keeps); the handler's data is the boxed message buffer, which outlives the codec
        // (fields drop after `drop` destroys the codec). The decode runs on the calling
        // render's thread, and renders run side by side.
        unsafe {
            decoder.codec = ffi::opj_create_decompress(format);
            if decoder.codec.is_null() {
                return Err(DecodeFailure::Codec("no decoder".into()));
            }
            let messages: *const Mutex<String> = &*decoder.messages;
            ffi::opj_set_error_handler(decoder.codec, Some(on_error), messages as *mut c_void);
            let parameters = decoder.parameters.as_mut_ptr().cast::<c_void>();
            ffi::opj_set_default_decoder_parameters(parameters);
            if ffi::opj_setup_decoder(decoder.codec, parameters) == 0 {
                return Err(decoder.failure("set up the decoder"));
            }
            // No thread pool: 0 decodes on the calling thread. (1 would hand every code
            // block to one worker thread and wait for it: measured, a fifth of the time
            // went to futex waits.)
            ffi::opj_codec_set_threads(decoder.codec, 0);
        }
        decoder.stream = stream::new_stream(source, source_failure);
        if decoder.stream.is_null() {
            return Err(DecodeFailure::Codec("no stream".into()));
        }
        Ok(decoder)
    }

    fn read_header(&mut self) -> Result<*mut ffi::OpjImage, DecodeFailure> {
        // SAFETY: live stream and codec; OpenJPEG allocates the image, which `drop` frees
        // (kept even after a failure, which may leave one half-made).
        let ok = unsafe { ffi::opj_read_header(self.stream, self.codec, &mut self.image) };
        if ok == 0 || self.image.is_null() {
            return Err(self.failure("read the header"));
        }
        Ok(self.image)
    }

    /// The failure of `what`: the source's, if it failed, else OpenJPEG's messages.
    fn failure(&self, what: &str) -> DecodeFailure {
        let source = self
            .source_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(err) = source {
            return DecodeFailure::Source(err);
        }
        let messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        let detail = messages.trim();
        DecodeFailure::Codec(if detail.is_empty() {
            format!("OpenJPEG could not {what}")
        } else {
            format!("OpenJPEG could not {what}: {detail}")
        })
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: each pointer is null or owned by this decoder alone; destroyed once.
        unsafe {
            if !self.image.is_null() {
                ffi::opj_image_destroy(self.image);
            }
            if !self.codec.is_null() {
                ffi::opj_destroy_codec(self.codec);
            }
            if !self.stream.is_null() {
                ffi::opj_stream_destroy(self.stream);
            }
        }
    }
}

unsafe extern "C" fn on_error(message: *const c_char, data: *mut c_void) {
    if message.is_null() || data.is_null() {
        return;
    }
    // SAFETY: `data` is the decoder's boxed message buffer, alive while the codec is;
    // `message` is a NUL-terminated string OpenJPEG owns for the call.
    let (messages, text) = unsafe { (&*data.cast::<Mutex<String>>(), CStr::from_ptr(message)) };
    let mut messages = messages.lock().unwrap_or_else(PoisonError::into_inner);
    if messages.len() < 1024 {
        messages.push_str(text.to_string_lossy().trim_end());
        messages.push_str("; ");
    }
}
