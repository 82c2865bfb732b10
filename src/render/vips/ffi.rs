//! Raw declarations of the few libvips, GObject and GLib functions Tessera calls.
//!
//! Hand-written rather than generated: every line was checked against the Debian bookworm
//! headers (libvips 8.14.1 in `/usr/include/vips/*.h`, GLib 2.74 in
//! `/usr/include/glib-2.0/`); the header and the C prototype are named beside each group.
//! The module is private to `render/vips/`, so nothing else can name it; the C enum values
//! the rest of the crate needs cross the wall as the Rust enums of `enums.rs`. The
//! variadic functions are only ever called with their required arguments and a
//! terminating NULL; optional arguments go through libvips option strings, which are
//! type-checked at run time, so a wrong C type in a variadic slot (silent undefined
//! behaviour) cannot happen.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_double, c_int, c_long, c_ulong, c_void};

/// Opaque `VipsImage` (image.h). Only ever handled by pointer.
#[repr(C)]
pub(crate) struct VipsImage {
    _private: [u8; 0],
}

/// Opaque `VipsSource` (connection.h); a `VipsSourceCustom` is a subclass of it.
#[repr(C)]
pub(crate) struct VipsSource {
    _private: [u8; 0],
}

/// `gint64` is `signed long` on this platform (glibconfig.h: `typedef signed long gint64`).
pub(crate) type gint64 = c_long;
/// `gulong` (gtypes.h: `typedef unsigned long gulong`).
pub(crate) type gulong = c_ulong;
/// `GCallback` (gclosure.h: `typedef void (*GCallback) (void)`); cast from the real handler.
pub(crate) type GCallback = unsafe extern "C" fn();
/// `GClosureNotify` (gclosure.h: `void (*)(gpointer data, GClosure *closure)`).
pub(crate) type GClosureNotify = unsafe extern "C" fn(data: *mut c_void, closure: *mut c_void);

// Enum values (image.h, conversion.h, arithmetic.h). C enums are `int`-sized here.
pub(crate) const VIPS_INTERPRETATION_B_W: c_int = 1;
pub(crate) const VIPS_INTERPRETATION_SRGB: c_int = 22;
pub(crate) const VIPS_INTERPRETATION_GREY16: c_int = 26;
pub(crate) const VIPS_INTERPRETATION_CMYK: c_int = 15;
pub(crate) const VIPS_INTERPRETATION_RGB16: c_int = 25;
// colour.h: VipsIntent.
pub(crate) const VIPS_INTENT_RELATIVE: c_int = 1;
pub(crate) const VIPS_FORMAT_UCHAR: c_int = 0;
pub(crate) const VIPS_FORMAT_CHAR: c_int = 1;
pub(crate) const VIPS_FORMAT_USHORT: c_int = 2;
pub(crate) const VIPS_FORMAT_SHORT: c_int = 3;
pub(crate) const VIPS_FORMAT_UINT: c_int = 4;
pub(crate) const VIPS_FORMAT_INT: c_int = 5;
pub(crate) const VIPS_FORMAT_FLOAT: c_int = 6;
pub(crate) const VIPS_FORMAT_COMPLEX: c_int = 7;
pub(crate) const VIPS_FORMAT_DOUBLE: c_int = 8;
pub(crate) const VIPS_FORMAT_DPCOMPLEX: c_int = 9;
pub(crate) const VIPS_EXTEND_COPY: c_int = 1;
pub(crate) const VIPS_DIRECTION_HORIZONTAL: c_int = 0;
pub(crate) const VIPS_ANGLE_D90: c_int = 1;
pub(crate) const VIPS_ANGLE_D180: c_int = 2;
pub(crate) const VIPS_ANGLE_D270: c_int = 3;
pub(crate) const VIPS_OPERATION_RELATIONAL_MOREEQ: c_int = 5;

