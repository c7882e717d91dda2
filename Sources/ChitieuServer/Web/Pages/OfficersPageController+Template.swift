/// The HTML of the Cán bộ pages.
extension OfficersPageController {
    /// The unit and role choices, shared by the creation form and the grant form.
    static let unitAndRoleFields = """
        <label for="{{prefix}}-don-vi">Đơn vị</label><select id="{{prefix}}-don-vi" name="don_vi"{{#error_don_vi}} aria-invalid="true" aria-describedby="{{prefix}}-don-vi-loi"{{/error_don_vi}}>{{#units}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/units}}</select>
        {{#error_don_vi}}<span class="field-error" id="{{prefix}}-don-vi-loi">{{error_don_vi}}</span>{{/error_don_vi}}
        <label for="{{prefix}}-vai-tro">Vai trò</label><select id="{{prefix}}-vai-tro" name="vai_tro"{{#error_vai_tro}} aria-invalid="true" aria-describedby="{{prefix}}-vai-tro-loi"{{/error_vai_tro}}>{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/roles}}</select>
        {{#error_vai_tro}}<span class="field-error" id="{{prefix}}-vai-tro-loi">{{error_vai_tro}}</span>{{/error_vai_tro}}
        """

    static let listTemplate = WebTemplate("""
        <h1>Cán bộ</h1>
        {{> errors}}
        {{#empty}}<div class="card"><p>Chưa có tài khoản nào khác trong phạm vi bạn quản lý.</p></div>{{/empty}}
        {{^empty}}<div class="card"><h2>Tài khoản tôi quản lý ({{count}})</h2><ul class="accounts">{{#accounts}}<li><a href="{{href}}"><strong>{{name}}</strong></a> <span class="muted">{{username}}{{#unit}} · {{unit}}{{/unit}}</span>{{#disabled}} <span class="state returned">đã vô hiệu</span>{{/disabled}}</li>{{/accounts}}</ul></div>{{/empty}}
        <form class="stack card" method="post" action="/can-bo">{{> csrf}}
        <h2>Tạo tài khoản cán bộ</h2>
        <label for="tao-ten-dang-nhap">Tên đăng nhập</label><input id="tao-ten-dang-nhap" name="ten_dang_nhap" value="{{typedUsername}}" autocomplete="off" autocapitalize="none" maxlength="63"{{#error_ten_dang_nhap}} aria-invalid="true" aria-describedby="tao-ten-dang-nhap-loi"{{/error_ten_dang_nhap}}>
        {{#error_ten_dang_nhap}}<span class="field-error" id="tao-ten-dang-nhap-loi">{{error_ten_dang_nhap}}</span>{{/error_ten_dang_nhap}}
        <label for="tao-ho-ten">Họ và tên</label><input id="tao-ho-ten" name="ho_ten" value="{{typedName}}" maxlength="200"{{#error_ho_ten}} aria-invalid="true" aria-describedby="tao-ho-ten-loi"{{/error_ho_ten}}>
        {{#error_ho_ten}}<span class="field-error" id="tao-ho-ten-loi">{{error_ho_ten}}</span>{{/error_ho_ten}}
        {{#create}}\(unitAndRoleFields){{/create}}
        <p class="muted">Hệ thống tạo một mật khẩu để bạn trao cho cán bộ; mật khẩu chỉ hiện một lần.</p>
        <div class="actions"><button type="submit">Tạo tài khoản</button></div>
        </form>
        """)

