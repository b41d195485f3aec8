"""The circular as a Word document laid out like an official one (A4, 仿宋 body, 黑体 headings)."""

import copy
import io

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.simpletypes import ST_Merge
from docx.shared import Mm, Pt
from flask_babel import gettext as _

from emergency.circulars import drafting
from emergency.circulars.report import Circular

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: GB/T 9704 sizes: title 二号 (22 pt), body 三号 (16 pt); tables in 小四 (12 pt) to fit.
BODY, HEADING, TITLE, TABLE = ("仿宋", 16), ("黑体", 16), ("黑体", 22), ("仿宋", 12)
SUBHEADING = ("楷体", 16)
TABLE_HEADER = ("黑体", 12)
#: Two characters of first-line indent, as official documents have.
INDENT = Pt(32)
#: Column widths (mm) filling the 156 mm between the margins; Word's default is equal widths.
UNIT_WIDTHS = (12, 26, 46, 18, 16, 38)
CHANGE_WIDTHS = (36, 20, 20, 20, 20, 18, 22)


def _set_font(target, font: tuple[str, int], bold: bool | None = None) -> None:
    """Set a run's or style's font for Latin and Chinese text alike.

    Word picks the font of Chinese characters from the eastAsia attribute, which python-docx's
    font.name does not set; without it Word shows 仿宋 text in the default Chinese font.
    """
    name, size = font
    target.font.name, target.font.size = name, Pt(size)
    if bold is not None:
        target.font.bold = bold
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _a4(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _paragraph(document, text: str, font=BODY, *, indent=True, align=None, exact=28):
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(exact)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = INDENT
    if align is not None:
        paragraph.alignment = align
    _set_font(paragraph.add_run(text), font)
    return paragraph


def _cell(cell, text, font=TABLE, align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(18)
    fmt.first_line_indent = Pt(0)
    _set_font(paragraph.add_run(str(text)), font)


def _table(document, headers, rows, widths, centred):
    """Add a bordered table whose header row repeats on every page; return its body rows' <w:tc>s.

    Body rows are copies of one formatted row: python-docx's add_row() and add_run() cost a few
    milliseconds a row, too slow for a city's thousands of units.
    """
    table = document.add_table(rows=2, cols=len(headers))
    table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    header, prototype = table.rows
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for index, (head, cell) in enumerate(zip(header.cells, prototype.cells, strict=True)):
        # Word reads the width of each cell, not of the column.
        head.width = cell.width = Mm(widths[index])
        _cell(head, str(headers[index]), TABLE_HEADER, WD_ALIGN_PARAGRAPH.CENTER)
        _cell(cell, "#", align=WD_ALIGN_PARAGRAPH.CENTER if index in centred
              else WD_ALIGN_PARAGRAPH.LEFT)
    template = prototype._tr
    body = []
    for values in rows:
        tr = copy.deepcopy(template)
        tcs = tr.tc_lst
        for tc, value in zip(tcs, values, strict=True):
            run = tc.xpath(".//w:r")[0]
            if value is None or value == "":
                # No empty run: a merged cell keeps the text of every cell that is not empty.
                run.getparent().remove(run)
            else:
                run.xpath("./w:t")[0].text = str(value)
        template.addprevious(tr)
        body.append(tcs)
    template.getparent().remove(template)
    return body


def _overdue_section(document, circular: Circular) -> None:
    _paragraph(document, str(drafting.HEADINGS["overdue"]), HEADING)
    counties = circular.listed_counties
    if not counties:
        _paragraph(document, _("No unit had an overdue item."))
        return
    for number, county in enumerate(counties, start=1):
        _paragraph(document, drafting.county_heading(number, county), SUBHEADING)
        rows = drafting.county_rows(county)
        tcs = _table(document, [str(h) for h in drafting.UNIT_COLUMNS],
                     [(r["number"], r["town"] if r["town_rows"] else None, r["name"], r["items"],
                       r["previous"], r["kinds"]) for r in rows], UNIT_WIDTHS, {0, 3, 4})
        # The town is named once, in a cell spanning all its units' rows.
        for index, row in enumerate(rows):
            if row["town_rows"] > 1:
                tcs[index][1].vMerge = ST_Merge.RESTART
                for following in tcs[index + 1:index + row["town_rows"]]:
                    following[1].vMerge = ST_Merge.CONTINUE


def _progress_section(document, circular: Circular, text: dict) -> None:
    _paragraph(document, str(drafting.HEADINGS["progress"]), HEADING)
    for line in text["improvements"]:
        _paragraph(document, line)
    rows = drafting.change_rows(circular)
    if rows:
        _table(document, [str(h) for h in drafting.CHANGE_COLUMNS], rows, CHANGE_WIDTHS,
               set(range(1, len(CHANGE_WIDTHS))))


def circular_docx(circular: Circular, text: dict) -> bytes:
    """Return the circular as DOCX bytes: the edited text around tables built from the figures."""
    document = docx.Document()
    _a4(document)
    _set_font(document.styles["Normal"], BODY)
    document.core_properties.title = text["title"]
    _paragraph(document, text["title"], TITLE, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER,
               exact=36)
    _paragraph(document, "", indent=False)
    if text["addressees"]:
        _paragraph(document, text["addressees"], indent=False)
    for line in text["lead"]:
        _paragraph(document, line)
    _overdue_section(document, circular)
    _progress_section(document, circular, text)
    _paragraph(document, str(drafting.HEADINGS["requirements"]), HEADING)
    for line in text["requirements"]:
        _paragraph(document, line)
    _paragraph(document, "", indent=False)
    for line in (text["issuer"], text["issued_on"]):
        _paragraph(document, line, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
