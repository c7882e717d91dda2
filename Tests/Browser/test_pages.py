"""The framework's pages in a real browser at 360×740: signing in as each officer, the
dashboard, the workbook download, another province's 404, CSRF refusal, a hostile unit name."""

import io
import re

import openpyxl
from playwright.sync_api import expect

from conftest import shot, sign_in


def test_each_officer_signs_in_and_sees_their_own_scope(page, world):
    for login in ["canbo.tinh", "canbo.huyen", "canbo.xa"]:
        officer = world["officers"][login]
        sign_in(page, login)
        expect(page.locator("h1")).to_contain_text(officer["unit_name"])
        expect(page.locator("header")).to_contain_text(officer["display_name"])
        shot(page, f"tong-quan-{login}")
        # The navigation fits a phone: no horizontal scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("button", name="Đăng xuất").click()
        expect(page).to_have_url(re.compile(r"/dang-nhap"))
        expect(page.get_by_role("status")).to_contain_text("Bạn đã đăng xuất")


def test_the_dashboard_shows_the_province_figure(page, world):
    sign_in(page, "canbo.tinh")
    page.goto("/tong-quan?phase=2021-2025")
    expect(page.locator(".headline")).to_have_text("1/1 chỉ tiêu đạt 100%")
    first = page.locator(".indicator").first
    expect(first).to_contain_text("424 tổ")
    expect(first).to_contain_text("3.816")
    expect(first).to_contain_text("đã hoàn thành")
    expect(page.locator("svg.chart")).to_be_visible()
    shot(page, "tong-quan-tinh-2021-2025")
    # The README's picture (docs/images/tong-quan.png is a copy): the phone's first screen.
    shot(page, "readme-tong-quan", full_page=False)
    # Drill down to the district, then back by the breadcrumb.
    district = world["officers"]["canbo.huyen"]["unit_name"]
    page.get_by_role("link", name=district, exact=True).click()
    expect(page.locator("h1")).to_contain_text(district)
    shot(page, "tong-quan-huyen-tu-tinh")
    page.locator(".breadcrumb a").first.click()
    expect(page.locator("h1")).to_contain_text(world["officers"]["canbo.tinh"]["unit_name"])


def test_the_workbook_downloads_and_opens(page, world):
    sign_in(page, "canbo.tinh")
    page.get_by_role("link", name="Tải về", exact=True).click()
    expect(page.locator("h1")).to_have_text("Tải về")
    shot(page, "tai-ve")
    page.get_by_label("Giai đoạn").select_option("2021-2025")
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải về").click()
    download = info.value
    assert download.suggested_filename == "tien-do-2021-2025.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(pathlib_read(download.path())))
    sheet = book["Cấp tỉnh"]
    assert sheet["A1"].value == "Mã chỉ tiêu"
    assert sheet["A2"].value == "DA8-01"
    assert sheet["H2"].value == 424
    assert sheet["I2"].value == 3816


def pathlib_read(path):
    with open(path, "rb") as f:
        return f.read()


def test_another_provinces_officer_gets_404_for_the_same_urls(page, world):
    district = world["officers"]["canbo.huyen"]["unit_id"]
    urls = [f"/tong-quan?phase=2021-2025&unit={district}", f"/tai-ve/tien-do?phase=2021-2025&format=csv&unit={district}"]
    sign_in(page, "canbo.tinh")
    assert page.goto(urls[0]).status == 200
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, "canbo.yenbai")
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.locator("h1")).to_have_text("Không tìm thấy trang")
    shot(page, "404-tinh-khac")


def test_a_form_posted_without_its_csrf_token_is_refused(page, context, browser, base_url, world):
    sign_in(page, "canbo.huyen")
    page.goto("/mat-khau")
    shot(page, "mat-khau")
    # A forged form: the same fields, no token.
    page.locator("main form input[name=_csrf]").evaluate("e => e.remove()")
    page.get_by_label("Mật khẩu hiện tại").fill(world["password"])
    page.get_by_label("Mật khẩu mới (ít nhất 10 ký tự)").fill("mật khẩu giả mạo 2026")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mật khẩu giả mạo 2026")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.get_by_role("button", name="Đổi mật khẩu").click()
    assert info.value.status == 403
    expect(page.locator("h1")).to_have_text("Biểu mẫu không hợp lệ")
    shot(page, "403-csrf")
    # Nothing changed: the old password still signs in, in another browser context.
    other = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base_url)
    sign_in(other.new_page(), "canbo.huyen")
    other.close()


def test_a_hostile_unit_name_renders_as_text(page, world):
    sign_in(page, "canbo.huyen")
    page.goto("/tong-quan?phase=2021-2025")
    expect(page.get_by_role("link", name=world["hostile_name"], exact=True)).to_be_visible()
    shot(page, "ten-doc-hai")
    # The page fixture fails the test if a dialog opened.


def test_the_pages_work_by_keyboard(page, world):
    page.goto("/dang-nhap")
    # The first Tab reaches the skip link, then the site's name, then the first field.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    page.keyboard.type("canbo.xa")
    page.keyboard.press("Tab")
    page.keyboard.type(world["password"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tong-quan"))
