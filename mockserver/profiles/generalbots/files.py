"""General Bots report files: CSV, JSON and PDF renderings of one report table.

Kept apart from the profile because the PDF needs a layout library (fpdf2) that nothing else uses.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from mockserver.jobs.model import Job
from mockserver.profiles.generalbots.reports import Table

_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"}


def render(job: Job, table: Table) -> tuple[bytes, str, str]:
    header, rows, totals = table
    fmt = job.params["format"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        content = out.getvalue().encode()
    elif fmt == "json":
        content = json.dumps(
            {
                "report": {k: job.params[k] for k in ("type", "start_date", "end_date")} | {"id": job.id},
                "rows": [dict(zip(header, row)) for row in rows],
                "totals": totals,
            },
            indent=2,
        ).encode()
    else:
        content = _pdf(job, header, rows, totals)
    return content, _MEDIA[fmt], f"report-{job.params['type']}-{job.id}.{fmt}"


def _pdf(job: Job, header: list[str], rows: list[list[Any]], totals: dict[str, int]) -> bytes:
    """A one-table report with a bar chart of the first figure per day."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L" if len(header) > 5 else "P")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, f"General Bots {job.params['type']} report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, f"{job.params['start_date']} to {job.params['end_date']}  -  report {job.id}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    values = [row[1] for row in rows]
    if values:
        top = max(values) or 1
        width = pdf.epw / len(values)
        base_y = pdf.get_y() + 40
        pdf.set_fill_color(52, 120, 200)
        for i, value in enumerate(values):
            height = 38 * value / top
            pdf.rect(pdf.l_margin + i * width, base_y - height, max(width * 0.8, 0.2), height, style="F")
        pdf.set_y(base_y + 2)
        pdf.set_font("Helvetica", size=8)
        pdf.cell(0, 5, f"{header[1]} per day (max {top})", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    # A plain grid of cells: fpdf's table() lays out every row and took 14 s for 5000 days.
    pdf.set_font("Helvetica", size=8)
    width = pdf.epw / len(header)
    pdf.set_draw_color(190, 190, 190)

    def line(cells: list[str], bold: bool = False) -> None:
        if pdf.will_page_break(5):
            pdf.add_page()
            if cells is not header:
                line(header, bold=True)  # each page starts with the column names
        pdf.set_font("Helvetica", "B" if bold else "", 8)
        for i, text in enumerate(cells):
            pdf.cell(width, 5, text, border="B", align="L" if i == 0 else "R")
        pdf.ln(5)

    line(header, bold=True)
    for row in rows:
        line([str(v) for v in row])
    line(["total", *(str(totals[column]) for column in header[1:])], bold=True)
    return bytes(pdf.output())
