"""The report's page: its style, a sortable-table script, and HTML helpers."""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;
padding:1em 2em;color:#1b1b1b;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #4c72b0;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#eef2f8;cursor:default}
td.l,th.l{text-align:left}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em}
.card{display:inline-block;vertical-align:top;width:31%;min-width:280px;border:1px solid #ccd;
border-radius:6px;padding:.6em .8em;margin:.4em .4em 0 0;font-size:13px}
img{max-width:100%}nav a{margin-right:1em}table.sortable th{cursor:pointer}
.scroll{max-height:480px;overflow:auto;border:1px solid #ddd}
"""

SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, column){
    th.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.dataset.order !== 'asc';
      th.dataset.order = ascending ? 'asc' : 'desc';
      rows.sort(function(a, b){
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? cmp : -cmp;
      });
      rows.forEach(function(row){ body.appendChild(row); });
    });
  });
});
"""


def img(png: bytes, alt: str) -> str:
    """An inline PNG image."""
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def fmt(value) -> str:
    """A cell value as text: yes/no, 4 significant digits, or escaped text."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.4g}"
    return html.escape(str(value))


def table(
    frame: pd.DataFrame, *, sortable: bool = False, index: bool = True, left: tuple = ()
) -> str:
    """An HTML table of a DataFrame; ``left`` columns (and the first) align left."""
    frame = frame.reset_index() if index else frame
    cls = ' class="sortable"' if sortable else ""
    head = "".join(
        f'<th class="l">{html.escape(str(c))}</th>'
        if c in left or i == 0
        else f"<th>{html.escape(str(c))}</th>"
        for i, c in enumerate(frame.columns)
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="l">{fmt(v)}</td>' if c in left or i == 0 else f"<td>{fmt(v)}</td>"
            for i, (c, v) in enumerate(row.items())
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def page(sections: list[str]) -> str:
    """A self-contained HTML page of the sections, with the style and the sort script."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>camg_bayes report</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}<script>{SORT_SCRIPT}</script>"
        "</body></html>"
    )