    static let accountTemplate = WebTemplate("""
        <h1>{{name}} <span class="muted">— {{username}}</span></h1>
        <p><a href="/can-bo">← Danh sách cán bộ</a></p>
        {{#password}}<div class="card" role="alert"><p>Mật khẩu để trao cho cán bộ <strong>{{username}}</strong> (chỉ hiện một lần, hãy chép lại ngay):</p>
        <p><span class="secret">{{password}}</span></p><p class="muted">Cán bộ đăng nhập bằng mật khẩu này rồi đổi mật khẩu ở mục “Đổi mật khẩu”.</p></div>{{/password}}
        {{#token}}<div class="card" role="alert"><p>Mã truy cập mới (chỉ hiện một lần, hãy chép lại ngay):</p><p><span class="secret">{{token}}</span></p></div>{{/token}}
        {{> errors}}
        <section class="card"><h2>Tài khoản</h2>
        <p>Tạo ngày {{created}}. Trạng thái: {{#active}}<span class="state approved">đang hoạt động</span>{{/active}}{{^active}}<span class="state returned">đã vô hiệu</span>{{/active}}</p>
        <div class="actions">
        {{#active}}<form class="inline" method="post" action="{{href}}/vo-hieu">{{> csrf}}<button type="submit" class="secondary">Vô hiệu hoá</button></form>{{/active}}
        {{^active}}<form class="inline" method="post" action="{{href}}/kich-hoat">{{> csrf}}<button type="submit" class="secondary">Kích hoạt lại</button></form>{{/active}}
        <form class="inline" method="post" action="{{href}}/mat-khau">{{> csrf}}<button type="submit" class="secondary">Đặt lại mật khẩu</button></form>
        </div></section>
        <section class="card"><h2>Vai trò</h2>
        <ul class="accounts">{{#grants}}<li>{{role}} · {{unit}} <span class="muted">từ {{since}}</span>{{#revoked}} <span class="state draft">đã thu hồi</span>{{/revoked}}
        {{^revoked}}<form class="inline" method="post" action="{{href}}/quyen/{{id}}/thu-hoi">{{> csrf}}<button type="submit" class="secondary">Thu hồi</button></form>{{/revoked}}</li>{{/grants}}</ul>
        <form class="stack" method="post" action="{{href}}/quyen">{{> csrf}}
        <h3>Giao vai trò</h3>
        {{#grantForm}}\(unitAndRoleFields){{/grantForm}}
        <div class="actions"><button type="submit">Giao vai trò</button></div>
        </form></section>
        <section class="card"><h2>Mã truy cập cho phần mềm khác</h2>
        {{#noTokens}}<p class="muted">Chưa cấp mã nào.</p>{{/noTokens}}
        <ul class="accounts">{{#tokens}}<li>{{name}} <span class="muted">cấp {{created}}{{#expires}} · hết hạn {{expires}}{{/expires}}</span>{{#revoked}} <span class="state draft">đã thu hồi</span>{{/revoked}}
        {{^revoked}}<form class="inline" method="post" action="{{href}}/ma-truy-cap/{{id}}/thu-hoi">{{> csrf}}<button type="submit" class="secondary">Thu hồi</button></form>{{/revoked}}</li>{{/tokens}}</ul>
        <form class="stack" method="post" action="{{href}}/ma-truy-cap">{{> csrf}}
        <h3>Cấp mã truy cập</h3>
        <label for="ma-ten">Tên (phần mềm dùng mã)</label><input id="ma-ten" name="ten_ma" value="{{tokenName}}" maxlength="200"{{#error_ten_ma}} aria-invalid="true"{{/error_ten_ma}}>
        {{#error_ten_ma}}<span class="field-error">{{error_ten_ma}}</span>{{/error_ten_ma}}
        <label for="ma-so-ngay">Số ngày hiệu lực (để trống: đến khi thu hồi)</label><input id="ma-so-ngay" name="so_ngay" inputmode="numeric" value="{{tokenDays}}"{{#error_so_ngay}} aria-invalid="true" aria-describedby="ma-so-ngay-loi"{{/error_so_ngay}}>
        {{#error_so_ngay}}<span class="field-error" id="ma-so-ngay-loi">{{error_so_ngay}}</span>{{/error_so_ngay}}
        <div class="actions"><button type="submit">Cấp mã</button></div>
        </form></section>
        """)
}
