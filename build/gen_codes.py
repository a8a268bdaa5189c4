#!/usr/bin/env python3
"""Generate ``shared/codes.py`` from the NENA EIDO standard text (NENA-STA-021).

The app must never read data files at runtime (mobile packaging rule), so the EIDO
registries are baked into a plain-literal Python module. Re-run after updating the standard:

    python build/gen_codes.py [STANDARD_TXT] [-o shared/codes.py] [--check]

``STANDARD_TXT`` defaults to ``../shared/data/eido-standard-nena-sta-021.txt`` relative to the
repository root. ``--check`` writes nothing and exits 1 if the output file is out of date.

Table shape in the text: a caption line ``Table 3N <title>``, the header lines ``Value``,
``Literal Description``, ``Reference``, then one row per value: the value line, one or more
description lines and a reference line (``This document``, ``APCO 2.103.2-2019``, ...).
Quirks of the text (left over from merged Word table cells) handled here:

* a row repeating the previous value (FVEH, MAYDAY) continues that value's description;
  the parts are joined with ``", "``;
* rows with an empty value and an empty description are dropped;
* ``RESERVED`` placeholder rows (Common Disposition Codes 46-100) are dropped: they are held
  for a future APCO release and are not assignable codes.

Anything else that does not fit the shape ends the table; duplicated codes and unknown
reference lines abort the generation instead of producing a silently wrong module.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STANDARD = REPO_ROOT / ".." / "shared" / "data" / "eido-standard-nena-sta-021.txt"
DEFAULT_OUTPUT = REPO_ROOT / "shared" / "codes.py"

LINE_LENGTH = 100
INDENT = "    "

CAPTION_RE = re.compile(r"^Table\s+\d+\s+(?P<title>\S.*)$")
HEADER = ("Value", "Literal Description", "Reference")
REFERENCE_RE = re.compile(
    r"^(?:This document"
    r"|APCO (?:ANS )?\d+(?:\.\d+)+-\d{4}"
    r"|Future release of APCO ANS \d+(?:\.(?:\d+|x))+)$"
)
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
DASHES_RE = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")
# Any run of (Unicode) whitespace, including NBSP and zero-width characters, becomes one space.
WHITESPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
MAX_DESCRIPTION_LINES = 4


class GenerationError(Exception):
    """The standard text does not have the expected shape."""


@dataclass(frozen=True)
class Registry:
    constant: str
    section: str
    title: str  # table caption without the "Table 3N" prefix
    summary: str


REGISTRIES: tuple[Registry, ...] = (
    Registry(
        "INCIDENT_TYPES",
        "3.2",
        "Incident Type - Common Registry",
        "EIDO-IncidentType-Common (APCO ANS 2.103.2-2019 common incident types).",
    ),
    Registry(
        "INCIDENT_STATUSES",
        "3.3",
        "Incident Status - Common Registry",
        "EIDO-IncidentStatus-Common.",
    ),
    Registry(
        "DISPOSITIONS",
        "3.5",
        "Common Disposition Codes Registry",
        "EIDO-CommonDispositionCode (APCO ANS 1.111.2-2018); RESERVED 46-100 omitted.",
    ),
    Registry(
        "PRIMARY_UNIT_STATUSES",
        "3.9",
        "Primary Unit Status-Common Registry",
        "EIDO-PrimaryUnitStatus-Common.",
    ),
    Registry(
        "SECONDARY_UNIT_STATUSES",
        "3.10",
        "Secondary Unit Status-Common Registry",
        "EIDO-SecondaryUnitStatus-Common.",
    ),
    Registry(
        "RESOURCE_TYPES",
        "3.11",
        "Emergency Resource Type-Common Registry",
        "EIDO-EmergencyResourceType-Common.",
    ),
)


@dataclass
class ParsedTable:
    entries: dict[str, str] = field(default_factory=dict)
    merged: int = 0
    empty: int = 0
    reserved: int = 0


def clean(text: str) -> str:
    """Collapse odd/non-breaking whitespace to single spaces and strip."""
    return WHITESPACE_RE.sub(" ", text).strip()


def normalise_title(text: str) -> str:
    return DASHES_RE.sub("-", clean(text)).casefold()


def find_table(lines: list[str], registry: Registry) -> int:
    """Return the index of the first line after the table header of ``registry``."""
    wanted = normalise_title(registry.title)
    hits = []
    for i, line in enumerate(lines):
        match = CAPTION_RE.match(clean(line))
        if match and normalise_title(match.group("title")) == wanted:
            hits.append(i)
    if len(hits) != 1:
        raise GenerationError(
            f"{registry.constant}: expected one caption 'Table ... {registry.title}', "
            f"found {len(hits)}"
        )
    start = hits[0] + 1
    header = tuple(clean(line) for line in lines[start : start + len(HEADER)])
    if header != HEADER:
        raise GenerationError(
            f"{registry.constant}: line {start + 1}: expected header {HEADER}, got {header}"
        )
    return start + len(HEADER)


def parse_table(lines: list[str], registry: Registry) -> ParsedTable:
    table = ParsedTable()
    i = find_table(lines, registry)
    last_code: str | None = None
    while i < len(lines):
        value = clean(lines[i])
        # The reference line closes the row; descriptions may span a few lines.
        ref_at = None
        for j in range(i + 2, min(i + 2 + MAX_DESCRIPTION_LINES, len(lines))):
            if REFERENCE_RE.match(clean(lines[j])):
                ref_at = j
                break
            if not clean(lines[j]) or REFERENCE_RE.match(clean(lines[j - 1])):
                break
        if ref_at is None:
            break  # end of table
        description_lines = [clean(line) for line in lines[i + 1 : ref_at]]
        description = " ".join(part for part in description_lines if part)
        lineno = i + 1
        if not value:
            if ref_at != i + 2:
                break  # blank line followed by prose: end of table
            if not description:
                table.empty += 1
            elif last_code is None:
                raise GenerationError(f"{registry.constant}: line {lineno}: row without value")
            else:
                table.entries[last_code] += ", " + description
                table.merged += 1
        elif not CODE_RE.match(value) or not all(description_lines):
            break  # a section heading or prose, not a registry row
        elif value == last_code:
            table.entries[value] += ", " + description
            table.merged += 1
        elif value in table.entries:
            raise GenerationError(f"{registry.constant}: line {lineno}: duplicate code {value!r}")
        elif description.upper() == "RESERVED":
            table.reserved += 1
            last_code = None
        else:
            table.entries[value] = description
            last_code = value
        i = ref_at + 1
    if not table.entries:
        raise GenerationError(f"{registry.constant}: no rows parsed")
    return table


def py_string(text: str) -> str:
    """ASCII-only Python string literal (non-ASCII as escapes), quoted like ``ruff format``.

    Double quotes unless single quotes need fewer escapes.
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = [quote]
    for ch in text:
        code = ord(ch)
        if ch in (quote, "\\"):
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append(quote)
    return "".join(out)


