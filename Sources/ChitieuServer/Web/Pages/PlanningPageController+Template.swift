/// The Chỉ tiêu page's HTML: the choice of phase and indicator, the trail, the table of the unit
/// and its children, then the forms the policy lets the caller use.
extension PlanningPageController {
    static let emptyTemplate = WebTemplate("""
        <h1>Chỉ tiêu</h1>
        <div class="card"><p>Tỉnh chưa có giai đoạn hoặc chỉ tiêu nào.</p></div>
        """)

    /// The hidden fields that bring a form back to the page it was posted from.
    static let selectionFields = """
        {{> csrf}}<input type="hidden" name="phase" value="{{phase}}"><input type="hidden" name="indicator" value="{{indicatorID}}"><input type="hidden" name="unit" value="{{unitID}}">
        """

    static let template = WebTemplate("""
        <h1>Chỉ tiêu <span class="muted">— {{unitName}}</span></h1>
        <form class="filters card" method="get" action="/chi-tieu">
        <div class="field"><label for="ct-giai-doan">Giai đoạn</label> <select id="ct-giai-doan" name="phase">{{#phases}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{code}}</option>{{/phases}}</select></div>
        <div class="field"><label for="ct-chi-tieu">Chỉ tiêu</label> <select id="ct-chi-tieu" name="indicator">{{#indicators}}<option value="{{id}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/indicators}}</select></div>
        <input type="hidden" name="unit" value="{{unitID}}">
        <button type="submit" class="secondary">Xem</button>
        </form>
        {{#hasTrail}}<nav class="breadcrumb" aria-label="Đơn vị cấp trên"><ol>{{#trail}}<li><a href="{{href}}">{{name}}</a></li>{{/trail}}<li aria-current="page">{{unitName}}</li></ol></nav>{{/hasTrail}}
        {{> errors}}
        <h2>{{indicatorCode}} — {{indicatorName}} <span class="muted">({{measure}})</span></h2>
        {{#suspended}}<p class="status suspended">Chỉ tiêu đang tạm dừng: không phân bổ.</p>{{/suspended}}
        {{#plan}}<p class="muted">Kế hoạch: {{plan}}</p>{{/plan}}
        {{#stock}}<p class="muted">Chỉ tiêu dạng tồn: số của mỗi năm là mốc luỹ kế đến cuối năm.</p>{{/stock}}
        <div class="table-wrap"><table class="targets">
        <thead><tr><th scope="col">Đơn vị</th>{{#years}}<th scope="col" class="num">{{year}}</th>{{/years}}<th scope="col" class="num">Cả giai đoạn</th></tr></thead>
        <tbody>{{#rows}}<tr{{#own}} class="own"{{/own}}><th scope="row">{{#href}}<a href="{{href}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}{{#ended}} <span class="muted">(đã kết thúc)</span>{{/ended}}</th>
        {{#cells}}<td class="num">{{value}}{{^empty}}<span class="origin {{originClass}}">{{origin}}</span>{{/empty}}{{#locked}}<span class="origin locked">khoá</span>{{/locked}}</td>{{/cells}}</tr>{{/rows}}</tbody>
        </table></div>
        <p class="muted">Nguồn của mỗi ô: “giao” — tỉnh giao cả giai đoạn; “phân bổ” — tính theo cách phân bổ; “đặt tay” — cán bộ đặt; “khoá” — giữ nguyên khi phân bổ lại.{{#hasChildren}} Bấm tên đơn vị để xem các đơn vị trực thuộc.{{/hasChildren}}</p>
        <p>Cách phân bổ cho các đơn vị trực thuộc: {{ruleText}}</p>
        {{#maySet}}
        <form class="stack card" method="post" action="/chi-tieu/dat" id="dat-chi-tieu">\(selectionFields)
        <h2>Đặt chỉ tiêu</h2>
        <label for="dat-don-vi">Đơn vị</label><select id="dat-don-vi" name="don_vi">{{#settable}}<option value="{{id}}">{{label}}</option>{{/settable}}</select>
        <label for="dat-nam">Năm</label><select id="dat-nam" name="nam"><option value="">Cả giai đoạn</option>{{#yearOptions}}<option value="{{year}}">{{year}}</option>{{/yearOptions}}</select>
        <label for="dat-gia-tri">Giá trị ({{measure}})</label><input id="dat-gia-tri" name="gia_tri" inputmode="numeric" value="{{typedValue}}"{{#error_gia_tri}} aria-invalid="true" aria-describedby="dat-gia-tri-loi"{{/error_gia_tri}}>
        {{#error_gia_tri}}<span class="field-error" id="dat-gia-tri-loi">{{error_gia_tri}}</span>{{/error_gia_tri}}
        <label for="dat-khoa">Khoá</label><select id="dat-khoa" name="khoa"{{#error_khoa}} aria-invalid="true" aria-describedby="dat-khoa-loi"{{/error_khoa}}><option value="">Giữ như hiện tại</option><option value="1">Khoá ô này (giữ khi phân bổ lại)</option><option value="0">Mở khoá</option></select>
        {{#error_khoa}}<span class="field-error" id="dat-khoa-loi">{{error_khoa}}</span>{{/error_khoa}}
        <div class="actions"><button type="submit">Lưu chỉ tiêu</button></div>
        </form>
        <form class="stack card" method="post" action="/chi-tieu/khoa">\(selectionFields)
        <h2>Khoá hoặc mở khoá một ô</h2>
        <label for="khoa-don-vi">Đơn vị</label><select id="khoa-don-vi" name="don_vi">{{#settable}}<option value="{{id}}">{{label}}</option>{{/settable}}</select>
        <label for="khoa-nam">Năm</label><select id="khoa-nam" name="nam"><option value="">Cả giai đoạn</option>{{#yearOptions}}<option value="{{year}}">{{year}}</option>{{/yearOptions}}</select>
        <div class="actions"><button type="submit" name="khoa" value="1">Khoá ô</button> <button type="submit" name="khoa" value="0" class="secondary">Mở khoá ô</button></div>
        </form>
        {{/maySet}}
        {{#mayPlan}}
        <form class="stack card" method="post" action="/chi-tieu/cach-phan-bo">\(selectionFields)
        <h2>Cách phân bổ cho các đơn vị trực thuộc</h2>
        <label for="pb-phuong-phap">Phương pháp</label><select id="pb-phuong-phap" name="phuong_phap"{{#error_phuong_phap}} aria-invalid="true" aria-describedby="pb-phuong-phap-loi"{{/error_phuong_phap}}>{{#methods}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/methods}}</select>
        {{#error_phuong_phap}}<span class="field-error" id="pb-phuong-phap-loi">{{error_phuong_phap}}</span>{{/error_phuong_phap}}
        <fieldset class="weights"><legend>Trọng số (khi phân bổ theo trọng số)</legend>
        {{#error_trong_so}}<span class="field-error">{{error_trong_so}}</span>{{/error_trong_so}}
        {{#weights}}<label for="w-{{code}}">{{name}}</label><input id="w-{{code}}" name="w_{{code}}" inputmode="numeric" value="{{weight}}">{{/weights}}
        </fieldset>
        <label for="pb-thuoc-tinh">Thuộc tính của đơn vị (khi phân bổ theo thuộc tính)</label><input id="pb-thuoc-tinh" name="thuoc_tinh" value="{{attribute}}"{{#error_thuoc_tinh}} aria-invalid="true" aria-describedby="pb-thuoc-tinh-loi"{{/error_thuoc_tinh}}>
        {{#error_thuoc_tinh}}<span class="field-error" id="pb-thuoc-tinh-loi">{{error_thuoc_tinh}}</span>{{/error_thuoc_tinh}}
        <label for="pb-toi-thieu">Mỗi đơn vị ít nhất</label><input id="pb-toi-thieu" name="toi_thieu" inputmode="numeric" value="{{minimum}}"{{#error_toi_thieu}} aria-invalid="true" aria-describedby="pb-toi-thieu-loi"{{/error_toi_thieu}}>
        {{#error_toi_thieu}}<span class="field-error" id="pb-toi-thieu-loi">{{error_toi_thieu}}</span>{{/error_toi_thieu}}
        {{#province}}<label for="pb-nam">Tỷ trọng các năm (để trống: đều nhau), ví dụ 1,2,2,2,1</label><input id="pb-nam" name="ty_trong_nam" value="{{yearShares}}"{{#error_ty_trong_nam}} aria-invalid="true" aria-describedby="pb-nam-loi"{{/error_ty_trong_nam}}>
        {{#error_ty_trong_nam}}<span class="field-error" id="pb-nam-loi">{{error_ty_trong_nam}}</span>{{/error_ty_trong_nam}}{{/province}}
        <div class="actions"><button type="submit">Lưu cách phân bổ</button></div>
        </form>
        {{/mayPlan}}
        {{#mayAllocate}}
        <form class="card" method="post" action="/chi-tieu/phan-bo">\(selectionFields)
        <h2>Phân bổ</h2>
        <p>Tính chỉ tiêu từng năm cho mọi huyện và xã từ chỉ tiêu cả giai đoạn của tỉnh, theo cách phân bổ đã đặt; các ô đã khoá được giữ nguyên.</p>
        <div class="actions"><button type="submit">Phân bổ</button></div>
        </form>
        <form class="card" method="post" action="/chi-tieu/cai-dat">\(selectionFields)
        <h2>Cài đặt của tỉnh</h2>
        <p><input type="checkbox" id="huyen-phan-bo" name="huyen_phan_bo" value="1"{{#districtAllocation}} checked{{/districtAllocation}}> <label for="huyen-phan-bo">Cán bộ huyện phân bổ cho xã</label></p>
        <p class="muted">{{settingsText}}</p>
        <div class="actions"><button type="submit" class="secondary">Lưu cài đặt</button></div>
        </form>
        {{/mayAllocate}}
        {{^mayAllocate}}<p class="muted">{{settingsText}}</p>{{/mayAllocate}}
        """)
}