extern "C" {
    // vips.h: int vips_init(const char *argv0); const char *vips_version_string(void);
    pub(crate) fn vips_init(argv0: *const c_char) -> c_int;
    pub(crate) fn vips_version_string() -> *const c_char;
    // operation.h: void vips_cache_set_max(int max); void vips_concurrency_set(int);
    pub(crate) fn vips_cache_set_max(max: c_int);
    pub(crate) fn vips_concurrency_set(concurrency: c_int);

    // error.h: char *vips_error_buffer_copy(void) (free with g_free); void vips_error_clear(void);
    pub(crate) fn vips_error_buffer_copy() -> *mut c_char;
    pub(crate) fn vips_error_clear();

    // header.h: int vips_image_get_width/height/bands(const VipsImage *);
    // VipsInterpretation vips_image_get_interpretation(const VipsImage *);
    // VipsBandFormat vips_image_get_format(const VipsImage *);
    pub(crate) fn vips_image_get_width(image: *const VipsImage) -> c_int;
    pub(crate) fn vips_image_get_height(image: *const VipsImage) -> c_int;
    pub(crate) fn vips_image_get_bands(image: *const VipsImage) -> c_int;
    pub(crate) fn vips_image_get_interpretation(image: *const VipsImage) -> c_int;
    pub(crate) fn vips_image_get_format(image: *const VipsImage) -> c_int;
    // GType vips_image_get_typeof(const VipsImage *, const char *name) (0: no such field;
    // GType is gsize); int vips_image_get_int(const VipsImage *, const char *name, int *out);
    pub(crate) fn vips_image_get_typeof(image: *const VipsImage, name: *const c_char) -> usize;
    pub(crate) fn vips_image_get_int(
        image: *const VipsImage,
        name: *const c_char,
        out: *mut c_int,
    ) -> c_int;
    // image.h: void vips_image_set_kill(VipsImage *, gboolean kill);
    pub(crate) fn vips_image_set_kill(image: *mut VipsImage, kill: c_int);

    // image.h: gboolean vips_image_hasalpha(VipsImage *);
    // VipsImage *vips_image_copy_memory(VipsImage *);
    // VipsImage *vips_image_new_from_source(VipsSource *, const char *option_string, ...);
    // int vips_image_write_to_buffer(VipsImage *in, const char *suffix, void **buf,
    //     size_t *size, ...);
    pub(crate) fn vips_image_hasalpha(image: *mut VipsImage) -> c_int;
    pub(crate) fn vips_image_copy_memory(image: *mut VipsImage) -> *mut VipsImage;
    pub(crate) fn vips_image_new_from_source(
        source: *mut VipsSource,
        option_string: *const c_char,
        ...
    ) -> *mut VipsImage;
    // VipsImage *vips_image_new_from_file(const char *name, ...);
    // int vips_image_write_to_file(VipsImage *image, const char *name, ...);
    pub(crate) fn vips_image_new_from_file(name: *const c_char, ...) -> *mut VipsImage;
    pub(crate) fn vips_image_write_to_file(
        image: *mut VipsImage,
        name: *const c_char,
        ...
    ) -> c_int;
    pub(crate) fn vips_image_write_to_buffer(
        image: *mut VipsImage,
        suffix: *const c_char,
        buf: *mut *mut c_void,
        size: *mut usize,
        ...
    ) -> c_int;

    // conversion.h
    // int vips_extract_area(VipsImage *in, VipsImage **out, int left, int top, int width,
    //     int height, ...);
    pub(crate) fn vips_extract_area(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        left: c_int,
        top: c_int,
        width: c_int,
        height: c_int,
        ...
    ) -> c_int;
    // int vips_embed(VipsImage *in, VipsImage **out, int x, int y, int width, int height, ...);
    pub(crate) fn vips_embed(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        x: c_int,
        y: c_int,
        width: c_int,
        height: c_int,
        ...
    ) -> c_int;
    // int vips_flip(VipsImage *in, VipsImage **out, VipsDirection direction, ...);
    pub(crate) fn vips_flip(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        direction: c_int,
        ...
    ) -> c_int;
    // int vips_rot(VipsImage *in, VipsImage **out, VipsAngle angle, ...);
    pub(crate) fn vips_rot(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        angle: c_int,
        ...
    ) -> c_int;
    // int vips_cast(VipsImage *in, VipsImage **out, VipsBandFormat format, ...);
    pub(crate) fn vips_cast(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        format: c_int,
        ...
    ) -> c_int;
    // int vips_addalpha(VipsImage *in, VipsImage **out, ...);
    pub(crate) fn vips_addalpha(input: *mut VipsImage, out: *mut *mut VipsImage, ...) -> c_int;
    // int vips_flatten(VipsImage *in, VipsImage **out, ...);
    pub(crate) fn vips_flatten(input: *mut VipsImage, out: *mut *mut VipsImage, ...) -> c_int;

    // image.h: VipsImage *vips_image_new_from_memory_copy(const void *data, size_t size,
    //     int width, int height, int bands, VipsBandFormat format);
    // header.h: void vips_image_set_blob_copy(VipsImage *image, const char *name,
    //     const void *data, size_t length);
    pub(crate) fn vips_image_new_from_memory_copy(
        data: *const c_void,
        size: usize,
        width: c_int,
        height: c_int,
        bands: c_int,
        format: c_int,
    ) -> *mut VipsImage;
    pub(crate) fn vips_image_set_blob_copy(
        image: *mut VipsImage,
        name: *const c_char,
        data: *const c_void,
        length: usize,
    );
    // conversion.h: int vips_copy(VipsImage *in, VipsImage **out, ...);
    // header.h: gboolean vips_image_remove(VipsImage *image, const char *name);
    // gchar **vips_image_get_fields(VipsImage *image) (free with g_strfreev).
    pub(crate) fn vips_copy(input: *mut VipsImage, out: *mut *mut VipsImage, ...) -> c_int;
    pub(crate) fn vips_image_remove(image: *mut VipsImage, name: *const c_char) -> c_int;
    pub(crate) fn vips_image_get_fields(image: *mut VipsImage) -> *mut *mut c_char;
    pub(crate) fn g_strfreev(strings: *mut *mut c_char);

    // colour.h: int vips_icc_transform(VipsImage *in, VipsImage **out,
    //     const char *output_profile, ...); gboolean vips_icc_present(void);
    pub(crate) fn vips_icc_transform(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        output_profile: *const c_char,
        ...
    ) -> c_int;
    pub(crate) fn vips_icc_present() -> c_int;
    // header.h: int vips_image_get_blob(const VipsImage *, const char *name,
    //     const void **data, size_t *length);
    pub(crate) fn vips_image_get_blob(
        image: *const VipsImage,
        name: *const c_char,
        data: *mut *const c_void,
        length: *mut usize,
    ) -> c_int;

    // colour.h: int vips_colourspace(VipsImage *in, VipsImage **out,
    //     VipsInterpretation space, ...);
    pub(crate) fn vips_colourspace(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        space: c_int,
        ...
    ) -> c_int;

    // arithmetic.h: int vips_relational_const1(VipsImage *in, VipsImage **out,
    //     VipsOperationRelational relational, double c, ...);
    pub(crate) fn vips_relational_const1(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        relational: c_int,
        c: c_double,
        ...
    ) -> c_int;

    // resample.h: int vips_resize(VipsImage *in, VipsImage **out, double scale, ...);
    // int vips_rotate(VipsImage *in, VipsImage **out, double angle, ...);
    pub(crate) fn vips_resize(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        scale: c_double,
        ...
    ) -> c_int;
    pub(crate) fn vips_rotate(
        input: *mut VipsImage,
        out: *mut *mut VipsImage,
        angle: c_double,
        ...
    ) -> c_int;

    // type.h: VipsArrayDouble *vips_array_double_new(const double *array, int n);
    // void vips_area_unref(VipsArea *area);  (VipsArrayDouble is a VipsArea)
    pub(crate) fn vips_array_double_new(array: *const c_double, n: c_int) -> *mut c_void;
    pub(crate) fn vips_area_unref(area: *mut c_void);

    // connection.h: VipsSourceCustom *vips_source_custom_new(void);
    pub(crate) fn vips_source_custom_new() -> *mut VipsSource;

    // gobject.h: gpointer g_object_ref(gpointer); void g_object_unref(gpointer);
    pub(crate) fn g_object_ref(object: *mut c_void) -> *mut c_void;
    pub(crate) fn g_object_unref(object: *mut c_void);
    // gsignal.h: gulong g_signal_connect_data(gpointer instance, const gchar *detailed_signal,
    //     GCallback c_handler, gpointer data, GClosureNotify destroy_data,
    //     GConnectFlags connect_flags);
    pub(crate) fn g_signal_connect_data(
        instance: *mut c_void,
        detailed_signal: *const c_char,
        c_handler: GCallback,
        data: *mut c_void,
        destroy_data: GClosureNotify,
        connect_flags: c_int,
    ) -> gulong;
    // gmem.h: void g_free(gpointer mem);
    pub(crate) fn g_free(mem: *mut c_void);
}
