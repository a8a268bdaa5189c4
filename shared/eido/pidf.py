"""PIDF-LO (RFC 4119, RFC 5139, RFC 5491), the location format EIDO carries as an XML string.

We send what our CAD knows: a WGS 84 point, and the street address as the dispatcher verified
it.  Our address is one free-text line, not split into civic fields, so it travels whole in
the road element (``RD``); splitting it by guesswork would garble addresses like "4000 Block
of MISSION ST".  Geodetic and civic location go in separate tuples, as RFC 5491 recommends.

Received PIDF-LO may carry any civic fields; they are joined back into one line in the usual
street, city, state order.  Element text is kept as written (a blank element counts as
absent), so our own addresses come back exactly.  Documents declaring a DTD or entities are
refused outright: a location never needs one, and entity expansion is how XML parsers get
attacked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

PIDF = "urn:ietf:params:xml:ns:pidf"
GP = "urn:ietf:params:xml:ns:pidf:geopriv10"
CA = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML = "http://www.opengis.net/gml"
WGS84_2D = "urn:ogc:def:crs:EPSG::4326"

# XML 1.0 cannot carry these characters at all, not even as references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class PidfLocation:
    address: str | None = None
    lat: float | None = None
    lon: float | None = None


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def xml_safe(text: str) -> str:
    """``text`` with characters XML cannot represent replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def build_pidf(
    entity: str, *, address: str | None = None, lat: float | None = None, lon: float | None = None
) -> str:
    """A PIDF-LO document for one place; ``repr`` keeps coordinates exact."""
    ET.register_namespace("", PIDF)
    ET.register_namespace("gp", GP)
    ET.register_namespace("ca", CA)
    ET.register_namespace("gml", GML)
    presence = ET.Element(_q(PIDF, "presence"), {"entity": xml_safe(entity)})

    def tuple_with(tuple_id: str) -> ET.Element:
        node = ET.SubElement(presence, _q(PIDF, "tuple"), {"id": tuple_id})
        geopriv = ET.SubElement(ET.SubElement(node, _q(PIDF, "status")), _q(GP, "geopriv"))
        info = ET.SubElement(geopriv, _q(GP, "location-info"))
        ET.SubElement(geopriv, _q(GP, "usage-rules"))
        return info

    if lat is not None and lon is not None:
        point = ET.SubElement(tuple_with("geodetic"), _q(GML, "Point"), {"srsName": WGS84_2D})
        ET.SubElement(point, _q(GML, "pos")).text = f"{lat!r} {lon!r}"
    if address is not None:
        civic = ET.SubElement(tuple_with("civic"), _q(CA, "civicAddress"))
        ET.SubElement(civic, _q(CA, "RD")).text = xml_safe(address)
    return ET.tostring(presence, encoding="unicode")


# Civic elements joined into one line: street part, then place, then region.
_STREET = ("HNO", "HNS", "PRD", "RD", "STS", "POD", "POM")
_DETAIL = ("LOC", "NAM", "LMK", "BLD", "FLR", "UNIT", "ROOM", "SEAT")
_PLACE = ("A6", "A5", "A4", "A3", "A2", "A1", "PC", "country")


def _civic_line(civic: ET.Element) -> str | None:
    values: dict[str, str] = {}
    for child in civic:
        name = child.tag.rsplit("}", 1)[-1]
        text = child.text or ""
        if text.strip() and name not in values:
            values[name] = text
    street = " ".join(values[k] for k in _STREET if k in values)
    parts = [street] if street else []
    parts += [values[k] for k in _DETAIL if k in values]
    parts += [values[k] for k in _PLACE if k in values]
    return ", ".join(parts) or None


def _position(text: str) -> tuple[float, float]:
    numbers = text.split()
    if len(numbers) < 2:
        raise ValueError(f"a position needs latitude and longitude, got {text!r}")
    lat, lon = float(numbers[0]), float(numbers[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"position {text!r} is outside WGS 84 latitude/longitude")
    return lat, lon


def looks_like_xml(text: str) -> bool:
    return text.lstrip().startswith("<")


def parse_pidf(text: str) -> PidfLocation:
    """The first civic address and the first point (or shape centre) in a PIDF-LO document."""
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise ValueError("a PIDF-LO document must not declare a DTD or entities")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as bad:
        raise ValueError(f"location is not well-formed XML: {bad}") from bad
    address = None
    for civic in root.iter(_q(CA, "civicAddress")):
        address = _civic_line(civic)
        if address:
            break
    lat = lon = None
    for pos in root.iter(_q(GML, "pos")):
        lat, lon = _position(pos.text or "")
        break
    return PidfLocation(address=address, lat=lat, lon=lon)
