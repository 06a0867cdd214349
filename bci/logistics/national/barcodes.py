"""The two barcodes of a national IBL envelope slip, and their Code 128 pictures.

Scheme: ``IBL`` + a leg letter (``O`` outbound, ``R`` return) + the shipment's id as at
least eight digits + one ISO 7064 Mod 37,36 check character over everything before it
(python-stdnum), e.g. ``IBLO00000042`` + check. Both barcodes of a shipment share its
number, so the return barcode names the same shipment as the outbound one; they are unique
because the id is. The check character catches any single mistyped character and most
swapped neighbours when a barcode is keyed in by hand; a scanner is guarded by Code 128's
own checksum as well.

The barcode pictures are Code 128 (python-barcode picks the code sets and computes the
symbol checksum) drawn here as inline SVG: one ``rect`` per bar, ten modules of quiet zone
on each side, so the slip prints sharply from any browser and needs no image files.
"""

import re

from barcode import Code128
from django.utils.html import format_html, format_html_join
from stdnum.iso7064 import mod_37_36

PREFIX = "IBL"
OUTBOUND = "O"
RETURN = "R"
SERIAL_DIGITS = 8
PATTERN = re.compile(rf"^{PREFIX}([{OUTBOUND}{RETURN}])(\d{{{SERIAL_DIGITS},}})([0-9A-Z])$")

QUIET_MODULES = 10
MODULE_MM = 0.33  # X dimension: 0.33 mm reads well on ordinary laser printers
HEIGHT_MM = 15


def make_barcode(leg, serial):
    """The barcode for one leg (``OUTBOUND`` or ``RETURN``) of shipment number ``serial``."""
    if leg not in (OUTBOUND, RETURN) or int(serial) < 0:
        raise ValueError(f"bad leg {leg!r} or serial {serial!r}")
    body = f"{PREFIX}{leg}{int(serial):0{SERIAL_DIGITS}d}"
    return body + mod_37_36.calc_check_digit(body)


def barcodes_for(serial):
    """(outbound, return) barcodes of shipment number ``serial``."""
    return make_barcode(OUTBOUND, serial), make_barcode(RETURN, serial)


def parse(text):
    """(leg, serial) of a scanned barcode, or None when it is not a national IBL barcode
    (wrong shape or wrong check character)."""
    text = (text or "").strip().upper()
    match = PATTERN.match(text)
    if match is None or mod_37_36.checksum(text) != 1:
        return None
    return match.group(1), int(match.group(2))


def normalise(text):
    return (text or "").strip().upper()


def modules(text):
    """The Code 128 symbol of ``text`` as a string of modules: 1 bar, 0 space (start code,
    data, symbol checksum, stop pattern with its final bar)."""
    return "".join(Code128(text).build())


def code128_svg(text):
    """``text`` as a scannable Code 128 barcode: an inline SVG element (safe HTML)."""
    bars = modules(text)
    width = len(bars) + 2 * QUIET_MODULES
    rects, x = [], 0
    for match in re.finditer(r"1+", bars):
        x = QUIET_MODULES + match.start()
        rects.append((x, len(match.group())))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="code128" role="img" '
        'aria-label="Code 128 {text}" data-barcode="{text}" viewBox="0 0 {w} 50" '
        'width="{w_mm}mm" height="{h_mm}mm" preserveAspectRatio="none" '
        'shape-rendering="crispEdges"><rect width="{w}" height="50" fill="#fff"/>{bars}</svg>',
        text=text,
        w=width,
        w_mm=f"{width * MODULE_MM:.2f}",
        h_mm=HEIGHT_MM,
        bars=format_html_join("", '<rect x="{}" width="{}" height="50" fill="#000"/>', rects),
    )
