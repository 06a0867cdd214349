"""XML-safe text: cleaning of characters XML 1.0 cannot carry, escaping, and the Splicer
that puts pre-serialised fragments into an ElementTree document."""

import functools
import re
import xml.etree.ElementTree as ET

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(value) -> str:
    """``value`` as a string XML 1.0 can carry."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML.sub("", text)


def xml_escape(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


@functools.lru_cache(maxsize=4096)
def xml_escape_attr(value: str) -> str:
    value = xml_escape(value)
    for char, entity in (('"', "&quot;"), ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#09;")):
        if char in value:
            value = value.replace(char, entity)
    return value


def text_escape(value) -> str:
    """Character data: cleaned and escaped for XML."""
    return xml_escape(clean(value))


class Splicer:
    """Pre-serialised fragments (records) inside an ElementTree document: ``add`` leaves a
    placeholder comment, ``tostring`` serialises the tree and puts the fragments in.
    Character data is escaped by ElementTree, so no text can forge a placeholder."""

    _MARK = re.compile(r"<!--bci-fragment-(\d+)-->")

    def __init__(self):
        self.fragments = []

    def add(self, parent, fragment: str):
        parent.append(ET.Comment(f"bci-fragment-{len(self.fragments)}"))
        self.fragments.append(fragment)

    def tostring(self, root) -> str:
        text = ET.tostring(root, encoding="unicode")
        if not self.fragments:
            return text
        return self._MARK.sub(lambda m: self.fragments[int(m.group(1))], text)
