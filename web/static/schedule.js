/* Loa xã — the slot form: show once/daily fields, and check conflicts and overruns before saving.
   The server refuses the same things on save; this only tells the editor earlier. */
(function () {
  "use strict";
  var form = document.getElementById("slot-form");
  if (!form) { return; }
  var box = document.getElementById("slot-check");
  var url = form.getAttribute("data-check-url");
  var timer = null, seq = 0;

  function kind() {
    var checked = form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : "daily";
  }

  function showKind() {
    var once = kind() === "once";
    form.querySelectorAll(".when-once").forEach(function (el) { el.hidden = !once; });
    form.querySelectorAll(".when-daily").forEach(function (el) { el.hidden = once; });
  }

  function list(title, items, cls) {
    if (!items || !items.length) { return null; }
    var wrap = document.createElement("div");
    var head = document.createElement("strong");
    head.textContent = title;
    wrap.appendChild(head);
    var ul = document.createElement("ul");
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.className = cls;
      li.textContent = text;
      ul.appendChild(li);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  function render(data) {
    box.textContent = "";
    box.setAttribute("data-ok", data.ok ? "yes" : "no");
    var parts = [
      list("Chưa lưu được:", data.errors, "error"),
      list("Trùng lịch:", data.conflicts, "conflict"),
      list("Cảnh báo:", data.warnings, "warning")
    ];
    if (data.ok !== false || (data.conflicts && data.conflicts.length)) {
      if (data.estimated) {
        var p = document.createElement("p");
        p.textContent = "Thời lượng ước tính: " + data.estimated + ".";
        box.appendChild(p);
      }
      parts.push(list("Các lần phát tới:", data.next_airings, "airing"));
    }
    parts.forEach(function (el) { if (el) { box.appendChild(el); } });
    if (data.ok && (!data.warnings || !data.warnings.length)) {
      var ok = document.createElement("p");
      ok.className = "status status-ok";
      ok.textContent = "Không trùng lịch, không quá giờ.";
      box.appendChild(ok);
    }
  }

  function check() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    var token = form.querySelector('input[name="csrf_token"]');
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token ? token.value : "" },
      body: body
    }).then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine === seq) {
          render(data);
          form.dispatchEvent(new CustomEvent("slotcheck", { detail: data }));
        }
      })
      .catch(function () {
        if (mine === seq) { box.textContent = "Không kiểm tra được (mất kết nối?). Máy chủ vẫn kiểm tra khi lưu."; }
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  form.addEventListener("change", function () { showKind(); schedule(); });
  form.addEventListener("input", schedule);
  showKind();
  if (form.getAttribute("data-always-check") === "yes" ||
      form.querySelector('input[name="bulletin_ids"]:checked')) { check(); }
})();
