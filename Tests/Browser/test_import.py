"""Nhập từ Excel in a real browser at 360×740: the district officer downloads the results
template, fills it with openpyxl (one breakdown that does not add up), sees exactly that row in
the dry run, fixes the file, imports it as submitted; the province officer approves the results
and the dashboard shows them once the progress job ran."""

import re
import time

import openpyxl
from playwright.sync_api import expect

from conftest import VIEWPORT, shot, sign_in

CLUBS = "Câu lạc bộ thủ lĩnh của sự thay đổi"


def columns(sheet):
    """The column number of each key of the header (`Giá trị [value]` → value)."""
    keys = {}
    for cell in sheet[1]:
        match = re.search(r"\[([^\]]+)\]$", str(cell.value or ""))
        if match:
            keys[match.group(1)] = cell.column
    return keys


def fill(path, rows, values):
    """Writes `values` (unit name → value, nữ, nam) into the rows of those units and saves."""
    book = openpyxl.load_workbook(path)
    sheet = book.active
    keys = columns(sheet)
    for name, (value, women, men) in values.items():
        row = rows[name]
        sheet.cell(row=row, column=keys["value"], value=value)
        sheet.cell(row=row, column=keys["breakdown.sex.nữ"], value=women)
        sheet.cell(row=row, column=keys["breakdown.sex.nam"], value=men)
    book.save(path)


def upload(page, path):
    page.get_by_label("Tệp (.xlsx hoặc .csv)").set_input_files(str(path))
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("heading", name="Kết quả kiểm tra")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_filled_template_is_checked_fixed_imported_and_counted(page, browser, base_url, world, tmp_path):
    sign_in(page, "canbo.huyen")
    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Nhập từ Excel", exact=True).click()
    expect(page.get_by_role("heading", name="Nhập từ Excel", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "nhap-excel")

    page.get_by_label("Kỳ báo cáo (kết quả)").fill("2025-Q1")
    page.get_by_label("Mã chỉ tiêu").fill("DA8-02")
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải mẫu").click()
    download = info.value
    assert download.suggested_filename == "mau-ket-qua-2025-Q1-commune.xlsx"
    path = tmp_path / "ket-qua-quy-1.xlsx"
    download.save_as(str(path))

    sheet = openpyxl.load_workbook(path).active
    keys = columns(sheet)
    rows = {sheet.cell(row=r, column=keys["unit_name"]).value: r for r in range(2, sheet.max_row + 1)}
    commune = world["officers"]["canbo.xa"]["unit_name"]
    hostile = world["hostile_name"]
    assert commune in rows and hostile in rows, rows
    # The hostile commune's breakdown adds up to 2, not 3.
    fill(path, rows, {commune: (5, 3, 2), hostile: (3, 1, 1)})
    upload(page, path)
    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first.locator("td").nth(1)).to_have_text(str(rows[hostile]))
    expect(problems.first.locator("td").nth(2)).to_contain_text("Phân tổ")
    expect(page.get_by_role("alert")).to_contain_text("Có 1 dòng lỗi; chưa có dữ liệu nào được nhập.")
    expect(page.get_by_role("button", name="Nhập", exact=True)).to_have_count(0)
    shot(page, "nhap-excel-loi")

    fill(path, rows, {hostile: (2, 1, 1)})
    upload(page, path)
    expect(page.locator("table.import-problems")).to_have_count(0)
    expect(page.locator(".import-report")).to_contain_text("Sẽ ghi mới 2 dòng")
    page.get_by_label("Gửi duyệt ngay").check()
    shot(page, "nhap-excel-kiem-tra")
    page.get_by_role("button", name="Nhập", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Đã nhập 2 dòng (đã gửi duyệt)")
    expect(page.get_by_role("link", name="Tổng quan", exact=True).last).to_be_visible()
    shot(page, "nhap-excel-da-nhap")

    # The province officer approves both (four eyes: not the officer who imported them).
    other = browser.new_context(viewport=VIEWPORT, base_url=base_url, locale="vi-VN")
    province = other.new_page()
    sign_in(province, "canbo.tinh")
    province.goto("/duyet")
    for box in province.get_by_label(re.compile(f"{CLUBS} — Quý I/2025")).all():
        box.check()
    province.get_by_role("button", name="Duyệt các kết quả đã chọn").click()
    expect(province.get_by_role("status")).to_contain_text("Đã duyệt 2 kết quả.")

    # The job worker recomputes the phase; the district's dashboard then counts 5 + 2 clubs.
    card = None
    for _ in range(40):
        province.goto("/tong-quan?phase=2021-2025&year=2025")
        card = province.locator(".indicator", has_text=CLUBS)
        if card.count() and re.search(r"Đạt\s*7\b", card.first.inner_text()):
            break
        time.sleep(0.5)
    assert card is not None and card.count(), "no card for the clubs on the dashboard"
    assert re.search(r"Đạt\s*7\b", card.first.inner_text()), card.first.inner_text()
    shot(province, "tong-quan-sau-nhap-excel")
    other.close()
