//! The OpenJPEG declarations this crate uses, written against `openjpeg.h` 2.5 (Debian
//! bookworm's libopenjp2, the library libvips itself loads JPEG 2000 with).
//!
//! Only the two structs we read are laid out here, checked against the C header with
//! `offsetof` (image: numcomps at 16, comps at 24, icc_profile_buf at 32, 48 bytes;
//! component: prec at 24, sgnd at 32, data at 48, 64 bytes). The decoder's parameter
//! struct is treated as opaque: OpenJPEG fills it (`opj_set_default_decoder_parameters`)
//! and reads it (`opj_setup_decoder`); we only own its storage ([`DPARAMETERS_BYTES`],
//! larger than its 8252 bytes in 2.5) and set the reduction through its own call.

use std::ffi::{c_char, c_int, c_void};

pub(super) type OpjBool = c_int;
pub(super) type OpjSize = usize;
pub(super) type OpjOff = i64;

pub(super) const OPJ_CODEC_J2K: c_int = 0;
pub(super) const OPJ_CODEC_JP2: c_int = 2;

pub(super) const OPJ_CLRSPC_UNKNOWN: c_int = -1;
pub(super) const OPJ_CLRSPC_UNSPECIFIED: c_int = 0;
pub(super) const OPJ_CLRSPC_SRGB: c_int = 1;
pub(super) const OPJ_CLRSPC_GRAY: c_int = 2;

/// Storage for `opj_dparameters_t` (8252 bytes in 2.5), with room to spare.
pub(super) const DPARAMETERS_BYTES: usize = 16 * 1024;

#[repr(C)]
pub(super) struct OpjImageComp {
    pub(super) dx: u32,
    pub(super) dy: u32,
    pub(super) w: u32,
    pub(super) h: u32,
    pub(super) x0: u32,
    pub(super) y0: u32,
    pub(super) prec: u32,
    pub(super) bpp: u32,
    pub(super) sgnd: u32,
    pub(super) resno_decoded: u32,
    pub(super) factor: u32,
    pub(super) data: *mut i32,
    pub(super) alpha: u16,
}

#[repr(C)]
pub(super) struct OpjImage {
    pub(super) x0: u32,
    pub(super) y0: u32,
    pub(super) x1: u32,
    pub(super) y1: u32,
    pub(super) numcomps: u32,
    pub(super) color_space: c_int,
    pub(super) comps: *mut OpjImageComp,
    pub(super) icc_profile_buf: *mut u8,
    pub(super) icc_profile_len: u32,
}

/// `opj_codec_t` and `opj_stream_t` are `void *` in the header.
pub(super) type OpjCodec = c_void;
pub(super) type OpjStream = c_void;

pub(super) type ReadFn = unsafe extern "C" fn(*mut c_void, OpjSize, *mut c_void) -> OpjSize;
pub(super) type SkipFn = unsafe extern "C" fn(OpjOff, *mut c_void) -> OpjOff;
pub(super) type SeekFn = unsafe extern "C" fn(OpjOff, *mut c_void) -> OpjBool;
pub(super) type FreeFn = unsafe extern "C" fn(*mut c_void);
pub(super) type MessageFn = unsafe extern "C" fn(*const c_char, *mut c_void);

extern "C" {
    pub(super) fn opj_create_decompress(format: c_int) -> *mut OpjCodec;
    pub(super) fn opj_destroy_codec(codec: *mut OpjCodec);
    pub(super) fn opj_set_default_decoder_parameters(parameters: *mut c_void);
    pub(super) fn opj_setup_decoder(codec: *mut OpjCodec, parameters: *mut c_void) -> OpjBool;
    pub(super) fn opj_codec_set_threads(codec: *mut OpjCodec, threads: c_int) -> OpjBool;
    pub(super) fn opj_set_error_handler(
        codec: *mut OpjCodec,
        handler: Option<MessageFn>,
        data: *mut c_void,
    ) -> OpjBool;
    pub(super) fn opj_read_header(
        stream: *mut OpjStream,
        codec: *mut OpjCodec,
        image: *mut *mut OpjImage,
    ) -> OpjBool;
    pub(super) fn opj_set_decoded_resolution_factor(codec: *mut OpjCodec, factor: u32) -> OpjBool;
    pub(super) fn opj_set_decode_area(
        codec: *mut OpjCodec,
        image: *mut OpjImage,
        x0: i32,
        y0: i32,
        x1: i32,
        y1: i32,
    ) -> OpjBool;
    pub(super) fn opj_decode(
        codec: *mut OpjCodec,
        stream: *mut OpjStream,
        image: *mut OpjImage,
    ) -> OpjBool;
    pub(super) fn opj_image_destroy(image: *mut OpjImage);

    pub(super) fn opj_stream_create(buffer_size: OpjSize, is_input: OpjBool) -> *mut OpjStream;
    pub(super) fn opj_stream_destroy(stream: *mut OpjStream);
    pub(super) fn opj_stream_set_read_function(stream: *mut OpjStream, read: ReadFn);
    pub(super) fn opj_stream_set_skip_function(stream: *mut OpjStream, skip: SkipFn);
    pub(super) fn opj_stream_set_seek_function(stream: *mut OpjStream, seek: SeekFn);
    pub(super) fn opj_stream_set_user_data(
        stream: *mut OpjStream,
        data: *mut c_void,
        free: Option<FreeFn>,
    );
    pub(super) fn opj_stream_set_user_data_length(stream: *mut OpjStream, length: u64);
}
