"""A small, fast and byte-deterministic xlsx writer (Office Open XML, what Excel writes in
spirit): inline strings, numbers, dates as serial numbers with a date number format. Zip entry
times and the workbook's created/modified properties come from the caller, so the same
content always gives the same bytes. openpyxl reads the result (see the tests)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape

EXCEL_EPOCH = 693594  # date(1899, 12, 30).toordinal()


class DateCell(int):
    """An Excel date: the serial day number, written with the date style."""


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _sheet_xml(rows: list[list]) -> bytes:
    letters = [col_letter(i) for i in range(max((len(r) for r in rows), default=1))]
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{letters[-1]}{max(1, len(rows))}"/><sheetData>'
    ]
    for n, row in enumerate(rows, start=1):
        out.append(f'<row r="{n}">')
        for i, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{letters[i]}{n}"
            if isinstance(v, DateCell):
                out.append(f'<c r="{ref}" s="1"><v>{int(v)}</v></c>')
            elif isinstance(v, bool):
                out.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                out.append(
                    f'<c r="{ref}"><v>{v!r}</v></c>'
                    if isinstance(v, float)
                    else f'<c r="{ref}"><v>{v}</v></c>'
                )
            else:
                s = escape(str(v))
                sp = ' xml:space="preserve"' if s != s.strip() else ""
                out.append(f'<c r="{ref}" t="inlineStr"><is><t{sp}>{s}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")


def workbook_bytes(
    sheets: list[tuple[str, list[list]]], when: datetime, creator: str = "HR system"
) -> bytes:
    """The workbook (``sheets`` = [(name, rows)], row 1 the header) as bytes."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    n = len(sheets)
    files: list[tuple[str, bytes]] = []
    ct = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    ]
    for i in range(1, n + 1):
        ct.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
    ct.append("</Types>")
    files.append(("[Content_Types].xml", "".join(ct).encode()))
    files.append(
        (
            "_rels/.rels",
            (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
                b'<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
                b"</Relationships>"
            ),
        )
    )
    files.append(
        (
            "docProps/core.xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f"<dc:creator>{escape(creator)}</dc:creator>"
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
                "</cp:coreProperties>"
            ).encode(),
        )
    )
    files.append(
        (
            "docProps/app.xml",
            (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                b"<Application>Microsoft Excel</Application></Properties>"
            ),
        )
    )
    wb = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    ]
    rels = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    ]
    for i, (name, _) in enumerate(sheets, start=1):
        wb.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
        rels.append(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
        )
    wb.append("</sheets></workbook>")
    rels.append(
        f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    )
    rels.append("</Relationships>")
    files.append(("xl/workbook.xml", "".join(wb).encode()))
    files.append(("xl/_rels/workbook.xml.rels", "".join(rels).encode()))
    files.append(
        (
            "xl/styles.xml",
            (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
                b'<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                b'<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                b"</styleSheet>"
            ),
        )
    )
    for i, (_, rows) in enumerate(sheets, start=1):
        files.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows)))
    buf = io.BytesIO()
    zt = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=zt)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            zf.writestr(info, data, compresslevel=6)
    return buf.getvalue()
