extension WebAssets {
    /// The result form's one helper, a file (the policy forbids inline script): adds up each
    /// breakdown's boxes as they are typed, and fills the figure they break down while the
    /// officer has not typed it. It also adds up once as it starts, so boxes typed before it
    /// arrived (a slow connection) count. The form works the same without it.
    static let resultFormScript = WebAsset(name: "result-form", ext: "js", contentType: "text/javascript; charset=utf-8", text: #"""
(function () {
  "use strict";
  function count(text) {
    var digits = (text || "").replace(/[.\s]/g, "");
    return /^[0-9]+$/.test(digits) ? parseInt(digits, 10) : null;
  }
  var sets = document.querySelectorAll("fieldset.breakdown");
  Array.prototype.forEach.call(sets, function (set) {
    var total = document.getElementById(set.getAttribute("data-total"));
    var out = set.querySelector(".breakdown-sum");
    var typed = total !== null && total.value !== "";
    if (total !== null) { total.addEventListener("input", function () { typed = total.value !== ""; }); }
    function update() {
      var sum = 0, any = false;
      Array.prototype.forEach.call(set.querySelectorAll("input"), function (box) {
        var n = count(box.value);
        if (n !== null) { sum += n; any = true; }
      });
      if (out !== null) { out.textContent = any ? "Tổng: " + sum.toLocaleString("vi-VN") : ""; }
      if (any && total !== null && !typed) { total.value = String(sum); }
    }
    set.addEventListener("input", update);
    update();
  });
})();
"""#)
}
