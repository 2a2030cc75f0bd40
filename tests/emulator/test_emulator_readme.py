"""The README's behaviour table says, row by row, whether Intuit documents a behaviour or we chose it."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "qbo_emulator" / "README.md"


def behaviour_rows() -> list[tuple[str, str]]:
    text = README.read_text()
    table = text[text.index("## Behaviours") : text.index("## Known gaps")]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # skip the header
    return [tuple(cell.strip() for cell in row.strip("|").rsplit("|", 1)) for row in rows]


def test_every_behaviour_is_marked_documented_or_choice():
    rows = behaviour_rows()
    assert len(rows) > 60
    unmarked = [what for what, status in rows if not status.startswith(("[V]", "choice"))]
    assert unmarked == []


def test_readme_documents_the_lost_response_modes_that_exist():
    from qbo_emulator.guard import FAULT_KEYS, clean_faults

    text = README.read_text()
    for key in FAULT_KEYS:
        assert f"`{key}`" in text
    assert '`"error"` (default) \\| `"timeout"`' in text
    assert clean_faults({"lost_response_mode": "timeout"}) == {"lost_response_mode": "timeout"}
