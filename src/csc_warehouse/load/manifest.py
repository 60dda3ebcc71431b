"""The delivery manifest (``_manifest.json``) and the per-file checks against it.

A folder is read only once its manifest is there (the systems write it last). The manifest is
checked against the folder it is in and the system's contract; file names are untrusted input:
a name with a path component (``../../etc/passwd``, ``/abs``, ``a/b``, ``a\\b``) is refused,
and only regular files inside the folder are ever opened.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from csc_warehouse.contracts import Contract

MANIFEST = "_manifest.json"
MAX_MANIFEST_BYTES = 1024 * 1024
_SHA = re.compile(r"[0-9a-f]{64}\Z")


class ManifestError(Exception):
    """The manifest cannot be used; the folder is rejected whole."""


def shown(name: object, limit: int = 60) -> str:
    """An untrusted name fit for a message or log line: printable, bounded."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(name))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_safe_name(name: object) -> bool:
    """A plain file name: no directory part, no parent reference, nothing hidden or special."""
    if not isinstance(name, str) or not name or len(name) > 255:
        return False
    if name in (".", "..") or name.startswith("."):
        return False
    if any(ch in name for ch in "/\\\x00") or not name.isprintable():
        return False
    return not re.match(r"[A-Za-z]:", name)


@dataclass(frozen=True)
class ManifestFile:
    name: str
    table: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    system: str
    extract_date: date
    schema_version: str
    mode: str
    generated_at: str | None
    files: tuple[ManifestFile, ...]
    fingerprint: str  # sha256 of the content (not of generated_at): same delivery, same value

    @property
    def file_names(self) -> list[str]:
        out: list[str] = []
        for f in self.files:
            if f.name not in out:
                out.append(f.name)
        return out


def manifest_fingerprint_of_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(folder: Path, contract: Contract, extract_date: date) -> Manifest:
    """Read and check ``folder/_manifest.json``; raise ManifestError with an actionable reason."""
    path = folder / MANIFEST
    if not path.is_file() or path.is_symlink():
        raise ManifestError(f"{MANIFEST} is missing (the folder is still being written)")
    data = path.read_bytes()[: MAX_MANIFEST_BYTES + 1]
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(f"{MANIFEST} is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{MANIFEST} is not a JSON object")
    system = raw.get("system")
    if system != contract.system:
        raise ManifestError(
            f"{MANIFEST} says system {shown(system)!r}, the folder is {contract.system}"
        )
    if raw.get("extract_date") != extract_date.isoformat():
        raise ManifestError(
            f"{MANIFEST} says extract_date {shown(raw.get('extract_date'))!r}, "
            f"the folder is {extract_date.isoformat()}"
        )
    version = raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not re.fullmatch(r"\d{1,4}", version):
        raise ManifestError(f"{MANIFEST}: schema_version {shown(version)!r} is not a number")
    mode = raw.get("mode")
    allowed_modes = {"full"} if contract.mode == "full" else {"delta", "full"}
    if mode not in allowed_modes:
        raise ManifestError(
            f"{MANIFEST}: mode {shown(mode)!r}, expected {' or '.join(sorted(allowed_modes))}"
        )
    files = raw.get("files")
    if not isinstance(files, list) or not files:
        raise ManifestError(f"{MANIFEST}: no files listed")
    out: list[ManifestFile] = []
    seen_tables: set[str] = set()
    for entry in files:
        if not isinstance(entry, dict):
            raise ManifestError(f"{MANIFEST}: a files entry is not an object")
        name = entry.get("name")
        if not is_safe_name(name):
            raise ManifestError(
                f"{MANIFEST}: unsafe file name {shown(name)!r} (a plain name in the folder "
                "is required)"
            )
        table = entry.get("table")
        if table not in contract.tables:
            # hr lists its sheets by sheet name: accept the sheet name as well
            by_sheet = [t.name for t in contract.tables.values() if t.sheet and t.sheet == table]
            if not by_sheet:
                raise ManifestError(f"{MANIFEST}: {shown(name)} has unknown table {shown(table)!r}")
            table = by_sheet[0]
        expected_file = contract.tables[table].file
        if name != expected_file:
            raise ManifestError(
                f"{MANIFEST}: table {table} must be delivered as {expected_file}, not {shown(name)}"
            )
        if table in seen_tables:
            raise ManifestError(f"{MANIFEST}: table {table} is listed twice")
        seen_tables.add(table)
        rows = entry.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise ManifestError(f"{MANIFEST}: {name} ({table}) has no valid row count")
        sha = entry.get("sha256")
        if not isinstance(sha, str) or not _SHA.match(sha.lower()):
            raise ManifestError(f"{MANIFEST}: {name} ({table}) has no valid sha256")
        out.append(ManifestFile(name=name, table=table, rows=rows, sha256=sha.lower()))
    missing = [t for t in contract.tables if t not in seen_tables]
    if missing:
        raise ManifestError(
            f"{MANIFEST}: no entry for table(s) {', '.join(missing)} (every file is delivered "
            "every night)"
        )
    shas = {}
    for f in out:
        if shas.setdefault(f.name, f.sha256) != f.sha256:
            raise ManifestError(f"{MANIFEST}: {f.name} is listed with two different sha256")
    canonical = json.dumps(
        {
            "system": system,
            "extract_date": extract_date.isoformat(),
            "schema_version": version,
            "mode": mode,
            "files": sorted([f.name, f.table, f.rows, f.sha256] for f in out),
        },
        sort_keys=True,
    )
    generated_at = raw.get("generated_at")
    return Manifest(
        system=system,
        extract_date=extract_date,
        schema_version=version,
        mode=mode,
        generated_at=shown(generated_at, 40) if generated_at is not None else None,
        files=tuple(out),
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def file_path(folder: Path, name: str) -> Path:
    """The path of a manifest file inside the folder; refuses anything that escapes it."""
    if not is_safe_name(name):
        raise ManifestError(f"unsafe file name {shown(name)!r}")
    path = folder / name
    if path.is_symlink():
        raise ManifestError(f"{name} is a symbolic link (refused)")
    if path.resolve().parent != folder.resolve():
        raise ManifestError(f"{name} is outside the folder (refused)")
    return path


@dataclass(frozen=True)
class FileScan:
    """What one streamed pass over a file learns: checksum, size, and for text files whether
    it is clean UTF-8 and holds bytes that need COPY escaping (so the load can skip per-line
    encoding checks and per-row escaping when the file is clean - the usual case)."""

    sha256: str
    size: int
    utf8_ok: bool = False
    has_special: bool = True  # a backslash, tab or NUL somewhere
    has_cr: bool = True  # a carriage return somewhere


def scan_file(path: Path, *, text: bool = False, chunk: int = 1 << 20) -> FileScan:
    h = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8")() if text else None
    utf8_ok = text
    special = cr = False
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
            size += len(block)
            if text:
                if not special and (b"\\" in block or b"\t" in block or b"\x00" in block):
                    special = True
                if not cr and b"\r" in block:
                    cr = True
                if utf8_ok and not (block.isascii() and not decoder.getstate()[0]):
                    try:
                        if "\ufffd" in decoder.decode(block):
                            utf8_ok = False
                    except UnicodeDecodeError:
                        utf8_ok = False
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    return FileScan(h.hexdigest(), size, utf8_ok, special if text else True, cr if text else True)


def sha256_file(path: Path, chunk: int = 1 << 20) -> tuple[str, int]:
    """(sha256 hex, size in bytes), streamed."""
    scan = scan_file(path, chunk=chunk)
    return scan.sha256, scan.size
