"""Nhập từ Excel in a real browser at 360×740: the commune officer downloads the template, fills
it in with openpyxl, uploads it, sees the one error row, fixes it, checks it again and imports it;
the result is then listed among the results."""

import re

import openpyxl
from playwright.sync_api import expect

from conftest import shot, sign_in


def fill(path, value):
    """Writes `value` into the value column of the row of DA8-01 and saves the workbook."""
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    code = header.index("Mã chỉ tiêu [indicator_code]") + 1
    column = header.index("Giá trị [value]") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=code).value == "DA8-01")
    sheet.cell(row=row, column=column).value = value
    book.save(path)
    return row


def test_template_filled_uploaded_fixed_and_imported(page, tmp_path):
    sign_in(page, "canbo.xa")
    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Nhập từ Excel", exact=True).click()
    page.get_by_label("Kỳ báo cáo").fill("2026-Q1")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải tệp mẫu").click()
    path = tmp_path / "mau.xlsx"
    download.value.save_as(path)

    row = fill(path, "ba")
    page.get_by_label(re.compile(r"^Tệp")).set_input_files(str(path))
    page.get_by_label("Ghi kết quả là").select_option("draft")
    page.get_by_role("button", name="Kiểm tra").click()
    problems = page.locator("tr.import-problem")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text(str(row))
    expect(problems.first).to_contain_text("Giá trị phải là số nguyên")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "nhap-excel-loi")

    fill(path, 4)
    page.get_by_label(re.compile(r"^Tệp")).set_input_files(str(path))
    page.get_by_label("Ghi kết quả là").select_option("draft")
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.get_by_role("heading", name="Tệp hợp lệ")).to_be_visible()
    page.get_by_role("button", name="Nhập", exact=True).click()
    expect(page.get_by_text("Đã nhập 1 kết quả (bản nháp)")).to_be_visible()
    shot(page, "nhap-excel-xong")

    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Kết quả", exact=True).click()
    expect(page.locator("main")).to_contain_text("2026")
