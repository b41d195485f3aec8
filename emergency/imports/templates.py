"""Import templates: an XLSX with the Chinese headers, an instructions sheet and the regions.

The headers and instructions are in Chinese whatever the page language: they are the data
format of the office's registers, and the importer recognises exactly these headers (plus the
aliases listed in units.py / plans.py, including English ones).
"""

import io

from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from emergency.auth.scoping import region_clause
from emergency.extensions import db
from emergency.imports.drills import DRILL_COLUMNS
from emergency.imports.plans import PLAN_COLUMNS
from emergency.imports.readers import Column
from emergency.imports.units import UNIT_COLUMNS
from emergency.labels import (
    ASSESSMENT_CLASSES,
    DRILL_FORMS,
    DRILL_PURPOSES,
    DRILL_SCOPES,
    EVALUATION_CONCLUSIONS,
    HAZARD_CLASSES,
    PLAN_CATEGORIES,
    REGION_LEVELS,
    RISK_TAGS,
    SIGNER_ROLES,
    UNIT_KINDS,
)
from emergency.regions.models import Region
from emergency.units.services import UNIT_REGION_LEVELS

FILE_NAMES = {"units": "单位及联络员导入模板.xlsx", "plans": "预案台账导入模板.xlsx",
              "drills": "演练台账导入模板.xlsx"}
SHEET_TITLES = {"units": "单位", "plans": "预案台账", "drills": "演练台账"}
COLUMNS = {"units": UNIT_COLUMNS, "plans": PLAN_COLUMNS, "drills": DRILL_COLUMNS}
#: Rows given drop-down lists in the data sheet.
PREPARED_ROWS = 50_000
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def _zh(labels: dict) -> list[str]:
    with force_locale("zh"):
        return [str(label) for label in labels.values()]


def _choices() -> dict[str, list[str]]:
    return {
        "kind": _zh(UNIT_KINDS),
        "risk_tags": _zh(RISK_TAGS),
        "assessment_class": _zh(ASSESSMENT_CLASSES),
        "category": _zh(PLAN_CATEGORIES),
        "hazard_class": _zh(HAZARD_CLASSES),
        "signer_role": _zh(SIGNER_ROLES),
        "conclusion": _zh(EVALUATION_CONCLUSIONS),
        "form": _zh(DRILL_FORMS),
        "scope": _zh(DRILL_SCOPES),
        "purpose": _zh(DRILL_PURPOSES),
    }


_NOTES = {
    "name": "单位全称，与系统中登记的名称一致。",
    "kind": "从下拉列表选择，也可填写系统中的类型代码。",
    "region": "填写区划代码（6 位区县代码、9 位乡镇（街道）代码或 12 位村（社区）代码），"
              "或完整名称路径，如“黑河市/爱辉区/花园街道”。可用代码见“区划代码”工作表。",
    "identifier": "企业必填 18 位统一社会信用代码；学校、幼儿园、高校填 10 位学校标识码。"
                  "请按文本格式填写，全角字符会自动转换。",
    "risk_tags": "可填多个，用顿号“、”或逗号分隔。",
    "assessment_class": "一类、二类或三类，可不填。",
    "address": "可不填。",
    "phone": "可不填。",
    "liaison_name": "可不填。填写联络员信息时必须同时填写用户名和邮箱。",
    "liaison_username": "字母、数字、点、短横线和下划线。用户名不存在时将创建联络员账号，"
                        "初始密码只在导入结果中显示一次。",
    "liaison_email": "联络员的电子邮箱。",
    "liaison_phone": "可不填。",
    "unit_identifier": "预案所属单位的统一社会信用代码或学校标识码；没有代码的单位可不填，"
                       "改填单位名称（同名单位较多时再填所属区划）。",
    "unit_name": "单位全称。单位须已在系统中登记（可先导入单位）。",
    "title": "预案全称。同一单位、同一名称视为同一预案。",
    "category": "从下拉列表选择。",
    "hazard_class": "从下拉列表选择。",
    "hazard_subtype": "如 防汛、森林防火，可不填。",
    "issued_on": "印发（公布）日期，如 2024-03-01 或 2024年3月1日。同一预案印发日期更晚的行"
                 "视为新版本，请按时间先后排列。",
    "signer_role": "不填视为主要负责人。",
    "filed_on": "已备案的填写备案日期，未备案的不填。",
    "filing_number": "可不填；填写时须同时填写备案日期，且不能与其他预案重复。",
    "evaluated_on": "最近一次评估日期，可不填。",
    "conclusion": "继续适用或需要修订；填写评估日期而不填结论视为继续适用。",
}
#: Notes of the drill register where a column key means something else than in the others.
_DRILL_NOTES = {
    "unit_identifier": "演练单位的统一社会信用代码或学校标识码；没有代码的单位可不填，"
                       "改填单位名称（同名单位较多时再填所属区划）。",
    "unit_name": "单位全称。单位须已在系统中登记（可先导入单位）。",
    "title": "可不填：不填时以所演练的第一个预案名称加“演练”为名称，未填预案的以演练形式为名称。"
             "同一单位、同一演练日期、同一名称视为同一次演练。",
    "plans": "本次演练所检验的预案名称，须是该单位已登记的预案（可先导入预案台账）；"
             "多个预案用顿号“、”或逗号分隔。可不填。",
    "held_on": "演练实际举行的日期，如 2024-03-01 或 2024年3月1日，不能晚于今天。",
    "form": "从下拉列表选择。",
    "scope": "从下拉列表选择。",
    "purpose": "不填视为检验性。",
    "duration_minutes": "分钟数，如 90；也可写 1小时30分。可不填。",
    "participants": "参加演练的人数，如 120。可不填。",
    "evacuation_seconds": "仅学校、幼儿园、高校填写：从发出疏散信号到全部人员撤离的秒数，"
                          "如 200；也可写 3分20秒。",
    "reported_on": "高危行业、人员密集场所等单位向负有监管职责的部门报告演练情况的日期，"
                   "不能早于演练日期。可不填。",
    "summary": "可不填。",
}
_GENERAL = {
    "units": (
        "在“单位”工作表中每行填写一个单位，第一行为表头，请勿修改表头文字；可以删除不需要的可选列。",
        "导入时先进行试运行：系统逐行列出将新建、更新或不变的单位，以及每个错误所在的行、列和原因；"
        "确认后才写入，全部写入或全部不写入。",
        "有统一社会信用代码（学校标识码）的单位按代码匹配，没有代码的单位按所属区划和单位名称匹配；"
        "同一文件重复导入不会产生重复单位。",
        "更新已有单位时，空白的可选单元格保留系统中原有的内容。",
        "单元格中的公式须已计算出结果；文本以“=”开头时按原样保存，不会作为公式执行。",
        "也可另存为 CSV（UTF-8 或 GB18030 编码）后导入。",
    ),
    "plans": (
        "在“预案台账”工作表中每行填写一个预案版本，第一行为表头，请勿修改表头文字。",
        "单位须已在系统中登记；预案文本等材料可在导入后到各预案页面上传。",
        "导入时先进行试运行，确认后才写入，全部写入或全部不写入。同一文件重复导入不会产生重复预案。",
        "日期可写成 2024-03-01、2024/3/1、2024.3.1、2024年3月1日 或 20240301；"
        "Excel 日期格式的单元格也可以。",
        "单元格中的公式须已计算出结果。也可另存为 CSV（UTF-8 或 GB18030 编码）后导入。",
    ),
    "drills": (
        "在“演练台账”工作表中每行填写一次已经举行的演练，第一行为表头，请勿修改表头文字。",
        "单位和所演练的预案须已在系统中登记；演练方案、评估报告、总结报告、照片、签到表等材料"
        "可在导入后到各演练页面上传，整改项也在演练页面添加。",
        "导入时先进行试运行，确认后才写入，全部写入或全部不写入。同一文件重复导入不会产生重复演练；"
        "年度演练计划中同日同名的计划演练将记为已举行。",
        "日期可写成 2024-03-01、2024/3/1、2024.3.1、2024年3月1日 或 20240301；"
        "Excel 日期格式的单元格也可以。",
        "单元格中的公式须已计算出结果。也可另存为 CSV（UTF-8 或 GB18030 编码）后导入。",
    ),
}


