"""What a load returns: per file, per night (folder), per run. Counts and names only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# NightResult.status
LOADED = "loaded"  # loaded now (possibly with quarantined rows; possibly a correction)
UNCHANGED = "unchanged"  # already loaded with the same content: nothing done
REJECTED = "rejected"  # a file failed its manifest/contract check: nothing of the folder loaded
WAITING = "waiting"  # council delta whose predecessor is missing
NOT_READY = "not_ready"  # no folder, or no _manifest.json yet

PROBLEM_STATUSES = (REJECTED, WAITING)


@dataclass
class FileResult:
    file_name: str
    table: str
    status: str  # loaded | quarantined | rejected | waiting
    rows_manifest: int | None = None
    rows_loaded: int = 0
    rows_quarantined: int = 0
    deletes_unknown: int = 0
    reason: str | None = None
    seconds: float = 0.0


@dataclass
class NightResult:
    system: str
    extract_date: date
    status: str
    folder: str
    batch_id: int | None = None
    message: str = ""
    files: list[FileResult] = field(default_factory=list)
    is_correction: bool = False
    is_current: bool | None = None
    superseded_batch: int | None = None
    waiting_for: date | None = None
    previously: bool = False  # rejected/waiting result repeated from an earlier run, unchanged
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files) if self.status == LOADED else 0

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files) if self.status == LOADED else 0

    @property
    def files_loaded(self) -> int:
        return len(self.files) if self.status == LOADED else 0

    @property
    def files_rejected(self) -> int:
        return (
            sum(1 for f in self.files if f.status == "rejected") if self.status == REJECTED else 0
        )

    @property
    def deletes_unknown(self) -> int:
        return sum(f.deletes_unknown for f in self.files) if self.status == LOADED else 0

    @property
    def problem(self) -> bool:
        return self.status in PROBLEM_STATUSES

    @property
    def label(self) -> str:
        return f"{self.system} {self.extract_date.isoformat()}"

    def summary_line(self) -> str:
        """One line for a log or the console: counts, names, never row contents."""
        if self.status == LOADED:
            extra = []
            if self.is_correction:
                extra.append(f"correction, supersedes batch {self.superseded_batch}")
            if self.is_current is False:
                extra.append("not current: a newer snapshot is loaded")
            if self.rows_quarantined:
                extra.append(f"{self.rows_quarantined} rows quarantined")
            if self.deletes_unknown:
                extra.append(f"{self.deletes_unknown} deletes for keys never inserted")
            more = f" ({'; '.join(extra)})" if extra else ""
            return (
                f"{self.label}: loaded batch {self.batch_id}, {self.files_loaded} files, "
                f"{self.rows_loaded} rows in {self.seconds:.1f}s{more}"
            )
        return f"{self.label}: {self.status.replace('_', ' ')} - {self.message}"

    def problem_lines(self) -> list[str]:
        """Actionable lines: system, date, file and reason for each rejected file."""
        lines = []
        for f in self.files:
            if (
                f.status == "rejected"
                and f.reason
                and f.reason != self.message
                and not f.reason.startswith("not loaded:")
            ):
                lines.append(f"{self.label} {f.file_name} ({f.table}): {f.reason}")
        return lines


@dataclass
class LoadSummary:
    nights: list[NightResult] = field(default_factory=list)
    seconds: float = 0.0
    not_ready: int = 0
    skipped_rejected: int = 0  # previously rejected folders, unchanged since (not retried)
    later: int = 0  # folders after load_pending(until=...), left for a later run

    def count(self, status: str) -> int:
        return sum(1 for n in self.nights if n.status == status)

    @property
    def folders(self) -> int:
        return len(self.nights)

    @property
    def files(self) -> int:
        return sum(n.files_loaded for n in self.nights)

    @property
    def rows_loaded(self) -> int:
        return sum(n.rows_loaded for n in self.nights)

    @property
    def rows_quarantined(self) -> int:
        return sum(n.rows_quarantined for n in self.nights)

    @property
    def files_rejected(self) -> int:
        return sum(n.files_rejected for n in self.nights)

    @property
    def exit_code(self) -> int:
        """0 all loaded (quarantined rows alone are a warning), 1 rejected or waiting."""
        return 1 if any(n.problem for n in self.nights) else 0

    def summary_line(self) -> str:
        parts = [
            f"{self.folders} folders ({self.count(LOADED)} loaded, {self.count(UNCHANGED)} "
            f"unchanged, {self.count(REJECTED)} rejected, {self.count(WAITING)} waiting)",
            f"{self.files} files",
            f"{self.rows_loaded} rows loaded",
            f"{self.rows_quarantined} rows quarantined",
            f"{self.files_rejected} files rejected",
            f"{self.seconds:.1f}s",
        ]
        if self.not_ready:
            parts.append(f"{self.not_ready} folders not ready (no manifest)")
        if self.later:
            parts.append(f"{self.later} later folders left for their night")
        if self.skipped_rejected:
            parts.append(f"{self.skipped_rejected} previously rejected folders unchanged")
        return ", ".join(parts)
