#!/usr/bin/env python3
"""Draws the IIIF validator's test image: a 10x10 grid of 100 px squares whose colours are
the validator's own table (iiif_validator.validator.ValidationInfo.colorInfo), so the
validator's colour checks compare against exactly what it expects. The image is not in
the validator's package, hence this script."""
import sys

from iiif_validator.validator import ValidationInfo
from PIL import Image


def main(out_path: str) -> None:
    colors = ValidationInfo().colorInfo
    image = Image.new("RGB", (1000, 1000))
    for x in range(10):
        for y in range(10):
            image.paste(tuple(colors[x][y]), (x * 100, y * 100, x * 100 + 100, y * 100 + 100))
    image.save(out_path)


if __name__ == "__main__":
    main(sys.argv[1])
