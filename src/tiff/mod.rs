//! Image facts from a few ranged reads: TIFF/BigTIFF directory walking and header sniffing.
