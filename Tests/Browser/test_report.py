"""The province's report (Báo cáo) in a real browser: the tables and the completion line, the
workbook it offers (opened with openpyxl), a screenshot at a phone's size and at a desk's, and the
page printed to PDF as an officer would print it."""

import io
import pathlib
import re

import openpyxl
from playwright.sync_api import expect

from conftest import SHOTS, shot, sign_in


def test_the_report_shows_its_tables_and_downloads_a_styled_workbook(page, world):
    sign_in(page, "canbo.tinh")
    page.get_by_role("link", name="Báo cáo", exact=True).click()
    page.get_by_label("Giai đoạn").select_option("2021-2025")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator(".report-head h1")).to_have_text("BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU")
    expect(page.locator(".report-head")).to_contain_text("Dự án 8")
    expect(page.locator(".report .headline")).to_have_text("Hoàn thành 1/1 chỉ tiêu")
    expect(page.locator("h2")).to_have_text(["I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã"])
    first = page.locator("table.report").first.locator("tbody tr").first
    expect(first).to_contain_text("424")
    expect(first).to_contain_text("3.816")
    expect(page.locator("table.report").nth(1).locator("tr.band").first).to_contain_text("Hoàn thành")
    # A hostile unit name is text.
    expect(page.locator("table.report").nth(2)).to_contain_text(world["hostile_name"])
    shot(page, "bao-cao")
    shot(page, "bao-cao-dien-thoai", full_page=False)
    page.locator("h2").nth(1).scroll_into_view_if_needed()
    # Two frames, so that the screenshot shows the table painted after the scroll.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shot(page, "bao-cao-bang-dien-thoai", full_page=False)
    # The page itself does not scroll sideways on a phone (the tables do, inside their frame).
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về Excel (.xlsx)").click()
    download = info.value
    assert download.suggested_filename == "bao-cao-2021-2025.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(pathlib.Path(download.path()).read_bytes()))
    assert book.sheetnames == ["Cấp tỉnh", "Cấp huyện", "Cấp xã"]
    sheet = book["Cấp tỉnh"]
    header_row = 9
    assert [c.value for c in sheet[header_row]] == [
        "STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao", "Kết quả đạt được", "Tỷ lệ hoàn thành", "Ghi chú"]
    assert all(c.font.b for c in sheet[header_row])
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    row = [c.value for c in sheet[header_row + 1]]
    assert row[0] == 1 and row[3] == 424 and row[4] == 3816, row
    assert isinstance(row[5], float) and sheet.cell(header_row + 1, 6).number_format == "0.0%"
    assert sheet.cell(header_row + 1, 4).number_format == "#,##0"
    assert sheet.cell(header_row + 1, 2).border.left.style == "thin"
    assert any(str(c.value).startswith("Hoàn thành") for c in sheet["A"] if c.value)


def test_the_report_prints_on_a4_landscape(browser, base_url, world):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, "canbo.huyen")
        page.goto("/bao-cao?phase=2021-2025&year=2025")
        expect(page.locator(".report-head")).to_contain_text("Năm 2025")
        expect(page.locator("table.report").first.locator("tr.band").first).to_contain_text(world["officers"]["canbo.huyen"]["unit_name"])
        shot(page, "bao-cao-man-hinh-rong")
        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        expect(page.locator("form.filters")).to_be_hidden()
        shot(page, "bao-cao-ban-in")
        SHOTS.mkdir(parents=True, exist_ok=True)
        pdf = page.pdf(path=str(SHOTS / "bao-cao.pdf"), prefer_css_page_size=True, print_background=False)
        assert pdf[:4] == b"%PDF"
        # A4 landscape: about 842 × 595 points, wider than tall.
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]", pdf)
        assert boxes, "the PDF names no page size"
        width, height = (float(v) for v in boxes[0])
        assert abs(width - 842) < 2 and abs(height - 595) < 2, (width, height)
    finally:
        context.close()
