/* Loa xã — the panel's small JavaScript. No libraries, no CDN: works offline.
   Every behaviour is opt-in by a data- attribute, so pages work without JS too. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return { error: "Máy chủ trả lời không hợp lệ." }; })
        .then(function (data) { data._status = r.status; return data; });
    });
  }

  /* Forms that need an explicit yes: <form data-confirm="Câu hỏi?"> */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  /* Station commands: poll until the station acknowledges and finishes. */
  document.querySelectorAll("[data-command-url]").forEach(function (row) {
    var done = ["done", "failed", "rejected"];
    if (done.indexOf(row.getAttribute("data-command-status")) >= 0) { return; }
    var tries = 0;
    function poll() {
      tries += 1;
      fetch(row.getAttribute("data-command-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var label = row.querySelector(".command-status");
          if (label) { label.textContent = data.label; }
          row.setAttribute("data-command-status", data.status);
          if (data.result) {
            var res = row.querySelector(".command-result");
            if (!res) { res = document.createElement("small"); res.className = "muted command-result"; row.appendChild(res); }
            res.textContent = " " + data.result;
          }
          if (done.indexOf(data.status) < 0 && tries < 300) { setTimeout(poll, 1000); }
        })
        .catch(function () { if (tries < 300) { setTimeout(poll, 3000); } });
    }
    setTimeout(poll, 500);
  });

  /* Live "Máy sẽ đọc là" preview: <textarea data-preview-url=...> + #preview-text, #preview-meta */
  document.querySelectorAll("textarea[data-preview-url]").forEach(function (area) {
    var out = document.getElementById("preview-text");
    var meta = document.getElementById("preview-meta");
    var timer = null, seq = 0;
    function refresh() {
      var mine = ++seq;
      postJSON(area.getAttribute("data-preview-url"), { text: area.value }).then(function (data) {
        if (mine !== seq) { return; }
        if (data.error) { out.textContent = ""; meta.textContent = data.error; return; }
        out.textContent = data.normalized;
        meta.textContent = data.summary;
      }).catch(function () { meta.textContent = "Không xem trước được (mất kết nối?)."; });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    if (area.value.trim()) { refresh(); }
  });

  /* Listen before approving: <div data-render-url=...> with a button, a progress bar and <audio>. */
  document.querySelectorAll("[data-render-url]").forEach(function (box) {
    var button = box.querySelector("button");
    var progress = box.querySelector(".progress");
    var status = box.querySelector(".render-status");
    var player = box.querySelector("audio");
    button.addEventListener("click", function () {
      button.disabled = true;
      progress.classList.remove("hidden");
      status.textContent = "Đang dựng âm thanh, vui lòng chờ…";
      var started = Date.now();
      var ticker = setInterval(function () {
        status.textContent = "Đang dựng âm thanh… " + Math.round((Date.now() - started) / 1000) + " giây";
      }, 1000);
      postJSON(box.getAttribute("data-render-url"), {}).then(function (data) {
        clearInterval(ticker);
        button.disabled = false;
        progress.classList.add("hidden");
        if (data.error) { status.textContent = data.error; return; }
        status.textContent = data.summary;
        player.src = data.url;
        player.classList.remove("hidden");
        player.play().catch(function () {});
      }).catch(function () {
        clearInterval(ticker);
        button.disabled = false;
        progress.classList.add("hidden");
        status.textContent = "Không dựng được âm thanh (mất kết nối?).";
      });
    });
  });

  /* Record from the microphone into the upload form's file input (MediaRecorder). */
  document.querySelectorAll("[data-recorder]").forEach(function (box) {
    var start = box.querySelector(".rec-start");
    var stop = box.querySelector(".rec-stop");
    var indicator = box.querySelector(".rec-indicator");
    var preview = box.querySelector("audio");
    var input = document.getElementById(box.getAttribute("data-recorder"));
    if (!window.MediaRecorder || !navigator.mediaDevices) {
      box.querySelector(".rec-unsupported").classList.remove("hidden");
      start.disabled = true;
      return;
    }
    var recorder = null, chunks = [], startedAt = 0, ticker = null;
    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (e) { if (e.data.size) { chunks.push(e.data); } };
        recorder.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          clearInterval(ticker);
          var type = recorder.mimeType || "audio/webm";
          var ext = type.indexOf("ogg") >= 0 ? "ogg" : (type.indexOf("mp4") >= 0 ? "m4a" : "webm");
          var blob = new Blob(chunks, { type: type });
          var file = new File([blob], "ghi-am." + ext, { type: type });
          var list = new DataTransfer();
          list.items.add(file);
          input.files = list.files;
          preview.src = URL.createObjectURL(blob);
          preview.classList.remove("hidden");
          indicator.textContent = "Đã ghi xong. Nghe lại rồi bấm “Tải lên” để lưu.";
          start.disabled = false; stop.disabled = true;
        };
        recorder.start();
        startedAt = Date.now();
        ticker = setInterval(function () {
          indicator.textContent = "● Đang ghi âm… " + Math.round((Date.now() - startedAt) / 1000) + " giây";
        }, 500);
        start.disabled = true; stop.disabled = false;
      }).catch(function () {
        indicator.textContent = "Không mở được micro. Hãy cho phép trình duyệt dùng micro.";
      });
    });
    stop.addEventListener("click", function () { if (recorder) { recorder.stop(); } });
  });

  /* Dates and times said the Vietnamese way beside their pickers. A browser draws its date and
     time pickers in its own language: an English one shows 12/02/2026 for 2 December and
     06:00 PM, which a commune office reads as 12 February or misses the PM. The echo says
     "Thứ Tư, 02/12/2026" and "18:00" whatever the browser's language. */
  var WEEKDAYS = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function sayDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) { return ""; }
    var day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return WEEKDAYS[day.getUTCDay()] + ", " + m[3] + "/" + m[2] + "/" + m[1];
  }
  function sayTime(text) {
    var m = /^(\d{2}):(\d{2})/.exec(text);
    return m ? m[1] + ":" + m[2] : "";
  }
  function sayValue(input) {
    var value = input.value;
    if (!value) { return ""; }
    if (input.type === "date") { return sayDate(value); }
    if (input.type === "time") { return sayTime(value); }
    var parts = value.split("T");
    var date = sayDate(parts[0]), time = sayTime(parts[1] || "");
    return date && time ? time + " " + date : "";
  }
  var PICKERS = 'input[type="date"], input[type="time"], input[type="datetime-local"]';
  function echo(input) {
    var out = input.nextElementSibling;
    if (!out || !out.classList.contains("date-echo")) {
      out = document.createElement("small");
      out.className = "muted date-echo";
      out.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", out);
    }
    out.textContent = sayValue(input);
  }
  document.querySelectorAll(PICKERS).forEach(echo);
  ["input", "change"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      var target = event.target;
      if (target && target.matches && target.matches(PICKERS)) { echo(target); }
    });
  });
})();
