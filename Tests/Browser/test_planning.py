"""The targets and officers pages in a real browser at 360×740: the province officer sets the
phase target, locks a district's cell, allocates and sees the new sheet; creates a commune
officer, gives a role, and the new officer signs in with the password handed over."""

import re

from playwright.sync_api import expect

from conftest import SHOTS, VIEWPORT, shot, sign_in


def shot_of(locator, name):
    """A screenshot of one part of the page, to look at it at the phone's width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SHOTS / f"{name}.png"))


def open_targets(page, world):
    """The targets page of the clubs (no target yet: the other tests' figures stay as they are)."""
    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Chỉ tiêu", exact=True).click()
    page.get_by_label("Giai đoạn").select_option(world["phase"])
    page.get_by_label("Chỉ tiêu", exact=True).select_option(str(world["clubs_indicator_id"]))
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("DA8-02")


def province_row(page):
    return page.locator("table.targets tbody tr.own")


def district_row(page, world):
    name = world["officers"]["canbo.huyen"]["unit_name"]
    return page.locator("table.targets tbody tr", has=page.get_by_role("link", name=name, exact=True))


def set_target(page, unit_id, year, value, lock=None):
    form = page.locator("form#dat-chi-tieu")
    form.get_by_label("Đơn vị").select_option(str(unit_id))
    form.get_by_label("Năm").select_option(year)
    form.get_by_label(re.compile(r"^Giá trị")).fill(value)
    if lock:
        form.get_by_label("Khoá").select_option(lock)
    form.get_by_role("button", name="Lưu chỉ tiêu").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu chỉ tiêu.")


def test_a_province_officer_sets_locks_and_allocates(page, world):
    sign_in(page, "canbo.tinh")
    open_targets(page, world)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    shot(page, "chi-tieu-truoc")

    # The province's phase target, then a district's 2024 cell set and locked.
    set_target(page, world["units"]["province"], "", "85")
    expect(province_row(page).locator("td").last).to_contain_text("85")
    expect(province_row(page).locator("td").last).to_contain_text("giao")
    set_target(page, world["units"]["district"], "2024", "5", lock="1")
    expect(district_row(page, world).locator("td").nth(3)).to_contain_text("khoá")

    page.get_by_role("button", name="Phân bổ", exact=True).click()
    # The job's page reloads itself until the allocation ends, then shows the new sheet.
    expect(page).to_have_url(re.compile(r"/chi-tieu\?.*da=phan-bo"), timeout=60_000)
    expect(page.get_by_role("status")).to_contain_text("Đã phân bổ xong")
    for year in range(5):
        expect(province_row(page).locator("td").nth(year)).to_contain_text("17")
    expect(district_row(page, world).locator("td").nth(3)).to_contain_text("5")
    expect(district_row(page, world).locator("td").nth(3)).to_contain_text("khoá")
    expect(district_row(page, world).locator("td").nth(0)).to_contain_text("phân bổ")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    shot(page, "chi-tieu-sau-phan-bo")
    shot_of(page.locator("table.targets"), "chi-tieu-bang")
    shot_of(page.locator("form#dat-chi-tieu"), "chi-tieu-dat")
    shot_of(page.locator("form[action='/chi-tieu/cach-phan-bo']"), "chi-tieu-cach-phan-bo")
    shot_of(page.locator("form[action='/chi-tieu/phan-bo']"), "chi-tieu-phan-bo")

    # Drill down to the district; a locked phase value above the province's is refused.
    district_row(page, world).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world["officers"]["canbo.huyen"]["unit_name"])
    shot(page, "chi-tieu-huyen")
    set_target(page, world["units"]["district"], "", "1000", lock="1")
    page.get_by_role("button", name="Phân bổ", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Không phân bổ được", timeout=60_000)
    expect(page.get_by_role("alert")).to_contain_text("1000")
    shot(page, "chi-tieu-tu-choi")


def test_a_province_officer_creates_an_officer_who_signs_in(browser, base_url, page, world):
    sign_in(page, "canbo.tinh")
    page.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Cán bộ", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cán bộ")
    page.get_by_label("Tên đăng nhập").fill("lo.thi.mai")
    page.get_by_label("Họ và tên").fill("Lò Thị Mai")
    page.get_by_label("Đơn vị").select_option(str(world["units"]["commune"]))
    page.get_by_label("Vai trò").select_option("commune")
    shot(page, "can-bo")
    page.get_by_role("button", name="Tạo tài khoản").click()
    password = page.locator(".secret").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    shot(page, "can-bo-moi")

    page.get_by_label("Vai trò").select_option("viewer")
    page.get_by_label("Đơn vị").select_option(str(world["units"]["district"]))
    page.get_by_role("button", name="Giao vai trò").click()
    expect(page.get_by_role("status")).to_contain_text("Đã giao vai trò.")
    expect(page.locator("ul.accounts").first).to_contain_text("Người xem")
    expect(page.locator(".secret")).to_have_count(0)
    shot(page, "can-bo-tai-khoan")
    shot_of(page.locator("main"), "can-bo-tai-khoan-noi-dung")

    other = browser.new_context(viewport=VIEWPORT, base_url=base_url, locale="vi-VN")
    try:
        officer = other.new_page()
        sign_in(officer, "lo.thi.mai", password)
        expect(officer.locator(".account")).to_contain_text("Lò Thị Mai")
        # A commune officer manages no one: no Cán bộ in the navigation.
        expect(officer.get_by_role("navigation", name="Trang chính").get_by_role("link", name="Cán bộ", exact=True)).to_have_count(0)
    finally:
        other.close()
