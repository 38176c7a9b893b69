/* Loa xã — a slot's rundown: reorder by drag and drop or by keyboard (Alt+↑/↓, or the ↑ ↓
   buttons), remove, add bulletins and recordings. The order of the hidden "item" inputs is what
   the server saves; the durations and the total come back from the server's check, so the page
   shows the same estimate the server uses. */
(function () {
  "use strict";
  var form = document.getElementById("slot-form");
  var list = document.getElementById("rundown");
  if (!form || !list) { return; }
  var dragged = null;

  function changed(focus) {
    form.dispatchEvent(new Event("change", { bubbles: true }));
    if (focus) { focus.focus(); }
  }

  function movable() { return Array.prototype.slice.call(list.querySelectorAll(".rundown-item")); }

  function move(li, step) {
    var items = movable();
    var i = items.indexOf(li), j = i + step;
    if (i < 0 || j < 0 || j >= items.length) { return; }
    if (step < 0) { list.insertBefore(li, items[j]); } else { list.insertBefore(li, items[j].nextSibling); }
    announce(li);
    changed(li);
  }

  function announce(li) {
    var items = movable();
    var help = document.getElementById("rundown-help");
    var title = li.querySelector(".title");
    if (help && title) {
      help.textContent = "“" + title.textContent + "” ở vị trí " + (items.indexOf(li) + 1) + "/" + items.length + ".";
    }
  }

  function wire(li) {
    li.querySelector(".move-up").addEventListener("click", function () { move(li, -1); });
    li.querySelector(".move-down").addEventListener("click", function () { move(li, 1); });
    li.querySelector(".remove").addEventListener("click", function () {
      var next = li.nextElementSibling;
      li.remove();
      changed(next && next.classList.contains("rundown-item") ? next : null);
    });
    li.addEventListener("keydown", function (event) {
      if (event.target !== li) { return; }
      if (event.altKey && event.key === "ArrowUp") { event.preventDefault(); move(li, -1); }
      if (event.altKey && event.key === "ArrowDown") { event.preventDefault(); move(li, 1); }
    });
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-token"));
    });
    li.addEventListener("dragend", function () { li.classList.remove("dragging"); dragged = null; });
    li.addEventListener("dragover", function (event) {
      if (!dragged || dragged === li) { return; }
      event.preventDefault();
      var box = li.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? li.nextSibling : li);
    });
    li.addEventListener("drop", function (event) {
      event.preventDefault();
      if (dragged) { announce(dragged); changed(dragged); }
    });
  }

  function add(select, kind, label) {
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) { return; }
    var token = kind + ":" + option.value;
    var li = document.createElement("li");
    li.className = "rundown-item";
    li.setAttribute("data-token", token);
    li.setAttribute("draggable", "true");
    li.setAttribute("tabindex", "0");
    var title = option.getAttribute("data-title") || option.textContent;
    li.setAttribute("aria-label", label + ": " + title);
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "item"; input.value = token;
    li.appendChild(input);
    [["grip", "⠿"], ["kind", label], ["title", title], ["seconds", "…"]].forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0]; span.textContent = part[1];
      li.appendChild(span);
    });
    var moves = document.createElement("span");
    moves.className = "moves";
    [["move-up", "↑", "Đưa lên"], ["move-down", "↓", "Đưa xuống"], ["remove", "Bỏ", "Bỏ khỏi chương trình"]]
      .forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button"; button.className = b[0]; button.textContent = b[1];
        button.setAttribute("aria-label", b[2]);
        moves.appendChild(button);
      });
    li.appendChild(moves);
    var items = movable();
    var after = items.length ? items[items.length - 1] : list.querySelector('[data-kind="outro"]');
    if (items.length) { list.insertBefore(li, after.nextSibling); } else { list.insertBefore(li, after); }
    select.selectedIndex = 0;
    wire(li);
    announce(li);
    changed(li);
  }

  movable().forEach(wire);
  [["add-bulletin", "bulletin", "Bản tin"], ["add-recording", "recording", "Bản ghi âm"]].forEach(function (a) {
    var select = document.getElementById(a[0]);
    var button = document.getElementById(a[0] + "-button");
    if (select && button) { button.addEventListener("click", function () { add(select, a[1], a[2]); }); }
  });

  /* Durations and the total from the server's estimate of the draft. */
  form.addEventListener("slotcheck", function (event) {
    var data = event.detail || {};
    var rundown = data.rundown;
    if (!rundown) { return; }
    var lines = rundown.items.filter(function (l) {
      return ["bulletin", "recording", "jingle", "pause"].indexOf(l.kind) >= 0;
    });
    movable().forEach(function (li, i) {
      var line = lines[i];
      var span = li.querySelector(".seconds");
      if (line && span) { span.textContent = line.duration + (line.plays > 1 ? " (" + line.plays + " lần)" : ""); }
    });
    /* The priority heads follow the draft too: a priority bulletin taken out of the rundown
       still leads the airing (it counts in the total), so its row must appear. */
    list.querySelectorAll('.rundown-fixed[data-kind="head"]').forEach(function (li) { li.remove(); });
    var before = movable()[0] || list.querySelector('[data-kind="outro"]');
    rundown.items.filter(function (l) { return l.kind === "head"; }).forEach(function (l) {
      var li = document.createElement("li");
      li.className = "rundown-fixed";
      li.setAttribute("data-kind", "head");
      [["grip", ""], ["kind", l.label], ["title", l.title],
       ["seconds", l.duration + (l.plays > 1 ? " (" + l.plays + " lần)" : "")]].forEach(function (part) {
        var span = document.createElement("span");
        span.className = part[0]; span.textContent = part[1];
        if (part[0] === "grip") { span.setAttribute("aria-hidden", "true"); }
        li.appendChild(span);
      });
      list.insertBefore(li, before);
    });
    var total = document.querySelector("#rundown-total strong");
    if (total) { total.textContent = rundown.estimated; }
    var next = document.querySelector("#next-airing strong");
    if (next && rundown.next_start && rundown.next_end_label) {
      next.textContent = rundown.next_start.substr(11, 5) + " – " + rundown.next_end_label;
    }
  });
})();