def split_words(text: str, width: int) -> list[str]:
    """Split ``text`` into chunks whose literals fit ``width``; chunks keep trailing spaces."""
    chunks: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*|\s+", text):
        if current and len(py_string(current + word)) > width:
            chunks.append(current)
            current = ""
        while len(py_string(word)) > width:  # a single over-long word: hard split
            cut = len(word)
            while len(py_string(word[:cut])) > width:
                cut -= 1
            chunks.append(word[:cut])
            word = word[cut:]
        current += word
    if current:
        chunks.append(current)
    return chunks


def render_entry(code: str, description: str) -> list[str]:
    line = f"{INDENT}{py_string(code)}: {py_string(description)},"
    if len(line) <= LINE_LENGTH:
        return [line]
    inner = INDENT * 2
    parts = split_words(description, LINE_LENGTH - len(inner))
    return [
        f"{INDENT}{py_string(code)}: (",
        *(f"{inner}{py_string(part)}" for part in parts),
        f"{INDENT}),",
    ]


def render(tables: dict[str, ParsedTable], source_name: str) -> str:
    out = [
        '"""NENA EIDO registries (NENA-STA-021, section 3) as plain Python literals.',
        "",
        f"GENERATED by build/gen_codes.py from NENA-STA-021 ({source_name}).",
        "DO NOT EDIT BY HAND: fix the generator and re-run ``python build/gen_codes.py``.",
        "",
        "Each constant maps a registry value (code) to its literal description, in the",
        "standard's order. The runtime must not read data files, hence this module.",
        '"""',
        "",
        "from typing import Final",
    ]
    for registry in REGISTRIES:
        table = tables[registry.constant]
        out += [
            "",
            f"# {registry.section} {registry.title}: {len(table.entries)} entries.",
            f"# {registry.summary}",
            f"{registry.constant}: Final[dict[str, str]] = {{",
        ]
        for code, description in table.entries.items():
            out += render_entry(code, description)
        out.append("}")
    return "\n".join(out) + "\n"


def generate(standard: Path) -> tuple[str, dict[str, ParsedTable]]:
    lines = standard.read_text(encoding="utf-8-sig").splitlines()
    tables = {registry.constant: parse_table(lines, registry) for registry in REGISTRIES}
    return render(tables, standard.name), tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "standard",
        nargs="?",
        type=Path,
        default=DEFAULT_STANDARD,
        help="NENA-STA-021 text (default: %(default)s)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="default: %(default)s"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that the output is up to date"
    )
    args = parser.parse_args(argv)
    standard: Path = args.standard
    output: Path = args.output
    try:
        source, tables = generate(standard)
    except (OSError, GenerationError) as exc:
        print(f"gen_codes: {exc}", file=sys.stderr)
        return 2
    for name, table in tables.items():
        print(
            f"{name}: {len(table.entries)} entries "
            f"(merged {table.merged} continuation rows, skipped {table.empty} empty rows, "
            f"{table.reserved} reserved)",
            file=sys.stderr,
        )
    if args.check:
        current = output.read_bytes() if output.exists() else b""
        if current != source.encode("ascii"):
            print(f"gen_codes: {output} is out of date", file=sys.stderr)
            return 1
        return 0
    output.write_bytes(source.encode("ascii"))
    print(f"gen_codes: wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
