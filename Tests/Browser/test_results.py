"""The result pages in a real browser at 360×740: the commune officer reports a result with a
breakdown, the district officer approves it in the inbox, the province officer sees reporting
completeness change; a returned result is edited and resubmitted."""

import re

import pytest
from playwright.sync_api import expect

from conftest import VIEWPORT, shot, sign_in


@pytest.fixture
def officer(browser, base_url):
    """A page signed in as an officer, each in a browser context of its own."""
    contexts = []

    def open_as(login):
        c = browser.new_context(viewport=VIEWPORT, base_url=base_url, locale="vi-VN")
        contexts.append(c)
        p = c.new_page()
        sign_in(p, login)
        return p

    yield open_as
    for c in contexts:
        c.close()


def report(page, world, period_label, boxes):
    """Reports the clubs of the commune for a period, typing the breakdown before the value."""
    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Nhập kết quả", exact=True).click()
    page.get_by_label("Chỉ tiêu").select_option(str(world["clubs_indicator_id"]))
    page.get_by_role("button", name="Chọn").click()
    page.get_by_label("Kỳ báo cáo").select_option(label=period_label)
    for label, value in boxes.items():
        page.get_by_label(label, exact=True).fill(value)
    # The script added the boxes up and filled the value the officer had not typed.
    expect(page.get_by_label(re.compile(r"^Giá trị"))).to_have_value(str(sum(int(v) for v in boxes.values())))
    page.get_by_label("Số thành viên", exact=True).fill("27")
    page.get_by_label(re.compile(r"^Ghi chú minh chứng")).fill("Biên bản thành lập câu lạc bộ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, f"nhap-ket-qua-{period_label.replace('/', '-').replace(' ', '-')}")
    page.get_by_role("button", name="Gửi duyệt").click()
    expect(page.get_by_role("status")).to_contain_text("Đã gửi duyệt.")


def silent_count(page):
    heading = page.get_by_role("heading", name=re.compile(r"^Đơn vị chưa gửi báo cáo nào")).inner_text()
    return int(re.search(r"\((\d+)\)", heading).group(1))


def test_a_result_is_reported_approved_and_counted(officer, world):
    province = officer("canbo.tinh")
    commune_id = world["units"]["commune"]
    completeness = f"/tinh-hinh-bao-cao?phase=2021-2025&year=2025&period=2025-Q3&unit={world['units']['district']}"
    province.goto(completeness)
    before = silent_count(province)
    shot(province, "tinh-hinh-bao-cao-truoc")

    commune = officer("canbo.xa")
    report(commune, world, "Quý III/2025", {"nữ": "1", "nam": "2"})
    expect(commune.locator("dl.result")).to_contain_text("nữ 1, nam 2")
    shot(commune, "ket-qua-da-gui")

    district = officer("canbo.huyen")
    district.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Duyệt", exact=True).click()
    district.get_by_label(re.compile(r"Câu lạc bộ thủ lĩnh của sự thay đổi — Quý III/2025")).check()
    shot(district, "duyet")
    district.get_by_role("button", name="Duyệt các kết quả đã chọn").click()
    expect(district.get_by_role("status")).to_contain_text("Đã duyệt 1 kết quả.")

    province.goto(completeness)
    assert silent_count(province) == before - 1
    province.goto(f"/tinh-hinh-bao-cao?phase=2021-2025&year=2025&period=2025-Q3&unit={commune_id}")
    expect(province.locator("ul.cells")).to_contain_text("Đã duyệt")
    assert province.evaluate("document.documentElement.scrollWidth") <= 360
    shot(province, "tinh-hinh-bao-cao-sau")


def test_a_returned_result_is_edited_and_resubmitted(officer, world):
    commune = officer("canbo.xa")
    report(commune, world, "Quý II/2025", {"nữ": "2", "nam": "2"})

    district = officer("canbo.huyen")
    district.goto("/duyet")
    district.get_by_role("link", name="Xem, trả lại").first.click()
    district.get_by_label("Lý do trả lại").fill("Thiếu danh sách thành viên")
    district.get_by_role("button", name="Trả lại").click()
    expect(district.get_by_role("status")).to_contain_text("Đã trả lại")

    commune.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Kết quả", exact=True).click()
    commune.get_by_label("Trạng thái").select_option(label="Bị trả lại")
    commune.get_by_role("button", name="Lọc").click()
    commune.locator("table a").first.click()
    expect(commune.locator("dl.result")).to_contain_text("Thiếu danh sách thành viên")
    commune.get_by_role("link", name="Sửa").click()
    commune.get_by_label("nữ", exact=True).fill("3")
    commune.get_by_label(re.compile(r"^Giá trị")).fill("5")
    shot(commune, "sua-ket-qua")
    commune.get_by_role("button", name="Lưu và gửi duyệt").click()
    expect(commune.get_by_role("status")).to_contain_text("Đã gửi duyệt.")
    expect(commune.locator("ol.history")).to_contain_text("đã trả lại kết quả")
    expect(commune.locator("ol.history")).to_contain_text(": “Thiếu danh sách thành viên”")
    shot(commune, "ket-qua-gui-lai")


def test_boxes_typed_before_the_script_arrives_are_added_up(officer, world):
    """On a slow connection the officer may type the breakdown before the form's script has
    arrived: once it runs, it adds up what is already there."""
    commune = officer("canbo.xa")
    commune.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Nhập kết quả", exact=True).click()
    commune.get_by_label("Chỉ tiêu").select_option(str(world["clubs_indicator_id"]))
    commune.get_by_role("button", name="Chọn").click()
    expect(commune.get_by_label("Kỳ báo cáo")).to_be_visible()
    form_url = commune.url
    held = []
    commune.route(re.compile(r".*result-form.*\.js.*"), lambda route: held.append(route))
    commune.goto(form_url, wait_until="commit")
    commune.get_by_label("nữ", exact=True).fill("4")
    commune.get_by_label("nam", exact=True).fill("3")
    expect(commune.get_by_label(re.compile(r"^Giá trị"))).to_have_value("")
    commune.wait_for_timeout(200)
    assert held, "the form's script was not requested"
    for route in held:
        route.continue_()
    expect(commune.get_by_label(re.compile(r"^Giá trị"))).to_have_value("7")