def template_bytes(kind: str, user, max_rows: int) -> bytes:
    """Build the import template of a kind with the regions the user may use."""
    columns = COLUMNS[kind]
    choices = _choices()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[kind]
    _data_sheet(sheet, columns, choices)
    _instructions(workbook.create_sheet("填写说明"), kind, columns, choices, max_rows)
    _regions(workbook.create_sheet("区划代码"), user)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data_sheet(sheet, columns: tuple[Column, ...], choices: dict) -> None:
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=position, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = column.width
        if column.as_text:
            # Typed codes stay text: Excel would turn 18 digits into 9.13501E+17.
            sheet.column_dimensions[letter].number_format = "@"
        if column.key in choices and column.key != "risk_tags":
            listed = ",".join(choices[column.key])
            validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True,
                                        showErrorMessage=False)
            validation.add(f"{letter}2:{letter}{PREPARED_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _instructions(sheet, kind: str, columns, choices: dict, max_rows: int) -> None:
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90
    sheet.append(["填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in (*_GENERAL[kind], f"每个文件最多 {max_rows} 行数据；更多数据请分成几个文件依次导入。"):
        sheet.append([line])
    sheet.append([])
    sheet.append(["列", "必填", "说明及可填写的值"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in columns:
        note = (_DRILL_NOTES if kind == "drills" else {}).get(column.key) \
            or _NOTES.get(column.key, "")
        if column.key in choices:
            note += "可填写：" + "、".join(choices[column.key]) + "。"
        sheet.append([column.header, "是" if column.required else "", note])
        sheet.cell(row=sheet.max_row, column=3).alignment = Alignment(wrap_text=True)


def _regions(sheet, user) -> None:
    sheet.append(["区划代码", "名称路径", "级别"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 50
    regions = db.session.execute(
        select(Region.code, Region.path, Region.level)
        .where(region_clause(user), Region.level.in_(list(UNIT_REGION_LEVELS)))
        .order_by(Region.path)).all()
    names = dict(db.session.execute(select(Region.code, Region.name)).all())
    with force_locale("zh"):
        levels = {level: str(label) for level, label in REGION_LEVELS.items()}
    for code, path, level in regions:
        # Below the province: the path people write ("黑河市/爱辉区/花园街道").
        parts = [names.get(part, part) for part in path.strip("/").split("/")[1:]]
        sheet.append([code, "/".join(parts), levels.get(level, level)])
        sheet.cell(row=sheet.max_row, column=1).number_format = "@"
